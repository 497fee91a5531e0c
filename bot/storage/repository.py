"""The glossary store: entries, names, revisions, search, statistics and settings in SQLite.

Every write runs inside `_write()` (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error), so
a failed operation leaves the database exactly as it was. Callers only see model objects.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.gcpause import paused_gc
from bot.glossary.codec import entry_from_dict, entry_to_dict
from bot.glossary.models import (
    DuplicateKeys,
    Entry,
    EntryMissing,
    KeyTaken,
    NameTaken,
    NotDeleted,
    Revision,
    RevisionMissing,
    Snippet,
    StaleImport,
    VersionMoved,
)
from bot.glossary.text import normalize
from bot.slices import empty
from bot.storage.base import utc_now
from bot.storage.db import open_database
from bot.storage.settings import SettingsQueries
from bot.storage.usage import UsageQueries

# Column lists are constants interpolated into SQL (hence the S608 waivers); values never are.
_ENTRY_COLUMNS = (
    "e.key, e.content_json, e.version, e.updated_by, e.updated_by_name, e.updated_at, "
    "e.deleted_at, e.fts_rowid, "
    "COALESCE((SELECT SUM(u.count) FROM usage u WHERE u.entry_key = e.key), 0) AS uses"
)
_ENTRY_INSERT = (
    "INSERT INTO entries (key, term, content_json, category, autoreply, version, created_at, "
    "updated_at, updated_by, updated_by_name, fts_rowid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_FTS_INSERT = (
    "INSERT INTO entry_fts (rowid, key, term, aliases, summary, body) VALUES (?, ?, ?, ?, ?, ?)"
)
_REVISION_INSERT = (
    "INSERT INTO revisions (entry_key, version, action, snapshot_json, author_id, author_name, "
    "created_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_NAME_INSERT = "INSERT INTO names (norm, entry_key, name, kind) VALUES (?, ?, ?, ?)"
_REVISION_COLUMNS = (
    "id, entry_key, version, action, snapshot_json, author_id, author_name, created_at, note"
)


@dataclass
class ImportPlan:
    """Keys an import adds (or restores), changes, soft-deletes and leaves alone.

    A plan also carries the entries it imports and the version of every live entry when it
    was made: applying it writes exactly these entries, and only if no entry changed since.
    """

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list, repr=False, compare=False)
    versions: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    warnings: list[str] = field(default_factory=list, compare=False)


def stale_keys(planned: dict[str, int], live: dict[str, int]) -> list[str]:
    """Return the keys whose live version differs from the one a plan saw, sorted."""
    return sorted(key for key in planned.keys() | live.keys() if planned.get(key) != live.get(key))


def _content_json(entry: Entry) -> str:
    """Return the canonical JSON of an entry's content."""
    return json.dumps(entry_to_dict(entry), ensure_ascii=False)


