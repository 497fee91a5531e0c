"""Schema validation: each kind of bad entry or document yields a clear, keyed problem."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from bot.glossary.schema import (
    ENTRY_TEXT_MAX,
    MAX_ALIASES,
    MAX_LINKS,
    SUMMARY_MAX,
    TERM_MAX,
    validate_document,
    validate_entry_dict,
)

Doc = dict[str, Any]


def _entry(key: str, term: str, *aliases: str, related: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "key": key,
        "term": term,
        "aliases": list(aliases),
        "summary": f"What {term} means.",
        "category": "platform",
        "related": list(related),
        "body": [
            {"paragraph": "First line.\nSecond line."},
            {"bullets": ["one", {"text": "two", "examples": ["G_70.pth"], "items": ["2a"]}]},
            {"title": "How to", "steps": ["Open it.", "Close it."]},
            {"examples": ["Tyler_e60_s120.pth"]},
            {"label": "Community Proof", "note": "It works."},
            {"intro": "Subjective.", "pros": ["Free."], "cons": ["Slow."]},
        ],
    }


def _document() -> Doc:
    return {
        "version": 1,
        "entries": [
            _entry("google-colab", "Google Colab", "colab", related=("kaggle",)),
            _entry("kaggle", "Kaggle", "kaggle notebook"),
        ],
    }


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """Return an edit that sets entries[0] field path (dotted, ints index lists) to value."""

    def edit(doc: Doc) -> None:
        target: Any = doc["entries"][0]
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        for part in parents:
            target = target[part]
        target[last] = value

    return edit


def _delete(field: str) -> Callable[[Doc], None]:
    return lambda doc: doc["entries"][0].pop(field)


def _append_entry(entry: object) -> Callable[[Doc], None]:
    return lambda doc: doc["entries"].append(entry)


def _deep_bullet(depth: int) -> Any:
    bullet: Any = "leaf"
    for _ in range(depth - 1):
        bullet = {"text": "level", "items": [bullet]}
    return bullet


BAD_DOCUMENTS: list[tuple[str, Callable[[Doc], None], str]] = [
    ("duplicate key", _append_entry(_entry("kaggle", "Kaggle Two")), "kaggle: duplicate key"),
    (
        "alias shared across entries",
        _append_entry(_entry("colab-pro", "Colab Pro", "Colab!")),
        "name 'colab' is used by both google-colab and colab-pro",
    ),
    (
        "term equals another entry's alias",
        _append_entry(_entry("kaggle-notebook", "Kaggle-Notebook")),
        "used by both kaggle and kaggle-notebook",
    ),
    ("missing term", _delete("term"), "google-colab: missing required field 'term'"),
    ("missing summary", _delete("summary"), "missing required field 'summary'"),
    ("unknown field", _set("colour", "red"), "unknown field 'colour'"),
    ("summary too long", _set("summary", "x" * (SUMMARY_MAX + 1)), "summary is longer than 200"),
    ("term too long", _set("term", "x" * (TERM_MAX + 1)), "term is longer than 80"),
    (
        "entry text too long",
        _set("body", [{"paragraph": "x" * 900} for _ in range(6)]),
        f"together are longer than {ENTRY_TEXT_MAX}",
    ),
    (
        "too many aliases",
        _set("aliases", [f"alias {n}" for n in range(MAX_ALIASES + 1)]),
        "aliases has 41 items",
    ),
    ("empty summary", _set("summary", "   "), "summary is empty"),
    ("term not text", _set("term", True), "term must be text, not true/false (put it in quotes"),
    ("bell character", _set("summary", "ring\x07"), "control or invisible character (U+0007)"),
    ("zero-width space", _set("term", "Co\u200blab"), "(U+200B)"),
    ("bidi override", _set("aliases", ["\u202ebalok"]), "(U+202E)"),
    ("newline in term", _set("term", "Google\nColab"), "term must be a single line"),
    ("newline in bullet", _set("body.1.bullets.0", "a\nb"), "bullets[0] must be a single line"),
    ("unknown category", _set("category", "memes"), "category 'memes' is not one of"),
    ("bad key", _set("key", "Google Colab"), "entries[0]: key 'Google Colab' must be lowercase"),
    ("key with double hyphen", _set("key", "google--colab"), "entries[0]: key"),
    ("block of nothing", _set("body.0", {"title": "x"}), "body[0] must have one of"),
    (
        "block mixing shapes",
        _set("body.0", {"paragraph": "a", "bullets": ["b"]}),
        "body[0] mixes bullets and paragraph",
    ),
    (
        "extra key in block",
        _set("body.0", {"paragraph": "a", "title": "b"}),
        "'title' is not allowed in a paragraph block",
    ),
    ("pros without cons", _set("body.5", {"pros": ["a"]}), "a pros/cons block needs 'cons'"),
    ("block not a mapping", _set("body.0", "just text"), "body[0] must be a mapping"),
    ("empty bullets", _set("body.1.bullets", []), "body[1].bullets is an empty list"),
    ("bullet unknown field", _set("body.1.bullets.0", {"txt": "a"}), "is missing 'text'"),
    (
        "too deep nesting",
        _set("body.1.bullets", [_deep_bullet(4)]),
        "bullets are nested deeper than 3 levels",
    ),
    (
        "related to itself",
        _set("related", ["google-colab"]),
        "related[0] points to the entry itself",
    ),
    ("alias equals term", _set("aliases", ["google-colab"]), "is the same as the term"),
    ("duplicate alias", _set("aliases", ["Colab", "colab."]), "aliases[1] 'colab.' repeats"),
    ("alias without letters", _set("aliases", ["!!"]), "has no letters or digits"),
    ("ftp link", _set("links", [{"label": "x", "url": "ftp://a.b/c"}]), "http:// or https://"),
    (
        "link without host",
        _set("links", [{"label": "x", "url": "https://"}]),
        "http:// or https://",
    ),
    (
        "too many links",
        _set("links", [{"label": "x", "url": "https://a.io"}] * (MAX_LINKS + 1)),
        "links has 6 items",
    ),
    ("autoreply not bool", _set("autoreply", "yes"), "autoreply must be true or false"),
    ("entry not a mapping", _append_entry("x"), "entries[2]"),
]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [pytest.param(edit, expected, id=name) for name, edit, expected in BAD_DOCUMENTS],
)
def test_bad_document_reports_problem(edit: Callable[[Doc], None], expected: str) -> None:
    doc = copy.deepcopy(_document())
    edit(doc)
    problems = validate_document(doc)
    assert any(expected in problem for problem in problems), problems


def test_valid_document_has_no_problems() -> None:
    assert validate_document(_document()) == []


def test_newlines_allowed_in_paragraph_and_note() -> None:
    entry = _entry("kaggle", "Kaggle")
    entry["body"] = [{"paragraph": "a\nb"}, {"label": "", "note": "c\nd"}]
    assert validate_entry_dict(entry) == []


def test_optional_fields_may_be_absent_or_null() -> None:
    entry = {"key": "kaggle", "term": "Kaggle", "summary": "A platform.", "aliases": None}
    assert validate_entry_dict(entry) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "the document is empty"),
        ([1, 2], "must be a mapping with 'version' and 'entries', not a list"),
        ("text", "not text"),
        ({"version": 2, "entries": []}, "version must be 1"),
        ({"version": True, "entries": []}, "version must be 1"),
        ({"version": 1}, "missing 'entries'"),
        ({"version": 1, "entries": {"a": 1}}, "entries must be a list"),
        ({"version": 1, "entries": [], "extra": 1}, "unknown top-level field 'extra'"),
    ],
)
def test_bad_top_level(data: object, expected: str) -> None:
    problems = validate_document(data)
    assert any(expected in problem for problem in problems), problems


def test_problems_are_prefixed_with_key_or_position() -> None:
    good_key = validate_entry_dict(
        {"key": "kaggle", "term": "", "summary": "s"}, where="entries[4]"
    )
    bad_key = validate_entry_dict({"key": "K K", "term": "t", "summary": "s"}, where="entries[4]")
    assert good_key == ["kaggle: term is empty"]
    assert all(problem.startswith("entries[4]: ") for problem in bad_key)
    assert validate_entry_dict(7) == [
        "entry: an entry must be a mapping of fields, not a number "
        "(put it in quotes if you meant text)"
    ]


def test_every_problem_is_reported_at_once() -> None:
    entry = {"key": "kaggle", "term": "", "summary": "x" * 300, "category": "memes"}
    assert len(validate_entry_dict(entry)) == 3


def test_related_key_naming_no_entry_is_not_a_problem() -> None:
    doc = copy.deepcopy(_document())
    _set("related", ["nope"])(doc)
    assert validate_document(doc) == []


def test_duplicate_key_is_listed_before_what_it_causes() -> None:
    doc = copy.deepcopy(_document())
    twin = copy.deepcopy(doc["entries"][0])
    twin["summary"] = ""
    doc["entries"].append(twin)
    problems = validate_document(doc)
    assert "duplicate key" in problems[0], problems
