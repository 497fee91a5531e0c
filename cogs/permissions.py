"""Who may do what, checked on the server side for every command, button and form.

The glossary belongs to its home servers: only their moderators change it. Any server's own
Manage Server holders tune automatic replies there, which changes nothing shared.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.client import GlossaryBot, send_ephemeral

REFUSAL = "You need the Manage Server permission or a glossary moderator role to do that."
SERVER_REFUSAL = "You need the Manage Server permission in this server to do that."


def bot_of(interaction: discord.Interaction) -> GlossaryBot:
    """Return the glossary bot handling the interaction."""
    bot = interaction.client
    assert isinstance(bot, GlossaryBot)
    return bot


def manages_server(interaction: discord.Interaction) -> bool:
    """Return whether the member has Manage Server (or Administrator) where they clicked."""
    # interaction.permissions is what Discord computed for this channel, overwrites included.
    permissions = interaction.permissions
    return interaction.guild_id is not None and (
        permissions.manage_guild or permissions.administrator
    )


async def moderator_role_ids(bot: GlossaryBot, guild_id: int) -> set[int]:
    """Return the role ids set with `/glossary-admin roles` for a guild."""
    return set(await bot.service.settings.moderator_roles(guild_id))


async def has_moderator_role(interaction: discord.Interaction) -> bool:
    """Return whether the member holds a glossary moderator role of this server."""
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return False
    roles = await moderator_role_ids(bot_of(interaction), interaction.guild_id)
    return any(role.id in roles for role in member.roles)


def in_home(interaction: discord.Interaction) -> bool:
    """Return whether the interaction comes from a server that owns the glossary."""
    return interaction.guild_id is not None and interaction.guild_id in bot_of(interaction).home


async def is_moderator(interaction: discord.Interaction) -> bool:
    """Return whether the member may change the glossary: a home server's moderator."""
    if not in_home(interaction) or not isinstance(interaction.user, discord.Member):
        return False
    return manages_server(interaction) or await has_moderator_role(interaction)


def refusal(interaction: discord.Interaction) -> str:
    """Return why this member may not change the glossary from here."""
    return REFUSAL if in_home(interaction) else bot_of(interaction).home.refusal()


async def require_moderator(
    interaction: discord.Interaction, *, attachment: discord.File | None = None
) -> bool:
    """Refuse (privately) and return False unless the member is a home server's moderator.

    `attachment` goes back with a refusal: what the member typed into a form is never lost.
    """
    if await is_moderator(interaction):
        return True
    await send_ephemeral(interaction, refusal(interaction), file=attachment)
    return False


async def may_tune_server(interaction: discord.Interaction) -> bool:
    """Return whether the member may change this server's own settings (automatic replies)."""
    return manages_server(interaction) or await is_moderator(interaction)


async def check_moderator(interaction: discord.Interaction) -> bool:
    """Return True for a home server's moderator; otherwise raise CheckFailure saying why."""
    if await is_moderator(interaction):
        return True
    raise app_commands.CheckFailure(refusal(interaction))


async def check_server_manager(interaction: discord.Interaction) -> bool:
    """Return True for a member who may tune this server; otherwise raise CheckFailure."""
    if await may_tune_server(interaction):
        return True
    raise app_commands.CheckFailure(SERVER_REFUSAL)


def managers_group(name: str, description: str) -> app_commands.Group:
    """Return a server-only command group that Discord shows to Manage Server holders only.

    Showing is not allowing: a server's owners can show the group to anyone under Server
    Settings > Integrations, so the cog checks every use on the bot's side as well.
    """
    return app_commands.Group(
        name=name,
        description=description,
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