def _strings(data: Any) -> Iterable[str]:
    """Yield every string value nested in plain data, in order."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list | tuple):
        for item in data:
            yield from _strings(item)


def _fts_values(entry: Entry, rowid: int) -> tuple[int, str, str, str, str, str]:
    """Return the search row of an entry: rowid, key, term, aliases, summary, body text."""
    body = entry_to_dict(entry).get("body", [])
    return (
        rowid,
        entry.key,
        entry.term,
        "\n".join(entry.aliases),
        entry.summary,
        "\n".join(_strings(body)),
    )


def _name_rows(entry: Entry) -> list[tuple[str, str, str]]:
    """Return (norm, name, kind) for each distinct non-empty normalised name of an entry."""
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for index, name in enumerate(entry.names):
        norm = normalize(name)
        # An alias equal to the term (after normalising) is redundant, not a conflict.
        if norm and norm not in seen:
            seen.add(norm)
            rows.append((norm, name, "term" if index == 0 else "alias"))
    return rows


# What FTS5's snippet() puts around each matched word: control characters, which the schema
# keeps out of every entry, so they can only be these marks.
_MATCH_START, _MATCH_END = "\x02", "\x03"
_MATCH_MARK = re.compile("([\x02\x03])")


def _snippet(marked: str) -> Snippet:
    """Return a snippet() result as plain text and the positions of the matched words."""
    text: list[str] = []
    matches: list[tuple[int, int]] = []
    size = start = 0
    for piece in _MATCH_MARK.split(marked):
        if piece == _MATCH_START:
            start = size
        elif piece == _MATCH_END:
            matches.append((start, size))
        else:
            text.append(piece)
            size += len(piece)
    return Snippet("".join(text), tuple(matches))


def fts_query(text: str) -> str:
    """Return a safe FTS5 query for user text: quoted tokens, the last one a prefix; may be ''."""
    tokens = normalize(text).split()
    if not tokens:
        return ""
    quoted = ['"' + token.replace('"', '""') + '"' for token in tokens]
    # Prefix on the last token so a half-typed word still finds something.
    quoted[-1] += "*"
    return " ".join(quoted)


class Repository(UsageQueries, SettingsQueries):
    """Async access to one glossary database file: entries, names, revisions and search."""

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        clock: Callable[[], datetime] = utc_now,
        create: bool = True,
        read_only: bool = False,
    ) -> Repository:
        """Open the database (creating it if `create` and absent) with its schema up to date."""
        opened = await open_database(path, create=create, read_only=read_only)
        repo = cls(
            opened.conn,
            path,
            clock=clock,
            identity=opened.file_id,
            read_only=opened.read_only,
            immutable=opened.immutable,
            created=opened.created,
        )
        try:
            await repo.open_reader()
        except BaseException:
            await repo.close()
            raise
        return repo

    async def close(self) -> None:
        """Close the connections."""
        await self.close_reader()
        await self._conn.close()

    @staticmethod
    def _entry(row: sqlite3.Row) -> Entry:
        """Return the entry stored in a row selected with _ENTRY_COLUMNS."""
        return entry_from_dict(
            {**json.loads(row["content_json"]), "key": row["key"]},
            version=row["version"],
            updated_by=row["updated_by"],
            updated_at=row["updated_at"],
            uses=int(row["uses"]),
        )

    @staticmethod
    def _revision(row: sqlite3.Row) -> Revision:
        """Return the revision stored in a row selected with _REVISION_COLUMNS."""
        snapshot = None
        if row["snapshot_json"] is not None:
            snapshot = entry_from_dict(
                json.loads(row["snapshot_json"]),
                version=row["version"],
                updated_by=row["author_id"],
                updated_at=row["created_at"],
            )
        return Revision(
            id=row["id"],
            entry_key=row["entry_key"],
            version=row["version"],
            action=row["action"],
            snapshot=snapshot,
            author_id=row["author_id"],
            author_name=row["author_name"],
            created_at=row["created_at"],
            note=row["note"],
        )

    async def _fetch(self, key: str) -> sqlite3.Row | None:
        """Return the stored row of `key`, live or deleted."""
        return await self._one(
            f"SELECT {_ENTRY_COLUMNS} FROM entries e WHERE e.key = ?",  # noqa: S608
            (key,),
        )

    async def _fetch_live(self, key: str) -> sqlite3.Row:
        """Return the row of a live entry, or raise NotFound."""
        row = await self._fetch(key)
        if row is None or row["deleted_at"] is not None:
            raise EntryMissing(key)
        return row

    @staticmethod
    def _check_version(row: sqlite3.Row, expected: int | None) -> None:
        """Raise VersionMoved, naming the last author, if the stored version is not `expected`."""
        if expected is not None and row["version"] != expected:
            raise VersionMoved(
                row["key"], expected, row["version"], row["updated_by_name"], row["updated_at"]
            )

    async def _check_name(self, norm: str, name: str, key: str) -> None:
        """Raise NameTaken if an entry other than `key` holds the normalised name."""
        holder = await self._one(
            "SELECT e.key, e.term FROM names n JOIN entries e ON e.key = n.entry_key "
            "WHERE n.norm = ? AND n.entry_key != ?",
            (norm, key),
        )
        if holder is not None:
            raise NameTaken(name, holder["key"], holder["term"])

    async def _insert_names(self, entry: Entry) -> None:
        """Claim every name of `entry`, raising NameTaken if another live entry holds one."""
        for norm, name, kind in _name_rows(entry):
            await self._check_name(norm, name, entry.key)
            await self._conn.execute(_NAME_INSERT, (norm, entry.key, name, kind))

    async def _delete_names(self, key: str) -> None:
        """Release every name of `key`."""
        await self._conn.execute("DELETE FROM names WHERE entry_key = ?", (key,))

    async def _fts_put(self, entry: Entry, rowid: int) -> None:
        """Replace the search row `rowid` with the content of `entry`."""
        await self._fts_delete(rowid)
        await self._conn.execute(_FTS_INSERT, _fts_values(entry, rowid))

    async def _fts_delete(self, rowid: int) -> None:
        """Drop one search row; by rowid, so it costs the same at any glossary size."""
        await self._conn.execute("DELETE FROM entry_fts WHERE rowid = ?", (rowid,))

    async def _next_fts_rowid(self) -> int:
        """Return a search rowid no entry uses yet."""
        row = await self._one("SELECT COALESCE(MAX(fts_rowid), 0) + 1 FROM entries")
        assert row is not None
        return int(row[0])

    async def _add_revision(
        self,
        entry: Entry,
        version: int,
        action: str,
        author_id: int | None,
        author_name: str,
        note: str = "",
    ) -> None:
        """Record a full snapshot of `entry` as revision `version`."""
        await self._conn.execute(
            _REVISION_INSERT,
            (
                entry.key,
                version,
                action,
                _content_json(entry),
                author_id,
                author_name,
                self._now(),
                note,
            ),
        )

    async def _insert_new(
        self,
        entry: Entry,
        action: str,
        author_id: int | None,
        author_name: str,
        note: str = "",
        *,
        names: bool = True,
        updated_at: str | None = None,
    ) -> None:
        """Insert a brand-new live entry at version 1 with its names, search row and revision."""
        now = updated_at or self._now()
        rowid = await self._next_fts_rowid()
        await self._conn.execute(
            _ENTRY_INSERT,
            (
                entry.key,
                entry.term,
                _content_json(entry),
                entry.category,
                int(entry.autoreply),
                1,
                now,
                now,
                author_id,
                author_name,
                rowid,
            ),
        )
        if names:
            await self._insert_names(entry)
        await self._fts_put(entry, rowid)
        await self._add_revision(entry, 1, action, author_id, author_name, note)

    async def _store_live(
        self,
        entry: Entry,
        row: sqlite3.Row,
        action: str,
        author_id: int | None,
        author_name: str,
        note: str = "",
        *,
        names: bool = True,
    ) -> None:
        """Overwrite an existing row with live content as its next version (undeleting it)."""
        version = row["version"] + 1
        await self._conn.execute(
            "UPDATE entries SET term = ?, content_json = ?, category = ?, autoreply = ?, "
            "version = ?, updated_at = ?, updated_by = ?, updated_by_name = ?, "
            "deleted_at = NULL, deleted_by = NULL WHERE key = ?",
            (
                entry.term,
                _content_json(entry),
                entry.category,
                int(entry.autoreply),
                version,
                self._now(),
                author_id,
                author_name,
                entry.key,
            ),
        )
        if names:
            await self._delete_names(entry.key)
            await self._insert_names(entry)
        await self._fts_put(entry, row["fts_rowid"])
        await self._add_revision(entry, version, action, author_id, author_name, note)

    async def _soft_delete(
        self, row: sqlite3.Row, action: str, author_id: int | None, author_name: str
    ) -> None:
        """Mark a live row deleted, release its names and search row, and record it."""
        entry = self._entry(row)
        version = row["version"] + 1
        now = self._now()
        await self._conn.execute(
            "UPDATE entries SET version = ?, updated_at = ?, updated_by = ?, "
            "updated_by_name = ?, deleted_at = ?, deleted_by = ? WHERE key = ?",
            (version, now, author_id, author_name, now, author_id, entry.key),
        )
        await self._delete_names(entry.key)
        await self._fts_delete(row["fts_rowid"])
        await self._add_revision(entry, version, action, author_id, author_name)

    async def _get(self, key: str, *, include_deleted: bool = False) -> Entry | None:
        """Return an entry by key (caller holds the lock or a transaction)."""
        row = await self._fetch(key)
        if row is None or (row["deleted_at"] is not None and not include_deleted):
            return None
        return self._entry(row)

    async def _entry_or_fail(self, key: str) -> Entry:
        """Return an entry just written in this transaction."""
        entry = await self._get(key, include_deleted=True)
        assert entry is not None
        return entry

    # -- entries --------------------------------------------------------------------------

    async def is_empty(self) -> bool:
        """Return True when the store holds no entries at all, deleted ones included."""
        async with self._read():
            return await self._one("SELECT 1 FROM entries LIMIT 1") is None

    async def seed(self, entries: Iterable[Entry], *, author_name: str = "seed") -> int:
        """Insert `entries` only into an empty store, in one transaction; return how many.

        An entry that carries an `updated_at` (the seed document's own date) keeps it.
        """
        entries = list(entries)
        async with self._write():
            # Checked inside the transaction: a second process starting at once must not seed too.
            if await self._one("SELECT 1 FROM entries LIMIT 1") is not None:
                return 0
            _reject_duplicate_keys(entries)
            for entry in entries:
                await self._insert_new(
                    entry, "seed", None, author_name, updated_at=entry.updated_at
                )
        return len(entries)

    async def get_entry(self, key: str, *, include_deleted: bool = False) -> Entry | None:
        """Return the entry with `key`, or None."""
        async with self._read():
            return await self._get(key, include_deleted=include_deleted)

    async def list_entries(self, *, include_deleted: bool = False) -> list[Entry]:
        """Return entries sorted by key, with version, author, time and use count filled."""
        where = "" if include_deleted else "WHERE e.deleted_at IS NULL"
        async with self._read():
            rows = await self._all(
                f"SELECT {_ENTRY_COLUMNS} FROM entries e {where} ORDER BY e.key"  # noqa: S608
            )
        # Decoding tens of thousands of entries would stall the event loop for a second.
        return await asyncio.to_thread(self._entries_of, rows)

    @classmethod
    @paused_gc()
    def _entries_of(cls, rows: list[sqlite3.Row]) -> list[Entry]:
        """Return the entries stored in rows (in a worker thread)."""
        return [cls._entry(row) for row in rows]

    async def deleted_entries(self) -> list[Entry]:
        """Return soft-deleted entries, most recently deleted first."""
        async with self._read():
            rows = await self._all(
                f"SELECT {_ENTRY_COLUMNS} FROM entries e "  # noqa: S608
                "WHERE e.deleted_at IS NOT NULL ORDER BY e.deleted_at DESC, e.key"
            )
        return [self._entry(row) for row in rows]

    async def create_entry(
        self,
        entry: Entry,
        *,
        author_id: int | None,
        author_name: str,
        action: str = "create",
        note: str = "",
    ) -> Entry:
        """Insert a new entry at version 1; KeyTaken or NameTaken if its key or a name is taken."""
        async with self._write():
            existing = await self._fetch(entry.key)
            if existing is not None:
                raise KeyTaken(entry.key, deleted=existing["deleted_at"] is not None)
            await self._insert_new(entry, action, author_id, author_name, note)
            return await self._entry_or_fail(entry.key)

    async def update_entry(
        self,
        entry: Entry,
        *,
        expected_version: int,
        author_id: int | None,
        author_name: str,
        action: str = "edit",
        note: str = "",
    ) -> Entry:
        """Replace a live entry's content if nobody changed it since `expected_version`."""
        async with self._write():
            row = await self._fetch_live(entry.key)
            self._check_version(row, expected_version)
            await self._store_live(entry, row, action, author_id, author_name, note)
            return await self._entry_or_fail(entry.key)

    async def delete_entry(
        self,
        key: str,
        *,
        author_id: int | None,
        author_name: str,
        expected_version: int | None = None,
    ) -> Entry:
        """Soft-delete a live entry, freeing its names; return it as deleted."""
        async with self._write():
            row = await self._fetch_live(key)
            self._check_version(row, expected_version)
            await self._soft_delete(row, "delete", author_id, author_name)
            return await self._entry_or_fail(key)

    async def restore_entry(self, key: str, *, author_id: int | None, author_name: str) -> Entry:
        """Undelete an entry; NameTaken if one of its names was taken meanwhile."""
        async with self._write():
            row = await self._fetch(key)
            if row is None:
                raise EntryMissing(key)
            if row["deleted_at"] is None:
                raise NotDeleted(key)
            entry = self._entry(row)
            await self._store_live(entry, row, "restore", author_id, author_name)
            return await self._entry_or_fail(key)

    async def revert_entry(
        self,
        key: str,
        revision_id: int,
        *,
        expected_version: int | None,
        author_id: int | None,
        author_name: str,
    ) -> Entry:
        """Write an old revision's content as a new version, undeleting the entry if needed."""
        async with self._write():
            rev_row = await self._one(
                f"SELECT {_REVISION_COLUMNS} FROM revisions "  # noqa: S608
                "WHERE id = ? AND entry_key = ?",
                (revision_id, key),
            )
            if rev_row is None:
                raise RevisionMissing(key, revision_id)
            revision = self._revision(rev_row)
            if revision.snapshot is None:
                raise RevisionMissing(key, revision_id, empty=True)
            row = await self._fetch(key)
            if row is None:
                raise EntryMissing(key)
            self._check_version(row, expected_version)
            entry = replace(revision.snapshot, key=key)
            await self._store_live(
                entry,
                row,
                "revert",
                author_id,
                author_name,
                f"revert to r{revision_id}",
            )
            return await self._entry_or_fail(key)

    # -- history --------------------------------------------------------------------------

    async def history(self, key: str, *, limit: int = 20, offset: int = 0) -> list[Revision]:
        """Return revisions of `key`, newest first."""
        async with self._read():
            rows = await self._all(
                f"SELECT {_REVISION_COLUMNS} FROM revisions WHERE entry_key = ? "  # noqa: S608
                "ORDER BY id DESC LIMIT ? OFFSET ?",
                (key, limit, offset),
            )
        return [self._revision(row) for row in rows]

    async def count_revisions(self, key: str) -> int:
        """Return how many revisions `key` has."""
        async with self._read():
            row = await self._one("SELECT COUNT(*) FROM revisions WHERE entry_key = ?", (key,))
        return int(row[0]) if row else 0

    # -- import ---------------------------------------------------------------------------

    async def plan_import(
        self, entries: Iterable[Entry], *, remove_missing: bool = True
    ) -> ImportPlan:
        """Return what `apply_import` would do with `entries`, without changing anything."""
        entries = list(entries)
        _reject_duplicate_keys(entries)
        async with self._read():
            # One statement: one consistent snapshot of what is live.
            rows = await self._all(
                "SELECT key, version, content_json FROM entries WHERE deleted_at IS NULL"
            )
        live = [(row["key"], row["version"], row["content_json"]) for row in rows]
        # Encoding and comparing 50,000 entries takes a while: keep the event loop free.
        return await asyncio.to_thread(_classify, entries, live, remove_missing)

    async def apply_import(
        self, plan: ImportPlan, *, author_id: int | None, author_name: str
    ) -> ImportPlan:
        """Apply exactly `plan` in one transaction; StaleImport if any entry changed since."""
        async with self._write() as conn:
            rows = await self._all(
                "SELECT key, version, fts_rowid, deleted_at, content_json FROM entries"
            )
            # Building 50,000 rows of JSON and search text is seconds of CPU: not on the loop.
            batch = await asyncio.to_thread(
                _ImportRows.build, plan, rows, self._now(), author_id, author_name
            )
            # Free every touched name first so an alias may move between entries in one import.
            touched = [(key,) for key in (*plan.added, *plan.changed, *plan.removed)]
            await conn.executemany("DELETE FROM names WHERE entry_key = ?", touched)
            await conn.executemany(
                "UPDATE entries SET version = ?, updated_at = ?, updated_by = ?, "
                "updated_by_name = ?, deleted_at = ?, deleted_by = ? WHERE key = ?",
                batch.deletes,
            )
            await conn.executemany(
                "UPDATE entries SET term = ?, content_json = ?, category = ?, autoreply = ?, "
                "version = ?, updated_at = ?, updated_by = ?, updated_by_name = ?, "
                "deleted_at = NULL, deleted_by = NULL WHERE key = ?",
                batch.updates,
            )
            await conn.executemany(_ENTRY_INSERT, batch.inserts)
            await conn.executemany("DELETE FROM entry_fts WHERE rowid = ?", batch.fts_gone)
            await conn.executemany(_FTS_INSERT, batch.fts_rows)
            await conn.executemany(_REVISION_INSERT, batch.revisions)
            # Names last: uniqueness is judged against the final state, not an intermediate one.
            try:
                await conn.executemany(_NAME_INSERT, batch.names)
            except sqlite3.IntegrityError:
                await self._name_clash(batch.written)
                raise
        # Freed whole on the event loop, a big import's rows would stall it (bot/slices.py).
        await asyncio.to_thread(batch.release, rows)
        return plan

    async def _name_clash(self, entries: Sequence[Entry]) -> None:
        """Raise NameTaken for the first name of `entries` another entry already holds."""
        for entry in entries:
            for norm, name, _ in _name_rows(entry):
                await self._check_name(norm, name, entry.key)

    # -- search ---------------------------------------------------------------------------

    async def search(
        self, text: str, *, limit: int = 10, offset: int = 0
    ) -> list[tuple[str, Snippet]]:
        """Return (key, snippet) of live entries matching `text`, best first."""
        query = fts_query(text)
        if not query:
            return []
        async with self._read():
            rows = await self._all(
                "SELECT key, snippet(entry_fts, -1, ?, ?, '…', 12) AS snip "
                "FROM entry_fts WHERE entry_fts MATCH ? "
                "ORDER BY bm25(entry_fts, 0.0, 10.0, 6.0, 3.0, 1.0), key LIMIT ? OFFSET ?",
                (_MATCH_START, _MATCH_END, query, limit, offset),
            )
        return [(row["key"], _snippet(row["snip"] or "")) for row in rows]

    async def count_search(self, text: str) -> int:
        """Return how many live entries match `text`."""
        query = fts_query(text)
        if not query:
            return 0
        async with self._read():
            row = await self._one(
                "SELECT COUNT(*) FROM entry_fts WHERE entry_fts MATCH ?", (query,)
            )
        return int(row[0]) if row else 0


@dataclass
class _ImportRows:
    """The rows one import writes, built in one pass over the plan."""

    written: list[Entry] = field(default_factory=list)
    inserts: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)
    deletes: list[tuple[Any, ...]] = field(default_factory=list)
    fts_gone: list[tuple[int]] = field(default_factory=list)
    fts_rows: list[tuple[int, str, str, str, str, str]] = field(default_factory=list)
    revisions: list[tuple[Any, ...]] = field(default_factory=list)
    names: list[tuple[str, str, str, str]] = field(default_factory=list)

    def release(self, *others: list[Any]) -> None:
        """Empty these rows and `others` a slice at a time (in a worker thread, once written)."""
        for rows in (*others, self.written, self.inserts, self.updates, self.deletes):
            empty(rows)
        for rows in (self.fts_gone, self.fts_rows, self.revisions, self.names):
            empty(rows)

    @classmethod
    @paused_gc()
    def build(
        cls,
        plan: ImportPlan,
        rows: Sequence[sqlite3.Row],
        now: str,
        author_id: int | None,
        author_name: str,
    ) -> _ImportRows:
        """Return the rows that apply `plan` to the stored `rows`; StaleImport if outdated."""
        live = {row["key"]: row["version"] for row in rows if row["deleted_at"] is None}
        stale = stale_keys(plan.versions, live)
        if stale:
            raise StaleImport(stale)
        stored = {row["key"]: row for row in rows}
        incoming = {entry.key: entry for entry in plan.entries}
        batch = cls(written=[incoming[key] for key in (*plan.added, *plan.changed)])
        next_rowid = max((row["fts_rowid"] or 0 for row in rows), default=0) + 1
        for key in plan.removed:
            row = stored[key]
            version = row["version"] + 1
            batch.deletes.append((version, now, author_id, author_name, now, author_id, key))
            batch.fts_gone.append((row["fts_rowid"],))
            batch.revisions.append(
                (key, version, "import", row["content_json"], author_id, author_name, now, "")
            )
        for entry in batch.written:
            content = _content_json(entry)
            old = stored.get(entry.key)
            if old is None:
                rowid, version = next_rowid, 1
                next_rowid += 1
            else:
                rowid, version = old["fts_rowid"], old["version"] + 1
                batch.fts_gone.append((rowid,))
            fields = (entry.term, content, entry.category, int(entry.autoreply), version, now)
            if old is None:
                batch.inserts.append((entry.key, *fields, now, author_id, author_name, rowid))
            else:
                batch.updates.append((*fields, author_id, author_name, entry.key))
            batch.fts_rows.append(_fts_values(entry, rowid))
            batch.revisions.append(
                (entry.key, version, "import", content, author_id, author_name, now, "")
            )
            batch.names.extend(
                (norm, entry.key, name, kind) for norm, name, kind in _name_rows(entry)
            )
        return batch


