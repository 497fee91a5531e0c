"""Read and write the definition syntax moderators type into a Discord modal.

The syntax is documented in docs/definition-syntax.md; `parse_definition` and
`format_definition` are inverses for every body whose texts are stripped, single-line
(paragraph and note text may hold line breaks, but no blank lines) and whose note labels
contain no ": ".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bot.glossary.blocks import kind_of, kind_opened_by
from bot.glossary.models import Block, ValidationError
from bot.glossary.syntax import LineReader


def _blocks(reader: LineReader) -> Iterator[Block]:
    """Yield every block of the text, each read by the kind its first line opens."""
    while reader.pos < len(reader.lines):
        line = reader.lines[reader.pos]
        if line is None:
            reader.pos += 1
            continue
        kind = kind_opened_by(line.kind)
        if kind is None:
            reader.problem(line, "'+' items belong under a 'Pros:' heading")
            reader.pos += 1
            continue
        block: Block | None = kind.read(reader)
        if block is not None:
            yield block


def parse_definition(text: str) -> tuple[Block, ...]:
    """Return the body blocks written in text; raise ValidationError listing each problem."""
    reader = LineReader(text)
    blocks = tuple(_blocks(reader))
    if reader.problems:
        raise ValidationError(
            "The definition has formatting problems; see docs/definition-syntax.md.",
            problems=reader.problems,
        )
    return blocks


def format_definition(body: Iterable[Block]) -> str:
    """Return body written in the definition syntax; parse_definition reads it back."""
    return "\n\n".join("\n".join(kind_of(block).markup(block)) for block in body)
