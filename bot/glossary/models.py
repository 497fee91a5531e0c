"""Domain model of a glossary entry: plain frozen dataclasses, no Discord, no SQL."""

from __future__ import annotations

from collections.abc import Iterator
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


class GlossaryError(Exception):
    """A domain error whose message is safe to show to the user as is."""

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
