"""Automatic-reply cooldowns: who and what was answered where, until when, across restarts."""

from __future__ import annotations

import heapq
import json
import logging
import time
from collections.abc import Callable, Collection, Iterable
from typing import Any, Protocol

from bot.glossary.autoreply_settings import AutoReplySettings

log = logging.getLogger(__name__)

COOLDOWNS_META = "autoreply_cooldowns"


class MetaStore(Protocol):
    """The part of the repository that stores store-wide metadata."""

    async def get_meta(self, name: str) -> str | None:
        """Return a metadata value, or None."""
        ...

    async def set_meta(self, name: str, value: str) -> None:
        """Store a metadata value."""
        ...


ChannelKey = tuple[int, int]  # (guild, channel)
UserKey = tuple[int, int]  # (guild, user)


class Cooldowns:
    """Expiry times of (guild, channel, entry) and (guild, user) cooldowns, in wall-clock seconds.

    Wall-clock (not monotonic) time so a saved snapshot still means the same after a restart.
    Expired keys are purged as time passes, and `max_keys` caps memory even when a flood of
    distinct members all trigger replies inside one cooldown window.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        max_keys: int = 100_000,
        purge_interval: float = 60.0,
    ) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self.purge_interval = purge_interval
        self._channels: dict[ChannelKey, dict[str, float]] = {}
        self._users: dict[UserKey, float] = {}
        self._size = 0
        self._next_purge = 0.0
        # Recorded replies not yet saved; the cog saves when this is non-zero.
        self.changes = 0

    def now(self) -> float:
        """Return the current time from the injected clock."""
        return self.clock()

    def __len__(self) -> int:
        """Return how many cooldown keys are held (some may have expired since the last purge)."""
        return self._size

    def user_active(self, guild_id: int, user_id: int, now: float | None = None) -> bool:
        """Return whether the member got an automatic reply too recently."""
        now = self.clock() if now is None else now
        return self._users.get((guild_id, user_id), 0.0) > now

    def active_entries(
        self, guild_id: int, channel_id: int, now: float | None = None
    ) -> frozenset[str]:
        """Return the entries that may not be explained again in this channel yet."""
        now = self.clock() if now is None else now
        expiries = self._channels.get((guild_id, channel_id))
        if not expiries:
            return frozenset()
        return frozenset(key for key, expiry in expiries.items() if expiry > now)

    def record(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        keys: Iterable[str],
        settings: AutoReplySettings,
        now: float | None = None,
    ) -> None:
        """Start the cooldowns of a reply that explained `keys` to `user_id` in `channel_id`."""
        now = self.clock() if now is None else now
        if settings.cooldown_seconds > 0:
            expiry = now + settings.cooldown_seconds
            for key in keys:
                self._set_entry(guild_id, channel_id, key, expiry)
        if settings.user_cooldown_seconds > 0:
            self._set_user(guild_id, user_id, now + settings.user_cooldown_seconds)
        self.changes += 1
        if now >= self._next_purge or self._size > self.max_keys:
            # The reply just recorded must outlive any eviction, or the next message repeats it.
            keep = {((guild_id, channel_id), key) for key in keys} | {((guild_id, user_id),)}
            self.purge(now, keep=keep)

    def _set_entry(self, guild_id: int, channel_id: int, key: str, expiry: float) -> None:
        expiries = self._channels.setdefault((guild_id, channel_id), {})
        if key not in expiries:
            self._size += 1
        expiries[key] = expiry

    def _set_user(self, guild_id: int, user_id: int, expiry: float) -> None:
        if (guild_id, user_id) not in self._users:
            self._size += 1
        self._users[(guild_id, user_id)] = expiry

    def purge(self, now: float | None = None, *, keep: Collection[tuple[Any, ...]] = ()) -> int:
        """Drop expired keys (and the soonest-expiring ones beyond `max_keys`); return how many."""
        now = self.clock() if now is None else now
        before = self._size
        for channel, expiries in list(self._channels.items()):
            for key in [key for key, expiry in expiries.items() if expiry <= now]:
                del expiries[key]
            if not expiries:
                del self._channels[channel]
        for user in [user for user, expiry in self._users.items() if expiry <= now]:
            del self._users[user]
        self._size = len(self._users) + sum(map(len, self._channels.values()))
        if self._size > self.max_keys:
            # Down to 90% so a sustained flood evicts once per many replies, not on every one.
            self._evict(self._size - self.max_keys * 9 // 10, keep)
        self._next_purge = now + self.purge_interval
        return before - self._size

    def _evict(self, count: int, keep: Collection[tuple[Any, ...]]) -> None:
        """Forget the `count` cooldowns closest to expiring anyway: a flood must not grow memory."""
        items: list[tuple[float, int, tuple[Any, ...]]] = [
            (expiry, 0, (channel, key))
            for channel, expiries in self._channels.items()
            for key, expiry in expiries.items()
            if (channel, key) not in keep
        ]
        items.extend(
            (expiry, 1, (user,)) for user, expiry in self._users.items() if (user,) not in keep
        )
        count = min(count, len(items))
        for _, kind, ref in heapq.nsmallest(count, items):
            if kind == 0:
                channel, key = ref
                expiries = self._channels[channel]
                del expiries[key]
                if not expiries:
                    del self._channels[channel]
            else:
                del self._users[ref[0]]
        self._size -= count
        log.warning(
            "Auto-reply cooldowns hit their cap of %d keys; forgot the %d oldest",
            self.max_keys,
            count,
        )

    # Persistence: a JSON snapshot of the active cooldowns in the store's meta table.

    def snapshot(self, now: float | None = None) -> dict[str, Any]:
        """Return the active cooldowns as JSON-ready data."""
        now = self.clock() if now is None else now
        channels = [
            [guild, channel, key, round(expiry, 3)]
            for (guild, channel), expiries in self._channels.items()
            for key, expiry in expiries.items()
            if expiry > now
        ]
        users = [
            [guild, user, round(expiry, 3)]
            for (guild, user), expiry in self._users.items()
            if expiry > now
        ]
        return {"version": 1, "channels": channels, "users": users}

    def restore(self, data: Any, now: float | None = None) -> int:
        """Add the still-active cooldowns of a snapshot; skip malformed rows; return how many."""
        now = self.clock() if now is None else now
        if not isinstance(data, dict) or data.get("version") != 1:
            log.warning("Ignoring an auto-reply cooldown snapshot in an unknown format")
            return 0
        restored = skipped = 0
        for row in data.get("channels") or []:
            if _valid_row(row, (int, int, str, float)):
                guild, channel, key, expiry = row
                if expiry > now and expiry > self._channels.get((guild, channel), {}).get(key, 0.0):
                    self._set_entry(guild, channel, key, float(expiry))
                    restored += 1
            else:
                skipped += 1
        for row in data.get("users") or []:
            if _valid_row(row, (int, int, float)):
                guild, user, expiry = row
                if expiry > now and expiry > self._users.get((guild, user), 0.0):
                    self._set_user(guild, user, float(expiry))
                    restored += 1
            else:
                skipped += 1
        if skipped:
            log.warning("Skipped %d malformed auto-reply cooldown rows", skipped)
        self.purge(now)
        return restored

    async def save(self, store: MetaStore, now: float | None = None) -> None:
        """Write the active cooldowns to the store."""
        changes = self.changes
        await store.set_meta(COOLDOWNS_META, json.dumps(self.snapshot(now), separators=(",", ":")))
        # Only what was recorded before the snapshot counts as saved.
        self.changes -= changes

    async def load(self, store: MetaStore, now: float | None = None) -> int:
        """Read the cooldowns saved before a restart; a corrupt snapshot is ignored."""
        raw = await store.get_meta(COOLDOWNS_META)
        if raw is None:
            return 0
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("Ignoring a corrupt auto-reply cooldown snapshot")
            return 0
        return self.restore(data, now)


def _valid_row(row: Any, types: tuple[type, ...]) -> bool:
    """Return whether a snapshot row has the expected shape (ints count as floats)."""
    if not isinstance(row, list) or len(row) != len(types):
        return False
    for value, kind in zip(row, types, strict=True):
        if isinstance(value, bool):
            return False
        if kind is float and not isinstance(value, int | float):
            return False
        if kind is not float and not isinstance(value, kind):
            return False
    return True
