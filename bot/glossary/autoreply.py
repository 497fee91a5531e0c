"""Automatic replies to chat questions: per-guild settings, cooldowns and the reply decision.

Nothing here imports discord: the cog hands in plain ids and text, this module says which
entries to explain, and the cog records the cooldowns right after deciding (before any
await) so two messages handled concurrently can never both get the same answer.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, get_args

from bot.glossary.detect import Mode
from bot.glossary.models import Entry, ValidationError

log = logging.getLogger(__name__)

MODES: tuple[Mode, ...] = get_args(Mode)
MAX_ENTRIES_PER_REPLY = 3
MAX_COOLDOWN_SECONDS = 7 * 24 * 3600
MAX_USER_COOLDOWN_SECONDS = 24 * 3600
MAX_CHANNELS = 200
MAX_DISABLED_ENTRIES = 500
COOLDOWNS_META = "autoreply_cooldowns"

# Stored setting name for each field; one row per field keeps `guild_settings` readable.
SETTING_NAMES: dict[str, str] = {
    "mode": "autoreply_mode",
    "cooldown_seconds": "autoreply_cooldown",
    "user_cooldown_seconds": "autoreply_user_cooldown",
    "allowed_channels": "autoreply_allowed_channels",
    "denied_channels": "autoreply_denied_channels",
    "disabled_entries": "autoreply_disabled_entries",
}


class SettingsStore(Protocol):
    """The part of the repository that stores guild settings."""

    async def guild_settings(self, guild_id: int) -> dict[str, Any]:
        """Return every stored setting of a guild."""
        ...

    async def set_settings(self, guild_id: int, values: Mapping[str, Any]) -> None:
        """Store several JSON-serialisable guild settings, all of them or none."""
        ...


class MetaStore(Protocol):
    """The part of the repository that stores store-wide metadata."""

    async def get_meta(self, name: str) -> str | None:
        """Return a metadata value, or None."""
        ...

    async def set_meta(self, name: str, value: str) -> None:
        """Store a metadata value."""
        ...


class Scanner(Protocol):
    """Anything that finds the entries a message asks about: the service or a Detector."""

    def scan(self, message: str, mode: Mode, *, exclude: Collection[str]) -> list[Entry]:
        """Return the entries to explain for a message."""
        ...


# --- settings ----------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    # bool is an int subclass; a stored `true` is not a number of seconds.
    return isinstance(value, int) and not isinstance(value, bool)


def _mode(value: Any) -> Mode:
    if value not in MODES:
        raise ValueError(f"expected one of {', '.join(MODES)}")
    return value  # type: ignore[no-any-return]


def _seconds(limit: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if not _is_int(value) or not 0 <= value <= limit:
            raise ValueError(f"expected whole seconds from 0 to {limit}")
        return int(value)

    return parse


def _channel_ids(value: Any) -> frozenset[int]:
    if not isinstance(value, list) or len(value) > MAX_CHANNELS:
        raise ValueError(f"expected a list of at most {MAX_CHANNELS} channel ids")
    if not all(_is_int(item) and item > 0 for item in value):
        raise ValueError("expected positive channel ids")
    return frozenset(value)


def _entry_keys(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or len(value) > MAX_DISABLED_ENTRIES:
        raise ValueError(f"expected a list of at most {MAX_DISABLED_ENTRIES} entry keys")
    if not all(isinstance(item, str) and item for item in value):
        raise ValueError("expected non-empty entry keys")
    return frozenset(value)


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "mode": _mode,
    "cooldown_seconds": _seconds(MAX_COOLDOWN_SECONDS),
    "user_cooldown_seconds": _seconds(MAX_USER_COOLDOWN_SECONDS),
    "allowed_channels": _channel_ids,
    "denied_channels": _channel_ids,
    "disabled_entries": _entry_keys,
}


@dataclass(frozen=True, slots=True)
class AutoReplySettings:
    """How one guild wants automatic replies; the defaults apply until a moderator changes them."""

    mode: Mode = "question"
    cooldown_seconds: int = 600
    user_cooldown_seconds: int = 60
    allowed_channels: frozenset[int] = frozenset()
    denied_channels: frozenset[int] = frozenset()
    disabled_entries: frozenset[str] = frozenset()

    @classmethod
    def from_stored(
        cls, stored: Mapping[str, Any], *, guild_id: int | None = None
    ) -> AutoReplySettings:
        """Build settings from stored values, replacing each bad value by its default."""
        values: dict[str, Any] = {}
        for name, setting in SETTING_NAMES.items():
            if setting not in stored:
                continue
            try:
                values[name] = _PARSERS[name](stored[setting])
            except ValueError as exc:
                log.warning(
                    "Ignoring bad stored setting %s=%r for guild %s (%s); using the default",
                    setting,
                    stored[setting],
                    guild_id,
                    exc,
                )
        return cls(**values)

    def to_stored(self) -> dict[str, Any]:
        """Return the JSON values to store, one per setting name."""
        return {
            SETTING_NAMES["mode"]: self.mode,
            SETTING_NAMES["cooldown_seconds"]: self.cooldown_seconds,
            SETTING_NAMES["user_cooldown_seconds"]: self.user_cooldown_seconds,
            SETTING_NAMES["allowed_channels"]: sorted(self.allowed_channels),
            SETTING_NAMES["denied_channels"]: sorted(self.denied_channels),
            SETTING_NAMES["disabled_entries"]: sorted(self.disabled_entries),
        }

    @classmethod
    async def load(cls, repo: SettingsStore, guild_id: int) -> AutoReplySettings:
        """Read a guild's settings; bad stored values fall back to their defaults."""
        return cls.from_stored(await repo.guild_settings(guild_id), guild_id=guild_id)

    @staticmethod
    async def save(repo: SettingsStore, guild_id: int, settings: AutoReplySettings) -> None:
        """Store every field of a guild's settings."""
        settings.validate()
        # One transaction: a failed write must not leave half of a moderator's change behind.
        await repo.set_settings(guild_id, settings.to_stored())

    def validate(self) -> None:
        """Raise ValidationError when a field is out of range (settings built in code)."""
        problems: list[str] = []
        for name, value in self.to_stored().items():
            key = next(attr for attr, setting in SETTING_NAMES.items() if setting == name)
            try:
                _PARSERS[key](value)
            except ValueError as exc:
                problems.append(f"{key}: {exc}")
        if set(self.allowed_channels) & set(self.denied_channels):
            problems.append("a channel cannot be both allowed and denied")
        if problems:
            raise ValidationError("These auto-reply settings cannot be saved.", problems=problems)

    # Changes return new settings; the cog saves them.

    def with_mode(self, mode: str) -> AutoReplySettings:
        """Return the settings with another mode."""
        if mode not in MODES:
            raise ValidationError(f"The mode must be one of: {', '.join(MODES)}.")
        return dataclasses.replace(self, mode=mode)

    def with_cooldowns(
        self, channel_seconds: int | None = None, user_seconds: int | None = None
    ) -> AutoReplySettings:
        """Return the settings with new cooldowns (None keeps the current value)."""
        channel = self.cooldown_seconds if channel_seconds is None else channel_seconds
        user = self.user_cooldown_seconds if user_seconds is None else user_seconds
        if not 0 <= channel <= MAX_COOLDOWN_SECONDS:
            raise ValidationError(
                f"The channel cooldown must be 0 to {MAX_COOLDOWN_SECONDS} seconds."
            )
        if not 0 <= user <= MAX_USER_COOLDOWN_SECONDS:
            raise ValidationError(
                f"The member cooldown must be 0 to {MAX_USER_COOLDOWN_SECONDS} seconds."
            )
        return dataclasses.replace(self, cooldown_seconds=channel, user_cooldown_seconds=user)

    def allow_channel(self, channel_id: int) -> AutoReplySettings:
        """Return the settings with the channel on the allow list (and off the deny list)."""
        allowed = self.allowed_channels | {channel_id}
        if len(allowed) > MAX_CHANNELS:
            raise ValidationError(f"At most {MAX_CHANNELS} channels can be allowed.")
        return dataclasses.replace(
            self, allowed_channels=allowed, denied_channels=self.denied_channels - {channel_id}
        )

    def deny_channel(self, channel_id: int) -> AutoReplySettings:
        """Return the settings with the channel on the deny list (and off the allow list)."""
        denied = self.denied_channels | {channel_id}
        if len(denied) > MAX_CHANNELS:
            raise ValidationError(f"At most {MAX_CHANNELS} channels can be denied.")
        return dataclasses.replace(
            self, denied_channels=denied, allowed_channels=self.allowed_channels - {channel_id}
        )

    def clear_channel(self, channel_id: int | None = None) -> AutoReplySettings:
        """Return the settings without this channel on either list, or with both lists empty."""
        if channel_id is None:
            return dataclasses.replace(
                self, allowed_channels=frozenset(), denied_channels=frozenset()
            )
        return dataclasses.replace(
            self,
            allowed_channels=self.allowed_channels - {channel_id},
            denied_channels=self.denied_channels - {channel_id},
        )

    def disable_entry(self, key: str) -> AutoReplySettings:
        """Return the settings with automatic replies off for one entry."""
        disabled = self.disabled_entries | {key}
        if len(disabled) > MAX_DISABLED_ENTRIES:
            raise ValidationError(f"At most {MAX_DISABLED_ENTRIES} entries can be disabled.")
        return dataclasses.replace(self, disabled_entries=disabled)

    def enable_entry(self, key: str) -> AutoReplySettings:
        """Return the settings with automatic replies on again for one entry."""
        return dataclasses.replace(self, disabled_entries=self.disabled_entries - {key})

    def channel_allowed(self, channel_id: int, parent_ids: Collection[int] = ()) -> bool:
        """Return whether replies may go to a channel; threads and categories inherit the lists.

        `parent_ids` are the thread's parent channel and the category above, so allowing a
        category or a forum covers everything in it, and denying wins over allowing.
        """
        ids = {channel_id, *parent_ids}
        if not ids.isdisjoint(self.denied_channels):
            return False
        return not self.allowed_channels or not ids.isdisjoint(self.allowed_channels)


# --- cooldowns ---------------------------------------------------------------------------

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


# --- decision ----------------------------------------------------------------------------


def decide(
    message_text: str,
    *,
    guild_id: int,
    channel_id: int,
    author_id: int,
    settings: AutoReplySettings,
    cooldowns: Cooldowns,
    scanner: Scanner,
    now: float,
    parent_ids: Collection[int] = (),
    limit: int = MAX_ENTRIES_PER_REPLY,
) -> list[Entry]:
    """Return the entries to explain in reply to a message (empty: stay quiet); changes nothing."""
    if settings.mode == "off" or not message_text.strip():
        return []
    if not settings.channel_allowed(channel_id, parent_ids):
        return []
    if cooldowns.user_active(guild_id, author_id, now):
        return []
    exclude = settings.disabled_entries | cooldowns.active_entries(guild_id, channel_id, now)
    found = scanner.scan(message_text, settings.mode, exclude=exclude)
    # Filter again: a scanner that ignores `exclude` must still never repeat an answer.
    return [entry for entry in found if entry.key not in exclude and entry.autoreply][:limit]
