"""The collector pause nests, and leaves the collector as it found it."""

from __future__ import annotations

import gc

from bot.gcpause import paused_gc, thaw


def test_nested_pauses_restore_the_collector_once() -> None:
    assert gc.isenabled()
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_decorated_function_runs_with_the_collector_off() -> None:
    @paused_gc()
    def state() -> bool:
        return gc.isenabled()

    assert state() is False
    assert gc.isenabled()


def test_what_was_built_while_paused_is_frozen_until_thawed() -> None:
    thaw()
    with paused_gc():
        built = [[n] for n in range(100)]
    # The collector's first run after the pause would otherwise visit every one of them.
    assert gc.get_freeze_count() >= len(built)
    thaw()
    assert gc.get_freeze_count() == 0
