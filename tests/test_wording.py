"""Counted nouns and verbs read right for one and for many."""

from __future__ import annotations

import pytest

from bot.wording import counted, was


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 results"), (1, "1 result"), (2, "2 results"), (20000, "20,000 results")],
)
def test_counted(count: int, expected: str) -> None:
    assert counted(count, "result") == expected


def test_counted_with_irregular_plural() -> None:
    assert [counted(n, "entry", "entries") for n in (1, 3)] == ["1 entry", "3 entries"]


def test_was() -> None:
    assert [was(1), was(2), was(0), was(1, dry_run=True)] == ["was", "were", "were", "would be"]
