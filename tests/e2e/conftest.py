"""Provide the fake Discord and bot process fixtures for end-to-end tests."""

# The shared test API takes explicit timeout arguments, as the other suites call it that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

import pytest

from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.harness import MINIMAL_BOT_COMMAND, BotFactory, BotProcess


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """Start a FakeDiscord for one test."""
    fake = FakeDiscord()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def bot_process(fake_discord: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotFactory]:
    """Launch bot processes against the fake; terminate them and print their logs at teardown."""
    launched: list[BotProcess] = []

    async def factory(
        command: Sequence[str] = MINIMAL_BOT_COMMAND,
        *,
        env: Mapping[str, str] | None = None,
        wait_ready: bool = True,
        expect_sync: bool = False,
        timeout: float = 30,
    ) -> BotProcess:
        log_path = tmp_path / f"bot-{len(launched)}.log"
        process = await BotProcess.launch(command, fake_discord, env=env, log_path=log_path)
        launched.append(process)
        if wait_ready:
            await process.wait_ready(fake_discord, timeout, expect_sync=expect_sync)
        return process

    try:
        yield factory
    finally:
        for process in launched:
            await process.terminate()
            # pytest shows teardown output only when the test fails.
            print(f"----- {' '.join(process.command)} (exit {process.returncode}) -----")
            print(process.output())
        if fake_discord.unknown_requests:
            print("----- unhandled fake Discord routes -----")
            for r in fake_discord.unknown_requests:
                print(f"{r.method} {r.path}")
