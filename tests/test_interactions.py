"""How the bot answers and guards an interaction, with Discord's side as spec_set mocks.

The interaction, its response and its follow-up webhook are `create_autospec(..., spec_set=True)`
mocks of discord.py's own classes, so a misspelt attribute or a wrong call signature fails the
test; the bot and its store are real (a SQLite file in tmp_path).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from unittest.mock import create_autospec

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.client import STALE_COMMAND, STORE_REFUSED, GlossaryBot, report_error, send_ephemeral
from bot.config import load_settings
from bot.glossary.models import GlossaryError
from bot.home import HomeGuilds
from bot.services.glossary import GlossaryService
from bot.services.server_settings import MOD_ROLES_SETTING
from cogs.admin.cog import GlossaryAdmin
from cogs.autoreply import AutoReply
from cogs.permissions import REFUSAL, SERVER_REFUSAL, is_moderator

GUILD_ID = 1200000000000000001
MOD_ROLE_ID = 1500000000000000001
OTHER_ROLE_ID = 1500000000000000009


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[GlossaryBot]:
    """Return a bot with a real store, not connected to Discord."""
    settings = load_settings({"GLOSSARY_DB": str(tmp_path / "g.db")})
    service = await GlossaryService.open(settings.db_path)
    glossary_bot = GlossaryBot(settings, service=service)
    glossary_bot.home = HomeGuilds(frozenset({GUILD_ID}), "HOME_GUILD_IDS")
    try:
        yield glossary_bot
    finally:
        await glossary_bot.close()


def role(role_id: int) -> Any:
    """Return a spec_set mock of a role."""
    mock = create_autospec(discord.Role, instance=True, spec_set=True)
    mock.id = role_id
    return mock


def interaction(
    client: GlossaryBot | None = None,
    *,
    done: bool = False,
    guild_id: int | None = GUILD_ID,
    permissions: discord.Permissions | None = None,
    role_ids: tuple[int, ...] = (),
    member: bool = True,
) -> Any:
    """Return a spec_set mock of a slash-command interaction from one member."""
    mock = create_autospec(discord.Interaction, instance=True, spec_set=True)
    mock.response = create_autospec(discord.InteractionResponse, instance=True, spec_set=True)
    mock.response.is_done.return_value = done
    mock.followup = create_autospec(discord.Webhook, instance=True, spec_set=True)
    mock.client = client
    mock.guild_id = guild_id
    mock.channel_id = 1300000000000000001
    mock.id = 1600000000000000001
    mock.data = {}
    mock.command = None
    mock.permissions = permissions or discord.Permissions.none()
    user_class = discord.Member if member else discord.User
    mock.user = create_autospec(user_class, instance=True, spec_set=True)
    mock.user.id = 1400000000000000001
    if member:
        mock.user.roles = [role(role_id) for role_id in role_ids]
    return mock


def sent_text(mock: Any) -> str:
    """Return the one private message sent in answer, checking how it was sent."""
    calls = [*mock.response.send_message.await_args_list, *mock.followup.send.await_args_list]
    assert len(calls) == 1, calls
    args, kwargs = calls[0]
    content = kwargs.get("content", args[0] if args else None)
    assert kwargs["ephemeral"] is True
    mentions = kwargs["allowed_mentions"]
    assert (mentions.everyone, mentions.users, mentions.roles) == (False, False, False)
    return str(content)


# ----------------------------------------------------------------------------- send_ephemeral


async def test_a_first_answer_is_the_interaction_response() -> None:
    mock = interaction()
    await send_ephemeral(mock, "hello")
    assert sent_text(mock) == "hello"
    mock.response.send_message.assert_awaited_once()
    mock.followup.send.assert_not_awaited()


async def test_an_answered_interaction_gets_a_follow_up() -> None:
    mock = interaction(done=True)
    await send_ephemeral(mock, "later")
    assert sent_text(mock) == "later"
    mock.followup.send.assert_awaited_once()
    mock.response.send_message.assert_not_awaited()


# ------------------------------------------------------------------------------- report_error


async def test_a_domain_error_is_shown_with_its_problems() -> None:
    mock = interaction()
    problems = [f"problem {n}" for n in range(20)]
    await report_error(mock, GlossaryError("That did not work.", problems=problems))
    text = sent_text(mock)
    assert text.startswith("That did not work.\n- problem 0\n")
    assert "- problem 14" in text
    assert "- problem 15" not in text
    assert text.endswith("...and 5 more")


async def test_a_domain_error_wrapped_by_discord_py_is_unwrapped() -> None:
    mock = interaction()
    command = app_commands.Command(name="x", description="x", callback=_noop)
    wrapped = app_commands.CommandInvokeError(command, GlossaryError("No such entry."))
    await report_error(mock, wrapped)
    assert sent_text(mock) == "No such entry."


async def test_a_failed_check_says_why() -> None:
    mock = interaction()
    await report_error(mock, app_commands.CheckFailure(REFUSAL))
    assert sent_text(mock) == REFUSAL


async def test_an_unknown_command_asks_for_a_fresh_command_list() -> None:
    mock = interaction()
    await report_error(mock, app_commands.CommandNotFound("gone", []))
    assert sent_text(mock) == STALE_COMMAND


async def test_a_database_error_says_nothing_was_saved(caplog: pytest.LogCaptureFixture) -> None:
    mock = interaction()
    with caplog.at_level(logging.ERROR):
        await report_error(mock, sqlite3.OperationalError("disk I/O error"))
    text = sent_text(mock)
    assert text.startswith(STORE_REFUSED)
    assert "disk I/O error" not in text  # SQLite's words stay in the log
    assert "disk I/O error" in caplog.text


async def test_an_unexpected_error_gets_an_id_and_no_details(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mock = interaction()
    with caplog.at_level(logging.ERROR):
        await report_error(mock, KeyError("size"))
    text = sent_text(mock)
    assert text.startswith("Sorry, something went wrong on my side (error id `")
    assert "size" not in text and "KeyError" not in text
    error_id = text.split("`")[1]
    assert error_id in caplog.text and "KeyError" in caplog.text


async def test_an_error_report_that_cannot_be_delivered_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mock = interaction()
    mock.response.send_message.side_effect = discord.NotFound(_http_response(404), "gone")
    with caplog.at_level(logging.WARNING):
        await report_error(mock, GlossaryError("x"))
    assert "Could not deliver an error message" in caplog.text


# ------------------------------------------------------------------------- moderator checks


@pytest.mark.parametrize(
    ("permissions", "role_ids", "expected"),
    [
        (discord.Permissions(manage_guild=True), (), True),
        (discord.Permissions(administrator=True), (), True),
        (discord.Permissions(manage_messages=True), (), False),
        (discord.Permissions.none(), (MOD_ROLE_ID,), True),
        (discord.Permissions.none(), (OTHER_ROLE_ID,), False),
        (discord.Permissions.none(), (), False),
    ],
)
async def test_moderator_is_manage_server_or_a_moderator_role(
    bot: GlossaryBot, permissions: discord.Permissions, role_ids: tuple[int, ...], expected: bool
) -> None:
    await bot.service.repo.set_setting(GUILD_ID, MOD_ROLES_SETTING, [MOD_ROLE_ID])
    mock = interaction(bot, permissions=permissions, role_ids=role_ids)
    assert await is_moderator(mock) is expected


async def test_no_one_moderates_from_a_direct_message(bot: GlossaryBot) -> None:
    dm = interaction(bot, guild_id=None, permissions=discord.Permissions.all(), member=False)
    assert await is_moderator(dm) is False


async def test_the_moderators_commands_refuse_with_the_reason(bot: GlossaryBot) -> None:
    admin = GlossaryAdmin(bot)
    member = interaction(bot, permissions=discord.Permissions.none())
    with pytest.raises(app_commands.CheckFailure, match=REFUSAL):
        await admin.interaction_check(member)
    moderator = interaction(bot, permissions=discord.Permissions(manage_guild=True))
    assert await admin.interaction_check(moderator) is True


async def test_a_servers_autoreply_settings_refuse_other_members(bot: GlossaryBot) -> None:
    autoreply = AutoReply(bot)
    elsewhere = GUILD_ID + 1  # any server tunes its own replies, home or not
    member = interaction(bot, guild_id=elsewhere, permissions=discord.Permissions.none())
    with pytest.raises(app_commands.CheckFailure, match=SERVER_REFUSAL):
        await autoreply.interaction_check(member)
    manager = interaction(
        bot, guild_id=elsewhere, permissions=discord.Permissions(manage_guild=True)
    )
    assert await autoreply.interaction_check(manager) is True


async def _noop(interaction: discord.Interaction) -> None:
    """Do nothing."""


def _http_response(status: int) -> Any:
    """Return a spec_set mock of aiohttp's response, as discord.HTTPException reads it."""
    response = create_autospec(aiohttp.ClientResponse, instance=True, spec_set=True)
    response.status = status
    response.reason = "Not Found"
    return response


async def test_a_manager_of_another_server_is_no_glossary_moderator(bot: GlossaryBot) -> None:
    stranger = interaction(
        bot, guild_id=GUILD_ID + 1, permissions=discord.Permissions(administrator=True)
    )
    assert await is_moderator(stranger) is False
