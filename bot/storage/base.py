"""The shared plumbing of the store: one connection, one lock, one transaction helper."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.db import BUSY_TIMEOUT_MS, connect

# The connection a coroutine reads with while inside `_read()`; unset means the writer's.
_READING: ContextVar[aiosqlite.Connection | None] = ContextVar("_READING", default=None)


def utc_now() -> datetime:
    """Return the current UTC time."""
    return datetime.now(UTC)


class StoreBase:
    """A connection to one database file and the helpers every query uses."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        path: str | Path,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._conn = conn
        self.path = Path(path)
        self._clock = clock
        # One connection serves every coroutine: the lock keeps a reader from seeing another
        # coroutine's uncommitted transaction and two writers from nesting BEGINs.
        self._lock = asyncio.Lock()
        self._reader: aiosqlite.Connection | None = None

    async def open_reader(self) -> None:
        """Serve reads from a second, read-only connection: in WAL mode they never wait for
        a write, however long (a 50,000-entry import), to commit."""
        if str(self.path) != ":memory:":
            self._reader = await connect(self.path)
            await self._reader.execute("PRAGMA query_only = ON")

    async def close_reader(self) -> None:
        """Close the read-only connection, if open."""
        if self._reader is not None:
            await self._reader.close()
            self._reader = None

    def _now(self) -> str:
        """Return the current time as an ISO-8601 UTC string with seconds."""
        return self._clock().astimezone(UTC).isoformat(timespec="seconds")

    def _today(self) -> str:
        """Return today's UTC date as YYYY-MM-DD."""
        return self._clock().astimezone(UTC).date().isoformat()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the body in one IMMEDIATE transaction, rolled back whole on any error."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Give the body the read-only connection, or the shared one while no write runs."""
        if self._reader is None:
            async with self._lock:
                yield self._conn
            return
        token = _READING.set(self._reader)
        try:
            yield self._reader
        finally:
            _READING.reset(token)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Return every row of a query (caller is inside `_read()` or `_write()`)."""
        async with (_READING.get() or self._conn).execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """Return the first row of a query, or None (caller is inside `_read()` or `_write()`)."""
        async with (_READING.get() or self._conn).execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def backup(self, dest: str | Path) -> None:
        """Write a consistent copy of the database to `dest` without blocking other writers."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(_backup_file, self.path, dest)


def _backup_file(source: Path, dest: Path) -> None:
    """Copy `source` to `dest` with SQLite's online backup API, replacing `dest` atomically."""
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        out = sqlite3.connect(partial)
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()
    # A crash mid-copy leaves only the .partial file; the previous backup stays intact.
    os.replace(partial, dest)
