"""Moderator tools end to end: the real bot process against the loopback fake Discord."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from tests.e2e.fake_discord import (
    EPHEMERAL_FLAG,
    EVERYONE_PERMISSIONS,
    GUILD_ID,
    MEMBER_USER_ID,
    MODERATOR_USER_ID,
    OTHER_CHANNEL_ID,
    OWNER_USER_ID,
    FakeDiscord,
    RecordedRequest,
)
from tests.e2e.harness import BOT_COMMAND, BotFactory, BotProcess
from tests.e2e.payloads import assert_no_mentions, button_id, components, embeds_text

CHANNEL_MESSAGE = 4  # interaction callback types
DEFERRED_CHANNEL_MESSAGE = 5
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

REFUSAL = "You need the Manage Server permission or a glossary moderator role"
HELPER_ROLE_ID = 1500000000000000077
HELPER_USER_ID = 1400000000000000077

Body = dict[str, Any]


async def start_bot(bot_process: BotFactory, db_path: Path) -> BotProcess:
    """Start `python -m bot run` on its own database and wait until it is ready."""
    return await bot_process(BOT_COMMAND, env={"GLOSSARY_DB": str(db_path)}, expect_sync=True)


def add_helper(fake: FakeDiscord) -> None:
    """Add a role without any special permission and a member holding it (before start)."""
    fake.guild["roles"].append(
        {
            "id": str(HELPER_ROLE_ID),
            "name": "Glossary helper",
            "color": 0,
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": 3,
            "permissions": str(EVERYONE_PERMISSIONS),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
    )
    fake.add_user(HELPER_USER_ID, "helper_hana", roles=[HELPER_ROLE_ID])


def db_rows(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the bot's database directly (a second connection sees committed data only)."""
    with sqlite3.connect(db_path) as conn:
        return list(conn.execute(sql, params))


def revision_count(db_path: Path) -> int:
    """Return how many revisions exist in all."""
    return int(db_rows(db_path, "SELECT COUNT(*) FROM revisions")[0][0])


async def slash(
    fake: FakeDiscord, name: str, options: dict[str, Any] | None = None, **kwargs: Any
) -> tuple[Body, Body]:
    """Run a slash command (as the moderator unless user_id is given); return it and its answer."""
    kwargs.setdefault("user_id", MODERATOR_USER_ID)
    interaction = fake.slash_interaction(name, options or {}, **kwargs)
    callback = await fake.invoke(interaction)
    return interaction, callback.json


async def define(fake: FakeDiscord, term: str) -> Body:
    """Run /define as a member and return the message data."""
    _, body = await slash(fake, "define", {"term": term}, user_id=MEMBER_USER_ID)
    assert body["type"] == CHANNEL_MESSAGE
    return body["data"]


def modal_fields(body: Body) -> tuple[str, dict[str, str]]:
    """Return a modal's custom id and its text inputs' values."""
    assert body["type"] == MODAL, body
    values: dict[str, str] = {}
    for row in body["data"]["components"]:
        for item in row.get("components") or [row.get("component")]:
            values[item["custom_id"]] = item.get("value") or ""
    return body["data"]["custom_id"], values


async def submit(
    fake: FakeDiscord, modal: Body, changes: dict[str, str], **kwargs: Any
) -> tuple[Body, Body]:
    """Submit a modal with its pre-filled values changed by `changes` (field name -> value)."""
    kwargs.setdefault("user_id", MODERATOR_USER_ID)
    custom_id, values = modal_fields(modal)
    values.update({f"entry:{name}": value for name, value in changes.items()})
    interaction = fake.modal_submit_interaction(custom_id, values, **kwargs)
    callback = await fake.invoke(interaction)
    return interaction, callback.json


