"""Who owns the glossary: only its home server's moderators change it, from anywhere else nothing.

The bot is in the community's server A (home) and in server B, owned by someone else. B's
owner tries every write path A's moderators have: commands (even with A's command ids), buttons
and forms with copied custom ids. Nothing changes, and B keeps control of its own auto-replies.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.e2e.fake_discord import (
    EPHEMERAL_FLAG,
    GUILD_ID,
    MEMBER_USER_ID,
    MODERATOR_USER_ID,
    FakeDiscord,
)
from tests.e2e.harness import BOT_COMMAND, BotFactory, BotProcess
from tests.e2e.payloads import button_id
from tests.e2e.test_admin_e2e import db_rows, modal_fields, revision_count, slash
from tests.reliability.conftest import reply_to, wait_until

B_GUILD = 1200000000000000002
B_CHANNEL = 1300000000000000009
B_OWNER = 1400000000000000009
B_MEMBER = 1400000000000000010
B_MOD_ROLE = 1500000000000000009
NOT_HOME = "edited only from its home server"

Body = dict[str, Any]


def add_server_b(fake: FakeDiscord) -> None:
    """Put the bot in a second server whose owner and moderator are strangers to server A."""
    fake.add_guild(
        B_GUILD,
        name="Someone Else's Server",
        owner_id=B_OWNER,
        channel_id=B_CHANNEL,
        moderator_role_id=B_MOD_ROLE,
        members={B_MEMBER: [B_MOD_ROLE]},
    )


async def start(bot_process: BotFactory, db_path: Path, **env: str) -> BotProcess:
    """Start `python -m bot run` on its own database and wait until it is ready."""
    return await bot_process(BOT_COMMAND, env={"GLOSSARY_DB": str(db_path), **env})


def from_b(fake: FakeDiscord, payload: Body, user_id: int = B_OWNER) -> Body:
    """Return an interaction payload as if `user_id` sent it from server B (a forgery)."""
    forged = fake.slash_interaction(
        "define", {"term": "x"}, user_id=user_id, guild_id=B_GUILD, channel_id=B_CHANNEL
    )
    forged["type"] = payload["type"]
    forged["data"] = payload["data"]
    if "message" in payload:
        forged["message"] = payload["message"]
    return forged


async def answer(fake: FakeDiscord, payload: Body) -> Body:
    """Dispatch an interaction and return the JSON of its callback."""
    return (await fake.invoke(payload)).json


def content_of(body: Body) -> str:
    """Return the text of an interaction callback."""
    return str((body.get("data") or {}).get("content") or "")


def kaggle_version(db_path: Path) -> tuple[int, str | None]:
    """Return Kaggle's stored version and deletion time."""
    [(version, deleted)] = db_rows(
        db_path, "SELECT version, deleted_at FROM entries WHERE key = 'kaggle'"
    )
    return int(version), deleted


