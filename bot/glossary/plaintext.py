"""Turn entries into Discord markdown pieces and into the plain text the CLI prints."""

from __future__ import annotations

from collections.abc import Iterable

from bot.glossary.blocks import kind_of
from bot.glossary.models import Block, Entry
from bot.glossary.summary import new_summary

# Largest summary + body markdown (see markdown_size) that bot.render always fits into one
# message: 6000 minus the term, the notice, the shortest footer and field-name overhead.
MARKDOWN_BUDGET = 5200


def body_markdown_parts(body: Iterable[Block]) -> list[tuple[str, str]]:
    """Return (name, markdown) per piece of body: name "" flows as text, else it is a field."""
    return [part for block in body for part in kind_of(block).embed_parts(block)]


def markdown_size(entry: Entry) -> int:
    """Return the characters the summary and body take in an embed, field names included."""
    parts = [("", entry.summary), *body_markdown_parts(entry.body)]
    return sum(len(name) + len(text) + 2 for name, text in parts)


def entry_text(entry: Entry, *, related_terms: dict[str, str] | None = None) -> str:
    """Return an entry as readable plain text: term, summary, body, aliases, related, links."""
    # As in Discord, the summary keeps only what the body does not already say.
    summary = new_summary(entry)
    sections = [f"{entry.term}\n{summary}" if summary else entry.term]
    sections.extend("\n".join(kind_of(block).text_lines(block)) for block in entry.body)
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
