"""Measure the bare discord.py floor: interaction round trips and startup against FakeDiscord."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.harness import MINIMAL_BOT_COMMAND, BotProcess


def percentile(samples: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of samples."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def measure_startup(runs: int) -> list[tuple[float, float]]:
    """Return (IDENTIFY, ready) seconds after process start for each run."""
    results: list[tuple[float, float]] = []
    for _ in range(runs):
        async with FakeDiscord() as fake:
            process = await BotProcess.launch(
                MINIMAL_BOT_COMMAND, fake, env={"LOG_LEVEL": "WARNING"}
            )
            try:
                assert process.started_at is not None
                await process.wait_ready(fake, 60)
                start = process.started_at
                results.append((fake.identify_times[0] - start, fake.ready_times[0] - start))
            finally:
                await process.terminate()
    return results


async def measure_interactions(count: int, warmup: int, *, echo: bool) -> list[float]:
    """Return dispatch-to-callback seconds for `count` sequential /ping interactions."""
    # With echo the fake also sends the MESSAGE_CREATE Discord emits for each reply,
    # which the bot has to parse too; without it this is the pure round trip.
    async with FakeDiscord(echo_messages=echo) as fake:
        process = await BotProcess.launch(MINIMAL_BOT_COMMAND, fake, env={"LOG_LEVEL": "WARNING"})
        try:
            await process.wait_ready(fake, 60)
            samples: list[float] = []
            for index in range(warmup + count):
                payload = fake.slash_interaction("ping")
                started = time.perf_counter()
                await fake.dispatch_interaction(payload)
                callback = await fake.wait_for_callback(payload["id"])
                if index >= warmup:
                    samples.append(callback.time - started)
            return samples
        finally:
            await process.terminate()


async def main() -> None:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interactions", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--startups", type=int, default=3)
    args = parser.parse_args()

    startups = await measure_startup(args.startups)
    identify = [s[0] for s in startups]
    ready = [s[1] for s in startups]
    print(f"startup over {len(startups)} runs (process start -> ...):")
    for label, values in (("IDENTIFY", identify), ("READY", ready)):
        median, worst = statistics.median(values) * 1000, max(values) * 1000
        print(f"  {label:<9} median {median:8.1f} ms  max {worst:8.1f} ms")

    for echo in (True, False):
        samples = await measure_interactions(args.interactions, args.warmup, echo=echo)
        ms = [s * 1000 for s in samples]
        label = "with MESSAGE_CREATE echo" if echo else "without echo"
        print(f"INTERACTION_CREATE -> callback, {len(ms)} interactions, {label}:")
        print(
            f"  median {statistics.median(ms):.3f} ms  p90 {percentile(ms, 0.90):.3f} ms  "
            f"p99 {percentile(ms, 0.99):.3f} ms  max {max(ms):.3f} ms  "
            f"mean {statistics.fmean(ms):.3f} ms"
        )


if __name__ == "__main__":
    asyncio.run(main())
