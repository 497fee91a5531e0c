"""A busy, refusing or half-failing database never costs a lookup, an answer or consistency.

Faults are real: another process's SQLite write lock, the kernel refusing file writes to the
bot process (RLIMIT_FSIZE, as a full disk or read-only volume would; root ignores chmod), and
a SQLite trigger that aborts one particular write.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.e2e.fake_discord import (
    HANG_GUARD,
    MODERATOR_USER_ID,
    OWNER_USER_ID,
    FakeDiscord,
    RecordedRequest,
)
from tests.e2e.harness import PROJECT_ROOT, BotFactory, bot_env
from tests.e2e.payloads import embeds_text
from tests.reliability.conftest import (
    CLI_COMMAND,
    autocomplete,
    bulk_document,
    define,
    query,
    record_figure,
    reply_to,
    run_cli,
    start_bot,
    wait_until,
)
from tests.reliability.test_import_kill import BULK_ENTRIES

LOCK_SECONDS = 2.0
# Where a test waits for the bot to save lookup counts or notice an outside change.
QUICK_REFRESH = "0.5"
DEFERRED_CHANNEL_MESSAGE = 5  # interaction callback type: "thinking", answer follows
REFUSED = "nothing was saved"


@contextmanager
def write_lock(db: Path) -> Iterator[sqlite3.Connection]:
    """Hold SQLite's write lock on `db` from another connection, as a second process would."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("ROLLBACK")
    finally:
        conn.close()


@contextmanager
def writes_refused(pid: int) -> Iterator[None]:
    """Make the kernel refuse every file write of process `pid` (EFBIG) inside the block."""
    soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    # Python ignores SIGXFSZ, so the bot sees a failed write(), not a signal.
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, hard))
    try:
        yield
    finally:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))


async def as_moderator(fake: FakeDiscord, path: str, **options: Any) -> str:
    """Run a /glossary-admin (or /autoreply) subcommand as the moderator; return the answer."""
    name = path if path.startswith("autoreply") else f"glossary-admin {path}"
    interaction = fake.slash_interaction(name, options or None, user_id=MODERATOR_USER_ID)
    data = (await fake.invoke(interaction, timeout=30)).json.get("data") or {}
    return f"{data.get('content') or ''}\n{embeds_text(data)}"


async def answer_content(
    fake: FakeDiscord, interaction: dict[str, Any], callback: RecordedRequest | None = None
) -> str:
    """Return what the member finally sees: the callback, or the follow-up after a deferral."""
    callback = callback or await fake.wait_for_callback(interaction["id"], 30)
    if callback.json["type"] != DEFERRED_CHANNEL_MESSAGE:
        return callback.json["data"]["content"]
    token = interaction["token"]
    follow_up = await fake.wait_for_request(
        lambda r: r.method in ("POST", "PATCH") and "/webhooks/" in r.path and token in r.path,
        30,
    )
    return follow_up.json["content"]


def bot_said(fake: FakeDiscord, text: str) -> bool:
    """Return whether any request the bot made contains `text`."""
    return any(text in json.dumps(r.json) for r in fake.requests if r.json is not None)


async def test_a_locked_database_delays_writes_but_never_lookups(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path, REFRESH_SECONDS=QUICK_REFRESH)
    with write_lock(db_path):
        locked_at = time.perf_counter()
        # A moderator write has to wait for the lock; it is dispatched first and answered last.
        write = await fake_discord.dispatch_interaction(
            fake_discord.slash_interaction(
                "autoreply cooldown",
                {"seconds": 99, "member_seconds": 9},
                user_id=MODERATOR_USER_ID,
            )
        )
        for term in ("kaggle", "hags", "gpu"):
            assert (await define(fake_discord, term))["data"]["embeds"], term
        assert (await autocomplete(fake_discord, "cud"))[0]["value"] == "cuda"
        question = await fake_discord.dispatch_message("what is colab?", author=OWNER_USER_ID)
        assert (await reply_to(fake_discord, question)).json["embeds"][0]["title"] == (
            "Google Colab"
        )
        answered_while_locked = time.perf_counter() - locked_at
        await asyncio.sleep(max(0.0, LOCK_SECONDS - answered_while_locked))
    record_figure(f"locked database: lookups answered within {answered_while_locked:.2f}s")

    saved = await answer_content(fake_discord, write)
    assert "Cooldowns: 99s per term and channel, 9s per member" in saved
    stored = dict(query(db_path, "SELECT name, value_json FROM guild_settings"))
    assert stored["autoreply_cooldown"] == "99"
    # The lookups made during the lock are counted by the periodic flush, bot still running.
    await wait_until(
        lambda: query(db_path, "SELECT SUM(count) FROM usage") == [(3,)],
        timeout=30,
        what="the periodic flush of lookup counts",
    )
    assert not bot_said(fake_discord, "locked")
    assert "database is locked" not in process.output()


