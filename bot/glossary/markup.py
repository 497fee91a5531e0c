"""Read and write the definition syntax moderators type into a Discord modal.

The syntax is documented in docs/definition-syntax.md; `parse_definition` and
`format_definition` are inverses for every body whose texts are stripped, single-line
(paragraph and note text may hold line breaks, but no blank lines) and whose note labels
contain no ": ".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from bot.glossary.models import (
    Block,
    Bullet,
    Bullets,
    Examples,
    Note,
    Paragraph,
    ProsCons,
    Steps,
    ValidationError,
)
from bot.glossary.schema import MAX_DEPTH

_BULLET = re.compile(r"[-*•](?:\s+(.*))?")
_PLUS = re.compile(r"\+(?:\s+(.*))?")
_STEP = re.compile(r"\d{1,3}[.)](?:\s+(.*))?")
_TITLE = re.compile(r"#{1,3}(?:\s+(.*))?")
_NOTE = re.compile(r">\s?(.*)")
_EXAMPLE = re.compile(r"e\.g\.(?:\s+(.*))?", re.IGNORECASE)
_PROS_CONS = re.compile(r"pros\s*(?:&|and)\s*cons:?", re.IGNORECASE)
_PROS = re.compile(r"pros:", re.IGNORECASE)
_CONS = re.compile(r"cons:", re.IGNORECASE)
_LABEL = re.compile(r"(.*?):(?:\s+(.*)|$)")

# Order matters: "Pros & Cons" before the bullet pattern, since none overlap it is cosmetic.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("pros_cons", _PROS_CONS),
    ("pros", _PROS),
    ("cons", _CONS),
    ("bullet", _BULLET),
    ("plus", _PLUS),
    ("step", _STEP),
    ("title", _TITLE),
    ("note", _NOTE),
    ("example", _EXAMPLE),
)


@dataclass(frozen=True, slots=True)
class _Line:
    """One non-blank input line, classified."""

    number: int
    indent: int
    kind: str
    text: str


@dataclass(slots=True)
class _Node:
    """A bullet under construction."""

    text: str
    examples: list[str] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)

    def freeze(self) -> Bullet:
        """Return the finished bullet."""
        return Bullet(self.text, tuple(self.examples), tuple(c.freeze() for c in self.children))


def _classify(content: str) -> tuple[str, str]:
    """Return (kind, text) of a stripped line; a leading backslash forces plain text."""
    if content.startswith("\\"):
        return "plain", content[1:]
    for kind, pattern in _KINDS:
        match = pattern.fullmatch(content)
        if match:
            groups = match.groups()
            return kind, (groups[0] or "").strip() if groups else ""
    return "plain", content


def _read_lines(text: str) -> list[_Line | None]:
    """Split text into classified lines; None marks a blank line."""
    lines: list[_Line | None] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        content = raw.strip()
        if not content:
            lines.append(None)
            continue
        leading = raw[: len(raw) - len(raw.lstrip())]
        # A tab is one nesting level, as two spaces are.
        indent = sum(2 if char == "\t" else 1 for char in leading)
        kind, body = _classify(content)
        lines.append(_Line(number, indent, kind, body))
    return lines


class _Parser:
    """Turn classified lines into blocks, collecting every problem."""

    def __init__(self, text: str) -> None:
        self.lines = _read_lines(text)
        self.pos = 0
        self.problems: list[str] = []

    def problem(self, line: _Line, message: str) -> None:
        """Record a problem on a line."""
        self.problems.append(f"line {line.number}: {message}")

    def peek(self) -> _Line | None:
        """Return the current line, or None at a blank line or the end."""
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def blocks(self) -> Iterator[Block]:
        """Yield every block of the text."""
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if line is None:
                self.pos += 1
                continue
            block = self.block(line)
            if block is not None:
                yield block

    def block(self, line: _Line) -> Block | None:
        """Read the block starting at line."""
        match line.kind:
            case "plain":
                return Paragraph("\n".join(self.texts("plain")))
            case "bullet":
                return self.bullets()
            case "example":
                examples = self.texts("example", what="example")
                return Examples(tuple(examples)) if examples else None
            case "title" | "step":
                return self.steps()
            case "note":
                return self.note()
            case "pros_cons" | "pros" | "cons":
                return self.pros_cons()
            case _:
                self.problem(line, "'+' items belong under a 'Pros:' heading")
                self.pos += 1
                return None

    def texts(self, kind: str, *, what: str = "") -> list[str]:
        """Consume consecutive lines of one kind and return their texts."""
        texts: list[str] = []
        while (line := self.peek()) is not None and line.kind == kind:
            if not line.text and what:
                self.problem(line, f"this {what} is empty")
            else:
                texts.append(line.text)
            self.pos += 1
        return texts

    def bullets(self) -> Bullets | None:
        """Read a bullet list with nested bullets and examples."""
        roots: list[_Node] = []
        path: list[tuple[int, _Node]] = []
        while (line := self.peek()) is not None:
            if line.kind == "bullet":
                while path and path[-1][0] >= line.indent:
                    path.pop()
                if not line.text:
                    self.problem(line, "this bullet is empty")
                elif len(path) >= MAX_DEPTH:
                    self.problem(
                        line, f"bullets nest at most {MAX_DEPTH} levels deep; indent this one less"
                    )
                else:
                    node = _Node(line.text)
                    (path[-1][1].children if path else roots).append(node)
                    path.append((line.indent, node))
            elif line.kind == "example" and any(indent < line.indent for indent, _ in path):
                owner = next(node for indent, node in reversed(path) if indent < line.indent)
                if line.text:
                    owner.examples.append(line.text)
                else:
                    self.problem(line, "this example is empty")
            elif line.kind == "plain" and line.indent > 0:
                self.problem(
                    line,
                    "indented text under a bullet must start with '- ' (a nested bullet) "
                    "or 'e.g. ' (an example); leave a blank line before a new paragraph",
                )
            else:
                break
            self.pos += 1
        return Bullets(tuple(node.freeze() for node in roots)) if roots else None

    def steps(self) -> Steps | None:
        """Read numbered steps, with an optional '## Title' line first."""
        title = ""
        first = self.peek()
        if first is not None and first.kind == "title":
            title = first.text
            self.pos += 1
            following = self.peek()
            if following is None or following.kind != "step":
                self.problem(first, "a '## title' must be followed directly by numbered steps")
                return None
        items = self.texts("step", what="step")
        return Steps(tuple(items), title) if items else None

    def note(self) -> Note | None:
        """Read a note: '> Label: text', continued by further '>' lines."""
        first = self.peek()
        assert first is not None
        lines = self.texts("note")
        match = _LABEL.fullmatch(lines[0])
        label, lines[0] = (match[1].strip(), match[2] or "") if match else ("", lines[0])
        text = "\n".join(lines).strip()
        if not text:
            self.problem(first, "this note has no text after its label")
            return None
        return Note(label, text)

    def pros_cons(self) -> ProsCons | None:
        """Read 'Pros & Cons', an optional intro, then 'Pros:' and 'Cons:' with their items."""
        start = self.peek()
        assert start is not None
        intro: list[str] = []
        if start.kind == "pros_cons":
            self.pos += 1
            intro = self.texts("plain")
        sections: dict[str, list[str]] = {}
        while (heading := self.peek()) is not None and heading.kind in ("pros", "cons"):
            self.pos += 1
            if heading.kind in sections:
                self.problem(heading, f"'{heading.kind.title()}:' appears twice in one block")
            items = sections.setdefault(heading.kind, [])
            count = len(items)
            while (line := self.peek()) is not None and line.kind in ("plus", "bullet"):
                if line.text:
                    items.append(line.text)
                else:
                    self.problem(line, "this item is empty")
                self.pos += 1
            if len(items) == count:
                self.problem(heading, f"'{heading.kind.title()}:' has no items (+ item / - item)")
        if not sections:
            self.problem(start, "'Pros & Cons' must be followed by 'Pros:' or 'Cons:' headings")
            return None
        pros, cons = sections.get("pros", []), sections.get("cons", [])
        if not pros and not cons:
            return None
        return ProsCons(tuple(pros), tuple(cons), "\n".join(intro))


def parse_definition(text: str) -> tuple[Block, ...]:
    """Return the body blocks written in text; raise ValidationError listing each problem."""
    parser = _Parser(text)
    blocks = tuple(parser.blocks())
    if parser.problems:
        raise ValidationError(
            "The definition has formatting problems; see docs/definition-syntax.md.",
            problems=parser.problems,
        )
    return blocks


def _plain(line: str) -> str:
    """Return a text line, escaped when it would otherwise read as syntax."""
    return "\\" + line if _classify(line) != ("plain", line) else line


def _format_bullet(bullet: Bullet) -> Iterator[str]:
    """Yield the lines of one bullet, its examples and its children."""
    for depth, item in bullet.walk():
        pad = "  " * depth
        yield f"{pad}- {item.text}"
        yield from (f"{pad}  e.g. {example}" for example in item.examples)


def _format_block(block: Block) -> Iterator[str]:
    """Yield the lines of one block."""
    match block:
        case Paragraph(text):
            yield from (_plain(line) for line in text.split("\n"))
        case Bullets(items):
            for item in items:
                yield from _format_bullet(item)
        case Steps(items, title):
            if title:
                yield f"## {title}"
            yield from (f"{number}. {item}" for number, item in enumerate(items, 1))
        case Examples(items):
            yield from (f"e.g. {item}" for item in items)
        case Note(label, text):
            first, *rest = text.split("\n")
            if label or _LABEL.fullmatch(first):
                first = f"{label}: {first}"
            yield f"> {first}".rstrip()
            yield from (f"> {line}".rstrip() for line in rest)
        case ProsCons(pros, cons, intro):
            yield "Pros & Cons"
            if intro:
                yield from (_plain(line) for line in intro.split("\n"))
            if pros:
                yield "Pros:"
                yield from (f"+ {item}" for item in pros)
            if cons:
                yield "Cons:"
                yield from (f"- {item}" for item in cons)
        case _:
            raise TypeError(f"unknown block type {type(block).__name__}")


def format_definition(body: Iterable[Block]) -> str:
    """Return body written in the definition syntax; parse_definition reads it back."""
    return "\n\n".join("\n".join(_format_block(block)) for block in body)
