"""Per-server settings: moderator roles, the audit channel and automatic replies."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from bot.glossary.autoreply_settings import AutoReplySettings, SettingsStore
from bot.glossary.models import ValidationError

MOD_ROLES_SETTING = "mod_roles"
AUDIT_SETTING = "audit_channel"
# Servers whose automatic-reply settings stay in memory; others are read again when needed.
CACHED_SERVERS = 10_000


class ServerSettingsStore(SettingsStore, Protocol):
    """The part of the repository that stores single guild settings."""

    async def get_setting(self, guild_id: int, name: str, default: Any) -> Any:
        """Return a guild setting, or `default` when it was never set."""
        ...

    async def set_setting(self, guild_id: int, name: str, value: Any) -> None:
        """Store a JSON-serialisable guild setting."""
        ...


class ServerSettings:
    """Read and change one server's settings; automatic-reply settings are cached."""

    def __init__(self, store: ServerSettingsStore, *, cached: int = CACHED_SERVERS) -> None:
        self._store = store
        self._cached = cached
        self._autoreply: OrderedDict[int, AutoReplySettings] = OrderedDict()
        self._changing = asyncio.Lock()

    def forget(self) -> None:
        """Drop cached values: another process changed the database."""
        self._autoreply.clear()

    async def moderator_roles(self, guild_id: int) -> list[int]:
        """Return the role ids whose members may edit the glossary from this server."""
        stored = await self._store.get_setting(guild_id, MOD_ROLES_SETTING, [])
        roles = [int(role_id) for role_id in stored if isinstance(role_id, int | str)]
        # A server's own id is @everyone: stored by an older version, it must not count.
        return [role_id for role_id in roles if role_id != guild_id]

    async def set_moderator_roles(self, guild_id: int, role_ids: list[int]) -> None:
        """Store the moderator roles; the server's own id is @everyone and never one of them."""
        if guild_id in role_ids:
            raise ValidationError(
                "@everyone cannot be a glossary moderator role: every member would be able to "
                "change the glossary."
            )
        await self._store.set_setting(guild_id, MOD_ROLES_SETTING, sorted(set(role_ids)))

    async def audit_channel(self, guild_id: int) -> int | None:
        """Return the channel where changes are posted, or None."""
        value = await self._store.get_setting(guild_id, AUDIT_SETTING, None)
        return value if isinstance(value, int) else None

    async def set_audit_channel(self, guild_id: int, channel_id: int | None) -> None:
        """Set or clear the audit channel."""
        await self._store.set_setting(guild_id, AUDIT_SETTING, channel_id)

    async def autoreply(self, guild_id: int) -> AutoReplySettings:
        """Return a server's automatic-reply settings."""
        settings = self._autoreply.get(guild_id)
        if settings is None:
            settings = await AutoReplySettings.load(self._store, guild_id)
            self._remember(guild_id, settings)
        else:
            self._autoreply.move_to_end(guild_id)
        return settings

    async def change_autoreply(
        self, guild_id: int, change: Callable[[AutoReplySettings], AutoReplySettings]
    ) -> AutoReplySettings:
        """Apply `change` to a server's automatic-reply settings; store what it changed."""
        # One change at a time, on settings read afresh (the cache may predate another
        # process's change), storing only the fields it changed: two managers changing
        # different settings at once both keep their change.
        async with self._changing:
            current = await AutoReplySettings.load(self._store, guild_id)
            changed = change(current)
            await AutoReplySettings.save(self._store, guild_id, changed, since=current)
            self._remember(guild_id, changed)
            return changed

    def _remember(self, guild_id: int, settings: AutoReplySettings) -> None:
        self._autoreply[guild_id] = settings
        self._autoreply.move_to_end(guild_id)
        while len(self._autoreply) > self._cached:
            self._autoreply.popitem(last=False)
