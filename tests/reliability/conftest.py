"""Fixtures and helpers shared by the reliability tests (faults, load, hostile input)."""

# The shared test API takes explicit timeout arguments, as the other suites call it that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

# The end-to-end fixtures: a FakeDiscord per test, a factory of real bot processes, and one
# bot shared by a module's tests.
from tests.e2e.conftest import bot_process, fake_discord, shared_bot, shared_bot_module
from tests.e2e.fake_discord import HANG_GUARD, FakeDiscord, RecordedRequest
from tests.e2e.harness import BOT_COMMAND, PROJECT_ROOT, BotFactory, BotProcess, bot_env

__all__ = ["bot_process", "fake_discord", "shared_bot", "shared_bot_module"]

CHANNEL_MESSAGE = 4  # interaction callback types
AUTOCOMPLETE_RESULT = 8
CLI_COMMAND: list[str] = [sys.executable, "-m", "bot"]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Return the bot's database file for this test."""
    return tmp_path / "glossary.db"


async def start_bot(
    bot_process: BotFactory, db_path: Path, *, expect_sync: bool = True, **env: str
) -> BotProcess:
    """Start `python -m bot run` on a real SQLite file and wait until it is connected."""
    return await bot_process(
        BOT_COMMAND,
        env={"GLOSSARY_DB": str(db_path), "LOG_LEVEL": "INFO", **env},
        expect_sync=expect_sync,
    )


def run_cli(
    db_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` on `db_path` to completion and return the result."""
    return subprocess.run(
        [*CLI_COMMAND, *args],
        cwd=PROJECT_ROOT,
        env=bot_env(overrides={"GLOSSARY_DB": str(db_path)}),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def define(fake: FakeDiscord, term: str, **options: Any) -> dict[str, Any]:
    """Run /define and return the callback body."""
    callback = await fake.invoke(fake.slash_interaction("define", {"term": term, **options}))
    return dict(callback.json)


async def autocomplete(fake: FakeDiscord, typed: str) -> list[dict[str, Any]]:
    """Type into /define's term option and return the offered choices."""
    interaction = fake.autocomplete_interaction("define", {"term": typed}, "term")
    callback = await fake.invoke(interaction)
    assert callback.json["type"] == AUTOCOMPLETE_RESULT
    return list(callback.json["data"]["choices"])


def callbacks_of(fake: FakeDiscord, interaction_id: int | str) -> list[RecordedRequest]:
    """Return every callback request the bot made for one interaction, failed ones included."""
    prefix = f"/interactions/{interaction_id}/"
    return [
        r
        for r in fake.requests
        if r.method == "POST" and r.path.startswith(prefix) and r.path.endswith("/callback")
    ]


def is_reply_post(r: RecordedRequest) -> bool:
    """Return whether a request posted a reply (a message with a reference) in a channel."""
    return (
        r.method == "POST"
        and r.path.startswith("/channels/")
        and r.path.endswith("/messages")
        and isinstance(r.json, dict)
        and "message_reference" in r.json
    )


def replies_to(fake: FakeDiscord, message: dict[str, Any]) -> list[RecordedRequest]:
    """Return every reply post (failed ones included) to one chat message."""
    return [
        r
        for r in fake.requests
        if is_reply_post(r) and str(r.json["message_reference"]["message_id"]) == message["id"]
    ]


async def reply_to(
    fake: FakeDiscord, message: dict[str, Any], timeout: float = HANG_GUARD
) -> RecordedRequest:
    """Wait for the bot's successful reply to one chat message."""

    def matches(r: RecordedRequest) -> bool:
        return (
            r.ok
            and is_reply_post(r)
            and str(r.json["message_reference"]["message_id"]) == message["id"]
        )

    return await fake.wait_for_request(matches, timeout, consume=False)


async def wait_until(
    condition: Callable[[], bool], timeout: float = HANG_GUARD, what: str = "condition"
) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(0.05)


def query(db_path: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one read query on the database with a fresh sqlite3 connection."""
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return list(conn.execute(sql, params).fetchall())
    finally:
        conn.close()


def rss_kib(pid: int) -> int:
    """Return a process's resident set size in KiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def figures_path() -> Path | None:
    """Return where tests append measured figures (RELIABILITY_FIGURES), if anywhere."""
    value = os.environ.get("RELIABILITY_FIGURES")
    return Path(value) if value else None


def record_figure(line: str) -> None:
    """Print a measured figure and append it to RELIABILITY_FIGURES when that is set."""
    print(line)
    path = figures_path()
    if path is not None:
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def bulk_document(count: int, *, changed: int = 5, removed: int = 2) -> str:
    """Return the shipped glossary minus `removed` entries, `changed` edited, plus `count` new."""
    from dataclasses import replace

    from bot.glossary import yamlio
    from bot.glossary.models import Bullet, Bullets, Entry, Paragraph

    seed = sorted(yamlio.load_seed(), key=lambda entry: entry.key)
    gone = {entry.key for entry in seed[:removed]}
    kept: list[Entry] = []
    for index, entry in enumerate(seed[removed:]):
        # Related keys may point at a removed entry; drop them so the document stays valid.
        entry = replace(entry, related=tuple(k for k in entry.related if k not in gone))
        if index < changed:
            entry = replace(entry, summary=f"{entry.summary[:150]} (edited by a bulk import)")
        kept.append(entry)
    bulk = [
        Entry(
            key=f"bulk-term-{number:05d}",
            term=f"Bulk term {number:05d}",
            summary=f"Generated entry number {number}, written by the reliability tests.",
            aliases=(f"bt{number:05d}",),
            body=(
                Paragraph(f"Paragraph {number}: " + "a few words of filler text"),
                Bullets((Bullet(f"Point {number}", examples=(f"G_{number}.pth",)),)),
            ),
        )
        for number in range(count)
    ]
    return yamlio.dump_document([*kept, *bulk])
