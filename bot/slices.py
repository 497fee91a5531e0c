"""Sort and free big collections a slice at a time, so a worker thread never holds the GIL long.

One C-level call (a sort, or freeing a container) keeps the GIL until it returns: a worker
thread sorting 500,000 rows at once stalls the event loop for the whole sort. Between the
slices here the interpreter may hand the GIL to the event loop.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

# Sorting this many rows in one call takes a few milliseconds.
SLICE = 4096


class Ordered(Protocol):
    """What sorting needs of an item."""

    def __lt__(self, other: Any, /) -> bool: ...


T = TypeVar("T", bound=Ordered)


def sorted_in_slices(items: Iterable[T]) -> list[T]:
    """Return the items sorted; each C-level sort covers one slice, merged in Python."""
    items = list(items)
    if len(items) <= SLICE:
        items.sort()
        return items
    runs = [sorted(items[start : start + SLICE]) for start in range(0, len(items), SLICE)]
    # heapq.merge is a Python generator: every item it yields is a point to switch threads.
    return list(heapq.merge(*runs))


def empty(container: dict[Any, Any] | list[Any], *, step: int = SLICE) -> None:
    """Empty a container `step` items at a time, so freeing them never runs as one long call.

    A dict goes one item at a time; make `step` smaller for items that are trees themselves.
    """
    if isinstance(container, dict):
        while container:
            container.popitem()
    else:
        while container:
            del container[-step:]
