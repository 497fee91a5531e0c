"""Each kind of body block, defined once: data shape, checks, definition syntax, markdown, text.

A kind is one `BlockKind` in `KINDS`; codec, schema, markup, plaintext and diff loop over
that registry, so adding a block type means a dataclass in models and a kind here.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from bot.glossary.models import (
    Block,
    Bullet,
    Bullets,
    Examples,
    Note,
    Paragraph,
    ProsCons,
    Steps,
)
from bot.glossary.syntax import LABEL, LineReader, plain

# Characters in one paragraph, bullet, step, note or other piece of a block.
TEXT_MAX = 1000
# Items in one list of a block: bullets at one level, steps, examples, pros, cons.
MAX_ITEMS = 30
# Bullet nesting levels, counting the outermost.
MAX_DEPTH = 3

PROS = "Pros"
CONS = "Cons"
PRO_MARK = "✅"
CON_MARK = "❌"

# Lines Discord would turn into headings, subtext or a quote that swallows the message.
_LAYOUT_BREAKERS = re.compile(r"(#{1,3}|-#)\s|>>>")
_BULLET_FIELDS = frozenset({"text", "examples", "items"})

B = TypeVar("B", bound=Block)


class Check(Protocol):
    """The problem collector of bot.glossary.schema, as block kinds use it."""

    def add(self, message: str) -> None:
        """Record one problem."""

    def text(
        self,
        value: object,
        field: str,
        limit: int,
        *,
        multiline: bool = False,
        optional: bool = False,
        counted: bool = False,
    ) -> str | None:
        """Check one text value; return it when it is a non-blank string."""

    def sequence(
        self, value: object, field: str, limit: int, *, non_empty: bool = False
    ) -> list[Any]:
        """Check that value is a list of at most limit items; return it or []."""

    def describe(self, value: object) -> str:
        """Return a short human name for the type of a YAML value."""


# --- shared pieces ----------------------------------------------------------------------------


def code(text: str) -> str:
    """Return text as inline code, fenced so backticks inside cannot end it early."""
    if "`" not in text:
        return f"`{text}`"
    return f"`` {text} ``"


def _guard(line: str) -> str:
    """Return a prose line, escaped only if Discord would restyle the rest of the layout."""
    return "\\" + line if _LAYOUT_BREAKERS.match(line) else line


def _prose(text: str) -> str:
    """Return multi-line prose with each line guarded."""
    return "\n".join(_guard(line) for line in text.split("\n"))


def _numbered(items: Iterable[str], pad: str = "") -> Iterator[str]:
    """Return items as "1. item" lines."""
    return (f"{pad}{number}. {item}" for number, item in enumerate(items, 1))


def _each_example(prefix: str) -> Callable[[tuple[str, ...]], Iterator[str]]:
    """Return a function that writes each example of a bullet on its own line."""
    return lambda examples: (f"{prefix}e.g. {example}" for example in examples)


def _code_examples(examples: tuple[str, ...]) -> Iterator[str]:
    """Yield a bullet's examples as one line of inline code."""
    if examples:
        yield f"  - e.g. {', '.join(code(example) for example in examples)}"


def _bullet_lines(
    items: Iterable[Bullet], mark: str, examples: Callable[[tuple[str, ...]], Iterator[str]]
) -> Iterator[str]:
    """Yield each bullet as "mark text", two spaces deeper per level, then its example lines."""
    for item in items:
        for depth, bullet in item.walk():
            pad = "  " * depth
            yield f"{pad}{mark} {bullet.text}"
            yield from (pad + line for line in examples(bullet.examples))


def _check_texts(check: Check, value: object, field: str, *, non_empty: bool = True) -> None:
    """Check a list of counted body texts (steps, examples, pros, cons)."""
    for index, item in enumerate(check.sequence(value, field, MAX_ITEMS, non_empty=non_empty)):
        check.text(item, f"{field}[{index}]", TEXT_MAX, counted=True)


