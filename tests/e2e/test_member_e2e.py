"""Members' paths through the real bot process against the loopback fake Discord."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SharedBot
from tests.e2e.fake_discord import (
    EPHEMERAL_FLAG,
    GUILD_ID,
    MEMBER_USER_ID,
    MODERATOR_USER_ID,
    TEXT_CHANNEL_ID,
    FakeDiscord,
)
from tests.e2e.harness import BOT_COMMAND, BotFactory, BotProcess
from tests.e2e.payloads import assert_no_mentions, buttons, embeds_text

CHANNEL_MESSAGE = 4  # interaction callback types
AUTOCOMPLETE_RESULT = 8
UPDATE_MESSAGE = 7

# One bot serves the read-only tests; the two that restart or stop it start their own.
pytestmark = pytest.mark.asyncio(loop_scope="module")


async def start_bot(bot_process: BotFactory, db_path: Path, **env: str) -> BotProcess:
    """Start `python -m bot run` on a real SQLite file and wait until it is connected."""
    return await bot_process(
        BOT_COMMAND, env={"GLOSSARY_DB": str(db_path), "LOG_LEVEL": "INFO", **env}, expect_sync=True
    )


def command_id(fake: FakeDiscord, name: str) -> str:
    """Return the id the fake Discord gave a synced global slash command."""
    [command] = [c for c in fake.global_commands if c["name"] == name and c["type"] == 1]
    return str(command["id"])


async def define(fake: FakeDiscord, term: str, **options: Any) -> dict[str, Any]:
    """Run /define and return the callback body."""
    callback = await fake.invoke(fake.slash_interaction("define", {"term": term, **options}))
    return callback.json


@pytest.mark.asyncio(loop_scope="function")  # starts and stops its own bot
async def test_startup_syncs_once_and_not_again_after_restart(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    first = await start_bot(bot_process, db_path)
    syncs = [r for r in fake_discord.requests if r.method == "PUT" and "/commands" in r.path]
    assert len(syncs) == 2  # the global commands, and the home server's own
    names = {command["name"] for sync in syncs for command in sync.json}
    assert {"define", "glossary", "glossary-admin", "Explain terms", "autoreply"} <= names
    await first.terminate()
    assert first.returncode == 0

    await bot_process(BOT_COMMAND, env={"GLOSSARY_DB": str(db_path)}, expect_sync=False)
    await define(fake_discord, "kaggle")  # the restarted bot answers...
    syncs = [r for r in fake_discord.requests if r.method == "PUT" and "/commands" in r.path]
    assert len(syncs) == 2  # ...without syncing again


async def test_define_kaggle(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    body = await define(fake_discord, "kaggle")
    assert body["type"] == CHANNEL_MESSAGE
    data = body["data"]
    assert data["embeds"][0]["title"] == "Kaggle"
    text = embeds_text(data)
    assert "30 hours of free GPU usage per week" in text
    assert "Showing" not in text
    assert not (data.get("flags", 0) & EPHEMERAL_FLAG)
    assert_no_mentions(data)
    related = {button["custom_id"] for button in buttons(data)}
    assert "glossary:open:google-colab" in related


async def test_define_comparison_shows_both_entries(shared_bot: SharedBot) -> None:
    data = (await define(shared_bot.fake, "bitrate vs bit depth"))["data"]
    assert [embed["title"] for embed in data["embeds"]] == ["Bitrate", "Bit depth"]
    opened = {button["custom_id"] for button in buttons(data)}
    assert opened == {"glossary:open:bitrate", "glossary:open:bit-depth"}
    assert_no_mentions(data)


async def test_define_private_is_ephemeral(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    body = await define(fake_discord, "cuda", private=True)
    assert body["data"]["flags"] & EPHEMERAL_FLAG
    assert body["data"]["embeds"][0]["title"] == "CUDA"


async def test_define_typo_says_which_entry(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    data = (await define(fake_discord, "kagle"))["data"]
    assert data["embeds"][0]["title"] == "Kaggle"
    assert "Showing **Kaggle** for 'kagle'" in embeds_text(data)


async def test_no_match_offers_suggestions_that_open_the_entry(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    interaction = fake_discord.slash_interaction("define", {"term": "model"})
    data = (await fake_discord.invoke(interaction)).json["data"]
    assert data["flags"] & EPHEMERAL_FLAG
    assert "Nothing in the glossary for **model**" in data["content"]
    suggestion_ids = [button["custom_id"] for button in buttons(data)]
    assert suggestion_ids and len(suggestion_ids) <= 5
    assert "glossary:open:model-training" in suggestion_ids

    message = fake_discord.original_message(interaction["id"])
    click = fake_discord.component_interaction("glossary:open:model-training", message)
    opened = (await fake_discord.invoke(click)).json
    assert opened["type"] == CHANNEL_MESSAGE
    assert opened["data"]["flags"] & EPHEMERAL_FLAG
    assert opened["data"]["embeds"][0]["title"] == "Model training"


async def test_unrelated_word_finds_nothing(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    data = (await define(fake_discord, "pizza"))["data"]
    assert data["flags"] & EPHEMERAL_FLAG
    assert not data.get("embeds")
    assert "Nothing in the glossary for **pizza**" in data["content"]
    search = f"</glossary search:{command_id(fake_discord, 'glossary')}>"
    assert data["content"].endswith(f" Try {search}.")


async def test_a_search_that_finds_nothing_points_to_define(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    interaction = fake_discord.slash_interaction("glossary search", {"text": "zzqqxx"})
    data = (await fake_discord.invoke(interaction)).json["data"]
    assert data["flags"] & EPHEMERAL_FLAG
    define_mention = f"</define:{command_id(fake_discord, 'define')}>"
    assert data["content"] == (
        f"No definition contains that. Try {define_mention} with the term itself."
    )


@pytest.mark.parametrize("typed", ["", "k", "gp", "colab", "zzzz"])
async def test_autocomplete_returns_at_most_25_labelled_choices(
    typed: str, shared_bot: SharedBot
) -> None:
    fake_discord = shared_bot.fake
    interaction = fake_discord.autocomplete_interaction("define", {"term": typed}, "term")
    body = (await fake_discord.invoke(interaction)).json
    assert body["type"] == AUTOCOMPLETE_RESULT
    choices = body["data"]["choices"]
    assert len(choices) <= 25
    assert all(1 <= len(choice["name"]) <= 100 for choice in choices)
    if typed == "":
        assert len(choices) == 25
    if typed == "colab":
        assert choices[0]["value"] == "google-colab"
        assert choices[0]["name"].startswith("Google Colab - ")
    if typed == "zzzz":
        assert choices == []


async def test_submitted_autocomplete_value_is_revalidated(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    data = (await define(fake_discord, "hags"))["data"]
    assert data["embeds"][0]["title"] == "HAGS"
    too_long = (await define(fake_discord, "x" * 5000))["data"]
    assert too_long["flags"] & EPHEMERAL_FLAG
    assert "too long" in too_long["content"]


async def test_related_button_opens_the_related_entry(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    interaction = fake_discord.slash_interaction("define", {"term": "hags"})
    callback = await fake_discord.invoke(interaction)
    related = [button["custom_id"] for button in buttons(callback.json["data"])]
    assert "glossary:open:gpu" in related
    message = fake_discord.original_message(interaction["id"])
    opened = (
        await fake_discord.invoke(fake_discord.component_interaction("glossary:open:gpu", message))
    ).json
    assert opened["data"]["embeds"][0]["title"] == "GPU"
    assert opened["data"]["flags"] & EPHEMERAL_FLAG


async def test_list_pages_for_the_invoker_only(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    interaction = fake_discord.slash_interaction("glossary list")
    first = (await fake_discord.invoke(interaction)).json["data"]
    assert "Page 1/3" in first["embeds"][0]["footer"]["text"]
    assert "**0 Shot Training**" in first["embeds"][0]["description"]
    next_id = next(b["custom_id"] for b in buttons(first) if b.get("label") == "›")
    message = fake_discord.original_message(interaction["id"])

    stranger = fake_discord.component_interaction(next_id, message, user_id=MODERATOR_USER_ID)
    refused = (await fake_discord.invoke(stranger)).json
    assert refused["type"] == CHANNEL_MESSAGE
    assert refused["data"]["flags"] & EPHEMERAL_FLAG
    assert "Only the member who opened this list" in refused["data"]["content"]

    turned = (await fake_discord.invoke(fake_discord.component_interaction(next_id, message))).json
    assert turned["type"] == UPDATE_MESSAGE
    assert "Page 2/3" in turned["data"]["embeds"][0]["footer"]["text"]
    assert turned["data"]["embeds"][0]["description"] != first["embeds"][0]["description"]


async def test_list_by_category(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    data = (
        await fake_discord.invoke(
            fake_discord.slash_interaction("glossary list", {"category": "audio"})
        )
    ).json["data"]
    description = data["embeds"][0]["description"]
    assert "**Bitrate**" in description
    assert "**Kaggle**" not in description


async def test_search_in_definitions(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    data = (
        await fake_discord.invoke(
            fake_discord.slash_interaction("glossary search", {"text": "phone number"})
        )
    ).json["data"]
    names = [field["name"] for field in data["embeds"][0]["fields"]]
    assert {"Kaggle", "Google Colab"} <= set(names)
    # The words the search matched are shown in bold.
    values = {field["name"]: field["value"] for field in data["embeds"][0]["fields"]}
    assert "No **phone** **number** verification required." in values["Google Colab"]
    assert_no_mentions(data)


async def test_explain_terms_context_menu(shared_bot: SharedBot) -> None:
    fake_discord = shared_bot.fake
    message = fake_discord.message_create("should I train on kaggle or colab? my gpu is weak")
    menu = next(c for c in fake_discord.global_commands if c["name"] == "Explain terms")
    interaction = fake_discord._base_interaction(
        2,
        {
            "id": menu["id"],
            "name": "Explain terms",
            "type": 3,
            "target_id": message["id"],
            "resolved": {"messages": {message["id"]: message}},
        },
        user_id=MEMBER_USER_ID,
        guild_id=GUILD_ID,
        channel_id=TEXT_CHANNEL_ID,
        permissions=None,
        locale="en-US",
    )
    data = (await fake_discord.invoke(interaction)).json["data"]
    assert data["flags"] & EPHEMERAL_FLAG
    names = [field["name"] for field in data["embeds"][0]["fields"]]
    assert names[:3] == ["Kaggle", "Google Colab (colab)", "GPU"]
    assert {"glossary:open:kaggle", "glossary:open:gpu"} <= {b["custom_id"] for b in buttons(data)}


@pytest.mark.asyncio(loop_scope="function")  # starts and stops its own bot
async def test_uses_and_misses_are_recorded(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    bot = await start_bot(bot_process, db_path)
    await define(fake_discord, "kaggle")
    await define(fake_discord, "kaggle")
    await define(fake_discord, "what is rvc")
    await bot.terminate()  # counts are batched; a clean shutdown writes them
    assert bot.returncode == 0
    with sqlite3.connect(db_path) as conn:
        uses = conn.execute("SELECT sum(count) FROM usage WHERE entry_key = 'kaggle'").fetchone()[0]
        misses = conn.execute("SELECT query, count FROM misses").fetchall()
    assert uses == 2
    assert misses == [("what is rvc", 1)]
