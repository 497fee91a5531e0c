"""Imports at scale on real SQLite files: correctness only, never speed."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

from benchmarks.bench_import_data import synthetic_entry, synthetic_glossary
from bot.glossary import yamlio
from bot.glossary.models import Entry
from bot.services.glossary import CLI_ACTOR, GlossaryService
from bot.storage.repository import ImportPlan, Repository

COUNT = 20_000


async def import_entries(repo: Repository, entries: list[Entry]) -> ImportPlan:
    """Plan and apply entries on the store, as the service does, without building indexes."""
    plan = await repo.plan_import(entries)
    await repo.apply_import(plan, author_id=CLI_ACTOR.id, author_name=CLI_ACTOR.name)
    return plan


def parse(raw: str) -> list[Entry]:
    """Return the entries of a document as an import reads it."""
    return yamlio.load_document(raw, max_bytes=yamlio.MAX_CLI_DOCUMENT_BYTES)


def count_rows(path: Path, sql: str) -> int:
    """Return the single number a query on the database file gives."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute(sql).fetchone()[0])


async def test_twenty_thousand_entries_export_and_import_unchanged(tmp_path: Path) -> None:
    # At the store: the matcher is built once, at the end, where lookups are checked.
    entries = synthetic_glossary(COUNT, body_words=5)
    first = await Repository.open(tmp_path / "first.db")
    try:
        plan = await import_entries(first, entries)
        assert len(plan.added) == COUNT and plan.warnings == []
        exported = yamlio.dump_document(await first.list_entries())
    finally:
        await first.close()

    path = tmp_path / "second.db"
    second = await Repository.open(path)
    try:
        # The round trip: the canonical export, parsed as `import` does, into a new store.
        await import_entries(second, parse(exported))
        # The export is a function of the entries: equal entries, byte-identical exports.
        assert await second.list_entries() == sorted(entries, key=lambda entry: entry.key)

        # One change, one removal and one addition touch exactly those rows.
        edited = dataclasses.replace(entries[0], summary="Quokka summary, edited.")
        gone = entries[COUNT // 2]
        newcomer = synthetic_entry(COUNT, COUNT + 1, body_words=5)
        changed = [edited, *(e for e in entries[1:] if e is not gone), newcomer]
        plan = await import_entries(second, changed)
        assert (plan.added, plan.changed, plan.removed) == (
            [newcomer.key],
            [edited.key],
            [gone.key],
        )
        assert len(plan.unchanged) == COUNT - 2
    finally:
        await second.close()
    assert count_rows(path, "SELECT count(*) FROM revisions") == COUNT + 3
    assert count_rows(path, "SELECT count(*) FROM entry_fts") == COUNT
    assert count_rows(path, "SELECT count(DISTINCT fts_rowid) FROM entries") == COUNT + 1

    service = await GlossaryService.open(path, create=False)
    try:
        assert service.require(edited.key).summary == "Quokka summary, edited."
        assert service.lookup(newcomer.term).match is not None
        assert service.get(gone.key) is None
        assert [entry.key for entry, _ in await service.search("quokka")] == [edited.key]
        assert service.lookup(entries[-1].term).match is not None
        assert len(service.entries) == COUNT
    finally:
        await service.close()
