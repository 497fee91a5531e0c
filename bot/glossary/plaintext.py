"""Turn entries into Discord markdown pieces and into the plain text the CLI prints."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from bot.glossary.models import (
    Block,
    Bullet,
    Bullets,
    Entry,
    Examples,
    Note,
    Paragraph,
    ProsCons,
    Steps,
)

PROS = "Pros"
CONS = "Cons"
PRO_MARK = "✅"
CON_MARK = "❌"
# Largest summary + body markdown (see markdown_size) that bot.render always fits into one
# message: 6000 minus the term, the notice, the shortest footer and field-name overhead.
MARKDOWN_BUDGET = 5200

# Lines Discord would turn into headings, subtext or a quote that swallows the message.
_LAYOUT_BREAKERS = re.compile(r"(#{1,3}|-#)\s|>>>")


def _guard(line: str) -> str:
    """Return a prose line, escaped only if Discord would restyle the rest of the layout."""
    return "\\" + line if _LAYOUT_BREAKERS.match(line) else line


def _prose(text: str) -> str:
    """Return multi-line prose with each line guarded."""
    return "\n".join(_guard(line) for line in text.split("\n"))


def code(text: str) -> str:
    """Return text as inline code, fenced so backticks inside cannot end it early."""
    if "`" not in text:
        return f"`{text}`"
    return f"`` {text} ``"


def _bullet_lines(bullet: Bullet) -> Iterator[str]:
    """Yield markdown lines of a bullet, its examples and its children."""
    for depth, item in bullet.walk():
        pad = "  " * depth
        yield f"{pad}- {item.text}"
        if item.examples:
            yield f"{pad}  - e.g. {', '.join(code(example) for example in item.examples)}"


def pros_markdown(items: Iterable[str]) -> str:
    """Return pros as one line each, marked with a check."""
    return "\n".join(f"{PRO_MARK} {item}" for item in items)


def cons_markdown(items: Iterable[str]) -> str:
    """Return cons as one line each, marked with a cross."""
    return "\n".join(f"{CON_MARK} {item}" for item in items)


def block_markdown(block: Block) -> str:
    """Return one block as Discord markdown; pros/cons become marked lines under headings."""
    match block:
        case Paragraph(text):
            return _prose(text)
        case Bullets(items):
            return "\n".join(line for item in items for line in _bullet_lines(item))
        case Steps(items, title):
            steps = "\n".join(f"{number}. {item}" for number, item in enumerate(items, 1))
            return f"**{title}**\n{steps}" if title else steps
        case Examples(items):
            return "\n".join(code(item) for item in items)
        case Note(label, text):
            return f"**{label.rstrip(':')}:** {_prose(text)}" if label else _prose(text)
        case ProsCons():
            return "\n\n".join(text for _, text in _pros_cons_parts(block, headed=True))
    raise TypeError(f"unknown block type {type(block).__name__}")


def _pros_cons_parts(block: ProsCons, *, headed: bool = False) -> Iterator[tuple[str, str]]:
    """Yield the intro as flow text, then the pros and the cons as named parts."""
    if block.intro:
        yield "", _prose(block.intro)
    for name, text in ((PROS, pros_markdown(block.pros)), (CONS, cons_markdown(block.cons))):
        if text:
            yield name, f"**{name}**\n{text}" if headed else text


def body_markdown_parts(body: Iterable[Block]) -> list[tuple[str, str]]:
    """Return (name, markdown) per piece of body: name "" flows as text, else it is a field."""
    parts: list[tuple[str, str]] = []
    for block in body:
        if isinstance(block, ProsCons):
            parts.extend(_pros_cons_parts(block))
        else:
            parts.append(("", block_markdown(block)))
    return parts


def markdown_size(entry: Entry) -> int:
    """Return the characters the summary and body take in an embed, field names included."""
    parts = [("", entry.summary), *body_markdown_parts(entry.body)]
    return sum(len(name) + len(text) + 2 for name, text in parts)


def _plain_bullet(bullet: Bullet) -> Iterator[str]:
    """Yield plain-text lines of a bullet tree."""
    for depth, item in bullet.walk():
        pad = "  " * depth
        yield f"{pad}- {item.text}"
        yield from (f"{pad}    e.g. {example}" for example in item.examples)


def _plain_block(block: Block) -> Iterator[str]:
    """Yield plain-text lines of one block."""
    match block:
        case Paragraph(text):
            yield from text.split("\n")
        case Bullets(items):
            for item in items:
                yield from _plain_bullet(item)
        case Steps(items, title):
            if title:
                yield title
            yield from (f"  {number}. {item}" for number, item in enumerate(items, 1))
        case Examples(items):
            yield from (f"  e.g. {item}" for item in items)
        case Note(label, text):
            first, *rest = text.split("\n")
            yield f"{label.rstrip(':')}: {first}" if label else first
            yield from rest
        case ProsCons(pros, cons, intro):
            yield "Pros & Cons"
            if intro:
                yield from (f"  {line}" for line in intro.split("\n"))
            yield from (f"  + {item}" for item in pros)
            yield from (f"  - {item}" for item in cons)
        case _:
            raise TypeError(f"unknown block type {type(block).__name__}")


def entry_text(entry: Entry, *, related_terms: dict[str, str] | None = None) -> str:
    """Return an entry as readable plain text: term, summary, body, aliases, related, links."""
    sections = [f"{entry.term}\n{entry.summary}"]
    sections.extend("\n".join(_plain_block(block)) for block in entry.body)
    footer: list[str] = []
    if entry.aliases:
        footer.append(f"Also known as: {', '.join(entry.aliases)}")
    if entry.related:
        names = [(related_terms or {}).get(key, key) for key in entry.related]
        footer.append(f"Related: {', '.join(names)}")
    footer.extend(f"Link: {link.label} <{link.url}>" for link in entry.links)
    if footer:
        sections.append("\n".join(footer))
    return "\n\n".join(sections) + "\n"
