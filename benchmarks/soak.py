"""Soak the real bot: 100,000 chat messages through the auto-reply path against FakeDiscord.

Prints throughput, the bot's memory (RSS) along the way, /define latency under that load,
and checks every reply against the cooldowns, which a moderator first shortens (default 2 s
per term and channel, 1 s per member) so they expire and restart many times during the run.
Run: .venv/bin/python benchmarks/soak.py [--messages 100000] [--cooldown 2]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_floor import percentile
from bot.glossary import yamlio
from tests.e2e.fake_discord import (
    MODERATOR_USER_ID,
    OTHER_CHANNEL_ID,
    TEXT_CHANNEL_ID,
    FakeDiscord,
    user_payload,
)
from tests.e2e.harness import BOT_COMMAND, BotProcess
from tests.reliability.conftest import is_reply_post, rss_kib
from tests.reliability.test_autoreply_flood import chat

CHANNELS = (TEXT_CHANNEL_ID, OTHER_CHANNEL_ID)
MEMBERS = 3000


def cooldown_violations(
    fake: FakeDiscord, authors: dict[str, int], channel_seconds: int, member_seconds: int
) -> tuple[int, int]:
    """Return (replies, replies that broke a cooldown) from the recorded reply posts."""
    last_entry: dict[tuple[str, str], float] = {}
    last_member: dict[int, float] = {}
    replies = violations = 0
    for r in fake.requests:
        if not (r.ok and is_reply_post(r)):
            continue
        replies += 1
        channel = r.path.split("/")[2]
        member = authors[str(r.json["message_reference"]["message_id"])]
        # Slack for the time between the bot stamping a cooldown and the request arriving.
        if r.time < last_member.get(member, float("-inf")) + member_seconds - 0.5:
            violations += 1
        last_member[member] = r.time
        for embed in r.json["embeds"]:
            key = (channel, embed["title"])
            if r.time < last_entry.get(key, float("-inf")) + channel_seconds - 0.5:
                violations += 1
            last_entry[key] = r.time
    return replies, violations


async def soak(messages: int, batch: int, cooldown: int) -> None:
    """Send `messages` chat messages in batches; after each batch, time one /define."""
    rng = random.Random(7)
    terms = [*[name for entry in yamlio.load_seed() for name in entry.names][:80], "pizza"]
    users = [user_payload(2_000_000_000_000_000_000 + n, f"member{n}") for n in range(MEMBERS)]
    authors: dict[str, int] = {}
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeDiscord(echo_messages=False) as fake:
            env = {"GLOSSARY_DB": str(Path(tmp) / "soak.db"), "LOG_LEVEL": "WARNING"}
            process = await BotProcess.launch(BOT_COMMAND, fake, env=env)
            try:
                await process.wait_ready(fake, 60)
                member_cooldown = max(1, cooldown // 2)
                await fake.invoke(
                    fake.slash_interaction(
                        "glossary-admin autoreply cooldown",
                        {"seconds": cooldown, "member_seconds": member_cooldown},
                        user_id=MODERATOR_USER_ID,
                    )
                )
                rss = [rss_kib(process.pid)]
                started = time.perf_counter()
                for sent in range(0, messages, batch):
                    for _ in range(min(batch, messages - sent)):
                        user = rng.choice(users)
                        message = fake.message_create(
                            chat(rng, terms), author=user, channel_id=rng.choice(CHANNELS)
                        )
                        authors[message["id"]] = int(user["id"])
                        await fake.dispatch("MESSAGE_CREATE", message)
                    # Events are handled in order, so this also waits for the batch.
                    probe = fake.slash_interaction("define", {"term": rng.choice(terms)})
                    before = time.perf_counter()
                    await fake.dispatch_interaction(probe)
                    callback = await fake.wait_for_callback(probe["id"], 120)
                    latencies.append(callback.time - before)
                    rss.append(rss_kib(process.pid))
                elapsed = time.perf_counter() - started
                replies, violations = cooldown_violations(fake, authors, cooldown, member_cooldown)
                returncode = await process.terminate()
            finally:
                await process.terminate()

    ms = [latency * 1000 for latency in latencies]
    third = max(1, len(rss) // 3)
    print(f"{messages} messages through the bot in {elapsed:.1f}s ({messages / elapsed:,.0f}/s)")
    print(
        f"replies: {replies} (cooldowns {cooldown}s per term and channel, "
        f"{member_cooldown}s per member), cooldown violations: {violations}"
    )
    print(
        f"bot RSS: start {rss[0] / 1024:.1f} MiB, after first third "
        f"{max(rss[:third]) / 1024:.1f} MiB, peak {max(rss) / 1024:.1f} MiB, "
        f"end {rss[-1] / 1024:.1f} MiB"
    )
    print(
        f"/define after each batch of {batch} messages: median {statistics.median(ms):.1f} ms, "
        f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms"
    )
    print(f"clean shutdown: exit {returncode}")
    if violations or returncode != 0:
        sys.exit(1)


def main() -> None:
    """Parse arguments and run the soak."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--cooldown", type=int, default=2, help="seconds per term and channel")
    args = parser.parse_args()
    asyncio.run(soak(args.messages, args.batch, args.cooldown))


if __name__ == "__main__":
    main()
