"""GlossaryBot: the discord.py client, its command tree and its start-up sequence."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import sqlite3
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.command_mentions import CommandMentions
from bot.config import Settings
from bot.glossary.models import GlossaryError
from bot.glossary.service import GlossaryService

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = ("cogs.glossary", "cogs.admin", "cogs.autoreply")
# How often batched lookup counts are written (a crash loses at most this much of them)
# and changes made by other processes, such as a CLI import, are picked up.
USAGE_FLUSH_SECONDS = 10.0
STORE_REFUSED = (
    "The glossary database refused the change (it is busy, read-only or out of disk space), "
    "so nothing was saved. Please try again later; if it keeps failing, tell the bot's operator"
)

STALE_COMMAND = (
    "This command changed since your Discord app loaded it. Reload Discord (Ctrl+R, or restart "
    "the app) and try again."
)


def build_intents(settings: Settings) -> discord.Intents:
    """Return exactly the gateway intents the bot uses."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    # Privileged: only needed for automatic replies; the rest works without it.
    intents.message_content = settings.message_content
    return intents


async def send_ephemeral(interaction: discord.Interaction, content: str, **kwargs: Any) -> None:
    """Answer an interaction privately, whether or not it was already answered."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def user_message(error: GlossaryError) -> str:
    """Return a domain error as one Discord message, listing its problems."""
    lines = [error.message, *(f"- {problem}" for problem in error.problems[:15])]
    if len(error.problems) > 15:
        lines.append(f"...and {len(error.problems) - 15} more")
    return "\n".join(lines)[:1900]


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Turn any error raised while handling an interaction into an ephemeral answer."""
    original = getattr(error, "original", error)
    if isinstance(original, GlossaryError):
        message = user_message(original)
    elif isinstance(error, app_commands.CheckFailure):
        message = str(error) or "You can't use this command here."
    elif isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        # Discord sent a command shape this bot does not have: a client with a stale command list.
        log.warning("Stale or unknown command from user %s: %s", interaction.user.id, error)
        message = STALE_COMMAND
    elif isinstance(error, app_commands.TransformerError):
        message = f"'{str(error.value)[:100]}' is not a valid value for this option."
    else:
        error_id = secrets.token_hex(4)
        command = interaction.command.qualified_name if interaction.command else None
        custom_id = (interaction.data or {}).get("custom_id") if interaction.data else None
        log.error(
            "Unexpected error %s (command=%s custom_id=%s user=%s guild=%s channel=%s)",
            error_id,
            command,
            custom_id,
            interaction.user.id if interaction.user else None,
            interaction.guild_id,
            interaction.channel_id,
            exc_info=original,
        )
        if isinstance(original, sqlite3.Error):
            # Every write is one transaction that was rolled back: say so, not SQLite's words.
            message = f"{STORE_REFUSED} (error id `{error_id}`)."
        else:
            message = f"Sorry, something went wrong on my side (error id `{error_id}`)."
    try:
        await send_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("Could not deliver an error message for interaction %s", interaction.id)


class GlossaryTree(app_commands.CommandTree):
    """Command tree with one error handler for every application command."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Answer the interaction with what went wrong."""
        await report_error(interaction, error)


class GlossaryBot(commands.Bot):
    """The glossary bot: opens the store, loads the cogs and syncs commands deliberately."""

    def __init__(self, settings: Settings, *, service: GlossaryService | None = None) -> None:
        # A text-only bot: the voice libraries' absence is not worth a warning at every start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=build_intents(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=GlossaryTree,
            help_command=None,
        )
        self.settings = settings
        self._service = service
        self.command_mentions = CommandMentions()
        self._flusher: asyncio.Task[None] | None = None

    @property
    def service(self) -> GlossaryService:
        """Return the glossary service opened in setup_hook."""
        if self._service is None:
            raise RuntimeError("the glossary service is not open yet")
        return self._service

    async def setup_hook(self) -> None:
        """Open the store, load the cogs and sync application commands if they changed."""
        if self._service is None:
            self._service = await GlossaryService.open(self.settings.db_path)
        log.info(
            "Glossary loaded: %d entries from %s", len(self.service.entries), self.settings.db_path
        )
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()
        await self.command_mentions.fetch(self.tree, self.settings.dev_guild_id)
        self._flusher = asyncio.create_task(self._flush_usage_forever(), name="usage-flush")

    async def _flush_usage_forever(self) -> None:
        while True:
            await asyncio.sleep(USAGE_FLUSH_SECONDS)
            try:
                await self.service.flush_usage()
                await self.service.refresh_if_changed_elsewhere()
            except Exception:
                # Counts stay buffered; a busy or read-only database must not stop the bot.
                log.warning("Could not save lookup counts or reload the glossary", exc_info=True)

    def command_payload(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        """Return the JSON Discord would receive for this scope's commands."""
        return [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]

    async def sync_commands(self) -> bool:
        """Sync to DEV_GUILD_ID or globally, only when the command set changed since last time."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        scope = f"guild:{guild.id}" if guild else "global"
        payload = json.dumps(self.command_payload(guild), sort_keys=True, default=str)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        meta_key = f"command_hash:{scope}"
        if await self.service.repo.get_meta(meta_key) == digest:
            log.info("Application commands unchanged (%s); not syncing", scope)
            return False
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            # Members keep the commands Discord already has; the next start tries again.
            log.error("Could not sync application commands (%s): %s", scope, exc)
            return False
        await self.service.repo.set_meta(meta_key, digest)
        log.info("Synced %d application commands (%s)", len(synced), scope)
        return True

    async def on_message(self, message: discord.Message, /) -> None:
        """Skip text-command parsing: every command is a slash command; cogs listen on their own."""

    async def on_ready(self) -> None:
        """Log who we are; nothing else belongs here because READY fires again on reconnects."""
        log.info(
            "Ready as %s (id %s) in %d guilds",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
        )

    async def close(self) -> None:
        """Close the Discord connection, then the database."""
        await super().close()
        if self._flusher is not None:
            self._flusher.cancel()
        if self._service is not None:
            await self._service.close()
            self._service = None
