"""SIGKILL the bot while `/glossary-admin import` applies 5,000 entries: never half-applied."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.e2e.fake_discord import MODERATOR_USER_ID, FakeDiscord
from tests.e2e.harness import BotFactory
from tests.e2e.test_admin_e2e import (  # noqa: F401 - file_server is a fixture used below
    attachment_interaction,
    button_id,
    file_server,
    original_edit,
)
from tests.reliability.conftest import bulk_document, define, record_figure, run_cli, start_bot
from tests.reliability.test_import_kill import (
    BULK_ENTRIES,
    HANG_GUARD,
    consistency_problems,
    read_state,
    wal_size,
)

# Kill once the import's open transaction has spilled this much into the write-ahead log.
SPILLED_BYTES = 512 * 1024


def copy_database(source: Path, dest: Path) -> None:
    """Copy a live database with SQLite's backup API."""
    src, dst = sqlite3.connect(source), sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


async def test_sigkill_during_a_discord_import_leaves_before_or_after(
    fake_discord: FakeDiscord,
    bot_process: BotFactory,
    db_path: Path,
    tmp_path: Path,
    file_server: Callable[[str, bytes], str],  # noqa: F811 - the imported fixture
) -> None:
    bot = await start_bot(bot_process, db_path)
    data = bulk_document(BULK_ENTRIES).encode()
    document = tmp_path / "bulk.yaml"
    document.write_bytes(data)
    before = read_state(db_path)
    complete = tmp_path / "complete.db"
    copy_database(db_path, complete)
    assert run_cli(complete, "import", str(document), "--yes").returncode == 0
    after = read_state(complete)

    interaction = attachment_interaction(
        fake_discord, file_server("bulk.yaml", data), "bulk.yaml", len(data)
    )
    await fake_discord.invoke(interaction, timeout=60)
    await original_edit(fake_discord, interaction)
    message = fake_discord.original_message(interaction["id"])
    assert message is not None
    confirm = fake_discord.component_interaction(
        button_id(message, "Import"), message, user_id=MODERATOR_USER_ID
    )
    wal_before = wal_size(db_path)
    await fake_discord.dispatch_interaction(confirm)

    def answered() -> bool:
        return any(r.method == "POST" and confirm["token"] in r.path for r in fake_discord.requests)

    # Kill on what the bot has done (spilled its open transaction, or answered), never on time.
    deadline = asyncio.get_running_loop().time() + HANG_GUARD
    while not answered() and wal_size(db_path) <= wal_before + SPILLED_BYTES:
        assert asyncio.get_running_loop().time() < deadline, (
            "the import neither spilled nor answered"
        )
        await asyncio.sleep(0.001)
    was_answered = answered()
    await bot.kill()

    state = read_state(db_path)
    outcome = "before" if state == before else "after" if state == after else "BETWEEN"
    record_figure(f"kill -9 during a Discord import of {BULK_ENTRIES} entries: {outcome}")
    assert outcome != "BETWEEN"
    assert consistency_problems(db_path) == []
    # Killed with the transaction open (no answer sent yet), nothing may have been kept.
    if not was_answered:
        assert outcome == "before"

    await start_bot(bot_process, db_path, expect_sync=False)
    found = (await define(fake_discord, "bt01234"))["data"]
    assert bool(found.get("embeds")) == (outcome == "after")
    assert read_state(db_path) == state