def _check_bullet(check: Check, value: object, field: str, depth: int) -> None:
    """Check one bullet (text or mapping) and its children."""
    if isinstance(value, str):
        check.text(value, field, TEXT_MAX, counted=True)
        return
    if not isinstance(value, dict):
        check.add(f"{field} must be text or a mapping with 'text', not {check.describe(value)}")
        return
    for name in sorted(set(map(str, value)) - _BULLET_FIELDS):
        check.add(f"{field} has unknown field '{name}' (allowed: text, examples, items)")
    if "text" not in value:
        check.add(f"{field} is missing 'text'")
    else:
        check.text(value["text"], f"{field}.text", TEXT_MAX, counted=True)
    if "examples" in value:
        _check_texts(check, value["examples"], f"{field}.examples")
    if "items" in value:
        children = check.sequence(value["items"], f"{field}.items", MAX_ITEMS, non_empty=True)
        if children and depth >= MAX_DEPTH:
            check.add(f"{field}.items: bullets are nested deeper than {MAX_DEPTH} levels")
            return
        for index, child in enumerate(children):
            _check_bullet(check, child, f"{field}.items[{index}]", depth + 1)


def _check_decoration(check: Check, data: dict[str, Any], name: str, field: str) -> None:
    """Check an optional single-line text such as a title; empty is allowed."""
    # Empty decorations are allowed: an unlabelled note is stored with `label: ''`.
    if name in data:
        check.text(data[name], f"{field}.{name}", TEXT_MAX, optional=True, counted=True)


# --- the kinds --------------------------------------------------------------------------------


class BlockKind(ABC, Generic[B]):
    """Everything about one kind of block: stored shape, checks, syntax, markdown and text."""

    # What problems call the kind, the dataclass it builds, the mapping keys it needs (any
    # one of them names the kind), the keys it may have besides, and the lines that open it.
    name: str
    block_type: type[B]
    keys: frozenset[str]
    optional: frozenset[str] = frozenset()
    opens: frozenset[str]

    @abstractmethod
    def to_data(self, block: B) -> dict[str, Any]:
        """Return the block as a mapping in canonical key order."""

    @abstractmethod
    def from_data(self, data: dict[str, Any]) -> B:
        """Return the block described by a mapping that `check` accepted."""

    @abstractmethod
    def check(self, check: Check, data: dict[str, Any], field: str) -> None:
        """Check those of this kind's keys that data holds."""

    @abstractmethod
    def read(self, reader: LineReader) -> B | None:
        """Read the block at the reader's line, which is one of `opens`; None if it is empty."""

    @abstractmethod
    def markup(self, block: B) -> Iterator[str]:
        """Yield the block's lines in the definition syntax; `read` reads them back."""

    @abstractmethod
    def markdown(self, block: B) -> str:
        """Return the block as Discord markdown."""

    def embed_parts(self, block: B) -> Iterator[tuple[str, str]]:
        """Yield (field name, markdown) pieces; name "" flows as text."""
        yield "", self.markdown(block)

    @abstractmethod
    def text_lines(self, block: B) -> Iterator[str]:
        """Yield the block as plain text lines for a terminal."""

    @abstractmethod
    def diff_lines(self, block: B) -> Iterator[str]:
        """Yield the block as lines to compare, one idea per line."""


class ParagraphKind(BlockKind[Paragraph]):
    """Prose; line breaks kept."""

    name = "paragraph"
    block_type = Paragraph
    keys = frozenset({"paragraph"})
    opens = frozenset({"plain"})

    def to_data(self, block: Paragraph) -> dict[str, Any]:
        """Return {paragraph: text}."""
        return {"paragraph": block.text}

    def from_data(self, data: dict[str, Any]) -> Paragraph:
        """Return the paragraph of {paragraph: text}."""
        return Paragraph(data["paragraph"])

    def check(self, check: Check, data: dict[str, Any], field: str) -> None:
        """Check the paragraph text."""
        if "paragraph" in data:
            check.text(
                data["paragraph"], f"{field}.paragraph", TEXT_MAX, multiline=True, counted=True
            )

    def read(self, reader: LineReader) -> Paragraph:
        """Read consecutive plain lines."""
        return Paragraph("\n".join(reader.texts("plain")))

    def markup(self, block: Paragraph) -> Iterator[str]:
        """Yield each line, escaped where it would read as syntax."""
        return (plain(line) for line in block.text.split("\n"))

    def markdown(self, block: Paragraph) -> str:
        """Return the guarded prose."""
        return _prose(block.text)

    def text_lines(self, block: Paragraph) -> Iterator[str]:
        """Yield each line."""
        return iter(block.text.split("\n"))

    def diff_lines(self, block: Paragraph) -> Iterator[str]:
        """Yield each non-blank line."""
        return (line for line in block.text.splitlines() if line.strip())


