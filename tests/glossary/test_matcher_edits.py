"""A matcher changed one entry at a time answers exactly as one built from scratch."""

from __future__ import annotations

import dataclasses
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.glossary import matcher as matcher_module
from bot.glossary.matcher import Matcher
from bot.glossary.models import Entry
from tests.glossary.test_matcher import load_glossary

# Few words, chosen to collide: plurals, typos of each other, shared prefixes and words,
# short names whose swapped letters meet, a parenthesised part, everyday words.
WORDS = "gpu gpus model models kaggle kagle colab lab bit depth ab a hags hgas flac flacc x(y) the"
WORDS = WORDS.split()
QUERIES = [
    *WORDS,
    "",
    "g",
    "gp",
    "ka",
    "mo",
    "mod",
    "what is ",
    "what is gpu",
    "whats a kagle",
    "bit dept",
    "hgas?",
    "lora vs rvc",
    "google colab notebook",
    "voice mixer",
    "how do i train a model",
    "flac epochs",
]

names = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
keys = st.sampled_from([f"k{n}" for n in range(5)])


@st.composite
def entries(draw: st.DrawFn, key: st.SearchStrategy[str] = keys) -> Entry:
    """Return an entry whose names and text share words with other entries'."""
    return Entry(
        key=draw(key),
        term=draw(names).title(),
        summary=f"About {draw(names)}.",
        aliases=tuple(draw(st.lists(names, max_size=2))),
    )


# An edit: an entry to put, or a key to discard.
edits = st.lists(st.one_of(entries(), keys), max_size=12)


def state(matcher: Matcher) -> dict[str, Any]:
    """Return everything a matcher holds, in a form that compares by value."""
    found: dict[str, Any] = {}
    for slot in Matcher.__slots__:
        value = getattr(matcher, slot)
        if isinstance(value, matcher_module._Claims):
            value = (dict(value), value._waiting)
        elif isinstance(value, matcher_module._FuzzyIndex):
            # Not its cache of every string, which it makes when first asked.
            value = (value._held, value._waiting, value._buckets)
        found[slot] = value
    return found


def answers(matcher: Matcher) -> list[object]:
    """Return what the matcher answers to every query, through every public method."""
    found: list[object] = []
    for query in QUERIES:
        result = matcher.lookup(query)
        found.append((result.match, result.suggestions, matcher.autocomplete(query)))
        found.append((matcher.correct(query), matcher.compare(f"{query} vs gpu")))
    found.append([matcher.vocabulary(f"k{n}") for n in range(5)])
    found.append(matcher.entries)
    return found


def assert_same(edited: Matcher, fresh: Matcher) -> None:
    """Fail unless two matchers hold and answer the same."""
    assert state(edited) == state(fresh)
    assert answers(edited) == answers(fresh)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.lists(entries(), max_size=6),
    changes=edits,
    popularity=st.dictionaries(keys, st.integers(0, 3)),
    bucketed=st.booleans(),
)
def test_edits_leave_the_matcher_as_a_fresh_build(
    first: list[Entry], changes: list[Entry | str], popularity: dict[str, int], bucketed: bool
) -> None:
    # With a tiny scan limit even this small glossary uses the length buckets of big ones.
    with mock.patch.object(matcher_module, "_FULL_SCAN_LIMIT", 2 if bucketed else 3000):
        live = {entry.key: entry for entry in first}
        edited = Matcher(live.values(), popularity=popularity)
        for change in changes:
            if isinstance(change, Entry):
                edited.put(change)
                live[change.key] = change
            else:
                edited.discard(change)
                live.pop(change, None)
        assert_same(edited, Matcher(live.values(), popularity=popularity))


def test_edits_to_the_shipped_glossary_match_a_fresh_build() -> None:
    glossary = {entry.key: entry for entry in load_glossary()}
    popularity = {"gpu": 5, "kaggle": 3}
    edited = Matcher(glossary.values(), popularity=popularity)
    gpu, colab = glossary["gpu"], glossary["google-colab"]
    changes = [
        dataclasses.replace(gpu, term="Graphics Card", aliases=(*gpu.aliases, gpu.term)),
        dataclasses.replace(colab, aliases=(*colab.aliases, "kagle notebook")),
        dataclasses.replace(glossary["hags"], summary="Edited."),
    ]
    for entry in changes:
        edited.put(entry)
        glossary[entry.key] = entry
    for key in ("cuda", "bitrate"):
        edited.discard(key)
        del glossary[key]
    assert_same(edited, Matcher(glossary.values(), popularity=popularity))
    assert edited.lookup("graphics card").match is not None
    assert edited.lookup("cuda").match is None


def test_a_name_two_entries_share_passes_to_the_other_when_one_goes() -> None:
    first = Entry(key="a", term="Alpha", summary="s", aliases=("shared name", "kagle"))
    second = Entry(key="b", term="Beta", summary="s", aliases=("shared name", "kagle"))
    edited = Matcher([first, second])
    assert edited.lookup("shared name").match.entry.key == "a"  # type: ignore[union-attr]
    edited.discard("a")
    assert_same(edited, Matcher([second]))
    assert edited.lookup("shared name").match.entry.key == "b"  # type: ignore[union-attr]
    edited.put(first)
    assert_same(edited, Matcher([first, second]))


def test_putting_an_entry_back_restores_the_first_build() -> None:
    glossary = load_glossary()
    edited = Matcher(glossary)
    for entry in glossary[::3]:
        edited.discard(entry.key)
        edited.discard(entry.key)  # a second time changes nothing
    for entry in glossary[::3]:
        edited.put(entry)
        edited.put(entry)  # the same entry again replaces itself
    assert_same(edited, Matcher(glossary))
