"""The service's indexes after writes: the same as indexes built from scratch over its entries."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.glossary import yamlio
from bot.glossary.detect import Detector
from bot.glossary.matcher import Matcher
from bot.glossary.models import Entry
from bot.services import glossary as service_module
from bot.services.glossary import GlossaryService
from bot.storage.repository import Repository
from tests.glossary.test_matcher_edits import state
from tests.glossary.test_service_admin import ALICE, entry

# A hang guard for waits on the service: they end as soon as what they wait for happens.
HANG_GUARD = 30.0


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[GlossaryService]:
    """Yield a service over a fresh database file holding four entries."""
    svc = GlossaryService(await Repository.open(tmp_path / "glossary.db"))
    await svc.refresh()
    try:
        for item in (
            entry("google-colab", "Google Colab", "colab", "gcolab"),
            entry("harvest", "Harvest", "harvest f0"),
            entry("rmvpe", "RMVPE", "rmvpe model"),
            entry("hags", "HAGS", "hardware accelerated gpu scheduling"),
        ):
            await svc.create(item, ALICE)
        yield svc
    finally:
        await svc.close()


def answers(matcher: Matcher, detector: Detector, entries: Sequence[Entry]) -> list[object]:
    """Return what lookups, autocomplete and the detector answer about every name."""
    found: list[object] = []
    for name in [name for item in entries for name in item.names] + ["harvest", "gpu", "col"]:
        found.append((matcher.lookup(name), matcher.autocomplete(name[:3])))
        found.append((detector.scan(f"what is {name}?"), detector.find_terms(f"I use {name}")))
    return found


async def assert_fresh(service: GlossaryService) -> None:
    """Fail unless the service's indexes hold and answer what fresh ones over its entries do."""
    await service.indexes_ready()
    entries = service.entries
    matcher = Matcher(entries, popularity=await service.repo.popularity())
    detector = Detector(entries, typos=matcher)
    assert state(service.matcher) == state(matcher)
    assert answers(service.matcher, service.detector, entries) == answers(
        matcher, detector, entries
    )


async def test_after_every_kind_of_write_the_indexes_equal_fresh_ones(
    service: GlossaryService,
) -> None:
    await assert_fresh(service)
    harvest = service.require("harvest")
    await service.update(
        dataclasses.replace(harvest, summary="Pitch extraction.", aliases=("crepe rival",)),
        ALICE,
        expected_version=harvest.version,
    )
    await assert_fresh(service)
    await service.add_alias("google-colab", "colab notebook", ALICE)
    await service.remove_alias("google-colab", "gcolab", ALICE)
    await assert_fresh(service)
    await service.rename("rmvpe", "RMVPE Pitch", ALICE)
    await assert_fresh(service)
    await service.delete("hags", ALICE)
    await assert_fresh(service)
    await service.restore("hags", ALICE)
    await assert_fresh(service)
    [revision, *_] = await service.history("harvest")
    first = (await service.history("harvest", limit=1, offset=revision.version - 1))[0]
    await service.revert("harvest", first.id, ALICE)
    await assert_fresh(service)
    document = yamlio.dump_document(
        [
            *service.entries[1:],
            entry("crepe", "Crepe", "crepe pitch"),
        ]
    )
    await service.apply_import(await service.plan_import(document), ALICE)
    await assert_fresh(service)
    assert service.get("google-colab") is None and service.get("crepe") is not None


async def test_a_write_is_found_when_its_call_returns(service: GlossaryService) -> None:
    await service.add_alias("harvest", "pitch tracker", ALICE)
    match = service.lookup("pitch tracker").match
    assert match is not None and match.entry.key == "harvest"
    assert service.autocomplete("pitch")[0].entry.key == "harvest"
    await service.delete("hags", ALICE)
    assert service.lookup("hags").match is None
    # The detector is rebuilt in the background: until then it still knows the deleted
    # entry, but an answer never names it.
    assert [found.key for found in service.detector.scan("what is hags?")] == ["hags"]
    assert service.scan("what is hags?") == []
    await service.indexes_ready()
    assert service.detector.scan("what is hags?") == []


async def test_a_write_during_a_full_rebuild_reaches_the_new_matcher(
    service: GlossaryService, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()
    build = service_module._build_all

    def held_build(*args: object) -> object:
        started.set()
        release.wait(HANG_GUARD)
        return build(*args)  # type: ignore[arg-type]

    written = asyncio.Event()
    update_entry = service.repo.update_entry

    async def noted_update(*args: object, **kwargs: object) -> Entry:
        saved = await update_entry(*args, **kwargs)  # type: ignore[arg-type]
        written.set()
        return saved

    monkeypatch.setattr(service_module, "_build_all", held_build)
    monkeypatch.setattr(service.repo, "update_entry", noted_update)
    rebuild = asyncio.create_task(service.refresh())
    assert await asyncio.to_thread(started.wait, HANG_GUARD)
    # The write lands while the new matcher is being built from the entries read before it.
    write = asyncio.create_task(service.add_alias("harvest", "pitch tracker", ALICE))
    await asyncio.wait_for(written.wait(), HANG_GUARD)
    assert "pitch tracker" in service.require("harvest").aliases
    release.set()
    await rebuild
    await write
    match = service.lookup("pitch tracker").match
    assert match is not None and match.entry.key == "harvest"
    await assert_fresh(service)
