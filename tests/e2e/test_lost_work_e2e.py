"""No moderator's work is lost or blocked: busy databases, restarts, crashes, other processes."""

from __future__ import annotations

import copy
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fake_discord import (
    EPHEMERAL_FLAG,
    GUILD_ID,
    MEMBER_USER_ID,
    MODERATOR_USER_ID,
    OWNER_USER_ID,
    FakeDiscord,
    RecordedRequest,
)
from tests.e2e.harness import BotFactory
from tests.e2e.payloads import button_id, embeds_text
from tests.e2e.test_admin_e2e import db_rows, modal_fields, slash
from tests.e2e.test_autoreply_e2e import ask_sentinel, replied_to, reply_to, start_bot
from tests.reliability.conftest import wait_until
from tests.reliability.test_database_faults import QUICK_REFRESH, write_lock

DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE = 6
SORRY = "something went wrong"

Body = dict[str, Any]


def said(fake: FakeDiscord, text: str) -> bool:
    """Return whether any request the bot made contains `text`."""
    return any(text in json.dumps(r.json) for r in fake.requests if r.json is not None)


async def follow_up(fake: FakeDiscord, interaction: Body) -> RecordedRequest:
    """Wait for the answer sent after a deferral: a follow-up or an edit of the original."""
    token = interaction["token"]
    return await fake.wait_for_request(
        lambda r: r.method in ("POST", "PATCH") and "/webhooks/" in r.path and token in r.path,
        30,
    )


async def deferred_under_lock(fake: FakeDiscord, db_path: Path, interaction: Body) -> Body:
    """Dispatch an interaction while another process holds the write lock; return its defer."""
    with write_lock(db_path):
        await fake.dispatch_interaction(interaction)
        callback = await fake.wait_for_callback(interaction["id"], 30)
    return dict(callback.json)


