"""Per-guild settings and bot-wide metadata stored as small JSON values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from bot.storage.base import StoreBase

T = TypeVar("T")


class SettingsQueries(StoreBase):
    """Read and write guild settings and metadata."""

    async def get_setting(self, guild_id: int, name: str, default: T) -> Any:
        """Return a guild setting, or `default` when it was never set."""
        async with self._read():
            row = await self._one(
                "SELECT value_json FROM guild_settings WHERE guild_id = ? AND name = ?",
                (guild_id, name),
            )
        return default if row is None else json.loads(row["value_json"])

    async def set_setting(self, guild_id: int, name: str, value: Any) -> None:
        """Store a JSON-serialisable guild setting."""
        value_json = json.dumps(value, ensure_ascii=False)
        async with self._write() as conn:
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, name, value_json) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id, name) DO UPDATE SET value_json = excluded.value_json",
                (guild_id, name, value_json),
            )

    async def set_settings(self, guild_id: int, values: Mapping[str, Any]) -> None:
        """Store several guild settings in one transaction: all of them or none."""
        rows = [
            (guild_id, name, json.dumps(value, ensure_ascii=False))
            for name, value in values.items()
        ]
        async with self._write() as conn:
            await conn.executemany(
                "INSERT INTO guild_settings (guild_id, name, value_json) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id, name) DO UPDATE SET value_json = excluded.value_json",
                rows,
            )

    async def guild_settings(self, guild_id: int) -> dict[str, Any]:
        """Return every stored setting of a guild."""
        async with self._read():
            rows = await self._all(
                "SELECT name, value_json FROM guild_settings WHERE guild_id = ? ORDER BY name",
                (guild_id,),
            )
        return {row["name"]: json.loads(row["value_json"]) for row in rows}

    async def data_version(self) -> int:
        """Return SQLite's data_version: it changes when another connection commits."""
        # On the writer's connection: our own commits must not look like someone else's.
        async with self._lock:
            row = await self._one("PRAGMA data_version")
        assert row is not None
        return int(row[0])

    async def get_meta(self, name: str) -> str | None:
        """Return a store-wide metadata value, or None."""
        async with self._read():
            row = await self._one("SELECT value FROM meta WHERE name = ?", (name,))
        return None if row is None else str(row["value"])

    async def set_meta(self, name: str, value: str) -> None:
        """Store a store-wide metadata value."""
        async with self._write() as conn:
            await conn.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
