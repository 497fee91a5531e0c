"""Run a bot process against a FakeDiscord and manage its lifetime."""

# The shared test API takes explicit timeout arguments, as the other suites call it that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from tests.e2e.fake_discord import HANG_GUARD, FakeDiscord

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MINIMAL_BOT = Path(__file__).resolve().with_name("minimal_bot.py")
MINIMAL_BOT_COMMAND: list[str] = [sys.executable, str(MINIMAL_BOT)]
BOT_COMMAND: list[str] = [sys.executable, "-m", "bot", "run"]


def bot_env(
    fake: FakeDiscord | None = None, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return os.environ without DISCORD_* settings, pointed at `fake`, plus overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env["PYTHONUNBUFFERED"] = "1"
    # The project root must be importable whatever the caller's cwd and PYTHONPATH are.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    if fake is not None:
        env.update(fake.env())
    env.update(overrides or {})
    return env


class BotProcess:
    """A bot subprocess whose stdout and stderr go to one log file."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | str = PROJECT_ROOT,
        log_path: Path | str | None = None,
    ) -> None:
        self.command = list(command)
        self.env = dict(env) if env is not None else bot_env()
        self.cwd = Path(cwd)
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="bot-", suffix=".log")
            os.close(fd)
            log_path = name
        self.log_path = Path(log_path)
        self.started_at: float | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @classmethod
    async def launch(
        cls,
        command: Sequence[str],
        fake: FakeDiscord,
        *,
        env: Mapping[str, str] | None = None,
        log_path: Path | str | None = None,
        cwd: Path | str = PROJECT_ROOT,
    ) -> BotProcess:
        """Start `command` pointed at `fake`, with extra environment `env`."""
        process = cls(command, env=bot_env(fake, env), log_path=log_path, cwd=cwd)
        await process.start()
        return process

    async def start(self) -> None:
        """Start the process."""
        self._log = self.log_path.open("wb")
        self.started_at = time.perf_counter()
        self._proc = await asyncio.create_subprocess_exec(
            *self.command,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        """Return the process id."""
        return self._process.pid

    @property
    def _process(self) -> asyncio.subprocess.Process:
        if self._proc is None:
            raise RuntimeError("process not started")
        return self._proc

    @property
    def returncode(self) -> int | None:
        """Return the exit status, or None while running."""
        return self._process.returncode

    async def wait_ready(
        self, fake: FakeDiscord, timeout: float = HANG_GUARD, *, expect_sync: bool = False
    ) -> None:
        """Wait until the bot has processed READY (and synced commands if expected)."""

        async def ready() -> None:
            if expect_sync:
                await fake.wait_for_command_sync(timeout)
            await fake.wait_until_ready(timeout)

        ready_task = asyncio.ensure_future(ready())
        exit_task = asyncio.ensure_future(self._process.wait())
        try:
            done, _ = await asyncio.wait(
                {ready_task, exit_task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if ready_task in done:
                ready_task.result()
                return
            if exit_task in done:
                raise RuntimeError(
                    f"bot exited with {self.returncode} before ready:\n{self.output()}"
                )
            raise TimeoutError(f"bot not ready within {timeout}s:\n{self.output()}")
        finally:
            for task in (ready_task, exit_task):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def wait(self, timeout: float | None = None) -> int:
        """Wait for the process to exit and return its status."""
        return await asyncio.wait_for(self._process.wait(), timeout)

    async def terminate(self, timeout: float = HANG_GUARD) -> int:
        """Send SIGTERM, wait up to `timeout`, then SIGKILL; return the exit status."""
        proc = self._process
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        self._close_log()
        assert proc.returncode is not None
        return proc.returncode

    async def kill(self) -> int:
        """Send SIGKILL and return the exit status."""
        proc = self._process
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()
        self._close_log()
        assert proc.returncode is not None
        return proc.returncode

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        """Return everything the process has written so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


# Type of the conftest `bot_process` fixture: factory(command, *, env, ...) -> BotProcess.
BotFactory = Callable[..., Awaitable[BotProcess]]
