"""Each server's automatic-reply settings, and the one table of rules their values obey."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, get_args

from bot.glossary.detect import Mode
from bot.glossary.models import ValidationError

log = logging.getLogger(__name__)


def _is_int(value: Any) -> bool:
    # bool is an int subclass; a stored `true` is not a number of seconds.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Choice:
    """A setting that takes one of a few named values."""

    stored: str  # its row in guild_settings
    name: str
    choices: Mapping[str, str]  # each value and what it does

    @property
    def rule(self) -> str:
        """Return the sentence a value outside the rule is refused with."""
        return f"The {self.name} must be one of: {', '.join(self.choices)}."

    def parse(self, value: Any) -> str:
        """Return a stored value as the setting's value; ValueError when it breaks the rule."""
        if not isinstance(value, str) or value not in self.choices:
            raise ValueError(self.rule)
        return value

    def dump(self, value: str) -> str:
        """Return the JSON value to store."""
        return value


@dataclass(frozen=True, slots=True)
class Seconds:
    """A setting that takes whole seconds from 0 (off) to `most`."""

    stored: str
    name: str
    most: int

    @property
    def rule(self) -> str:
        """Return the sentence a value outside the rule is refused with."""
        return f"The {self.name} must be 0 to {self.most} seconds."

    def parse(self, value: Any) -> int:
        """Return a stored value as the setting's value; ValueError when it breaks the rule."""
        if not _is_int(value) or not 0 <= value <= self.most:
            raise ValueError(self.rule)
        return int(value)

    def dump(self, value: int) -> int:
        """Return the JSON value to store."""
        return value


@dataclass(frozen=True, slots=True)
class IdSet:
    """A setting that lists at most `most` ids (channels, entry keys), stored sorted."""

    stored: str
    items: str  # what the ids name, counted: "channels"
    verb: str  # what the list does to them: "allowed"
    most: int
    valid: Callable[[Any], bool]
    valid_items: str  # what `valid` accepts: "positive channel ids"

    @property
    def rule(self) -> str:
        """Return the sentence a value outside the rule is refused with."""
        return f"At most {self.most} {self.items} can be {self.verb}."

    def parse(self, value: Any) -> frozenset[Any]:
        """Return a stored value as the setting's value; ValueError when it breaks the rule."""
        if not isinstance(value, list):
            raise ValueError(f"expected a list of {self.valid_items}")
        if len(value) > self.most:
            raise ValueError(self.rule)
        if not all(self.valid(item) for item in value):
            raise ValueError(f"expected {self.valid_items}")
        return frozenset(value)

    def dump(self, value: Collection[Any]) -> list[Any]:
        """Return the JSON value to store."""
        return sorted(value)


Rule: TypeAlias = Choice | Seconds | IdSet

MODE = Choice(
    "autoreply_mode",
    "mode",
    {
        "question": "answer questions such as 'what is colab?'",
        "mention": "explain every glossary term mentioned in chat",
        "off": "never reply on my own",
    },
)
assert tuple(MODE.choices) == get_args(Mode), "every detector mode needs a description"
CHANNEL_COOLDOWN = Seconds("autoreply_cooldown", "channel cooldown", 7 * 24 * 3600)
MEMBER_COOLDOWN = Seconds("autoreply_user_cooldown", "member cooldown", 24 * 3600)


def _channel_id(value: Any) -> bool:
    return _is_int(value) and value > 0


