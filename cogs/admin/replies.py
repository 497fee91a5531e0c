"""How moderator actions answer: private replies, confirmations and the audit log."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.glossary.diff import format_diff
from bot.glossary.text import clip
from bot.services.glossary import Actor
from cogs.permissions import bot_of, require_moderator
from cogs.ui import (
    NO_MENTIONS,
    ConfirmView,
    edit_clicked,
    is_prompt_click,
)

log = logging.getLogger(__name__)

Run = Callable[[discord.Interaction], Awaitable[None]]


def actor_of(interaction: discord.Interaction) -> Actor:
    """Return who is acting, for history and audit."""
    return Actor(interaction.user.id, interaction.user.name)


# Replies, confirmations and the audit log. ------------------------------------------------


async def reply(interaction: discord.Interaction, content: str, **message: Any) -> None:
    """Answer privately: a clicked prompt becomes the answer, anything else gets a new message."""
    message.setdefault("allowed_mentions", NO_MENTIONS)
    if "embed" in message:
        message["embeds"] = [message.pop("embed")]
    if is_prompt_click(interaction):
        # Replace the prompt (and its buttons) with the outcome, deferred or not.
        message.setdefault("embeds", [])
        message.setdefault("view", None)
        await edit_clicked(interaction, content=content, **message)
        return
    if message.get("view", ...) is None:
        del message["view"]
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **message)
    else:
        await interaction.response.send_message(content, ephemeral=True, **message)


async def confirm_or_run(
    interaction: discord.Interaction,
    warnings: Sequence[str],
    run: Run,
    *,
    attachment: discord.File | None = None,
) -> None:
    """Run a change at once, or first ask "Save anyway?" when names look confusable."""
    if not warnings:
        await run(interaction)
        return
    lines = [
        "Some names look a lot like names of other entries; members may get the wrong one:",
        *(f"- {warning}" for warning in warnings[:10]),
        "Nothing is saved yet.",
    ]
    view = ConfirmView(
        interaction.user.id, run, check=require_moderator, confirm_label="Save anyway"
    )
    await view.send(interaction, content=clip("\n".join(lines), 1900), file=attachment)


async def audit(
    interaction: discord.Interaction,
    action: str,
    subject: str,
    lines: Sequence[str] = (),
) -> None:
    """Post "who changed what" to every home server's audit channel; failures are only logged."""
    bot = bot_of(interaction)
    embed = discord.Embed(
        title=clip(f"Glossary {action}: {subject}", 256),
        description=format_diff(list(lines), 3000) if lines else None,
        timestamp=discord.utils.utcnow(),
    )
    origin = interaction.guild.name if interaction.guild else interaction.guild_id
    embed.set_author(name=clip(f"{interaction.user.name} ({interaction.user.id})", 256))
    embed.set_footer(text=clip(f"from {origin}", 2048))
    for guild_id in sorted(bot.home.ids):
        try:
            channel_id = await bot.service.settings.audit_channel(guild_id)
            if channel_id is None:
                continue
            channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                log.warning(
                    "Audit channel %s of guild %s cannot receive messages", channel_id, guild_id
                )
                continue
            await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
        except Exception:
            # The change is already saved; a lost audit post must neither undo nor hide it.
            log.warning("Could not post to the audit channel of guild %s", guild_id, exc_info=True)
