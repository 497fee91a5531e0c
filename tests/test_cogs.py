"""Every cog loads, and the command set is what Discord will accept."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import discord
from discord import app_commands

from bot.client import EXTENSIONS, GlossaryBot
from bot.config import load_settings
from bot.glossary.service import GlossaryService


async def loaded_bot(tmp_path: Path) -> GlossaryBot:
    """Return a bot with a real store and every extension loaded, not connected to Discord."""
    settings = load_settings({"GLOSSARY_DB": str(tmp_path / "g.db")})
    service = await GlossaryService.open(settings.db_path)
    bot = GlossaryBot(settings, service=service)
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    return bot


def walk(commands: list[app_commands.Command | app_commands.Group]) -> list[app_commands.Command]:
    """Return every leaf command below these."""
    leaves: list[app_commands.Command] = []
    for command in commands:
        if isinstance(command, app_commands.Group):
            leaves.extend(walk(command.commands))
        else:
            leaves.append(command)
    return leaves


async def test_every_extension_loads(tmp_path: Path) -> None:
    bot = await loaded_bot(tmp_path)
    try:
        assert set(bot.extensions) == set(EXTENSIONS)
        assert len(bot.cogs) == len(EXTENSIONS)
    finally:
        await bot.close()


async def test_no_command_names_clash(tmp_path: Path) -> None:
    bot = await loaded_bot(tmp_path)
    try:
        top = bot.tree.get_commands(type=discord.AppCommandType.chat_input)
        names = Counter(command.name for command in top)
        assert [name for name, count in names.items() if count > 1] == []
        qualified = Counter(command.qualified_name for command in walk(top))
        assert [name for name, count in qualified.items() if count > 1] == []
        assert {"define", "glossary", "glossary-admin"} <= set(names)
        menus = bot.tree.get_commands(type=discord.AppCommandType.message)
        assert [menu.name for menu in menus] == ["Explain terms"]
    finally:
        await bot.close()


async def test_payload_fits_discord_limits(tmp_path: Path) -> None:
    bot = await loaded_bot(tmp_path)
    try:
        payload = bot.command_payload(None)
        assert len(payload) <= 100
        for command in walk(bot.tree.get_commands(type=discord.AppCommandType.chat_input)):
            assert 1 <= len(command.description) <= 100, command.qualified_name
            assert len(command.parameters) <= 25
    finally:
        await bot.close()


async def test_admin_group_is_hidden_from_members(tmp_path: Path) -> None:
    bot = await loaded_bot(tmp_path)
    try:
        admin = bot.tree.get_command("glossary-admin")
        assert isinstance(admin, app_commands.Group)
        assert admin.guild_only
        assert admin.default_permissions is not None
        assert admin.default_permissions.manage_messages
    finally:
        await bot.close()
