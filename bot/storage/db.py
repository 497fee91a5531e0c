"""Open SQLite connections configured the way every part of the bot expects."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import aiosqlite

BUSY_TIMEOUT_MS = 10_000


async def _enable_wal(conn: aiosqlite.Connection) -> None:
    """Switch to WAL, retrying while another process holds the lock the switch needs."""
    # Changing the journal mode can fail with SQLITE_BUSY without consulting the busy
    # handler, e.g. when two processes open a brand-new file at the same moment.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Open the database at `path` in WAL mode with foreign keys and explicit transactions."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: the sqlite3 module must not open transactions behind our back;
    # writers issue BEGIN IMMEDIATE themselves so a second process waits instead of failing.
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        # busy_timeout first, so switching to WAL waits for a concurrent opener.
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await _enable_wal(conn)
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        await conn.close()
        raise
    return conn
