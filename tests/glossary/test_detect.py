"""Tests for bot.glossary.detect: question, mention and off modes, markup, find_terms."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.glossary.codec import entry_from_dict
from bot.glossary.detect import (
    _BARE_SUFFIXES,
    _TOKEN,
    _WEAK_SUFFIXES,
    Detector,
    _clauses,
    _fold,
    _split,
    strip_markup,
)
from bot.glossary.matcher import Matcher
from bot.glossary.models import Entry

GLOSSARY = Path(__file__).resolve().parents[2] / "data" / "glossary.yaml"


def _shipped() -> list[Entry]:
    """Return the entries of the shipped glossary."""
    data = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))
    return [entry_from_dict(item) for item in data["entries"]]


ENTRIES = _shipped()
DETECTOR = Detector(ENTRIES)


def _keys(entries: list[Entry]) -> list[str]:
    """Return the keys of entries, in order."""
    return [entry.key for entry in entries]


# --- question mode -------------------------------------------------------------------------

QUESTIONS: list[tuple[str, list[str]]] = [
    ("what is hags", ["hags"]),
    ("What is HAGS?", ["hags"]),
    ("what's a checkpoint?", ["checkpoints"]),
    ("whats kaggle", ["kaggle"]),
    ("whats a daw", ["daw"]),
    ("wtf is hags", ["hags"]),
    ("what are checkpoints", ["checkpoints"]),
    ("what are lossy formats?", ["lossy-formats"]),
    ("what does optim mean", ["optim"]),
    ("what does DAW stand for?", ["daw"]),
    ("what do you mean by fine tuning", ["fine-tuning"]),
    ("wdym by inference", ["inference"]),
    ("can someone explain cuda", ["cuda"]),
    ("could anyone explain what a fork is", ["fork"]),
    ("anyone know what localtunnel is?", ["localtunnel"]),
    ("idk what bit depth is", ["bit-depth"]),
    ("i dont know what gradio means", ["gradio"]),
    ("i have no idea what hags is lol", ["hags"]),
    ("meaning of bitrate?", ["bitrate"]),
    ("definition of zero shot training", ["zero-shot-training"]),
    ("explain hags pls", ["hags"]),
    ("pls explain lightning.ai", ["lightning-ai"]),
    ("hags?", ["hags"]),
    ("HAGS???", ["hags"]),
    ("  hags  ? ", ["hags"]),
    ("optim = ?", ["optim"]),
    ("optim=?", ["optim"]),
    ("what's kaggle?", ["kaggle"]),
    ("WHAT IS GOOGLE COLAB", ["google-colab"]),
    ("what   is    gradio", ["gradio"]),
    ("what is hags 🤔", ["hags"]),
    ("🤔 what is hags??", ["hags"]),
    ("what is hags <:thonk:123456789012345678>", ["hags"]),
    ("yo what is hags :thinking:", ["hags"]),
    ("what is hags and should I disable it", ["hags"]),
    ("what is a fork on github", ["fork"]),
    ("what is hags exactly", ["hags"]),
    ("what is hags in windows", ["hags"]),
    ("what does optim mean in the settings", ["optim"]),
    ("what even is a jupyter notebook", ["jupyter-notebook"]),
    ("what exactly is a checkpoint", ["checkpoints"]),
    ("what is meant by inference?", ["inference"]),
    ("whats the meaning of bitrate", ["bitrate"]),
    ("what r specs", ["specs"]),
    ("wat is gradio", ["gradio"]),
    ("what is a gpu?", ["gpu"]),
    ("what is cuda used for", ["cuda"]),
    ("what is a fork in github", ["fork"]),
    ("what are lossy and lossless formats", ["lossy-formats", "lossless-formats"]),
    ("what is hags and cuda", ["hags", "cuda"]),
    ("hey guys, what's a DAW?", ["daw"]),
    ("noob question: what is inference", ["inference"]),
    ("sorry if dumb question but what is fine-tuning?", ["fine-tuning"]),
    ("what is huggingface space", ["huggingface-space"]),
    ("what is a hf space", ["huggingface-space"]),
    ("what does the word fork mean here", ["fork"]),
    ("hags meaning", ["hags"]),
    ("optim meaning?", ["optim"]),
    ("kaggle definition pls", ["kaggle"]),
    ("hags? what is that", ["hags"]),
    ("can u explain what cuda is and why it matters", ["cuda"]),
    ("what does hags do", ["hags"]),
    ("what is the hags setting", ["hags"]),
    ("whats flac", ["lossless-formats"]),
    ("i was wondering what is localtunnel", ["localtunnel"]),
    ("ok but what is the cloud", ["cloud-based"]),
    ("i know what cuda is, but what is hags?", ["hags"]),
    ("what’s hags", ["hags"]),
    ("ＷＨＡＴ ＩＳ ＨＡＧＳ", ["hags"]),
    ("what is ckpt", ["checkpoints"]),
    ("eli5 inference", ["inference"]),
    ("define bit depth", ["bit-depth"]),
    ("tell me what a gpu is", ["gpu"]),
    ("what is 0 shot training", ["zero-shot-training"]),
    ("what are g and d files", ["checkpoints"]),
    ("explain what lossy formats are", ["lossy-formats"]),
    ("can anyone tell me what kaggle is", ["kaggle"]),
    ("what is this hags thing everyone talks about", ["hags"]),
]

NOT_QUESTIONS: list[str] = [
    "my gpu is too weak",
    "I disabled HAGS and it fixed it",
    "training on kaggle rn",
    "is kaggle down?",
    "can I use lossy formats for training?",
    "cuda out of memory help",
    "how do I install cuda?",
    "what is the best gpu for rvc?",
    "what is kaggle's gpu limit?",
    "what's wrong with my colab",
    "what is the kaggle limit",
    "what gpu do you have",
    "what gpu is best for training",
    "what is a good gpu",
    "what's your gpu",
    "what are your specs?",
    "what are the specs of your pc",
    "what specs do you need for rvc",
    "which is better, kaggle or colab?",
    "kaggle or colab?",
    "what is better kaggle or colab",
    "what is the gpu usage on colab",
    "what's the cuda version you use",
    "what is kaggle like for training",
    "what does kaggle offer for free",
    "what does cuda out of memory mean",
    "what is the inference time on colab",
    "what is colab doing",
    "what about kaggle?",
    "does anyone know how to fix cuda",
    "can someone explain why kaggle is so slow",
    "explain how to use the fork pls",
    "let me explain hags: it's a windows setting",
    "i know what hags is",
    "that's what kaggle is for",
    "thats what colab is",
    "hags",
    "kaggle",
    "my fps dropped. hags?",
    "kaggle? i use colab",
    "`what is hags`",
    "```\nwhat is hags\n```",
    "> what is hags",
    ">>> what is hags\nwhat is cuda",
    "||what is hags||",
    "https://example.com/what-is-hags",
    "<https://example.com/what/is/hags>",
    "check https://www.kaggle.com/what-is-kaggle",
    "lol shags",
    "whats up with kaggle",
    "what's happening with my training",
    "I trained on colab and it worked",
    "the checkpoint saved fine",
    "use flac not mp3",
    "hags on or off?",
    "is hags good?",
    "should i disable hags?",
    "how long does inference take?",
    "why is my gpu at 100%",
    "what",
    "what is",
    "what is this",
    "",
    "???",
    "what is the difference",
    "what gpus does kaggle have",
    "what kaggle gives is enough",
    "what cuda version is needed",
    "hows training going?",
    "is colab free?",
    "what time is it",
    "<@123456789012345678> what's up",
    "what is rvc",
    "what is hags doing to my fps",
]


@pytest.mark.parametrize(("message", "keys"), QUESTIONS)
def test_question_mode_answers_questions(message: str, keys: list[str]) -> None:
    assert _keys(DETECTOR.scan(message)) == keys


@pytest.mark.parametrize("message", NOT_QUESTIONS)
def test_question_mode_stays_quiet(message: str) -> None:
    assert DETECTOR.scan(message) == []


def test_tables_are_large_enough() -> None:
    assert len(QUESTIONS) >= 60
    assert len(NOT_QUESTIONS) >= 60


# --- private fixture: autoreply flag and exclusion -----------------------------------------


def _entry(key: str, term: str, *aliases: str, autoreply: bool = True) -> Entry:
    """Return a minimal entry."""
    return Entry(key=key, term=term, summary="s", aliases=aliases, autoreply=autoreply)


SMALL = Detector(
    [
        _entry("hags", "HAGS", "Hardware-Accelerated GPU Scheduling"),
        _entry("gpu", "GPU", "graphics card", autoreply=False),
        _entry("checkpoints", "Checkpoints", "G and D"),
        _entry("google-colab", "Google Colab", "colab"),
        _entry("lightning-ai", "Lightning.AI"),
        _entry("kaggle", "Kaggle"),
    ]
)

MENTIONS: list[tuple[str, tuple[str, ...], list[str]]] = [
    ("I disabled HAGS and it fixed it", (), ["hags"]),
    ("lol shags", (), []),
    ("hagsy", (), []),
    ("my gpu is too weak", (), []),  # autoreply off
    ("resume with G and D", (), ["checkpoints"]),
    ("g-and-d", (), ["checkpoints"]),
    ("grand d", (), []),
    ("google colab vs kaggle, colab again", (), ["google-colab", "kaggle"]),
    ("trained on Lightning.AI", (), ["lightning-ai"]),
    ("hags and kaggle", ("hags",), ["kaggle"]),
    ("hags and kaggle", ("hags", "kaggle"), []),
    ("`hags` in code", (), []),
    ("hardware accelerated gpu scheduling is on", (), ["hags"]),
    ("", (), []),
]


@pytest.mark.parametrize(("message", "exclude", "keys"), MENTIONS)
def test_mention_mode(message: str, exclude: tuple[str, ...], keys: list[str]) -> None:
    assert _keys(SMALL.scan(message, "mention", exclude=exclude)) == keys


@pytest.mark.parametrize(
    ("message", "exclude", "keys"),
    [
        ("what is hags", (), ["hags"]),
        ("what is hags", ("hags",), []),
        ("what is a gpu", (), []),  # autoreply off
        ("what is kaggle and colab", ("kaggle",), ["google-colab"]),
    ],
)
def test_question_mode_honours_flag_and_exclude(
    message: str, exclude: tuple[str, ...], keys: list[str]
) -> None:
    assert _keys(SMALL.scan(message, exclude=exclude)) == keys


@pytest.mark.parametrize("message", ["what is hags", "hags?", "I disabled HAGS", "kaggle"])
def test_off_mode_is_silent(message: str) -> None:
    assert SMALL.scan(message, "off") == []
    assert SMALL.scan(message, "mention") != []  # guard: the message does name a term


def test_empty_glossary_finds_nothing() -> None:
    assert Detector([]).scan("what is hags") == []
    assert Detector([]).find_terms("hags") == []


def test_first_entry_keeps_a_shared_name() -> None:
    detector = Detector([_entry("a", "Alpha", "shared"), _entry("b", "Beta", "shared")])
    assert _keys(detector.scan("shared", "mention")) == ["a"]


# --- find_terms -----------------------------------------------------------------------------

FIND: list[tuple[str, list[tuple[str, str]]]] = [
    ("my GPU is weak", [("gpu", "GPU")]),
    ("HAGS? gpu, Hags again", [("hags", "HAGS"), ("gpu", "gpu")]),
    ("used Google Colab and colab", [("google-colab", "Google Colab")]),
    ("resume from G and D", [("checkpoints", "G and D")]),
    ("on Lightning.AI today", [("lightning-ai", "Lightning.AI")]),
    ("shags and hagsy", []),
    ("see `kaggle` docs", [("kaggle", "kaggle")]),  # code is prose the reader may ask about
    ("https://kaggle.com <:kaggle:1234567890>", []),
    ("ＨＡＧＳ on", [("hags", "ＨＡＧＳ")]),
    ("", []),
]


@pytest.mark.parametrize(("message", "expected"), FIND)
def test_find_terms(message: str, expected: list[tuple[str, str]]) -> None:
    found = [(entry.key, written) for entry, written in SMALL.find_terms(message)]
    assert found == expected


# --- strip_markup ---------------------------------------------------------------------------

STRIP: list[tuple[str, str]] = [
    ("plain text", "plain text"),
    ("a `code` b", "a   b"),
    ("a ``co`de`` b", "a   b"),
    ("a\n```py\nx = 1\n```\nb", "a\n\n\nb"),
    ("> quoted\nmine", "\n\nmine"),
    ("mine\n>>> all\nof this", "mine\n\n"),
    ("a ||secret|| b", "a   b"),
    ("see https://x.com/a?b=1 now", "see   now"),
    ("see <https://x.com/a> now", "see   now"),
    ("www.kaggle.com rocks", "  rocks"),
    ("hi <:pepe:123456789> <a:dance:987654321>", "hi    "),
    ("hi :thinking:", "hi  "),
    ("<@123> <@!456> <@&789> <#101112> yo", "        yo"),
    ("a > b", "a > b"),
    ("12:30", "12:30"),
]


@pytest.mark.parametrize(("message", "expected"), STRIP)
def test_strip_markup(message: str, expected: str) -> None:
    assert strip_markup(message) == expected


# --- hostile input --------------------------------------------------------------------------

HOSTILE: list[str] = [
    "what is hags " * 8_000,
    "a" * 100_000,
    "`" * 100_000,
    "|" * 100_000,
    "<" * 50_000 + ">" * 50_000,
    "> " * 50_000,
    "\x00\x01\x02what\x07 is\x1b hags\x7f",
    "what\u200b is\u200d hags\ufeff",
    "\u202ewhat is hags\u202c",
    "what is h\u0301ags",
    "\ud800 what is hags",
    "💀" * 30_000,
    "?" * 100_000,
    "what is " + "gpu " * 25_000,
    "||" + "a" * 100_000,
    "```" + "a" * 100_000,
    "``" + "a`" * 50_000,
    "hags? " * 20_000,
    "gpu vs cuda " * 8_000,
    "difference between gpu and cuda " * 3_000,
]


@pytest.mark.parametrize("message", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_does_not_raise(message: str) -> None:
    for mode in ("question", "mention", "off"):
        assert isinstance(DETECTOR.scan(message, mode), list)
    assert isinstance(DETECTOR.find_terms(message), list)
    assert isinstance(strip_markup(message), str)


@pytest.mark.parametrize(
    ("message", "keys"),
    [
        ("\x00what is hags\x00", ["hags"]),
        ("what\u200b is hags", ["hags"]),  # zero-width space splits words like punctuation
        ("\u202ewhat is hags", ["hags"]),
    ],
)
def test_control_characters_act_as_separators(message: str, keys: list[str]) -> None:
    assert _keys(DETECTOR.scan(message)) == keys


FORGIVING = Detector(ENTRIES, typos=Matcher(ENTRIES))


@pytest.mark.parametrize(
    ("message", "keys"),
    [
        ("how does gradio work", ["gradio"]),
        ("how does lightning ai work?", ["lightning-ai"]),
        ("can someone explain what a fork means", ["fork"]),
        ("difference between bitrate and bit depth?", ["bitrate", "bit-depth"]),
        ("wav vs mp3 - which format is lossy?", ["lossless-formats", "lossy-formats"]),
        ("lossy vs lossless", ["lossy-formats", "lossless-formats"]),
        ("is flac better than mp3?", ["lossless-formats", "lossy-formats"]),
        ("what is a checkpoint in rvc", ["checkpoints"]),
    ],
)
def test_question_forms_and_comparisons(message: str, keys: list[str]) -> None:
    assert _keys(DETECTOR.scan(message)) == keys


@pytest.mark.parametrize(
    "message",
    [
        "ok so that's what a checkpoint is",
        "what is a fork in the road",
        "i tested flac vs mp3 and mp3 was worse",
        "how does gradio handle uploads",
    ],
)
def test_statements_and_other_subjects_stay_silent(message: str) -> None:
    assert FORGIVING.scan(message) == []


# Questions with no "?" and no word a question rule reads before the term: the scan's early
# exit for messages without any question word must still let every one of them through.
UNMARKED_QUESTIONS = [
    *((f"hags {' '.join(suffix)}", ["hags"]) for suffix in sorted(_BARE_SUFFIXES - _WEAK_SUFFIXES)),
    ("lossy vs lossless", ["lossy-formats", "lossless-formats"]),
    ("lossy versus lossless", ["lossy-formats", "lossless-formats"]),
    ("lossy vs the lossless", ["lossy-formats", "lossless-formats"]),
    *(
        (f"{word} between bitrate and bit depth", ["bitrate", "bit-depth"])
        for word in ("difference", "differences", "diff", "comparison")
    ),
]


@pytest.mark.parametrize(("message", "keys"), UNMARKED_QUESTIONS)
def test_questions_without_a_question_mark_are_answered(message: str, keys: list[str]) -> None:
    assert _keys(DETECTOR.scan(message)) == keys
    assert _keys(FORGIVING.scan(message)) == keys


@pytest.mark.parametrize("message", ["hags is", "hags what", "is flac better than mp3"])
def test_weak_suffixes_ask_only_with_a_question_mark(message: str) -> None:
    assert DETECTOR.scan(message) == []
    assert DETECTOR.scan(message + "?") != []


HOSTILE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["what is ", "hags", "?", "？", "‼", ".", "a.b", "\n", "\u00a0", "ß", "™"]),
        st.sampled_from(["ﬁ", "İ", "\u0301", "①", "ＨＡＧＳ", "\u2028", "_", ",", "…", "。"]),
        st.text(st.characters(codec=None, categories=None), max_size=8),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(HOSTILE_TEXT)
def test_scan_reads_the_same_clauses_as_find_terms(text: str) -> None:
    # The scan folds the whole text at once; find_terms folds it word by word to keep spans.
    whole = [(c.words, c.asks) for c in _split(_TOKEN.findall(_fold(text)))]
    assert whole == [(c.words, c.asks) for c in _clauses(text)]


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("what is jupter notebook", "jupyter-notebook"),
        ("whats colba", "google-colab"),
        ("what does hgas mean", "hags"),
    ],
)
def test_typos_are_forgiven_in_clear_definition_questions(message: str, key: str) -> None:
    assert _keys(FORGIVING.scan(message)) == [key]
    assert DETECTOR.scan(message) == []  # without a matcher there is nothing to correct


@pytest.mark.parametrize(
    "message",
    ["what is cuba like", "what is cuba", "whats forge", "i think colba is down", "kagle?"],
)
def test_words_and_unclear_questions_are_not_corrected(message: str) -> None:
    assert FORGIVING.scan(message) == []
