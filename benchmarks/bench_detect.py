"""Measure Detector.scan throughput against a naive per-alias regex loop.

Run: .venv/bin/python benchmarks/bench_detect.py [--seconds 1.0] [--cli 200000]
Figures are messages per second on one core; the glossary grows with synthetic entries.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_matcher import synthetic_entries as distinct_entries
from bot.glossary.codec import entry_from_dict
from bot.glossary.detect import Detector
from bot.glossary.matcher import Matcher
from bot.glossary.models import Entry
from bot.glossary.text import normalize
from bot.glossary.yamlio import dump_document

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


def importable_entries(count: int) -> list[Entry]:
    """Return the shipped entries padded with made-up ones whose names are all distinct."""
    entries = shipped_entries()
    taken = {normalize(name) for entry in entries for name in entry.names}
    for entry in distinct_entries(count * 2):
        if len(entries) == count:
            break
        if taken.isdisjoint(normalize(name) for name in entry.names):
            taken.update(normalize(name) for name in entry.names)
            entries.append(entry)
    return entries


def cli_rate(size: int, count: int) -> tuple[float, float]:
    """Return messages per second through `python -m bot scan --json` (CPU time, wall time)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env = {**os.environ, "GLOSSARY_DB": str(root / "glossary.db")}
        env.pop("DISCORD_TOKEN", None)
        (root / "glossary.yaml").write_text(dump_document(importable_entries(size)))
        command = [sys.executable, "-m", "bot"]
        subprocess.run(
            [*command, "import", str(root / "glossary.yaml")],
            env=env,
            check=True,
            capture_output=True,
        )
        lines = [json.dumps(message) + "\n" for message in MESSAGES]
        data = "".join(lines * (count // len(lines))).encode()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [*command, "scan", "--json"], env=env, input=data, capture_output=True, check=True
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        answered = done.stdout.count(b"\n")
        return answered / cpu, answered / wall


def main() -> None:
    """Print a table of throughput per glossary size and mode."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument(
        "--cli", type=int, default=0, metavar="N", help="also pipe N messages through scan --json"
    )
    args = parser.parse_args()
    if args.cli:
        cpu, wall = cli_rate(1_000, args.cli)
        print(f"scan --json, 1,000 entries: {cpu:,.0f} msg/CPU-s, {wall:,.0f} msg/s wall")
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
