"""Aliases learned from members: a missed lookup, then the suggestion the member opened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.glossary.learning import PendingMisses
from bot.services.glossary import Actor, GlossaryService
from bot.storage.usage import LearnedName

MOD = Actor(7, "mod")


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[GlossaryService]:
    """Yield a service over a new database seeded with the shipped glossary."""
    svc = await GlossaryService.open(tmp_path / "glossary.db")
    try:
        yield svc
    finally:
        await svc.close()


def test_only_the_same_member_choosing_a_suggestion_soon_counts() -> None:
    pending = PendingMisses(window=60)
    pending.note(1, "fl studio", ["daw", "cuda"], now=0)
    assert pending.chosen(2, "daw", now=1) is None  # another member
    assert pending.chosen(1, "kaggle", now=1) is None  # not a suggestion
    assert pending.chosen(1, "daw", now=61) is None  # too late
    pending.note(1, "fl studio", ["daw"], now=100)
    assert pending.chosen(1, "daw", now=101) == "fl studio"
    assert pending.chosen(1, "daw", now=102) is None  # counted once


def test_pending_misses_are_bounded() -> None:
    pending = PendingMisses(limit=2)
    for member in range(3):
        pending.note(member, "q", ["k"], now=0)
    assert pending.chosen(0, "k", now=0) is None
    assert pending.chosen(2, "k", now=0) == "q"


async def test_choices_are_counted_listed_and_applied(service: GlossaryService) -> None:
    for member in (1, 2, 3):
        result = service.lookup("fl studio")
        assert result.match is None and result.suggestions[0].entry.key == "daw"
        service.note_missed(member, result)
        assert await service.note_opened(member, "daw")
    assert await service.learned_aliases() == [LearnedName("fl studio", "daw", 3)]

    entry = await service.apply_learned(LearnedName("fl studio", "daw", 3), MOD)
    assert "fl studio" in entry.aliases
    match = service.lookup("fl studio").match
    assert match is not None and match.entry.key == "daw"
    assert await service.learned_aliases() == []


async def test_dismissed_pair_returns_when_chosen_again(service: GlossaryService) -> None:
    result = service.lookup("audacity")
    service.note_missed(1, result)
    await service.note_opened(1, "daw")
    await service.repo.dismiss_learned("audacity", "daw")
    assert await service.learned_aliases() == []
    service.note_missed(1, result)
    await service.note_opened(1, "daw")
    assert await service.learned_aliases() == [LearnedName("audacity", "daw", 1)]


async def test_pairs_answered_another_way_never_hide_new_ones(service: GlossaryService) -> None:
    # Members taught ten names, each twice; moderators added them as aliases by command (or
    # "Add as alias" in the missed-lookup queue), which leaves the learned pair in place.
    taught = [f"zq daw{n}" for n in range(10)]
    for query in taught:
        await service.repo.record_choice(query, "daw")
        await service.repo.record_choice(query, "daw")
    for query in taught:
        await service.add_alias("daw", query, MOD)
    # Later a member teaches something new, once.
    result = service.lookup("fl studio")
    assert result.match is None
    service.note_missed(1, result)
    assert await service.note_opened(1, "daw")
    assert await service.learned_aliases(5) == [LearnedName("fl studio", "daw", 1)]