@paused_gc()
def _classify(
    entries: list[Entry], live: list[tuple[str, int, str]], remove_missing: bool
) -> ImportPlan:
    """Return the plan that turns the live rows (key, version, content JSON) into `entries`."""
    stored = {key: content for key, _, content in live}
    plan = ImportPlan(entries=entries, versions={key: version for key, version, _ in live})
    for entry in entries:
        content = stored.get(entry.key)
        if content is None:
            plan.added.append(entry.key)
        elif content == _content_json(entry) or _same_content(entry, content):
            plan.unchanged.append(entry.key)
        else:
            plan.changed.append(entry.key)
    if remove_missing:
        incoming = {entry.key for entry in entries}
        plan.removed = [key for key in stored if key not in incoming]
    for keys in (plan.added, plan.changed, plan.removed, plan.unchanged):
        keys.sort()
    return plan


def _same_content(entry: Entry, content_json: str) -> bool:
    """Return whether stored JSON (perhaps written by an older bot) holds `entry`'s content."""
    stored = entry_from_dict({**json.loads(content_json), "key": entry.key})
    return entry_to_dict(stored) == entry_to_dict(entry)


def _reject_duplicate_keys(entries: Sequence[Entry]) -> None:
    """Raise DuplicateKeys if two entries share a key."""
    counts = Counter(entry.key for entry in entries)
    dupes = [key for key, count in counts.items() if count > 1]
    if dupes:
        raise DuplicateKeys(dupes)
