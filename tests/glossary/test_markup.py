"""The moderators' definition syntax: tables of syntax -> blocks, errors, round trips."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.glossary import codec
from bot.glossary.markup import format_definition, parse_definition
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
    ValidationError,
)
from bot.glossary.schema import MAX_DEPTH

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "definition-syntax.md"

# Tokens that look like syntax, so generated text exercises escaping.
_TRICKY = ["-", "+", "*", "•", "1.", "2)", "e.g.", "E.G.", ">", "##", "#", "-#", ">>>"]
_TRICKY += ["Pros:", "cons:", "Pros", "&", "and", "\\", "`", ":", "Label:", "a:b"]


def words(max_size: int = 8) -> st.SearchStrategy[str]:
    """Return a strategy for one word without whitespace."""
    plain = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=max_size)
    return st.one_of(plain, st.sampled_from(_TRICKY))


def lines(word: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Return a strategy for one stripped, non-empty line of text."""
    return st.lists(words() if word is None else word, min_size=1, max_size=6).map(" ".join)


def bodies(line: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[tuple[Block, ...]]:
    """Return a strategy for bodies whose texts are stripped and free of blank lines."""
    line = lines() if line is None else line
    multiline = st.lists(line, min_size=1, max_size=3).map("\n".join)
    small = st.lists(line, max_size=3).map(tuple)

    def bullet(depth: int) -> st.SearchStrategy[Bullet]:
        children = (
            st.just(())
            if depth == MAX_DEPTH
            else st.lists(bullet(depth + 1), max_size=2).map(tuple)
        )
        return st.builds(Bullet, line, small, children)

    label = line.filter(lambda text: ": " not in text)
    block = st.one_of(
        st.builds(Paragraph, multiline),
        st.builds(Bullets, st.lists(bullet(1), min_size=1, max_size=3).map(tuple)),
        st.builds(Steps, st.lists(line, min_size=1, max_size=4).map(tuple), st.just("") | line),
        st.builds(Examples, st.lists(line, min_size=1, max_size=3).map(tuple)),
        st.builds(Note, st.just("") | label, multiline),
        st.builds(ProsCons, small, small, st.just("") | line).filter(lambda b: b.pros or b.cons),
    )
    return st.lists(block, max_size=8).map(tuple)


def shipped_entries() -> list[Entry]:
    """Return the entries of data/glossary.yaml."""
    document = yaml.safe_load((ROOT / "data" / "glossary.yaml").read_text(encoding="utf-8"))
    return [codec.entry_from_dict(item) for item in document["entries"]]


def doc_examples() -> list[str]:
    """Return the definition examples of docs/definition-syntax.md."""
    return re.findall(r"```definition\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)


PARSES = [
    ("One line.", (Paragraph("One line."),)),
    ("Two\nlines.", (Paragraph("Two\nlines."),)),
    ("One.\n\nTwo.", (Paragraph("One."), Paragraph("Two."))),
    ("- a\n- b", (Bullets((Bullet("a"), Bullet("b"))),)),
    ("* a\n• b", (Bullets((Bullet("a"), Bullet("b"))),)),
    (
        "- a\n  - b\n    - c\n- d",
        (Bullets((Bullet("a", children=(Bullet("b", children=(Bullet("c"),)),)), Bullet("d"))),),
    ),
    ("- a\n  e.g. x.pth\n  e.g. y", (Bullets((Bullet("a", examples=("x.pth", "y")),)),)),
    ("- a\n  - b\n  e.g. x", (Bullets((Bullet("a", ("x",), (Bullet("b"),)),)),)),
    ("- a\n  - b\n    e.g. x", (Bullets((Bullet("a", children=(Bullet("b", ("x",)),)),)),)),
    ("e.g. x.pth\nE.g. y", (Examples(("x.pth", "y")),)),
    ("- a\ne.g. x", (Bullets((Bullet("a"),)), Examples(("x",)))),
    ("1. a\n2. b", (Steps(("a", "b")),)),
    ("7) a\n7) b", (Steps(("a", "b")),)),
    ("## How to\n1. a", (Steps(("a",), "How to"),)),
    ("> Tip: do it", (Note("Tip", "do it"),)),
    ("> Tip: do it\n> and more", (Note("Tip", "do it\nand more"),)),
    ("> just text", (Note("", "just text"),)),
    ("> : a: b", (Note("", "a: b"),)),
    ("> see http://x.y", (Note("", "see http://x.y"),)),
    ("Pros:\n+ a\nCons:\n- b", (ProsCons(("a",), ("b",)),)),
    ("Pros & Cons\nIntro.\nPros:\n+ a\n- a2", (ProsCons(("a", "a2"), (), "Intro."),)),
    ("pros and cons\ncons:\n- b", (ProsCons((), ("b",)),)),
    ("Text.\n- a\n1. s", (Paragraph("Text."), Bullets((Bullet("a"),)), Steps(("s",)))),
    ("\\- not a bullet\n\\\\x", (Paragraph("- not a bullet\n\\x"),)),
    ("3.5 GB is plenty.", (Paragraph("3.5 GB is plenty."),)),
    ("", ()),
    ("\n \n", ()),
]


@pytest.mark.parametrize(("text", "blocks"), PARSES)
def test_parse_definition(text: str, blocks: tuple[Block, ...]) -> None:
    assert parse_definition(text) == blocks


def test_parse_tolerates_crlf_tabs_and_trailing_spaces() -> None:
    text = "Intro.  \r\n\r\n- a \r\n\t- b\t\r\n\t\te.g. x  \r\n"
    expected = (Paragraph("Intro."), Bullets((Bullet("a", children=(Bullet("b", ("x",)),)),)))
    assert parse_definition(text) == expected


def test_parse_accepts_any_deeper_indent_as_one_level() -> None:
    text = "- a\n    - b\n - c"
    assert parse_definition(text) == (Bullets((Bullet("a", children=(Bullet("b"), Bullet("c"))),)),)


ERRORS = [
    ("- a\n  - b\n    - c\n      - d", "line 4: bullets nest at most 3 levels deep"),
    ("Pros:\n+ a\nCons:", "line 3: 'Cons:' has no items"),
    ("Pros & Cons\nIntro only.", "line 1: 'Pros & Cons' must be followed by"),
    ("ok\n\n+ stray", "line 3: '+' items belong under a 'Pros:' heading"),
    ("## Title\n\n1. a", "line 1: a '## title' must be followed directly by numbered steps"),
    ("- a\n  continued", "line 2: indented text under a bullet"),
    ("- a\n-", "line 2: this bullet is empty"),
    ("1. a\n2.", "line 2: this step is empty"),
    ("> Label:", "line 1: this note has no text"),
    ("Pros:\n+ a\nPros:\n+ b", "line 3: 'Pros:' appears twice"),
]


@pytest.mark.parametrize(("text", "problem"), ERRORS)
def test_parse_reports_problem_with_line_number(text: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_definition(text)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_parse_reports_every_problem_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_definition("+ a\n\n- b\n-\n\n1.")
    assert [p.split(":")[0] for p in caught.value.problems] == ["line 1", "line 4", "line 6"]


@given(bodies())
def test_format_then_parse_round_trips(body: tuple[Block, ...]) -> None:
    assert parse_definition(format_definition(body)) == body


def test_format_definition_escapes_lines_that_look_like_syntax() -> None:
    text = format_definition([Paragraph("- x\nPros:\n1. y\nplain")])
    assert text == "\\- x\n\\Pros:\n\\1. y\nplain"


def test_every_shipped_body_round_trips() -> None:
    entries = shipped_entries()
    assert entries
    for entry in entries:
        assert parse_definition(format_definition(entry.body)) == entry.body, entry.key


def test_doc_examples_parse_and_are_in_canonical_form() -> None:
    examples = doc_examples()
    assert len(examples) >= 4
    for example in examples:
        assert format_definition(parse_definition(example)) == example


def test_doc_examples_match_the_shipped_entries() -> None:
    shipped = {entry.key: entry.body for entry in shipped_entries()}
    documented = dict(zip(["checkpoints", "hags", "kaggle"], doc_examples(), strict=False))
    for key, example in documented.items():
        assert parse_definition(example) == shipped[key], key
