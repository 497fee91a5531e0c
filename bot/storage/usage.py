"""Lookup statistics: uses per entry and day, and the queue of lookups that found nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta

from bot.glossary.text import normalize
from bot.storage.base import StoreBase


@dataclass(frozen=True, slots=True)
class LearnedName:
    """A missed lookup after which members opened one entry, `count` times."""

    query: str
    entry_key: str
    count: int


class UsageQueries(StoreBase):
    """Count uses and misses, and read them back for moderators and autocomplete."""

    async def record_counts(
        self, uses: Mapping[str, int], misses: Mapping[str, tuple[str, int]]
    ) -> None:
        """Add use counts by key and miss counts by normalized query, in one transaction.

        A dismissed miss that happens again starts a fresh count and shows up again.
        """
        if not uses and not misses:
            return
        now, day = self._now(), self._today()
        async with self._write() as conn:
            for key, count in uses.items():
                await conn.execute(
                    "INSERT INTO usage (entry_key, day, count) VALUES (?, ?, ?) "
                    "ON CONFLICT (entry_key, day) DO UPDATE SET count = count + excluded.count",
                    (key, day, count),
                )
            for norm, (query, count) in misses.items():
                await conn.execute(
                    "INSERT INTO misses (norm, query, count, first_at, last_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (norm) DO UPDATE SET "
                    "query = excluded.query, last_at = excluded.last_at, "
                    "count = CASE WHEN dismissed_at IS NULL THEN count + excluded.count "
                    "ELSE excluded.count END, "
                    "first_at = CASE WHEN dismissed_at IS NULL THEN first_at "
                    "ELSE excluded.first_at END, "
                    "dismissed_at = NULL",
                    (norm, query, count, now, now),
                )
            hits = sum(uses.values())
            missed = sum(count for _, count in misses.values())
            await conn.execute(
                "INSERT INTO lookups_daily (day, hits, misses) VALUES (?, ?, ?) "
                "ON CONFLICT (day) DO UPDATE SET hits = hits + excluded.hits, "
                "misses = misses + excluded.misses",
                (day, hits, missed),
            )

    async def top_misses(self, limit: int = 10, offset: int = 0) -> list[tuple[str, int]]:
        """Return the most frequent undismissed misses as (latest query text, count)."""
        async with self._read():
            rows = await self._all(
                "SELECT query, count FROM misses WHERE dismissed_at IS NULL "
                "ORDER BY count DESC, last_at DESC, norm LIMIT ? OFFSET ?",
                (limit, offset),
            )
        return [(row["query"], int(row["count"])) for row in rows]

    async def dismiss_miss(self, query: str) -> bool:
        """Hide a miss from top_misses until it happens again; return whether it existed."""
        norm = normalize(query)
        async with self._write() as conn:
            cursor = await conn.execute(
                "UPDATE misses SET dismissed_at = ? WHERE norm = ? AND dismissed_at IS NULL",
                (self._now(), norm),
            )
            return cursor.rowcount > 0

    async def top_entries(self, limit: int = 10) -> list[tuple[str, int]]:
        """Return live entry keys by total uses, most used first."""
        async with self._read():
            rows = await self._all(
                "SELECT u.entry_key, SUM(u.count) AS total FROM usage u "
                "JOIN entries e ON e.key = u.entry_key AND e.deleted_at IS NULL "
                "GROUP BY u.entry_key ORDER BY total DESC, u.entry_key LIMIT ?",
                (limit,),
            )
        return [(row["entry_key"], int(row["total"])) for row in rows]

    async def daily_counts(self, days: int = 14) -> list[tuple[str, int, int]]:
        """Return (day, hits, misses) for each of the last `days` days, oldest first, zeros kept."""
        today = self._clock().astimezone(UTC).date()
        wanted = [(today - timedelta(days=back)).isoformat() for back in range(days - 1, -1, -1)]
        if not wanted:
            return []
        async with self._read():
            rows = await self._all(
                "SELECT day, hits, misses FROM lookups_daily WHERE day >= ?", (wanted[0],)
            )
        found = {row["day"]: (int(row["hits"]), int(row["misses"])) for row in rows}
        return [(day, *found.get(day, (0, 0))) for day in wanted]

    async def popularity(self) -> dict[str, int]:
        """Return total uses per live entry key (entries never used are absent)."""
        async with self._read():
            rows = await self._all(
                "SELECT u.entry_key, SUM(u.count) AS total FROM usage u "
                "JOIN entries e ON e.key = u.entry_key AND e.deleted_at IS NULL "
                "GROUP BY u.entry_key"
            )
        return {row["entry_key"]: int(row["total"]) for row in rows}

    async def record_choice(self, query: str, key: str) -> None:
        """Count one member opening entry `key` from the suggestions for a missed query."""
        norm = normalize(query)
        if not norm:
            return
        now = self._now()
        async with self._write() as conn:
            await conn.execute(
                "INSERT INTO learned_names (norm, entry_key, query, count, first_at, last_at) "
                "VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (norm, entry_key) DO UPDATE SET "
                "query = excluded.query, last_at = excluded.last_at, "
                "count = CASE WHEN dismissed_at IS NULL THEN count + 1 ELSE 1 END, "
                "dismissed_at = NULL",
                (norm, key, query.strip()[:200], now, now),
            )

    async def learned_names(self, limit: int = 10, offset: int = 0) -> list[LearnedName]:
        """Return undismissed (query, live entry, count) pairs, most frequent first."""
        async with self._read():
            rows = await self._all(
                "SELECT l.query, l.entry_key, l.count FROM learned_names l "
                "JOIN entries e ON e.key = l.entry_key AND e.deleted_at IS NULL "
                "WHERE l.dismissed_at IS NULL "
                "ORDER BY l.count DESC, l.last_at DESC, l.norm, l.entry_key LIMIT ? OFFSET ?",
                (limit, offset),
            )
        return [LearnedName(row["query"], row["entry_key"], int(row["count"])) for row in rows]

    async def dismiss_learned(self, query: str, key: str) -> bool:
        """Hide a learned pair until members make the same choice again."""
        async with self._write() as conn:
            cursor = await conn.execute(
                "UPDATE learned_names SET dismissed_at = ? "
                "WHERE norm = ? AND entry_key = ? AND dismissed_at IS NULL",
                (self._now(), normalize(query), key),
            )
            return cursor.rowcount > 0
