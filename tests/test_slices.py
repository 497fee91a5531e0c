"""Sorting and freeing in slices gives the same result as doing it in one go."""

from __future__ import annotations

from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from bot import slices
from bot.slices import empty, sorted_in_slices

rows = st.lists(st.tuples(st.text(max_size=3), st.integers(0, 3)), max_size=40)


@given(rows)
def test_sorting_in_slices_sorts_like_sorted(items: list[tuple[str, int]]) -> None:
    # Slices of three rows: most lists here are merged from several sorted runs.
    with mock.patch.object(slices, "SLICE", 3):
        assert sorted_in_slices(iter(items)) == sorted(items)


def test_emptying_in_slices_empties() -> None:
    items, mapping = list(range(10_000)), {n: [n] for n in range(100)}
    empty(items, step=7)
    empty(mapping)
    assert items == [] and mapping == {}
