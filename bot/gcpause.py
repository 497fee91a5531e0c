"""Keep Python's cyclic garbage collector off the big structures worker threads build.

A collection holds the GIL from start to end, so the event loop stalls for as long as it
runs, and it runs for as long as the objects it visits are many: hundreds of milliseconds
for a 20,000-entry glossary's indexes, each time the oldest generation is collected.
"""

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

    Building indexes or parsing a big import allocates millions of objects, which would make
    the collector scan the whole heap several times meanwhile. When the last pause ends,
    everything alive is frozen (moved to the permanent generation) before the collector is
    turned back on: otherwise its first collection would visit every object allocated during
    the pause in one go. Reference counting still frees frozen objects; what the collector
    no longer sees are reference cycles among them, which these structures do not make.
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
                gc.freeze()
                gc.enable()


def thaw() -> None:
    """Hand everything frozen back to the collector, e.g. once the glossary is closed."""
    gc.unfreeze()
