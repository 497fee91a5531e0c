"""Imports at scale on real SQLite files: correctness only, never speed."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

from benchmarks.bench_import_data import fast_dump, synthetic_entry, synthetic_glossary
from bot.glossary import yamlio
from bot.glossary.service import CLI_ACTOR, GlossaryService
from bot.storage.repository import Repository

COUNT = 20_000


async def open_service(path: Path) -> GlossaryService:
    """Return a service on a new, empty database file."""
    service = GlossaryService(await Repository.open(path))
    await service.refresh()
    return service


def count_rows(path: Path, sql: str) -> int:
    """Return the single number a query on the database file gives."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute(sql).fetchone()[0])


async def test_twenty_thousand_entries_export_and_import_unchanged(tmp_path: Path) -> None:
    entries = synthetic_glossary(COUNT, body_words=5)
    first = await open_service(tmp_path / "first.db")
    try:
        plan = await first.plan_import(fast_dump(entries), max_bytes=yamlio.MAX_CLI_DOCUMENT_BYTES)
        assert len(plan.added) == COUNT and plan.warnings == []
        await first.apply_import(plan, CLI_ACTOR)
        exported = await first.export_document()
    finally:
        await first.close()

    path = tmp_path / "second.db"
    second = await open_service(path)
    try:
        plan = await second.plan_import(exported, max_bytes=yamlio.MAX_CLI_DOCUMENT_BYTES)
        await second.apply_import(plan, CLI_ACTOR)
        # The export is a function of the entries: equal entries, byte-identical exports.
        assert second.entries == sorted(entries, key=lambda entry: entry.key)

        # One change, one removal and one addition touch exactly those rows.
        last, gone = entries[-1], entries[COUNT // 2]
        edited = dataclasses.replace(entries[0], summary="Quokka summary, edited.")
        newcomer = synthetic_entry(COUNT, COUNT + 1, body_words=5)
        changed = [edited, *(e for e in entries[1:] if e is not gone), newcomer]
        plan = await second.plan_import(fast_dump(changed), max_bytes=yamlio.MAX_CLI_DOCUMENT_BYTES)
        assert (plan.added, plan.changed, plan.removed) == (
            [newcomer.key],
            [edited.key],
            [gone.key],
        )
        assert len(plan.unchanged) == COUNT - 2
        await second.apply_import(plan, CLI_ACTOR)
        assert second.require(edited.key).summary == "Quokka summary, edited."
        assert second.lookup(newcomer.term).match is not None
        assert second.get(gone.key) is None
        assert [entry.key for entry, _ in await second.search("quokka")] == [edited.key]
        assert second.lookup(last.term).match is not None
    finally:
        await second.close()
    assert count_rows(path, "SELECT count(*) FROM revisions") == COUNT + 3
    assert count_rows(path, "SELECT count(*) FROM entry_fts") == COUNT
    assert count_rows(path, "SELECT count(DISTINCT fts_rowid) FROM entries") == COUNT + 1
