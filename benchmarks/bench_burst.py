"""Measure a burst of 500 interactions against the real bot: latency and Discord's 3 s deadline.

Discord drops an interaction that is not answered within 3 s. Whether the bot keeps that
deadline under a burst depends on the machine, so it is measured here and written in the
README; tests/reliability/test_burst.py checks that every interaction is answered exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_floor import percentile
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.harness import BOT_COMMAND, BotProcess
from tests.reliability.conftest import rss_kib
from tests.reliability.test_burst import BURST, build_burst

DISCORD_DEADLINE = 3.0


async def main() -> int:
    """Run one burst and print the figures; exit 1 if any answer missed Discord's deadline."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interactions", type=int, default=BURST)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeDiscord(echo_messages=False) as fake:
            env = {"GLOSSARY_DB": str(Path(tmp) / "bench.db"), "LOG_LEVEL": "WARNING"}
            process = await BotProcess.launch(BOT_COMMAND, fake, env=env)
            try:
                await process.wait_ready(fake, 60, expect_sync=True)
                burst = await build_burst(fake, args.interactions)
                rss_before = rss_kib(process.pid)
                sent: dict[str, float] = {}
                for _, payload in burst:
                    sent[payload["id"]] = time.perf_counter()
                    await fake.dispatch_interaction(payload)
                first = sent[burst[0][1]["id"]]
                dispatched = time.perf_counter() - first
                callbacks = await asyncio.gather(
                    *(fake.wait_for_callback(payload["id"], 120) for _, payload in burst)
                )
                rss_after = rss_kib(process.pid)
            finally:
                await process.terminate()
    latencies = [
        callback.time - sent[payload["id"]]
        for (_, payload), callback in zip(burst, callbacks, strict=True)
    ]
    elapsed = max(callback.time for callback in callbacks) - first
    late = sum(latency > DISCORD_DEADLINE for latency in latencies)
    ms = [latency * 1000 for latency in latencies]
    print(
        f"burst of {len(burst)} interactions: dispatched in {dispatched:.2f}s, all answered in "
        f"{elapsed:.2f}s ({len(burst) / elapsed:.0f}/s); latency p50 {statistics.median(ms):.0f} "
        f"ms, p99 {percentile(ms, 0.99):.0f} ms, max {max(ms):.0f} ms; "
        f"{late} after Discord's {DISCORD_DEADLINE:.0f} s deadline; "
        f"bot RSS {rss_before // 1024} -> {rss_after // 1024} MiB"
    )
    return 1 if late else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
