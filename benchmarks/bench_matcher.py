"""Measure matcher latency and memory on the shipped glossary and on 10,000 synthetic entries."""

from __future__ import annotations

import random
import statistics
import string
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from bot.glossary.codec import entry_from_dict
from bot.glossary.matcher import Matcher
from bot.glossary.models import Entry

ROOT = Path(__file__).resolve().parents[1]
SEED = 20260314
SYNTHETIC_SIZE = 10_000
QUERIES = 4_000
# `--wall` measures wall-clock time instead (right on an idle machine).
CPU_CLOCK = "--wall" not in sys.argv

_ONSETS = ("b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")
_CODAS = ("", "n", "r", "s", "x", "l", "ck", "nt", "sh")
_DOMAIN = (
    "audio",
    "voice",
    "model",
    "vocal",
    "pitch",
    "gpu",
    "cloud",
    "local",
    "training",
    "index",
    "dataset",
    "mixer",
    "tunnel",
    "notebook",
    "space",
    "studio",
    "format",
    "driver",
    "kernel",
    "encoder",
    "filter",
    "reverb",
    "latency",
    "sample",
    "batch",
    "epoch",
    "crepe",
    "harvest",
)
_PHRASES = ("what is {}", "what's a {}", "define {}", "{}?", "what does {} mean", "explain {}")
_MISSES = ("pizza", "hello", "what is love", "thanks", "how are you", "the", "a", "weather today")


def _word(rng: random.Random) -> str:
    """Return a pronounceable made-up word of two or three syllables."""
    syllables = rng.choice((2, 2, 3))
    return "".join(
        rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
    )


def synthetic_entries(count: int, seed: int = SEED) -> list[Entry]:
    """Return `count` deterministic entries with multi-word terms and a few aliases each."""
    rng = random.Random(seed)
    vocabulary = list(_DOMAIN) + [_word(rng) for _ in range(3_000)]
    entries: list[Entry] = []
    seen: set[str] = set()
    while len(entries) < count:
        words = [rng.choice(vocabulary) for _ in range(rng.choice((1, 2, 2, 3)))]
        term = " ".join(word.capitalize() for word in words)
        if term.lower() in seen:
            continue
        aliases: list[str] = []
        if len(words) > 1:
            aliases.append("".join(word[0] for word in words).upper() + rng.choice(("", "x")))
        aliases.append(term.lower() + "s")
        if rng.random() < 0.5:
            aliases.append(_word(rng) + " " + words[-1])
        if rng.random() < 0.3:
            aliases.append("-".join(words) + "-" + str(rng.randint(1, 99)))
        names = [term, *aliases]
        if any(name.lower() in seen for name in names):
            continue
        seen.update(name.lower() for name in names)
        key = f"{'-'.join(words)}-{len(entries)}"
        entries.append(Entry(key=key, term=term, summary=term, aliases=tuple(aliases)))
    return entries


def shipped_entries() -> list[Entry]:
    """Return the entries of data/glossary.yaml."""
    data = yaml.safe_load((ROOT / "data" / "glossary.yaml").read_text(encoding="utf-8"))
    return [entry_from_dict(item) for item in data["entries"]]


def _typo(rng: random.Random, text: str) -> str:
    """Return text with one random edit: substitution, deletion, insertion or transposition."""
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    op = rng.randrange(4)
    if op == 0:
        return text[:i] + rng.choice(string.ascii_lowercase) + text[i + 1 :]
    if op == 1:
        return text[:i] + text[i + 1 :]
    if op == 2:
        return text[:i] + rng.choice(string.ascii_lowercase) + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def lookup_queries(entries: Sequence[Entry], count: int, seed: int = SEED) -> list[str]:
    """Return a realistic mix: exact, alias, typo, question phrasing, contained and misses."""
    rng = random.Random(seed + 1)
    queries = []
    for n in range(count):
        entry = rng.choice(entries)
        kind = n % 6
        if kind == 0:
            queries.append(entry.term)
        elif kind == 1:
            queries.append(rng.choice(entry.names))
        elif kind == 2:
            queries.append(_typo(rng, entry.term.lower()))
        elif kind == 3:
            queries.append(rng.choice(_PHRASES).format(rng.choice(entry.names)))
        elif kind == 4:
            queries.append(f"how do i fix my {entry.term.lower()} on colab")
        else:
            queries.append(rng.choice(_MISSES))
    return queries


def autocomplete_queries(entries: Sequence[Entry], count: int, seed: int = SEED) -> list[str]:
    """Return prefixes of 1-6 characters of names, a few typos and empty strings."""
    rng = random.Random(seed + 2)
    queries = []
    for n in range(count):
        name = rng.choice(rng.choice(entries).names).lower()
        if n % 10 == 0:
            queries.append("")
        elif n % 10 == 1:
            queries.append(_typo(rng, name[: rng.randint(4, 8)]))
        else:
            queries.append(name[: rng.randint(1, 6)])
    return queries


def _latency(call: Callable[[str], object], queries: Sequence[str]) -> tuple[float, float]:
    """Return median and p99 latency in milliseconds of call over the queries."""
    for query in queries[:200]:
        call(query)
    samples = []
    # CPU time of this thread: on a shared machine wall-clock tails mostly time other processes.
    clock = time.thread_time if CPU_CLOCK else time.perf_counter
    for query in queries:
        start = clock()
        call(query)
        samples.append((clock() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def run(label: str, entries: list[Entry]) -> None:
    """Print build time, peak memory and lookup/autocomplete latency for one glossary."""
    start = time.perf_counter()
    matcher = Matcher(entries)
    build_ms = (time.perf_counter() - start) * 1000
    # A second build under tracemalloc: tracing slows construction several times over.
    tracemalloc.start()
    Matcher(entries)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    names = sum(len(entry.names) for entry in entries)
    lookup = _latency(matcher.lookup, lookup_queries(entries, QUERIES))
    complete = _latency(matcher.autocomplete, autocomplete_queries(entries, QUERIES))
    print(f"{label}: {len(entries)} entries, {names} names")
    print(f"  build          {build_ms:9.1f} ms   peak memory {peak / 2**20:7.1f} MiB")
    print(f"  lookup         median {lookup[0]:.3f} ms   p99 {lookup[1]:.3f} ms")
    print(f"  autocomplete   median {complete[0]:.3f} ms   p99 {complete[1]:.3f} ms")


def main() -> int:
    """Run the benchmark on the shipped glossary (if present) and on synthetic entries."""
    if (ROOT / "data" / "glossary.yaml").exists():
        run("shipped", shipped_entries())
    run("synthetic", synthetic_entries(SYNTHETIC_SIZE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
