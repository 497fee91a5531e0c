"""Table-driven tests for the glossary matcher against the shipped glossary."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.glossary.codec import entry_from_dict
from bot.glossary.matcher import STOP_WORDS, Hit, LookupResult, Matcher, extract_query
from bot.glossary.models import Entry

GLOSSARY_PATH = Path(__file__).resolve().parents[2] / "data" / "glossary.yaml"


def load_glossary() -> list[Entry]:
    """Return the shipped glossary entries, so the table runs against the real data."""
    data = yaml.safe_load(GLOSSARY_PATH.read_text(encoding="utf-8"))
    return [entry_from_dict(item) for item in data["entries"]]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_glossary())


# Query -> expected entry key. Each entry appears several times: plain, phrased, typo'd.
POSITIVE: list[tuple[str, str]] = [
    ("backing vocals", "backing-vocals"),
    ("what are backing vocals?", "backing-vocals"),
    ("Backing Vocal", "backing-vocals"),
    ("bakcing vocals", "backing-vocals"),
    ("how do i separate backing vocals from lead", "backing-vocals"),
    ("bit depth", "bit-depth"),
    ("what is bit-depth", "bit-depth"),
    ("bitdepth?", "bit-depth"),
    ("16 or 24 bit depth for training", "bit-depth"),
    ("bit dept", "bit-depth"),
    ("bitrate", "bitrate"),
    ("what does kbps mean", "bitrate"),
    ("BIT RATE", "bitrate"),
    ("bitrates", "bitrate"),
    ("birate", "bitrate"),
    ("daw", "daw"),
    ("what does DAW stand for", "daw"),
    ("daws", "daw"),
    ("digital audio workstation", "daw"),
    ("which daw should i use", "daw"),
    ("checkpoints", "checkpoints"),
    ("what's a checkpoint", "checkpoints"),
    ("G and D", "checkpoints"),
    ("ckpt", "checkpoints"),
    ("checkpionts", "checkpoints"),
    ("where are the G and D files saved", "checkpoints"),
    ("gpu", "gpu"),
    ("GPUs", "gpu"),
    ("is my gpu good enough", "gpu"),
    ("what is a graphics card", "gpu"),
    ("whats an gpu", "gpu"),
    ("hags", "hags"),
    ("HAGS?", "hags"),
    ("how to disable hags", "hags"),
    ("hardware accelerated gpu scheduling", "hags"),
    ("what does HAGS stand for", "hags"),
    ("local running", "local-running"),
    ("running locally", "local-running"),
    ("can i run it locally", "local-running"),
    ("local runing", "local-running"),
    ("cloud based", "cloud-based"),
    ("cloud-based", "cloud-based"),
    ("what is the cloud", "cloud-based"),
    ("cloud", "cloud-based"),
    ("cuda", "cuda"),
    ("wtf is cuda", "cuda"),
    ("CUDA out of memory", "cuda"),
    ("nvidia cuda", "cuda"),
    ("fine-tuning", "fine-tuning"),
    ("finetuning", "fine-tuning"),
    ("explain fine tuning", "fine-tuning"),
    ("fine tunning", "fine-tuning"),
    ("fork", "fork"),
    ("forks", "fork"),
    ("what is a fork", "fork"),
    ("which rvc fork is best", "fork"),
    ("gradio", "gradio"),
    ("what is gradio", "gradio"),
    ("gradio share link not working", "gradio"),
    ("gradoi", "gradio"),
    ("jupyter notebook", "jupyter-notebook"),
    ("jupyter", "jupyter-notebook"),
    ("ipynb", "jupyter-notebook"),
    ("jupyter notebok", "jupyter-notebook"),
    ("what is a notebook", "jupyter-notebook"),
    ("colab", "google-colab"),
    ("google colab", "google-colab"),
    ("colabs", "google-colab"),
    ("google colaboratory", "google-colab"),
    ("is colab free", "google-colab"),
    ("gogle colab", "google-colab"),
    ("huggingface space", "huggingface-space"),
    ("hugging face spaces", "huggingface-space"),
    ("hf space", "huggingface-space"),
    ("HuggingFace", "huggingface-space"),
    ("kaggle", "kaggle"),
    ("kaggles", "kaggle"),
    ("kagle", "kaggle"),
    ("Kaggle?", "kaggle"),
    ("`kaggle`", "kaggle"),
    ("how many hours do i get on kaggle", "kaggle"),
    ("lightning.ai", "lightning-ai"),
    ("lightning ai", "lightning-ai"),
    ("lightning", "lightning-ai"),
    ("lightnin studio", "lightning-ai"),
    ("ligthning ai", "lightning-ai"),
    ("inference", "inference"),
    ("whats an inference", "inference"),
    ("inferance", "inference"),
    ("explain inference", "inference"),
    ("lossless formats", "lossless-formats"),
    ("flac", "lossless-formats"),
    ("wav", "lossless-formats"),
    ("difference between flac and wav", "lossless-formats"),
    ("lossless", "lossless-formats"),
    ("lossy formats", "lossy-formats"),
    ("mp3", "lossy-formats"),
    ("is mp3 ok for a dataset", "lossy-formats"),
    ("lossy", "lossy-formats"),
    ("localtunnel", "localtunnel"),
    ("local tunnel", "localtunnel"),
    ("localtunel", "localtunnel"),
    ("model training", "model-training"),
    ("what is model training", "model-training"),
    ("modle training", "model-training"),
    ("training", "model-training"),
    ("specs", "specs"),
    ("pc specs", "specs"),
    ("define specs", "specs"),
    ("meaning of specifications", "specs"),
    ("0 shot training", "zero-shot-training"),
    ("zero shot", "zero-shot-training"),
    ("zero-shot training", "zero-shot-training"),
    ("zeroshot", "zero-shot-training"),
    ("optim", "optim"),
    ("optimizer", "optim"),
    ("optimiser", "optim"),
    ("what does optim mean", "optim"),
    ("optimizers", "optim"),
    ("optimzer", "optim"),
    ("what's a gpu", "gpu"),
    ("whats an fork", "fork"),
    ("what are gpus", "gpu"),
    ("define cuda", "cuda"),
    ("meaning of bitrate", "bitrate"),
    ("explain kaggle", "kaggle"),
    ("gradio?", "gradio"),
    ("what does bitrate mean", "bitrate"),
    ("**Kaggle**", "kaggle"),
    ("  KAGGLE  ", "kaggle"),
    ("what is colab?!", "google-colab"),
    ("tell me about hags", "hags"),
]

# Queries that must not be answered: a wrong definition is worse than "not found".
NEGATIVE: list[str] = [
    "pizza",
    "the",
    "a",
    "hello",
    "what is love",
    "how are you",
    "thanks",
    "🙂",
    "",
    "   ",
    "x" * 10_000,
    "\x00\x01\x02",
    "what",
    "what is",
    "what is the",
    "is",
    "how",
    "why",
    "help",
    "hi bot",
    "thank you so much",
    "good morning",
    "lol",
    "ok",
    "yes",
    "no",
    "what time is it",
    "who are you",
    "i love this server",
    "banana",
    "weather today",
    "how do i cook rice",
    "what is the meaning of life",
    "define happiness",
    "explain quantum physics",
    "can you help me",
    "what does it mean",
    "how does it work",
    "what is this",
    "😂😂😂",
    "????",
    "...",
    "!!!",
    "12345",
    "tell me a joke",
    "anyone here",
    "gm",
    "brb",
    "what is a word",
    "work",
    "love",
    "the the the",
    "not enough disk space",
    "what is a model",
    "where do i start",
    "k",
    "g",
    "d",
]


@pytest.mark.parametrize(("query", "key"), POSITIVE)
def test_lookup_finds_expected_entry(matcher: Matcher, query: str, key: str) -> None:
    result = matcher.lookup(query)
    assert result.match is not None, f"{query!r}: no match, suggestions {result.suggestions}"
    assert result.match.entry.key == key


@pytest.mark.parametrize("query", NEGATIVE)
def test_lookup_rejects_unrelated_query(matcher: Matcher, query: str) -> None:
    assert matcher.lookup(query).match is None


def test_table_covers_every_entry() -> None:
    keys = {entry.key for entry in load_glossary()}
    assert keys <= {key for _, key in POSITIVE}


@pytest.mark.parametrize(
    ("query", "first", "second"),
    [
        ("colab vs kaggle", "google-colab", "kaggle"),
        ("kaggle or colab", "kaggle", "google-colab"),
        ("lightning ai vs colab", "lightning-ai", "google-colab"),
        ("is gpu or cuda more important", "gpu", "cuda"),
    ],
)
def test_two_terms_give_match_and_first_suggestion(
    matcher: Matcher, query: str, first: str, second: str
) -> None:
    result = matcher.lookup(query)
    assert result.match is not None and result.match.entry.key == first
    assert result.suggestions and result.suggestions[0].entry.key == second


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("Kaggle", "exact"),
        ("colab", "alias"),
        ("kagle", "fuzzy"),
        ("how to disable hags", "contained"),
        ("jupyter noteb", "prefix"),
    ],
)
def test_lookup_reports_how_it_matched(matcher: Matcher, query: str, kind: str) -> None:
    match = matcher.lookup(query).match
    assert match is not None and match.kind == kind
    assert 0.0 <= match.score <= 100.0


@pytest.mark.parametrize("query", ["bit", "lightnin studio", "vocals", "model", "studio"])
def test_suggestions_never_repeat_the_match(matcher: Matcher, query: str) -> None:
    result = matcher.lookup(query)
    keys = [hit.entry.key for hit in result.suggestions]
    assert len(keys) == len(set(keys)) <= 5
    if result.match is not None:
        assert result.match.entry.key not in keys


@pytest.mark.parametrize(
    ("query", "key"), [("bit", "bit-depth"), ("bit", "bitrate"), ("vocals", "backing-vocals")]
)
def test_no_match_still_suggests(matcher: Matcher, query: str, key: str) -> None:
    result = matcher.lookup(query)
    assert result.match is None
    assert key in {hit.entry.key for hit in result.suggestions}


def test_lookup_result_keeps_original_query(matcher: Matcher) -> None:
    result = matcher.lookup("What is KAGGLE?")
    assert isinstance(result, LookupResult)
    assert result.query == "What is KAGGLE?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What is a GPU?", "gpu"),
        ("what's an optimizer", "optimizer"),
        ("whats a fork", "fork"),
        ("what are checkpoints", "checkpoints"),
        ("define `cuda`", "cuda"),
        ("meaning of bit depth", "bit depth"),
        ("explain HAGS pls", "hags"),
        ("wtf is kaggle", "kaggle"),
        ("what does DAW stand for?", "daw"),
        ("what does bitrate mean", "bitrate"),
        ("Google Colab?", "google colab"),
        ("how to disable hags", "how to disable hags"),
        ("what is", ""),
    ],
)
def test_extract_query_strips_question_phrasing(text: str, expected: str) -> None:
    assert extract_query(text) == expected


# ------------------------------------------------------------------ autocomplete


@pytest.mark.parametrize(
    ("text", "key", "kind"),
    [
        ("kag", "kaggle", "prefix"),
        ("colab", "google-colab", "alias"),
        ("CUDA", "cuda", "exact"),
        ("jupy", "jupyter-notebook", "prefix"),
        ("optimis", "optim", "alias"),
        ("kagl", "kaggle", "fuzzy"),
        ("what is kag", "kaggle", "prefix"),
    ],
)
def test_autocomplete_first_hit(matcher: Matcher, text: str, key: str, kind: str) -> None:
    hits = matcher.autocomplete(text)
    assert hits and hits[0].entry.key == key and hits[0].kind == kind


_KIND_ORDER = {"exact": 0, "prefix": 1, "alias": 2, "fuzzy": 3}


@pytest.mark.parametrize("text", ["g", "lo", "co", "l", "bit", "s", "train", "zz", "ka"])
def test_autocomplete_one_hit_per_entry_in_tier_order(matcher: Matcher, text: str) -> None:
    hits = matcher.autocomplete(text)
    keys = [hit.entry.key for hit in hits]
    assert len(keys) == len(set(keys)) <= 25
    ranks = [_KIND_ORDER[hit.kind] for hit in hits]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize(("limit", "expected"), [(0, 0), (3, 3), (25, 25), (100, 25)])
def test_autocomplete_respects_limit(limit: int, expected: int) -> None:
    entries = [Entry(key=f"term-{i:03d}", term=f"Term {i:03d}", summary="s") for i in range(60)]
    assert len(Matcher(entries).autocomplete("term", limit)) == expected


def test_empty_autocomplete_is_popular_then_alphabetical() -> None:
    entries = [Entry(key=k, term=k.capitalize(), summary="s") for k in ("b", "d", "a", "c")]
    matcher = Matcher(entries, popularity={"d": 5, "c": 9})
    assert [hit.entry.key for hit in matcher.autocomplete("   ")] == ["c", "d", "a", "b"]
    assert [hit.entry.key for hit in matcher.autocomplete("", 1)] == ["c"]


def test_popularity_orders_prefix_ties() -> None:
    entries = [Entry(key=k, term=t, summary="s") for k, t in (("aa", "Alpha"), ("ab", "Alpine"))]
    assert Matcher(entries).autocomplete("alp")[0].entry.key == "aa"
    assert Matcher(entries, popularity={"ab": 1}).autocomplete("alp")[0].entry.key == "ab"


def test_hit_is_immutable(matcher: Matcher) -> None:
    hit = matcher.autocomplete("kaggle")[0]
    assert isinstance(hit, Hit)
    with pytest.raises(AttributeError):
        hit.score = 0.0  # type: ignore[misc]


# ------------------------------------------------------------------ robustness


def test_stop_words_never_match_alone(matcher: Matcher) -> None:
    matched = {word for word in STOP_WORDS if matcher.lookup(word).match is not None}
    assert matched == set()


def test_matched_is_a_name_as_written(matcher: Matcher) -> None:
    for query, _ in POSITIVE:
        match = matcher.lookup(query).match
        assert match is not None and match.matched in match.entry.names


_MATCHER = Matcher(load_glossary())


@given(st.text(max_size=400))
def test_any_text_gives_a_well_formed_result(text: str) -> None:
    result = _MATCHER.lookup(text)
    keys = [hit.entry.key for hit in result.suggestions]
    assert len(keys) == len(set(keys)) <= 5
    if result.match is not None:
        assert result.match.entry.key not in keys
        assert 0.0 <= result.match.score <= 100.0
    hits = _MATCHER.autocomplete(text)
    assert len({hit.entry.key for hit in hits}) == len(hits) <= 25


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("ucda", "cuda"),
        ("lfac", "lossless-formats"),
        ("colba", "google-colab"),
        ("flacc", "lossless-formats"),
        ("kagel", "kaggle"),
        ("hgas", "hags"),
        ("bit dept", "bit-depth"),
    ],
)
def test_swapped_and_doubled_letters_are_typos(matcher: Matcher, query: str, key: str) -> None:
    match = matcher.lookup(query).match
    assert match is not None and match.entry.key == key


@pytest.mark.parametrize(
    "query",
    ["cuba", "optic", "dab", "forge", "cloudy", "haggle", "cola", "radio", "jupiter", "og"],
)
def test_english_words_are_not_typos(matcher: Matcher, query: str) -> None:
    assert matcher.lookup(query).match is None


@pytest.mark.parametrize(
    "query", ["fork in the road", "radio station", "lightning bolt", "mp3 player", "weight loss"]
)
def test_unrelated_words_change_the_meaning(matcher: Matcher, query: str) -> None:
    assert matcher.lookup(query).match is None


@pytest.mark.parametrize(("query", "key"), [("fl studio", "daw"), ("audacity", "daw")])
def test_missed_query_suggests_entries_mentioning_it_first(
    matcher: Matcher, query: str, key: str
) -> None:
    result = matcher.lookup(query)
    assert result.match is None
    assert result.suggestions and result.suggestions[0].entry.key == key


def test_autocomplete_ignores_finished_question_phrasing(matcher: Matcher) -> None:
    assert [hit.entry.key for hit in matcher.autocomplete("what is ")] == [
        hit.entry.key for hit in matcher.autocomplete("")
    ]
