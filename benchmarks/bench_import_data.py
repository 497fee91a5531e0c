"""Synthetic glossaries of any size for the import benchmark and the at-scale tests."""

from __future__ import annotations

import yaml

from bot.glossary import codec
from bot.glossary.models import Bullet, Bullets, Entry, Paragraph

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr", "sh")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")
_SYLLABLES = [onset + vowel for onset in _ONSETS for vowel in _VOWELS]
_DOMAIN = ("model", "pitch", "vocal", "dataset", "index", "kernel", "encoder", "reverb", "tunnel")
_CATEGORIES = ("audio", "hardware", "platform", "software", "training", "general")


def word(number: int) -> str:
    """Return a pronounceable three-syllable word unique to `number` (below 2,000,000)."""
    base = len(_SYLLABLES)
    return "".join(_SYLLABLES[number // base**place % base] for place in range(3))


_PROSE = [word(number * 7919 % 1_000_000) for number in range(997)]


def synthetic_entry(index: int, count: int, *, body_words: int = 40) -> Entry:
    """Return entry `index` of a `count`-entry glossary: unique names, a body, related keys."""
    name = word(index)
    domain = _DOMAIN[index % len(_DOMAIN)]
    prose = [_PROSE[(index + n * 31) % len(_PROSE)] for n in range(body_words)]
    # Paragraphs of at most 60 words stay under the 1,000-character limit of one text.
    paragraphs = tuple(
        Paragraph(" ".join(prose[start : start + 60]).capitalize() + ".")
        for start in range(0, len(prose), 60)
    )
    return Entry(
        key=f"{name}-{domain}",
        term=f"{name.capitalize()} {domain.capitalize()}",
        summary=f"What {name} {domain} means in voice conversion, in one line.",
        category=_CATEGORIES[index % len(_CATEGORIES)],
        aliases=(name, f"{name}{domain[:2]}"),
        body=(
            *paragraphs,
            Bullets((Bullet(f"Use {name} with care."), Bullet(f"Check the {domain} first."))),
        ),
        related=(f"{word((index + 1) % count)}-{_DOMAIN[(index + 1) % count % len(_DOMAIN)]}",),
    )


def synthetic_glossary(count: int, *, body_words: int = 40) -> list[Entry]:
    """Return `count` valid entries whose names never collide."""
    return [synthetic_entry(index, count, body_words=body_words) for index in range(count)]


def document(count: int, *, body_words: int = 40) -> bytes:
    """Return a valid glossary document of `count` synthetic entries."""
    return fast_dump(synthetic_glossary(count, body_words=body_words))


def fast_dump(entries: list[Entry]) -> bytes:
    """Return entries as an importable document, dumped by libyaml (not the canonical form)."""
    data = {"version": 1, "entries": [codec.entry_to_dict(entry) for entry in entries]}
    return yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, width=1_000_000).encode()
