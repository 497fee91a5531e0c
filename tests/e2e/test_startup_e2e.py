"""Start-up failures end with one clear message and a non-zero exit, never a traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

from tests.e2e.fake_discord import INTENT_MESSAGE_CONTENT, PRIVILEGED_INTENTS, FakeDiscord
from tests.e2e.harness import BOT_COMMAND, BotProcess, bot_env


async def run_until_exit(fake: FakeDiscord, env: dict[str, str], tmp_path: Path) -> BotProcess:
    """Run the bot until it exits by itself (or fail after 30 s)."""
    process = await BotProcess.launch(
        BOT_COMMAND,
        fake,
        env={"GLOSSARY_DB": str(tmp_path / "g.db"), **env},
        log_path=tmp_path / "bot.log",
    )
    try:
        await asyncio.wait_for(process.wait(), 30)
    finally:
        await process.terminate()
    return process


async def test_rejected_token(tmp_path: Path) -> None:
    async with FakeDiscord(token="the-real-token") as fake:
        process = await run_until_exit(fake, {"DISCORD_TOKEN": "a-wrong-token"}, tmp_path)
    output = process.output()
    assert process.returncode == 4
    assert "Discord rejected DISCORD_TOKEN" in output
    assert "Traceback" not in output
    assert "a-wrong-token" not in output


async def test_message_content_intent_not_enabled(tmp_path: Path) -> None:
    allowed = PRIVILEGED_INTENTS & ~INTENT_MESSAGE_CONTENT
    async with FakeDiscord(allowed_privileged_intents=allowed) as fake:
        process = await run_until_exit(fake, {}, tmp_path)
    output = process.output()
    assert process.returncode == 4
    assert "Message Content intent is not enabled" in output
    assert "MESSAGE_CONTENT_INTENT=false" in output
    assert "Traceback" not in output


async def test_runs_without_message_content_when_told(tmp_path: Path) -> None:
    allowed = PRIVILEGED_INTENTS & ~INTENT_MESSAGE_CONTENT
    async with FakeDiscord(allowed_privileged_intents=allowed) as fake:
        process = await BotProcess.launch(
            BOT_COMMAND,
            fake,
            env={"GLOSSARY_DB": str(tmp_path / "g.db"), "MESSAGE_CONTENT_INTENT": "false"},
            log_path=tmp_path / "bot.log",
        )
        try:
            await process.wait_ready(fake, 30, expect_sync=True)
            callback = await fake.invoke(fake.slash_interaction("define", {"term": "kaggle"}))
            assert callback.json["data"]["embeds"][0]["title"] == "Kaggle"
            assert not fake.intents & INTENT_MESSAGE_CONTENT
        finally:
            await process.terminate()
    assert process.returncode == 0


async def test_unreachable_discord(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        port = fake.port
    env = {
        "DISCORD_TOKEN": "fake-token",
        "DISCORD_API_BASE_URL": f"http://127.0.0.1:{port}/api/v10",
        "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
        "GLOSSARY_DB": str(tmp_path / "g.db"),
    }
    process = BotProcess(BOT_COMMAND, env=bot_env(None, env), log_path=tmp_path / "bot.log")
    await process.start()
    try:
        await asyncio.wait_for(process.wait(), 30)
    finally:
        await process.terminate()
    assert process.returncode == 1
    assert "Cannot reach Discord" in process.output()
    assert "Traceback" not in process.output()


async def test_sigint_shuts_down_cleanly(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        process = await BotProcess.launch(
            BOT_COMMAND,
            fake,
            env={"GLOSSARY_DB": str(tmp_path / "g.db")},
            log_path=tmp_path / "bot.log",
        )
        await process.wait_ready(fake, 30, expect_sync=True)
        assert process.pid is not None
        os.kill(process.pid, signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0
    assert "Shutting down" in process.output()
    assert "Traceback" not in process.output()


async def test_failed_command_sync_is_retried_on_next_start(tmp_path: Path) -> None:
    env = {"GLOSSARY_DB": str(tmp_path / "g.db")}
    async with FakeDiscord() as fake:
        # A 4xx is not retried by discord.py, so the failure reaches the bot at once.
        fake.fail_next("PUT", r"/commands$", 400)
        process = await BotProcess.launch(BOT_COMMAND, fake, env=env, log_path=tmp_path / "a.log")
        try:
            await process.wait_ready(fake, 30)
            callback = await fake.invoke(fake.slash_interaction("define", {"term": "kaggle"}))
            assert callback.json["data"]["embeds"][0]["title"] == "Kaggle"
        finally:
            await process.terminate()
        assert "Could not sync application commands" in process.output()
        assert "Traceback" not in process.output()

        again = await BotProcess.launch(BOT_COMMAND, fake, env=env, log_path=tmp_path / "b.log")
        try:
            await again.wait_ready(fake, 30, expect_sync=True)
        finally:
            await again.terminate()
        assert "Synced" in again.output()


def closed_port() -> int:
    """Return a loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for_output(process: BotProcess, text: str, count: int = 1) -> None:
    """Wait until the bot's log holds `text` `count` times (30 s hang guard)."""

    async def seen() -> None:
        while process.output().count(text) < count:
            assert process.returncode is None, process.output()
            await asyncio.sleep(0.05)

    await asyncio.wait_for(seen(), 30)


async def test_an_unreachable_gateway_is_retried_in_one_line_each_time(tmp_path: Path) -> None:
    gateway = f"ws://127.0.0.1:{closed_port()}/gateway"
    async with FakeDiscord() as fake:
        process = await BotProcess.launch(
            BOT_COMMAND,
            fake,
            env={"GLOSSARY_DB": str(tmp_path / "g.db"), "DISCORD_GATEWAY_URL": gateway},
            log_path=tmp_path / "bot.log",
        )
        try:
            line = f"Cannot reach the Discord gateway at {gateway}: connection refused; retrying"
            await wait_for_output(process, line, count=2)
            os.kill(process.pid, signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        finally:
            await process.terminate()
    output = process.output()
    assert process.returncode == 0
    assert "Traceback" not in output
    assert "sequence" not in output


async def test_a_gateway_url_that_is_not_a_gateway_stops_the_bot(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        # The REST server at a websocket URL: what a proxy that only passes REST looks like.
        gateway = f"ws://127.0.0.1:{fake.port}/api/v10/not-a-gateway"
        process = await run_until_exit(fake, {"DISCORD_GATEWAY_URL": gateway}, tmp_path)
    output = process.output()
    assert process.returncode == 4
    assert f"Cannot use the Discord gateway at {gateway}: it answered HTTP 401" in output
    assert "Traceback" not in output


async def test_a_file_that_is_not_the_bots_database_stops_the_bot(tmp_path: Path) -> None:
    (tmp_path / "g.db").touch()
    async with FakeDiscord() as fake:
        process = await run_until_exit(fake, {}, tmp_path)
    output = process.output()
    assert process.returncode == 5
    assert "Cannot start: database" in output
    assert "is an empty file, not a glossary database" in output
    assert "Traceback" not in output
    assert (tmp_path / "g.db").stat().st_size == 0


async def test_a_new_database_is_logged_with_its_place(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        process = await BotProcess.launch(
            BOT_COMMAND,
            fake,
            env={"GLOSSARY_DB": str(tmp_path / "g.db")},
            log_path=tmp_path / "a.log",
        )
        try:
            await process.wait_ready(fake, 30, expect_sync=True)
        finally:
            await process.terminate()
    assert f"Created a new glossary database at {tmp_path / 'g.db'}" in process.output()