async def test_stats_missing_and_dismiss_answer_correctly_after_deferring(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    # Pending counts make each command write before it answers, so each one waits on the lock.
    await slash(fake_discord, "define", {"term": "zzqx nonsense"}, user_id=MEMBER_USER_ID)
    missing = fake_discord.slash_interaction("glossary-admin missing", user_id=MODERATOR_USER_ID)
    assert (await deferred_under_lock(fake_discord, db_path, missing))["type"] == (
        DEFERRED_CHANNEL_MESSAGE
    )
    listed = await follow_up(fake_discord, missing)
    assert "zzqx nonsense" in embeds_text(listed.json)

    await slash(fake_discord, "define", {"term": "kaggle"}, user_id=MEMBER_USER_ID)
    stats = fake_discord.slash_interaction("glossary-admin stats", user_id=MODERATOR_USER_ID)
    assert (await deferred_under_lock(fake_discord, db_path, stats))["type"] == (
        DEFERRED_CHANNEL_MESSAGE
    )
    assert "Glossary statistics" in embeds_text((await follow_up(fake_discord, stats)).json)

    message = next(
        m
        for m in reversed(list(fake_discord.messages.values()))
        if "zzqx" in embeds_text(m) and m.get("components")
    )
    click = fake_discord.component_interaction(
        button_id(message, "Dismiss"), message, user_id=MODERATOR_USER_ID
    )
    assert (await deferred_under_lock(fake_discord, db_path, click))["type"] == DEFERRED_UPDATE
    dismissed = await follow_up(fake_discord, click)
    assert "Dismissed" in dismissed.json["content"]
    assert db_rows(db_path, "SELECT dismissed_at IS NOT NULL FROM misses") == [(1,)]
    assert not said(fake_discord, SORRY)


async def test_an_edit_form_opened_before_a_restart_is_saved_after_it(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    _, form = await slash(fake_discord, "glossary-admin edit", {"term": "kaggle"})
    await process.terminate()
    await start_bot(bot_process, db_path)
    custom_id, values = modal_fields(form)
    values["entry:summary"] = "A data-science site with free notebooks and GPUs."
    submit = fake_discord.modal_submit_interaction(
        custom_id, values, user_id=MODERATOR_USER_ID, labels=True
    )
    saved = (await fake_discord.invoke(submit)).json["data"]
    assert "Saved **Kaggle**" in saved["content"]
    [(content,)] = db_rows(db_path, "SELECT content_json FROM entries WHERE key = 'kaggle'")
    assert "free notebooks and GPUs" in content


async def test_a_stale_form_gives_the_typed_text_back(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    _, form = await slash(fake_discord, "glossary-admin edit", {"term": "kaggle"})
    # Someone else changes Kaggle meanwhile; then the bot restarts.
    await slash(fake_discord, "glossary-admin alias add", {"term": "kaggle", "alias": "kgl"})
    await process.terminate()
    await start_bot(bot_process, db_path)
    custom_id, values = modal_fields(form)
    values["entry:summary"] = "My careful rewrite that must not be lost."
    submit = fake_discord.modal_submit_interaction(custom_id, values, user_id=MODERATOR_USER_ID)
    answer = await fake_discord.invoke(submit)
    assert "changed since you opened this form" in answer.json["data"]["content"]
    assert answer.files == ["your-text.txt"]
    assert said(fake_discord, "kgl")  # the other edit is kept
    [(content,)] = db_rows(db_path, "SELECT content_json FROM entries WHERE key = 'kaggle'")
    assert "careful rewrite" not in content


async def test_a_refused_live_form_gives_the_typed_text_back(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    _, form = await slash(fake_discord, "glossary-admin edit", {"term": "kaggle"})
    custom_id, values = modal_fields(form)
    values["entry:definition"] = "Pros & Cons\nPros:\n\nCons:"
    submit = fake_discord.modal_submit_interaction(custom_id, values, user_id=MODERATOR_USER_ID)
    answer = await fake_discord.invoke(submit)
    assert (
        "cannot be saved" in answer.json["data"]["content"]
        or "line" in (answer.json["data"]["content"])
    )
    assert answer.files == ["your-text.txt"]


async def test_a_cooldown_survives_kill_9_right_after_the_reply(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    question = await fake_discord.dispatch_message("what is colab?")
    await reply_to(fake_discord, question)
    # The save goes out with the answer; kill -9 the moment it is on disk.
    await wait_until(
        lambda: (
            "google-colab"
            in str(db_rows(db_path, "SELECT value FROM meta WHERE name = 'autoreply_cooldowns'"))
        ),
        what="the cooldown on disk",
    )
    await process.kill()
    await start_bot(bot_process, db_path)
    again = await fake_discord.dispatch_message("what is colab?", author=OWNER_USER_ID)
    await ask_sentinel(fake_discord)
    assert int(again["id"]) not in replied_to(fake_discord)


async def test_mode_off_set_by_another_process_silences_this_one(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path, REFRESH_SECONDS=QUICK_REFRESH)
    await ask_sentinel(fake_discord)
    # What another bot process's `/autoreply mode off` writes.
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO guild_settings (guild_id, name, value_json) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, name) DO UPDATE SET value_json = excluded.value_json",
            (GUILD_ID, "autoreply_mode", '"off"'),
        )
    await wait_until(
        lambda: "changed outside the bot" in process.output(), timeout=30, what="reload"
    )
    ignored = await fake_discord.dispatch_message("what is kaggle?", author=OWNER_USER_ID)
    # A define after the message proves the bot handled the message first.
    await slash(fake_discord, "define", {"term": "gpu"}, user_id=MEMBER_USER_ID)
    assert int(ignored["id"]) not in replied_to(fake_discord)


async def test_member_text_in_missed_lookups_shows_as_typed(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    hostile = "[free nitro](https://evil.example) @everyone <@1>"
    await slash(fake_discord, "define", {"term": hostile}, user_id=MEMBER_USER_ID)
    for command in ("missing", "stats"):
        _, body = await slash(fake_discord, f"glossary-admin {command}")
        text = embeds_text(body["data"])
        # A backslash before the bracket: Discord shows the text, not a masked link.
        assert re.search(r"(?<!\\)\[free nitro\]", text) is None, (command, text)
        assert "\\[free nitro]" in text, command
        assert "@everyone" not in text.replace("@\u200beveryone", ""), command


async def test_everyone_is_refused_as_a_moderator_role(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    _, body = await slash(
        fake_discord, "glossary-admin roles add", {"role": str(GUILD_ID)}, user_id=OWNER_USER_ID
    )
    assert "@everyone cannot be a glossary moderator role" in body["data"]["content"]
    assert db_rows(db_path, "SELECT COUNT(*) FROM guild_settings WHERE name = 'mod_roles'") == [
        (0,)
    ]


async def test_a_confirmation_from_before_a_restart_is_answered_and_changes_nothing(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    asked, _ = await slash(fake_discord, "glossary-admin delete", {"term": "kaggle"})
    prompt = fake_discord.original_message(asked["id"])
    assert prompt is not None
    await process.terminate()
    await start_bot(bot_process, db_path)
    click = fake_discord.component_interaction(
        button_id(prompt, "Delete"), prompt, user_id=MODERATOR_USER_ID
    )
    answer = (await fake_discord.invoke(click)).json
    assert "no longer active" in answer["data"]["content"]
    assert db_rows(db_path, "SELECT deleted_at FROM entries WHERE key = 'kaggle'") == [(None,)]


async def test_a_page_button_from_before_a_restart_says_the_list_expired(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    asked, first = await slash(fake_discord, "glossary list", user_id=MEMBER_USER_ID)
    listed = fake_discord.original_message(asked["id"])
    assert listed is not None and "Page 1/" in embeds_text(first["data"])
    before = copy.deepcopy(listed)
    await process.terminate()
    await start_bot(bot_process, db_path)
    click = fake_discord.component_interaction(
        button_id(listed, "›"), listed, user_id=MEMBER_USER_ID
    )
    answer = (await fake_discord.invoke(click)).json
    assert "no longer active" in answer["data"]["content"]
    assert answer["data"]["flags"] & EPHEMERAL_FLAG  # told privately; the list stays as it was
    assert fake_discord.messages[int(listed["id"])] == before


async def test_a_live_confirmation_is_answered_once(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    asked, _ = await slash(fake_discord, "glossary-admin delete", {"term": "kaggle"})
    prompt = fake_discord.original_message(asked["id"])
    assert prompt is not None
    click = fake_discord.component_interaction(
        button_id(prompt, "Delete"), prompt, user_id=MODERATOR_USER_ID
    )
    answer = (await fake_discord.invoke(click)).json
    assert "Deleted **Kaggle**" in answer["data"]["content"]
    # A define after the click proves every task of the click has run.
    await slash(fake_discord, "define", {"term": "gpu"}, user_id=MEMBER_USER_ID)
    assert len([r for r in fake_discord.requests if f"/interactions/{click['id']}/" in r.path]) == 1
    assert not said(fake_discord, "no longer active")


@pytest.mark.parametrize("restart", [False, True])
async def test_a_form_refused_for_lost_permission_gives_the_typed_text_back(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path, restart: bool
) -> None:
    process = await start_bot(bot_process, db_path)
    _, form = await slash(fake_discord, "glossary-admin edit", {"term": "kaggle"})
    if restart:
        await process.terminate()
        await start_bot(bot_process, db_path)
    custom_id, values = modal_fields(form)
    values["entry:summary"] = "Twenty minutes of careful writing."
    # The moderator lost the role (and Manage Server) while typing.
    answer = await fake_discord.invoke(
        fake_discord.modal_submit_interaction(
            custom_id, values, user_id=MODERATOR_USER_ID, permissions=0
        )
    )
    assert "Manage Server" in answer.json["data"]["content"]
    assert answer.files == ["your-text.txt"]


async def test_an_alias_form_from_before_a_restart_is_answered_with_its_text(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    await slash(fake_discord, "define", {"term": "zzqx nonsense"}, user_id=MEMBER_USER_ID)
    asked, _ = await slash(fake_discord, "glossary-admin missing")
    listed = fake_discord.original_message(asked["id"])
    assert listed is not None
    click = fake_discord.component_interaction(
        button_id(listed, "Add as alias…"), listed, user_id=MODERATOR_USER_ID
    )
    modal = (await fake_discord.invoke(click)).json
    custom_id, values = modal_fields(modal)
    await process.terminate()
    await start_bot(bot_process, db_path)
    values["alias:target"] = "Kaggle"
    submit = fake_discord.modal_submit_interaction(custom_id, values, user_id=MODERATOR_USER_ID)
    answer = await fake_discord.invoke(submit)
    assert "no longer active" in answer.json["data"]["content"]
    assert answer.files == ["your-text.txt"]


async def test_everyone_stored_by_an_older_version_makes_nobody_a_moderator(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    await process.terminate()
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO guild_settings (guild_id, name, value_json) VALUES (?, 'mod_roles', ?)",
            (GUILD_ID, json.dumps([GUILD_ID])),
        )
    await start_bot(bot_process, db_path)
    _, body = await slash(
        fake_discord,
        "glossary-admin alias add",
        {"term": "kaggle", "alias": "pwned-by-a-member"},
        user_id=MEMBER_USER_ID,
        permissions=0,
    )
    assert "Manage Server" in body["data"]["content"]
    [(content,)] = db_rows(db_path, "SELECT content_json FROM entries WHERE key = 'kaggle'")
    assert "pwned-by-a-member" not in content
