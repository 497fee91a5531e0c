"""Text normalisation shared by the matcher, the detector and the store."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+|_+")
_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Return the comparison form of a name: NFKC, casefolded, punctuation to spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def slugify(text: str) -> str:
    """Return a stable key for a term ("Google Colab" -> "google-colab")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SLUG_STRIP.sub("-", ascii_text.lower()).strip("-")


def clip(text: str, limit: int) -> str:
    """Shorten text to `limit` characters at a word boundary, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"
