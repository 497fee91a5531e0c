"""Measure the real bot against FakeDiscord: startup, /define and autocomplete round trips.

Runs the bare discord.py floor (tests/e2e/minimal_bot.py answering /ping) in the same run,
so the ratio to the floor is comparable on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_floor import percentile
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.harness import BOT_COMMAND, MINIMAL_BOT_COMMAND, BotProcess

QUERIES = ["kaggle", "kagle", "colab", "hf spaces", "what is hags?", "optimiser", "flac", "gpu"]
TYPED = ["", "k", "ka", "col", "lightn", "what is c", "gpu", "zzz"]


async def round_trips(
    command: list[str],
    env: dict[str, str],
    build: Callable[[FakeDiscord, int], dict[str, Any]],
    count: int,
    warmup: int,
) -> tuple[list[float], float, float]:
    """Return callback latencies (s) plus process start -> IDENTIFY and -> READY (s)."""
    async with FakeDiscord(echo_messages=False) as fake:
        process = await BotProcess.launch(command, fake, env={"LOG_LEVEL": "WARNING", **env})
        try:
            await process.wait_ready(fake, 60)
            assert process.started_at is not None
            identify = fake.identify_times[0] - process.started_at
            ready = fake.ready_times[0] - process.started_at
            samples: list[float] = []
            for index in range(warmup + count):
                payload = build(fake, index)
                started = time.perf_counter()
                await fake.dispatch_interaction(payload)
                callback = await fake.wait_for_callback(payload["id"])
                if index >= warmup:
                    samples.append(callback.time - started)
            return samples, identify, ready
        finally:
            await process.terminate()


def describe(label: str, samples: list[float], floor: float | None = None) -> float:
    """Print median and p99 in ms; return the median."""
    ms = [sample * 1000 for sample in samples]
    median = statistics.median(ms)
    ratio = f"  ({median / floor:.2f}x floor median)" if floor else ""
    print(f"{label:<34} median {median:6.3f} ms  p99 {percentile(ms, 0.99):6.3f} ms{ratio}")
    return median


async def main() -> None:
    """Run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interactions", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    n, warm = args.interactions, args.warmup

    floor, floor_identify, floor_ready = await round_trips(
        MINIMAL_BOT_COMMAND, {}, lambda fake, i: fake.slash_interaction("ping"), n, warm
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GLOSSARY_DB": str(Path(tmp) / "bench.db")}
        define, identify, ready = await round_trips(
            BOT_COMMAND,
            env,
            lambda fake, i: fake.slash_interaction("define", {"term": QUERIES[i % len(QUERIES)]}),
            n,
            warm,
        )
        complete, _, _ = await round_trips(
            BOT_COMMAND,
            env,
            lambda fake, i: fake.autocomplete_interaction(
                "define", {"term": TYPED[i % len(TYPED)]}, "term"
            ),
            n,
            warm,
        )
    print(
        "startup, process start -> IDENTIFY / READY: "
        f"bot {identify * 1000:.0f} / {ready * 1000:.0f} ms, "
        f"bare discord.py {floor_identify * 1000:.0f} / {floor_ready * 1000:.0f} ms"
    )
    print(f"INTERACTION_CREATE -> callback over {n} interactions each:")
    base = describe("bare discord.py /ping (floor)", floor)
    describe("/define (mixed queries)", define, base)
    describe("autocomplete (mixed input)", complete, base)


if __name__ == "__main__":
    asyncio.run(main())
