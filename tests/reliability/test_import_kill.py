"""SIGKILL a 5,000-entry `python -m bot import` at several moments: never a half-imported glossary.

Each kill runs on its own copy of the same seeded database, all at once to keep CI short.
The kill moments are chosen by what the importer has done (read the file, spilled pages of
its open transaction into the -wal file, printed its result), never by timing.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.harness import PROJECT_ROOT, bot_env
from tests.reliability.conftest import CLI_COMMAND, bulk_document, run_cli

# Enough entries that the open transaction spills well past DEEP_IN_WAL into the -wal file.
BULK_ENTRIES = 2000
DEEP_IN_WAL = 1024 * 1024
# Hang guard only: every kill waits for what the importer has done, never for a time.
HANG_GUARD = 600
Trigger = Callable[[Path, asyncio.subprocess.Process], Awaitable[None]]


@dataclass(frozen=True)
class GlossaryState:
    """Everything an import changes, without timestamps (they differ between runs)."""

    entries: tuple[tuple[str, str, int, bool], ...]  # key, content, version, deleted
    names: tuple[tuple[str, str], ...]  # norm, entry key
    revisions: tuple[tuple[str, int, str], ...]  # entry key, version, action
    searchable: tuple[str, ...]  # keys in the full-text index


def read_state(db: Path) -> GlossaryState:
    """Read the glossary state with a plain sqlite3 connection (as recovery would see it)."""
    conn = sqlite3.connect(db)
    try:
        return GlossaryState(
            entries=tuple(
                conn.execute(
                    "SELECT key, content_json, version, deleted_at IS NOT NULL FROM entries "
                    "ORDER BY key"
                )
            ),
            names=tuple(conn.execute("SELECT norm, entry_key FROM names ORDER BY norm")),
            revisions=tuple(
                conn.execute(
                    "SELECT entry_key, version, action FROM revisions ORDER BY entry_key, version"
                )
            ),
            searchable=tuple(
                row[0] for row in conn.execute("SELECT key FROM entry_fts ORDER BY 1")
            ),
        )
    finally:
        conn.close()


def consistency_problems(db: Path) -> list[str]:
    """Return every way the file breaks SQLite integrity or the history invariants."""
    conn = sqlite3.connect(db)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
        # Every change writes exactly one revision: versions run 1..version with no gap.
        problems += [
            f"{key}: version {version} but revisions {count} (max {top})"
            for key, version, count, top in conn.execute(
                "SELECT e.key, e.version, COUNT(r.id), MAX(r.version) FROM entries e "
                "LEFT JOIN revisions r ON r.entry_key = e.key GROUP BY e.key"
            )
            if not version == count == top
        ]
        live = {row[0] for row in conn.execute("SELECT key FROM entries WHERE deleted_at IS NULL")}
        indexed = [row[0] for row in conn.execute("SELECT key FROM entry_fts")]
        if sorted(indexed) != sorted(live):
            problems.append("the search index does not list exactly the live entries")
        named = {row[0] for row in conn.execute("SELECT DISTINCT entry_key FROM names")}
        if named != live:
            problems.append("names do not belong to exactly the live entries")
        return problems
    finally:
        conn.close()


def wal_size(db: Path) -> int:
    """Return the size of the database's write-ahead log, 0 when there is none."""
    try:
        return db.with_name(db.name + "-wal").stat().st_size
    except FileNotFoundError:
        return 0


def wal_beyond(limit: int) -> Trigger:
    """Fire once the importer's open transaction has spilled `limit` bytes into the WAL."""

    async def trigger(db: Path, proc: asyncio.subprocess.Process) -> None:
        while wal_size(db) <= limit:
            if proc.returncode is not None:
                raise AssertionError(f"import finished before its WAL reached {limit} bytes")
            await asyncio.sleep(0.002)

    return trigger


async def while_reading(db: Path, proc: asyncio.subprocess.Process) -> None:
    """Fire while the importer is still starting up and parsing the YAML."""
    await asyncio.sleep(0.4)


async def once_reported(db: Path, proc: asyncio.subprocess.Process) -> None:
    """Fire as soon as the importer prints its result: committed, maybe not checkpointed."""
    assert proc.stdout is not None
    # The report line lists 5,000 keys: read raw chunks, not lines.
    seen = b""
    while chunk := await proc.stdout.read(65536):
        seen = seen[-32:] + chunk
        if b"were added" in seen:
            return
    raise AssertionError("import exited without reporting")


TRIGGERS: dict[str, Trigger] = {
    "while reading the file": while_reading,
    "first pages in the WAL": wal_beyond(64 * 1024),
    "deep in the transaction": wal_beyond(DEEP_IN_WAL),
    "right after the commit": once_reported,
}


async def start_import(db: Path, document: Path) -> asyncio.subprocess.Process:
    """Start `python -m bot import DOCUMENT` on `db`."""
    return await asyncio.create_subprocess_exec(
        *CLI_COMMAND,
        "import",
        str(document),
        "--yes",
        cwd=PROJECT_ROOT,
        env=bot_env(overrides={"GLOSSARY_DB": str(db)}),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def kill_import(base: Path, document: Path, name: str, trigger: Trigger) -> tuple[Path, int]:
    """Copy `base`, import into the copy, SIGKILL the importer when `trigger` fires."""
    db = base.with_name(name.replace(" ", "-") + ".db")
    shutil.copy(base, db)
    proc = await start_import(db, document)
    try:
        await asyncio.wait_for(trigger(db, proc), HANG_GUARD)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
    assert proc.returncode is not None
    return db, proc.returncode


async def test_sigkill_during_a_bulk_import_leaves_before_or_after(tmp_path: Path) -> None:
    base = tmp_path / "base.db"
    # `import` creates and seeds a new database; the shipped file then changes nothing.
    assert run_cli(base, "import", "data/glossary.yaml").returncode == 0
    document = tmp_path / "bulk.yaml"
    document.write_text(bulk_document(BULK_ENTRIES), encoding="utf-8")
    before = read_state(base)

    complete = tmp_path / "complete.db"
    shutil.copy(base, complete)

    async def import_fully() -> int:
        proc = await start_import(complete, document)
        await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode

    full_run, *killed = await asyncio.gather(
        import_fully(),
        *(kill_import(base, document, name, trigger) for name, trigger in TRIGGERS.items()),
    )
    assert full_run == 0
    after = read_state(complete)
    assert len([e for e in after.entries if not e[3]]) == len(before.entries) - 2 + BULK_ENTRIES
    assert consistency_problems(complete) == []

    outcomes: dict[str, str] = {}
    for name, (db, returncode) in zip(TRIGGERS, killed, strict=True):
        state = read_state(db)
        outcomes[name] = "before" if state == before else "after" if state == after else "BETWEEN"
        assert consistency_problems(db) == [], name
        if name != "right after the commit":  # that one may win the race and exit by itself
            assert returncode == -signal.SIGKILL, f"{name}: the importer was not killed"
    print(f"kill -9 outcomes: {outcomes}")
    assert "BETWEEN" not in outcomes.values(), outcomes
    # Killed with its transaction open, the import must have left nothing behind.
    assert outcomes["first pages in the WAL"] == outcomes["deep in the transaction"] == "before"
    # Once it says it imported, the import is durable even if killed before closing.
    assert outcomes["right after the commit"] == "after"

    # The next process opening the file recovers the committed WAL and sees the new entries.
    found = run_cli(base.with_name("right-after-the-commit.db"), "define", "--json", "bt01234")
    assert '"key": "bulk-term-01234"' in found.stdout
