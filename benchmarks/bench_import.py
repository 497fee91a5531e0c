"""Measure imports, edits and responsiveness at glossary sizes from 1,000 to 50,000 entries.

Run: .venv/bin/python benchmarks/bench_import.py [--part NAME ...] [--sizes 2000,20000,50000]
Parts: import (entries/s and the bare executemany floor), cli (a 64 MB file through
`python -m bot import`), edit (the cost of each kind of moderator edit and the longest
event-loop stall meanwhile), rss (memory at 50,000 entries), loop (the longest event-loop stall
and member latency during a 20,000-entry import), export (the canonical YAML writer against
PyYAML's emitter, which writes the same bytes). Everything runs on real SQLite files in a
temporary folder; compare ratios within one run, not across machines.

--stall-trace FILE writes every thread's stack to FILE whenever the event loop stalls for
longer than 80 ms (faulthandler's watchdog needs no GIL, so it sees who holds it).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import faulthandler
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_import_data import document, fast_dump, synthetic_glossary, word
from bot.glossary import codec
from bot.glossary.models import Entry
from bot.glossary.yamlio import (
    HEADER,
    MAX_CLI_DOCUMENT_BYTES,
    dump_document,
    load_document,
    pyyaml_text,
)
from bot.services.glossary import CLI_ACTOR, GlossaryService
from bot.storage.repository import Repository, _ImportRows

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def glossary_path(workdir: Path, count: int) -> Path:
    """Return where the database with `count` synthetic entries lives (or will)."""
    return workdir / f"glossary-{count}.db"


async def open_service(path: Path) -> GlossaryService:
    """Open a service on a new, empty database file (no seed)."""
    service = GlossaryService(await Repository.open(path))
    await service.refresh()
    return service


@dataclasses.dataclass
class ImportTimes:
    """Seconds per stage of one import through the service."""

    count: int
    plan: float  # parse + validate (worker thread) + compare with the store
    write: float  # the one transaction
    index: float  # reload the entry map and rebuild the matcher and detector

    @property
    def total(self) -> float:
        """Return the whole import's time."""
        return self.plan + self.write + self.index


async def timed_import(path: Path, raw: bytes, count: int) -> ImportTimes:
    """Import `raw` into a new database through the service, stage by stage."""
    service = await open_service(path)
    try:
        start = time.perf_counter()
        plan = await service.plan_import(raw, max_bytes=MAX_CLI_DOCUMENT_BYTES)
        planned = time.perf_counter()
        await service.repo.apply_import(plan, author_id=None, author_name="bench")
        written = time.perf_counter()
        await service.refresh()
        indexed = time.perf_counter()
    finally:
        await service.close()
    return ImportTimes(count, planned - start, written - planned, indexed - written)


async def floor(path: Path, raw: bytes) -> float:
    """Return the seconds a bare executemany of the same rows takes in one transaction."""
    repo = await Repository.open(path)
    plan = await repo.plan_import(_entries(raw))
    await repo.close()
    rows = _ImportRows.build(plan, [], "2026-01-01T00:00:00+00:00", None, "bench")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO entries (key, term, content_json, category, autoreply, version, "
            "created_at, updated_at, updated_by, updated_by_name, fts_rowid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows.inserts,
        )
        conn.executemany(
            "INSERT INTO entry_fts (rowid, key, term, aliases, summary, body) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows.fts_rows,
        )
        conn.executemany(
            "INSERT INTO revisions (entry_key, version, action, snapshot_json, author_id, "
            "author_name, created_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows.revisions,
        )
        conn.executemany("INSERT INTO names VALUES (?, ?, ?, ?)", rows.names)
        conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def _entries(raw: bytes) -> list[Entry]:
    """Return the entries of a benchmark document."""
    return load_document(raw, max_bytes=MAX_CLI_DOCUMENT_BYTES)


