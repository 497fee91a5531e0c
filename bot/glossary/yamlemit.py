"""Write glossary data as YAML byte for byte as PyYAML's emitter does, many times faster.

PyYAML's emitter is pure Python (about 0.7 ms an entry), and libyaml's cannot indent lists
under their key as the canonical form does. Most values are one line of ordinary text, which
the emitter writes plain or single-quoted by a few rules, or several such lines, which it
writes as a literal block; those are written here. Anything else (special characters, blank
lines at either end, spaces before a line break, other types) makes `block_item` return None,
and the caller has PyYAML write that item.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
# What the emitter writes as it is with allow_unicode: printable characters other than line
# breaks (U+0085, U+2028, U+2029) and the byte order mark. Everything else gets escaped.
_PRINTABLE = re.compile(
    "[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe]*"
)
_INDICATOR_FIRST = frozenset("#,[]{}&*!|>'\"%@`")
# Far below the emitter's line width (1,000,000), so it never folds a line of ours.
_MAX_TEXT = 100_000


class _NeedsPyYAML(Exception):
    """A value this writer does not handle; PyYAML writes the item instead."""


def _plain_allowed(text: str) -> bool:
    """Return whether the emitter writes one printable line as a plain scalar."""
    first = text[0]
    return not (
        first == " "
        or text[-1] == " "
        or first in _INDICATOR_FIRST
        or (first in "?:-" and text[1:2] in ("", " "))
        or text.startswith(("---", "..."))
        or ": " in text
        or text.endswith(":")
        or " #" in text
        or not _reads_as_text(text)
    )


def _reads_as_text(text: str) -> bool:
    """Return whether plain text reads back as a string, not as yes, 1.5, ~ or 2026-01-01."""
    # The stubs leave the resolver's methods untyped.
    tag = _RESOLVER.resolve(  # type: ignore[no-untyped-call]
        yaml.ScalarNode, text, (True, False)
    )
    return bool(tag == _STR_TAG)


def _line(text: str) -> str:
    """Return one printable line as the emitter writes it: plain, else single-quoted."""
    if text and _plain_allowed(text):
        return text
    return "'" + text.replace("'", "''") + "'"


def _literal(text: str, indent: int) -> str:
    """Return multi-line text as the emitter's literal block, its lines at `indent`."""
    lines = text.split("\n")
    # Other shapes need a chomping or indentation indicator, or are not written as a block.
    if lines[0][:1] in ("", " ") or not lines[-1] or text.endswith(" ") or " \n" in text:
        raise _NeedsPyYAML
    pad = " " * indent
    return "|-\n" + "".join(f"{pad}{line}\n" if line else "\n" for line in lines)


def _scalar(text: str, indent: int) -> str:
    """Return a string value and its line break; block lines go at `indent`."""
    if len(text) > _MAX_TEXT or not _PRINTABLE.fullmatch(text.replace("\n", " ")):
        raise _NeedsPyYAML
    if "\n" in text:
        return _literal(text, indent)
    return _line(text) + "\n"


def _key(key: object) -> str:
    """Return a mapping key written plain, as every key of the glossary format is."""
    if not isinstance(key, str) or not key or len(key) >= 128 or not _PRINTABLE.fullmatch(key):
        raise _NeedsPyYAML
    if not _plain_allowed(key):
        raise _NeedsPyYAML
    return key


def _mapping(data: dict[Any, Any], indent: int, out: list[str]) -> None:
    """Append a block mapping that follows a "- ": its first key inline, the rest at `indent`."""
    if not data:
        raise _NeedsPyYAML
    for position, (key, value) in enumerate(data.items()):
        prefix = " " * indent if position else ""
        name = _key(key)
        if isinstance(value, bool):
            out.append(f"{prefix}{name}: {'true' if value else 'false'}\n")
        elif isinstance(value, str):
            out.append(f"{prefix}{name}: {_scalar(value, indent + 2)}")
        elif isinstance(value, list) and not value:
            out.append(f"{prefix}{name}: []\n")
        elif isinstance(value, list):
            out.append(f"{prefix}{name}:\n")
            _sequence(value, indent + 2, out)
        else:  # the format nests mappings only in lists
            raise _NeedsPyYAML


def _sequence(items: list[Any], indent: int, out: list[str]) -> None:
    """Append a non-empty block sequence whose dashes are at `indent`."""
    pad = " " * indent
    for item in items:
        if isinstance(item, str):
            out.append(f"{pad}- {_scalar(item, indent + 2)}")
        elif isinstance(item, dict):
            out.append(f"{pad}- ")
            _mapping(item, indent + 2, out)
        else:
            raise _NeedsPyYAML


def block_item(data: dict[str, Any], indent: int) -> str | None:
    """Return a mapping as an item of a block sequence whose dashes are at `indent`.

    None when something in it is not handled here: PyYAML must write the item.
    """
    out: list[str] = []
    try:
        _sequence([data], indent, out)
    except _NeedsPyYAML:
        return None
    return "".join(out)
