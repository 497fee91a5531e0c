"""The line level of the definition syntax: what kind each typed line is, and a cursor over them.

Block kinds (bot.glossary.blocks) read their lines through `LineReader`; bot.glossary.markup
strings the blocks together. The syntax is documented in docs/definition-syntax.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BULLET = re.compile(r"[-*•](?:\s+(.*))?")
_PLUS = re.compile(r"\+(?:\s+(.*))?")
_STEP = re.compile(r"\d{1,3}[.)](?:\s+(.*))?")
_TITLE = re.compile(r"#{1,3}(?:\s+(.*))?")
_NOTE = re.compile(r">\s?(.*)")
_EXAMPLE = re.compile(r"e\.g\.(?:\s+(.*))?", re.IGNORECASE)
_PROS_CONS = re.compile(r"pros\s*(?:&|and)\s*cons:?", re.IGNORECASE)
_PROS = re.compile(r"pros:", re.IGNORECASE)
_CONS = re.compile(r"cons:", re.IGNORECASE)
# A note's "Label: text" first line.
LABEL = re.compile(r"(.*?):(?:\s+(.*)|$)")

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
class Line:
    """One non-blank input line, classified."""

    number: int
    indent: int
    kind: str
    text: str


def classify(content: str) -> tuple[str, str]:
    """Return (kind, text) of a stripped line; a leading backslash forces plain text."""
    if content.startswith("\\"):
        return "plain", content[1:]
    for kind, pattern in _KINDS:
        match = pattern.fullmatch(content)
        if match:
            groups = match.groups()
            return kind, (groups[0] or "").strip() if groups else ""
    return "plain", content


def plain(line: str) -> str:
    """Return a text line, escaped when it would otherwise read as syntax."""
    return "\\" + line if classify(line) != ("plain", line) else line


def read_lines(text: str) -> list[Line | None]:
    """Split text into classified lines; None marks a blank line."""
    lines: list[Line | None] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        content = raw.strip()
        if not content:
            lines.append(None)
            continue
        leading = raw[: len(raw) - len(raw.lstrip())]
        # A tab is one nesting level, as two spaces are.
        indent = sum(2 if char == "\t" else 1 for char in leading)
        kind, body = classify(content)
        lines.append(Line(number, indent, kind, body))
    return lines


class LineReader:
    """A cursor over classified lines that collects every problem it is told of."""

    def __init__(self, text: str) -> None:
        self.lines = read_lines(text)
        self.pos = 0
        self.problems: list[str] = []

    def problem(self, line: Line, message: str) -> None:
        """Record a problem on a line."""
        self.problems.append(f"line {line.number}: {message}")

    def peek(self) -> Line | None:
        """Return the current line, or None at a blank line or the end."""
        return self.lines[self.pos] if self.pos < len(self.lines) else None

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
