"""Automatic replies when someone asks in chat what a glossary term means, and their settings."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import limits
from bot.client import GlossaryBot, report_error, send_ephemeral
from bot.glossary.autoreply import MAX_ENTRIES_PER_REPLY, decide
from bot.glossary.autoreply_settings import (
    CHANNEL_COOLDOWN,
    MEMBER_COOLDOWN,
    MODE,
    AutoReplySettings,
)
from bot.glossary.cooldowns import Cooldowns
from bot.glossary.models import Entry, GlossaryError, NotFound
from bot.glossary.text import clip
from bot.render import TOTAL_MAX, embeds_size, summary_embed
from cogs.permissions import check_server_manager, managers_group
from cogs.ui import NO_MENTIONS, deferred_if_slow

log = logging.getLogger(__name__)

# After a Forbidden reply, leave the channel alone for this long instead of retrying each time.
FORBIDDEN_BACKOFF = 3600.0
DISMISS_REFUSAL = (
    "Only the member who asked, or someone who may manage messages here, can dismiss this answer."
)


def hint_for(entry: Entry, define: str = "/define") -> str:
    """Return the line under an automatic answer that points to the full entry.

    `define` is the clickable `</define:id>` mention when the command's id is known.
    """
    return f"Use {define} {entry.term} for the full entry"


def reply_embeds(entries: list[Entry], define: str = "/define") -> list[discord.Embed]:
    """Return one summary embed per entry, as many as fit in one message."""
    embeds: list[discord.Embed] = []
    for entry in entries[:MAX_ENTRIES_PER_REPLY]:
        embed = summary_embed(entry, hint=hint_for(entry, define))
        if embeds and embeds_size([*embeds, embed]) > TOTAL_MAX:
            break
        embeds.append(embed)
    return embeds


class DismissButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"autoreply:dismiss:(?P<asker>[0-9]{1,20})",
):
    """Deletes an automatic answer; only the asker or a moderator may, even after a restart."""

    def __init__(self, asker_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Dismiss",
                style=discord.ButtonStyle.secondary,
                custom_id=f"autoreply:dismiss:{asker_id}",
            )
        )
        self.asker_id = asker_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DismissButton:
        """Rebuild the button from its custom id."""
        return cls(int(match["asker"]))

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Let only the asker or a message manager dismiss; refuse everyone else privately."""
        try:
            # Deleting the bot's message is that server's moderation, not the glossary's.
            if interaction.user.id == self.asker_id or interaction.permissions.manage_messages:
                return True
            await send_ephemeral(interaction, DISMISS_REFUSAL)
        except Exception as exc:  # discord.py would swallow it and leave the click unanswered
            await report_error(interaction, exc)
        return False

    async def callback(self, interaction: discord.Interaction) -> None:
        """Delete the automatic answer."""
        try:
            await interaction.response.defer()
            if interaction.message is not None:
                await interaction.message.delete()
        except discord.NotFound:
            log.debug("The automatic answer was already deleted")
        except Exception as exc:  # every failure must still answer the click
            await report_error(interaction, exc)


def _guild_id(interaction: discord.Interaction) -> int:
    """Return the guild of an interaction; the admin group is guild-only, so one is always set."""
    if interaction.guild_id is None:
        raise GlossaryError("This only works in a server.")
    return interaction.guild_id


def channel_scope(settings: AutoReplySettings) -> str:
    """Describe where automatic replies may go, in one sentence."""
    where = "everywhere"
    if settings.allowed_channels:
        where = "only in " + ", ".join(f"<#{cid}>" for cid in sorted(settings.allowed_channels))
    if settings.denied_channels:
        where += " except " + ", ".join(f"<#{cid}>" for cid in sorted(settings.denied_channels))
    return clip(f"Automatic replies go {where}.", 1500)


