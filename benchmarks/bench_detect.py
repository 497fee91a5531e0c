"""Measure Detector.scan throughput against a naive per-alias regex loop and another revision.

Run: .venv/bin/python benchmarks/bench_detect.py [--seconds 1.0] [--cli 200000] [--against REV]
Figures are messages per CPU second on one core (the median of --rounds measurements); the
glossary grows with synthetic entries. With --against, git revision REV's detector (and with
--cli its whole `scan` command) is measured in the same run, alternating with this tree's, so
the ratio holds on a shared machine. `scan --json` is timed with an empty stdin too: its
start-up (imports, opening the database, building the indexes) is reported apart from the
messages per second that follow it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import types
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

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "data" / "glossary.yaml"
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


def detector_at(revision: str) -> type[Detector]:
    """Return the Detector class of bot/glossary/detect.py at a git revision."""
    source = subprocess.run(
        ["git", "show", f"{revision}:bot/glossary/detect.py"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    module = types.ModuleType(f"detect_at_{revision}")
    # Dataclasses look their module up while the class is built.
    sys.modules[module.__name__] = module
    exec(compile(source, f"{revision}:bot/glossary/detect.py", "exec"), module.__dict__)
    detector: type[Detector] = module.Detector
    return detector


def tree_at(revision: str, folder: Path) -> Path:
    """Extract the files of a git revision into folder and return it."""
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def child_cpu(command: list[str], env: dict[str, str], cwd: Path, data: bytes) -> tuple[float, int]:
    """Run a command with data on stdin; return its CPU seconds and its lines of output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, cwd=cwd, input=data, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{cwd}: scan failed: {done.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, done.stdout.count(b"\n")


def cli_rates(size: int, count: int, trees: dict[str, Path], rounds: int) -> None:
    """Print start-up CPU and messages per CPU second of `python -m bot scan --json` per tree."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env = {**os.environ, "GLOSSARY_DB": str(root / "glossary.db")}
        env.pop("DISCORD_TOKEN", None)
        (root / "glossary.yaml").write_text(dump_document(importable_entries(size)))
        command = [sys.executable, "-m", "bot"]
        subprocess.run(
            [*command, "import", str(root / "glossary.yaml")],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        lines = [json.dumps(message) + "\n" for message in MESSAGES]
        data = "".join(lines * (count // len(lines))).encode()
        starts: dict[str, list[float]] = {name: [] for name in trees}
        totals: dict[str, list[float]] = {name: [] for name in trees}
        answered = 0
        for _ in range(rounds):
            for name, tree in trees.items():
                # The tree's own `bot` package: python -m puts the working directory first.
                tree_env = {**env, "PYTHONPATH": str(tree)}
                starts[name].append(child_cpu([*command, "scan", "--json"], tree_env, tree, b"")[0])
                cpu, answered = child_cpu([*command, "scan", "--json"], tree_env, tree, data)
                totals[name].append(cpu)
        print(f"scan --json, {size:,} entries, {answered:,} messages, median of {rounds}:")
        for name in trees:
            start, total = statistics.median(starts[name]), statistics.median(totals[name])
            print(
                f"  {name:<12} start-up {start * 1000:,.0f} ms CPU; "
                f"{answered / total:,.0f} msg/CPU-s with it, "
                f"{answered / (total - start):,.0f} msg/CPU-s after it"
            )


def main() -> None:
    """Print a table of throughput per glossary size and mode."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per median")
    parser.add_argument(
        "--cli", type=int, default=0, metavar="N", help="also pipe N messages through scan --json"
    )
    parser.add_argument("--against", metavar="REV", help="also measure git revision REV")
    args = parser.parse_args()
    if args.cli:
        with tempfile.TemporaryDirectory() as folder:
            trees = {"this tree": ROOT}
            if args.against:
                trees[args.against] = tree_at(args.against, Path(folder))
            cli_rates(1_000, args.cli, trees, args.rounds)
    other = detector_at(args.against) if args.against else None
    header = (
        f"{'entries':>8} {'build ms':>9} {'question/s':>11} {'mention/s':>10} "
        f"{'naive/s':>9} {'question/naive':>15}"
    )
    if other:
        header += (
            f" {'REV question/s':>15} {'REV mention/s':>14} {'new/REV q':>10} {'new/REV m':>10}"
        )
    print(header)
    for size in SIZES:
        entries = synthetic_entries(size)
        matcher = Matcher(entries)
        start = time.perf_counter()
        detector = Detector(entries, typos=matcher)
        build_ms = (time.perf_counter() - start) * 1000
        scans: dict[str, Callable[[str], object]] = {
            "question": detector.scan,
            "mention": functools.partial(detector.scan, mode="mention"),
        }
        if other:
            old = other(entries, typos=matcher)
            scans["old question"] = old.scan
            scans["old mention"] = functools.partial(old.scan, mode="mention")
        found: dict[str, list[float]] = {name: [] for name in scans}
        # Alternate the scans round by round: a change in the machine's load hits them all.
        for _ in range(args.rounds):
            for name, scan in scans.items():
                found[name].append(rate(scan, args.seconds))
        rates = {name: statistics.median(values) for name, values in found.items()}
        naive = rate(naive_scanner(entries), args.seconds)
        row = (
            f"{size:>8} {build_ms:>9.1f} {rates['question']:>11,.0f} {rates['mention']:>10,.0f} "
            f"{naive:>9,.0f} {rates['question'] / naive:>14,.1f}x"
        )
        if other:
            row += (
                f" {rates['old question']:>15,.0f} {rates['old mention']:>14,.0f}"
                f" {rates['question'] / rates['old question']:>9.2f}x"
                f" {rates['mention'] / rates['old mention']:>9.2f}x"
            )
        print(row)


if __name__ == "__main__":
    main()
