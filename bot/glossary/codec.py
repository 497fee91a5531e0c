"""Convert entries to and from plain dicts: the shape of data/glossary.yaml and of stored JSON.

`entry_from_dict` expects data that `bot.glossary.schema.validate_entry_dict` accepted;
`entry_to_dict` emits keys in a fixed order so export -> import -> export is byte-identical.
"""

from __future__ import annotations

from typing import Any

from bot.glossary.models import (
    Block,
    Bullet,
    Bullets,
    Entry,
    Examples,
    Link,
    Note,
    Paragraph,
    ProsCons,
    Steps,
)


def bullet_to_data(bullet: Bullet) -> str | dict[str, Any]:
    """Return a bullet as a plain string, or a mapping when it has examples or children."""
    if not bullet.examples and not bullet.children:
        return bullet.text
    data: dict[str, Any] = {"text": bullet.text}
    if bullet.examples:
        data["examples"] = list(bullet.examples)
    if bullet.children:
        data["items"] = [bullet_to_data(child) for child in bullet.children]
    return data


def bullet_from_data(data: str | dict[str, Any]) -> Bullet:
    """Return the bullet described by a string or mapping."""
    if isinstance(data, str):
        return Bullet(data)
    return Bullet(
        text=data["text"],
        examples=tuple(data.get("examples") or ()),
        children=tuple(bullet_from_data(item) for item in data.get("items") or ()),
    )


def block_to_data(block: Block) -> dict[str, Any]:
    """Return one body block as a mapping."""
    match block:
        case Paragraph(text):
            return {"paragraph": text}
        case Bullets(items):
            return {"bullets": [bullet_to_data(item) for item in items]}
        case Steps(items, title):
            return {"title": title, "steps": list(items)} if title else {"steps": list(items)}
        case Examples(items):
            return {"examples": list(items)}
        case Note(label, text):
            return {"label": label, "note": text}
        case ProsCons(pros, cons, intro):
            data: dict[str, Any] = {"intro": intro} if intro else {}
            data["pros"] = list(pros)
            data["cons"] = list(cons)
            return data
    raise TypeError(f"unknown block type {type(block).__name__}")


def block_from_data(data: dict[str, Any]) -> Block:
    """Return the block described by a mapping; the type is named by its main key."""
    if "paragraph" in data:
        return Paragraph(data["paragraph"])
    if "bullets" in data:
        return Bullets(tuple(bullet_from_data(item) for item in data["bullets"]))
    if "steps" in data:
        return Steps(tuple(data["steps"]), data.get("title") or "")
    if "examples" in data:
        return Examples(tuple(data["examples"]))
    if "note" in data:
        return Note(data.get("label") or "", data["note"])
    if "pros" in data or "cons" in data:
        return ProsCons(
            tuple(data.get("pros") or ()), tuple(data.get("cons") or ()), data.get("intro") or ""
        )
    raise ValueError(f"unknown block with keys {sorted(data)}")


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
