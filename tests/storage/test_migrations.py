"""Schema migrations: fresh databases, re-opening, atomic failure and too-new schemas."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.storage.db import connect
from bot.storage.migrations import (
    MIGRATIONS,
    MigrationError,
    SchemaTooNew,
    migrate,
    schema_version,
)
from bot.storage.repository import Repository

LATEST = MIGRATIONS[-1][0]
TABLES = {
    "entries",
    "names",
    "revisions",
    "entry_fts",
    "usage",
    "misses",
    "lookups_daily",
    "guild_settings",
    "meta",
    "learned_names",
}


def tables(path: Path) -> set[str]:
    """Return the table names of a database file, read with plain sqlite3."""
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def user_version(path: Path) -> int:
    """Return PRAGMA user_version of a database file."""
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


async def test_connect_creates_parent_dir_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "g.db"
    conn = await connect(path)
    try:
        pragmas = {}
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous"):
            async with conn.execute(f"PRAGMA {name}") as cursor:
                pragmas[name] = (await cursor.fetchone())[0]
    finally:
        await conn.close()
    assert path.exists()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 10000,
        "synchronous": 1,
    }


async def test_migrate_from_empty_creates_every_table(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    conn = await connect(path)
    try:
        version = await migrate(conn)
    finally:
        await conn.close()
    assert version == LATEST
    assert tables(path) >= TABLES
    assert user_version(path) == LATEST


async def test_reopen_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    repo = await Repository.open(path)
    await repo.set_meta("marker", "kept")
    await repo.close()
    repo = await Repository.open(path)
    try:
        assert await repo.get_meta("marker") == "kept"
    finally:
        await repo.close()
    assert user_version(path) == LATEST


async def test_failed_migration_rolls_back_to_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    broken = [
        *MIGRATIONS,
        (LATEST + 1, "CREATE TABLE half (x); INSERT INTO no_such_table VALUES (1);"),
    ]
    conn = await connect(path)
    try:
        with pytest.raises(MigrationError, match=f"migration {LATEST + 1} failed"):
            await migrate(conn, broken)
        assert await schema_version(conn) == LATEST
        assert not conn.in_transaction
    finally:
        await conn.close()
    assert "half" not in tables(path)
    assert tables(path) >= TABLES


async def test_failed_first_migration_leaves_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    broken = [(1, "CREATE TABLE a (x); CREATE TABLE b (y); CREATE TABLE a (z);")]
    conn = await connect(path)
    try:
        with pytest.raises(MigrationError):
            await migrate(conn, broken)
    finally:
        await conn.close()
    assert tables(path) == set()
    assert user_version(path) == 0


async def test_newer_schema_is_refused_with_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 5")
    with pytest.raises(SchemaTooNew) as caught:
        await Repository.open(path)
    assert caught.value.message == (
        f"database schema v5 is newer than this bot understands (v{LATEST}); upgrade the bot"
    )


async def test_two_processes_opening_a_fresh_file_at_once_both_succeed(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    first, second = await asyncio.gather(Repository.open(path), Repository.open(path))
    try:
        assert await first.is_empty()
        assert await second.is_empty()
    finally:
        await first.close()
        await second.close()
    assert user_version(path) == LATEST


async def test_v1_database_converts_to_a_rowid_keyed_search_index(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    conn = await connect(path)
    try:
        await migrate(conn, MIGRATIONS[:1])
        await conn.execute(
            "INSERT INTO entries (key, term, content_json, category, version, created_at, "
            "updated_at) VALUES ('hags', 'HAGS', '{}', 'general', 1, 'now', 'now')"
        )
        await conn.execute(
            "INSERT INTO entry_fts (key, term, aliases, summary, body) "
            "VALUES ('hags', 'HAGS', '', 'Hardware scheduling', 'Turn it off.')"
        )
        assert await migrate(conn) == LATEST
        async with conn.execute(
            "SELECT f.key, e.key FROM entry_fts f JOIN entries e ON e.fts_rowid = f.rowid "
            "WHERE entry_fts MATCH 'scheduling'"
        ) as cursor:
            rows = [tuple(row) for row in await cursor.fetchall()]
    finally:
        await conn.close()
    assert rows == [("hags", "hags")]
