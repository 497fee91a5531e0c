"""The bot's database file changed under it: a deleted or replaced file never takes a save."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.harness import BotFactory
from tests.e2e.test_admin_e2e import db_rows, slash, start_bot


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_save_after_the_file_was_swapped_is_refused_and_logged(
    fake_discord: FakeDiscord, bot_process: BotFactory, tmp_path: Path, how: str
) -> None:
    db_path = tmp_path / "glossary.db"
    bot = await start_bot(bot_process, db_path)
    if how == "deleted":
        db_path.unlink()
    else:
        # An operator "restoring" by copying another file over the live one while it runs.
        copy = tmp_path / "copy.db"
        shutil.copy(db_path, copy)
        os.replace(copy, db_path)
    _, answer = await slash(
        fake_discord, "glossary-admin alias add", {"term": "kaggle", "alias": "kagglebook"}
    )
    content = answer["data"]["content"]
    assert "was deleted or replaced while the bot runs, so this change was not saved" in content
    assert "can now also be found" not in content
    assert "deleted or replaced while the bot runs; refusing writes" in bot.output()
    assert "Traceback" not in bot.output()
    if how == "replaced":
        names = db_rows(db_path, "SELECT norm FROM names WHERE entry_key = 'kaggle'")
        assert ("kagglebook",) not in names
