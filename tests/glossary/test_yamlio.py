"""YAML I/O: canonical round trips, and clear refusals of broken or hostile documents."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.glossary import codec
from bot.glossary.models import (
    Bullet,
    Bullets,
    Entry,
    Examples,
    GlossaryError,
    Link,
    Note,
    Paragraph,
    ProsCons,
    Steps,
    ValidationError,
)
from bot.glossary.schema import validate_entry_dict
from bot.glossary.yamlemit import block_item
from bot.glossary.yamlio import (
    FAST_LOADER,
    HEADER,
    MAX_CLI_DOCUMENT_BYTES,
    MAX_DOCUMENT_BYTES,
    _may_have_anchors,
    dump_document,
    load_document,
    load_seed,
    pyyaml_text,
)

TRICKY = (
    "yes",
    "null",
    "1.0",
    "2024-01-01",
    "- dash",
    "key: value",
    "# not a comment",
    "'quoted'",
    '"double"',
    "trailing space ",
    "émoji 🎤 and ü",
    "@at",
    "%percent",
    "a & b > c",
)


def _entries() -> list[Entry]:
    return [
        Entry(
            key="zeta",
            term="Zeta",
            summary="Last by key, first in input.",
            category="audio",
            aliases=TRICKY,
            body=(
                Paragraph("line one\nline two\n"),
                Paragraph("  indented first line\nsecond"),
                Bullets((Bullet("a", ("x.pth",), (Bullet("b", (), (Bullet("c"),)),)), Bullet("d"))),
                Steps(("one", "two"), "How to"),
                Steps(("only",)),
                Examples(("G_70.pth", "D_70.pth")),
                Note("Community Proof", "works"),
                Note("", "unlabelled"),
                ProsCons(("fast",), ("slow",), "Subjective."),
                ProsCons(("free",), ()),
            ),
            related=("alpha",),
            links=(Link("Docs", "https://example.org/a?b=c#d"),),
            autoreply=False,
        ),
        Entry(key="alpha", term="Alpha", summary="First by key."),
    ]


def _problems(raw: bytes | str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        load_document(raw)
    assert caught.value.problems, "a ValidationError must list its problems"
    assert caught.value.message.startswith("Invalid glossary document: ")
    return caught.value.problems


def test_round_trip_is_byte_identical() -> None:
    text = dump_document(_entries())
    loaded = load_document(text)
    assert sorted(loaded, key=lambda e: e.key) == sorted(_entries(), key=lambda e: e.key)
    assert dump_document(loaded) == text


def test_dump_is_sorted_with_header_and_block_style() -> None:
    text = dump_document(_entries())
    assert text.startswith(HEADER + "version: 1\nentries:\n  - key: alpha\n")
    assert text.index("key: alpha") < text.index("key: zeta")
    assert "paragraph: |" in text  # multi-line text as a literal block
    assert "émoji 🎤" in text  # allow_unicode: no \u escapes
    assert "- yes\n" not in text  # would load back as a boolean


def test_dump_does_not_wrap_long_lines() -> None:
    long_text = " ".join(["word"] * 150)
    entry = Entry(key="a", term="A", summary="s", body=(Paragraph(long_text),))
    assert f"paragraph: {long_text}\n" in dump_document([entry])


def test_dump_of_nothing_loads_as_nothing() -> None:
    assert load_document(dump_document([])) == []


def test_invalid_utf8_names_the_offset() -> None:
    raw = b"version: 1\nentries: []\n# caf" + b"\xff\n"
    problems = _problems(raw)
    assert problems == [f"the document is not valid UTF-8 (byte 0xFF at offset {len(raw) - 2})"]


def test_syntax_error_names_line_and_column() -> None:
    raw = "version: 1\nentries:\n  - key: a\n    term: [unclosed\n    summary: s\n"
    (problem,) = _problems(raw)
    assert problem.startswith("YAML syntax error at line 5")


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    # Refused at the first anchor, before anything expands (a timing here would be the machine's).
    (problem,) = _problems("\n".join(lines))
    assert problem.startswith("YAML not allowed at line 1, column 4: YAML anchors and aliases")


def test_alias_alone_is_refused() -> None:
    (problem,) = _problems("version: 1\nentries: *missing\n")
    assert "anchors and aliases" in problem


def test_deep_nesting_is_refused() -> None:
    (problem,) = _problems("version: 1\nentries: " + "[" * 5000 + "]" * 5000)
    assert "nesting deeper than" in problem


def test_duplicate_field_is_refused() -> None:
    raw = "version: 1\nentries:\n  - key: a\n    term: A\n    summary: s\n    summary: t\n"
    (problem,) = _problems(raw)
    assert "'summary' appears twice" in problem
    assert "line 6" in problem


def test_huge_term_is_refused() -> None:
    entry = Entry(key="a", term="x" * 10_000, summary="s")
    problems = _problems(dump_document([entry]))
    assert "a: term is longer than 80 characters (10000)" in problems


def test_oversized_document_is_refused() -> None:
    raw = b"# " + b"x" * MAX_DOCUMENT_BYTES
    (problem,) = _problems(raw)
    assert "limit is 2 MB" in problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "the document is empty"),
        ("   \n# only a comment\n", "the document is empty"),
        ("- a\n- b\n", "must be a mapping with 'version' and 'entries', not a list"),
        ("just a string", "not text"),
        ("version: 1\nentries:\n  - key: a\n", "a: missing required field 'term'"),
    ],
)
def test_unusable_documents(raw: str, expected: str) -> None:
    problems = _problems(raw)
    assert any(expected in problem for problem in problems), problems


def test_all_problems_are_reported() -> None:
    raw = "version: 1\nentries:\n  - key: a\n  - key: B\n    term: b\n    summary: s\n"
    error_problems = _problems(raw)
    assert len(error_problems) == 3
    assert any(problem.startswith("entries[1]: key 'B'") for problem in error_problems)


def test_byte_order_mark_is_accepted() -> None:
    text = dump_document(_entries())
    assert load_document(b"\xef\xbb\xbf" + text.encode()) == load_document(text)


def test_load_seed_reads_a_given_path(tmp_path: Path) -> None:
    path = tmp_path / "glossary.yaml"
    path.write_text(dump_document(_entries()), encoding="utf-8")
    assert [entry.key for entry in load_seed(path)] == ["alpha", "zeta"]


def test_load_seed_names_the_file_on_problems(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 2\nentries: []\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_seed(path)
    assert str(path) in caught.value.message
    assert caught.value.problems == ["version must be 1, not 2"]


def test_load_seed_missing_file_is_a_glossary_error(tmp_path: Path) -> None:
    with pytest.raises(GlossaryError, match="Cannot read glossary file"):
        load_seed(tmp_path / "absent.yaml")


def test_load_seed_defaults_to_the_shipped_file() -> None:
    assert len(load_seed()) == 26


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs")), min_size=1, max_size=40
).filter(str.strip)
_multiline = st.lists(_text, min_size=1, max_size=3).map("\n".join)


@given(term=_text, summary=_text, paragraph=_multiline, note=_multiline, bullet=_text)
def test_any_valid_text_round_trips(
    term: str, summary: str, paragraph: str, note: str, bullet: str
) -> None:
    entry = Entry(
        key="k",
        term=term,
        summary=summary,
        body=(Paragraph(paragraph), Note(bullet, note), Bullets((Bullet(bullet),))),
    )
    data = codec.entry_to_dict(entry)
    if validate_entry_dict(data):
        return  # e.g. a term with no letters; the schema tests cover refusals
    text = dump_document([entry])
    (loaded,) = load_document(text)
    assert loaded == entry
    assert dump_document([loaded]) == text


def test_error_at_the_end_names_the_end_and_where_the_construct_starts() -> None:
    raw = "version: 1\nentries:\n  - key: a\n    term: [unclosed\n"  # four lines
    (problem,) = _problems(raw)
    assert problem.startswith("YAML syntax error at the end of the file")
    assert "line 4, column 11" in problem
    assert "line 5" not in problem


def test_fast_loader_reads_what_the_checked_loader_reads() -> None:
    assert FAST_LOADER is not None  # PyYAML ships libyaml on every platform we support
    text = dump_document([Entry(key="a", term="A", summary="s", aliases=("x: y", "- z", "'q'"))])
    assert yaml.load(text, Loader=FAST_LOADER) == yaml.safe_load(text)
    assert [e.aliases for e in load_document(text)] == [("x: y", "- z", "'q'")]


def test_big_document_limit_is_the_callers_choice() -> None:
    raw = b"# " + b"x" * MAX_DOCUMENT_BYTES + b"\nversion: 1\nentries: []\n"
    with pytest.raises(ValidationError):
        load_document(raw)
    assert load_document(raw, max_bytes=MAX_CLI_DOCUMENT_BYTES) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &a [x]", True),
        ("entries: *missing", True),
        ("[x, *a]", True),
        ("&top\n", True),
        ("R&D and pros & cons", False),
        ("a: 2 * 3", False),
        ("", False),
    ],
)
def test_anchor_precheck_never_misses_one(text: str, expected: bool) -> None:
    assert _may_have_anchors(text) is expected


def test_text_that_looks_like_an_alias_still_loads() -> None:
    text = dump_document([Entry(key="a", term="A", summary="Files like *.pth & *.index.")])
    assert load_document(text)[0].summary == "Files like *.pth & *.index."


# The canonical writer: byte for byte what PyYAML's emitter writes. -----------------------

# Characters on each rule of the emitter's choice between plain, quoted and block text, and
# every text of up to three of those that the rules look at together.
_RULE_CHARS = " -.:?#'\"!%@`|>*&[]{},~=<\n\t\r\x7f\x85\xa0\u2028\ufeff\ud800é🎤aZ1"
_SHORT_TEXTS = [
    "",
    *_RULE_CHARS,
    *("".join(two) for two in itertools.product(" -:?#'\"%|>\n\t\x85a1", repeat=2)),
    *("".join(three) for three in itertools.product(" -.:#'\na", repeat=3)),
    *TRICKY,
    *("--- x", "... x", "No", "on", "0x1F", "1_000", ".inf", "2026-03-14 12:00:00"),
    *("a\nb", "a \nb", "a\n b", "a\n\nb", "a\n \nb", " a\nb", "a\nb ", "a\nb\n", "a\nb\n\n"),
]


def _everywhere(key: str, text: str) -> Entry:
    """Return an entry with `text` at every depth and in every kind of place of the format."""
    return Entry(
        key=key,
        term=text,
        summary=text,
        aliases=(text,),
        body=(Paragraph(text), Bullets((Bullet(text, (text,)),)), Note(text, text)),
        links=(Link(text, text),),
        autoreply=False,
    )


def _pyyaml_document(entries: list[Entry]) -> str:
    """Return the document of entries as PyYAML alone writes it."""
    items = [codec.entry_to_dict(entry) for entry in sorted(entries, key=lambda e: e.key)]
    return HEADER + pyyaml_text({"version": 1, "entries": items})


def test_dump_writes_what_pyyaml_writes_for_every_short_text() -> None:
    # One text per entry: an entry PyYAML has to write hides nothing about the others.
    entries = [_everywhere(f"k{number:05d}", text) for number, text in enumerate(_SHORT_TEXTS)]
    assert dump_document(entries) == _pyyaml_document(entries)


_ANY_TEXT = st.lists(st.one_of(st.sampled_from(_SHORT_TEXTS), st.text(max_size=4)), max_size=6).map(
    "".join
)


@given(_ANY_TEXT, _ANY_TEXT)
def test_dump_writes_what_pyyaml_writes(text: str, other: str) -> None:
    entries = [_everywhere("a", text), _everywhere("b", other), _everywhere(other, text)]
    assert dump_document(entries) == _pyyaml_document(entries)


def test_the_shipped_entries_need_no_pyyaml() -> None:
    # The speed of an export rests on ordinary entries never falling back to PyYAML.
    for entry in load_seed():
        assert block_item(codec.entry_to_dict(entry), 2) is not None, entry.key
