"""The shipped seed glossary: valid, canonical, and faithful to the user's original text."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.glossary import codec
from bot.glossary.models import (
    Bullets,
    Entry,
    Examples,
    Note,
    Paragraph,
    ProsCons,
    Steps,
    ValidationError,
)
from bot.glossary.text import normalize
from bot.glossary.yamlio import default_seed_path, dump_document, load_document

SEED = Path(__file__).resolve().parents[2] / "data" / "glossary.yaml"
# A copy of the user's original glossary (shared/seeds/glossary.txt), kept with the tests.
SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "seed-glossary.txt"

# Heading in the user's glossary -> key of the entry that carries it.
SOURCE_TERMS = {
    "Backing vocals": "backing-vocals",
    "Bit depth": "bit-depth",
    "Bitrate": "bitrate",
    "DAW": "daw",
    "Checkpoints": "checkpoints",
    "GPU": "gpu",
    "HAGS (Hardware-Accelerated GPU Scheduling)": "hags",
    "Local running": "local-running",
    "Cloud-based": "cloud-based",
    "CUDA": "cuda",
    "Fine-tuning": "fine-tuning",
    "Fork": "fork",
    "Gradio": "gradio",
    "Jupyter Notebook": "jupyter-notebook",
    "Google Colab": "google-colab",
    "HuggingFace Space": "huggingface-space",
    "Kaggle": "kaggle",
    "Lightning.AI": "lightning-ai",
    "Inference": "inference",
    "Lossless Formats": "lossless-formats",
    "Lossy Formats": "lossy-formats",
    "Localtunnel": "localtunnel",
    "Model training": "model-training",
    "Specs": "specs",
    "0 Shot Training": "zero-shot-training",
    "Optim": "optim",
}

# Typos in the source whose fix splits or joins tokens the faithfulness checks look for.
SOURCE_FIXES = {
    "G_70.pthandD_70.pth": "G_70.pth and D_70.pth",
    ".ipynbfile": ".ipynb file",
    "15.They": "15. They",
}

KEY_PHRASES = (
    "Audacity",
    "FL Studio",
    "modelname_epoch_step.pth",
    "W-Okada",
    "Vonovox",
    "How to Disable HAGS",
    "Open Windows Settings > System > Display > Graphics.",
    "Toggle Hardware-accelerated GPU scheduling to Off.",
    "Stable Diffusion",
    "Public Share Link",
    "Learn how to bypass their limitations here.",
    "The pros & cons are subjective to your necessities.",
    "v5e-1 TPU",
    "T4x2, P100",
    "Applio Old",
    "Ilaria RVC Zero",
    "Contact Kaggle.",
    "L40S (48GB VRAM): 15 hours",
    "http://localhost:3000",
    "MP3, OGG, OPUS, M4A",
    "weights and biases",
)

NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
FILENAME = re.compile(r"\w*\.(?:pth|ipynb)\b")


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def entries(seed_text: str) -> dict[str, Entry]:
    # load_document raises with every problem listed, so a failure here names each bad entry.
    return {entry.key: entry for entry in load_document(seed_text)}


@pytest.fixture(scope="module")
def source_text() -> str:
    return SOURCE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def source_body(source_text: str) -> str:
    # The first three lines are the title, the update date and a subtitle, not entries.
    text = "\n".join(source_text.splitlines()[3:])
    for typo, fixed in SOURCE_FIXES.items():
        text = text.replace(typo, fixed)
    return text


def _strings(value: Any) -> list[str]:
    """Return every string inside a nested dict/list structure."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def test_seed_loads_without_problems(seed_text: str) -> None:
    try:
        load_document(seed_text)
    except ValidationError as error:
        pytest.fail("data/glossary.yaml is invalid:\n" + "\n".join(error.problems))


def test_default_seed_path_is_the_shipped_file() -> None:
    assert default_seed_path() == SEED


def test_seed_has_exactly_the_source_terms(entries: dict[str, Entry]) -> None:
    assert sorted(entries) == sorted(SOURCE_TERMS.values())
    for heading, key in SOURCE_TERMS.items():
        visible = normalize(heading.split(" (")[0])
        assert normalize(entries[key].term) == visible, heading


