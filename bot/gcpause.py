"""Pause Python's cyclic garbage collector while a worker thread builds large structures."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Keep the collector off for the body; nested and concurrent uses share one pause.

    Building indexes or parsing a big import allocates millions of objects, which makes the
    collector scan the whole heap several times; each scan holds the GIL, so the event loop
    stalls for hundreds of milliseconds. These structures hold no reference cycles to free.
    """
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
