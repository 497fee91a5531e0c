"""What moderators do, at the service level on a real SQLite file: no Discord involved."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import limits
from bot.glossary import stats, yamlio
from bot.glossary.diff import describe_revision, diff_entries
from bot.glossary.forms import (
    entry_from_form,
    form_defaults,
    join_aliases,
    new_names_probe,
    split_aliases,
)
from bot.glossary.models import (
    Conflict,
    Entry,
    NameTaken,
    NotFound,
    Paragraph,
    StaleImport,
    ValidationError,
    VersionMoved,
)
from bot.glossary.schema import ENTRY_TEXT_MAX
from bot.glossary.text import normalize
from bot.services.glossary import Actor, GlossaryService
from bot.storage.repository import Repository
from cogs.admin.cog import plan_embed
from cogs.admin.flows import check_preview

ALICE = Actor(101, "alice")
BOB = Actor(202, "bob")


def entry(key: str, term: str, *aliases: str, summary: str = "", text: str = "") -> Entry:
    """Return a small valid entry."""
    return Entry(
        key=key,
        term=term,
        summary=summary or f"What {term} means.",
        aliases=aliases,
        category="software",
        body=(Paragraph(text or f"More about {term}."),),
    )


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[GlossaryService]:
    """Yield a service over a fresh database file holding three entries."""
    repo = await Repository.open(tmp_path / "glossary.db")
    svc = GlossaryService(repo)
    await svc.refresh()
    try:
        await svc.create(entry("google-colab", "Google Colab", "colab", "gcolab"), ALICE)
        await svc.create(entry("harvest", "Harvest", "harvest f0"), ALICE)
        await svc.create(entry("rmvpe", "RMVPE"), ALICE)
        yield svc
    finally:
        await svc.close()


def found(service: GlossaryService, query: str) -> str | None:
    """Return the key /define would show for query, or None."""
    match = service.lookup(query).match
    return match.entry.key if match else None


async def snapshot(service: GlossaryService) -> list[tuple[str, int, dict[str, object]]]:
    """Return every stored entry, deleted ones included, with its version and content."""
    from bot.glossary.codec import entry_to_dict

    entries = await service.repo.list_entries(include_deleted=True)
    return [(item.key, item.version, entry_to_dict(item)) for item in entries]


# Validation: nothing is written when anything is wrong. -----------------------------------


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"summary": "   "}, "summary is empty"),
        ({"term": "Bad\x07term"}, "control or invisible character"),
        ({"term": "x" * 81}, "longer than 80"),
        ({"aliases": ("same", "Same")}, "repeats another alias"),
        ({"category": "weird"}, "is not one of"),
        ({"body": (Paragraph("y" * (ENTRY_TEXT_MAX + 1)),)}, f"longer than {ENTRY_TEXT_MAX}"),
    ],
)
async def test_invalid_new_entry_is_refused_and_nothing_is_stored(
    service: GlossaryService, change: dict[str, object], problem: str
) -> None:
    before = await snapshot(service)
    bad = dataclasses.replace(entry("crepe", "Crepe"), **change)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as caught:
        await service.create(bad, ALICE)
    assert any(problem in line for line in caught.value.problems), caught.value.problems
    assert await snapshot(service) == before
    assert service.get("crepe") is None


async def test_invalid_edit_leaves_the_entry_as_it_was(service: GlossaryService) -> None:
    current = service.require("harvest")
    with pytest.raises(ValidationError):
        await service.update(
            dataclasses.replace(current, summary=""), BOB, expected_version=current.version
        )
    assert service.require("harvest") == current
    assert await service.repo.count_revisions("harvest") == 1


async def test_name_collision_after_normalisation_is_a_conflict(service: GlossaryService) -> None:
    before = await snapshot(service)
    with pytest.raises(NameTaken) as caught:
        await service.create(entry("colab-notebook", "Colab Notebook", "COLAB!"), BOB)
    assert caught.value.holder_term == "Google Colab"
    assert await snapshot(service) == before
    assert service.get("colab-notebook") is None


async def test_markup_errors_name_their_line() -> None:
    with pytest.raises(ValidationError) as caught:
        entry_from_form(
            term="Crepe",
            aliases="",
            summary="A pitch method.",
            definition="Intro\n\nPros:\n- fine\n\n- a\n        - too deep\n            - deeper\n"
            "                - deepest",
            category="audio",
            original=None,
        )
    assert caught.value.problems
    assert all(problem.startswith("line ") for problem in caught.value.problems)


async def test_term_without_latin_letters_has_no_key() -> None:
    with pytest.raises(ValidationError, match="entry key"):
        entry_from_form(
            term="日本語", aliases="", summary="s", definition="", category="general", original=None
        )


# The add/edit form. -----------------------------------------------------------------------


def test_aliases_split_by_commas_or_lines() -> None:
    assert split_aliases(" colab, gcolab ,,colab ") == ("colab", "gcolab")
    assert split_aliases("Hello, world\nhw\n\n") == ("Hello, world", "hw")
    assert split_aliases("") == ()
    assert split_aliases(join_aliases(("a, b", "c"))) == ("a, b", "c")
    assert split_aliases(join_aliases(("a", "b"))) == ("a", "b")


def test_form_builds_a_new_entry_with_a_slug_key() -> None:
    built = entry_from_form(
        term=" Real-Time Voice ",
        aliases="rtvc, realtime",
        summary="Converting\nyour voice live.",
        definition="- low latency\n- needs a GPU",
        category="software",
        original=None,
    )
    assert built.key == "real-time-voice"
    assert built.term == "Real-Time Voice"
    assert built.aliases == ("rtvc", "realtime")
    assert built.summary == "Converting your voice live."
    assert built.category == "software"
    assert len(built.body) == 1


def test_every_shipped_entry_round_trips_through_the_edit_form() -> None:
    entries = yamlio.load_seed()
    assert entries
    for original in entries:
        values = form_defaults(original)
        assert all(len(value) <= limits.TEXT_INPUT_VALUE for value in values.values())
        rebuilt = entry_from_form(**values, category=original.category, original=original)
        assert rebuilt == original, original.key
        check_preview(rebuilt)


def test_form_refuses_an_entry_too_long_for_a_dialog() -> None:
    # Within the glossary's 4500-character budget, but over Discord's 4000 per text input.
    body = tuple(Paragraph(f"{index} " + "w" * 997) for index in range(4))
    long = dataclasses.replace(entry("long", "Long"), body=body)
    with pytest.raises(ValidationError, match="too long to edit"):
        form_defaults(long)


def test_new_names_probe_only_keeps_added_names() -> None:
    original = entry("harvest", "Harvest", "harvest f0")
    assert new_names_probe(dataclasses.replace(original, summary="Changed."), original) is None
    grown = dataclasses.replace(original, aliases=("Harvest-F0", "hvst"))
    probe = new_names_probe(grown, original)
    assert probe is not None
    assert probe.names == ("hvst",)
    assert new_names_probe(original, None) == original


# History, revert, delete and restore. -----------------------------------------------------


async def test_history_records_who_what_and_a_readable_diff(service: GlossaryService) -> None:
    current = service.require("harvest")
    await service.update(
        dataclasses.replace(current, summary="Slow, smooth pitch extraction."),
        BOB,
        expected_version=current.version,
    )
    await service.add_alias("harvest", "hvst", ALICE)
    revisions = await service.history("harvest")
    assert [(rev.action, rev.author_name, rev.version) for rev in revisions] == [
        ("alias", "alice", 3),
        ("edit", "bob", 2),
        ("create", "alice", 1),
    ]
    assert describe_revision(revisions[0], revisions[1]) == ["aliases: + hvst"]
    assert describe_revision(revisions[1], revisions[2]) == [
        "summary: What Harvest means. → Slow, smooth pitch extraction."
    ]
    assert describe_revision(revisions[2], None)[0].startswith("created **Harvest**")


async def test_history_of_an_unknown_entry_is_not_found(service: GlossaryService) -> None:
    with pytest.raises(NotFound):
        await service.history("nothing-here")


async def test_revert_restores_old_content_and_is_findable_at_once(
    service: GlossaryService,
) -> None:
    first = (await service.history("google-colab"))[0]
    await service.rename("google-colab", "Colab", BOB)
    await service.remove_alias("google-colab", "gcolab", BOB)
    assert "gcolab" not in service.require("google-colab").aliases
    reverted = await service.revert("google-colab", first.id, ALICE)
    assert reverted.term == "Google Colab"
    assert reverted.aliases == ("colab", "gcolab")
    assert reverted.version == 4
    assert found(service, "gcolab") == "google-colab"
    latest = (await service.history("google-colab", limit=1))[0]
    assert (latest.action, latest.note, latest.author_name) == (
        "revert",
        f"revert to r{first.id}",
        "alice",
    )


async def test_revert_with_a_stale_version_is_refused(service: GlossaryService) -> None:
    first = (await service.history("rmvpe"))[0]
    seen = service.require("rmvpe")
    await service.add_alias("rmvpe", "rmvpe pitch", BOB)
    with pytest.raises(VersionMoved) as caught:
        await service.revert("rmvpe", first.id, ALICE, expected_version=seen.version)
    assert caught.value.changed_by == "bob"
    assert service.require("rmvpe").aliases == ("rmvpe pitch",)


async def test_soft_delete_hides_and_restore_brings_back(service: GlossaryService) -> None:
    await service.delete("harvest", BOB)
    assert service.get("harvest") is None
    assert found(service, "harvest f0") is None
    deleted = await service.repo.deleted_entries()
    assert [item.key for item in deleted] == ["harvest"]
    restored = await service.restore("harvest", ALICE)
    assert restored.term == "Harvest"
    assert found(service, "harvest f0") == "harvest"
    actions = [rev.action for rev in await service.history("harvest")]
    assert actions == ["restore", "delete", "create"]


async def test_restore_refused_when_a_name_was_taken_meanwhile(service: GlossaryService) -> None:
    await service.delete("harvest", BOB)
    await service.create(entry("harvest-v2", "Harvest"), BOB)
    with pytest.raises(Conflict):
        await service.restore("harvest", ALICE)
    assert service.get("harvest") is None
    assert found(service, "harvest") == "harvest-v2"


async def test_delete_with_a_stale_version_is_refused(service: GlossaryService) -> None:
    seen = service.require("rmvpe")
    await service.add_alias("rmvpe", "rmvpe pitch", BOB)
    with pytest.raises(Conflict):
        await service.delete("rmvpe", ALICE, expected_version=seen.version)
    assert service.get("rmvpe") is not None


# Optimistic concurrency. ------------------------------------------------------------------


async def test_concurrent_edit_is_refused_naming_who_changed_it(service: GlossaryService) -> None:
    opened = service.require("harvest")  # both moderators open the edit form
    await service.update(
        dataclasses.replace(opened, summary="Bob's summary."), BOB, expected_version=opened.version
    )
    with pytest.raises(VersionMoved) as caught:
        await service.update(
            dataclasses.replace(opened, summary="Alice's summary."),
            ALICE,
            expected_version=opened.version,
        )
    moved = caught.value
    assert (moved.changed_by, moved.expected, moved.current) == ("bob", 1, 2)
    assert service.require("harvest").summary == "Bob's summary."


# Aliases and rename. ----------------------------------------------------------------------


async def test_alias_add_and_remove_take_effect_at_once(service: GlossaryService) -> None:
    assert found(service, "crepe pitch") is None
    await service.add_alias("rmvpe", "crepe pitch", ALICE)
    assert found(service, "crepe pitch") == "rmvpe"
    assert [hit.entry.key for hit in service.autocomplete("crepe p")][:1] == ["rmvpe"]
    with pytest.raises(Conflict):
        await service.add_alias("rmvpe", "Crepe-Pitch", ALICE)
    await service.remove_alias("rmvpe", "CREPE PITCH", ALICE)
    assert found(service, "crepe pitch") is None
    with pytest.raises(NotFound):
        await service.remove_alias("rmvpe", "crepe pitch", ALICE)


async def test_alias_taken_by_another_entry_is_a_conflict(service: GlossaryService) -> None:
    with pytest.raises(NameTaken) as caught:
        await service.add_alias("rmvpe", "colab", ALICE)
    assert caught.value.holder_term == "Google Colab"
    assert service.require("rmvpe").aliases == ()


async def test_rename_keeps_the_old_term_as_an_alias(service: GlossaryService) -> None:
    renamed = await service.rename("harvest", "Harvest F0 method", BOB)
    assert renamed.key == "harvest"
    assert "Harvest" in renamed.aliases
    assert found(service, "harvest") == "harvest"
    assert found(service, "harvest f0 method") == "harvest"
    assert diff_entries(
        dataclasses.replace(renamed, term="Harvest", aliases=("harvest f0",)), renamed
    )


# Confusable names. ------------------------------------------------------------------------


async def test_confusable_new_name_gives_a_warning(service: GlossaryService) -> None:
    typo = entry("harvests", "Harvests")
    warnings = service.confusables(typo)
    assert warnings and "Harvest" in warnings[0]
    # Saving anyway is allowed: the warning is advice, not a rule.
    await service.create(typo, ALICE)
    assert found(service, "harvests") == "harvests"


async def test_unchanged_names_do_not_warn_again_on_edit(service: GlossaryService) -> None:
    await service.create(entry("harvests", "Harvests"), ALICE)
    current = service.require("harvests")
    edited = dataclasses.replace(current, summary="Edited.")
    assert service.confusables(edited)  # the whole entry still looks like Harvest
    assert new_names_probe(edited, current) is None  # but the edit adds no new name


# Import. ----------------------------------------------------------------------------------


async def test_import_plan_then_apply_in_one_go(service: GlossaryService) -> None:
    current = {item.key: item for item in service.entries}
    document = yamlio.dump_document(
        [
            dataclasses.replace(current["harvest"], summary="Changed by import."),
            current["rmvpe"],
            entry("crepe", "Crepe", "crepe pitch"),
        ]
    )
    plan = await service.plan_import(document.encode())
    assert (plan.added, plan.changed, plan.removed, plan.unchanged) == (
        ["crepe"],
        ["harvest"],
        ["google-colab"],
        ["rmvpe"],
    )
    assert found(service, "crepe") is None  # a dry run changes nothing
    embed = plan_embed("Import plan", plan)
    assert "**1** added" in (embed.description or "")
    assert [field.name for field in embed.fields] == [
        "Added (1)",
        "Changed (1)",
        "Removed (soft-deleted, restorable) (1)",
    ]
    applied = await service.apply_import(plan, ALICE)
    assert (applied.added, applied.changed, applied.removed) == (
        plan.added,
        plan.changed,
        plan.removed,
    )
    assert found(service, "crepe pitch") == "crepe"
    assert service.require("harvest").summary == "Changed by import."
    assert service.get("google-colab") is None
    assert [item.key for item in await service.repo.deleted_entries()] == ["google-colab"]


async def test_invalid_import_lists_every_problem_and_changes_nothing(
    service: GlossaryService,
) -> None:
    before = await snapshot(service)
    raw = (
        "version: 1\nentries:\n"
        "  - key: good\n    term: Good\n    summary: Fine.\n"
        "  - key: Bad Key\n    term: Bad\n    summary: ''\n"
        "  - key: other\n    term: good\n    summary: Clash.\n"
    )
    with pytest.raises(ValidationError) as caught:
        await service.plan_import(raw)
    problems = "\n".join(caught.value.problems)
    assert "summary is empty" in problems
    assert "'good' is used by both good and other" in problems
    assert await snapshot(service) == before


async def test_failing_import_rolls_back_every_change(service: GlossaryService) -> None:
    before = await snapshot(service)
    # Two new entries claiming the same name: only the database notices, after the
    # removals and writes of this import already ran inside the transaction.
    clash = [entry("one", "One", "shared"), entry("two", "Two", "Shared")]
    plan = await service.repo.plan_import(clash)
    with pytest.raises(Conflict):
        await service.apply_import(plan, ALICE)
    assert await snapshot(service) == before
    assert found(service, "colab") == "google-colab"
    assert found(service, "shared") is None


async def test_import_of_an_export_changes_nothing(service: GlossaryService) -> None:
    plan = await service.plan_import(service.export())
    assert (plan.added, plan.changed, plan.removed) == ([], [], [])
    assert len(plan.entries) == 3


async def test_confirming_a_stale_dry_run_changes_nothing(service: GlossaryService) -> None:
    harvest = service.require("harvest")
    document = yamlio.dump_document(
        [dataclasses.replace(harvest, summary="From the file."), *service.entries[:1]]
    )
    plan = await service.plan_import(document)
    assert plan.changed == ["harvest"]
    theirs = dataclasses.replace(harvest, summary="Another moderator's edit.")
    await service.update(theirs, BOB, expected_version=harvest.version)
    before = await snapshot(service)
    with pytest.raises(StaleImport) as caught:
        await service.apply_import(plan, ALICE)
    assert caught.value.keys == ["harvest"]
    assert await snapshot(service) == before
    assert service.require("harvest").summary == "Another moderator's edit."


async def test_a_deleted_related_entry_blocks_no_save_and_no_import(
    service: GlossaryService,
) -> None:
    harvest = service.require("harvest")
    linked = await service.update(
        dataclasses.replace(harvest, related=("rmvpe",)), ALICE, expected_version=harvest.version
    )
    await service.delete("rmvpe", ALICE)
    # Members never see the dangling key; moderators are told, and may still save.
    assert service.related_entries(linked) == []
    assert service.warnings(linked) == [
        "harvest: related entry `rmvpe` does not exist; it stays hidden until it does"
    ]
    edited = await service.add_alias("harvest", "harvest pitch", ALICE)
    assert edited.related == ("rmvpe",)
    exported = service.export()
    plan = await service.plan_import(exported)
    assert (plan.added, plan.changed, plan.removed) == ([], [], [])
    assert plan.warnings == service.warnings(edited)
    await service.apply_import(plan, ALICE)
    # Restoring the entry brings the link back to life.
    await service.restore("rmvpe", ALICE)
    assert [item.key for item in service.related_entries(service.require("harvest"))] == ["rmvpe"]
    assert service.warnings(service.require("harvest")) == []


async def test_a_new_entry_may_name_a_related_key_that_does_not_exist_yet(
    service: GlossaryService,
) -> None:
    saved = await service.create(
        dataclasses.replace(entry("crepe", "Crepe"), related=("torchcrepe",)), ALICE
    )
    assert saved.related == ("torchcrepe",)
    assert service.related_entries(saved) == []


# Statistics. ------------------------------------------------------------------------------


async def test_stats_helpers_summarise_lookups(tmp_path: Path) -> None:
    repo = await Repository.open(
        tmp_path / "stats.db", clock=lambda: datetime(2024, 5, 14, 12, tzinfo=UTC)
    )
    svc = GlossaryService(repo)
    try:
        await svc.create(entry("harvest", "Harvest"), ALICE)
        for _ in range(3):
            await svc.define("harvest")
        await svc.define("what is a zorblax")
        await svc.flush_usage()
        rows = await repo.daily_counts(14)
        assert stats.totals(rows) == (3, 1)
        assert stats.miss_rate(3, 1) == "25%"
        chart = stats.daily_chart(rows)
        assert chart.splitlines()[-1].startswith("05-14 ████")
        assert len(chart.splitlines()) == 15
        assert stats.ranked_lines(await repo.top_entries(5)) == "1. harvest - 3"
        misses = await repo.top_misses(5)
        assert [normalize(query) for query, _ in misses] == [normalize("what is a zorblax")]
    finally:
        await svc.close()


async def test_a_miss_the_glossary_answers_by_now_leaves_the_queue(
    service: GlossaryService,
) -> None:
    await service.define("zorblax")
    await service.define("zorblax")
    await service.define("qwimble")
    assert [query for query, _ in await service.top_misses(5)] == ["zorblax", "qwimble"]
    # Added without dismissing the miss, as a form submitted after a restart or an import does.
    await service.create(entry("zorblax", "Zorblax"), ALICE)
    assert [query for query, _ in await service.top_misses(5)] == ["qwimble"]
    assert [query for query, _ in (await service.usage(days=14, top=5)).top_misses] == ["qwimble"]


async def test_misses_answered_since_never_crowd_open_ones_out_of_the_queue(
    service: GlossaryService,
) -> None:
    # Members' most frequent misses, each looked up twice; one rarer gap below them.
    answered = [f"zorblax model {n}" for n in range(limits.CHOICES + 50)]
    for query in answered:
        await service.define(query)
        await service.define(query)
    await service.define("qwimble")
    assert ("qwimble", 1) in await service.top_misses(limits.CHOICES + 60)
    # An import (or aliases added by command) answers the frequent ones; nobody dismisses them.
    for start in range(0, len(answered), 25):
        names = answered[start : start + 25]
        await service.create(entry(f"zorblax-{start}", names[0], *names[1:]), ALICE)
    assert all(service.lookup(query).match is not None for query in answered)
    assert service.lookup("qwimble").match is None
    # What /glossary-admin missing shows: the one open gap.
    assert await service.top_misses(limits.CHOICES) == [("qwimble", 1)]


def test_stats_bars_and_empty_cases() -> None:
    assert stats.bar(0, 10, 4) == "····"
    assert stats.bar(1, 100, 4) == "█···"
    assert stats.bar(10, 10, 4) == "████"
    assert stats.miss_rate(0, 0) == "n/a"
    assert stats.ranked_lines([]) == "none yet"
    assert stats.daily_chart([]) == "no data"


async def test_concurrent_edits_are_all_searchable_when_each_returns(
    service: GlossaryService,
) -> None:
    await asyncio.gather(
        service.add_alias("harvest", "harvest pitch", ALICE),
        service.add_alias("rmvpe", "rmvpe pitch", BOB),
        service.rename("google-colab", "Colaboratory", ALICE),
    )
    assert found(service, "harvest pitch") == "harvest"
    assert found(service, "rmvpe pitch") == "rmvpe"
    assert found(service, "colaboratory") == "google-colab"
    assert [hit.entry.key for hit in service.autocomplete("colabor")] == ["google-colab"]
