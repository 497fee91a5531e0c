"""Validate glossary data (one entry mapping or a whole document) before it becomes an Entry.

Every check reports a user-facing problem string prefixed with the entry key, so a
moderator fixing a file or an edit sees every mistake at once instead of one per attempt.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from bot.glossary.blocks import KINDS, kinds_named_in
from bot.glossary.blocks import MAX_DEPTH as MAX_DEPTH  # the glossary's limits, in one table
from bot.glossary.blocks import TEXT_MAX as TEXT_MAX
from bot.glossary.models import CATEGORIES
from bot.glossary.text import normalize

KEY_MAX = 64
TERM_MAX = 80
ALIAS_MAX = 80
MAX_ALIASES = 40
SUMMARY_MAX = 200
ENTRY_TEXT_MAX = 4500
MAX_BLOCKS = 30
MAX_RELATED = 10
MAX_LINKS = 5
LINK_LABEL_MAX = 80
URL_MAX = 512
DOCUMENT_VERSION = 1

KEY_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

ENTRY_FIELDS = (
    "key",
    "term",
    "aliases",
    "summary",
    "category",
    "related",
    "links",
    "autoreply",
    "body",
)
REQUIRED_FIELDS = ("key", "term", "summary")
DOCUMENT_FIELDS = ("version", "updated", "entries")

# Cc: control characters; Cf: zero-width and bidi overrides; Cs: lone surrogates from escapes.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def _describe(value: object) -> str:
    """Return a short human name for the type of a YAML value."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false (put it in quotes if you meant text)"
    if isinstance(value, int | float):
        return "a number (put it in quotes if you meant text)"
    if isinstance(value, datetime.date):
        return "a date (put it in quotes if you meant text)"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _bad_character(text: str, *, multiline: bool) -> str | None:
    """Return the first forbidden character of text, or None."""
    # Every forbidden character is unprintable: the C-speed check clears almost all text.
    if (text.replace("\n", "") if multiline else text).isprintable():
        return None
    for char in text:
        if char == "\n" and multiline:
            continue
        if unicodedata.category(char) in _BAD_CATEGORIES:
            return char
    return None


def usable_key(value: object) -> bool:
    """Return whether value is a well-formed entry key."""
    return isinstance(value, str) and len(value) <= KEY_MAX and bool(KEY_PATTERN.fullmatch(value))


