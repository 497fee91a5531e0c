"""Convert entries to and from plain dicts: the shape of data/glossary.yaml and of stored JSON.

`entry_from_dict` expects data that `bot.glossary.schema.validate_entry_dict` accepted;
`entry_to_dict` emits keys in a fixed order so export -> import -> export is byte-identical.
"""

from __future__ import annotations

from typing import Any

from bot.glossary.blocks import kind_of, kinds_named_in
from bot.glossary.models import Block, Entry, Link


def block_to_data(block: Block) -> dict[str, Any]:
    """Return one body block as a mapping."""
    return kind_of(block).to_data(block)


def block_from_data(data: dict[str, Any]) -> Block:
    """Return the block described by a mapping; the type is named by its main key."""
    kinds = kinds_named_in(data)
    if not kinds:
        raise ValueError(f"unknown block with keys {sorted(data)}")
    block: Block = kinds[0].from_data(data)
    return block


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    """Return the content of an entry (no store metadata) in canonical key order."""
    data: dict[str, Any] = {
        "key": entry.key,
        "term": entry.term,
        "aliases": list(entry.aliases),
        "summary": entry.summary,
        "category": entry.category,
        "related": list(entry.related),
    }
    if entry.links:
        data["links"] = [{"label": link.label, "url": link.url} for link in entry.links]
    if not entry.autoreply:
        data["autoreply"] = False
    data["body"] = [block_to_data(block) for block in entry.body]
    return data


def entry_from_dict(data: dict[str, Any], **metadata: Any) -> Entry:
    """Return the entry described by a validated mapping, with optional store metadata."""
    return Entry(
        key=data["key"],
        term=data["term"],
        summary=data["summary"],
        category=data.get("category") or "general",
        aliases=tuple(data.get("aliases") or ()),
        body=tuple(block_from_data(block) for block in data.get("body") or ()),
        related=tuple(data.get("related") or ()),
        links=tuple(Link(item["label"], item["url"]) for item in data.get("links") or ()),
        autoreply=bool(data.get("autoreply", True)),
        **metadata,
    )
