"""Turn glossary entries into Discord embeds that always stay within Discord's limits."""

from __future__ import annotations

import datetime
import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import discord

from bot.glossary.models import CATEGORIES, Entry, Snippet, parse_when
from bot.glossary.plaintext import body_markdown_parts
from bot.glossary.summary import new_summary
from bot.glossary.text import normalize

log = logging.getLogger(__name__)

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
TOTAL_MAX = 6000
EMBEDS_MAX = 10
NOTICE_MAX = 150

CATEGORY_COLOURS: dict[str, discord.Colour] = {
    "audio": discord.Colour(0x3498DB),
    "hardware": discord.Colour(0xE67E22),
    "platform": discord.Colour(0x9B59B6),
    "software": discord.Colour(0x2ECC71),
    "training": discord.Colour(0xE91E63),
    "general": discord.Colour(0x95A5A6),
}
assert set(CATEGORY_COLOURS) == set(CATEGORIES), "every category needs a colour"

# A field needs a non-empty name; a zero-width space shows none.
_BLANK_NAME = "\u200b"
_TRUNCATED = "… (too long to show in full)"
_SPACE = re.compile(r"\s")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(slots=True)
class _Page:
    """The text of one embed before it becomes a discord.Embed."""

    description: str = ""
    fields: list[tuple[str, str, bool]] = field(default_factory=list)

    def size(self) -> int:
        """Return the characters Discord counts for this page."""
        return len(self.description) + sum(len(n) + len(v) for n, v, _ in self.fields)


def _cut(text: str, room: int, *, hard: bool = True) -> tuple[str, str]:
    """Split text into a head of at most room chars and the rest, at a line or else a space.

    Only when no whitespace is in reach and `hard` is set is a word split; otherwise the
    head is empty so the caller can move the text to a fresh page.
    """
    if len(text) <= room:
        return text, ""
    if room <= 0:
        # A full page: a negative room would make the searches below count from the end.
        return "", text
    for separator in ("\n", " "):
        at = text.rfind(separator, 0, room + 1)
        if at > 0:
            return text[:at].rstrip(), text[at + 1 :].lstrip(" ")
    spaces = [m.start() for m in _SPACE.finditer(text, 0, room + 1) if m.start() > 0]
    if spaces:
        return text[: spaces[-1]], text[spaces[-1] + 1 :]
    return (text[:room], text[room:]) if hard and room > 0 else ("", text)


def _chunks(text: str, limit: int) -> list[str]:
    """Return text in pieces of at most limit chars, split between lines or words."""
    pieces: list[str] = []
    while text:
        head, text = _cut(text, limit)
        if head:
            pieces.append(head)
    return pieces


def _layout(description: str, parts: list[tuple[str, str]]) -> list[_Page]:
    """Pack flow text into descriptions and named parts into inline fields, page by page."""
    pages = [_Page(description)]
    for name, text in parts:
        if not name and not pages[-1].fields:
            rest = text
            while rest:
                page = pages[-1]
                separator = "\n\n" if page.description else ""
                room = DESCRIPTION_MAX - len(page.description) - len(separator)
                head, rest = _cut(rest, room, hard=not page.description)
                if head:
                    page.description += separator + head
                if rest:
                    pages.append(_Page())
            continue
        for index, chunk in enumerate(_chunks(text, FIELD_VALUE_MAX)):
            if len(pages[-1].fields) >= FIELDS_MAX:
                pages.append(_Page())
            label = (name if index == 0 else f"{name} (cont.)") if name else _BLANK_NAME
            pages[-1].fields.append((label, chunk, bool(name)))
    return pages


