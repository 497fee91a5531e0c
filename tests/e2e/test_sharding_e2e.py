"""The bot runs sharded with discord.py's AutoShardedBot, as many shards as Discord asks for."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.harness import BOT_COMMAND, BotFactory


async def test_auto_sharding_asks_discord_and_keeps_the_configured_gateway(
    fake_discord: FakeDiscord, bot_process: BotFactory, tmp_path: Path
) -> None:
    await bot_process(BOT_COMMAND, env={"GLOSSARY_DB": str(tmp_path / "g.db")})
    assert any(r.path == "/gateway/bot" for r in fake_discord.requests)
    [identify] = fake_discord.identify_payloads
    assert identify["shard"] == [0, 1]  # the fake, like Discord for a small bot, asks for one


async def test_a_fixed_shard_count_is_used_as_set(
    fake_discord: FakeDiscord, bot_process: BotFactory, tmp_path: Path
) -> None:
    await bot_process(BOT_COMMAND, env={"GLOSSARY_DB": str(tmp_path / "g.db"), "SHARD_COUNT": "1"})
    assert not any(r.path == "/gateway/bot" for r in fake_discord.requests)
    [identify] = fake_discord.identify_payloads
    assert identify["shard"] == [0, 1]
