"""Opening a database: create only where no file is, refuse what is not ours, notice a swap."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import pytest

from bot.services.glossary import GlossaryService
from bot.storage import db
from bot.storage.db import DatabaseMissing, DatabaseReplaced, StoreError
from bot.storage.migrations import MIGRATIONS
from bot.storage.repository import Repository
from tests.storage.conftest import make_entry


def corrupt_table(path: Path, table: str) -> None:
    """Overwrite the root page of `table` with garbage, as a failing disk would."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
    conn.close()
    with path.open("r+b") as handle:
        handle.seek((root[0] - 1) * page_size)
        handle.write(b"\xff" * page_size)


async def create(path: Path) -> None:
    """Create and seed a database the way the bot's first start does."""
    service = await GlossaryService.open(path)
    await service.close()


async def test_a_new_file_is_created_and_seeded_once(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    service = await GlossaryService.open(path)
    try:
        assert service.repo.created
        assert len(service.entries) > 20
        assert not await service.repo.seed_pending()
    finally:
        await service.close()
    again = await GlossaryService.open(path)
    try:
        assert not again.repo.created
        assert len(again.entries) == len(service.entries)
    finally:
        await again.close()


async def test_an_emptied_database_is_not_seeded_again(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    repo = await Repository.open(path)
    await repo.clear_seed_pending()
    await repo.close()
    service = await GlossaryService.open(path)
    try:
        assert service.entries == []
    finally:
        await service.close()


async def test_a_missing_file_is_not_created_when_only_reading(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    with pytest.raises(DatabaseMissing, match=r"no glossary database at .*typo\.db"):
        await Repository.open(path, create=False)
    assert not path.exists()


@pytest.mark.parametrize("create_flag", [True, False])
async def test_an_empty_file_is_refused_and_left_alone(tmp_path: Path, create_flag: bool) -> None:
    path = tmp_path / "g.db"
    path.touch()
    with pytest.raises(StoreError, match="is an empty file, not a glossary database"):
        await Repository.open(path, create=create_flag)
    assert path.stat().st_size == 0


async def test_a_database_whose_tables_are_gone_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    await create(path)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE revisions")
        conn.execute("DROP TABLE entries")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"has lost its tables \(entries, revisions\)"):
        await GlossaryService.open(path)
    assert path.read_bytes() == before


async def test_another_programs_database_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a glossary database"):
        await GlossaryService.open(path)
    assert path.read_bytes() == before


async def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory, not a database file"):
        await Repository.open(tmp_path)


async def test_corrupt_pages_are_refused_with_the_way_back(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    await create(path)
    corrupt_table(path, "entries")
    with pytest.raises(StoreError) as caught:
        await GlossaryService.open(path)
    assert "is corrupt" in caught.value.message
    assert "restore a backup (README: Data, backups and restore)" in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_write_after_the_file_was_swapped_is_refused(
    tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "g.db"
    await create(path)
    service = await GlossaryService.open(path)
    try:
        version = service.require("kaggle").version
        if how == "deleted":
            path.unlink()
        else:
            other = tmp_path / "other.db"
            await create(other)
            os.replace(other, path)
        with caplog.at_level(logging.ERROR), pytest.raises(DatabaseReplaced):
            await service.repo.update_entry(
                make_entry("kaggle", "Kaggle"),
                expected_version=version,
                author_id=1,
                author_name="mod",
            )
        assert "deleted or replaced while the bot runs" in caplog.text
    finally:
        await service.close()


async def test_a_write_to_the_same_file_is_still_accepted(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    repo = await Repository.open(path)
    try:
        await repo.set_meta("marker", "kept")
        assert await repo.get_meta("marker") == "kept"
    finally:
        await repo.close()


async def test_a_read_only_open_needs_no_write_access(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    await create(path)
    service = await GlossaryService.open(path, create=False, read_only=True)
    try:
        assert service.lookup("kaggle").match is not None
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await service.repo.set_meta("marker", "x")
    finally:
        await service.close()


async def test_a_read_only_open_refuses_a_database_that_needs_a_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.db"
    await create(path)
    latest = MIGRATIONS[-1][0]
    monkeypatch.setattr(db, "MIGRATIONS", [*MIGRATIONS, (latest + 1, "CREATE TABLE later (x);")])
    before = path.read_bytes()
    with pytest.raises(
        StoreError, match=rf"needs an upgrade \(schema v{latest} to v{latest + 1}\)"
    ):
        await Repository.open(path, create=False, read_only=True)
    assert path.read_bytes() == before


async def test_an_integrity_check_over_its_budget_is_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "g.db"
    await create(path)
    # A budget already spent, and the clock read at every step: the check must give up.
    monkeypatch.setattr(db, "INTEGRITY_BUDGET_SECONDS", -1.0)
    monkeypatch.setattr(db, "PROGRESS_STEPS", 1)
    with caplog.at_level(logging.WARNING):
        service = await GlossaryService.open(path)
    try:
        assert service.get("kaggle") is not None
    finally:
        await service.close()
    assert f"Integrity check of {path} skipped" in caplog.text
