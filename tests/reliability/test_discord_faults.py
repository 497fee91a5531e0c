"""Discord misbehaving: rate limits and server errors on REST, a dropped or moved gateway.

The real bot process runs against the loopback fake, which injects the faults and records
every request, so "answered exactly once" is counted, not assumed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.fake_discord import (
    BOT_USER_ID,
    MODERATOR_USER_ID,
    OWNER_USER_ID,
    TEXT_CHANNEL_ID,
    FakeDiscord,
)
from tests.e2e.harness import BotFactory
from tests.reliability.conftest import (
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    autocomplete,
    callbacks_of,
    define,
    record_figure,
    replies_to,
    reply_to,
    start_bot,
)

FAULTS = [
    pytest.param(429, 1.0, id="429-retry-after-1s"),
    pytest.param(500, None, id="500-once"),
]


def bot_replies_in_fake(fake: FakeDiscord, question_id: str) -> int:
    """Return how many messages the bot has in the fake that reply to one question."""
    return sum(
        1
        for message in fake.messages.values()
        if message["author"]["id"] == str(BOT_USER_ID)
        and str((message.get("message_reference") or {}).get("message_id")) == question_id
    )


@pytest.mark.parametrize(("status", "retry_after"), FAULTS)
async def test_a_failed_interaction_callback_is_retried_and_answered_once(
    fake_discord: FakeDiscord,
    bot_process: BotFactory,
    db_path: Path,
    status: int,
    retry_after: float | None,
) -> None:
    await start_bot(bot_process, db_path)
    interaction = fake_discord.slash_interaction("define", {"term": "kaggle"})
    fake_discord.fail_next(
        "POST", rf"^/interactions/{interaction['id']}/", status, retry_after=retry_after
    )
    sent = time.perf_counter()
    callback = await fake_discord.invoke(interaction)
    record_figure(
        f"callback after one {status}: answered {callback.time - sent:.2f}s after dispatch"
    )

    assert callback.json["type"] == CHANNEL_MESSAGE
    assert callback.json["data"]["embeds"][0]["title"] == "Kaggle"
    assert [r.status for r in callbacks_of(fake_discord, interaction["id"])] == [status, 200]
    message = fake_discord.original_message(interaction["id"])
    assert message is not None and message["embeds"][0]["title"] == "Kaggle"
    # The bot is not stuck behind the fault: the next command is answered normally.
    assert (await define(fake_discord, "cuda"))["data"]["embeds"][0]["title"] == "CUDA"


async def test_a_rate_limited_autocomplete_is_retried(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    interaction = fake_discord.autocomplete_interaction("define", {"term": "colab"}, "term")
    fake_discord.fail_next("POST", rf"^/interactions/{interaction['id']}/", 429, retry_after=0.5)
    callback = await fake_discord.invoke(interaction)
    assert callback.json["type"] == AUTOCOMPLETE_RESULT
    assert callback.json["data"]["choices"][0]["value"] == "google-colab"
    assert [r.status for r in callbacks_of(fake_discord, interaction["id"])] == [429, 200]


@pytest.mark.parametrize(("status", "retry_after"), FAULTS)
async def test_a_failed_automatic_reply_is_retried_and_posted_once(
    fake_discord: FakeDiscord,
    bot_process: BotFactory,
    db_path: Path,
    status: int,
    retry_after: float | None,
) -> None:
    await start_bot(bot_process, db_path)
    fake_discord.fail_next(
        "POST", rf"^/channels/{TEXT_CHANNEL_ID}/messages$", status, retry_after=retry_after
    )
    question = await fake_discord.dispatch_message("what is colab?")
    reply = await reply_to(fake_discord, question)
    assert reply.json["embeds"][0]["title"] == "Google Colab"
    assert reply.json["allowed_mentions"]["parse"] == []
    assert [r.status for r in replies_to(fake_discord, question)] == [status, 200]
    assert bot_replies_in_fake(fake_discord, question["id"]) == 1

    # The retry did not break the cooldown: the same question right after stays unanswered,
    # while a new one is answered (the bot handles gateway events in order).
    again = await fake_discord.dispatch_message("what is colab?", author=MODERATOR_USER_ID)
    sentinel = await fake_discord.dispatch_message("what is kaggle?", author=OWNER_USER_ID)
    await reply_to(fake_discord, sentinel)
    assert replies_to(fake_discord, again) == []
    assert bot_replies_in_fake(fake_discord, question["id"]) == 1


@pytest.mark.parametrize("fault", ["dropped", "reconnect-requested"])
async def test_the_bot_resumes_after_the_gateway_goes_away(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path, fault: str
) -> None:
    process = await start_bot(bot_process, db_path)
    assert (await define(fake_discord, "kaggle"))["data"]["embeds"][0]["title"] == "Kaggle"

    if fault == "dropped":
        await fake_discord.drop_connection()
    else:
        await fake_discord.request_reconnect()
    # Sent while the bot is away: Discord buffers them and replays them on RESUME.
    question = await fake_discord.dispatch_message("what is hags?")
    missed = await fake_discord.dispatch_interaction(
        fake_discord.slash_interaction("define", {"term": "cuda"})
    )
    await fake_discord.wait_until_ready(30)

    assert fake_discord.resume_count >= 1
    assert fake_discord.identify_count == 1  # resumed, not a new session
    answer = await fake_discord.wait_for_callback(missed["id"])
    assert answer.json["data"]["embeds"][0]["title"] == "CUDA"
    assert (await reply_to(fake_discord, question)).json["embeds"][0]["title"] == "HAGS"
    assert (await define(fake_discord, "colab"))["data"]["embeds"][0]["title"] == "Google Colab"
    assert (await autocomplete(fake_discord, "kag"))[0]["value"] == "kaggle"
    assert [r.status for r in callbacks_of(fake_discord, missed["id"])] == [200]
    assert len(replies_to(fake_discord, question)) == 1
    assert "Traceback" not in process.output()
