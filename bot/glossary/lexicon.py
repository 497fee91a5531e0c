"""An English word list with frequencies, to tell ordinary words from misspelt terms.

The list is symspellpy's bundled frequency dictionary (82,765 words that occur in both the
SCOWL word lists and Google's n-gram corpus), read from the installed package: no download.
"""

from __future__ import annotations

import functools
import logging
from importlib.resources import files

log = logging.getLogger(__name__)

_DICTIONARY = "frequency_dictionary_en_82_765.txt"


@functools.cache
def english_words() -> frozenset[str]:
    """Return the lower-case English words of the dictionary (empty if it cannot be read)."""
    try:
        text = (files("symspellpy") / _DICTIONARY).read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError, UnicodeDecodeError) as exc:
        # Without the list typos are judged by edit distance alone, as before it existed.
        log.warning("English word list unavailable (%s); typo checks are less strict", exc)
        return frozenset()
    return frozenset(text.split()[::2])


def is_english_word(word: str) -> bool:
    """Return whether a normalised word is an ordinary English word."""
    return word in english_words()