async def test_a_write_held_past_discords_deadline_is_deferred_then_answered(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    with write_lock(db_path):
        interaction = await fake_discord.dispatch_interaction(
            fake_discord.slash_interaction(
                "glossary-admin alias add",
                {"term": "kaggle", "alias": "kaggle notebooks platform"},
                user_id=MODERATOR_USER_ID,
            )
        )
        dispatched = time.perf_counter()
        # The first answer is "thinking" while the write still waits for the lock: the bot does
        # not hold the interaction until the write lands. (Its speed: benchmarks/bench_burst.py.)
        callback = await fake_discord.wait_for_callback(interaction["id"], 60)
        assert callback.json["type"] == DEFERRED_CHANNEL_MESSAGE
        assert callback.json["data"]["flags"] & 64
        await asyncio.sleep(4.0 - (time.perf_counter() - dispatched))
    answer = await answer_content(fake_discord, interaction, callback)
    assert "kaggle notebooks platform" in answer
    assert (await define(fake_discord, "kaggle notebooks platform"))["data"]["embeds"][0][
        "title"
    ] == "Kaggle"


async def test_cli_import_and_backup_while_the_bot_answers(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path, tmp_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    document = tmp_path / "bulk.yaml"
    document.write_text(bulk_document(BULK_ENTRIES), encoding="utf-8")
    env = bot_env(overrides={"GLOSSARY_DB": str(db_path)})
    importer = await asyncio.create_subprocess_exec(
        *CLI_COMMAND, "import", str(document), "--yes", cwd=PROJECT_ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    backups = [tmp_path / f"backup-{n}.db" for n in range(3)]
    answered = 0
    slowest = 0.0
    while importer.returncode is None or answered < 10:
        started = time.perf_counter()
        assert (await define(fake_discord, "kaggle"))["data"]["embeds"][0]["title"] == "Kaggle"
        assert await autocomplete(fake_discord, "gp")
        slowest = max(slowest, time.perf_counter() - started)
        answered += 1
        if answered <= len(backups):
            # A backup taken in the middle of the import is a consistent copy.
            assert run_cli(db_path, "backup", str(backups[answered - 1])).returncode == 0
        with_exit = asyncio.ensure_future(importer.wait())
        await asyncio.wait({with_exit}, timeout=0.05)
        with_exit.cancel()
    _, stderr = await importer.communicate()
    assert importer.returncode == 0, stderr.decode()
    record_figure(
        f"CLI import of {BULK_ENTRIES:,} entries while the bot runs: {answered} "
        f"/define+autocomplete pairs answered, slowest pair {slowest:.2f}s"
    )
    for backup in backups:
        conn = sqlite3.connect(backup)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            live = conn.execute("SELECT COUNT(*) FROM entries WHERE deleted_at IS NULL").fetchone()
        finally:
            conn.close()
        # Before or after the import, nothing between.
        assert live[0] in (26, 26 - 2 + BULK_ENTRIES)
    # The bot writes normally once the import is done.
    assert "**off**" in await as_moderator(fake_discord, "autoreply mode", mode="off")


async def test_a_refused_write_gets_a_clear_answer_and_lookups_go_on(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    with writes_refused(process.pid):
        for path, options in [
            ("autoreply mode", {"mode": "off"}),
            ("alias add", {"term": "kaggle", "alias": "zq refused alias"}),
        ]:
            answer = await as_moderator(fake_discord, path, **options)
            assert REFUSED in answer, (path, answer)
            assert "disk I/O" not in answer and "locked" not in answer
        for term in ("kaggle", "cuda"):
            assert (await define(fake_discord, term))["data"]["embeds"], term
        assert (await autocomplete(fake_discord, "colab"))[0]["value"] == "google-colab"
        question = await fake_discord.dispatch_message("what is hags?", author=OWNER_USER_ID)
        assert (await reply_to(fake_discord, question)).json["embeds"][0]["title"] == "HAGS"

    # Nothing half-written, and once the disk accepts writes again everything works.
    assert query(db_path, "PRAGMA integrity_check") == [("ok",)]
    assert query(db_path, "SELECT * FROM guild_settings") == []
    assert query(db_path, "SELECT COUNT(*) FROM revisions WHERE action = 'alias'") == [(0,)]
    assert "zq refused alias" not in embeds_text((await define(fake_discord, "kaggle"))["data"])
    assert "**off**" in await as_moderator(fake_discord, "autoreply mode", mode="off")
    assert await process.terminate() == 0
    # The lookups made while writes failed were kept in memory and written at shutdown.
    assert query(db_path, "SELECT SUM(count) FROM usage") == [(3,)]


async def test_a_settings_change_is_saved_whole_or_not_at_all(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    first = await start_bot(bot_process, db_path)
    trigger = (
        "CREATE TRIGGER refuse_{when} BEFORE {when} ON guild_settings "
        "WHEN NEW.name = 'autoreply_user_cooldown' "
        "BEGIN SELECT RAISE(ABORT, 'write refused by the reliability test'); END"
    )
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    try:
        for when in ("INSERT", "UPDATE"):
            conn.execute(trigger.format(when=when))
        # One command changes two settings; the second write fails.
        answer = await as_moderator(
            fake_discord, "autoreply cooldown", seconds=1234, member_seconds=77
        )
        assert REFUSED in answer
        for when in ("INSERT", "UPDATE"):
            conn.execute(f"DROP TRIGGER refuse_{when}")
    finally:
        conn.close()

    shown = await as_moderator(fake_discord, "autoreply show")
    assert "600s per term and channel" in shown and "60s per member" in shown
    assert await first.terminate() == 0
    await start_bot(bot_process, db_path, expect_sync=False)
    shown = await as_moderator(fake_discord, "autoreply show")
    # What the moderator was told failed must not half-apply after a restart.
    assert "600s per term and channel" in shown and "60s per member" in shown, shown


async def test_a_cli_import_reaches_the_running_bot_without_a_restart(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path, tmp_path: Path
) -> None:
    await start_bot(bot_process, db_path, REFRESH_SECONDS=QUICK_REFRESH)
    exported = run_cli(db_path, "export")
    assert exported.returncode == 0, exported.stderr
    document = exported.stdout + (
        "  - key: rvc\n    term: RVC\n    aliases:\n      - retrieval-based voice conversion\n"
        "    summary: Retrieval-based Voice Conversion, the voice model this server is about.\n"
        "    category: general\n    related: []\n    body: []\n"
    )
    path = tmp_path / "with-rvc.yaml"
    path.write_text(document, encoding="utf-8")
    assert (await define(fake_discord, "rvc"))["data"].get("embeds") is None

    imported = run_cli(db_path, "import", str(path))
    assert imported.returncode == 0, imported.stderr
    assert "1 was added: rvc" in imported.stdout

    deadline = time.perf_counter() + HANG_GUARD  # a hang guard: the bot polls data_version
    while True:
        data = (await define(fake_discord, "retrieval-based voice conversion"))["data"]
        if data.get("embeds"):
            break
        assert time.perf_counter() < deadline, "the bot never picked up the CLI import"
        await asyncio.sleep(0.5)
    assert data["embeds"][0]["title"] == "RVC"
