"""Domain model of a glossary entry: plain frozen dataclasses, no Discord, no SQL."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

# Categories drive embed colours; keep in sync with bot.render.CATEGORY_COLOURS.
CATEGORIES: tuple[str, ...] = ("audio", "hardware", "platform", "software", "training", "general")


@dataclass(frozen=True, slots=True)
class Bullet:
    """One bullet point, optionally with examples and nested bullets."""

    text: str
    examples: tuple[str, ...] = ()
    children: tuple[Bullet, ...] = ()

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Bullet]]:
        """Yield this bullet and every nested one, depth first, with its nesting depth."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of prose."""

    text: str


@dataclass(frozen=True, slots=True)
class Bullets:
    """A bullet list; items may nest."""

    items: tuple[Bullet, ...]


@dataclass(frozen=True, slots=True)
class Steps:
    """Numbered steps with an optional title ("How to disable HAGS")."""

    items: tuple[str, ...]
    title: str = ""


@dataclass(frozen=True, slots=True)
class Examples:
    """Literal examples such as file names, shown as code."""

    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """A labelled remark ("Community Proof: ...")."""

    label: str
    text: str


@dataclass(frozen=True, slots=True)
class ProsCons:
    """Pros and cons of a platform, with an optional introduction."""

    pros: tuple[str, ...]
    cons: tuple[str, ...]
    intro: str = ""


Block: TypeAlias = Paragraph | Bullets | Steps | Examples | Note | ProsCons


@dataclass(frozen=True, slots=True)
class Link:
    """A named URL shown under an entry."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Entry:
    """A glossary entry as moderators edit it, plus the metadata the store keeps."""

    key: str
    term: str
    summary: str
    category: str = "general"
    aliases: tuple[str, ...] = ()
    body: tuple[Block, ...] = ()
    related: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    autoreply: bool = True
    # Store metadata: not part of the YAML format, ignored by equality of content.
    version: int = field(default=0, compare=False)
    updated_by: int | None = field(default=None, compare=False)
    updated_at: str | None = field(default=None, compare=False)
    uses: int = field(default=0, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        """Return the term followed by every alias."""
        return (self.term, *self.aliases)


@dataclass(frozen=True, slots=True)
class Revision:
    """One change to an entry: a full snapshot plus who, when and what."""

    id: int
    entry_key: str
    version: int
    action: str
    snapshot: Entry | None
    author_id: int | None
    author_name: str
    created_at: str
    note: str = ""


def parse_when(stamp: str | None) -> datetime.datetime | None:
    """Return a stored ISO timestamp (`updated_at`, `created_at`) as an aware time, or None."""
    if not stamp:
        return None
    try:
        when = datetime.datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
    # The store writes UTC; a stamp without an offset (an older file) is UTC too.
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


class GlossaryError(Exception):
    """A domain error whose message is safe to show to the user as is.

    The store's errors below carry facts instead of sentences: `bot.refusals` words them.
    """

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class NotFound(GlossaryError):
    """The requested entry or revision does not exist."""


class Conflict(GlossaryError):
    """A name collides with another entry, or the entry changed since it was read."""


class ValidationError(GlossaryError):
    """Input that breaks the schema or Discord's limits; `problems` lists each one."""


@dataclass(frozen=True, slots=True)
class Snippet:
    """A stretch of an entry's text around the words a full-text search matched."""

    text: str
    matches: tuple[tuple[int, int], ...] = ()  # (start, end) of each matched word in `text`


# The store's errors: which entry, which version, which name. -------------------------------


class EntryMissing(NotFound):
    """No entry has this key (a live one, where the change needs it live)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no entry {key!r}")
        self.key = key


class RevisionMissing(NotFound):
    """An entry has no such revision, or the revision holds no content to go back to."""

    def __init__(self, key: str, revision_id: int, *, empty: bool = False) -> None:
        super().__init__(f"revision {revision_id} of {key!r}: {'empty' if empty else 'none'}")
        self.key = key
        self.revision_id = revision_id
        self.empty = empty


class KeyTaken(Conflict):
    """An entry, live or deleted, already has the key a new entry asks for."""

    def __init__(self, key: str, *, deleted: bool) -> None:
        super().__init__(f"key {key!r} taken by a {'deleted' if deleted else 'live'} entry")
        self.key = key
        self.deleted = deleted


class NameTaken(Conflict):
    """A name is, once normalised, already a name of another entry."""

    def __init__(self, name: str, holder_key: str, holder_term: str) -> None:
        super().__init__(f"name {name!r} taken by entry {holder_key!r}")
        self.name = name
        self.holder_key = holder_key
        self.holder_term = holder_term


class VersionMoved(Conflict):
    """The entry changed after the caller read it: its version is no longer the one they had."""

    def __init__(
        self, key: str, expected: int, current: int, changed_by: str | None, changed_at: str
    ) -> None:
        super().__init__(f"entry {key!r} is at v{current}, not v{expected}")
        self.key = key
        self.expected = expected
        self.current = current
        self.changed_by = changed_by
        self.changed_at = changed_at


class NotDeleted(Conflict):
    """Only a deleted entry can be restored."""

    def __init__(self, key: str) -> None:
        super().__init__(f"entry {key!r} is not deleted")
        self.key = key


class StaleImport(Conflict):
    """Entries changed (or appeared, or went) after an import plan was made."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = sorted(keys)
        super().__init__(f"{len(self.keys)} entries changed since the plan")


class DuplicateKeys(ValidationError):
    """Entries written together share a key."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = sorted(keys)
        super().__init__(f"duplicate keys {self.keys}")
