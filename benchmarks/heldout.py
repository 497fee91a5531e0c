"""Report precision and recall of /define and of automatic replies on the held-out query sets.

The sets (tests/fixtures/heldout.tsv, heldout_chat.tsv) were written from the glossary, not from
the matcher's code. Precision counts every answer given: a wrong entry, or any entry for a query
that has none, is a false answer. Recall counts the queries that have an entry.
Run: .venv/bin/python benchmarks/heldout.py [--verbose]
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.glossary.detect import Detector
from bot.glossary.matcher import Matcher
from bot.glossary.yamlio import load_seed

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


@dataclass
class Tally:
    """Answers given, right answers and answerable queries of one group."""

    queries: int = 0
    answerable: int = 0
    answered: int = 0
    right: int = 0
    suggest_wanted: int = 0
    suggest_found: int = 0
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        """Return one row of the report."""
        precision = self.right / self.answered if self.answered else 1.0
        recall = self.right / self.answerable if self.answerable else 1.0
        row = (
            f"{name:<18} {self.queries:>5} {precision:>9.1%} {recall:>7.1%}"
            f" {len(self.wrong):>6} {len(self.missed):>7}"
        )
        if self.suggest_wanted:
            row += f"   suggested {self.suggest_found}/{self.suggest_wanted}"
        return row

    def add(self, other: Tally) -> None:
        """Add another group's counts to this one."""
        for name in ("queries", "answerable", "answered", "right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.suggest_wanted += other.suggest_wanted
        self.suggest_found += other.suggest_found
        self.wrong += other.wrong
        self.missed += other.missed


def read_rows(path: Path) -> list[tuple[str, list[str]]]:
    """Return (class, columns) for each data line of a held-out file."""
    rows: list[tuple[str, list[str]]] = []
    group = "all"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# class:"):
            group = line.split(":", 1)[1].strip()
        elif line.strip() and not line.startswith("#"):
            rows.append((group, line.split("\t")))
    return rows


def lookup_report(matcher: Matcher) -> dict[str, Tally]:
    """Score every /define query of heldout.tsv."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for group, columns in read_rows(FIXTURES / "heldout.tsv"):
        query = columns[0]
        expected = columns[1] if len(columns) > 1 else ""
        wanted = columns[2] if len(columns) > 2 else ""
        tally = tallies[group]
        tally.queries += 1
        result = matcher.lookup(query)
        got = result.match.entry.key if result.match else ""
        tally.answerable += bool(expected)
        if got:
            tally.answered += 1
            if got == expected:
                tally.right += 1
            else:
                tally.wrong.append(f"{query!r} -> {got} (expected {expected or 'nothing'})")
        elif expected:
            tally.missed.append(f"{query!r} (expected {expected})")
        if wanted:
            tally.suggest_wanted += 1
            tally.suggest_found += wanted in {hit.entry.key for hit in result.suggestions}
    return tallies


def chat_report(detector: Detector) -> dict[str, Tally]:
    """Score every chat message of heldout_chat.tsv, counting (message, entry) pairs."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for group, columns in read_rows(FIXTURES / "heldout_chat.tsv"):
        message = columns[0]
        expected = [key for key in (columns[1] if len(columns) > 1 else "").split(",") if key]
        tally = tallies[group]
        tally.queries += 1
        got = [entry.key for entry in detector.scan(message, "question")]
        tally.answerable += len(expected)
        tally.answered += len(got)
        tally.right += len(set(got) & set(expected))
        if set(got) - set(expected):
            tally.wrong.append(f"{message!r} -> {got} (expected {expected or 'silence'})")
        if set(expected) - set(got):
            tally.missed.append(f"{message!r} -> {got} (expected {expected})")
    return tallies


def print_report(title: str, tallies: dict[str, Tally], verbose: bool) -> None:
    """Print one table: a row per group and the total."""
    print(f"\n{title}")
    print(f"{'group':<18} {'lines':>5} {'precision':>9} {'recall':>7} {'wrong':>6} {'missed':>7}")
    total = Tally()
    for name, tally in tallies.items():
        print(tally.line(name))
        total.add(tally)
    print(total.line("total"))
    if verbose:
        for label, items in (("wrong", total.wrong), ("missed", total.missed)):
            for item in items:
                print(f"  {label}: {item}")


def main(argv: list[str]) -> int:
    """Print the lookup and chat reports for the shipped glossary."""
    entries = load_seed()
    verbose = "--verbose" in argv
    matcher = Matcher(entries)
    print_report("/define (heldout.tsv)", lookup_report(matcher), verbose)
    detector = Detector(entries, typos=matcher)
    print_report("automatic replies (heldout_chat.tsv)", chat_report(detector), verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