def test_source_terms_table_matches_the_source(source_text: str) -> None:
    lines = set(source_text.splitlines())
    missing = [heading for heading in SOURCE_TERMS if heading not in lines]
    assert not missing


def test_seed_is_canonical(seed_text: str, entries: dict[str, Entry]) -> None:
    assert dump_document(entries.values()) == seed_text


def test_every_related_key_exists(entries: dict[str, Entry]) -> None:
    dangling = [
        f"{entry.key} -> {target}"
        for entry in entries.values()
        for target in entry.related
        if target not in entries
    ]
    assert not dangling


def test_every_source_number_survives(seed_text: str, source_body: str) -> None:
    wanted = Counter(NUMBER.findall(source_body))
    present = Counter(NUMBER.findall(seed_text))
    lost = {number: count for number, count in wanted.items() if present[number] < count}
    assert not lost, f"numbers missing from the seed (token: times expected): {lost}"


def test_every_source_filename_survives(seed_text: str, source_body: str) -> None:
    names = set(FILENAME.findall(source_body))
    assert {"Tyler_e60_s120.pth", "G_70.pth", "D_70.pth", ".ipynb"} <= names
    assert not {name for name in names if name not in seed_text}


@pytest.mark.parametrize("phrase", KEY_PHRASES)
def test_key_phrase_survives(phrase: str, entries: dict[str, Entry], source_body: str) -> None:
    assert phrase in source_body, "the phrase list drifted from the source"
    texts = [text for entry in entries.values() for text in _strings(codec.entry_to_dict(entry))]
    assert any(phrase in text for text in texts)


@pytest.mark.parametrize(
    ("key", "block_types"),
    [
        ("hags", (Bullets, Note, Steps)),
        ("google-colab", (Bullets, ProsCons)),
        ("huggingface-space", (Bullets, ProsCons)),
        ("kaggle", (Bullets, ProsCons)),
        ("lightning-ai", (Bullets, ProsCons)),
        ("checkpoints", (Paragraph, Paragraph, Bullets)),
        ("lossless-formats", (Bullets, Paragraph, Paragraph)),
        ("optim", (Paragraph, Paragraph)),
        ("gpu", (Bullets,)),
    ],
)
def test_entry_keeps_the_source_shape(
    key: str, block_types: tuple[type, ...], entries: dict[str, Entry]
) -> None:
    assert tuple(type(block) for block in entries[key].body) == block_types


def test_pros_and_cons_keep_their_intro_and_split(entries: dict[str, Entry]) -> None:
    sizes = {}
    for key in ("google-colab", "huggingface-space", "kaggle", "lightning-ai"):
        block = entries[key].body[-1]
        assert isinstance(block, ProsCons)
        assert block.intro == "The pros & cons are subjective to your necessities."
        sizes[key] = (len(block.pros), len(block.cons))
    assert sizes == {
        "google-colab": (2, 5),
        "huggingface-space": (2, 5),
        "kaggle": (3, 3),
        "lightning-ai": (6, 5),
    }


def test_hags_steps_and_note(entries: dict[str, Entry]) -> None:
    _, note, steps = entries["hags"].body
    assert isinstance(note, Note) and note.label == "Community Proof"
    assert isinstance(steps, Steps) and steps.title == "How to Disable HAGS"
    assert len(steps.items) == 4


def test_checkpoint_examples_sit_on_nested_bullets(entries: dict[str, Entry]) -> None:
    bullets = entries["checkpoints"].body[-1]
    assert isinstance(bullets, Bullets)
    weights, g_and_d = bullets.items
    assert weights.children[1].examples == ("Tyler_e60_s120.pth",)
    assert g_and_d.children[0].examples == ("G_70.pth", "D_70.pth")
    assert not any(isinstance(block, Examples) for block in entries["checkpoints"].body)


def test_full_names_stay_visible(entries: dict[str, Entry]) -> None:
    assert "Hardware-Accelerated GPU Scheduling" in entries["hags"].summary
    assert "hardware accelerated gpu scheduling" in map(normalize, entries["hags"].aliases)
