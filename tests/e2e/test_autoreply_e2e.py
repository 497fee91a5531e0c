"""Automatic replies end to end: the real bot process against the loopback fake Discord.

"No reply" is proven without timing: after the message that must stay unanswered, a
sentinel question that must be answered is sent in the same channel. The bot handles
gateway events in order and an ignored message never awaits anything, so once the
sentinel's reply has arrived, any reply to the earlier message would already be recorded.
"""

# ruff: noqa: ASYNC109

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fake_discord import (
    BOT_USER_ID,
    HANG_GUARD,
    MEMBER_USER_ID,
    MODERATOR_USER_ID,
    OTHER_CHANNEL_ID,
    OWNER_USER_ID,
    TEXT_CHANNEL_ID,
    FakeDiscord,
    RecordedRequest,
)
from tests.e2e.harness import BOT_COMMAND, BotFactory, BotProcess

SECOND_MEMBER_ID = 1400000000000000009
INTENT_WARNING = "Automatic replies need the Message Content intent"


async def start_bot(bot_process: BotFactory, db_path: Path, **env: str) -> BotProcess:
    """Start `python -m bot run` on its own database and wait until it is ready."""
    return await bot_process(
        BOT_COMMAND, env={"GLOSSARY_DB": str(db_path), **env}, expect_sync=True
    )


def is_reply_post(r: RecordedRequest) -> bool:
    """Return whether a request posted a reply (a message with a reference) in a channel."""
    return (
        r.method == "POST"
        and r.path.startswith("/channels/")
        and r.path.endswith("/messages")
        and isinstance(r.json, dict)
        and "message_reference" in r.json
    )


def replied_to(fake: FakeDiscord) -> list[int]:
    """Return the ids of the messages the bot replied to, in order."""
    return [
        int(r.json["message_reference"]["message_id"]) for r in fake.requests if is_reply_post(r)
    ]


async def reply_to(
    fake: FakeDiscord, message: dict[str, Any], timeout: float = HANG_GUARD
) -> RecordedRequest:
    """Wait for the bot's reply to one message."""

    def matches(r: RecordedRequest) -> bool:
        return is_reply_post(r) and int(r.json["message_reference"]["message_id"]) == int(
            message["id"]
        )

    return await fake.wait_for_request(matches, timeout, consume=False)


async def ask_sentinel(fake: FakeDiscord, channel_id: int = TEXT_CHANNEL_ID) -> dict[str, Any]:
    """Ask a question that must be answered and wait for the answer."""
    sentinel = await fake.dispatch_message(
        "what is kaggle?", author=OWNER_USER_ID, channel_id=channel_id
    )
    await reply_to(fake, sentinel)
    return sentinel


def dismiss_id(reply: RecordedRequest) -> str:
    """Return the custom id of the Dismiss button on a reply."""
    [row] = reply.json["components"]
    [button] = row["components"]
    assert button["label"] == "Dismiss"
    return str(button["custom_id"])


def stored_reply(fake: FakeDiscord, question: dict[str, Any]) -> dict[str, Any]:
    """Return the fake's stored copy of the bot's reply to a question."""
    for message in fake.messages.values():
        reference = message.get("message_reference") or {}
        if str(reference.get("message_id")) == question["id"] and message["author"]["id"] == str(
            BOT_USER_ID
        ):
            return message
    raise LookupError("no stored reply")