async def test_the_admin_commands_exist_only_in_the_home_server(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    add_server_b(fake_discord)
    await start(bot_process, db_path)
    global_names = {c["name"] for c in fake_discord.global_commands}
    assert {"define", "glossary", "autoreply", "Explain terms"} <= global_names
    assert "glossary-admin" not in global_names
    assert [c["name"] for c in fake_discord.guild_commands[GUILD_ID]] == ["glossary-admin"]
    assert fake_discord.guild_commands.get(B_GUILD, []) == []


async def test_another_servers_owner_changes_nothing_by_any_path(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    add_server_b(fake_discord)
    process = await start(bot_process, db_path)
    before = revision_count(db_path)
    version = kaggle_version(db_path)

    # A command typed in B: it is not registered there at all.
    _, typed = await slash(
        fake_discord,
        "glossary-admin delete",
        {"term": "kaggle"},
        user_id=B_OWNER,
        guild_id=B_GUILD,
        channel_id=B_CHANNEL,
    )
    assert typed["data"]["flags"] & EPHEMERAL_FLAG

    # A's command ids replayed from B, for every kind of write.
    for name, options in [
        ("glossary-admin delete", {"term": "kaggle"}),
        ("glossary-admin rename", {"term": "kaggle", "new_term": "Kaggle Pwned"}),
        ("glossary-admin alias add", {"term": "kaggle", "alias": "pwned"}),
        ("glossary-admin restore", {"term": "kaggle"}),
        ("glossary-admin revert", {"term": "kaggle", "revision": 1}),
        ("glossary-admin roles add", {"role": str(B_MOD_ROLE)}),
        ("glossary-admin audit-channel", {}),
        ("glossary-admin edit", {"term": "kaggle"}),
        ("glossary-admin add", {}),
    ]:
        home = fake_discord.slash_interaction(name, options, user_id=MODERATOR_USER_ID)
        refused = await answer(fake_discord, from_b(fake_discord, home))
        assert NOT_HOME in content_of(refused), (name, refused)
        assert refused["data"]["flags"] & EPHEMERAL_FLAG

    # A's moderator opens the delete prompt and the edit form; B's owner replays their ids.
    asked, _ = await slash(fake_discord, "glossary-admin delete", {"term": "kaggle"})
    prompt = fake_discord.original_message(asked["id"])
    assert prompt is not None
    click = fake_discord.component_interaction(
        button_id(prompt, "Delete"),
        prompt,
        user_id=B_OWNER,
        guild_id=B_GUILD,
        channel_id=B_CHANNEL,
    )
    clicked = await answer(fake_discord, click)
    assert clicked["data"]["flags"] & EPHEMERAL_FLAG
    _, form = await slash(fake_discord, "glossary-admin edit", {"term": "kaggle"})
    custom_id, values = modal_fields(form)
    values["entry:summary"] = "Pwned from another server."
    for forged_id in (custom_id, custom_id.replace(custom_id.split(":")[1], "deadbeef")):
        submit = fake_discord.modal_submit_interaction(
            forged_id, values, user_id=B_OWNER, guild_id=B_GUILD, channel_id=B_CHANNEL
        )
        refused = await answer(fake_discord, submit)
        assert refused["data"]["flags"] & EPHEMERAL_FLAG
        assert "Pwned" not in content_of(refused)

    # Autocomplete of admin options reveals nothing to B either.
    auto = fake_discord.autocomplete_interaction(
        "glossary-admin restore", {"term": ""}, "term", user_id=MODERATOR_USER_ID
    )
    forged_auto = from_b(fake_discord, auto)
    result = await answer(fake_discord, forged_auto)
    assert result["data"]["choices"] == []

    # A define from the home server proves the bot handled everything before it.
    _, shown = await slash(fake_discord, "define", {"term": "kaggle"}, user_id=MEMBER_USER_ID)
    assert shown["data"]["embeds"][0]["title"] == "Kaggle"
    assert revision_count(db_path) == before
    assert kaggle_version(db_path) == version
    assert db_rows(db_path, "SELECT COUNT(*) FROM guild_settings WHERE name = 'mod_roles'") == [
        (0,)
    ]
    assert process.returncode is None


async def test_each_server_tunes_its_own_automatic_replies(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    add_server_b(fake_discord)
    await start(bot_process, db_path)
    # B's moderator role is no glossary moderator, and not a server manager: refused.
    refused = await answer(
        fake_discord,
        fake_discord.slash_interaction(
            "autoreply mode",
            {"mode": "off"},
            user_id=B_MEMBER,
            guild_id=B_GUILD,
            channel_id=B_CHANNEL,
            permissions=0,
        ),
    )
    assert "Manage Server" in content_of(refused)
    done = await answer(
        fake_discord,
        fake_discord.slash_interaction(
            "autoreply mode",
            {"mode": "off"},
            user_id=B_OWNER,
            guild_id=B_GUILD,
            channel_id=B_CHANNEL,
        ),
    )
    assert "**off**" in content_of(done)
    # B is quiet now; A, whose setting nobody touched, still answers.
    await fake_discord.dispatch_message(
        "what is kaggle?", author=B_OWNER, guild_id=B_GUILD, channel_id=B_CHANNEL
    )
    asked = await fake_discord.dispatch_message("what is kaggle?")
    await reply_to(fake_discord, asked)
    replies = [
        r
        for r in fake_discord.requests
        if r.method == "POST" and r.path.endswith(f"/channels/{B_CHANNEL}/messages")
    ]
    assert replies == []
    # And B's members read the glossary as usual.
    _, shown = await slash(
        fake_discord,
        "define",
        {"term": "hags"},
        user_id=B_MEMBER,
        guild_id=B_GUILD,
        channel_id=B_CHANNEL,
    )
    assert shown["data"]["embeds"][0]["title"]


async def test_the_only_server_is_adopted_as_home_and_kept_when_another_joins(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start(bot_process, db_path, HOME_GUILD_IDS="")
    await wait_until(lambda: GUILD_ID in fake_discord.guild_commands, what="home sync")
    await wait_until(lambda: "adopted the only server" in process.output(), what="adoption log")
    assert db_rows(db_path, "SELECT value FROM meta WHERE name LIKE 'home_guild_id:%'") == [
        (str(GUILD_ID),)
    ]
    _, done = await slash(
        fake_discord, "glossary-admin alias add", {"term": "kaggle", "alias": "kagel"}
    )
    assert "kagel" in content_of(done)
    await process.terminate()

    add_server_b(fake_discord)
    process = await start(bot_process, db_path, HOME_GUILD_IDS="")
    await wait_until(lambda: "Home servers (recorded)" in process.output(), what="home log")
    home = fake_discord.slash_interaction(
        "glossary-admin delete", {"term": "kaggle"}, user_id=MODERATOR_USER_ID
    )
    refused = await answer(fake_discord, from_b(fake_discord, home))
    assert NOT_HOME in content_of(refused)


async def test_several_servers_and_no_setting_means_nobody_edits(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    add_server_b(fake_discord)
    process = await start(bot_process, db_path, HOME_GUILD_IDS="")
    await wait_until(lambda: "No home server" in process.output(), what="no-home log")
    assert GUILD_ID not in fake_discord.guild_commands
    # A replayed command finds nothing to run, in either server.
    version = kaggle_version(db_path)
    forged = fake_discord.slash_interaction("define", {"term": "x"}, user_id=MODERATOR_USER_ID)
    forged["data"] = {
        "id": "1",
        "name": "glossary-admin",
        "type": 1,
        "guild_id": str(GUILD_ID),
        "options": [
            {
                "name": "delete",
                "type": 1,
                "options": [{"name": "term", "type": 3, "value": "kaggle"}],
            }
        ],
    }
    body = await answer(fake_discord, forged)
    assert body["data"]["flags"] & EPHEMERAL_FLAG
    assert kaggle_version(db_path) == version


async def test_moving_from_global_commands_to_a_dev_server_leaves_no_duplicates(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start(bot_process, db_path)
    assert "define" in {c["name"] for c in fake_discord.global_commands}
    await process.terminate()
    await start(bot_process, db_path, DEV_GUILD_ID=str(GUILD_ID))
    in_guild = {c["name"] for c in fake_discord.guild_commands[GUILD_ID]}
    assert {"define", "glossary", "glossary-admin"} <= in_guild
    assert fake_discord.global_commands == []


async def test_moving_from_a_dev_server_to_global_commands_leaves_no_duplicates(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start(bot_process, db_path, DEV_GUILD_ID=str(GUILD_ID))
    dev_names = {c["name"] for c in fake_discord.guild_commands[GUILD_ID]}
    assert {"define", "glossary", "glossary-admin"} <= dev_names
    assert fake_discord.global_commands == []
    await process.terminate()

    await start(bot_process, db_path)
    assert [c["name"] for c in fake_discord.guild_commands[GUILD_ID]] == ["glossary-admin"]
    assert "define" in {c["name"] for c in fake_discord.global_commands}


async def test_a_second_application_on_the_same_database_gets_its_commands(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start(bot_process, db_path)
    await process.terminate()
    # Another application synced this exact command set from this database before.
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE meta SET name = 'command_hash:999' || substr(name, length('command_hash:'))"
            " WHERE name LIKE 'command_hash:%'"
        )
    fake_discord.global_commands.clear()
    fake_discord.guild_commands.clear()
    await start(bot_process, db_path)
    assert "define" in {c["name"] for c in fake_discord.global_commands}
    assert [c["name"] for c in fake_discord.guild_commands[GUILD_ID]] == ["glossary-admin"]


async def test_force_command_sync_syncs_an_unchanged_command_set(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start(bot_process, db_path)
    await process.terminate()
    fake_discord.global_commands.clear()
    process = await start(bot_process, db_path)
    assert fake_discord.global_commands == []  # unchanged: not synced again
    await process.terminate()
    await start(bot_process, db_path, FORCE_COMMAND_SYNC="true")
    assert "define" in {c["name"] for c in fake_discord.global_commands}


async def test_another_servers_misses_never_reach_the_home_queue(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    add_server_b(fake_discord)
    await start(bot_process, db_path)
    await slash(
        fake_discord,
        "define",
        {"term": "zzqx buy followers at evil dot example"},
        user_id=B_MEMBER,
        guild_id=B_GUILD,
        channel_id=B_CHANNEL,
    )
    await slash(fake_discord, "define", {"term": "zzqx home miss"}, user_id=MEMBER_USER_ID)
    _, body = await slash(fake_discord, "glossary-admin missing")
    text = str(body["data"])
    assert "home miss" in text
    assert "evil dot example" not in text
