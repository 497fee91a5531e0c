"""The block-kind registry: it covers every block type, and each kind reads back what it writes."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given

from bot.glossary import codec, schema
from bot.glossary.blocks import KINDS, BlockKind, kind_of, kinds_named_in
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
)
from tests.glossary.test_markup import bodies

# Plain and decorated blocks of every kind; a new kind without samples fails the coverage test.
SAMPLES: dict[type[Block], list[Block]] = {
    Paragraph: [Paragraph("One line."), Paragraph("First line\nsecond line")],
    Bullets: [
        Bullets((Bullet("flat"),)),
        Bullets((Bullet("top", ("x.wav",), (Bullet("mid", (), (Bullet("deep"),)),)), Bullet("b"))),
    ],
    Steps: [Steps(("one", "two")), Steps(("open", "click"), "How to start")],
    Examples: [Examples(("model.pth", "index.index"))],
    Note: [Note("", "No label."), Note("Community Proof", "It works\nfor many")],
    ProsCons: [
        ProsCons(("fast",), ()),
        ProsCons((), ("slow",)),
        ProsCons(("free",), ("limits",), "Colab, in short"),
    ],
}
CASES = [(type(block).__name__, block) for blocks in SAMPLES.values() for block in blocks]


def test_registry_covers_every_block_type_once() -> None:
    types = [kind.block_type for kind in KINDS]
    assert sorted(types, key=lambda t: t.__name__) == sorted(
        get_args(Block), key=lambda t: t.__name__
    )
    assert len(set(types)) == len(types)
    assert set(SAMPLES) == set(get_args(Block))


def test_kinds_do_not_share_names_keys_or_opening_lines() -> None:
    assert len({kind.name for kind in KINDS}) == len(KINDS)
    for index, kind in enumerate(KINDS):
        for other in KINDS[index + 1 :]:
            assert not (kind.keys | kind.optional) & (other.keys | other.optional)
            assert not kind.opens & other.opens


def _round_trip(kind: BlockKind[Block], block: Block) -> None:
    """Assert block -> data -> block and block -> markup -> block give back the block."""
    data = kind.to_data(block)
    assert kinds_named_in(data) == [kind]
    assert kind.from_data(data) == block
    assert codec.block_from_data(data) == block
    assert kind.to_data(kind.from_data(data)) == data
    markup = format_definition([block])
    assert parse_definition(markup) == (block,)
    assert format_definition(parse_definition(markup)) == markup


@pytest.mark.parametrize(("name", "block"), CASES, ids=[name for name, _ in CASES])
def test_each_sample_round_trips_through_data_and_markup(name: str, block: Block) -> None:
    kind = kind_of(block)
    assert kind.block_type.__name__ == name
    _round_trip(kind, block)
    entry = Entry("sample", "Sample", "A sample entry.", body=(block,))
    assert schema.validate_entry_dict(codec.entry_to_dict(entry)) == []


@given(bodies())
def test_every_generated_block_round_trips(body: tuple[Block, ...]) -> None:
    for block in body:
        _round_trip(kind_of(block), block)


def test_an_unknown_block_type_is_refused() -> None:
    with pytest.raises(TypeError, match="unknown block type Bullet"):
        kind_of(Bullet("not a block"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown block"):
        codec.block_from_data({"quote": "x"})
