"""Hostile text into every parser and renderer: only documented errors, always within limits.

Any Unicode (lone surrogates included), control and zero-width characters, right-to-left
overrides, nested quotes and code fences, mentions and very long text. The only exception a
caller may see is ValidationError (a GlossaryError); every embed fits Discord's limits.
"""

from __future__ import annotations

import dataclasses

import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot import render
from bot.glossary import codec, schema, yamlio
from bot.glossary.detect import Detector, strip_markup
from bot.glossary.markup import format_definition, parse_definition
from bot.glossary.matcher import MAX_AUTOCOMPLETE, MAX_SUGGESTIONS, Matcher
from bot.glossary.models import Block, Entry, GlossaryError, Paragraph, ValidationError
from cogs.autoreply import reply_embeds

SEED = yamlio.load_seed()
KEYS = {entry.key for entry in SEED}
MATCHER = Matcher(SEED)
DETECTOR = Detector(SEED)
TERMS = [name for entry in SEED for name in entry.names]

PIECES = [
    "```", "```py\n", "`", "``", "> ", ">> ", "> > ", '"', "'", "‘", "’", "“", "”", "«", "»",
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u2066", "\u2069",
    "\u061c", "\x00", "\x07", "\x1b[31m", "\r\n", "\r", "\n", "\t", "\u2028", "\u0301",
    "@everyone", "@here", "<@1400000000000000001>", "<@&1500000000000000001>", "<#1>",
    "[free nitro](https://discord.gg/invite)", "discord.gg/abc", "what is ", "what's ", "?",
    "- ", "* ", "1. ", "## ", "e.g. ", "Pros:", "Cons:", "+ ", "\\", "||spoiler||", "**", "__",
    "\ud800", "\udfff", "𝕂𝕒𝕘𝕘𝕝𝕖", "ﬁ", "İ", "ß", "ǅ", "\U0001f600",
]  # fmt: skip
# Every code point, surrogates and control characters included.
ANY_CHAR = st.characters(codec=None, categories=None)
HOSTILE = st.lists(
    st.one_of(
        st.sampled_from(PIECES),
        st.sampled_from(TERMS),
        st.text(ANY_CHAR, max_size=12),
    ),
    max_size=40,
).map("".join)
LONG = st.tuples(HOSTILE, st.integers(50, 400)).map(lambda pair: pair[0] * pair[1])
TEXT = st.one_of(HOSTILE, HOSTILE, LONG)


@given(TEXT)
def test_lookup_and_autocomplete_accept_anything(text: str) -> None:
    result = MATCHER.lookup(text)
    if result.match is not None:
        assert result.match.entry.key in KEYS
    assert len(result.suggestions) <= MAX_SUGGESTIONS
    hits = MATCHER.autocomplete(text)
    assert len(hits) <= MAX_AUTOCOMPLETE
    assert all(hit.entry.key in KEYS for hit in hits)


@given(TEXT)
def test_the_detector_accepts_anything(text: str) -> None:
    for mode in ("question", "mention", "off"):
        found = DETECTOR.scan(text, mode)
        assert all(entry.key in KEYS for entry in found)
        assert len({entry.key for entry in found}) == len(found)
    for entry, written in DETECTOR.find_terms(text):
        assert entry.key in KEYS and isinstance(written, str)
    assert isinstance(strip_markup(text), str)


@given(TEXT)
def test_the_definition_syntax_parses_or_lists_problems(text: str) -> None:
    try:
        blocks = parse_definition(text)
    except ValidationError as error:
        assert error.problems
        return
    # What parses can be written back, and the schema (not a crash) judges what it holds.
    format_definition(blocks)
    entry = Entry(key="hostile", term="Hostile", summary="Summary.", body=blocks)
    problems = schema.validate_entry_dict(codec.entry_to_dict(entry))
    if not problems:
        assert render.check_limits(render.entry_embeds(entry)) == []


@given(st.one_of(TEXT, TEXT.map(lambda text: text.encode("utf-8", "surrogatepass"))))
def test_yaml_import_of_garbage_is_refused_cleanly(raw: str | bytes) -> None:
    try:
        entries = yamlio.load_document(raw)
    except ValidationError as error:
        assert error.problems
        return
    assert all(isinstance(entry, Entry) for entry in entries)


def hostile_document(texts: list[str]) -> str:
    """Return a well-formed glossary document whose strings are hostile."""
    term, alias, summary, paragraph, bullet, example, note = (texts * 7)[:7]
    item = {
        "key": "hostile-entry",
        "term": term,
        "aliases": [alias],
        "summary": summary,
        "category": "general",
        "body": [
            {"paragraph": paragraph},
            {"bullets": [bullet, {"text": bullet, "examples": [example], "items": [note]}]},
            {"examples": [example]},
            {"label": note[:40], "note": paragraph},
            {"intro": note, "pros": [bullet], "cons": [summary]},
        ],
    }
    return yaml.safe_dump({"version": 1, "entries": [item]}, allow_unicode=True)


@given(st.lists(TEXT, min_size=1, max_size=7))
def test_a_hostile_but_well_formed_import_renders_within_limits(texts: list[str]) -> None:
    try:
        document = hostile_document(texts)
    except yaml.YAMLError:
        return  # PyYAML cannot even write some of these; nothing to import
    try:
        entries = yamlio.load_document(document)
    except GlossaryError as error:
        assert isinstance(error, ValidationError) and error.problems
        return
    for entry in entries:
        assert render.check_limits(render.entry_embeds(entry)) == []
        assert render.check_limits(reply_embeds([entry])) == []
        # Stored as written: the YAML round trip keeps every character.
        assert yamlio.load_document(yamlio.dump_document([entry])) == [entry]


@given(
    st.lists(TEXT, min_size=3, max_size=3),
    st.lists(TEXT, max_size=3),
    st.text(ANY_CHAR, max_size=300),
)
def test_rendering_any_entry_stays_within_discord_limits(
    texts: list[str], aliases: list[str], notice: str
) -> None:
    term, summary, paragraph = texts
    entry = dataclasses.replace(
        SEED[0], term=term, summary=summary, aliases=tuple(aliases), body=(*SEED[0].body,)
    )
    entry = dataclasses.replace(entry, body=(*entry.body, *parse_or_plain(paragraph)))
    embeds = render.entry_embeds(entry, notice=notice or None)
    assert render.check_limits(embeds) == [], (len(term), len(summary), len(paragraph))


def parse_or_plain(text: str) -> tuple[Block, ...]:
    """Return the blocks of text, or one paragraph of it when it does not parse."""
    try:
        return parse_definition(text)
    except ValidationError:
        return (Paragraph(text),)


def words(length: int) -> str:
    """Return `length` characters of words, ending in a letter."""
    return ("lorem ipsum dolor sit amet " * 60)[: length - 1] + "x"


def test_a_valid_entry_filling_the_first_page_exactly_renders_within_limits() -> None:
    # Found by the property above: the summary and paragraphs fill the first description to
    # exactly 4,096 characters, and the next paragraph used to be appended to it anyway.
    entry = Entry(
        key="edge",
        term="Edge",
        summary=words(195),
        body=(
            *(Paragraph(words(1000)) for _ in range(3)),
            Paragraph(words(893)),
            Paragraph("Tail."),
        ),
    )
    assert schema.validate_entry_dict(codec.entry_to_dict(entry)) == []
    embeds = render.entry_embeds(entry)
    assert render.check_limits(embeds) == []
    assert "Tail." in (embeds[-1].description or "")
