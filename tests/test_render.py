"""Rendering entries as embeds: Discord's limits always hold and no content is dropped."""

from __future__ import annotations

from collections.abc import Iterator

import discord
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot import render
from bot.glossary import codec, schema
from bot.glossary.models import (
    CATEGORIES,
    Block,
    Bullet,
    Bullets,
    Entry,
    Examples,
    Link,
    Note,
    Paragraph,
    ProsCons,
    Snippet,
    Steps,
)
from bot.glossary.plaintext import MARKDOWN_BUDGET, entry_text, markdown_size
from bot.glossary.summary import new_summary, sentences
from bot.glossary.text import normalize
from tests.glossary.test_markup import bodies, lines, shipped_entries, words

SHIPPED = shipped_entries()


def bullet_texts(bullet: Bullet) -> Iterator[str]:
    """Yield every text of a bullet tree."""
    yield bullet.text
    yield from bullet.examples
    for child in bullet.children:
        yield from bullet_texts(child)


def block_texts(block: Block) -> Iterator[str]:
    """Yield every text of a block."""
    match block:
        case Paragraph(text):
            yield text
        case Bullets(items):
            for item in items:
                yield from bullet_texts(item)
        case Steps(items, title):
            yield title
            yield from items
        case Examples(items):
            yield from items
        case Note(label, text):
            yield label
            yield text
        case ProsCons(pros, cons, intro):
            yield intro
            yield from pros
            yield from cons


def rendered_text(embeds: list[discord.Embed]) -> str:
    """Return every piece of text the embeds show."""
    pieces: list[str] = []
    for embed in embeds:
        pieces += [embed.author.name or "", embed.title or "", embed.description or ""]
        pieces += [f"{field.name}\n{field.value}" for field in embed.fields]
        pieces.append(embed.footer.text or "")
    return "\n".join(pieces)


def assert_complete_and_within_limits(entry: Entry, embeds: list[discord.Embed]) -> None:
    """Fail if a Discord limit breaks or a word of the term, new summary or body is missing."""
    assert render.check_limits(embeds) == []
    shown = rendered_text(embeds)
    texts = [entry.term, new_summary(entry), *(t for b in entry.body for t in block_texts(b))]
    missing = [word for text in texts for word in text.split() if word not in shown]
    assert missing == []


def valid(entry: Entry) -> bool:
    """Return whether the schema accepts entry and it fits the rendering budget."""
    problems = schema.validate_entry_dict(codec.entry_to_dict(entry))
    return not problems and markdown_size(entry) <= MARKDOWN_BUDGET


