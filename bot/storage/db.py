"""Open SQLite connections configured the way every part of the bot expects.

`open_database` is the one gate in front of a glossary file: it creates a new database only
where no file exists, refuses anything that is not this bot's database (an empty file, lost
tables, another program's file, corrupt pages) with one line naming the cause, and opens
read-only databases for the commands that only read.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import secrets
import sqlite3
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiosqlite

from bot.glossary.models import GlossaryError
from bot.storage.migrations import MIGRATIONS, migrate, schema_version

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
# quick_check reads every page; on a huge file give up rather than delay start-up for minutes.
INTEGRITY_BUDGET_SECONDS = 5.0
# SQLite virtual-machine steps between two looks at the clock during the check.
PROGRESS_STEPS = 10_000
SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every version of the schema has; a file without them is not (or no longer) ours.
CORE_TABLES = frozenset({"entries", "names", "revisions", "meta", "guild_settings"})
SEED_PENDING = "seed_pending"
RESTORE_HINT = "restore a backup (README: Data, backups and restore)"

FileId = tuple[int, int]


class StoreError(GlossaryError):
    """The database cannot be used as asked; the message names the file and the cause."""


class DatabaseMissing(StoreError):
    """A command that only reads found no database file where GLOSSARY_DB points."""


class DatabaseReplaced(StoreError):
    """The database file was deleted or replaced after the bot opened it."""


@dataclass(frozen=True, slots=True)
class Opened:
    """A checked connection and what opening it found out."""

    conn: aiosqlite.Connection
    created: bool
    read_only: bool
    immutable: bool
    file_id: FileId | None


def file_id(path: Path) -> FileId | None:
    """Return the (device, inode) identity of the file at `path`, or None if it is gone."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def sqlite_uri(path: Path, mode: str, *, immutable: bool = False) -> str:
    """Return the SQLite URI that opens `path` with `mode`: ro, rw, or rwc (may create it)."""
    query = f"?mode={mode}"
    if immutable:
        # No -shm file can be made next to it (a read-only folder): read the file as it is.
        query += "&immutable=1"
    return "file:" + quote(str(path.absolute())) + query


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


async def _use_wal(conn: aiosqlite.Connection) -> None:
    """Switch to WAL with the durability the bot wants from it."""
    await _enable_wal(conn)
    await conn.execute("PRAGMA synchronous = NORMAL")


async def _raw_connect(database: str, *, uri: bool) -> aiosqlite.Connection:
    """Connect with aiosqlite; on failure wait for its worker thread before raising."""
    pending = aiosqlite.connect(database, isolation_level=None, uri=uri)
    try:
        return await pending
    except BaseException:
        # The worker thread still has to report its shutdown to this loop; if the loop closes
        # first, the thread dies with "RuntimeError: Event loop is closed" on the terminal.
        await asyncio.to_thread(pending._thread.join, 5)
        raise


async def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    immutable: bool = False,
    wal: bool = True,
    create: bool = True,
) -> aiosqlite.Connection:
    """Open the database at `path` with the bot's pragmas (WAL if writable and `wal`)."""
    if str(path) == ":memory:":
        conn = await _raw_connect(":memory:", uri=False)
    else:
        path = Path(path)
        if create and not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        mode = "ro" if read_only else "rwc" if create else "rw"
        conn = await _raw_connect(sqlite_uri(path, mode, immutable=immutable), uri=True)
    try:
        conn.row_factory = sqlite3.Row
        # busy_timeout first, so switching to WAL waits for a concurrent opener.
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not read_only and wal:
            await _use_wal(conn)
        await conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        await conn.close()
        raise
    return conn


def os_cause(exc: OSError) -> str:
    """Return the reason of an OS error in plain words ("permission denied", ...)."""
    if exc.errno is not None and exc.errno in errno.errorcode:
        return os.strerror(exc.errno).lower()
    return exc.strerror or str(exc) or type(exc).__name__