async def part_import(workdir: Path, sizes: list[int]) -> None:
    """Print import throughput per size, its per-entry ratio to the smallest, and the floor."""
    print("\n## Import through the service (new database, one transaction)")
    print(
        f"{'entries':>8} {'plan s':>7} {'write s':>8} {'index s':>8} {'total s':>8} "
        f"{'entries/s':>10} {'per-entry vs first':>19} {'floor s':>8} {'write/floor':>12}"
    )
    base: float | None = None
    for count in sizes:
        raw = document(count)
        times = await timed_import(glossary_path(workdir, count), raw, count)
        floor_s = await floor(workdir / f"floor-{count}.db", raw)
        per_entry = times.total / count
        base = base or per_entry
        print(
            f"{count:>8,} {times.plan:>7.2f} {times.write:>8.2f} {times.index:>8.2f} "
            f"{times.total:>8.2f} {count / times.total:>10,.0f} {per_entry / base:>18.2f}x "
            f"{floor_s:>8.2f} {times.write / floor_s:>11.1f}x"
        )


def part_cli(workdir: Path) -> None:
    """Import a file of nearly 64 MB with the CLI, as an operator would."""
    print("\n## CLI import of a big file (`python -m bot import FILE --yes`, stderr not a TTY)")
    count, body_words = 50_000, 120
    raw = document(count, body_words=body_words)
    path = workdir / "big.yaml"
    path.write_bytes(raw)
    env = {key: value for key, value in os.environ.items() if not key.startswith("DISCORD_")}
    env.update(GLOSSARY_DB=str(workdir / "cli.db"), PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
    # The child reports its own peak RSS (VmHWM) on exit: ru_maxrss of children would also
    # count what this process held when it forked them.
    report = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: sys.stderr.write([l for l in open('/proc/self/status') "
        "if l.startswith('VmHWM')][0]))\n"
        "sys.argv = ['bot', 'import', sys.argv[1], '--yes']\n"
        "runpy.run_module('bot', run_name='__main__')\n"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", report, str(path)],
        capture_output=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    elapsed = time.perf_counter() - start
    rss = int(proc.stderr.decode().split("VmHWM:")[-1].split()[0]) / 1024
    summary = proc.stdout.decode().splitlines()[:1] or proc.stderr.decode().splitlines()[:1]
    print(
        f"{len(raw) / MB:.1f} MB, {count:,} entries: exit {proc.returncode} in {elapsed:.1f} s "
        f"({count / elapsed:,.0f} entries/s), peak RSS {rss:,.0f} MiB; {summary[0][:60]}"
    )


class LoopMonitor:
    """Measure how late the event loop wakes a task that sleeps `tick` seconds at a time."""

    # Where --stall-trace sends the stacks of stalls longer than TRACE_AFTER seconds.
    trace: TextIO | None = None
    TRACE_AFTER = 0.08

    def __init__(self, tick: float = 0.005) -> None:
        self.tick = tick
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self.trace is not None:
                # Re-armed every tick, so it fires only when the loop misses its wake-up.
                faulthandler.dump_traceback_later(self.TRACE_AFTER, file=self.trace)
            expected = loop.time() + self.tick
            await asyncio.sleep(self.tick)
            self.worst = max(self.worst, loop.time() - expected)

    def __enter__(self) -> LoopMonitor:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        if self.trace is not None:
            faulthandler.cancel_dump_traceback_later()


async def member(
    call: Callable[[], Awaitable[object] | object], every: float, latencies: list[float]
) -> None:
    """Make a request every `every` seconds; record the delay from its due time to the answer."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + every
        await asyncio.sleep(every)
        result = call()
        if asyncio.iscoroutine(result):
            await result
        latencies.append(loop.time() - due)


def _python_for(seconds: float) -> None:
    """Run plain Python bytecode, which lets other threads have the GIL, for `seconds`."""
    end = time.perf_counter() + seconds
    counts: dict[int, str] = {}
    number = 0
    while time.perf_counter() < end:
        counts[number % 1000] = str(number)
        number += 1


def p99(values: list[float]) -> float:
    """Return the 99th percentile in milliseconds."""
    return statistics.quantiles(values, n=100)[98] * 1000 if len(values) > 1 else float("nan")


async def part_loop(workdir: Path, count: int = 20_000) -> None:
    """Import `count` entries through the service while members look things up."""
    print(f"\n## Event loop during a {count:,}-entry import (dry run, then confirm)")
    raw = document(count)
    service = await open_service(workdir / "loop.db")
    small = await service.plan_import(document(26))
    await service.apply_import(small, CLI_ACTOR)
    queries = [entry.term for entry in service.entries]
    # The floors: how late the loop wakes on this machine with nothing else running, and
    # beside a worker thread that runs plain Python (no long C call) for as long.
    with LoopMonitor() as idle:
        await asyncio.sleep(5)
    with LoopMonitor() as busy:
        await asyncio.to_thread(_python_for, 5)
    lookups: list[float] = []
    completes: list[float] = []
    searches: list[float] = []
    index = iter(range(10**9))
    tasks = [
        asyncio.create_task(
            member(lambda: service.lookup(queries[next(index) % len(queries)]), 0.01, lookups)
        ),
        asyncio.create_task(member(lambda: service.autocomplete("ba"), 0.01, completes)),
        asyncio.create_task(member(lambda: service.search("model"), 0.05, searches)),
    ]
    try:
        with LoopMonitor() as monitor:
            start = time.perf_counter()
            plan = await service.plan_import(raw, max_bytes=MAX_CLI_DOCUMENT_BYTES)
            await service.apply_import(plan, CLI_ACTOR)
            elapsed = time.perf_counter() - start
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await service.close()
    print(
        f"import took {elapsed:.1f} s; longest event-loop stall {monitor.worst * 1000:.0f} ms "
        f"(5 s with nothing running: {idle.worst * 1000:.0f} ms; beside a pure-Python worker "
        f"thread: {busy.worst * 1000:.0f} ms)"
    )
    print(
        f"member latency p99 (due -> answered): /define {p99(lookups):.1f} ms "
        f"({len(lookups)} requests), autocomplete {p99(completes):.1f} ms, "
        f"search {p99(searches):.1f} ms ({len(searches)} requests)"
    )


EDITS = ("save", "alias", "rename", "delete")


async def timed_edit(
    service: GlossaryService, kind: str, key: str, attempt: int
) -> tuple[float, float]:
    """Make one edit; return seconds until its call returned, and until every index had it."""
    entry = service.require(key)
    start = time.perf_counter()
    if kind == "save":
        changed = dataclasses.replace(entry, summary=f"Edited {attempt} times.")
        await service.update(changed, CLI_ACTOR, expected_version=entry.version)
    elif kind == "alias":
        await service.add_alias(key, word(10**6 + attempt), CLI_ACTOR)
    elif kind == "rename":
        await service.rename(key, f"{entry.term} {word(10**6 + 100 + attempt)}", CLI_ACTOR)
    else:
        await service.delete(key, CLI_ACTOR)
    returned = time.perf_counter() - start
    # The detector follows in the background: the moderator does not wait for it.
    await service.indexes_ready()
    return returned, time.perf_counter() - start


async def part_edit(workdir: Path, sizes: list[int], repeat: int = 5) -> None:
    """Print each kind of edit's cost and the longest event-loop stall while they ran."""
    print(f"\n## One moderator edit (median of {repeat} of each kind)")
    print(
        f"{'entries':>8} {'edit':>7} {'call returned ms':>17} {'all indexes ms':>15} "
        f"{'longest stall ms':>17}"
    )
    for count in sizes:
        path = glossary_path(workdir, count)
        if not path.exists():
            await _fill(path, count)
        service = GlossaryService(await Repository.open(path))
        await service.refresh()
        keys = [entry.key for entry in service.entries]
        for number, kind in enumerate(EDITS):
            returned, indexed = [], []
            with LoopMonitor() as monitor:
                for attempt in range(repeat):
                    key = keys[(number * repeat + attempt) * 97 % count]
                    done = await timed_edit(service, kind, key, attempt)
                    returned.append(done[0])
                    indexed.append(done[1])
                    if kind == "delete":
                        await service.restore(key, CLI_ACTOR)
                        await service.indexes_ready()
            print(
                f"{count:>8,} {kind:>7} {statistics.median(returned) * 1000:>17.1f} "
                f"{statistics.median(indexed) * 1000:>15.0f} {monitor.worst * 1000:>17.0f}"
            )
        await service.close()


def part_rss(workdir: Path, count: int = 50_000) -> None:
    """Print the resident memory of a process serving a `count`-entry glossary."""
    print(f"\n## Memory with {count:,} entries (entry map, matcher, detector)")
    db = glossary_path(workdir, count)
    if not db.exists():
        asyncio.run(_fill(db, count))
    script = (
        "import asyncio, resource, sys\n"
        "from bot.services.glossary import GlossaryService\n"
        "from bot.storage.repository import Repository\n"
        "async def main():\n"
        "    s = GlossaryService(await Repository.open(sys.argv[1])); await s.refresh()\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "    print(len(s.entries), hwm.split()[1])\n"
        "    await s.close()\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(db)],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    ).stdout.split()
    baseline = subprocess.run(
        [sys.executable, "-c", script.replace("await s.refresh()", "pass"), str(db)],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    ).stdout.split()
    print(
        f"{int(out[0]):,} entries: peak RSS {int(out[1]) / 1024:,.0f} MiB "
        f"(the same process without loading them: {int(baseline[1]) / 1024:,.0f} MiB)"
    )


async def _fill(path: Path, count: int) -> None:
    """Create a database holding `count` synthetic entries."""
    service = await open_service(path)
    plan = await service.plan_import(document(count), max_bytes=MAX_CLI_DOCUMENT_BYTES)
    await service.apply_import(plan, CLI_ACTOR)
    await service.close()


def cpu_seconds(work: Callable[[Any], bytes | str], data: Any) -> tuple[float, bytes | str]:
    """Return the CPU time work(data) takes, and its result."""
    started = time.process_time()
    result = work(data)
    return time.process_time() - started, result


def pyyaml_document(items: list[dict[str, Any]]) -> str:
    """Return the canonical document of entry mappings as PyYAML's emitter alone writes it."""
    return HEADER + pyyaml_text({"version": 1, "entries": items})


def part_export(sizes: list[int]) -> None:
    """Print the canonical export's CPU time beside PyYAML's emitter and libyaml's."""
    print("\n## Export (CPU seconds; PyYAML writes the same bytes, libyaml another layout)")
    print(f"{'entries':>8} {'canonical':>10} {'PyYAML':>8} {'libyaml':>8} {'PyYAML/canonical':>17}")
    for count in sizes:
        entries = synthetic_glossary(count)
        items = [codec.entry_to_dict(entry) for entry in sorted(entries, key=lambda e: e.key)]
        ours, text = cpu_seconds(dump_document, entries)
        pyyaml, same = cpu_seconds(pyyaml_document, items)
        assert text == same, "the canonical writer and PyYAML differ"
        libyaml, _ = cpu_seconds(fast_dump, entries)
        print(f"{count:>8,} {ours:>10.2f} {pyyaml:>8.2f} {libyaml:>8.2f} {pyyaml / ours:>16.1f}x")


def main() -> None:
    """Run the chosen parts and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parts = ("import", "cli", "edit", "rss", "loop", "export")
    parser.add_argument("--part", action="append", choices=parts, help="default: all")
    parser.add_argument("--sizes", default="2000,20000,50000", help="import sizes")
    parser.add_argument("--edit-sizes", default="1000,10000,50000", help="edit sizes")
    parser.add_argument("--edits", type=int, default=5, help="edits of each kind per size")
    parser.add_argument("--stall-trace", type=argparse.FileType("w"), help="stacks of stalls")
    args = parser.parse_args()
    LoopMonitor.trace = args.stall_trace
    chosen = args.part or list(parts)
    sizes = [int(size) for size in args.sizes.split(",")]
    edit_sizes = [int(size) for size in args.edit_sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        workdir = Path(folder)
        if "import" in chosen:
            asyncio.run(part_import(workdir, sizes))
        if "cli" in chosen:
            part_cli(workdir)
        if "edit" in chosen:
            asyncio.run(part_edit(workdir, edit_sizes, args.edits))
        if "rss" in chosen:
            part_rss(workdir)
        if "loop" in chosen:
            asyncio.run(part_loop(workdir))
        if "export" in chosen:
            part_export(sizes)


if __name__ == "__main__":
    main()
