"""Counted nouns and verbs for messages: "1 entry was added", "2 results"."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """Return "1 result" or "3 results" (or the given plural)."""
    noun = singular if count == 1 else (plural or singular + "s")
    return f"{count:,} {noun}"


def was(count: int, *, dry_run: bool = False) -> str:
    """Return the verb phrase for a count of things: "was", "were" or "would be"."""
    if dry_run:
        return "would be"
    return "was" if count == 1 else "were"
