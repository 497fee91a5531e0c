"""Hostile input through the real bot: mentions never ping, malformed interactions never crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.glossary import yamlio
from bot.glossary.models import Entry, Paragraph
from tests.e2e.conftest import SharedBot
from tests.e2e.fake_discord import (
    EPHEMERAL_FLAG,
    GUILD_ID,
    MEMBER_USER_ID,
    MODERATOR_ROLE_ID,
    OWNER_USER_ID,
    TEXT_CHANNEL_ID,
    FakeDiscord,
    RecordedRequest,
)
from tests.e2e.harness import BotFactory
from tests.e2e.payloads import buttons, embeds_text, pings_nobody
from tests.reliability.conftest import (
    CHANNEL_MESSAGE,
    autocomplete,
    callbacks_of,
    define,
    query,
    reply_to,
    run_cli,
    start_bot,
)

PINGS = (
    f"@everyone @here <@&{MODERATOR_ROLE_ID}> <@{MEMBER_USER_ID}> <@!{OWNER_USER_ID}> "
    "[free nitro](https://discord.gg/nitro) discord.gg/abcdef"
)
PING_ENTRY = Entry(
    key="ping-test",
    term="Ping test",
    summary=f"Says {PINGS[:150]}",
    body=(Paragraph(f"Moderator text: {PINGS}"),),
    aliases=("@everyone",),
)

# One bot serves the malformed-input tests (they change nothing it keeps); the mentions test
# starts its own on a glossary it imported.
pytestmark = pytest.mark.asyncio(loop_scope="module")


def message_bodies(fake: FakeDiscord) -> list[dict[str, Any]]:
    """Return every message the bot asked Discord to show: callbacks, replies, followups."""
    bodies: list[dict[str, Any]] = []
    for r in fake.requests:
        if r.method not in ("POST", "PATCH") or not isinstance(r.json, dict):
            continue
        if r.path.endswith("/callback"):
            if r.json.get("type") in (4, 7):
                bodies.append(r.json.get("data") or {})
        elif "/messages" in r.path or r.path.startswith("/webhooks/"):
            bodies.append(r.json)
    return bodies


@pytest.mark.asyncio(loop_scope="function")  # imports its own glossary before the bot starts
async def test_mentions_in_moderator_text_are_stored_as_written_and_never_ping(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path, tmp_path: Path
) -> None:
    document = tmp_path / "pings.yaml"
    related = Entry(
        key="ping-test-two", term="Ping test two", summary="Harmless.", related=("ping-test",)
    )
    document.write_text(
        yamlio.dump_document([*yamlio.load_seed(), PING_ENTRY, related]), encoding="utf-8"
    )
    assert run_cli(db_path, "import", str(document)).returncode == 0
    [(stored,)] = query(db_path, "SELECT content_json FROM entries WHERE key = 'ping-test'")
    assert PINGS in json.loads(stored)["body"][0]["paragraph"]  # stored as written

    await start_bot(bot_process, db_path)
    shown = await define(fake_discord, "ping test")
    assert PINGS in embeds_text(shown["data"])  # shown as written, inside an embed
    assert (await define(fake_discord, "@everyone"))["data"]["embeds"][0]["title"] == "Ping test"
    missing = await define(fake_discord, f"@here <@&{MODERATOR_ROLE_ID}> zzz")
    # Echoed in plain content: escaped (and no mention allowed), so it can never ping.
    assert "@\u200bhere" in missing["data"]["content"]
    opener = fake_discord.slash_interaction("define", {"term": "ping test two"})
    first = await fake_discord.invoke(opener)
    click = fake_discord.component_interaction(
        "glossary:open:ping-test", fake_discord.original_message(opener["id"])
    )
    assert "glossary:open:ping-test" in {b["custom_id"] for b in buttons(first.json["data"])}
    assert PINGS in embeds_text((await fake_discord.invoke(click)).json["data"])
    question = await fake_discord.dispatch_message(f"what is ping test? {PINGS}")
    reply = await reply_to(fake_discord, question)
    assert "Ping test" in embeds_text(reply.json)
    search = await fake_discord.invoke(
        fake_discord.slash_interaction("glossary search", {"text": "nitro"})
    )
    assert search.json["type"] == CHANNEL_MESSAGE

    bodies = message_bodies(fake_discord)
    assert len(bodies) >= 7
    assert [body for body in bodies if not pings_nobody(body)] == []


def option(name: str, kind: int, value: Any, **extra: Any) -> dict[str, Any]:
    """Return one raw interaction option."""
    return {"name": name, "type": kind, "value": value, **extra}


def define_raw(fake: FakeDiscord, options: list[dict[str, Any]]) -> dict[str, Any]:
    """Return a /define interaction with options exactly as given, valid or not."""
    return fake.slash_interaction("define", options)


MALFORMED: list[tuple[str, Any]] = [
    ("unknown option", [option("term", 3, "kaggle"), option("bogus", 3, "x")]),
    ("integer where text is expected", [option("term", 4, 12345)]),
    ("text where a boolean is expected", [option("term", 3, "hags"), option("private", 3, "yes")]),
    ("missing required option", []),
    ("5,000-character term", [option("term", 3, "k" * 5000)]),
    ("control characters", [option("term", 3, "\x00\x1b[2J\u202e\u200bkaggle")]),
    ("lone surrogate", [option("term", 3, "kag\ud800gle")]),
    ("nested subcommand that does not exist", [{"name": "nope", "type": 1, "options": []}]),
]


# What a Discord client with an outdated command list sends: told to reload, not "error".
STALE_SHAPES = {"missing required option", "nested subcommand that does not exist"}


@pytest.mark.parametrize(("label", "options"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_command_data_is_answered_or_ignored_and_the_bot_carries_on(
    shared_bot: SharedBot, label: str, options: list[dict[str, Any]]
) -> None:
    fake_discord, process = shared_bot.fake, shared_bot.process
    hostile = await fake_discord.dispatch_interaction(define_raw(fake_discord, options))
    # Interactions are handled in order: once this one is answered, the hostile one was handled.
    assert (await define(fake_discord, "kaggle"))["data"]["embeds"][0]["title"] == "Kaggle"
    answers = callbacks_of(fake_discord, hostile["id"])
    assert len(answers) <= 1
    if answers:
        answer: RecordedRequest = answers[0]
        assert answer.ok
        data = answer.json.get("data") or {}
        if not data.get("embeds"):
            assert data["flags"] & EPHEMERAL_FLAG, data  # an error message is private
            assert data["content"]
            if label in STALE_SHAPES:
                assert "Reload Discord" in data["content"], data["content"]
    assert process.returncode is None


async def test_hostile_autocomplete_and_unknown_commands_keep_the_bot_answering(
    shared_bot: SharedBot,
) -> None:
    fake_discord, process = shared_bot.fake, shared_bot.process
    assert len(await autocomplete(fake_discord, "k" * 5000)) <= 25
    assert len(await autocomplete(fake_discord, "\u202e\x00```> > @everyone")) <= 25
    unknown = fake_discord.slash_interaction("no-such-command", {"x": 1})
    await fake_discord.dispatch_interaction(unknown)
    direct = fake_discord.slash_interaction(
        "autoreply mode", {"mode": "off"}, guild_id=None, user_id=OWNER_USER_ID
    )
    await fake_discord.dispatch_interaction(direct)
    assert (await define(fake_discord, "gpu"))["data"]["embeds"][0]["title"] == "GPU"
    for hostile in (unknown, direct):
        for answer in callbacks_of(fake_discord, hostile["id"]):
            assert answer.json["data"]["flags"] & EPHEMERAL_FLAG
    assert process.returncode is None


def button_message(fake: FakeDiscord, custom_id: str) -> dict[str, Any]:
    """Store and return a message from the bot carrying one button with `custom_id`."""
    body = {
        "content": "",
        "components": [
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "x", "custom_id": custom_id}],
            }
        ],
    }
    message = fake.build_message(
        channel_id=TEXT_CHANNEL_ID, body=body, author=fake.bot_user, guild_id=GUILD_ID
    )
    fake.messages[int(message["id"])] = message
    return message


@pytest.mark.parametrize(
    "custom_id",
    [
        "glossary:open:removed-long-ago",
        "glossary:open:" + "x" * 65,
        "glossary:open:Kaggle",
        "glossary:bogus:kaggle",
        "autoreply:dismiss:notanumber",
        "autoreply:dismiss:" + "9" * 40,
        "\u202e\x00",
    ],
)
async def test_unknown_or_stale_buttons_get_a_private_answer_or_are_ignored(
    shared_bot: SharedBot, custom_id: str
) -> None:
    fake_discord, process = shared_bot.fake, shared_bot.process
    click = fake_discord.component_interaction(custom_id, button_message(fake_discord, custom_id))
    await fake_discord.dispatch_interaction(click)
    assert (await define(fake_discord, "cuda"))["data"]["embeds"][0]["title"] == "CUDA"
    answers = callbacks_of(fake_discord, click["id"])
    if custom_id == "glossary:open:removed-long-ago":
        answer = await fake_discord.wait_for_callback(click["id"])
        assert answer.json["data"]["flags"] & EPHEMERAL_FLAG
        assert "no longer exists" in answer.json["data"]["content"]
    else:
        assert all(a.json["data"]["flags"] & EPHEMERAL_FLAG for a in answers if a.json.get("data"))
    assert process.returncode is None
    assert not any(r.method == "DELETE" for r in fake_discord.requests)
