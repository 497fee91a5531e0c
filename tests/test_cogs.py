"""Every cog loads, and the command set is what Discord will accept."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import discord
from discord import app_commands

from bot.client import EXTENSIONS, GlossaryBot
from bot.config import load_settings
from bot.glossary.autoreply_settings import CHANNEL_COOLDOWN, MEMBER_COOLDOWN, MODE
from bot.home import HomeGuilds
from bot.services.glossary import GlossaryService

HOME = discord.Object(1000)


async def loaded_bot(tmp_path: Path) -> GlossaryBot:
    """Return a bot with a real store and every extension loaded, not connected to Discord."""
    settings = load_settings({"GLOSSARY_DB": str(tmp_path / "g.db")})
    service = await GlossaryService.open(settings.db_path)
    bot = GlossaryBot(settings, service=service)
    bot.home = HomeGuilds(frozenset({HOME.id}), "HOME_GUILD_IDS")
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
        top += bot.tree.get_commands(guild=HOME, type=discord.AppCommandType.chat_input)
        names = Counter(command.name for command in top)
        assert [name for name, count in names.items() if count > 1] == []
        qualified = Counter(command.qualified_name for command in walk(top))
        assert [name for name, count in qualified.items() if count > 1] == []
        assert {"define", "glossary", "glossary-admin", "autoreply"} <= set(names)
        menus = bot.tree.get_commands(type=discord.AppCommandType.message)
        assert [menu.name for menu in menus] == ["Explain terms"]
    finally:
        await bot.close()


async def test_payload_fits_discord_limits(tmp_path: Path) -> None:
    bot = await loaded_bot(tmp_path)
    try:
        assert len(bot.command_payload(None)) <= 100
        assert len(bot.command_payload(HOME)) <= 100
        scopes = [*bot.tree.get_commands(), *bot.tree.get_commands(guild=HOME)]
        for command in walk(
            [c for c in scopes if isinstance(c, app_commands.Group | app_commands.Command)]
        ):
            assert 1 <= len(command.description) <= 100, command.qualified_name
            assert len(command.parameters) <= 25
    finally:
        await bot.close()


async def test_admin_group_exists_only_in_home_servers_and_is_hidden_from_members(
    tmp_path: Path,
) -> None:
    bot = await loaded_bot(tmp_path)
    try:
        assert bot.tree.get_command("glossary-admin") is None
        assert bot.tree.get_command("glossary-admin", guild=discord.Object(2000)) is None
        admin = bot.tree.get_command("glossary-admin", guild=HOME)
        assert isinstance(admin, app_commands.Group)
        assert admin.guild_only
        assert admin.default_permissions is not None
        assert admin.default_permissions.manage_guild
        # Each server's own settings: global, hidden from members without Manage Server.
        autoreply = bot.tree.get_command("autoreply")
        assert isinstance(autoreply, app_commands.Group)
        assert autoreply.guild_only
        assert autoreply.default_permissions is not None
        assert autoreply.default_permissions.manage_guild
    finally:
        await bot.close()


async def test_autoreply_options_follow_the_setting_rules(tmp_path: Path) -> None:
    bot = await loaded_bot(tmp_path)
    try:
        group = bot.tree.get_command("autoreply")
        assert isinstance(group, app_commands.Group)
        cooldown = group.get_command("cooldown")
        mode = group.get_command("mode")
        assert isinstance(cooldown, app_commands.Command)
        assert isinstance(mode, app_commands.Command)
        ranges = {param.name: (param.min_value, param.max_value) for param in cooldown.parameters}
        assert ranges == {
            "seconds": (0, CHANNEL_COOLDOWN.most),
            "member_seconds": (0, MEMBER_COOLDOWN.most),
        }
        assert [choice.value for choice in mode.parameters[0].choices] == list(MODE.choices)
    finally:
        await bot.close()


async def test_the_refresh_interval_comes_from_the_settings(tmp_path: Path) -> None:
    default = GlossaryBot(load_settings({"GLOSSARY_DB": str(tmp_path / "g.db")}))
    quick = GlossaryBot(
        load_settings({"GLOSSARY_DB": str(tmp_path / "g.db"), "REFRESH_SECONDS": "0.5"})
    )
    try:
        assert default.flush_usage.seconds == 10.0
        assert quick.flush_usage.seconds == 0.5
    finally:
        await default.close()
        await quick.close()
