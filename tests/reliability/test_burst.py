"""A burst of 500 interactions: every one answered exactly once, with the right kind of answer.

How fast (Discord's 3-second deadline, latency, memory) is measured by benchmarks/bench_burst.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.harness import BotFactory
from tests.e2e.payloads import buttons
from tests.reliability.conftest import (
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    callbacks_of,
    start_bot,
)

BURST = 500
TERMS = ["kaggle", "hags", "colab", "kagle", "what is cuda", "gpu", "epochs", "pizza", "rvc"]
TYPED = ["", "k", "gp", "col", "trai", "zzz", "over", "b"]


async def build_burst(fake: FakeDiscord, size: int = BURST) -> list[tuple[str, dict[str, Any]]]:
    """Return `size` interactions: /define, autocomplete and related-entry button clicks."""
    opener = fake.slash_interaction("define", {"term": "hags"})
    first = await fake.invoke(opener)
    message = fake.original_message(opener["id"])
    custom_ids = [button["custom_id"] for button in buttons(first.json["data"])]
    assert message is not None and custom_ids
    burst: list[tuple[str, dict[str, Any]]] = []
    for number in range(size):
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


async def test_500_interactions_are_each_answered_exactly_once(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    process = await start_bot(bot_process, db_path)
    burst = await build_burst(fake_discord)
    for _, payload in burst:
        await fake_discord.dispatch_interaction(payload)
    # A hang guard only: how fast the burst is answered is measured by bench_burst.py.
    callbacks = await asyncio.gather(
        *(fake_discord.wait_for_callback(payload["id"], 300) for _, payload in burst)
    )

    for (kind, _), callback in zip(burst, callbacks, strict=True):
        expected = AUTOCOMPLETE_RESULT if kind == "autocomplete" else CHANNEL_MESSAGE
        assert callback.json["type"] == expected, (kind, callback.json)
        if kind != "autocomplete":
            data = callback.json["data"]
            assert data.get("embeds") or data.get("content"), (kind, data)
    # Exactly one callback each: nothing answered twice, nothing failed and retried.
    assert all(len(callbacks_of(fake_discord, p["id"])) == 1 for _, p in burst)
    assert "Traceback" not in process.output()
