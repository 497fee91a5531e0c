"""A flood of chat through the real auto-reply decision: cooldowns hold, memory stays flat.

This runs in-process through the same decide()/Cooldowns/Detector path the cog uses, with a
simulated clock so six hours of chat take a second. A flood of 100,000 messages through the
real bot process is `benchmarks/soak.py`.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
from pathlib import Path

from bot.glossary.autoreply import decide
from bot.glossary.autoreply_settings import AutoReplySettings
from bot.glossary.cooldowns import Cooldowns
from bot.services.glossary import GlossaryService
from tests.reliability.conftest import record_figure, rss_kib

# Each cooldown expires dozens of times over the six hours (the member one hundreds).
MESSAGES = 30_000
GUILD = 1
CHANNELS = 12
MEMBERS = 3000
SIMULATED_SECONDS = 6 * 3600  # the flood covers six hours of chat

QUESTIONS = [
    "what is {t}?",
    "wat is {t}",
    "what's {t} exactly",
    "can someone explain {t}",
    "what does {t} mean?",
    "{t}?",
    "so what even is {t} lol",
]
CHATTER = [
    "I trained my model on {t} yesterday",
    "{t} is so slow today",
    "anyone online?",
    "thanks, that worked!",
    "```py\nprint('what is {t}?')\n```",
    "> what is {t}?\nno idea",
    "lol",
    "check https://example.com/what-is-{t}",
    "\u200bwhat\u202e is {t}\u2066?",
    "what is " + "very " * 300 + "{t}?",
]


def chat(rng: random.Random, terms: list[str]) -> str:
    """Return one random chat message: a question about a term, or chatter."""
    term = rng.choice(terms)
    template = rng.choice(QUESTIONS if rng.random() < 0.35 else CHATTER)
    return template.format(t=term)


async def test_a_flood_of_messages_holds_every_cooldown_with_flat_memory(tmp_path: Path) -> None:
    service = await GlossaryService.open(tmp_path / "glossary.db")
    try:
        terms = [*[name for entry in service.entries for name in entry.names][:80], "pizza"]
        settings = AutoReplySettings()
        clock = [1_700_000_000.0]
        cooldowns = Cooldowns(clock=lambda: clock[0])
        rng = random.Random(20240601)
        # An independent record of every reply, to check the cooldowns against.
        last_entry: dict[tuple[int, str], float] = {}
        last_member: dict[int, float] = {}
        replies = explained = violations = 0
        sizes: list[int] = []

        gc.collect()
        rss_start = rss_kib(os.getpid())
        started = time.perf_counter()
        for number in range(MESSAGES):
            clock[0] += SIMULATED_SECONDS / MESSAGES * rng.uniform(0.0, 2.0)
            now = clock[0]
            channel = rng.randrange(CHANNELS)
            member = rng.randrange(MEMBERS)
            entries = decide(
                chat(rng, terms),
                guild_id=GUILD,
                channel_id=channel,
                author_id=member,
                settings=settings,
                cooldowns=cooldowns,
                scanner=service,
                now=now,
            )
            if not entries:
                continue
            keys = [entry.key for entry in entries]
            if now < last_member.get(member, float("-inf")) + settings.user_cooldown_seconds:
                violations += 1
            for key in keys:
                if now < last_entry.get((channel, key), float("-inf")) + settings.cooldown_seconds:
                    violations += 1
                last_entry[(channel, key)] = now
            last_member[member] = now
            cooldowns.record(GUILD, channel, member, keys, settings, now)
            replies += 1
            explained += len(keys)
            if number % 1000 == 0:
                sizes.append(len(cooldowns))
        elapsed = time.perf_counter() - started
        gc.collect()
        rss_end = rss_kib(os.getpid())
    finally:
        await service.close()

    record_figure(
        f"auto-reply flood in-process: {MESSAGES} messages in {elapsed:.1f}s "
        f"({MESSAGES / elapsed:,.0f}/s), {replies} replies explaining {explained} entries, "
        f"RSS {rss_start // 1024} -> {rss_end // 1024} MiB, cooldown keys at most {max(sizes)}"
    )
    assert violations == 0
    assert replies > 500  # the flood did exercise the reply path
    # Cooldown memory is bounded by what can be active at once, not by the message count.
    active_limit = CHANNELS * len(terms) + MEMBERS
    assert max(sizes) <= active_limit
    assert sizes[-1] <= 2 * statistics.median(sizes) + 50
