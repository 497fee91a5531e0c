"""Readable differences between two snapshots of an entry, for history pages and audit posts."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from bot.glossary.blocks import kind_of
from bot.glossary.models import Block, Entry, Revision
from bot.wording import counted

NO_CHANGE = "no change to the content"
# Long summaries and paragraphs are shown shortened; the full text is one revert away.
VALUE_MAX = 120


def _short(text: str, limit: int = VALUE_MAX) -> str:
    """Return text on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def body_lines(body: Sequence[Block]) -> list[str]:
    """Return a whole body as plain text lines, one idea per line."""
    return [line for block in body for line in kind_of(block).diff_lines(block)]


def _value_change(
    label: str, before: str, after: str, show: Callable[[str], str] = str
) -> str | None:
    """Return "label: old → new", or None when the value stayed the same."""
    return None if before == after else f"{label}: {show(before)} → {show(after)}"


def _set_change(label: str, before: Sequence[str], after: Sequence[str]) -> str | None:
    """Describe added and removed items of a list where order does not matter much."""
    added = [item for item in after if item not in before]
    removed = [item for item in before if item not in after]
    if not added and not removed:
        if list(before) != list(after):
            return f"{label}: reordered"
        return None
    parts = [f"+ {item}" for item in added] + [f"− {item}" for item in removed]
    return f"{label}: {', '.join(parts)}"


def _link_texts(entry: Entry) -> list[str]:
    """Return each link as "label <url>"."""
    return [f"{link.label} <{link.url}>" for link in entry.links]


def _body_change(before: Sequence[Block], after: Sequence[Block]) -> list[str]:
    """Return the body lines removed ("− ") and added ("+ "), in reading order."""
    if tuple(before) == tuple(after):
        return []
    old, new = body_lines(before), body_lines(after)
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lines.extend(f"− {_short(line)}" for line in old[i1:i2])
        lines.extend(f"+ {_short(line)}" for line in new[j1:j2])
    # Same text, different block structure (a paragraph turned into a note, say).
    return ["definition:", *lines] if lines else ["definition: layout changed"]


def diff_entries(before: Entry | None, after: Entry | None) -> list[str]:
    """Return human-readable lines describing how `before` became `after`."""
    if before is None and after is None:
        return []
    if before is None:
        assert after is not None
        return [f"created **{after.term}** ({after.category}): {_short(after.summary)}"]
    if after is None:
        return [f"removed **{before.term}**"]
    changes = (
        _value_change("term", before.term, after.term),
        _value_change("key", before.key, after.key),
        _set_change("aliases", before.aliases, after.aliases),
        _value_change("summary", before.summary, after.summary, _short),
        _value_change("category", before.category, after.category),
        _set_change("related", before.related, after.related),
        _set_change("links", _link_texts(before), _link_texts(after)),
    )
    lines = [change for change in changes if change]
    if before.autoreply != after.autoreply:
        lines.append(f"automatic replies: {'on' if after.autoreply else 'off'}")
    lines.extend(_body_change(before.body, after.body))
    return lines


def _more(count: int) -> str:
    """Return the "...and N more lines" tail, or nothing."""
    return f"\n…and {counted(count, 'more line')}" if count else ""


def format_diff(lines: Sequence[str], limit: int = 1000) -> str:
    """Join diff lines within `limit` characters, saying how many lines were left out."""
    if not lines:
        return NO_CHANGE
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    shown: list[str] = []
    for index, line in enumerate(lines):
        if len("\n".join([*shown, line]) + _more(len(lines) - index - 1)) > limit:
            break
        shown.append(line)
    if not shown:
        tail = _more(len(lines) - 1)
        return _short(lines[0], limit - len(tail)) + tail
    return "\n".join(shown) + _more(len(lines) - len(shown))


def describe_revision(revision: Revision, previous: Revision | None) -> list[str]:
    """Return what one revision did, compared with the revision before it."""
    if revision.action == "delete":
        return ["deleted (restore brings it back)"]
    before = previous.snapshot if previous is not None else None
    lines = diff_entries(before, revision.snapshot)
    if revision.action == "restore":
        lines.insert(0, "restored")
    if revision.note:
        lines.insert(0, revision.note)
    return lines
