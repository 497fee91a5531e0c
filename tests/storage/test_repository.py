"""Repository behaviour on real database files: entries, revisions, names, import, search."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.glossary.models import (
    Conflict,
    DuplicateKeys,
    Entry,
    EntryMissing,
    KeyTaken,
    NameTaken,
    NotDeleted,
    NotFound,
    RevisionMissing,
    Snippet,
    StaleImport,
    VersionMoved,
)
from bot.glossary.usage import UsageBuffer
from bot.storage.repository import ImportPlan, Repository
from tests.storage.conftest import make_entry


async def record_use(repo: Repository, key: str) -> None:
    """Count one use of `key`, as the service's batched flush would."""
    await repo.record_counts({key: 1}, {})


async def record_miss(repo: Repository, query: str) -> None:
    """Count one missed lookup, as the service's batched flush would."""
    usage = UsageBuffer()
    usage.miss(query)
    pending = usage.drain()
    await repo.record_counts(pending.uses, pending.misses)


MOD = {"author_id": 42, "author_name": "mod"}
NOON = datetime(2024, 5, 10, 12, 0, 0, tzinfo=UTC)


class Clock:
    """A settable clock so day boundaries are under the test's control."""

    def __init__(self, now: datetime = NOON) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Return every row of every content table, for before/after comparisons."""
    with sqlite3.connect(path) as conn:
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall())
            for table in ("entries", "names", "revisions", "entry_fts")
        }


# -- seeding ------------------------------------------------------------------------------


async def test_seed_fills_an_empty_store_with_seed_revisions(repo: Repository) -> None:
    count = await repo.seed([make_entry("colab"), make_entry("rvc")])
    assert count == 2
    assert [e.key for e in await repo.list_entries()] == ["colab", "rvc"]
    [revision] = await repo.history("colab")
    assert (revision.action, revision.author_name, revision.version) == ("seed", "seed", 1)


async def test_second_seed_inserts_nothing_and_keeps_edits(repo: Repository) -> None:
    await repo.seed([make_entry("colab")])
    edited = replace(make_entry("colab"), summary="Edited by a moderator.")
    await repo.update_entry(edited, expected_version=1, **MOD)
    assert await repo.seed([make_entry("colab"), make_entry("rvc")]) == 0
    stored = await repo.get_entry("colab")
    assert stored is not None and stored.summary == "Edited by a moderator."
    assert await repo.get_entry("rvc") is None


async def test_seed_skips_when_only_deleted_entries_exist(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.delete_entry("colab", **MOD)
    assert not await repo.is_empty()
    assert await repo.seed([make_entry("rvc")]) == 0


# -- create / update / delete / restore / revert -------------------------------------------


async def test_create_sets_version_one_and_metadata(repo: Repository) -> None:
    created = await repo.create_entry(make_entry("colab", "Google Colab", "colab"), **MOD)
    assert created == make_entry("colab", "Google Colab", "colab")
    assert (created.version, created.updated_by) == (1, 42)
    assert created.updated_at is not None and created.updated_at.endswith("+00:00")
    assert datetime.fromisoformat(created.updated_at).microsecond == 0


async def test_create_writes_a_revision_with_who_when_and_snapshot(repo: Repository) -> None:
    entry = make_entry("colab")
    await repo.create_entry(entry, author_id=7, author_name="ann", note="first")
    [revision] = await repo.history("colab")
    assert (revision.action, revision.author_id, revision.author_name) == ("create", 7, "ann")
    assert (revision.version, revision.note, revision.snapshot) == (1, "first", entry)
    assert revision.created_at


async def test_create_with_existing_key_conflicts(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    with pytest.raises(KeyTaken) as caught:
        await repo.create_entry(make_entry("colab", "Other"), **MOD)
    assert (caught.value.key, caught.value.deleted) == ("colab", False)


async def test_create_with_deleted_key_conflicts(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.delete_entry("colab", **MOD)
    with pytest.raises(KeyTaken) as caught:
        await repo.create_entry(make_entry("colab"), **MOD)
    assert (caught.value.key, caught.value.deleted) == ("colab", True)


async def test_names_collide_after_normalisation(repo: Repository) -> None:
    await repo.create_entry(make_entry("google-colab", "Google Colab", "Colab"), **MOD)
    with pytest.raises(NameTaken) as caught:
        await repo.create_entry(make_entry("colab-pro", "Colab Pro", "colab!"), **MOD)
    taken = caught.value
    assert (taken.name, taken.holder_key, taken.holder_term) == (
        "colab!",
        "google-colab",
        "Google Colab",
    )
    assert await repo.get_entry("colab-pro") is None


async def test_alias_equal_to_own_term_is_not_a_conflict(repo: Repository) -> None:
    created = await repo.create_entry(make_entry("rvc", "RVC", "rvc", "R.V.C"), **MOD)
    assert created.aliases == ("rvc", "R.V.C")


async def test_update_bumps_version_and_records_revision(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    changed = replace(make_entry("colab"), summary="New summary.")
    updated = await repo.update_entry(
        changed, expected_version=1, author_id=9, author_name="bob", note="typo"
    )
    assert (updated.version, updated.summary, updated.updated_by) == (2, "New summary.", 9)
    newest = (await repo.history("colab"))[0]
    assert (newest.action, newest.version, newest.author_name, newest.note) == (
        "edit",
        2,
        "bob",
        "typo",
    )
    assert newest.snapshot == changed


async def test_update_with_stale_version_names_the_other_author(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.update_entry(
        replace(make_entry("colab"), summary="Alice's."),
        expected_version=1,
        author_id=1,
        author_name="alice",
    )
    with pytest.raises(VersionMoved) as caught:
        await repo.update_entry(
            replace(make_entry("colab"), summary="Bob's."),
            expected_version=1,
            author_id=2,
            author_name="bob",
        )
    stored = await repo.get_entry("colab")
    assert stored is not None and stored.summary == "Alice's."
    moved = caught.value
    assert (moved.key, moved.expected, moved.current) == ("colab", 1, 2)
    assert (moved.changed_by, moved.changed_at) == ("alice", stored.updated_at)


async def test_update_replaces_names(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab", "Colab", "gcolab"), **MOD)
    await repo.update_entry(make_entry("colab", "Colab", "collab"), expected_version=1, **MOD)
    # The dropped alias is free for another entry now.
    await repo.create_entry(make_entry("other", "Other", "gcolab"), **MOD)
    with pytest.raises(NameTaken) as caught:
        await repo.create_entry(make_entry("third", "Third", "Collab"), **MOD)
    assert caught.value.holder_term == "Colab"


async def test_update_of_missing_entry_is_not_found(repo: Repository) -> None:
    with pytest.raises(EntryMissing) as caught:
        await repo.update_entry(make_entry("nope"), expected_version=1, **MOD)
    assert caught.value.key == "nope"


async def test_update_of_deleted_entry_is_not_found(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.delete_entry("colab", **MOD)
    with pytest.raises(NotFound):
        await repo.update_entry(make_entry("colab"), expected_version=2, **MOD)


async def test_delete_hides_entry_and_frees_names(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab", "Colab"), **MOD)
    deleted = await repo.delete_entry("colab", author_id=5, author_name="del")
    assert deleted.version == 2
    assert await repo.get_entry("colab") is None
    assert await repo.get_entry("colab", include_deleted=True) == make_entry("colab", "Colab")
    assert [e.key for e in await repo.deleted_entries()] == ["colab"]
    assert await repo.list_entries() == []
    await repo.create_entry(make_entry("colab-2", "Colab"), **MOD)


async def test_delete_records_revision_with_snapshot(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.delete_entry("colab", author_id=5, author_name="del")
    newest = (await repo.history("colab"))[0]
    assert (newest.action, newest.author_id, newest.version) == ("delete", 5, 2)
    assert newest.snapshot == make_entry("colab")


async def test_delete_with_stale_version_conflicts(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.update_entry(make_entry("colab", "Colab!"), expected_version=1, **MOD)
    with pytest.raises(VersionMoved) as caught:
        await repo.delete_entry("colab", expected_version=1, **MOD)
    assert caught.value.changed_by == MOD["author_name"]
    assert await repo.get_entry("colab") is not None


async def test_restore_brings_entry_back_with_revision(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.delete_entry("colab", **MOD)
    restored = await repo.restore_entry("colab", author_id=3, author_name="res")
    assert restored.version == 3
    assert await repo.get_entry("colab") == make_entry("colab")
    assert (await repo.history("colab"))[0].action == "restore"
    assert await repo.search("colab") != []


async def test_restore_conflicts_when_name_was_taken_meanwhile(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab", "Colab"), **MOD)
    await repo.delete_entry("colab", **MOD)
    await repo.create_entry(make_entry("colab-new", "COLAB"), **MOD)
    with pytest.raises(NameTaken) as caught:
        await repo.restore_entry("colab", **MOD)
    assert (caught.value.name, caught.value.holder_key) == ("Colab", "colab-new")
    assert await repo.get_entry("colab") is None
    assert await repo.count_revisions("colab") == 2


async def test_revert_writes_old_content_as_new_version(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.update_entry(replace(make_entry("colab"), summary="v2"), expected_version=1, **MOD)
    first = (await repo.history("colab"))[-1]
    reverted = await repo.revert_entry("colab", first.id, expected_version=2, **MOD)
    assert (reverted, reverted.version) == (make_entry("colab"), 3)
    newest = (await repo.history("colab"))[0]
    assert (newest.action, newest.note) == ("revert", f"revert to r{first.id}")


async def test_revert_undeletes_a_deleted_entry(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.delete_entry("colab", **MOD)
    first = (await repo.history("colab"))[-1]
    await repo.revert_entry("colab", first.id, expected_version=None, **MOD)
    assert await repo.get_entry("colab") == make_entry("colab")


async def test_revert_conflicts_on_taken_name(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab", "Colab", "gc"), **MOD)
    await repo.update_entry(make_entry("colab", "Colab"), expected_version=1, **MOD)
    await repo.create_entry(make_entry("gc", "GC"), **MOD)
    first = (await repo.history("colab"))[-1]
    with pytest.raises(NameTaken) as caught:
        await repo.revert_entry("colab", first.id, expected_version=2, **MOD)
    assert (caught.value.name, caught.value.holder_term) == ("gc", "GC")
    assert (await repo.get_entry("colab")).version == 2  # type: ignore[union-attr]


async def test_revert_to_revision_of_another_entry_is_not_found(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.create_entry(make_entry("rvc"), **MOD)
    rvc_revision = (await repo.history("rvc"))[0]
    with pytest.raises(RevisionMissing) as caught:
        await repo.revert_entry("colab", rvc_revision.id, expected_version=None, **MOD)
    assert (caught.value.key, caught.value.revision_id, caught.value.empty) == (
        "colab",
        rvc_revision.id,
        False,
    )


async def test_restore_of_a_live_entry_is_refused(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    with pytest.raises(NotDeleted) as caught:
        await repo.restore_entry("colab", **MOD)
    assert caught.value.key == "colab"
    with pytest.raises(EntryMissing):
        await repo.restore_entry("nope", **MOD)


async def test_history_is_newest_first_and_pages(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    for version in range(1, 5):
        await repo.update_entry(
            replace(make_entry("colab"), summary=f"s{version}"), expected_version=version, **MOD
        )
    assert [r.version for r in await repo.history("colab", limit=2)] == [5, 4]
    assert [r.version for r in await repo.history("colab", limit=2, offset=2)] == [3, 2]
    assert await repo.count_revisions("colab") == 5


async def test_list_entries_fills_uses(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.record_counts({"colab": 2}, {})
    [entry] = await repo.list_entries()
    assert entry.uses == 2


# -- import --------------------------------------------------------------------------------


async def import_all(repo: Repository, entries: list[Entry]) -> ImportPlan:
    """Plan an import of `entries` and apply it at once."""
    return await repo.apply_import(await repo.plan_import(entries), **MOD)


async def test_plan_import_classifies_keys(repo: Repository) -> None:
    await repo.seed([make_entry("a"), make_entry("b"), make_entry("c")])
    incoming = [make_entry("a"), replace(make_entry("b"), summary="changed"), make_entry("d")]
    plan = await repo.plan_import(incoming)
    assert plan == ImportPlan(added=["d"], changed=["b"], removed=["c"], unchanged=["a"])
    assert [e.key for e in await repo.list_entries()] == ["a", "b", "c"]


async def test_plan_import_without_remove_missing_removes_nothing(repo: Repository) -> None:
    await repo.seed([make_entry("a"), make_entry("c")])
    plan = await repo.plan_import([make_entry("a")], remove_missing=False)
    assert plan.removed == []


async def test_apply_import_makes_store_match(repo: Repository) -> None:
    await repo.seed([make_entry("a"), make_entry("b"), make_entry("c")])
    incoming = [make_entry("a"), replace(make_entry("b"), summary="changed"), make_entry("d")]
    plan = await import_all(repo, incoming)
    assert plan == ImportPlan(added=["d"], changed=["b"], removed=["c"], unchanged=["a"])
    assert await repo.list_entries() == sorted(incoming, key=lambda e: e.key)
    assert [await repo.count_revisions(k) for k in "abcd"] == [1, 2, 2, 1]
    assert {(await repo.history(k))[0].action for k in "bcd"} == {"import"}


async def test_import_restores_a_soft_deleted_key_as_added(repo: Repository) -> None:
    await repo.create_entry(make_entry("a"), **MOD)
    await repo.delete_entry("a", **MOD)
    plan = await import_all(repo, [make_entry("a")])
    assert plan.added == ["a"]
    restored = await repo.get_entry("a")
    assert restored is not None and restored.version == 3


async def test_import_may_move_an_alias_between_entries(repo: Repository) -> None:
    await repo.seed([make_entry("a", "A", "shared"), make_entry("b", "B")])
    await import_all(repo, [make_entry("a", "A"), make_entry("b", "B", "Shared")])
    with pytest.raises(NameTaken) as caught:
        await repo.create_entry(make_entry("c", "C", "shared"), **MOD)
    assert caught.value.holder_key == "b"


async def test_failed_import_leaves_database_exactly_as_before(
    repo: Repository, db_path: Path
) -> None:
    await repo.seed([make_entry("a", "A"), make_entry("b", "B"), make_entry("c", "C")])
    before = snapshot(db_path)
    # "d" and "e" both claim "dup": the collision is found only after earlier writes happened.
    incoming = [
        replace(make_entry("a", "A"), summary="changed"),
        make_entry("d", "D", "dup"),
        make_entry("e", "E", "DUP!"),
    ]
    with pytest.raises(Conflict):
        await import_all(repo, incoming)
    assert snapshot(db_path) == before


async def test_import_with_duplicate_keys_is_rejected(repo: Repository) -> None:
    with pytest.raises(DuplicateKeys) as caught:
        await import_all(repo, [make_entry("a"), make_entry("a")])
    assert caught.value.keys == ["a"]
    assert await repo.is_empty()


async def test_stale_plan_is_refused_naming_what_changed(repo: Repository) -> None:
    await repo.seed([make_entry("a"), make_entry("b"), make_entry("c")])
    plan = await repo.plan_import([replace(make_entry("a"), summary="mine"), make_entry("b")])
    a = await repo.get_entry("a")
    assert a is not None
    await repo.update_entry(replace(a, summary="theirs"), expected_version=a.version, **MOD)
    await repo.delete_entry("c", **MOD)
    await repo.create_entry(make_entry("z"), **MOD)
    before = await repo.list_entries(include_deleted=True)
    with pytest.raises(StaleImport) as caught:
        await repo.apply_import(plan, **MOD)
    assert caught.value.keys == ["a", "c", "z"]
    assert isinstance(caught.value, Conflict)
    after = await repo.list_entries(include_deleted=True)
    assert [(e, e.version) for e in after] == [(e, e.version) for e in before]


async def test_unchanged_plan_applies_the_entries_it_was_made_with(repo: Repository) -> None:
    await repo.seed([make_entry("a"), make_entry("b")])
    plan = await repo.plan_import([replace(make_entry("a"), summary="mine")])
    await repo.set_meta("unrelated", "writes do not make a plan stale")
    await repo.apply_import(plan, **MOD)
    assert [(e.key, e.summary) for e in await repo.list_entries()] == [("a", "mine")]


async def test_search_row_follows_each_edit_and_delete(repo: Repository) -> None:
    await repo.seed([make_entry("a", "Alpha"), make_entry("b", "Beta")])
    a = await repo.get_entry("a")
    assert a is not None
    await repo.update_entry(replace(a, summary="zebra stripes"), expected_version=1, **MOD)
    assert [key for key, _ in await repo.search("zebra")] == ["a"]
    await import_all(repo, [make_entry("b", "Beta"), make_entry("c", summary="zebra crossing")])
    assert [key for key, _ in await repo.search("zebra")] == ["c"]
    await repo.restore_entry("a", **MOD)
    assert sorted(key for key, _ in await repo.search("zebra")) == ["a", "c"]
    assert await repo.count_search("longer text") == 3


# -- concurrency ---------------------------------------------------------------------------


async def test_two_repositories_writing_at_once_both_succeed(db_path: Path) -> None:
    first = await Repository.open(db_path, clock=Clock())
    second = await Repository.open(db_path, clock=Clock())
    try:
        writes = [
            repo.create_entry(make_entry(f"{name}-{n}"), author_id=n, author_name=name)
            for n in range(25)
            for name, repo in (("one", first), ("two", second))
        ]
        writes += [record_use(repo, "x") for repo in (first, second) for _ in range(25)]
        await asyncio.gather(*writes)
        assert len(await first.list_entries()) == 50
        assert (await second.daily_counts(1))[0][1] == 50
    finally:
        await first.close()
        await second.close()


# -- search --------------------------------------------------------------------------------


async def test_search_ranks_term_matches_first(repo: Repository) -> None:
    await repo.seed(
        [
            make_entry("pitch", "Pitch", summary="How high a voice sounds."),
            make_entry("f0", "F0", summary="The fundamental frequency, i.e. the pitch."),
        ]
    )
    results = await repo.search("pitch")
    assert [key for key, _ in results] == ["pitch", "f0"]
    snippet = results[1][1]
    assert [snippet.text[start:end] for start, end in snippet.matches] == ["pitch"]
    assert "**" not in snippet.text and "\x02" not in snippet.text
    assert await repo.count_search("pitch") == 2


async def test_search_marks_every_matched_word_and_nothing_else(repo: Repository) -> None:
    await repo.seed(
        [make_entry("f0", "F0", summary="Pitch is **not** loudness; pitch tracks the voice.")]
    )
    [(_, snippet)] = await repo.search("pitch")
    assert snippet.text == "Pitch is **not** loudness; pitch tracks the voice."
    assert snippet.matches == ((0, 5), (27, 32))
    assert await repo.search("") == []
    assert Snippet("plain").matches == ()


async def test_search_prefix_matches_last_word(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab", "Google Colab"), **MOD)
    assert [key for key, _ in await repo.search("goog")] == ["colab"]


async def test_search_skips_deleted_entries(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.delete_entry("colab", **MOD)
    assert await repo.search("colab") == []


async def test_search_follows_updates(repo: Repository) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    await repo.update_entry(
        replace(make_entry("colab"), summary="Runs notebooks."), expected_version=1, **MOD
    )
    assert await repo.count_search("notebooks") == 1
    assert await repo.count_search("means") == 0


@pytest.mark.parametrize("text", ["", '"', "AND OR NOT", "*", "col:", "🎤🔥", "NEAR(a b)", "^-"])
async def test_search_with_hostile_input_does_not_raise(repo: Repository, text: str) -> None:
    await repo.create_entry(make_entry("colab"), **MOD)
    assert isinstance(await repo.search(text), list)
    assert isinstance(await repo.count_search(text), int)


async def test_search_ignores_operator_words_as_operators(repo: Repository) -> None:
    await repo.create_entry(make_entry("x", "X", summary="this and that"), **MOD)
    assert [key for key, _ in await repo.search("this AND that")] == ["x"]


# -- usage and misses ----------------------------------------------------------------------


async def test_record_miss_counts_by_normalised_query(repo: Repository) -> None:
    usage = UsageBuffer()
    for query in ("So-VITS", "so vits!", "crepe", "   "):
        usage.miss(query)
    pending = usage.drain()
    await repo.record_counts(pending.uses, pending.misses)
    assert await repo.top_misses() == [("so vits!", 2), ("crepe", 1)]


async def test_dismissed_miss_disappears_until_it_happens_again(repo: Repository) -> None:
    await record_miss(repo, "crepe")
    await record_miss(repo, "crepe")
    assert await repo.dismiss_miss("CREPE")
    assert await repo.top_misses() == []
    await record_miss(repo, "crepe")
    assert await repo.top_misses() == [("crepe", 1)]


async def test_daily_counts_cover_each_day_oldest_first(db_path: Path) -> None:
    clock = Clock(NOON - timedelta(days=1))
    repo = await Repository.open(db_path, clock=clock)
    try:
        await record_use(repo, "colab")
        clock.now = NOON
        await record_use(repo, "colab")
        await record_miss(repo, "nothing")
        assert await repo.daily_counts(3) == [
            ("2024-05-08", 0, 0),
            ("2024-05-09", 1, 0),
            ("2024-05-10", 1, 1),
        ]
    finally:
        await repo.close()


async def test_top_entries_and_popularity(repo: Repository) -> None:
    await repo.seed([make_entry("a"), make_entry("b")])
    for key in ("a", "b", "b"):
        await record_use(repo, key)
    assert await repo.top_entries() == [("b", 2), ("a", 1)]
    assert await repo.popularity() == {"a": 1, "b": 2}


# -- settings, meta, backup ----------------------------------------------------------------


async def test_settings_round_trip_per_guild(repo: Repository) -> None:
    await repo.set_setting(1, "channels", [10, 20])
    await repo.set_setting(1, "autoreply", False)
    await repo.set_setting(2, "autoreply", True)
    assert await repo.get_setting(1, "channels", []) == [10, 20]
    assert await repo.get_setting(1, "missing", "dflt") == "dflt"
    assert await repo.guild_settings(1) == {"autoreply": False, "channels": [10, 20]}


async def test_meta_round_trip(repo: Repository) -> None:
    assert await repo.get_meta("k") is None
    await repo.set_meta("k", "v1")
    await repo.set_meta("k", "v2")
    assert await repo.get_meta("k") == "v2"


async def test_backup_opens_with_same_entries(repo: Repository, tmp_path: Path) -> None:
    await repo.seed([make_entry("a"), make_entry("b")])
    dest = tmp_path / "backups" / "copy.db"
    await repo.backup(dest)
    await repo.create_entry(make_entry("after"), **MOD)
    copy = await Repository.open(dest)
    try:
        assert [e.key for e in await copy.list_entries()] == ["a", "b"]
    finally:
        await copy.close()


async def test_reads_do_not_wait_for_a_write_in_progress(repo: Repository) -> None:
    await repo.seed([make_entry("a", summary="zebra stripes")])
    inside, release = asyncio.Event(), asyncio.Event()

    async def long_write() -> None:
        async with repo._write() as conn:
            await conn.execute("UPDATE entries SET version = 7 WHERE key = 'a'")
            inside.set()
            await release.wait()

    writer = asyncio.create_task(long_write())
    await inside.wait()
    try:
        # A hang guard only: with reads behind the write lock these would never finish.
        found = await asyncio.wait_for(repo.search("zebra"), timeout=30)
        entry = await asyncio.wait_for(repo.get_entry("a"), timeout=30)
    finally:
        release.set()
        await writer
    assert [key for key, _ in found] == ["a"]
    assert entry is not None and entry.version == 1  # the uncommitted write is not seen
    changed = await repo.get_entry("a")
    assert changed is not None and changed.version == 7
