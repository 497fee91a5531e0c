"""The shared plumbing of the store: one connection, one lock, one transaction helper."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.db import (
    BUSY_TIMEOUT_MS,
    RESTORE_HINT,
    SEED_PENDING,
    DatabaseReplaced,
    FileId,
    connect,
    file_id,
    sqlite_uri,
)

log = logging.getLogger(__name__)

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
        identity: FileId | None = None,
        read_only: bool = False,
        immutable: bool = False,
        created: bool = False,
    ) -> None:
        self._conn = conn
        self.path = Path(path)
        self._clock = clock
        # The file this connection opened: a write is only acknowledged while it is still there.
        self._identity = identity
        self.read_only = read_only
        self.immutable = immutable
        self.created = created
        # One connection serves every coroutine: the lock keeps a reader from seeing another
        # coroutine's uncommitted transaction and two writers from nesting BEGINs.
        self._lock = asyncio.Lock()
        self._reader: aiosqlite.Connection | None = None

    async def open_reader(self) -> None:
        """Serve reads from a second, read-only connection.

        In WAL mode its reads never wait for a write, however long (a 50,000-entry import).
        """
        if str(self.path) != ":memory:":
            self._reader = await connect(
                self.path, read_only=True, immutable=self.immutable, create=False, wal=False
            )

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
                self._check_same_file()
            except BaseException:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    def _check_same_file(self) -> None:
        """Refuse to commit when the database file was deleted or replaced since opening."""
        if self._identity is None or file_id(self.path) == self._identity:
            return
        # SQLite would happily commit into the unlinked file: the change would vanish at restart.
        log.error(
            "The database file %s was deleted or replaced while the bot runs; refusing writes "
            "until a restart (if it was lost, %s)",
            self.path,
            RESTORE_HINT,
        )
        raise DatabaseReplaced(
            "The glossary database file was deleted or replaced while the bot runs, so this "
            "change was not saved. Ask the bot's operator to check the file and restart the bot."
        )

    async def seed_pending(self) -> bool:
        """Return True while a database this bot created still waits for its seed glossary."""
        async with self._read():
            row = await self._one("SELECT 1 FROM meta WHERE name = ?", (SEED_PENDING,))
        return row is not None

    async def clear_seed_pending(self) -> None:
        """Mark the seed glossary as loaded."""
        async with self._write() as conn:
            await conn.execute("DELETE FROM meta WHERE name = ?", (SEED_PENDING,))

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
        await asyncio.to_thread(_backup_file, self.path, dest, immutable=self.immutable)


def _backup_file(source: Path, dest: Path, *, immutable: bool = False) -> None:
    """Copy `source` to `dest` with SQLite's online backup API, replacing `dest` atomically."""
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    # Made here rather than by SQLite, so an unwritable destination fails with its real cause.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        _copy_database(source, partial, immutable=immutable)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    # Left by someone who opened an earlier backup: stale WAL frames must not meet the new file.
    for suffix in ("-wal", "-shm"):
        dest.with_name(dest.name + suffix).unlink(missing_ok=True)
    # A crash mid-copy leaves only the .partial file; the previous backup stays intact.
    os.replace(partial, dest)


def _copy_database(source: Path, dest: Path, *, immutable: bool) -> None:
    """Copy `source` into the empty file `dest` as one self-contained database file."""
    # Only reading the source: a read-only copy or mount can be backed up too.
    src = sqlite3.connect(
        sqlite_uri(source, "ro", immutable=immutable),
        uri=True,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
            # No -wal beside a backup to lose when it is copied elsewhere.
            out.execute("PRAGMA journal_mode = DELETE")
        finally:
            out.close()
    finally:
        src.close()
