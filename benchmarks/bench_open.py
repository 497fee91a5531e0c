"""Measure how long opening a database takes, start-up integrity check (quick_check) included.

Usage: .venv/bin/python benchmarks/bench_open.py [ENTRIES ...]   (default 1000 3000)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_matcher import synthetic_entries
from bot.storage.db import INTEGRITY_BUDGET_SECONDS, open_database
from bot.storage.repository import Repository

RUNS = 5


async def measure(count: int, folder: Path) -> None:
    """Print the size of a `count`-entry database and the median time to open it."""
    path = folder / f"g{count}.db"
    repo = await Repository.open(path)
    await repo.seed(synthetic_entries(count))
    await repo.close()
    for read_only in (False, True):
        samples = []
        for _ in range(RUNS):
            started = time.perf_counter()
            opened = await open_database(path, create=False, read_only=read_only)
            samples.append(time.perf_counter() - started)
            await opened.conn.close()
        mode = "read-only " if read_only else "read-write"
        print(
            f"{count:>6} entries, {path.stat().st_size / 1e6:5.1f} MB, {mode}: "
            f"open + quick_check median {statistics.median(samples) * 1000:6.1f} ms "
            f"(budget {INTEGRITY_BUDGET_SECONDS:.0f} s)"
        )


async def main(counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for count in counts:
            await measure(count, Path(folder))


if __name__ == "__main__":
    asyncio.run(main([int(arg) for arg in sys.argv[1:]] or [1000, 3000]))
