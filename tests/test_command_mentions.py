"""Command mentions: clickable once the ids are known, plain text before."""

from __future__ import annotations

from typing import Any

from discord import app_commands

from bot.command_mentions import CommandMentions


def command(name: str, command_id: int, kind: int = 1) -> app_commands.AppCommand:
    """Return an application command as Discord describes it."""
    data: dict[str, Any] = {
        "id": str(command_id),
        "application_id": "1",
        "name": name,
        "description": "" if kind != 1 else "d",
        "type": kind,
        "version": "1",
    }
    return app_commands.AppCommand(data=data, state=None)  # type: ignore[arg-type]


def test_unknown_ids_give_plain_text() -> None:
    assert CommandMentions().mention("define") == "/define"


def test_known_ids_give_clickable_mentions_for_commands_and_subcommands() -> None:
    mentions = CommandMentions()
    mentions.learn([command("define", 11), command("glossary", 12)])
    assert mentions.mention("define") == "</define:11>"
    assert mentions.mention("glossary search") == "</glossary search:12>"
    assert mentions.mention("missing") == "/missing"


def test_message_menus_cannot_be_mentioned() -> None:
    mentions = CommandMentions()
    mentions.learn([command("Explain terms", 13, kind=3)])
    assert mentions.mention("Explain terms") == "/Explain terms"


def test_a_new_sync_replaces_old_ids() -> None:
    mentions = CommandMentions()
    mentions.learn([command("define", 11)])
    mentions.learn([command("define", 21)])
    assert mentions.mention("define") == "</define:21>"
