"""Provide the fake Discord and bot process fixtures for end-to-end tests."""

# The shared test API takes explicit timeout arguments, as the other suites call it that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.fake_discord import HANG_GUARD, FakeDiscord
from tests.e2e.harness import BOT_COMMAND, MINIMAL_BOT_COMMAND, BotFactory, BotProcess


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Return the bot's database file for this test."""
    return tmp_path / "glossary.db"


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
        timeout: float = HANG_GUARD,
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


@dataclass(frozen=True)
class SharedBot:
    """One `python -m bot run` process and its fake Discord, shared by a module's tests."""

    fake: FakeDiscord
    process: BotProcess
    db_path: Path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_bot_module(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SharedBot]:
    """Start the real bot once for a module whose tests leave no state the others read."""
    folder = tmp_path_factory.mktemp("shared-bot")
    fake = FakeDiscord()
    await fake.start()
    db_path = folder / "glossary.db"
    env = {"GLOSSARY_DB": str(db_path), "LOG_LEVEL": "INFO"}
    process = await BotProcess.launch(BOT_COMMAND, fake, env=env, log_path=folder / "bot.log")
    try:
        await process.wait_ready(fake, HANG_GUARD, expect_sync=True)
        yield SharedBot(fake, process, db_path)
    finally:
        await process.terminate()
        await fake.stop()


@pytest.fixture
def shared_bot(shared_bot_module: SharedBot) -> Iterator[SharedBot]:
    """Give a test the module's bot with the fake's request log emptied.

    Tests that use it run in the module's event loop: mark the module with
    `pytest.mark.asyncio(loop_scope="module")`.
    """
    shared = shared_bot_module
    if shared.process.returncode is not None:
        status, output = shared.process.returncode, shared.process.output()
        pytest.fail(f"the shared bot exited with {status}:\n{output}")
    shared.fake.requests.clear()
    shared.fake.unknown_requests.clear()
    log_start = len(shared.process.output())
    yield shared
    # pytest shows teardown output only when the test fails: the bot's log during this test.
    print(f"----- shared bot log during this test (exit {shared.process.returncode}) -----")
    print(shared.process.output()[log_start:])
    for r in shared.fake.unknown_requests:
        print(f"unhandled fake Discord route: {r.method} {r.path}")
