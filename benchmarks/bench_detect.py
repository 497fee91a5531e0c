"""Measure Detector.scan throughput against a naive per-alias regex loop.

Run: .venv/bin/python benchmarks/bench_detect.py [--seconds 1.0]
Figures are messages per second on one core; the glossary grows with synthetic entries.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bot.glossary.codec import entry_from_dict
from bot.glossary.detect import Detector
from bot.glossary.matcher import Matcher
from bot.glossary.models import Entry

GLOSSARY = Path(__file__).resolve().parents[1] / "data" / "glossary.yaml"
SIZES = (26, 1_000, 10_000)

# Realistic traffic: mostly chatter and help requests, a few definition questions.
MESSAGES = [
    "my gpu is too weak for this",
    "I disabled HAGS and it fixed it",
    "training on kaggle rn, epoch 120",
    "is kaggle down?",
    "can I use lossy formats for training?",
    "cuda out of memory help",
    "how do I install cuda?",
    "what is the best gpu for rvc?",
    "lol that model sounds so good",
    "anyone got a good dataset for a deep male voice?",
    "thanks man it worked!!",
    "the index file is missing after training, any idea why",
    "bro my colab disconnected again 😭",
    "<@123456789012345678> check dms",
    "use `python infer.py --f0 rmvpe` instead",
    "what's wrong with my colab",
    "which pitch extraction algorithm is the best for singing",
    "good morning everyone",
    "how many epochs should I train a 10 minute dataset for",
    "https://huggingface.co/spaces/some/space is not loading",
    "the output has robotic artifacts in the high notes, how do I fix that",
    "ok ty",
    "what is hags?",
    "whats a checkpoint",
    "can someone explain what fine tuning is",
    "i'm using the applio fork, is it better than mangio?",
    "my vram is 6gb, is that enough to train locally",
    "the realtime voice changer lags when I play games",
    "lmao",
    "does anyone have a pretrain for 48k?",
    # Terms mentioned often, in passing and in questions, comparisons and typos.
    "my gpu is fine but colab keeps crashing",
    "i exported the flac and the mp3 sounds worse",
    "kaggle gives 30 gpu hours a week",
    "what is jupter notebook",
    "difference between bitrate and bit depth?",
    "wav vs mp3 - which format is lossy?",
    "how does gradio work",
    "ok so that's what a checkpoint is",
    "the checkpoint from epoch 200 sounds best",
    "what is cuba like this time of year",
]


def shipped_entries() -> list[Entry]:
    """Return the entries of the shipped glossary."""
    data = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))
    return [entry_from_dict(item) for item in data["entries"]]


def synthetic_entries(count: int, seed: int = 7) -> list[Entry]:
    """Return the shipped entries padded with deterministic made-up ones up to count."""
    rng = random.Random(seed)
    entries = shipped_entries()[:count]
    syllables = ["ka", "lo", "ri", "ven", "tor", "mi", "sa", "dul", "pex", "qua", "zen", "bo"]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))

    index = 0
    while len(entries) < count:
        term = " ".join(word() for _ in range(rng.randint(1, 3)))
        aliases = tuple(word() for _ in range(2))
        entries.append(Entry(key=f"syn-{index}", term=term, summary="x", aliases=aliases))
        index += 1
    return entries


def naive_scanner(entries: list[Entry]) -> Callable[[str], list[Entry]]:
    """Return a scan that tries every alias with its own (precompiled) word-boundary regex."""
    patterns = [
        (re.compile(r"\b" + re.escape(name.lower()) + r"\b"), entry)
        for entry in entries
        for name in entry.names
    ]

    def scan(text: str) -> list[Entry]:
        lowered = text.lower()
        return [entry for pattern, entry in patterns if pattern.search(lowered)]

    return scan


def rate(scan: Callable[[str], object], seconds: float) -> float:
    """Return messages per CPU second for scan over the traffic, run for about `seconds`."""
    # Process CPU time: other work on a shared machine does not count against the detector.
    done, start = 0, time.process_time()
    while True:
        for message in MESSAGES:
            scan(message)
        done += len(MESSAGES)
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    """Print a table of throughput per glossary size and mode."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    print(
        f"{'entries':>8} {'build ms':>9} {'question/s':>11} {'mention/s':>10} "
        f"{'naive/s':>9} {'question/naive':>15}"
    )
    for size in SIZES:
        entries = synthetic_entries(size)
        matcher = Matcher(entries)
        start = time.perf_counter()
        detector = Detector(entries, typos=matcher)
        build_ms = (time.perf_counter() - start) * 1000
        question = rate(detector.scan, args.seconds)
        mention = rate(lambda text, d=detector: d.scan(text, "mention"), args.seconds)
        naive = rate(naive_scanner(entries), args.seconds)
        print(
            f"{size:>8} {build_ms:>9.1f} {question:>11,.0f} {mention:>10,.0f} "
            f"{naive:>9,.0f} {question / naive:>14,.1f}x"
        )


if __name__ == "__main__":
    main()