class AutoReply(commands.Cog):
    """Answers "what is X?" in chat with the entry's summary, without spamming."""

    autoreply = managers_group(
        "autoreply", "Automatic answers to questions in chat, for this server"
    )

    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot
        self.cooldowns = Cooldowns()
        self._muted: dict[int, float] = {}  # channel id -> when to try again after Forbidden
        self._intent_warned = False
        # One save at a time; a reply waits for the save that covers its cooldown.
        self._save_lock = asyncio.Lock()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse /autoreply to members who may not tune this server."""
        return await check_server_manager(interaction)

    @property
    def reads_content(self) -> bool:
        """Return whether the privileged Message Content intent was requested."""
        return self.bot.settings.message_content and self.bot.intents.message_content

    async def cog_load(self) -> None:
        """Register the Dismiss button and reload the cooldowns saved before a restart."""
        self.bot.add_dynamic_items(DismissButton)
        restored = await self.bot.service.load_cooldowns(self.cooldowns)
        if restored:
            log.info("Restored %d auto-reply cooldowns", restored)
        if not self.reads_content:
            self._warn_no_intent()

    async def cog_unload(self) -> None:
        """Unregister the Dismiss button and save the cooldowns one last time."""
        self.bot.remove_dynamic_items(DismissButton)
        await self._save_cooldowns()

    # Settings ----------------------------------------------------------------------------

    async def settings_for(self, guild_id: int) -> AutoReplySettings:
        """Return a guild's settings."""
        return await self.bot.service.settings.autoreply(guild_id)

    async def update(
        self,
        interaction: discord.Interaction,
        guild_id: int,
        change: Callable[[AutoReplySettings], AutoReplySettings],
    ) -> AutoReplySettings:
        """Apply `change` to a guild's settings, save them and return the result."""
        async with deferred_if_slow(interaction):
            return await self.bot.service.settings.change_autoreply(guild_id, change)

    def settings_embed(self, settings: AutoReplySettings) -> discord.Embed:
        """Return the settings as an embed for moderators."""
        embed = discord.Embed(title="Automatic replies")
        embed.add_field(
            name="Mode", value=f"{settings.mode} - {MODE.choices[settings.mode]}", inline=False
        )
        embed.add_field(
            name="Cooldowns",
            value=(
                f"{settings.cooldown_seconds}s per term and channel · "
                f"{settings.user_cooldown_seconds}s per member"
            ),
            inline=False,
        )
        embed.add_field(
            name="Channels",
            value=clip(channel_scope(settings), limits.EMBED_FIELD_VALUE),
            inline=False,
        )
        if settings.disabled_entries:
            terms = sorted(
                (entry.term if (entry := self.bot.service.get(key)) else key)
                for key in settings.disabled_entries
            )
            embed.add_field(
                name="Never explained on my own",
                value=clip(", ".join(terms), limits.EMBED_FIELD_VALUE),
                inline=False,
            )
        if not self.reads_content:
            embed.set_footer(
                text="The Message Content intent is off (MESSAGE_CONTENT_INTENT=false): "
                "I only see messages that mention me, so automatic replies are limited to those."
            )
        return embed

    # Commands ----------------------------------------------------------------------------

    @autoreply.command(name="show", description="Show the automatic reply settings")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show this server's automatic reply settings."""
        settings = await self.settings_for(_guild_id(interaction))
        await interaction.response.send_message(
            embed=self.settings_embed(settings), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @autoreply.command(name="mode", description="Choose when I answer on my own")
    @app_commands.describe(mode="question: only questions; mention: any mention; off: never")
    @app_commands.choices(
        mode=[
            app_commands.Choice(name=f"{name} - {text}", value=name)
            for name, text in MODE.choices.items()
        ]
    )
    async def mode(self, interaction: discord.Interaction, mode: str) -> None:
        """Set the detection mode."""
        settings = await self.update(
            interaction, _guild_id(interaction), lambda current: current.with_mode(mode)
        )
        await send_ephemeral(
            interaction,
            f"Automatic replies: **{settings.mode}** ({MODE.choices[settings.mode]}).",
        )

    @autoreply.command(
        name="cooldown", description="How long before the same answer or member gets another reply"
    )
    @app_commands.describe(
        seconds="Seconds before the same term is explained again in a channel (0 = no limit)",
        member_seconds="Seconds before one member gets another automatic answer (0 = no limit)",
    )
    async def cooldown(
        self,
        interaction: discord.Interaction,
        seconds: app_commands.Range[int, 0, CHANNEL_COOLDOWN.most],
        member_seconds: app_commands.Range[int, 0, MEMBER_COOLDOWN.most] | None = None,
    ) -> None:
        """Set the per-channel and per-member cooldowns."""
        settings = await self.update(
            interaction,
            _guild_id(interaction),
            lambda current: current.with_cooldowns(seconds, member_seconds),
        )
        await send_ephemeral(
            interaction,
            f"Cooldowns: {settings.cooldown_seconds}s per term and channel, "
            f"{settings.user_cooldown_seconds}s per member.",
        )

    @autoreply.command(name="channel", description="Allow or deny automatic replies in a channel")
    @app_commands.describe(
        action="allow: reply only in allowed channels; deny: never here; clear: unlist",
        channel="Channel, thread, forum or category (default: here; clear without one: all)",
    )
    @app_commands.choices(
        action=[app_commands.Choice(name=name, value=name) for name in ("allow", "deny", "clear")]
    )
    async def channel(
        self,
        interaction: discord.Interaction,
        action: str,
        channel: app_commands.AppCommandChannel | app_commands.AppCommandThread | None = None,
    ) -> None:
        """Change the channel allow and deny lists."""
        guild_id = _guild_id(interaction)
        target = channel.id if channel is not None else None
        if action == "clear":
            settings = await self.update(
                interaction, guild_id, lambda current: current.clear_channel(target)
            )
            done = (
                f"<#{target}> is on neither list"
                if target is not None
                else "Both channel lists are empty"
            )
        elif action in ("allow", "deny"):
            target = target if target is not None else interaction.channel_id
            if target is None:
                raise GlossaryError("Name a channel.")
            if action == "allow":
                settings = await self.update(
                    interaction, guild_id, lambda current: current.allow_channel(target)
                )
            else:
                settings = await self.update(
                    interaction, guild_id, lambda current: current.deny_channel(target)
                )
            done = f"<#{target}> is now {'allowed' if action == 'allow' else 'denied'}"
        else:
            raise GlossaryError(f"Unknown action '{clip(action, 20)}': use allow, deny or clear.")
        await send_ephemeral(interaction, f"{done}. {channel_scope(settings)}")

    @autoreply.command(name="entry", description="Turn automatic replies for one entry on or off")
    @app_commands.describe(
        action="enable or disable automatic replies for the entry", term="The glossary entry"
    )
    @app_commands.choices(
        action=[app_commands.Choice(name=name, value=name) for name in ("enable", "disable")]
    )
    async def entry(self, interaction: discord.Interaction, action: str, term: str) -> None:
        """Opt one entry out of (or back into) automatic replies on this server."""
        result = self.bot.service.resolve(term)
        if result.match is None:
            raise NotFound(f"There is no glossary entry for '{clip(term, 80)}'.")
        found = result.match.entry
        if action == "disable":
            await self.update(
                interaction,
                _guild_id(interaction),
                lambda current: current.disable_entry(found.key),
            )
            await send_ephemeral(
                interaction, f"I will no longer explain **{found.term}** on my own."
            )
        elif action == "enable":
            await self.update(
                interaction, _guild_id(interaction), lambda current: current.enable_entry(found.key)
            )
            note = (
                ""
                if found.autoreply
                else " (its glossary entry still has automatic replies turned off)"
            )
            await send_ephemeral(
                interaction, f"I will explain **{found.term}** on my own again{note}."
            )
        else:
            raise GlossaryError(f"Unknown action '{clip(action, 20)}': use enable or disable.")

    @entry.autocomplete("term")
    async def entry_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer ranked entries for what the moderator has typed so far."""
        hits = self.bot.service.autocomplete(current[:200])
        return [
            app_commands.Choice(name=clip(hit.entry.term, limits.CHOICE_NAME), value=hit.entry.key)
            for hit in hits[: limits.CHOICES]
        ]

    # Listener ----------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer a question about a glossary term; never let a failure escape."""
        try:
            await self._handle(message)
        except Exception:
            log.exception(
                "Automatic reply failed (guild=%s channel=%s message=%s)",
                message.guild.id if message.guild else None,
                message.channel.id,
                message.id,
            )

    async def _handle(self, message: discord.Message) -> None:
        guild = message.guild
        if (
            guild is None
            or message.author.bot
            or message.webhook_id is not None
            or message.is_system()
        ):
            return
        if self.bot.user is not None and message.author.id == self.bot.user.id:
            return
        content = message.content
        if not content:
            if not self.reads_content:
                self._warn_no_intent()
            return
        settings = await self.settings_for(guild.id)
        now = self.cooldowns.now()
        if self._muted.get(message.channel.id, 0.0) > now:
            return
        entries = decide(
            content,
            guild_id=guild.id,
            channel_id=message.channel.id,
            author_id=message.author.id,
            settings=settings,
            cooldowns=self.cooldowns,
            scanner=self.bot.service,
            now=now,
            parent_ids=_parent_ids(message.channel),
        )
        if not entries:
            return
        # Record before the first await: a second message handled meanwhile must see the cooldown.
        self.cooldowns.record(
            guild.id,
            message.channel.id,
            message.author.id,
            [entry.key for entry in entries],
            settings,
            now,
        )
        # Saved as the answer goes out, so a crash never repeats it; a busy database (another
        # process writing) delays only the save, never the answer.
        saving = asyncio.create_task(self._save_cooldowns())
        try:
            await self._reply(message, entries, now)
        finally:
            await saving

    async def _reply(self, message: discord.Message, entries: list[Entry], now: float) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(DismissButton(message.author.id))
        try:
            await message.reply(
                embeds=reply_embeds(entries, self.bot.command_mentions.mention("define")),
                view=view,
                mention_author=False,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.Forbidden:
            self._mute(message.channel.id, now)
        except discord.HTTPException as exc:
            log.warning(
                "Could not send an automatic reply in channel %s: %s", message.channel.id, exc
            )

    def _mute(self, channel_id: int, now: float) -> None:
        """Stop trying a channel where the bot may not speak, logging it once."""
        if channel_id not in self._muted:
            log.warning(
                "Not allowed to reply in channel %s (missing Send Messages, Embed Links or "
                "Read Message History); automatic replies there pause for an hour",
                channel_id,
            )
        # Keep only live entries so a bot banned from many channels does not grow this forever.
        self._muted = {cid: until for cid, until in self._muted.items() if until > now}
        self._muted[channel_id] = now + FORBIDDEN_BACKOFF

    def _warn_no_intent(self) -> None:
        if self._intent_warned:
            return
        self._intent_warned = True
        log.warning(
            "Automatic replies need the Message Content intent: set MESSAGE_CONTENT_INTENT=true "
            "and enable it under Bot > Privileged Gateway Intents. Until then I only answer "
            "messages that mention me; /define and the other commands work as usual."
        )

    # Cooldown persistence ----------------------------------------------------------------

    async def _save_cooldowns(self) -> None:
        """Save the cooldowns unless a save since the last reply already covered them."""
        async with self._save_lock:
            if not self.cooldowns.changes:
                return
            try:
                await self.bot.service.save_cooldowns(self.cooldowns)
            except (GlossaryError, sqlite3.Error) as exc:
                # Kept in memory and saved with the next answer; a known cause is one line.
                log.warning("Could not save auto-reply cooldowns: %s", exc)
            except Exception:
                log.exception("Could not save auto-reply cooldowns")


def _parent_ids(channel: discord.abc.Messageable) -> tuple[int, ...]:
    """Return the ids whose allow/deny lists also cover a channel: thread parent and category."""
    ids: list[int] = []
    if isinstance(channel, discord.Thread):
        ids.append(channel.parent_id)
    category_id = getattr(channel, "category_id", None)
    if category_id:
        ids.append(category_id)
    return tuple(ids)


async def setup(bot: GlossaryBot) -> None:
    """Load the cog."""
    await bot.add_cog(AutoReply(bot))