async def test_a_question_gets_a_quiet_reply_with_the_summary(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    question = await fake_discord.dispatch_message("what is colab?")
    reply = await reply_to(fake_discord, question)
    assert reply.path == f"/channels/{TEXT_CHANNEL_ID}/messages"
    assert reply.json["allowed_mentions"]["parse"] == []
    assert reply.json["allowed_mentions"].get("replied_user") is False
    [embed] = reply.json["embeds"]
    assert embed["title"] == "Google Colab"
    assert dismiss_id(reply) == f"autoreply:dismiss:{MEMBER_USER_ID}"


def define_id(fake: FakeDiscord) -> str:
    """Return the id the fake Discord gave the synced /define command."""
    [define] = [c for c in fake.global_commands if c["name"] == "define" and c["type"] == 1]
    return str(define["id"])


async def test_the_hint_is_a_clickable_define_command(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    question = await fake_discord.dispatch_message("what is colab?")
    [embed] = (await reply_to(fake_discord, question)).json["embeds"]
    hint = f"*Use </define:{define_id(fake_discord)}> Google Colab for the full entry*"
    assert embed["description"].endswith(hint)


async def test_the_hint_stays_plain_text_when_the_command_ids_are_unknown(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    # Discord refuses the look-up (403 is not retried); the bot still starts and answers.
    fake_discord.fail_next("GET", r"/applications/\d+/commands$", 403)
    process = await start_bot(bot_process, db_path)
    question = await fake_discord.dispatch_message("what is colab?")
    [embed] = (await reply_to(fake_discord, question)).json["embeds"]
    assert embed["description"].endswith("*Use /define Google Colab for the full entry*")
    assert "Could not fetch the application command ids" in process.output()


async def test_the_same_question_within_the_cooldown_gets_no_second_reply(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    first = await fake_discord.dispatch_message("what is colab?")
    await reply_to(fake_discord, first)
    again = await fake_discord.dispatch_message("wait, what is colab?", author=MODERATOR_USER_ID)
    sentinel = await ask_sentinel(fake_discord)
    assert replied_to(fake_discord) == [int(first["id"]), int(sentinel["id"])]
    assert int(again["id"]) not in replied_to(fake_discord)


@pytest.mark.parametrize(
    ("text", "kwargs"),
    [
        ("what is colab?", {"bot": True}),
        ("what is colab?", {"webhook_id": 1600000000000000001}),
        ("I trained my model on colab yesterday", {}),
        ("what is colab?", {"guild_id": None}),
    ],
    ids=["bot-author", "webhook", "passing-mention", "direct-message"],
)
async def test_messages_that_must_stay_unanswered(
    fake_discord: FakeDiscord,
    bot_process: BotFactory,
    db_path: Path,
    text: str,
    kwargs: dict[str, Any],
) -> None:
    await start_bot(bot_process, db_path)
    ignored = await fake_discord.dispatch_message(text, **kwargs)
    sentinel = await ask_sentinel(fake_discord)
    assert replied_to(fake_discord) == [int(sentinel["id"])]
    assert int(ignored["id"]) not in replied_to(fake_discord)


async def test_the_asker_can_dismiss_the_reply(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    question = await fake_discord.dispatch_message("what is hags?")
    reply = await reply_to(fake_discord, question)
    message = stored_reply(fake_discord, question)

    click = fake_discord.component_interaction(dismiss_id(reply), message, user_id=MEMBER_USER_ID)
    callback = await fake_discord.invoke(click)
    assert callback.json["type"] == 6
    deleted = await fake_discord.wait_for_request(
        lambda r: r.method == "DELETE" and r.path.endswith(f"/messages/{message['id']}")
    )
    assert deleted.ok
    assert int(message["id"]) not in fake_discord.messages


async def test_a_moderator_can_dismiss_someone_elses_reply(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    question = await fake_discord.dispatch_message("what is hags?")
    reply = await reply_to(fake_discord, question)
    message = stored_reply(fake_discord, question)

    click = fake_discord.component_interaction(
        dismiss_id(reply), message, user_id=MODERATOR_USER_ID
    )
    await fake_discord.invoke(click)
    await fake_discord.wait_for_request(
        lambda r: r.method == "DELETE" and r.path.endswith(f"/messages/{message['id']}")
    )
    assert int(message["id"]) not in fake_discord.messages


async def test_another_member_cannot_dismiss_the_reply(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    fake_discord.add_user(SECOND_MEMBER_ID, "other_member")
    await start_bot(bot_process, db_path)
    question = await fake_discord.dispatch_message("what is hags?")
    reply = await reply_to(fake_discord, question)
    message = stored_reply(fake_discord, question)

    click = fake_discord.component_interaction(dismiss_id(reply), message, user_id=SECOND_MEMBER_ID)
    callback = await fake_discord.invoke(click)
    assert callback.json["type"] == 4
    assert callback.json["data"]["flags"] & (1 << 6)  # ephemeral
    assert "Only the member who asked" in callback.json["data"]["content"]
    assert int(message["id"]) in fake_discord.messages
    assert not any(r.method == "DELETE" for r in fake_discord.requests)


async def test_cooldowns_survive_a_restart(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    first_bot = await start_bot(bot_process, db_path)
    first = await fake_discord.dispatch_message("what is colab?")
    await reply_to(fake_discord, first)
    assert await first_bot.terminate() == 0

    await bot_process(BOT_COMMAND, env={"GLOSSARY_DB": str(db_path)})
    again = await fake_discord.dispatch_message("what is colab?", author=MODERATOR_USER_ID)
    sentinel = await ask_sentinel(fake_discord)
    assert replied_to(fake_discord) == [int(first["id"]), int(sentinel["id"])]
    assert int(again["id"]) not in replied_to(fake_discord)


async def test_the_dismiss_button_works_after_a_restart(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    first_bot = await start_bot(bot_process, db_path)
    question = await fake_discord.dispatch_message("what is cuda?")
    reply = await reply_to(fake_discord, question)
    message = stored_reply(fake_discord, question)
    await first_bot.terminate()

    await bot_process(BOT_COMMAND, env={"GLOSSARY_DB": str(db_path)})
    click = fake_discord.component_interaction(dismiss_id(reply), message, user_id=MEMBER_USER_ID)
    await fake_discord.invoke(click)
    await fake_discord.wait_for_request(
        lambda r: r.method == "DELETE" and r.path.endswith(f"/messages/{message['id']}")
    )


async def admin(
    fake: FakeDiscord, path: str, options: dict[str, Any] | None = None, *, user_id: int
) -> RecordedRequest:
    """Run an /autoreply subcommand and return its callback."""
    return await fake.invoke(fake.slash_interaction(f"autoreply {path}", options, user_id=user_id))


async def test_moderators_can_turn_replies_off_and_members_cannot(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    refused = await admin(fake_discord, "mode", {"mode": "off"}, user_id=MEMBER_USER_ID)
    assert "Manage Server" in refused.json["data"]["content"]

    done = await admin(fake_discord, "mode", {"mode": "off"}, user_id=MODERATOR_USER_ID)
    assert "**off**" in done.json["data"]["content"]
    ignored = await fake_discord.dispatch_message("what is colab?")

    await admin(fake_discord, "mode", {"mode": "question"}, user_id=MODERATOR_USER_ID)
    sentinel = await ask_sentinel(fake_discord)
    assert replied_to(fake_discord) == [int(sentinel["id"])]
    assert int(ignored["id"]) not in replied_to(fake_discord)


async def test_the_settings_commands_are_synced_globally_as_autoreply(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    [group] = [c for c in fake_discord.global_commands if c["name"] == "autoreply"]
    assert {o["name"] for o in group["options"]} == {"show", "mode", "cooldown", "channel", "entry"}
    assert all(o["type"] == 1 for o in group["options"])  # subcommands


async def test_with_no_cooldowns_the_same_member_is_answered_again(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    done = await admin(
        fake_discord, "cooldown", {"seconds": 0, "member_seconds": 0}, user_id=MODERATOR_USER_ID
    )
    assert "0s per term and channel, 0s per member" in done.json["data"]["content"]
    first = await fake_discord.dispatch_message("what is colab?")
    await reply_to(fake_discord, first)
    second = await fake_discord.dispatch_message("what is colab?")
    await reply_to(fake_discord, second)
    assert replied_to(fake_discord) == [int(first["id"]), int(second["id"])]


async def test_a_denied_channel_and_a_disabled_entry_get_no_reply(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    await admin(
        fake_discord,
        "channel",
        {"action": "deny", "channel": OTHER_CHANNEL_ID},
        user_id=MODERATOR_USER_ID,
    )
    await admin(
        fake_discord,
        "entry",
        {"action": "disable", "term": "hags"},
        user_id=MODERATOR_USER_ID,
    )
    unknown = await admin(
        fake_discord,
        "entry",
        {"action": "disable", "term": "zzzzzz"},
        user_id=MODERATOR_USER_ID,
    )
    assert "There is no glossary entry" in unknown.json["data"]["content"]
    shown = await admin(fake_discord, "show", user_id=MODERATOR_USER_ID)
    [embed] = shown.json["data"]["embeds"]
    text = str(embed)
    assert f"<#{OTHER_CHANNEL_ID}>" in text
    assert "HAGS" in text

    denied = await fake_discord.dispatch_message("what is colab?", channel_id=OTHER_CHANNEL_ID)
    disabled = await fake_discord.dispatch_message("what is hags?", author=MODERATOR_USER_ID)
    sentinel = await ask_sentinel(fake_discord)
    assert replied_to(fake_discord) == [int(sentinel["id"])]
    assert {int(denied["id"]), int(disabled["id"])}.isdisjoint(replied_to(fake_discord))


async def test_a_forbidden_channel_is_logged_once_and_the_bot_keeps_working(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    fake_discord.fail_next(
        "POST",
        rf"^/channels/{TEXT_CHANNEL_ID}/messages$",
        403,
        times=5,
        body={"message": "Missing Permissions", "code": 50013},
    )
    first = await fake_discord.dispatch_message("what is colab?")
    await fake_discord.wait_for_request(
        lambda r: (
            r.status == 403
            and is_reply_post(r)
            and int(r.json["message_reference"]["message_id"]) == int(first["id"])
        )
    )
    await fake_discord.dispatch_message("what is cuda?", author=MODERATOR_USER_ID)
    # Other channels and commands still work.
    await ask_sentinel(fake_discord, OTHER_CHANNEL_ID)
    callback = await fake_discord.invoke(
        fake_discord.slash_interaction("define", {"term": "colab"})
    )
    assert callback.json["data"]["embeds"]
    posts = [r for r in fake_discord.requests if is_reply_post(r)]
    assert [r.status for r in posts] == [403, 200]  # the muted channel was not tried again
    assert process.output().count("Not allowed to reply in channel") == 1
    assert "Traceback" not in process.output()


async def test_without_the_content_intent_only_mentions_are_answered(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path, MESSAGE_CONTENT_INTENT="false")
    unseen = await fake_discord.dispatch_message("what is colab?")
    await fake_discord.dispatch_message("what is cuda?", author=MODERATOR_USER_ID)
    mention = await fake_discord.dispatch_message(
        f"<@{BOT_USER_ID}> what is kaggle?", author=OWNER_USER_ID
    )
    await reply_to(fake_discord, mention)
    assert replied_to(fake_discord) == [int(mention["id"])]
    assert int(unseen["id"]) not in replied_to(fake_discord)
    assert process.output().count(INTENT_WARNING) == 1
    callback = await fake_discord.invoke(
        fake_discord.slash_interaction("define", {"term": "colab"})
    )
    assert callback.json["data"]["embeds"]
