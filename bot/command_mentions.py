"""Clickable mentions of the bot's slash commands, once Discord has told us their ids."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import discord
from discord import app_commands

log = logging.getLogger(__name__)


class CommandMentions:
    """The ids of the synced slash commands, turned into `</name:id>` mentions."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def learn(self, commands: Iterable[app_commands.AppCommand]) -> None:
        """Remember the ids of the slash commands Discord returned, replacing what was known."""
        self._ids = {
            command.name: command.id
            for command in commands
            if command.type is discord.AppCommandType.chat_input
        }

    async def fetch(self, tree: app_commands.CommandTree, guild_id: int | None) -> None:
        """Ask Discord for the ids of the commands in the scope they were synced to."""
        guild = discord.Object(guild_id) if guild_id else None
        try:
            self.learn(await tree.fetch_commands(guild=guild))
        except discord.HTTPException as exc:
            # Members then read "/define" as plain text; nothing else depends on the ids.
            log.warning("Could not fetch the application command ids: %s", exc)

    def mention(self, name: str) -> str:
        """Return a clickable `</define:id>` mention, or plain `/define` while the id is unknown."""
        command_id = self._ids.get(name.split()[0]) if name.strip() else None
        return f"</{name}:{command_id}>" if command_id else f"/{name}"
