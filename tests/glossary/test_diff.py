"""Readable diffs between entry snapshots."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from bot.glossary.diff import (
    NO_CHANGE,
    body_lines,
    describe_revision,
    diff_entries,
    format_diff,
)
from bot.glossary.models import (
    Bullet,
    Bullets,
    Entry,
    Examples,
    Link,
    Note,
    Paragraph,
    ProsCons,
    Revision,
    Steps,
)

BASE = Entry(
    key="harvest",
    term="Harvest",
    summary="A pitch extraction method.",
    category="audio",
    aliases=("harvest f0",),
    body=(Paragraph("Slow but smooth."), Bullets((Bullet("good for singing"),))),
)


def revision(rid: int, action: str, snapshot: Entry | None, note: str = "") -> Revision:
    """Return a revision of BASE's key."""
    return Revision(
        rid, "harvest", rid, action, snapshot, 1, "mod", "2024-05-01T10:00:00+00:00", note
    )


def test_identical_entries_have_no_diff() -> None:
    assert diff_entries(BASE, dataclasses.replace(BASE, version=7, uses=3)) == []
    assert format_diff([]) == NO_CHANGE


def test_creation_names_term_and_summary() -> None:
    (line,) = diff_entries(None, BASE)
    assert "created **Harvest**" in line
    assert "pitch extraction" in line


def test_term_summary_category_changes() -> None:
    after = dataclasses.replace(
        BASE, term="Harvest F0", summary="Another summary.", category="training"
    )
    lines = diff_entries(BASE, after)
    assert "term: Harvest → Harvest F0" in lines
    assert "summary: A pitch extraction method. → Another summary." in lines
    assert "category: audio → training" in lines
    assert not any(line.startswith("definition") for line in lines)


def test_aliases_added_and_removed() -> None:
    after = dataclasses.replace(BASE, aliases=("hvst",))
    assert diff_entries(BASE, after) == ["aliases: + hvst, − harvest f0"]


def test_reordered_aliases_are_reported() -> None:
    before = dataclasses.replace(BASE, aliases=("a", "b"))
    after = dataclasses.replace(BASE, aliases=("b", "a"))
    assert diff_entries(before, after) == ["aliases: reordered"]


def test_body_diff_shows_only_changed_lines() -> None:
    after = dataclasses.replace(
        BASE, body=(Paragraph("Slow but smooth."), Bullets((Bullet("good for speech"),)))
    )
    assert diff_entries(BASE, after) == [
        "definition:",
        "− • good for singing",
        "+ • good for speech",
    ]


def test_same_text_different_layout() -> None:
    after = dataclasses.replace(BASE, body=(Paragraph("Slow but smooth.\n• good for singing"),))
    # Paragraph lines flatten to the same text as the bullet, but the structure differs.
    lines = diff_entries(BASE, dataclasses.replace(BASE, body=(Note("", "Slow but smooth."),)))
    assert lines[0] == "definition:"
    assert diff_entries(BASE, after) == ["definition: layout changed"]


def test_related_links_and_autoreply() -> None:
    after = dataclasses.replace(
        BASE, related=("crepe",), links=(Link("Docs", "https://example.com"),), autoreply=False
    )
    assert diff_entries(BASE, after) == [
        "related: + crepe",
        "links: + Docs <https://example.com>",
        "automatic replies: off",
    ]


def test_every_block_type_has_text_lines() -> None:
    body = (
        Paragraph("one\n\ntwo"),
        Bullets((Bullet("top", ("x.pth",), (Bullet("child"),)),)),
        Steps(("open", "click"), "How to"),
        Examples(("model.index",)),
        Note("Community Proof", "it works"),
        ProsCons(("fast",), ("paid",), "Colab:"),
    )
    assert body_lines(body) == [
        "one",
        "two",
        "• top",
        "  e.g. x.pth",
        "  • child",
        "How to:",
        "1. open",
        "2. click",
        "example: model.index",
        "Community Proof: it works",
        "Colab:",
        "pro: fast",
        "con: paid",
    ]


def test_long_values_are_shortened() -> None:
    after = dataclasses.replace(BASE, summary="word " * 100)
    (line,) = diff_entries(BASE, after)
    assert line.endswith("…")
    assert len(line) < 300


def test_format_diff_cuts_and_counts() -> None:
    lines = [f"line {index} " + "x" * 40 for index in range(100)]
    text = format_diff(lines, limit=500)
    assert len(text) <= 500
    shown = text.count("line ")
    assert text.endswith(f"…and {100 - shown} more lines")


def test_format_diff_shortens_a_single_huge_line() -> None:
    text = format_diff(["y" * 5000, "second"], limit=200)
    assert len(text) <= 200
    assert text.endswith("…and 1 more line")


@given(st.lists(st.text(min_size=0, max_size=300), max_size=30), st.integers(60, 1500))
def test_format_diff_respects_limit(lines: list[str], limit: int) -> None:
    assert len(format_diff(lines, limit)) <= max(limit, len(NO_CHANGE))


def test_describe_revision_uses_the_previous_snapshot() -> None:
    changed = dataclasses.replace(BASE, summary="New summary.")
    assert describe_revision(revision(2, "edit", changed), revision(1, "create", BASE)) == [
        "summary: A pitch extraction method. → New summary."
    ]
    assert describe_revision(revision(1, "create", BASE), None)[0].startswith("created")


def test_describe_revision_actions_and_notes() -> None:
    assert describe_revision(revision(3, "delete", BASE), revision(2, "edit", BASE)) == [
        "deleted (restore brings it back)"
    ]
    assert describe_revision(revision(4, "restore", BASE), revision(3, "delete", BASE)) == [
        "restored"
    ]
    reverted = describe_revision(
        revision(5, "revert", BASE, "revert to r1"),
        revision(4, "edit", dataclasses.replace(BASE, term="Other")),
    )
    assert reverted == ["revert to r1", "term: Other → Harvest"]
