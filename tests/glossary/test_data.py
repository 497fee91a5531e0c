"""The shipped seed glossary: valid, canonical, and faithful to the user's original text."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import render
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
from bot.glossary.summary import sentences
from bot.glossary.text import normalize
from bot.glossary.yamlio import default_seed_path, dump_document, load_document
from bot.services.glossary import GlossaryService

SEED_DATE = datetime.date(2026, 3, 14)
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
    "The pros & cons are subjective to your necessities.",
    "v5e-1 TPU",
    "T4x2, P100",
    "Applio Old",
    "Ilaria RVC Zero",
    "L40S (48GB VRAM): 15 hours",
    "http://localhost:3000",
    "MP3, OGG, OPUS, M4A",
    "weights and biases",
)

# Sentences of the source that point at a page it does not include, and what the seed says.
REWORDED = {
    "Learn how to bypass their limitations here.": (
        "There are ways to bypass their limitations; ask the community for a guide."
    ),
    "If you have trouble verifying your phone number, Contact Kaggle.": (
        "If you have trouble verifying your phone number, contact Kaggle through their website "
        "(linked below)."
    ),
    "you can check its status.": (
        "you can check its status on the Gradio status page (linked below)."
    ),
    "You can check the pricing for more info.": (
        "You can check the pricing (linked below) for more info."
    ),
}

# A sentence that points at a page: "... here.", "click ...", "check its status", "Contact X".
POINTS_AT_A_PAGE = re.compile(
    r"\bhere\s*[.!]?$|\b(?:learn|read|see|find|look|go)\b.*\bhere\b|\bclick\b"
    r"|\b(?:check|see|visit)\s+(?:its|their|the|our)\s+(?:status|pricing|website|site|page|docs)\b"
    r"|\b[Cc]ontact\s+[A-Z]|\b(?:linked|link)\s+below\b",
)
# Of those, the ones that need the link inline: an entry's Links field cannot be "here".
POINTS_INLINE = re.compile(r"\bhere\s*[.!]?$|\b(?:learn|read|see|find|look|go)\b.*\bhere\b")

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
    assert dump_document(entries.values(), updated=SEED_DATE) == seed_text


def test_seed_carries_the_date_of_the_users_glossary(
    source_text: str, entries: dict[str, Entry]
) -> None:
    assert source_text.splitlines()[1] == "Last update: March 14, 2026"
    assert yaml.safe_load(SEED.read_text(encoding="utf-8"))["updated"] == SEED_DATE
    assert {entry.updated_at for entry in entries.values()} == {"2026-03-14T00:00:00+00:00"}


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


def _sentences_of(entry: Entry) -> list[str]:
    """Return every sentence members can read in an entry (summary and body)."""
    texts = [*_strings(codec.entry_to_dict(entry)["body"]), entry.summary]
    return [part for text in texts for line in text.splitlines() for part in sentences(line)]


def test_the_page_check_catches_the_sources_dangling_references(source_text: str) -> None:
    caught = {
        sentence
        for line in source_text.splitlines()
        for sentence in sentences(line.removeprefix("- "))
        if POINTS_AT_A_PAGE.search(sentence)
    }
    assert caught == {
        "Learn how to bypass their limitations here.",
        "If you have trouble verifying your phone number, Contact Kaggle.",
        "Sometimes, the Share API goes down, you can check its status.",
        "You can check the pricing for more info.",
    }


def test_no_sentence_points_at_a_page_the_entry_does_not_link(entries: dict[str, Entry]) -> None:
    dangling = [
        f"{entry.key}: {sentence}"
        for entry in entries.values()
        for sentence in _sentences_of(entry)
        if POINTS_INLINE.search(sentence) or (POINTS_AT_A_PAGE.search(sentence) and not entry.links)
    ]
    assert dangling == []


@pytest.mark.parametrize(("original", "reworded"), REWORDED.items())
def test_reworded_sentences_are_the_only_change(
    original: str, reworded: str, source_body: str, seed_text: str
) -> None:
    assert original in source_body
    assert original not in seed_text
    assert reworded in seed_text


def test_links_are_the_official_pages(entries: dict[str, Entry]) -> None:
    links = {
        entry.key: [link.url for link in entry.links] for entry in entries.values() if entry.links
    }
    assert links == {
        "google-colab": ["https://colab.research.google.com/"],
        "gradio": ["https://status.gradio.app/"],
        "huggingface-space": ["https://huggingface.co/spaces"],
        "kaggle": ["https://www.kaggle.com/"],
        "lightning-ai": ["https://lightning.ai/pricing"],
    }


def test_no_body_is_a_copy_of_its_summary(entries: dict[str, Entry]) -> None:
    copies = [
        entry.key
        for entry in entries.values()
        if normalize(" ".join(_strings(codec.entry_to_dict(entry)["body"])))
        == normalize(entry.summary)
    ]
    assert copies == []


async def test_a_new_database_shows_the_glossarys_date_not_its_own(tmp_path: Path) -> None:
    service = await GlossaryService.open(tmp_path / "glossary.db")
    try:
        kaggle = service.get("kaggle")
        history = await service.repo.history("kaggle")
    finally:
        await service.close()
    assert kaggle is not None and kaggle.updated_at == "2026-03-14T00:00:00+00:00"
    assert render.entry_embeds(kaggle)[-1].footer.text.endswith(" · Updated March 14, 2026")
    # The history still tells when this database was seeded.
    assert [revision.action for revision in history] == ["seed"]
    assert history[0].created_at != kaggle.updated_at


async def test_an_import_stamps_its_own_time_whatever_the_document_says(tmp_path: Path) -> None:
    service = await GlossaryService.open(tmp_path / "glossary.db")
    try:
        kaggle = service.get("kaggle")
        assert kaggle is not None
        changed = replace(kaggle, summary="Changed by an import.", related=())
        document = dump_document([changed], updated=datetime.date(2001, 1, 1))
        plan = await service.repo.plan_import(load_document(document), remove_missing=False)
        await service.repo.apply_import(plan, author_id=1, author_name="mod")
        stored = await service.repo.get_entry("kaggle")
    finally:
        await service.close()
    assert stored is not None and stored.updated_at is not None
    assert not stored.updated_at.startswith(("2001", "2026-03-14"))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("yesterday", "updated must be a date such as 2026-03-14, not 'yesterday'"),
        (14, "updated must be a date such as 2026-03-14, not a number"),
    ],
)
def test_a_bad_document_date_is_named(value: object, problem: str) -> None:
    document = yaml.safe_dump({"version": 1, "updated": value, "entries": []})
    with pytest.raises(ValidationError) as caught:
        load_document(document)
    assert any(problem in text for text in caught.value.problems)