@dataclass(slots=True)
class _Node:
    """A bullet under construction."""

    text: str
    examples: list[str] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)

    def freeze(self) -> Bullet:
        """Return the finished bullet."""
        return Bullet(self.text, tuple(self.examples), tuple(c.freeze() for c in self.children))


def _bullet_to_data(bullet: Bullet) -> str | dict[str, Any]:
    """Return a bullet as a plain string, or a mapping when it has examples or children."""
    if not bullet.examples and not bullet.children:
        return bullet.text
    data: dict[str, Any] = {"text": bullet.text}
    if bullet.examples:
        data["examples"] = list(bullet.examples)
    if bullet.children:
        data["items"] = [_bullet_to_data(child) for child in bullet.children]
    return data


def _bullet_from_data(data: str | dict[str, Any]) -> Bullet:
    """Return the bullet described by a string or mapping."""
    if isinstance(data, str):
        return Bullet(data)
    return Bullet(
        text=data["text"],
        examples=tuple(data.get("examples") or ()),
        children=tuple(_bullet_from_data(item) for item in data.get("items") or ()),
    )


class BulletsKind(BlockKind[Bullets]):
    """A bullet list whose items may nest and carry examples."""

    name = "bullets"
    block_type = Bullets
    keys = frozenset({"bullets"})
    opens = frozenset({"bullet"})

    def to_data(self, block: Bullets) -> dict[str, Any]:
        """Return {bullets: [...]}, each bullet a string or {text, examples, items}."""
        return {"bullets": [_bullet_to_data(item) for item in block.items]}

    def from_data(self, data: dict[str, Any]) -> Bullets:
        """Return the list of {bullets: [...]}."""
        return Bullets(tuple(_bullet_from_data(item) for item in data["bullets"]))

    def check(self, check: Check, data: dict[str, Any], field: str) -> None:
        """Check every bullet, its examples and its children."""
        if "bullets" in data:
            items = check.sequence(data["bullets"], f"{field}.bullets", MAX_ITEMS, non_empty=True)
            for index, item in enumerate(items):
                _check_bullet(check, item, f"{field}.bullets[{index}]", 1)

    def read(self, reader: LineReader) -> Bullets | None:
        """Read a bullet list with nested bullets and examples."""
        roots: list[_Node] = []
        path: list[tuple[int, _Node]] = []
        while (line := reader.peek()) is not None:
            if line.kind == "bullet":
                while path and path[-1][0] >= line.indent:
                    path.pop()
                if not line.text:
                    reader.problem(line, "this bullet is empty")
                elif len(path) >= MAX_DEPTH:
                    reader.problem(
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
                    reader.problem(line, "this example is empty")
            elif line.kind == "plain" and line.indent > 0:
                reader.problem(
                    line,
                    "indented text under a bullet must start with '- ' (a nested bullet) "
                    "or 'e.g. ' (an example); leave a blank line before a new paragraph",
                )
            else:
                break
            reader.pos += 1
        return Bullets(tuple(node.freeze() for node in roots)) if roots else None

    def markup(self, block: Bullets) -> Iterator[str]:
        """Yield "- text" lines, nested by indentation, with "e.g." lines under them."""
        return _bullet_lines(block.items, "-", _each_example("  "))

    def markdown(self, block: Bullets) -> str:
        """Return a markdown list with each bullet's examples as code on one line."""
        return "\n".join(_bullet_lines(block.items, "-", _code_examples))

    def text_lines(self, block: Bullets) -> Iterator[str]:
        """Yield "- text" lines with examples indented under them."""
        return _bullet_lines(block.items, "-", _each_example("    "))

    def diff_lines(self, block: Bullets) -> Iterator[str]:
        """Yield "• text" lines with "e.g." lines under them."""
        return _bullet_lines(block.items, "•", _each_example("  "))


class StepsKind(BlockKind[Steps]):
    """Numbered steps with an optional title."""

    name = "steps"
    block_type = Steps
    keys = frozenset({"steps"})
    optional = frozenset({"title"})
    opens = frozenset({"title", "step"})

    def to_data(self, block: Steps) -> dict[str, Any]:
        """Return {title, steps}, leaving out an empty title."""
        steps = list(block.items)
        return {"title": block.title, "steps": steps} if block.title else {"steps": steps}

    def from_data(self, data: dict[str, Any]) -> Steps:
        """Return the steps of {title, steps}."""
        return Steps(tuple(data["steps"]), data.get("title") or "")

    def check(self, check: Check, data: dict[str, Any], field: str) -> None:
        """Check each step and the title."""
        if "steps" in data:
            _check_texts(check, data["steps"], f"{field}.steps")
        _check_decoration(check, data, "title", field)

    def read(self, reader: LineReader) -> Steps | None:
        """Read numbered steps, with an optional '## Title' line first."""
        title = ""
        first = reader.peek()
        if first is not None and first.kind == "title":
            title = first.text
            reader.pos += 1
            following = reader.peek()
            if following is None or following.kind != "step":
                reader.problem(first, "a '## title' must be followed directly by numbered steps")
                return None
        items = reader.texts("step", what="step")
        return Steps(tuple(items), title) if items else None

    def markup(self, block: Steps) -> Iterator[str]:
        """Yield "## Title" and "1. step" lines."""
        if block.title:
            yield f"## {block.title}"
        yield from _numbered(block.items)

    def markdown(self, block: Steps) -> str:
        """Return a numbered list under a bold title."""
        steps = "\n".join(_numbered(block.items))
        return f"**{block.title}**\n{steps}" if block.title else steps

    def text_lines(self, block: Steps) -> Iterator[str]:
        """Yield the title and indented numbered steps."""
        if block.title:
            yield block.title
        yield from _numbered(block.items, "  ")

    def diff_lines(self, block: Steps) -> Iterator[str]:
        """Yield "Title:" and numbered steps."""
        if block.title:
            yield f"{block.title}:"
        yield from _numbered(block.items)


class ExamplesKind(BlockKind[Examples]):
    """Literal examples, shown as code."""

    name = "examples"
    block_type = Examples
    keys = frozenset({"examples"})
    opens = frozenset({"example"})

    def to_data(self, block: Examples) -> dict[str, Any]:
        """Return {examples: [...]}."""
        return {"examples": list(block.items)}

    def from_data(self, data: dict[str, Any]) -> Examples:
        """Return the examples of {examples: [...]}."""
        return Examples(tuple(data["examples"]))

    def check(self, check: Check, data: dict[str, Any], field: str) -> None:
        """Check each example."""
        if "examples" in data:
            _check_texts(check, data["examples"], f"{field}.examples")

    def read(self, reader: LineReader) -> Examples | None:
        """Read consecutive "e.g." lines."""
        examples = reader.texts("example", what="example")
        return Examples(tuple(examples)) if examples else None

    def markup(self, block: Examples) -> Iterator[str]:
        """Yield "e.g. example" lines."""
        return (f"e.g. {item}" for item in block.items)

    def markdown(self, block: Examples) -> str:
        """Return one line of inline code per example."""
        return "\n".join(code(item) for item in block.items)

    def text_lines(self, block: Examples) -> Iterator[str]:
        """Yield indented "e.g." lines."""
        return (f"  e.g. {item}" for item in block.items)

    def diff_lines(self, block: Examples) -> Iterator[str]:
        """Yield "example:" lines."""
        return (f"example: {item}" for item in block.items)


class NoteKind(BlockKind[Note]):
    """A remark with an optional label."""

    name = "note"
    block_type = Note
    keys = frozenset({"note"})
    optional = frozenset({"label"})
    opens = frozenset({"note"})

    def to_data(self, block: Note) -> dict[str, Any]:
        """Return {label, note}; an unlabelled note keeps an empty label."""
        return {"label": block.label, "note": block.text}

    def from_data(self, data: dict[str, Any]) -> Note:
        """Return the note of {label, note}."""
        return Note(data.get("label") or "", data["note"])

    def check(self, check: Check, data: dict[str, Any], field: str) -> None:
        """Check the note text and label."""
        if "note" in data:
            check.text(data["note"], f"{field}.note", TEXT_MAX, multiline=True, counted=True)
        _check_decoration(check, data, "label", field)

    def read(self, reader: LineReader) -> Note | None:
        """Read a note: '> Label: text', continued by further '>' lines."""
        first = reader.peek()
        assert first is not None
        lines = reader.texts("note")
        match = LABEL.fullmatch(lines[0])
        label, lines[0] = (match[1].strip(), match[2] or "") if match else ("", lines[0])
        text = "\n".join(lines).strip()
        if not text:
            reader.problem(first, "this note has no text after its label")
            return None
        return Note(label, text)

    def markup(self, block: Note) -> Iterator[str]:
        """Yield "> Label: text" and one "> " line per further line."""
        first, *rest = block.text.split("\n")
        if block.label or LABEL.fullmatch(first):
            first = f"{block.label}: {first}"
        yield f"> {first}".rstrip()
        yield from (f"> {line}".rstrip() for line in rest)

    def markdown(self, block: Note) -> str:
        """Return the text after a bold label."""
        if block.label:
            return f"**{block.label.rstrip(':')}:** {_prose(block.text)}"
        return _prose(block.text)

    def text_lines(self, block: Note) -> Iterator[str]:
        """Yield "Label: text" and the further lines."""
        first, *rest = block.text.split("\n")
        yield f"{block.label.rstrip(':')}: {first}" if block.label else first
        yield from rest

    def diff_lines(self, block: Note) -> Iterator[str]:
        """Yield the note on one line after its label."""
        yield f"{block.label or 'Note'}: {' '.join(block.text.split())}"


class ProsConsKind(BlockKind[ProsCons]):
    """Pros and cons with an optional introduction."""

    name = "pros/cons"
    block_type = ProsCons
    keys = frozenset({"pros", "cons"})
    optional = frozenset({"intro"})
    opens = frozenset({"pros_cons", "pros", "cons"})

    def to_data(self, block: ProsCons) -> dict[str, Any]:
        """Return {intro, pros, cons}, leaving out an empty intro."""
        data: dict[str, Any] = {"intro": block.intro} if block.intro else {}
        data["pros"] = list(block.pros)
        data["cons"] = list(block.cons)
        return data

    def from_data(self, data: dict[str, Any]) -> ProsCons:
        """Return the block of {intro, pros, cons}."""
        pros, cons = tuple(data.get("pros") or ()), tuple(data.get("cons") or ())
        return ProsCons(pros, cons, data.get("intro") or "")

    def check(self, check: Check, data: dict[str, Any], field: str) -> None:
        """Check the intro and each pro and con; one of them at least must be there."""
        _check_decoration(check, data, "intro", field)
        for name in ("pros", "cons"):
            if name in data:
                _check_texts(check, data[name], f"{field}.{name}", non_empty=False)
        if self.keys & set(data) and not data.get("pros") and not data.get("cons"):
            check.add(f"{field}: a pros/cons block needs at least one pro or con")

    def read(self, reader: LineReader) -> ProsCons | None:
        """Read 'Pros & Cons', an optional intro, then 'Pros:' and 'Cons:' with their items."""
        start = reader.peek()
        assert start is not None
        intro: list[str] = []
        if start.kind == "pros_cons":
            reader.pos += 1
            intro = reader.texts("plain")
        sections: dict[str, list[str]] = {}
        while (heading := reader.peek()) is not None and heading.kind in ("pros", "cons"):
            reader.pos += 1
            if heading.kind in sections:
                reader.problem(heading, f"'{heading.kind.title()}:' appears twice in one block")
            items = sections.setdefault(heading.kind, [])
            count = len(items)
            while (line := reader.peek()) is not None and line.kind in ("plus", "bullet"):
                if line.text:
                    items.append(line.text)
                else:
                    reader.problem(line, "this item is empty")
                reader.pos += 1
            if len(items) == count:
                reader.problem(heading, f"'{heading.kind.title()}:' has no items (+ item / - item)")
        if not sections:
            reader.problem(start, "'Pros & Cons' must be followed by 'Pros:' or 'Cons:' headings")
            return None
        pros, cons = sections.get("pros", []), sections.get("cons", [])
        if not pros and not cons:
            return None
        return ProsCons(tuple(pros), tuple(cons), "\n".join(intro))

    def markup(self, block: ProsCons) -> Iterator[str]:
        """Yield 'Pros & Cons', the intro, then 'Pros:' with '+' items and 'Cons:' with '-'."""
        yield "Pros & Cons"
        if block.intro:
            yield from (plain(line) for line in block.intro.split("\n"))
        if block.pros:
            yield "Pros:"
            yield from (f"+ {item}" for item in block.pros)
        if block.cons:
            yield "Cons:"
            yield from (f"- {item}" for item in block.cons)

    def _parts(self, block: ProsCons, *, headed: bool) -> Iterator[tuple[str, str]]:
        """Yield the intro as flow text, then the pros and the cons as named parts."""
        if block.intro:
            yield "", _prose(block.intro)
        for name, mark, items in ((PROS, PRO_MARK, block.pros), (CONS, CON_MARK, block.cons)):
            text = "\n".join(f"{mark} {item}" for item in items)
            if text:
                yield name, f"**{name}**\n{text}" if headed else text

    def markdown(self, block: ProsCons) -> str:
        """Return the intro, then the marked pros and cons under bold headings."""
        return "\n\n".join(text for _, text in self._parts(block, headed=True))

    def embed_parts(self, block: ProsCons) -> Iterator[tuple[str, str]]:
        """Yield the intro as flow text, then the pros and the cons as fields."""
        return self._parts(block, headed=False)

    def text_lines(self, block: ProsCons) -> Iterator[str]:
        """Yield 'Pros & Cons', the indented intro, then '+' pros and '-' cons."""
        yield "Pros & Cons"
        if block.intro:
            yield from (f"  {line}" for line in block.intro.split("\n"))
        yield from (f"  + {item}" for item in block.pros)
        yield from (f"  - {item}" for item in block.cons)

    def diff_lines(self, block: ProsCons) -> Iterator[str]:
        """Yield the intro, then "pro:" and "con:" lines."""
        if block.intro:
            yield block.intro
        yield from (f"pro: {item}" for item in block.pros)
        yield from (f"con: {item}" for item in block.cons)


# In the order codec reads a mapping's kind and schema lists the kinds.
KINDS: tuple[BlockKind[Any], ...] = (
    ParagraphKind(),
    BulletsKind(),
    StepsKind(),
    ExamplesKind(),
    NoteKind(),
    ProsConsKind(),
)
_BY_TYPE: dict[type[Block], BlockKind[Any]] = {kind.block_type: kind for kind in KINDS}
_BY_LINE: dict[str, BlockKind[Any]] = {line: kind for kind in KINDS for line in kind.opens}


def kind_of(block: Block) -> BlockKind[Any]:
    """Return the kind of a block."""
    try:
        return _BY_TYPE[type(block)]
    except KeyError:
        raise TypeError(f"unknown block type {type(block).__name__}") from None


def kinds_named_in(data: dict[str, Any]) -> list[BlockKind[Any]]:
    """Return the kinds whose keys a block mapping holds, in registry order."""
    keys = set(map(str, data))
    return [kind for kind in KINDS if kind.keys & keys]


def kind_opened_by(line_kind: str) -> BlockKind[Any] | None:
    """Return the kind whose block a line of the definition syntax starts, or None."""
    return _BY_LINE.get(line_kind)