def _is_web_url(url: str) -> bool:
    """Return whether url is an absolute http(s) address without spaces."""
    if any(char.isspace() for char in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class _EntryCheck:
    """Collect the problems of one entry mapping."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[str] = []
        self.text_total = 0

    def add(self, message: str) -> None:
        """Record one problem, prefixed with the entry label."""
        self.problems.append(f"{self.label}: {message}")

    def text(
        self,
        value: object,
        field: str,
        limit: int,
        *,
        multiline: bool = False,
        optional: bool = False,
        counted: bool = False,
    ) -> str | None:
        """Check one text value; return it when it is a non-blank string."""
        if not isinstance(value, str):
            self.add(f"{field} must be text, not {_describe(value)}")
            return None
        if counted:
            self.text_total += len(value)
        if not value.strip():
            if not optional:
                self.add(f"{field} is empty")
            return None
        if len(value) > limit:
            self.add(f"{field} is longer than {limit} characters ({len(value)})")
        bad = _bad_character(value, multiline=multiline)
        if bad == "\n":
            self.add(f"{field} must be a single line")
        elif bad is not None:
            self.add(f"{field} contains a control or invisible character (U+{ord(bad):04X})")
        return value

    def sequence(
        self, value: object, field: str, limit: int, *, non_empty: bool = False
    ) -> list[Any]:
        """Check that value is a list of at most limit items; return it or []."""
        if not isinstance(value, list):
            self.add(f"{field} must be a list, not {_describe(value)}")
            return []
        if non_empty and not value:
            self.add(f"{field} is an empty list")
        if len(value) > limit:
            self.add(f"{field} has {len(value)} items; the limit is {limit}")
        return value

    @staticmethod
    def describe(value: object) -> str:
        """Return a short human name for the type of a YAML value."""
        return _describe(value)

    def block(self, value: object, field: str) -> None:
        """Check one body block against the shape of the kind its keys name."""
        if not isinstance(value, dict):
            self.add(f"{field} must be a mapping like {{paragraph: ...}}, not {_describe(value)}")
            return
        kinds = kinds_named_in(value)
        if not kinds:
            self.add(f"{field} must have one of: {', '.join(kind.name for kind in KINDS)}")
            return
        if len(kinds) > 1:
            names = sorted(kind.name for kind in kinds)
            self.add(f"{field} mixes {' and '.join(names)}; put each in its own block")
            return
        kind, keys = kinds[0], set(map(str, value))
        for name in sorted(keys - kind.keys - kind.optional):
            self.add(f"{field}: '{name}' is not allowed in a {kind.name} block")
        for name in sorted(kind.keys - keys):
            self.add(f"{field}: a {kind.name} block needs '{name}'")
        # Keys of other kinds were reported above; their content is checked all the same.
        for each in KINDS:
            each.check(self, value, field)

    def term(self, term: object) -> None:
        """Check the display term."""
        if self.text(term, "term", TERM_MAX, counted=True) and not normalize(str(term)):
            self.add("term has no letters or digits")

    def aliases(self, value: object, term: object) -> None:
        """Check aliases: text, distinct from each other and from the term once normalized."""
        term_name = normalize(term) if isinstance(term, str) else ""
        seen = {term_name} if term_name else set()
        for index, alias in enumerate(self.sequence(value, "aliases", MAX_ALIASES)):
            field = f"aliases[{index}]"
            if not self.text(alias, field, ALIAS_MAX):
                continue
            name = normalize(alias)
            if not name:
                self.add(f"{field} {alias!r} has no letters or digits")
            elif name == term_name:
                self.add(f"{field} {alias!r} is the same as the term")
            elif name in seen:
                self.add(f"{field} {alias!r} repeats another alias")
            seen.add(name)

    def related(self, value: object, key: object) -> None:
        """Check related keys: well formed, not the entry itself, not repeated."""
        seen: set[str] = set()
        for index, target in enumerate(self.sequence(value, "related", MAX_RELATED)):
            field = f"related[{index}]"
            if not usable_key(target):
                self.add(f"{field} must be an entry key like google-colab, not {target!r}")
            elif target == key:
                self.add(f"{field} points to the entry itself")
            elif target in seen:
                self.add(f"{field} {target!r} is listed twice")
            else:
                seen.add(target)

    def links(self, value: object) -> None:
        """Check links: each a {label, url} mapping with an http(s) URL."""
        for index, link in enumerate(self.sequence(value, "links", MAX_LINKS)):
            field = f"links[{index}]"
            if not isinstance(link, dict) or set(map(str, link)) != {"label", "url"}:
                self.add(f"{field} must be a mapping with exactly 'label' and 'url'")
                continue
            self.text(link["label"], f"{field}.label", LINK_LABEL_MAX)
            url = self.text(link["url"], f"{field}.url", URL_MAX)
            if url and not _is_web_url(url):
                self.add(f"{field}.url {url!r} must be an http:// or https:// address")


def _rendered_size_problem(data: dict[str, Any]) -> str | None:
    """Return a problem when the formatted entry would not fit one Discord message."""
    # Imported here: plaintext and codec build on this module's neighbours, not the reverse.
    from bot.glossary.codec import entry_from_dict
    from bot.glossary.plaintext import MARKDOWN_BUDGET, markdown_size

    size = markdown_size(entry_from_dict(data))
    if size > MARKDOWN_BUDGET:
        return (
            f"the formatted entry takes {size} characters, more than the {MARKDOWN_BUDGET} "
            "that fit in one Discord message (many short items add bullet markup)"
        )
    return None


def _entry_label(data: object, where: str) -> str:
    """Return the prefix for an entry's problems: its key when usable."""
    if isinstance(data, dict) and usable_key(data.get("key")):
        return str(data["key"])
    return where or "entry"


def validate_entry_dict(data: object, *, where: str = "") -> list[str]:
    """Return every problem of one entry mapping; an empty list means it is valid."""
    check = _EntryCheck(_entry_label(data, where))
    if not isinstance(data, dict):
        check.add(f"an entry must be a mapping of fields, not {_describe(data)}")
        return check.problems
    for name in sorted(set(map(str, data)) - set(ENTRY_FIELDS)):
        check.add(f"unknown field '{name}' (allowed: {', '.join(ENTRY_FIELDS)})")
    for name in REQUIRED_FIELDS:
        if name not in data:
            check.add(f"missing required field '{name}'")

    key = data.get("key")
    key_text = check.text(key, "key", KEY_MAX) if "key" in data else None
    if key_text is not None and not KEY_PATTERN.fullmatch(key_text):
        check.add(
            f"key {key!r} must be lowercase letters and digits joined by single hyphens "
            "(like google-colab)"
        )
    term = data.get("term")
    if "term" in data:
        check.term(term)
    if "summary" in data:
        check.text(data["summary"], "summary", SUMMARY_MAX, counted=True)
    category = data.get("category")
    if category is not None and category not in CATEGORIES:
        check.add(f"category {category!r} is not one of: {', '.join(CATEGORIES)}")
    if data.get("aliases") is not None:
        check.aliases(data["aliases"], term)
    if data.get("related") is not None:
        check.related(data["related"], key)
    if data.get("links") is not None:
        check.links(data["links"])
    if "autoreply" in data and not isinstance(data["autoreply"], bool):
        check.add(f"autoreply must be true or false, not {_describe(data['autoreply'])}")
    if data.get("body") is not None:
        for index, block in enumerate(check.sequence(data["body"], "body", MAX_BLOCKS)):
            check.block(block, f"body[{index}]")

    if check.text_total > ENTRY_TEXT_MAX:
        check.add(
            f"term, summary and body together are longer than {ENTRY_TEXT_MAX} characters "
            f"({check.text_total})"
        )
    if not check.problems and (problem := _rendered_size_problem(data)):
        check.add(problem)
    return check.problems


def _names(entry: dict[str, Any]) -> Iterator[str]:
    """Yield the normalized term and aliases of an entry mapping, skipping malformed ones."""
    names = [entry.get("term")]
    if isinstance(entry.get("aliases"), list):
        names.extend(entry["aliases"])
    for name in names:
        if isinstance(name, str) and normalize(name):
            yield normalize(name)


def document_date(value: object) -> datetime.date | None:
    """Return the date a document's `updated` field names (2026-03-14), or None if it names none."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


PROGRESS_EVERY = 1000


def validate_document(
    data: object, *, progress: Callable[[str, int], None] | None = None
) -> list[str]:
    """Return every problem of a whole glossary document {version: 1, entries: [...]}.

    Causes come first: a duplicate key is reported before what it makes look wrong. A related
    key that names no entry is not a problem (see `dangling_related`).
    """
    if data is None:
        return ["the document is empty; expected 'version: 1' and 'entries:'"]
    if not isinstance(data, dict):
        return [
            f"the document must be a mapping with 'version' and 'entries', not {_describe(data)}"
        ]
    problems = [
        f"unknown top-level field '{name}' (allowed: {', '.join(DOCUMENT_FIELDS)})"
        for name in sorted(set(map(str, data)) - set(DOCUMENT_FIELDS))
    ]
    version = data.get("version")
    if version != DOCUMENT_VERSION or isinstance(version, bool):
        problems.append(f"version must be {DOCUMENT_VERSION}, not {version!r}")
    updated = data.get("updated")
    if "updated" in data and document_date(updated) is None:
        what = repr(updated[:40]) if isinstance(updated, str) else _describe(updated)
        problems.append(f"updated must be a date such as 2026-03-14, not {what}")
    if "entries" not in data:
        problems.append("missing 'entries' (the list of glossary entries)")
        return problems
    entries = data["entries"]
    if not isinstance(entries, list):
        problems.append(f"entries must be a list, not {_describe(entries)}")
        return problems

    keyed = [
        (index, entry)
        for index, entry in enumerate(entries)
        if isinstance(entry, dict) and usable_key(entry.get("key"))
    ]
    first_index: dict[str, int] = {}
    for index, entry in keyed:
        key = entry["key"]
        if key in first_index:
            problems.append(
                f"{key}: duplicate key (entries[{first_index[key]}] and entries[{index}])"
            )
        else:
            first_index[key] = index

    for index, entry in enumerate(entries):
        problems.extend(validate_entry_dict(entry, where=f"entries[{index}]"))
        if progress and (index + 1) % PROGRESS_EVERY == 0:
            progress("validated", index + 1)
    if progress:
        progress("validated", len(entries))

    owner: dict[str, str] = {}
    for _, entry in keyed:
        key = entry["key"]
        for name in dict.fromkeys(_names(entry)):
            other = owner.setdefault(name, key)
            if other != key:
                problems.append(f"{key}: name {name!r} is used by both {other} and {key}")
    return problems
