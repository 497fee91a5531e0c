"""Numbered schema migrations tracked with PRAGMA user_version."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import aiosqlite

from bot.glossary.models import GlossaryError

Migration = tuple[int, str]

_V1 = """
CREATE TABLE entries (
    key TEXT PRIMARY KEY,
    term TEXT NOT NULL,
    content_json TEXT NOT NULL,
    category TEXT NOT NULL,
    autoreply INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER,
    updated_by_name TEXT NOT NULL DEFAULT '',
    deleted_at TEXT,
    deleted_by INTEGER
);

-- One row per normalised term/alias of a live entry: the primary key is the uniqueness rule.
CREATE TABLE names (
    norm TEXT PRIMARY KEY,
    entry_key TEXT NOT NULL REFERENCES entries(key) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('term', 'alias'))
);
CREATE INDEX names_entry_key ON names(entry_key);

CREATE TABLE revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    snapshot_json TEXT,
    author_id INTEGER,
    author_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (entry_key, version)
);

CREATE VIRTUAL TABLE entry_fts USING fts5(
    key UNINDEXED, term, aliases, summary, body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE usage (
    entry_key TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entry_key, day)
);

CREATE TABLE misses (
    norm TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    dismissed_at TEXT
);

CREATE TABLE lookups_daily (
    day TEXT PRIMARY KEY,
    hits INTEGER NOT NULL DEFAULT 0,
    misses INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE guild_settings (
    guild_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    value_json TEXT NOT NULL,
    PRIMARY KEY (guild_id, name)
);

CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# v2: key the full-text index by a stable integer so replacing one entry touches one row.
# v1 searched `key UNINDEXED` to delete a row, a scan of the whole index per write, which made
# an import quadratic. The implicit rowid of `entries` may change on VACUUM, hence a column.
_V2 = """
ALTER TABLE entries ADD COLUMN fts_rowid INTEGER;
UPDATE entries SET fts_rowid = rowid;
CREATE UNIQUE INDEX entries_fts_rowid ON entries(fts_rowid);

CREATE VIRTUAL TABLE entry_fts_v2 USING fts5(
    key UNINDEXED, term, aliases, summary, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO entry_fts_v2 (rowid, key, term, aliases, summary, body)
    SELECT e.fts_rowid, f.key, f.term, f.aliases, f.summary, f.body
    FROM entry_fts f JOIN entries e ON e.key = f.key;
DROP TABLE entry_fts;
ALTER TABLE entry_fts_v2 RENAME TO entry_fts;
"""

# v3: which entry members opened after a lookup missed: the evidence for a new alias.
_V3_LEARNED = """
CREATE TABLE learned_names (
    norm TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    query TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    dismissed_at TEXT,
    PRIMARY KEY (norm, entry_key)
);
"""

MIGRATIONS: list[Migration] = [(1, _V1), (2, _V2), (3, _V3_LEARNED)]


class SchemaTooNew(GlossaryError):
    """The database was written by a newer bot than this one."""


class MigrationError(GlossaryError):
    """A migration failed and was rolled back."""


async def schema_version(conn: aiosqlite.Connection) -> int:
    """Return the database's PRAGMA user_version."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Apply every pending migration, each atomically, and return the resulting version."""
    ordered = sorted(migrations)
    latest = ordered[-1][0] if ordered else 0
    current = await schema_version(conn)
    if current > latest:
        raise SchemaTooNew(
            f"database schema v{current} is newer than this bot understands (v{latest}); "
            "upgrade the bot"
        )
    for version, sql in ordered:
        if version <= current:
            continue
        # executescript commits any open transaction first, so BEGIN must live inside the script.
        script = f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {int(version)};\nCOMMIT;\n"
        try:
            await conn.executescript(script)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            # Another process may have applied this very migration while we waited for the lock.
            current = await schema_version(conn)
            if current >= version:
                continue
            raise MigrationError(f"migration {version} failed and was rolled back: {exc}") from exc
        current = version
    return current
