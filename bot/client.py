"""GlossaryBot: the discord.py client, its command tree and its start-up sequence."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.command_mentions import CommandMentions
from bot.config import DEFAULT_REFRESH_SECONDS, Settings
from bot.glossary.models import GlossaryError
from bot.home import ADOPTED_META, HomeGuilds, configured_home, resolve_home
from bot.refusals import describe
from bot.services.glossary import GlossaryService

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = ("cogs.glossary", "cogs.admin", "cogs.autoreply")
STORE_REFUSED = (
    "The glossary database refused the change (it is busy, read-only or out of disk space), "
    "so nothing was saved. Please try again later; if it keeps failing, tell the bot's operator"
)

# The stored hash of a scope whose commands were removed.
NO_COMMANDS = hashlib.sha256(b"[]").hexdigest()

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


async def send_ephemeral(
    interaction: discord.Interaction, content: str | None = None, **kwargs: Any
) -> None:
    """Answer an interaction privately, whether or not it was already answered (or deferred)."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if kwargs.get("file", ...) is None:
        del kwargs["file"]  # callers pass file=None for "no attachment"; discord.py wants it absent
    if content is not None:
        kwargs["content"] = content
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(ephemeral=True, **kwargs)


def user_message(error: GlossaryError) -> str:
    """Return a domain error as one Discord message, listing its problems."""
    message, problems = describe(error)
    lines = [message, *(f"- {problem}" for problem in problems[:15])]
    if len(problems) > 15:
        lines.append(f"...and {len(problems) - 15} more")
    return "\n".join(lines)[:1900]


async def report_error(
    interaction: discord.Interaction,
    error: BaseException,
    *,
    attachment: discord.File | None = None,
) -> None:
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
        # What the member typed goes back with the error, so nothing they wrote is lost.
        await send_ephemeral(interaction, message, file=attachment)
    except discord.HTTPException:
        log.warning("Could not deliver an error message for interaction %s", interaction.id)


class GlossaryTree(app_commands.CommandTree):
    """Command tree with one error handler for every application command."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Answer the interaction with what went wrong."""
        await report_error(interaction, error)