async def click(fake: FakeDiscord, message: Body, label: str, **kwargs: Any) -> tuple[Body, Body]:
    """Click a button of a stored message (as the moderator unless user_id is given)."""
    kwargs.setdefault("user_id", MODERATOR_USER_ID)
    interaction = fake.component_interaction(button_id(message, label), message, **kwargs)
    callback = await fake.invoke(interaction)
    return interaction, callback.json


async def add_entry(
    fake: FakeDiscord, fields: dict[str, str], category: str = "software"
) -> tuple[Body, Body]:
    """Open the add modal as the moderator and submit it."""
    _, modal = await slash(fake, "glossary-admin add", {"category": category})
    return await submit(fake, modal, fields)


VOCAL_REMOVER = {
    "term": "Vocal Remover",
    "aliases": "uvr, ultimate vocal remover",
    "summary": "A tool that splits vocals from music before training.",
    "definition": "- Separates vocals and instruments.\n  e.g. UVR5\n\n> Tip: Use a clean mix.",
}


# Adding, and everything sees it at once. --------------------------------------------------


async def test_moderator_adds_an_entry_and_define_finds_it_at_once(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    _, modal = await slash(fake_discord, "glossary-admin add", {"category": "software"})
    _, values = modal_fields(modal)
    assert set(values) == {"entry:term", "entry:aliases", "entry:summary", "entry:definition"}
    assert len(modal["data"]["title"]) <= 45

    _, saved = await submit(fake_discord, modal, VOCAL_REMOVER)
    assert saved["type"] == CHANNEL_MESSAGE
    preview = saved["data"]
    assert preview["flags"] & EPHEMERAL_FLAG
    assert "Saved **Vocal Remover** (`vocal-remover`, v1)" in preview["content"]
    assert_no_mentions(preview)

    by_alias = await define(fake_discord, "ultimate vocal remover")
    assert by_alias["embeds"][0]["title"] == "Vocal Remover"
    # The preview is exactly what /define shows.
    shown = await define(fake_discord, "Vocal Remover")
    assert shown["embeds"] == preview["embeds"]
    assert "`UVR5`" in embeds_text(shown) and "**Tip:** Use a clean mix." in embeds_text(shown)

    _, modal = await slash(fake_discord, "glossary-admin edit", {"term": "Vocal Remover"})
    assert modal_fields(modal)[1]["entry:aliases"] == "uvr, ultimate vocal remover"
    rows = db_rows(
        db_path,
        "SELECT action, author_id, author_name FROM revisions WHERE entry_key = ?",
        ("vocal-remover",),
    )
    assert rows == [("create", MODERATOR_USER_ID, "mod_mia")]


async def test_invalid_definition_is_refused_with_line_numbers(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    before = revision_count(db_path)
    bad = {**VOCAL_REMOVER, "definition": "Pros & Cons\nPros:\n\nCons:"}
    _, answer = await add_entry(fake_discord, bad)
    assert answer["type"] == CHANNEL_MESSAGE
    assert answer["data"]["flags"] & EPHEMERAL_FLAG
    assert re.search(r"- line \d+: ", answer["data"]["content"]), answer["data"]["content"]
    assert revision_count(db_path) == before
    assert "Nothing in the glossary" in (await define(fake_discord, "vocal remover"))["content"]


async def test_name_collision_is_refused(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    before = revision_count(db_path)
    _, answer = await add_entry(fake_discord, {**VOCAL_REMOVER, "aliases": "KAGGLE!"})
    assert "is already a name of Kaggle" in answer["data"]["content"]
    assert revision_count(db_path) == before


async def test_confusable_name_asks_before_saving(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    before = revision_count(db_path)
    fields = {**VOCAL_REMOVER, "term": "Kagglee", "aliases": ""}
    submitted, prompt = await add_entry(fake_discord, fields)
    assert "look a lot like" in prompt["data"]["content"]
    assert "Kaggle" in prompt["data"]["content"]
    assert revision_count(db_path) == before  # nothing saved yet

    message = fake_discord.original_message(submitted["id"])
    assert message is not None
    _, saved = await click(fake_discord, message, "Save anyway")
    assert saved["type"] == UPDATE_MESSAGE
    assert "Saved **Kagglee**" in saved["data"]["content"]
    assert saved["data"]["components"] == []
    assert (await define(fake_discord, "kagglee"))["embeds"][0]["title"] == "Kagglee"


# Permissions. -----------------------------------------------------------------------------


async def test_member_without_the_role_is_refused_and_nothing_changes(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    add_helper(fake_discord)
    await start_bot(bot_process, db_path)
    before = revision_count(db_path)

    for name, options in [
        ("glossary-admin add", {}),
        ("glossary-admin delete", {"term": "kaggle"}),
        ("glossary-admin alias add", {"term": "kaggle", "alias": "kg"}),
        ("glossary-admin export", {}),
    ]:
        _, answer = await slash(fake_discord, name, options, user_id=MEMBER_USER_ID)
        assert answer["type"] == CHANNEL_MESSAGE, name  # a refusal, not a modal
        assert answer["data"]["flags"] & EPHEMERAL_FLAG
        assert REFUSAL in answer["data"]["content"], name
    assert revision_count(db_path) == before
    assert (await define(fake_discord, "kaggle"))["embeds"][0]["title"] == "Kaggle"

    # Autocomplete tells non-moderators nothing about deleted entries or revisions.
    interaction = fake_discord.autocomplete_interaction(
        "glossary-admin restore", {"term": ""}, "term", user_id=MEMBER_USER_ID
    )
    answer = (await fake_discord.invoke(interaction)).json
    assert answer["type"] == AUTOCOMPLETE_RESULT and answer["data"]["choices"] == []

    # A role set by someone with Manage Server makes its holders moderators...
    _, refused = await slash(fake_discord, "glossary-admin add", {}, user_id=HELPER_USER_ID)
    assert REFUSAL in refused["data"]["content"]
    _, granted = await slash(
        fake_discord, "glossary-admin roles add", {"role": HELPER_ROLE_ID}, user_id=OWNER_USER_ID
    )
    assert "can now edit the glossary" in granted["data"]["content"]
    _, modal = await slash(fake_discord, "glossary-admin add", {}, user_id=HELPER_USER_ID)
    assert modal["type"] == MODAL
    # ...but they cannot hand moderation to anyone else.
    _, escalate = await slash(
        fake_discord,
        "glossary-admin roles remove",
        {"role": HELPER_ROLE_ID},
        user_id=HELPER_USER_ID,
    )
    assert "Only members with the Manage Server permission" in escalate["data"]["content"]
    assert db_rows(db_path, "SELECT value_json FROM guild_settings WHERE guild_id = ?", (GUILD_ID,))


async def test_permission_is_rechecked_on_modal_submit_and_confirm(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    before = revision_count(db_path)

    # The modal was opened with Manage Server; it is gone by the time it is submitted.
    _, modal = await slash(fake_discord, "glossary-admin add", {})
    _, refused = await submit(fake_discord, modal, VOCAL_REMOVER, permissions=EVERYONE_PERMISSIONS)
    assert REFUSAL in refused["data"]["content"]

    # Same for the Delete confirmation button.
    asked, prompt = await slash(fake_discord, "glossary-admin delete", {"term": "kaggle"})
    assert "Delete **Kaggle**" in prompt["data"]["content"]
    message = fake_discord.original_message(asked["id"])
    assert message is not None
    _, refused = await click(fake_discord, message, "Delete", permissions=EVERYONE_PERMISSIONS)
    assert REFUSAL in refused["data"]["content"]

    assert revision_count(db_path) == before
    assert (await define(fake_discord, "kaggle"))["embeds"][0]["title"] == "Kaggle"


# Edit, concurrency, history, revert, delete and restore. ---------------------------------


async def test_edit_history_and_revert(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    original = await define(fake_discord, "kaggle")

    _, modal = await slash(fake_discord, "glossary-admin edit", {"term": "kaggle"})
    _, values = modal_fields(modal)
    assert values["entry:term"] == "Kaggle"
    assert "Pros:" in values["entry:definition"]  # the definition in the markup syntax
    _, saved = await submit(fake_discord, modal, {"summary": "Edited summary for the test."})
    assert "Saved **Kaggle**" in saved["data"]["content"]
    assert "Edited summary for the test." in embeds_text(await define(fake_discord, "kaggle"))

    _, history = await slash(fake_discord, "glossary-admin history", {"term": "kaggle"})
    page = embeds_text(history["data"])
    assert "· edit" in page and "by mod_mia" in page
    assert "summary:" in page and "→ Edited summary for the test." in page
    assert history["data"]["flags"] & EPHEMERAL_FLAG
    footer = history["data"]["embeds"][0]["footer"]["text"]
    assert footer == "Page 1/1 · 2 revisions · /glossary-admin revert restores one"
    _, seeded = await slash(fake_discord, "glossary-admin history", {"term": "colab"})
    assert seeded["data"]["embeds"][0]["footer"]["text"].startswith("Page 1/1 · 1 revision ·")

    first_id = db_rows(db_path, "SELECT MIN(id) FROM revisions WHERE entry_key = ?", ("kaggle",))[
        0
    ][0]
    choices = await fake_discord.invoke(
        fake_discord.autocomplete_interaction(
            "glossary-admin revert",
            {"term": "kaggle", "revision": ""},
            "revision",
            user_id=MODERATOR_USER_ID,
        )
    )
    assert first_id in [choice["value"] for choice in choices.json["data"]["choices"]]

    _, reverted = await slash(
        fake_discord, "glossary-admin revert", {"term": "kaggle", "revision": first_id}
    )
    assert f"Reverted **Kaggle** to r{first_id}" in reverted["data"]["content"]
    again = await define(fake_discord, "kaggle")
    assert again["embeds"][0]["description"] == original["embeds"][0]["description"]
    actions = db_rows(
        db_path, "SELECT action, note FROM revisions WHERE entry_key = ? ORDER BY id", ("kaggle",)
    )
    assert actions[-1] == ("revert", f"revert to r{first_id}")


async def test_concurrent_edit_is_refused_with_who_and_when(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    _, mine = await slash(fake_discord, "glossary-admin edit", {"term": "kaggle"})
    _, theirs = await slash(
        fake_discord, "glossary-admin edit", {"term": "kaggle"}, user_id=OWNER_USER_ID
    )
    _, first = await submit(
        fake_discord, theirs, {"summary": "The owner's summary."}, user_id=OWNER_USER_ID
    )
    assert "Saved" in first["data"]["content"]
    _, second = await submit(fake_discord, mine, {"summary": "The moderator's summary."})
    content = second["data"]["content"]
    assert "was changed by owner_olli at" in content and "reload and try again" in content
    assert "The owner's summary." in embeds_text(await define(fake_discord, "kaggle"))


async def test_delete_then_restore(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    asked, _ = await slash(fake_discord, "glossary-admin delete", {"term": "kaggle"})
    message = fake_discord.original_message(asked["id"])
    assert message is not None
    _, done = await click(fake_discord, message, "Delete")
    assert done["type"] == UPDATE_MESSAGE and "Deleted **Kaggle**" in done["data"]["content"]
    assert "Nothing in the glossary" in (await define(fake_discord, "kaggle"))["content"]

    choices = await fake_discord.invoke(
        fake_discord.autocomplete_interaction(
            "glossary-admin restore", {"term": "kag"}, "term", user_id=MODERATOR_USER_ID
        )
    )
    assert [c["value"] for c in choices.json["data"]["choices"]] == ["kaggle"]
    _, restored = await slash(fake_discord, "glossary-admin restore", {"term": "kaggle"})
    assert "Restored **Kaggle**" in restored["data"]["content"]
    assert (await define(fake_discord, "kaggle"))["embeds"][0]["title"] == "Kaggle"


async def test_alias_add_remove_and_rename(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    _, added = await slash(
        fake_discord, "glossary-admin alias add", {"term": "kaggle", "alias": "kagglebook"}
    )
    assert "can now also be found as 'kagglebook'" in added["data"]["content"]
    _, renamed = await slash(
        fake_discord, "glossary-admin rename", {"term": "kaggle", "new_term": "Kaggle Cloud"}
    )
    assert "Renamed **Kaggle** to **Kaggle Cloud**" in renamed["data"]["content"]
    assert (await define(fake_discord, "kaggle"))["embeds"][0]["title"] == "Kaggle Cloud"
    _, removed = await slash(
        fake_discord,
        "glossary-admin alias remove",
        {"term": "kaggle", "alias": "kagglebook"},
    )
    assert "no longer leads to **Kaggle Cloud**" in removed["data"]["content"]
    aliases = yaml.safe_load(
        db_rows(db_path, "SELECT content_json FROM entries WHERE key = 'kaggle'")[0][0]
    )["aliases"]
    assert "kagglebook" not in aliases and "Kaggle" in aliases


# Import and export. -----------------------------------------------------------------------


@pytest.fixture
async def file_server() -> AsyncIterator[Callable[[str, bytes], str]]:
    """Serve uploaded files the way Discord's CDN serves attachments; yield a publisher."""
    files: dict[str, bytes] = {}

    async def serve(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in files:
            return web.Response(status=404)
        return web.Response(body=files[name], content_type="application/x-yaml")

    app = web.Application()
    app.router.add_get("/attachments/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]

    def publish(name: str, data: bytes) -> str:
        files[name] = data
        return f"http://127.0.0.1:{port}/attachments/{name}"

    try:
        yield publish
    finally:
        await runner.cleanup()


def attachment_interaction(fake: FakeDiscord, url: str, name: str, size: int) -> Body:
    """Build /glossary-admin import with a resolved attachment, as Discord sends it."""
    attachment_id = fake.snowflake()
    interaction = fake.slash_interaction(
        "glossary-admin import", {"file": str(attachment_id)}, user_id=MODERATOR_USER_ID
    )
    interaction["data"]["resolved"] = {
        "attachments": {
            str(attachment_id): {
                "id": str(attachment_id),
                "filename": name,
                "size": size,
                "url": url,
                "proxy_url": url,
                "content_type": "application/x-yaml",
            }
        }
    }
    return interaction


async def original_edit(fake: FakeDiscord, interaction: Body) -> RecordedRequest:
    """Wait for the edit of a deferred interaction's @original message."""
    path = "/messages/@original"

    def matches(r: RecordedRequest) -> bool:
        return r.method == "PATCH" and interaction["token"] in r.path and r.path.endswith(path)

    return await fake.wait_for_request(matches)


def shipped_document() -> dict[str, Any]:
    """Return data/glossary.yaml."""
    root = Path(__file__).resolve().parents[2]
    return yaml.safe_load((root / "data" / "glossary.yaml").read_text(encoding="utf-8"))


async def test_import_shows_a_dry_run_and_applies_on_confirm(
    fake_discord: FakeDiscord,
    bot_process: BotFactory,
    db_path: Path,
    file_server: Callable[[str, bytes], str],
) -> None:
    await start_bot(bot_process, db_path)
    document = shipped_document()
    entries = document["entries"]
    referenced = {key for entry in entries for key in entry.get("related") or ()}
    removed = next(entry["key"] for entry in entries if entry["key"] not in referenced)
    entries[:] = [entry for entry in entries if entry["key"] != removed]
    kaggle = next(entry for entry in entries if entry["key"] == "kaggle")
    kaggle["summary"] = "Changed by the import."
    entries.append({"key": "zorblax", "term": "Zorblax", "summary": "A made-up tool."})
    data = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
    before = revision_count(db_path)

    interaction = attachment_interaction(
        fake_discord, file_server("glossary.yaml", data), "glossary.yaml", len(data)
    )
    deferred = (await fake_discord.invoke(interaction)).json
    assert deferred["type"] == DEFERRED_CHANNEL_MESSAGE
    assert deferred["data"]["flags"] & EPHEMERAL_FLAG
    plan = (await original_edit(fake_discord, interaction)).json
    text = embeds_text(plan)
    assert "**1** added · **1** changed · **1** removed" in text
    assert "`zorblax`" in text and "`kaggle`" in text and f"`{removed}`" in text
    assert revision_count(db_path) == before  # a dry run writes nothing

    message = fake_discord.original_message(interaction["id"])
    assert message is not None
    _, done = await click(fake_discord, message, "Import")
    assert done["type"] == UPDATE_MESSAGE
    assert "Import done" in embeds_text(done["data"])
    assert (await define(fake_discord, "zorblax"))["embeds"][0]["title"] == "Zorblax"
    assert "Changed by the import." in embeds_text(await define(fake_discord, "kaggle"))
    assert db_rows(db_path, "SELECT deleted_at IS NOT NULL FROM entries WHERE key = ?", (removed,))
    assert revision_count(db_path) == before + 3


async def test_invalid_import_lists_problems_and_changes_nothing(
    fake_discord: FakeDiscord,
    bot_process: BotFactory,
    db_path: Path,
    file_server: Callable[[str, bytes], str],
) -> None:
    await start_bot(bot_process, db_path)
    document = shipped_document()
    document["entries"][0]["summary"] = ""
    document["entries"].append({"key": "Not A Key", "term": "x", "summary": "y"})
    data = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
    before = revision_count(db_path)

    interaction = attachment_interaction(
        fake_discord, file_server("bad.yaml", data), "bad.yaml", len(data)
    )
    await fake_discord.invoke(interaction)
    answer = (await original_edit(fake_discord, interaction)).json
    assert "**bad.yaml** was not imported; nothing changed." in answer["content"]
    assert "summary is empty" in answer["content"]
    assert "must be lowercase letters and digits" in answer["content"]
    assert not components(answer)
    assert revision_count(db_path) == before


async def test_export_sends_the_glossary_as_a_yaml_file(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    interaction = fake_discord.slash_interaction(
        "glossary-admin export", {}, user_id=MODERATOR_USER_ID
    )
    callback = await fake_discord.invoke(interaction)
    # Writing the file may take a while at scale: the command defers, then follows up.
    assert callback.json["type"] == DEFERRED_CHANNEL_MESSAGE
    assert callback.json["data"]["flags"] & EPHEMERAL_FLAG
    token = interaction["token"]
    sent = await fake_discord.wait_for_request(
        lambda r: r.method == "POST" and "/webhooks/" in r.path and token in r.path
    )
    assert len(sent.files) == 1 and re.fullmatch(r"glossary-\d{4}-\d\d-\d\d\.yaml", sent.files[0])
    assert "26 entries" in sent.json["content"]
    assert_no_mentions(sent.json)


# The missed-lookup queue, statistics and the audit channel. -------------------------------


async def test_missing_lookup_becomes_an_entry(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    for _ in range(2):
        assert "Nothing in the glossary" in (await define(fake_discord, "qwxyzzy"))["content"]

    asked, queue = await slash(fake_discord, "glossary-admin missing")
    assert "**qwxyzzy** - 2" in embeds_text(queue["data"])
    message = fake_discord.original_message(asked["id"])
    assert message is not None
    _, modal = await click(fake_discord, message, "Add as new entry")
    _, values = modal_fields(modal)
    assert values["entry:term"] == "qwxyzzy"
    _, saved = await submit(
        fake_discord, modal, {"summary": "A word members kept asking about.", "definition": ""}
    )
    assert "Saved **qwxyzzy**" in saved["data"]["content"]
    assert (await define(fake_discord, "qwxyzzy"))["embeds"][0]["title"] == "qwxyzzy"

    _, queue = await slash(fake_discord, "glossary-admin missing")
    assert "qwxyzzy" not in embeds_text(queue["data"])

    _, stats = await slash(fake_discord, "glossary-admin stats")
    text = embeds_text(stats["data"])
    assert "Lookups per day" in text and "found nothing" in text
    assert "1. qwxyzzy - 1" in text


async def test_missing_lookup_dismissed_or_added_as_alias(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    await define(fake_discord, "qwxyzzy")
    await define(fake_discord, "plinkfrob")
    asked, _ = await slash(fake_discord, "glossary-admin missing")
    message = fake_discord.original_message(asked["id"])
    assert message is not None
    # Pick the second missed lookup, then dismiss it.
    select = next(item for item in components(message) if item.get("type") == 3)
    picked = fake_discord.component_interaction(
        select["custom_id"], message, component_type=3, values=["1"], user_id=MODERATOR_USER_ID
    )
    await fake_discord.invoke(picked)
    message = fake_discord.original_message(asked["id"])
    assert message is not None
    _, dismissed = await click(fake_discord, message, "Dismiss")
    assert dismissed["type"] == UPDATE_MESSAGE
    remaining = embeds_text(dismissed["data"])
    assert ("qwxyzzy" in remaining) != ("plinkfrob" in remaining)
    left = "qwxyzzy" if "qwxyzzy" in remaining else "plinkfrob"

    message = fake_discord.original_message(asked["id"])
    assert message is not None
    _, modal = await click(fake_discord, message, "Add as alias…")
    custom_id, _ = modal_fields(modal)
    interaction = fake_discord.modal_submit_interaction(
        custom_id, {"alias:target": "Kaggle"}, user_id=MODERATOR_USER_ID
    )
    added = (await fake_discord.invoke(interaction)).json
    assert f"can now also be found as '{left}'" in added["data"]["content"]
    assert (await define(fake_discord, left))["embeds"][0]["title"] == "Kaggle"
    _, queue = await slash(fake_discord, "glossary-admin missing")
    assert "No missed lookups" in embeds_text(queue["data"])


async def test_suggestion_members_open_after_a_miss_becomes_an_alias_in_one_click(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    asked, answer = await slash(
        fake_discord, "define", {"term": "fl studio"}, user_id=MEMBER_USER_ID
    )
    assert "Nothing in the glossary" in answer["data"]["content"]
    missed = fake_discord.original_message(asked["id"])
    assert missed is not None
    _, opened = await click(fake_discord, missed, "DAW", user_id=MEMBER_USER_ID)
    assert opened["data"]["embeds"][0]["title"] == "DAW"
    # The choice is written after the member got the entry; wait for the row (hang guard).
    for _ in range(200):
        if db_rows(db_path, "SELECT count FROM learned_names WHERE entry_key = 'daw'"):
            break
        await asyncio.sleep(0.05)

    await slash(fake_discord, "glossary-admin missing")
    followup = await fake_discord.wait_for_request(
        lambda r: r.method == "POST" and r.path.startswith("/webhooks/")
    )
    assert isinstance(followup.json, dict)
    assert "1 lookup for 'fl studio' ended on **DAW**" in embeds_text(followup.json)
    learned = next(
        message
        for message in fake_discord.messages.values()
        if "ended on **DAW**" in embeds_text(message)
    )
    _, added = await click(fake_discord, learned, "Add 'fl studio' as alias")
    assert "can now also be found as 'fl studio'" in added["data"]["content"]
    assert (await define(fake_discord, "fl studio"))["embeds"][0]["title"] == "DAW"


async def test_audit_channel_gets_who_changed_what_and_failures_do_not_break_changes(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    _, answer = await slash(
        fake_discord, "glossary-admin audit-channel", {"channel": OTHER_CHANNEL_ID}
    )
    assert f"<#{OTHER_CHANNEL_ID}>" in answer["data"]["content"]
    await fake_discord.wait_for_channel_message(OTHER_CHANNEL_ID)  # the setting change itself

    await add_entry(fake_discord, VOCAL_REMOVER)
    post = (await fake_discord.wait_for_channel_message(OTHER_CHANNEL_ID)).json
    assert post["embeds"][0]["title"] == "Glossary added: Vocal Remover (vocal-remover)"
    assert "mod_mia" in post["embeds"][0]["author"]["name"]
    assert "created **Vocal Remover**" in post["embeds"][0]["description"]
    assert_no_mentions(post)

    # Discord refuses the audit post: the change still happens and is answered.
    fake_discord.fail_next("POST", rf"/channels/{OTHER_CHANNEL_ID}/messages", status=403)
    _, added = await slash(
        fake_discord,
        "glossary-admin alias add",
        {"term": "vocal-remover", "alias": "stem splitter"},
    )
    assert "can now also be found as 'stem splitter'" in added["data"]["content"]
    assert (await define(fake_discord, "stem splitter"))["embeds"][0]["title"] == "Vocal Remover"
    refused = await fake_discord.wait_for_request(
        lambda r: r.method == "POST" and r.path == f"/channels/{OTHER_CHANNEL_ID}/messages"
    )
    assert refused.status == 403  # the post was attempted and failed
    assert db_rows(db_path, "SELECT 1 FROM revisions WHERE action = 'alias'")


async def test_history_pages_turn_only_for_moderators(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    for alias in ("kg one", "kg two", "kg three", "kg four"):
        await slash(fake_discord, "glossary-admin alias add", {"term": "kaggle", "alias": alias})
    asked, history = await slash(fake_discord, "glossary-admin history", {"term": "kaggle"})
    first_page = embeds_text(history["data"])
    assert "aliases: + kg four" in first_page and "created **Kaggle**" not in first_page
    message = fake_discord.original_message(asked["id"])
    assert message is not None

    _, refused = await click(fake_discord, message, "›", permissions=EVERYONE_PERMISSIONS)
    assert REFUSAL in refused["data"]["content"]
    _, turned = await click(fake_discord, message, "›")
    assert turned["type"] == UPDATE_MESSAGE
    assert "created **Kaggle**" in embeds_text(turned["data"])


async def test_import_with_many_problems_attaches_the_full_list(
    fake_discord: FakeDiscord,
    bot_process: BotFactory,
    db_path: Path,
    file_server: Callable[[str, bytes], str],
) -> None:
    bot = await start_bot(bot_process, db_path)
    document = shipped_document()
    document["entries"] += [
        {"key": f"bad-{index}", "term": f"Bad {index}", "summary": ""} for index in range(80)
    ]
    data = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
    before = revision_count(db_path)
    interaction = attachment_interaction(
        fake_discord, file_server("empty.yaml", data), "empty.yaml", len(data)
    )
    await fake_discord.invoke(interaction)
    edit = await original_edit(fake_discord, interaction)
    assert edit.ok
    assert edit.files == ["import-problems.txt"]
    assert "80 problems in all" in edit.json["content"]
    assert revision_count(db_path) == before
    # The bot reads the edited message back (attachment objects included) without an error
    # report; a later command's answer shows it has moved on.
    await fake_discord.invoke(fake_discord.slash_interaction("define", {"term": "kaggle"}))
    followups = [r for r in fake_discord.requests if interaction["token"] in r.path]
    assert [r.method for r in followups] == ["POST", "PATCH"], followups
    assert "Traceback" not in bot.output()
