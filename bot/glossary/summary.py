"""Decide which sentences of a summary say something the body of the entry does not."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from bot.glossary.diff import body_lines
from bot.glossary.models import Entry
from bot.glossary.text import normalize

# A summary often restates one body sentence, or condenses up to four neighbouring ones.
WINDOW = 4
# Share of a summary sentence's words the body must hold for the sentence to count as said;
# below 1 so "per unit of time" still matches the body's "per certain unit of time".
COVERED = 0.85
STEM = 5

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(text: str) -> list[str]:
    """Return the sentences of text, split after . ! or ? followed by a space."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def _has_digit(word: str) -> bool:
    """Return whether a word holds a digit (a number, a version, a model name like T4)."""
    return any(char.isdigit() for char in word)


def _words(text: str) -> list[str]:
    """Return the comparison words of text, cut to a crude stem ("adjusting" -> "adjus")."""
    # Five letters keep "adjust"/"adjusting" and "short"/"shorter" together; numbers stay whole.
    return [word if _has_digit(word) else word[:STEM] for word in normalize(text).split()]


def _said(words: Sequence[str], numbers: Sequence[str], body: set[str]) -> bool:
    """Return whether body holds every number and nearly every word of a sentence."""
    if not words:
        return True
    if any(number not in body for number in numbers):
        return False
    return sum(word in body for word in words) >= COVERED * len(words)


# Every /define renders the entry; entries are immutable, so each is worked out once.
@functools.lru_cache(maxsize=1024)
def new_summary(entry: Entry) -> str:
    """Return the summary without the sentences the body already says; '' if none is left."""
    body = [_words(part) for line in body_lines(entry.body) for part in sentences(line)]
    windows = [set().union(*body[start : start + WINDOW]) for start in range(len(body))]
    summary = sentences(entry.summary)
    kept: list[str] = []
    for sentence in summary:
        # Worked out once per sentence, not once per window: long texts made that quadratic.
        words = _words(sentence)
        numbers = [word for word in words if _has_digit(word)]
        if not any(_said(words, numbers, window) for window in windows):
            kept.append(sentence)
    return entry.summary if len(kept) == len(summary) else " ".join(kept)