def words_of(length: int, word: int = 9) -> str:
    """Return text of exactly length chars made of words of about word chars."""
    text = " ".join(f"w{index:0{word - 1}d}"[:word] for index in range(length // (word + 1) + 1))
    return text[:length].rstrip() + "z" * (length - len(text[:length].rstrip()))


@pytest.mark.parametrize("entry", SHIPPED, ids=lambda entry: entry.key)
def test_shipped_entry_renders_completely_within_limits(entry: Entry) -> None:
    embeds = render.entry_embeds(entry, notice=f"Showing **{entry.term}** for 'x'")
    assert_complete_and_within_limits(entry, embeds)
    assert embeds[0].title == entry.term
    assert embeds[0].colour == render.CATEGORY_COLOURS[entry.category]


def maximal_entry() -> Entry:
    """Return an entry at every schema limit: long texts, 30 blocks, 40 aliases."""
    big_word = "x" * schema.TEXT_MAX
    small: list[Block] = [
        Bullets((Bullet("b1", ("e1",), (Bullet("b2", children=(Bullet("b3"),)),)),)),
        Steps(("s1", "s2"), "t1"),
        Examples(("e2",)),
        Note("L1", "n1"),
        ProsCons(("p1",), ("c1",), "i1"),
    ] * 5
    body: list[Block] = [
        Paragraph(big_word),
        Paragraph(words_of(schema.TEXT_MAX)),
        Note(words_of(schema.TEXT_MAX, 4), words_of(schema.TEXT_MAX, 15)),
        *small,
    ]
    used = (
        schema.TERM_MAX
        + schema.SUMMARY_MAX
        + sum(len(t) for block in body for t in block_texts(block))
    )
    body += [Paragraph(words_of(schema.ENTRY_TEXT_MAX - used - 10)), Paragraph("end-word")]
    entry = Entry(
        key="maximal",
        term=words_of(schema.TERM_MAX),
        summary=words_of(schema.SUMMARY_MAX),
        category="platform",
        aliases=tuple(f"alias {i:02d} " + "a" * (schema.ALIAS_MAX - 9) for i in range(40)),
        body=tuple(body),
        related=tuple(f"related-{i}" for i in range(schema.MAX_RELATED)),
        links=tuple(Link("l" * 80, "https://x.example/" + "p" * 490) for _ in range(5)),
        updated_at="2026-03-14T12:00:00+00:00",
    )
    assert len(entry.body) == schema.MAX_BLOCKS
    return entry


def test_maximal_entry_is_valid_and_renders_completely_within_limits() -> None:
    entry = maximal_entry()
    assert schema.validate_entry_dict(codec.entry_to_dict(entry)) == []
    assert markdown_size(entry) <= MARKDOWN_BUDGET
    embeds = render.entry_embeds(entry, notice="n" * 400)
    assert_complete_and_within_limits(entry, embeds)
    assert len(embeds) > 1 or len(embeds[0].fields) > 1
    assert embeds[-1].footer.text.startswith("Also: alias 00")
    assert embeds[-1].footer.text.endswith("more) · Updated March 14, 2026")


def test_long_body_continues_in_a_second_embed_between_words() -> None:
    body = tuple(Paragraph(words_of(990)) for _ in range(5))
    entry = Entry(key="long", term="Long", summary="Short.", body=body)
    embeds = render.entry_embeds(entry)
    assert len(embeds) == 2
    assert embeds[1].title is None
    assert_complete_and_within_limits(entry, embeds)


def test_text_after_pros_and_cons_stays_below_them() -> None:
    body = (ProsCons(("good",), ("bad",)), Paragraph("Afterword."))
    embed = render.entry_embeds(Entry(key="k", term="K", summary="S.", body=body))[0]
    assert [(f.name, f.value, f.inline) for f in embed.fields] == [
        ("Pros", "✅ good", True),
        ("Cons", "❌ bad", True),
        ("\u200b", "Afterword.", False),
    ]


def test_oversized_entry_is_truncated_but_still_sendable() -> None:
    tree = Bullet("x", children=(Bullet("y"),) * 5)
    body = tuple(Bullets((tree,) * 30) for _ in range(30))
    entry = Entry(key="huge", term="Huge", summary="S.", body=body)
    assert markdown_size(entry) > MARKDOWN_BUDGET
    embeds = render.entry_embeds(entry)
    assert render.check_limits(embeds) == []
    assert "too long to show in full" in rendered_text(embeds)


def test_notice_is_shown_first_in_italics() -> None:
    entry = SHIPPED[0]
    embed = render.entry_embeds(entry, notice="Showing **Kaggle** for 'kagle'")[0]
    assert embed.description.startswith("*Showing **Kaggle** for 'kagle'*\n\n" + entry.summary)


def test_footer_shows_aliases_and_one_date_and_no_related_field() -> None:
    entry = Entry(
        key="kaggle",
        term="Kaggle",
        summary="S.",
        aliases=("kagle", "kaggle.com"),
        related=("google-colab", "lightning-ai"),
        updated_at="2026-03-14T10:00:00+00:00",
    )
    [embed] = render.entry_embeds(entry)
    # Related entries are the message's buttons; the date is written once, not also stamped.
    assert [f.name for f in embed.fields] == []
    assert embed.footer.text == "Also: kagle, kaggle.com · Updated March 14, 2026"
    assert embed.timestamp is None


def test_footer_leaves_out_aliases_that_only_differ_in_spelling() -> None:
    aliases = ("backing vocal", "Backing-Vocals", "background vocals", "background vocal", "bvs")
    entry = Entry(key="backing-vocals", term="Backing vocals", summary="S.", aliases=aliases)
    [embed] = render.entry_embeds(entry)
    assert embed.footer.text == "Also: background vocals, bvs"


@pytest.mark.parametrize(
    ("updated_at", "footer"),
    [
        ("2026-03-14T00:00:00+00:00", "Updated March 14, 2026"),
        ("2026-12-31T23:30:00-02:00", "Updated January 1, 2027"),
        ("2026-07-04T09:00:00", "Updated July 4, 2026"),
        ("not a date", None),
        (None, None),
    ],
)
def test_footer_date(updated_at: str | None, footer: str | None) -> None:
    [embed] = render.entry_embeds(Entry(key="k", term="K", summary="S.", updated_at=updated_at))
    assert embed.footer.text == footer


@pytest.mark.parametrize(
    ("snippet", "markdown"),
    [
        (Snippet("…the pitch of a voice", ((5, 10),)), "…the **pitch** of a voice"),
        (Snippet("pitch and pitch", ((0, 5), (10, 15))), "**pitch** and **pitch**"),
        (Snippet("no match"), "no match"),
        (Snippet(""), ""),
    ],
)
def test_search_snippet_shows_the_matched_words_in_bold(snippet: Snippet, markdown: str) -> None:
    assert render.snippet_markdown(snippet) == markdown


def _description(summary: str, *body: Block) -> str | None:
    """Return the description of the first embed of an entry with this summary and body."""
    return render.entry_embeds(Entry(key="k", term="K", summary=summary, body=body))[0].description


def test_summary_that_repeats_the_only_bullet_is_not_shown_twice() -> None:
    text = "Vocal lines that contribute to the sound of the lead vocals in a song."
    assert _description(text, Bullets((Bullet(text),))) == f"- {text}"


def test_summary_that_condenses_neighbouring_sentences_is_left_out() -> None:
    body = (
        Paragraph("The amount of data processed per certain unit of time, in kilobits per second."),
        Paragraph("Higher bitrate equals a higher quality."),
    )
    summary = "The amount of data processed per unit of time. Higher bitrate equals higher quality."
    assert _description(summary, *body) == f"{body[0].text}\n\n{body[1].text}"


def test_summary_sentences_the_body_does_not_say_are_kept() -> None:
    body = (Paragraph("A cloud platform by Google to run Jupyter Notebooks."),)
    summary = (
        "A cloud platform by Google to run Jupyter Notebooks. It gives 30 free GPU hours a week."
    )
    assert _description(summary, *body) == f"It gives 30 free GPU hours a week.\n\n{body[0].text}"


def test_a_different_number_is_something_new() -> None:
    body = (Paragraph("Free users get 15 monthly credits."),)
    assert _description("Free users get 25 monthly credits.", *body).startswith("Free users get 25")


def test_summary_without_a_body_is_shown() -> None:
    assert _description("Further improving an AI model.") == "Further improving an AI model."


@pytest.mark.parametrize("entry", SHIPPED, ids=lambda entry: entry.key)
def test_shipped_entry_never_shows_a_sentence_twice(entry: Entry) -> None:
    embeds = render.entry_embeds(entry, notice="Showing this for 'x'")
    lines = [line for embed in embeds for line in (embed.description or "").split("\n")]
    lines += [line for embed in embeds for f in embed.fields for line in f.value.split("\n")]
    # Fragments such as "e.g." are not sentences.
    said = [normalize(part) for line in lines for part in sentences(line)]
    said = [text for text in said if len(text.split()) >= 3]
    assert [text for text in set(said) if said.count(text) > 1] == []


def test_category_colours_cover_every_category() -> None:
    assert set(render.CATEGORY_COLOURS) == set(CATEGORIES)
    assert len(set(render.CATEGORY_COLOURS.values())) == len(CATEGORIES)


@pytest.mark.parametrize("entry", [SHIPPED[0], maximal_entry()], ids=["shipped", "maximal"])
def test_summary_embed_is_compact_and_within_limits(entry: Entry) -> None:
    embed = render.summary_embed(entry, hint=f"Use /define {entry.key} for the full entry")
    assert render.check_limits([embed]) == []
    assert embed.title == entry.term
    assert embed.description.startswith(entry.summary)
    assert embed.description.endswith(f"*Use /define {entry.key} for the full entry*")
    assert not embed.fields


def test_check_limits_reports_each_broken_limit() -> None:
    embed = discord.Embed(title="t" * 257, description="d" * 4097)
    embed.set_footer(text="f" * 2049)
    for _ in range(26):
        embed.add_field(name="n", value="v" * 1025)
    problems = render.check_limits([embed] * 11)
    for needle in ("11 embeds", "in total", "title", "description", "footer", "26 fields"):
        assert any(needle in problem for problem in problems), needle
    assert any("value has 1025" in problem for problem in problems)


def test_entry_text_leaves_out_a_summary_the_body_says_as_discord_does() -> None:
    restated = [e for e in SHIPPED if new_summary(e) != e.summary]
    assert restated  # the shipped glossary has such entries, e.g. HAGS
    for entry in restated:
        head = entry_text(entry).split("\n\n", 1)[0]
        assert head == "\n".join(part for part in (entry.term, new_summary(entry)) if part)


def test_embeds_size_counts_like_discord() -> None:
    embed = discord.Embed(title="ab", description="cde")
    embed.add_field(name="f", value="gh")
    embed.set_footer(text="ij")
    embed.set_author(name="k")
    assert render.embeds_size([embed, embed]) == 2 * 11


def test_entry_text_lists_everything() -> None:
    entry = next(e for e in SHIPPED if any(isinstance(b, ProsCons) for b in e.body))
    text = entry_text(entry)
    summary = new_summary(entry)
    assert text.startswith(f"{entry.term}\n{summary}\n" if summary else f"{entry.term}\n\n")
    texts = [t for block in entry.body for t in block_texts(block)]
    assert all(word in text for t in texts for word in t.split())
    assert all(alias in text for alias in entry.aliases)
    assert all(key in text for key in entry.related)


_LONG_LINES = lines(st.one_of(words(), words(120)))


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    """Draw an entry with random body, names and metadata."""
    return Entry(
        key="random",
        term=draw(lines().map(lambda text: text[: schema.TERM_MAX].strip() or "term")),
        summary=draw(lines().map(lambda text: text[: schema.SUMMARY_MAX].strip() or "sum")),
        category=draw(st.sampled_from(CATEGORIES)),
        aliases=tuple(f"alias{i}" for i in range(draw(st.integers(0, schema.MAX_ALIASES)))),
        body=draw(bodies(_LONG_LINES)),
        related=tuple(f"rel-{i}" for i in range(draw(st.integers(0, schema.MAX_RELATED)))),
        updated_at=draw(st.sampled_from([None, "2026-03-14T12:00:00+00:00", "bad"])),
    )


@given(entries(), st.none() | lines())
def test_random_valid_entries_render_completely_within_limits(
    entry: Entry, notice: str | None
) -> None:
    assume(valid(entry))
    assert_complete_and_within_limits(entry, render.entry_embeds(entry, notice=notice))