def _clip(text: str, limit: int) -> str:
    """Return text shortened with an ellipsis to at most limit chars."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit_list(prefix: str, names: Sequence[str], room: int, separator: str = ", ") -> str:
    """Return prefix + as many names as fit in room, noting how many were left out."""
    for count in range(len(names), 0, -1):
        more = f" (+{len(names) - count} more)" if count < len(names) else ""
        text = prefix + separator.join(names[:count]) + more
        if len(text) <= room:
            return text
    return ""


def _total(pages: list[_Page]) -> int:
    """Return the characters of all pages."""
    return sum(page.size() for page in pages)


def _enforce_total(pages: list[_Page], room: int) -> None:
    """Cut trailing content so pages fit room; only entries outside the schema get here."""
    if _total(pages) <= room and len(pages) <= EMBEDS_MAX:
        return
    log.warning("Entry too long for one message; truncating the rendered text")
    del pages[EMBEDS_MAX:]
    marker = len(_TRUNCATED) + 2
    while _total(pages) + marker > room or len(pages[-1].fields) >= FIELDS_MAX:
        if pages[-1].fields:
            pages[-1].fields.pop()
        elif len(pages) > 1:
            pages.pop()
        else:
            break
    page = pages[-1]
    if page.fields:
        page.fields.append((_BLANK_NAME, _TRUNCATED, False))
        return
    excess = max(0, _total(pages) + marker - room)
    keep = max(0, min(DESCRIPTION_MAX - marker, len(page.description) - excess))
    page.description = f"{_cut(page.description, keep)[0]}\n\n{_TRUNCATED}".strip()


def _updated_text(entry: Entry) -> str:
    """Return the footer's date of the entry's last change ("Updated March 14, 2026"), or ''."""
    when = parse_when(entry.updated_at)
    if when is None:
        return ""
    stamp = when.astimezone(datetime.UTC)
    # Spelled out as the user's glossary writes it (03/14 or 14/03 would be ambiguous), in
    # English whatever the machine's locale.
    return f"Updated {_MONTHS[stamp.month - 1]} {stamp.day}, {stamp.year}"


@functools.lru_cache(maxsize=8192)
def _fold(name: str) -> str:
    """Return a name without case, spaces, hyphens or plural s ("Bit-depths" -> "bitdepth")."""
    folded = normalize(name).replace(" ", "")
    return folded[:-1] if len(folded) > 3 and folded.endswith("s") else folded


def _distinct_aliases(entry: Entry) -> list[str]:
    """Return the aliases worth showing: not a plural, spacing or case variant of a shown name."""
    seen = {_fold(entry.term)}
    shown: list[str] = []
    for alias in entry.aliases:
        folded = _fold(alias)
        if folded not in seen:
            seen.add(folded)
            shown.append(alias)
    return shown


def entry_embeds(entry: Entry, *, notice: str | None = None) -> list[discord.Embed]:
    """Return the embeds of one message showing the whole entry.

    Related entries are not listed: the message carries a button for each (cogs.ui). The
    summary shows only the sentences the body does not already say.
    """
    # The key stands in for a blank term so that even an entry outside the schema is sendable.
    title = _clip(entry.term if entry.term.strip() else entry.key, TITLE_MAX)
    summary = new_summary(entry)
    head = "\n\n".join(
        part for part in (notice and f"*{_clip(notice, NOTICE_MAX)}*", summary) if part
    )
    pages = _layout(_clip(head, DESCRIPTION_MAX), body_markdown_parts(entry.body))
    updated = _updated_text(entry)
    _enforce_total(pages, TOTAL_MAX - len(title) - len(updated))

    room = TOTAL_MAX - len(title) - len(updated) - sum(page.size() for page in pages)
    if entry.links:
        links = [f"[{link.label}]({link.url})" for link in entry.links]
        value = _fit_list("", links, min(FIELD_VALUE_MAX, room - len("Links")), "\n")
        if value and len(pages[-1].fields) < FIELDS_MAX:
            pages[-1].fields.append(("Links", value, False))
            room -= len("Links") + len(value)

    footer_room = min(FOOTER_MAX, room + len(updated))
    tail = f" · {updated}" if updated else ""
    aliases = _fit_list("Also: ", _distinct_aliases(entry), footer_room - len(tail))
    footer = (aliases + tail) if aliases else updated

    colour = CATEGORY_COLOURS.get(entry.category, CATEGORY_COLOURS["general"])
    embeds = [discord.Embed(description=page.description or None, colour=colour) for page in pages]
    embeds[0].title = title
    for embed, page in zip(embeds, pages, strict=True):
        for name, value, inline in page.fields:
            embed.add_field(name=name, value=value, inline=inline)
    if footer:
        embeds[-1].set_footer(text=footer)
    return embeds


def summary_embed(entry: Entry, *, hint: str = "") -> discord.Embed:
    """Return a compact embed: term, summary and an optional hint line."""
    description = entry.summary
    if hint:
        description += f"\n\n*{_clip(hint, DESCRIPTION_MAX - len(description) - 4)}*"
    colour = CATEGORY_COLOURS.get(entry.category, CATEGORY_COLOURS["general"])
    return discord.Embed(
        title=_clip(entry.term, TITLE_MAX),
        description=_clip(description, DESCRIPTION_MAX),
        colour=colour,
    )


def snippet_markdown(snippet: Snippet) -> str:
    """Return a search snippet with the words the search matched in bold."""
    parts: list[str] = []
    done = 0
    for start, end in snippet.matches:
        parts += [snippet.text[done:start], "**", snippet.text[start:end], "**"]
        done = end
    parts.append(snippet.text[done:])
    return "".join(parts)


def embeds_size(embeds: Sequence[discord.Embed]) -> int:
    """Return the characters Discord counts towards the 6000 per-message limit."""
    return sum(len(embed) for embed in embeds)


def check_limits(embeds: Sequence[discord.Embed]) -> list[str]:
    """Return every Discord limit the embeds break; an empty list means they can be sent."""
    problems: list[str] = []
    if not embeds:
        problems.append("no embeds")
    if len(embeds) > EMBEDS_MAX:
        problems.append(f"{len(embeds)} embeds; the limit is {EMBEDS_MAX}")
    total = embeds_size(embeds)
    if total > TOTAL_MAX:
        problems.append(f"{total} characters in total; the limit is {TOTAL_MAX}")
    for number, embed in enumerate(embeds, 1):
        where = f"embed {number}"
        checks = (
            ("title", embed.title or "", TITLE_MAX),
            ("description", embed.description or "", DESCRIPTION_MAX),
            ("footer", embed.footer.text or "", FOOTER_MAX),
            ("author", embed.author.name or "", AUTHOR_MAX),
        )
        for name, text, limit in checks:
            if len(text) > limit:
                problems.append(f"{where}: {name} has {len(text)} characters; limit {limit}")
        if not (embed.title or embed.description or embed.fields):
            problems.append(f"{where}: empty")
        if len(embed.fields) > FIELDS_MAX:
            problems.append(f"{where}: {len(embed.fields)} fields; the limit is {FIELDS_MAX}")
        for index, embed_field in enumerate(embed.fields, 1):
            name, value = embed_field.name or "", embed_field.value or ""
            if not name.strip() and name != _BLANK_NAME:
                problems.append(f"{where}: field {index} has no name")
            if not value.strip():
                problems.append(f"{where}: field {index} has no value")
            if len(name) > FIELD_NAME_MAX:
                problems.append(f"{where}: field {index} name has {len(name)} characters")
            if len(value) > FIELD_VALUE_MAX:
                problems.append(f"{where}: field {index} value has {len(value)} characters")
    return problems
