"""Who may change the glossary: checked on the server side for every admin command and component."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from bot.client import GlossaryBot, send_ephemeral

MOD_ROLES_SETTING = "mod_roles"
T = TypeVar("T")

REFUSAL = "You need the Manage Server permission or a glossary moderator role to do that."


async def moderator_role_ids(bot: GlossaryBot, guild_id: int) -> set[int]:
    """Return the role ids set with `/glossary-admin roles` for a guild."""
    return set(await bot.service.repo.get_setting(guild_id, MOD_ROLES_SETTING, []))


async def is_moderator(interaction: discord.Interaction) -> bool:
    """Return whether the member may edit the glossary: Manage Server or a moderator role."""
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return False
    # interaction.permissions is what Discord computed for this channel, overwrites included.
    if interaction.permissions.manage_guild or interaction.permissions.administrator:
        return True
    bot = interaction.client
    assert isinstance(bot, GlossaryBot)
    roles = await moderator_role_ids(bot, interaction.guild_id)
    return any(role.id in roles for role in member.roles)


async def require_moderator(interaction: discord.Interaction) -> bool:
    """Refuse (ephemerally) and return False unless the member is a moderator."""
    if await is_moderator(interaction):
        return True
    await send_ephemeral(interaction, REFUSAL)
    return False


def moderator_check() -> Callable[[T], T]:
    """Return an app-command check that refuses non-moderators with a clear message."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if await is_moderator(interaction):
            return True
        raise app_commands.CheckFailure(REFUSAL)

    return app_commands.check(predicate)