def _check_existing(path: Path, *, read_only: bool) -> None:
    """Refuse a path that is not a readable SQLite file (and writable unless `read_only`)."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise StoreError(f"database {path}: is a directory, not a database file")
        if not stat.S_ISREG(st.st_mode):
            raise StoreError(f"database {path}: not a regular file")
        if st.st_size == 0:
            raise StoreError(
                f"database {path}: is an empty file, not a glossary database; point "
                "GLOSSARY_DB at your database or remove the file so the bot can create one"
            )
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if not read_only:
            # Opening read-write here names the real cause (permissions, read-only mount).
            os.close(os.open(path, os.O_RDWR))
    except OSError as exc:
        raise StoreError(f"database {path}: {os_cause(exc)}") from None
    if header != SQLITE_HEADER:
        raise StoreError(f"database {path}: not a SQLite database, so not this bot's glossary")
    if not read_only and not os.access(path.parent, os.W_OK | os.X_OK):
        raise StoreError(
            f"database {path}: permission denied on its folder {path.parent} "
            "(the bot writes its -wal and -shm files there)"
        )


async def _create(path: Path) -> bool:
    """Build a new database beside `path` and move it in only if no file exists there yet.

    The file appears whole (schema and the seed-pending mark) or not at all, so a second
    process never meets a half-made database, and a file it did not make is never seeded.
    Return False when another process created the file first.
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.new")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {os_cause(exc)}") from None
    try:
        conn = await connect(temp)
        try:
            await migrate(conn)
            await conn.execute("INSERT INTO meta (name, value) VALUES (?, '1')", (SEED_PENDING,))
        finally:
            await conn.close()
        try:
            # link, unlike rename, fails when the name exists: never replace someone's file.
            os.link(temp, path)
        except FileExistsError:
            return False
        except OSError as exc:
            raise StoreError(f"cannot create database {path}: {os_cause(exc)}") from None
        return True
    finally:
        for leftover in (
            temp,
            temp.with_name(temp.name + "-wal"),
            temp.with_name(temp.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)


def is_glossary_database(path: Path) -> bool:
    """Return True if `path` is a SQLite file holding this bot's tables (a backup, say)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return False
        conn = sqlite3.connect(sqlite_uri(path, "ro"), uri=True)
        try:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return False
    return {row[0] for row in rows} >= CORE_TABLES


async def _tables(conn: aiosqlite.Connection) -> set[str]:
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def check_integrity(conn: aiosqlite.Connection, path: Path) -> None:
    """Refuse a database with corrupt pages; give up quietly if the check runs too long."""
    deadline = time.monotonic() + INTEGRITY_BUDGET_SECONDS
    await conn.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)
    try:
        async with conn.execute("PRAGMA quick_check(5)") as cursor:
            rows = [str(row[0]) for row in await cursor.fetchall()]
    except sqlite3.OperationalError as exc:
        if "interrupted" not in str(exc):
            raise
        log.warning(
            "Integrity check of %s skipped: it took over %.0f s", path, INTEGRITY_BUDGET_SECONDS
        )
        return
    finally:
        await conn.set_progress_handler(lambda: 0, 0)  # n=0 removes the handler
    if rows == ["ok"]:
        return
    # SQLite heads its report with "*** in database main ***": the first finding says enough.
    findings = [line for row in rows for line in row.splitlines() if not line.startswith("***")]
    first = findings[0] if findings else "quick_check failed"
    raise StoreError(f"database {path} is corrupt ({first}); stop the bot and {RESTORE_HINT}")


async def _prepare(conn: aiosqlite.Connection, path: Path, *, read_only: bool) -> None:
    """Check this is a whole, healthy glossary database; if writable, switch to WAL and migrate.

    Nothing is written before every check has passed: a file that is not ours stays as it was.
    """
    version = await schema_version(conn)
    latest = max(number for number, _ in MIGRATIONS)
    if version == 0:
        raise StoreError(
            f"database {path}: not a glossary database (it has no glossary tables); "
            "point GLOSSARY_DB at your database"
        )
    if version > latest:
        await migrate(conn)  # raises SchemaTooNew, writing nothing
    missing = CORE_TABLES - await _tables(conn)
    if missing:
        raise StoreError(
            f"database {path} has lost its tables ({', '.join(sorted(missing))}); {RESTORE_HINT}"
        )
    if version < latest and read_only:
        raise StoreError(
            f"database {path} needs an upgrade (schema v{version} to v{latest}), which a "
            "read-only database cannot take; run the bot once with write access to it"
        )
    await check_integrity(conn, path)
    if not read_only:
        await _use_wal(conn)
        await migrate(conn)


def _open_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """Return a one-line explanation of a SQLite error met while opening `path`."""
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return StoreError(
            f"database {path} is not a usable SQLite database ({text}); {RESTORE_HINT}"
        )
    if "readonly" in text:
        return StoreError(f"database {path}: read-only, and this command needs to write to it")
    return StoreError(f"database {path}: {text}")


async def _connect_read(path: Path, *, read_only: bool, immutable: bool) -> aiosqlite.Connection:
    """Connect and read the schema version once, so a file SQLite cannot read fails here."""
    # No WAL switch yet and no creating: nothing may be written before the checks pass.
    conn = await connect(path, read_only=read_only, immutable=immutable, wal=False, create=False)
    try:
        await schema_version(conn)
    except BaseException:
        await conn.close()
        raise
    return conn


async def _connect_checked(path: Path, *, read_only: bool) -> tuple[aiosqlite.Connection, bool]:
    """Connect to an existing file; return the connection and whether it is immutable."""
    try:
        return await _connect_read(path, read_only=read_only, immutable=False), False
    except sqlite3.Error as exc:
        # Reading a WAL file needs a -shm file beside it, which a read-only folder cannot hold.
        if not (read_only and ("unable to open" in str(exc) or "readonly" in str(exc))):
            raise _open_error(path, exc) from None
    try:
        return await _connect_read(path, read_only=True, immutable=True), True
    except sqlite3.Error as exc:
        raise _open_error(path, exc) from None


async def open_database(path: str | Path, *, create: bool, read_only: bool = False) -> Opened:
    """Open a glossary database, creating it only if `create` and no file exists."""
    path = Path(path)
    created = False
    try:
        exists = path.exists() or path.is_symlink()
    except OSError as exc:
        raise StoreError(f"database {path}: {os_cause(exc)}") from None
    if not exists:
        if not create:
            raise DatabaseMissing(
                f"no glossary database at {path.absolute()}: check GLOSSARY_DB "
                "(`run` and `import` create a new one)"
            )
        created = await _create(path)
    _check_existing(path, read_only=read_only)
    conn, immutable = await _connect_checked(path, read_only=read_only)
    try:
        await _prepare(conn, path, read_only=read_only)
    except sqlite3.Error as exc:
        await conn.close()
        raise _open_error(path, exc) from None
    except BaseException:
        await conn.close()
        raise
    if created:
        log.info("Created a new glossary database at %s", path.absolute())
    return Opened(conn, created, read_only, immutable, file_id(path))
