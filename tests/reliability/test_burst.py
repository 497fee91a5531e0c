"""A burst of 500 interactions: every one answered once, within Discord's 3-second deadline.

The 3-second check is the one timing assertion of the suite: Discord itself drops an
interaction that is not answered within 3 s, so it is a functional requirement.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.harness import BotFactory
from tests.e2e.payloads import buttons
from tests.reliability.conftest import (
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    callbacks_of,
    record_figure,
    rss_kib,
    start_bot,
)

BURST = 500
DISCORD_DEADLINE = 3.0
TERMS = ["kaggle", "hags", "colab", "kagle", "what is cuda", "gpu", "epochs", "pizza", "rvc"]
TYPED = ["", "k", "gp", "col", "trai", "zzz", "over", "b"]


async def build_burst(fake: FakeDiscord) -> list[tuple[str, dict[str, Any]]]:
    """Return BURST interactions: /define, autocomplete and related-entry button clicks."""
    opener = fake.slash_interaction("define", {"term": "hags"})
    first = await fake.invoke(opener)
    message = fake.original_message(opener["id"])
    custom_ids = [button["custom_id"] for button in buttons(first.json["data"])]
    assert message is not None and custom_ids
    burst: list[tuple[str, dict[str, Any]]] = []
    for number in range(BURST):
        kind = ("define", "autocomplete", "click")[number % 3]
        if kind == "define":
            payload = fake.slash_interaction("define", {"term": TERMS[number % len(TERMS)]})
        elif kind == "autocomplete":
            payload = fake.autocomplete_interaction(
                "define", {"term": TYPED[number % len(TYPED)]}, "term"
            )
        else:
            payload = fake.component_interaction(custom_ids[number % len(custom_ids)], message)
        burst.append((kind, payload))
    return burst


def percentile(values: list[float], fraction: float) -> float:
    """Return the value below which `fraction` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


async def test_500_interactions_are_all_answered_within_3_seconds(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    burst = await build_burst(fake_discord)
    rss_before = rss_kib(process.pid)

    sent: dict[str, float] = {}
    for _, payload in burst:
        sent[payload["id"]] = time.perf_counter()
        await fake_discord.dispatch_interaction(payload)
    dispatched = time.perf_counter() - sent[burst[0][1]["id"]]
    callbacks = await asyncio.gather(
        *(fake_discord.wait_for_callback(payload["id"], 60) for _, payload in burst)
    )

    latencies = [
        callback.time - sent[payload["id"]]
        for (_, payload), callback in zip(burst, callbacks, strict=True)
    ]
    elapsed = max(callback.time for callback in callbacks) - sent[burst[0][1]["id"]]
    record_figure(
        f"burst of {BURST} interactions: dispatched in {dispatched:.2f}s, all answered in "
        f"{elapsed:.2f}s ({BURST / elapsed:.0f}/s); latency p50 "
        f"{statistics.median(latencies) * 1000:.0f} ms, p99 "
        f"{percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; "
        f"bot RSS {rss_before // 1024} -> {rss_kib(process.pid) // 1024} MiB"
    )

    for (kind, _), callback in zip(burst, callbacks, strict=True):
        expected = AUTOCOMPLETE_RESULT if kind == "autocomplete" else CHANNEL_MESSAGE
        assert callback.json["type"] == expected, (kind, callback.json)
        if kind != "autocomplete":
            data = callback.json["data"]
            assert data.get("embeds") or data.get("content"), (kind, data)
    late = [latency for latency in latencies if latency > DISCORD_DEADLINE]
    assert late == [], f"{len(late)} interactions answered after {DISCORD_DEADLINE}s"
    # Exactly one callback each: nothing answered twice, nothing failed and retried.
    assert all(len(callbacks_of(fake_discord, p["id"])) == 1 for _, p in burst)
    assert "Traceback" not in process.output()
