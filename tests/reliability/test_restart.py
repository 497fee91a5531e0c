"""Everything that should outlive the bot process does: edits, settings, cooldowns, counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.glossary import yamlio
from bot.glossary.models import Entry
from tests.e2e.fake_discord import (
    MEMBER_USER_ID,
    MODERATOR_ROLE_ID,
    MODERATOR_USER_ID,
    OTHER_CHANNEL_ID,
    OWNER_USER_ID,
    FakeDiscord,
)
from tests.e2e.harness import BotFactory
from tests.e2e.payloads import buttons, embeds_text
from tests.reliability.conftest import (
    define,
    query,
    replies_to,
    reply_to,
    run_cli,
    start_bot,
)

PROBE = Entry(
    key="restart-probe",
    term="Restart probe",
    summary="Written with the command line before the bot started.",
)


async def moderator(fake: FakeDiscord, path: str, **options: Any) -> dict[str, Any]:
    """Run a /glossary-admin (or /autoreply) subcommand as the moderator; return the callback."""
    name = path if path.startswith("autoreply") else f"glossary-admin {path}"
    interaction = fake.slash_interaction(name, options or None, user_id=MODERATOR_USER_ID)
    body = dict((await fake.invoke(interaction)).json)
    # A confirmation prompt (delete, or "Save anyway?") is confirmed right away.
    confirm = [b for b in buttons(body.get("data") or {}) if b.get("style") == 4]
    if confirm:
        message = fake.original_message(interaction["id"])
        click = fake.component_interaction(
            confirm[0]["custom_id"], message, user_id=MODERATOR_USER_ID
        )
        body = dict((await fake.invoke(click)).json)
    return body


def content(body: dict[str, Any]) -> str:
    """Return a callback's message text and embed text."""
    data = body.get("data") or {}
    return f"{data.get('content') or ''}\n{embeds_text(data)}"


async def test_edits_settings_cooldowns_and_counts_survive_restarts(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path, tmp_path: Path
) -> None:
    # An edit through the command line, before the bot ever ran.
    document = tmp_path / "with-probe.yaml"
    document.write_text(yamlio.dump_document([*yamlio.load_seed(), PROBE]), encoding="utf-8")
    assert run_cli(db_path, "import", str(document)).returncode == 0

    first = await start_bot(bot_process, db_path)
    assert "can now also be found" in content(
        await moderator(fake_discord, "alias add", term="kaggle", alias="zq restart alias")
    )
    assert "Deleted **CUDA**" in content(await moderator(fake_discord, "delete", term="cuda"))
    assert "can now edit" in content(
        await moderator(fake_discord, "roles add", role=MODERATOR_ROLE_ID)
    )
    for path, options in [
        ("mode", {"mode": "mention"}),
        ("cooldown", {"seconds": 1234, "member_seconds": 77}),
        ("channel", {"action": "deny", "channel": OTHER_CHANNEL_ID}),
        ("entry", {"action": "disable", "term": "hags"}),
    ]:
        body = await moderator(fake_discord, f"autoreply {path}", **options)
        assert "Sorry" not in content(body), content(body)
    asked = await fake_discord.dispatch_message("what is colab?")
    await reply_to(fake_discord, asked)  # starts the colab and member cooldowns
    for _ in range(3):
        await define(fake_discord, "kaggle")
    assert await first.terminate() == 0

    # Lookup counts are batched in memory: the clean shutdown must have written all of them.
    assert query(db_path, "SELECT SUM(count) FROM usage WHERE entry_key = 'kaggle'") == [(3,)]
    actions = query(
        db_path,
        "SELECT entry_key, action FROM revisions WHERE entry_key IN ('kaggle', 'cuda') "
        "AND action != 'seed' ORDER BY id",
    )
    assert actions == [("kaggle", "alias"), ("cuda", "delete")]

    second = await start_bot(bot_process, db_path, expect_sync=False)
    assert (await define(fake_discord, "restart probe"))["data"]["embeds"][0]["title"] == (
        "Restart probe"
    )
    assert (await define(fake_discord, "zq restart alias"))["data"]["embeds"][0]["title"] == (
        "Kaggle"
    )
    gone = (await define(fake_discord, "cuda"))["data"]
    assert all(embed.get("title") != "CUDA" for embed in gone.get("embeds") or [])
    assert f"<@&{MODERATOR_ROLE_ID}>" in content(await moderator(fake_discord, "roles list"))
    shown = content(await moderator(fake_discord, "autoreply show"))
    for expected in ("mention", "1234s", "77s", f"<#{OTHER_CHANNEL_ID}>", "HAGS"):
        assert expected in shown, (expected, shown)

    # Cooldowns came back: colab in this channel, and the member who asked.
    colab_again = await fake_discord.dispatch_message("colab again?", author=MODERATOR_USER_ID)
    member_again = await fake_discord.dispatch_message("what is kaggle?", author=MEMBER_USER_ID)
    denied = await fake_discord.dispatch_message(
        "what is kaggle?", author=MODERATOR_USER_ID, channel_id=OTHER_CHANNEL_ID
    )
    disabled = await fake_discord.dispatch_message("hags?", author=MODERATOR_USER_ID)
    sentinel = await fake_discord.dispatch_message("what is kaggle?", author=OWNER_USER_ID)
    await reply_to(fake_discord, sentinel)
    for unanswered in (colab_again, member_again, denied, disabled):
        assert replies_to(fake_discord, unanswered) == [], unanswered["content"]

    # Committed changes also survive a crash (SIGKILL: no shutdown code runs at all).
    assert "Restored **CUDA**" in content(await moderator(fake_discord, "restore", term="cuda"))
    await moderator(fake_discord, "autoreply mode", mode="question")
    assert await second.kill() != 0

    await start_bot(bot_process, db_path, expect_sync=False)
    assert (await define(fake_discord, "cuda"))["data"]["embeds"][0]["title"] == "CUDA"
    assert "question" in content(await moderator(fake_discord, "autoreply show"))
    history = query(
        db_path, "SELECT action FROM revisions WHERE entry_key = 'cuda' ORDER BY version"
    )
    assert [action for (action,) in history] == ["seed", "delete", "restore"]
    stored = dict(query(db_path, "SELECT name, value_json FROM guild_settings"))
    assert json.loads(stored["autoreply_mode"]) == "question"
