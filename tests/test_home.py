"""Which servers own the glossary: the settings, else the recorded one, else the only server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.glossary.models import ValidationError
from bot.home import UNRESOLVED, configured_home, resolve_home
from bot.services.glossary import CLI_ACTOR, GlossaryService


def test_home_guild_ids_win_over_the_dev_guild() -> None:
    home = configured_home(frozenset({1, 2}), 3)
    assert home is not None and home.ids == {1, 2} and home.source == "HOME_GUILD_IDS"
    dev = configured_home(frozenset(), 3)
    assert dev is not None and dev.ids == {3} and dev.source == "DEV_GUILD_ID"
    assert configured_home(frozenset(), None) is None


@pytest.mark.parametrize(
    ("recorded", "present", "ids", "source"),
    [
        (None, [7], {7}, "adopted"),
        (5, [7, 8], {5}, "recorded"),
        (None, [7, 8], set(), "unresolved"),
        (None, [], set(), "unresolved"),
    ],
)
def test_unset_never_means_every_server(
    recorded: int | None, present: list[int], ids: set[int], source: str
) -> None:
    home = resolve_home(None, recorded, present)
    assert (set(home.ids), home.source) == (ids, source)
    assert all(guild not in home for guild in set(present) - ids)


def test_an_unresolved_home_refuses_with_how_to_set_it() -> None:
    home = resolve_home(None, None, [1, 2])
    assert home.refusal() == UNRESOLVED
    assert "HOME_GUILD_IDS" in home.refusal()


def test_settings_read_home_guild_ids_and_shards() -> None:
    settings = load_settings({"HOME_GUILD_IDS": " 1, 2 ,", "SHARD_COUNT": "3"})
    assert settings.home_guild_ids == {1, 2}
    assert settings.shard_count == 3
    assert load_settings({}).shard_count is None
    assert load_settings({"SHARD_COUNT": "auto"}).shard_count is None
    with pytest.raises(ConfigError, match="HOME_GUILD_IDS"):
        load_settings({"HOME_GUILD_IDS": "1,abc"})
    with pytest.raises(ConfigError, match="SHARD_COUNT"):
        load_settings({"SHARD_COUNT": "0"})


async def test_everyone_is_never_a_moderator_role(tmp_path: Path) -> None:
    service = await GlossaryService.open(tmp_path / "g.db")
    try:
        with pytest.raises(ValidationError, match="@everyone"):
            await service.settings.set_moderator_roles(42, [42])
        assert await service.settings.moderator_roles(42) == []
        await service.settings.set_moderator_roles(42, [7, 7, 8])
        assert await service.settings.moderator_roles(42) == [7, 8]
    finally:
        await service.close()


async def test_settings_changed_by_another_process_are_read_again(tmp_path: Path) -> None:
    first = await GlossaryService.open(tmp_path / "g.db")
    second = await GlossaryService.open(tmp_path / "g.db")
    try:
        assert (await first.settings.autoreply(1)).mode == "question"
        await second.settings.change_autoreply(1, lambda settings: settings.with_mode("off"))
        assert await first.refresh_if_changed_elsewhere()
        assert (await first.settings.autoreply(1)).mode == "off"
    finally:
        await first.close()
        await second.close()


async def test_changes_to_different_settings_at_once_both_stay(tmp_path: Path) -> None:
    first = await GlossaryService.open(tmp_path / "g.db")
    second = await GlossaryService.open(tmp_path / "g.db")
    try:
        assert (await first.settings.autoreply(1)).mode == "question"  # now cached in `first`
        # Two managers at once in this process, and one more in another process.
        await asyncio.gather(
            first.settings.change_autoreply(1, lambda s: s.with_mode("mention")),
            first.settings.change_autoreply(1, lambda s: s.with_cooldowns(user_seconds=77)),
            second.settings.change_autoreply(1, lambda s: s.with_cooldowns(channel_seconds=1234)),
        )
        await first.settings.change_autoreply(1, lambda s: s.with_cooldowns(user_seconds=78))
        for service in (first, second):
            service.settings.forget()
            stored = await service.settings.autoreply(1)
            assert (stored.mode, stored.cooldown_seconds, stored.user_cooldown_seconds) == (
                "mention",
                1234,
                78,
            )
    finally:
        await first.close()
        await second.close()


async def test_a_local_import_does_not_hide_settings_another_process_changed(
    tmp_path: Path,
) -> None:
    first = await GlossaryService.open(tmp_path / "g.db")
    second = await GlossaryService.open(tmp_path / "g.db")
    try:
        assert (await first.settings.autoreply(1)).mode == "question"
        await second.settings.change_autoreply(1, lambda settings: settings.with_mode("off"))
        # The import takes in the new data version; the changed setting must come with it.
        plan = await first.plan_import(first.export())
        await first.apply_import(plan, CLI_ACTOR)
        assert not await first.refresh_if_changed_elsewhere()
        assert (await first.settings.autoreply(1)).mode == "off"
    finally:
        await first.close()
        await second.close()