def _entry_key(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


ALLOWED_CHANNELS = IdSet(
    "autoreply_allowed_channels", "channels", "allowed", 200, _channel_id, "positive channel ids"
)
DENIED_CHANNELS = IdSet(
    "autoreply_denied_channels", "channels", "denied", 200, _channel_id, "positive channel ids"
)
DISABLED_ENTRIES = IdSet(
    "autoreply_disabled_entries", "entries", "disabled", 500, _entry_key, "non-empty entry keys"
)

# The rule of each AutoReplySettings field. Reading stored rows, checking a change and the
# /autoreply command's choices and ranges all go by this table; one row per field keeps
# `guild_settings` readable.
RULES: dict[str, Rule] = {
    "mode": MODE,
    "cooldown_seconds": CHANNEL_COOLDOWN,
    "user_cooldown_seconds": MEMBER_COOLDOWN,
    "allowed_channels": ALLOWED_CHANNELS,
    "denied_channels": DENIED_CHANNELS,
    "disabled_entries": DISABLED_ENTRIES,
}


class SettingsStore(Protocol):
    """The part of the repository that stores guild settings."""

    async def guild_settings(self, guild_id: int) -> dict[str, Any]:
        """Return every stored setting of a guild."""
        ...

    async def set_settings(self, guild_id: int, values: Mapping[str, Any]) -> None:
        """Store several JSON-serialisable guild settings, all of them or none."""
        ...


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
        for name, rule in RULES.items():
            if rule.stored not in stored:
                continue
            try:
                values[name] = rule.parse(stored[rule.stored])
            except ValueError as exc:
                log.warning(
                    "Ignoring bad stored setting %s=%r for guild %s (%s); using the default",
                    rule.stored,
                    stored[rule.stored],
                    guild_id,
                    exc,
                )
        return cls(**values)

    def to_stored(self) -> dict[str, Any]:
        """Return the JSON values to store, one per setting name."""
        return {rule.stored: rule.dump(getattr(self, name)) for name, rule in RULES.items()}

    @classmethod
    async def load(cls, repo: SettingsStore, guild_id: int) -> AutoReplySettings:
        """Read a guild's settings; bad stored values fall back to their defaults."""
        return cls.from_stored(await repo.guild_settings(guild_id), guild_id=guild_id)

    @staticmethod
    async def save(
        repo: SettingsStore,
        guild_id: int,
        settings: AutoReplySettings,
        *,
        since: AutoReplySettings | None = None,
    ) -> None:
        """Store a guild's settings: every field, or those that differ from `since`."""
        settings.validate()
        rows = settings.to_stored()
        if since is not None:
            before = since.to_stored()
            rows = {name: value for name, value in rows.items() if before[name] != value}
        if rows:
            # One transaction: a failed write must not leave half of a moderator's change behind.
            await repo.set_settings(guild_id, rows)

    def validate(self) -> None:
        """Raise ValidationError when a field is out of range (settings built in code)."""
        problems = [
            problem
            for name, rule in RULES.items()
            if (problem := _broken(rule, getattr(self, name)))
        ]
        if self.allowed_channels & self.denied_channels:
            problems.append("a channel cannot be both allowed and denied")
        if problems:
            raise ValidationError("These auto-reply settings cannot be saved.", problems=problems)

    # Changes return new settings; the cog saves them.

    def _with(self, **changes: Any) -> AutoReplySettings:
        """Return the settings with `changes`; ValidationError names the first one out of range."""
        for name, value in changes.items():
            problem = _broken(RULES[name], value)
            if problem:
                raise ValidationError(problem)
        return dataclasses.replace(self, **changes)

    def with_mode(self, mode: str) -> AutoReplySettings:
        """Return the settings with another mode."""
        return self._with(mode=mode)

    def with_cooldowns(
        self, channel_seconds: int | None = None, user_seconds: int | None = None
    ) -> AutoReplySettings:
        """Return the settings with new cooldowns (None keeps the current value)."""
        channel = self.cooldown_seconds if channel_seconds is None else channel_seconds
        user = self.user_cooldown_seconds if user_seconds is None else user_seconds
        return self._with(cooldown_seconds=channel, user_cooldown_seconds=user)

    def allow_channel(self, channel_id: int) -> AutoReplySettings:
        """Return the settings with the channel on the allow list (and off the deny list)."""
        return self._with(
            allowed_channels=self.allowed_channels | {channel_id},
            denied_channels=self.denied_channels - {channel_id},
        )

    def deny_channel(self, channel_id: int) -> AutoReplySettings:
        """Return the settings with the channel on the deny list (and off the allow list)."""
        return self._with(
            denied_channels=self.denied_channels | {channel_id},
            allowed_channels=self.allowed_channels - {channel_id},
        )

    def clear_channel(self, channel_id: int | None = None) -> AutoReplySettings:
        """Return the settings without this channel on either list, or with both lists empty."""
        if channel_id is None:
            return self._with(allowed_channels=frozenset(), denied_channels=frozenset())
        return self._with(
            allowed_channels=self.allowed_channels - {channel_id},
            denied_channels=self.denied_channels - {channel_id},
        )

    def disable_entry(self, key: str) -> AutoReplySettings:
        """Return the settings with automatic replies off for one entry."""
        return self._with(disabled_entries=self.disabled_entries | {key})

    def enable_entry(self, key: str) -> AutoReplySettings:
        """Return the settings with automatic replies on again for one entry."""
        return self._with(disabled_entries=self.disabled_entries - {key})

    def channel_allowed(self, channel_id: int, parent_ids: Collection[int] = ()) -> bool:
        """Return whether replies may go to a channel; threads and categories inherit the lists.

        `parent_ids` are the thread's parent channel and the category above, so allowing a
        category or a forum covers everything in it, and denying wins over allowing.
        """
        ids = {channel_id, *parent_ids}
        if not ids.isdisjoint(self.denied_channels):
            return False
        return not self.allowed_channels or not ids.isdisjoint(self.allowed_channels)


def _broken(rule: Rule, value: Any) -> str | None:
    """Return the rule a field's value breaks, or None when it keeps it."""
    try:
        rule.parse(rule.dump(value))
    except ValueError as exc:
        return str(exc)
    return None