class GlossaryBot(commands.AutoShardedBot):
    """The glossary bot: opens the store, loads the cogs and syncs commands deliberately.

    Sharded by discord.py itself: one shard until Discord asks for more (SHARD_COUNT=auto).
    """

    def __init__(self, settings: Settings, *, service: GlossaryService | None = None) -> None:
        # A text-only bot: the voice libraries' absence is not worth a warning at every start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=build_intents(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=GlossaryTree,
            help_command=None,
            shard_count=settings.shard_count,
        )
        self.settings = settings
        self._service = service
        self.command_mentions = CommandMentions()
        # Until setup_hook reads the settings and the store, no server owns the glossary.
        self.home = HomeGuilds(frozenset(), "unresolved")
        self._home_commands: list[app_commands.Group] = []
        self._home_checked = False
        self._flush_failure: str | None = None
        self._set_up = False
        self.flush_usage.change_interval(seconds=settings.refresh_seconds)

    @property
    def service(self) -> GlossaryService:
        """Return the glossary service opened in setup_hook."""
        if self._service is None:
            raise RuntimeError("the glossary service is not open yet")
        return self._service

    async def setup_hook(self) -> None:
        """Open the store, decide the home servers, load the cogs and sync changed commands."""
        if self._service is None:
            self._service = await GlossaryService.open(self.settings.db_path)
        log.info(
            "Glossary loaded: %d entries from %s", len(self.service.entries), self.settings.db_path
        )
        recorded = await self.service.repo.get_meta(self._adopted_meta)
        configured = configured_home(self.settings.home_guild_ids, self.settings.dev_guild_id)
        # Which servers are present is known only after READY; settle "adopted" there.
        self.home = resolve_home(
            configured, int(recorded) if recorded and recorded.isdigit() else None, ()
        )
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()
        await self.command_mentions.fetch(self.tree, self.settings.dev_guild_id)
        self.flush_usage.start()

    @property
    def _adopted_meta(self) -> str:
        """Return where this application's adopted home server is recorded."""
        # Per application: a test bot adopting its test server must not bind the real bot.
        return f"{ADOPTED_META}:{self.application_id or 0}"

    def claim_for_home(self, group: app_commands.Group) -> None:
        """Register a command group in the home servers only, never globally."""
        self.tree.remove_command(group.name)
        self._home_commands.append(group)
        for guild_id in self.home.ids:
            self.tree.add_command(group, guild=discord.Object(guild_id), override=True)

    async def settle_home(self, present: list[discord.Guild]) -> HomeGuilds:
        """Adopt the only server when nothing names a home, and log who owns the glossary."""
        names = ", ".join(f"{guild.name} ({guild.id})" for guild in present) or "none"
        log.info("In %d servers: %s", len(present), names)
        if self.home.source == "unresolved":
            home = resolve_home(None, None, (guild.id for guild in present))
            if home.source == "adopted":
                (guild_id,) = home.ids
                await self.service.repo.set_meta(self._adopted_meta, str(guild_id))
                log.warning(
                    "HOME_GUILD_IDS is not set: adopted the only server, %s, as the glossary's "
                    "home. Only its moderators can change the glossary; set HOME_GUILD_IDS to "
                    "choose another.",
                    guild_id,
                )
                self.home = home
                for group in self._home_commands:
                    self.tree.add_command(group, guild=discord.Object(guild_id), override=True)
                await self.sync_commands()
            else:
                log.error(
                    "No home server: HOME_GUILD_IDS is not set and the bot is in %d servers, so "
                    "nobody can change the glossary. Set HOME_GUILD_IDS in .env and restart.",
                    len(present),
                )
        missing = self.home.ids - {guild.id for guild in present}
        if missing:
            log.warning(
                "Home servers the bot is not in: %s", ", ".join(str(gid) for gid in sorted(missing))
            )
        log.info(
            "Home servers (%s): %s",
            self.home.source,
            ", ".join(str(gid) for gid in sorted(self.home.ids)) or "none",
        )
        return self.home

    @tasks.loop(seconds=DEFAULT_REFRESH_SECONDS)
    async def flush_usage(self) -> None:
        """Write batched lookup counts and pick up changes other processes made."""
        try:
            await self.service.flush_usage()
            await self.service.refresh_if_changed_elsewhere()
        except (GlossaryError, sqlite3.Error) as exc:
            # Counts stay buffered; a busy, replaced or read-only database must not stop the bot,
            # and the same known cause is worth one line, not one traceback every ten seconds.
            cause = exc.message if isinstance(exc, GlossaryError) else str(exc)
            if cause != self._flush_failure:
                log.error("Could not save lookup counts or reload the glossary: %s", cause)
            self._flush_failure = cause
        except Exception:
            log.warning("Could not save lookup counts or reload the glossary", exc_info=True)
        else:
            self._flush_failure = None

    def command_payload(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        """Return the JSON Discord would receive for this scope's commands."""
        return [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]

    def command_scopes(self) -> list[int | None]:
        """Return where commands go: global (None) unless developing, and each guild's own."""
        guilds = set(self.home.ids)
        dev = self.settings.dev_guild_id
        if dev is not None:
            # While developing, everything is copied to one server, where updates are instant.
            self.tree.copy_global_to(guild=discord.Object(dev))
            guilds.add(dev)
        return [*([] if dev is not None else [None]), *sorted(guilds)]

    async def sync_commands(self) -> int:
        """Sync each scope whose commands changed since the last sync by this application.

        Guilds that had commands from an earlier configuration (a former DEV_GUILD_ID or home)
        are cleared, so no command shows twice. Returns how many scopes were synced.
        """
        app = self.application_id or 0
        repo = self.service.repo
        scopes = self.command_scopes()
        guilds_meta = f"command_guilds:{app}"
        earlier = {int(gid) for gid in json.loads(await repo.get_meta(guilds_meta) or "[]")}
        stale = sorted(earlier - {scope for scope in scopes if scope is not None})
        synced = 0
        for scope in [*scopes, *stale]:
            guild = discord.Object(scope) if scope is not None else None
            name = f"guild:{scope}" if scope is not None else "global"
            payload = json.dumps(self.command_payload(guild), sort_keys=True, default=str)
            digest = hashlib.sha256(payload.encode()).hexdigest()
            meta_key = f"command_hash:{app}:{name}"
            if not self.settings.force_sync and await repo.get_meta(meta_key) == digest:
                log.info("Application commands unchanged (%s); not syncing", name)
                continue
            try:
                done = await self.tree.sync(guild=guild)
            except discord.HTTPException as exc:
                # Members keep the commands Discord already has; the next start tries again.
                log.error("Could not sync application commands (%s): %s", name, exc)
                continue
            await repo.set_meta(meta_key, digest)
            synced += 1
            log.info("Synced %d application commands (%s)", len(done), name)
        kept = sorted(scope for scope in scopes if scope is not None)
        await repo.set_meta(guilds_meta, json.dumps(kept))
        if None not in scopes:
            synced += await self._clear_global_commands(app)
        return synced

    async def _clear_global_commands(self, app: int) -> int:
        """Remove global commands this application synced before DEV_GUILD_ID was set."""
        meta_key = f"command_hash:{app}:global"
        if await self.service.repo.get_meta(meta_key) in (None, NO_COMMANDS):
            return 0
        try:
            await self.http.bulk_upsert_global_commands(app, [])
        except discord.HTTPException as exc:
            log.error("Could not remove the global application commands: %s", exc)
            return 0
        await self.service.repo.set_meta(meta_key, NO_COMMANDS)
        log.info("Removed the global application commands: DEV_GUILD_ID has them all")
        return 1

    async def launch_shards(self) -> None:
        """Ask Discord how many shards it wants, but connect to DISCORD_GATEWAY_URL (a proxy)."""
        if self.shard_count is None:
            self.shard_count, _, _ = await self.http.get_bot_gateway()
            log.info("Discord recommends %d shard(s)", self.shard_count)
        await super().launch_shards()

    async def on_message(self, message: discord.Message, /) -> None:
        """Skip text-command parsing: every command is a slash command; cogs listen on their own."""

    async def on_ready(self) -> None:
        """Log who we are; settle the home servers once (READY fires again on reconnects)."""
        log.info(
            "Ready as %s (id %s) in %d guilds",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
        )
        if not self._home_checked:
            self._home_checked = True
            await self.settle_home(list(self.guilds))

    async def _async_setup_hook(self) -> None:
        await super()._async_setup_hook()
        self._set_up = True

    async def close(self) -> None:
        """Close the Discord connection (if one was ever set up), then the database."""
        # AutoShardedClient.close needs what `async with bot` or login sets up first.
        if self._set_up:
            await super().close()
        self.flush_usage.cancel()
        if self._service is not None:
            await self._service.close()
            self._service = None
