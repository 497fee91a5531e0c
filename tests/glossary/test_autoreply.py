"""Automatic-reply domain: settings persistence, cooldowns and the reply decision."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Collection
from pathlib import Path
from typing import Any

import pytest

from bot.glossary.autoreply import decide
from bot.glossary.autoreply_settings import RULES, AutoReplySettings
from bot.glossary.cooldowns import COOLDOWNS_META, Cooldowns
from bot.glossary.detect import Detector, Mode
from bot.glossary.models import Entry, ValidationError
from bot.storage.repository import Repository

GUILD = 10
OTHER_GUILD = 11
CHANNEL = 100
OTHER_CHANNEL = 101
THREAD = 102
CATEGORY = 103
ASKER = 1000
OTHER_MEMBER = 1001
T0 = 1_800_000_000.0

ENTRIES = (
    Entry(
        key="google-colab",
        term="Google Colab",
        summary="Notebooks in the cloud.",
        aliases=("colab",),
    ),
    Entry(key="hags", term="HAGS", summary="A Windows GPU scheduling feature."),
    Entry(key="cuda", term="CUDA", summary="NVIDIA's GPU computing platform."),
    Entry(key="kaggle", term="Kaggle", summary="Free GPU notebooks."),
    Entry(key="fork", term="Fork", summary="A copy of a project.", autoreply=False),
)


class Clock:
    """A settable wall clock."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Return where the test database lives."""
    return tmp_path / "glossary.db"


@pytest.fixture
async def repo(db_path: Path) -> AsyncIterator[Repository]:
    """Yield an open repository on a fresh file."""
    repository = await Repository.open(db_path)
    try:
        yield repository
    finally:
        await repository.close()


@pytest.fixture
def detector() -> Detector:
    """Return a detector over the test entries."""
    return Detector(ENTRIES)


# --- settings ----------------------------------------------------------------------------


async def test_settings_default_when_nothing_is_stored(repo: Repository) -> None:
    assert await AutoReplySettings.load(repo, GUILD) == AutoReplySettings()


async def test_settings_survive_reopening_the_database(db_path: Path) -> None:
    settings = AutoReplySettings(
        mode="mention",
        cooldown_seconds=120,
        user_cooldown_seconds=5,
        allowed_channels=frozenset({CHANNEL, OTHER_CHANNEL}),
        denied_channels=frozenset({THREAD}),
        disabled_entries=frozenset({"hags"}),
    )
    repo = await Repository.open(db_path)
    await AutoReplySettings.save(repo, GUILD, settings)
    await repo.close()

    reopened = await Repository.open(db_path)
    try:
        assert await AutoReplySettings.load(reopened, GUILD) == settings
        assert await AutoReplySettings.load(reopened, OTHER_GUILD) == AutoReplySettings()
    finally:
        await reopened.close()


async def test_a_change_stores_only_the_fields_it_changed(repo: Repository) -> None:
    seen = await AutoReplySettings.load(repo, GUILD)
    # Meanwhile someone else (another process) stores a channel cooldown.
    await AutoReplySettings.save(repo, GUILD, seen.with_cooldowns(channel_seconds=1234))
    await AutoReplySettings.save(repo, GUILD, seen.with_mode("mention"), since=seen)
    stored = await AutoReplySettings.load(repo, GUILD)
    assert (stored.mode, stored.cooldown_seconds) == ("mention", 1234)


async def test_settings_are_stored_as_plain_json(repo: Repository) -> None:
    settings = AutoReplySettings(
        allowed_channels=frozenset({3, 1, 2}), disabled_entries=frozenset({"b", "a"})
    )
    await AutoReplySettings.save(repo, GUILD, settings)
    stored = await repo.guild_settings(GUILD)
    assert stored["autoreply_allowed_channels"] == [1, 2, 3]
    assert stored["autoreply_disabled_entries"] == ["a", "b"]
    assert stored["autoreply_mode"] == "question"


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("mode", "loud"),
        ("mode", None),
        ("cooldown_seconds", -5),
        ("cooldown_seconds", "600"),
        ("cooldown_seconds", True),
        ("cooldown_seconds", 10**9),
        ("user_cooldown_seconds", 2.5),
        ("allowed_channels", "123"),
        ("allowed_channels", [1, "x"]),
        ("denied_channels", [-4]),
        ("denied_channels", {"a": 1}),
        ("disabled_entries", [1, 2]),
        ("disabled_entries", [""]),
    ],
)
async def test_bad_stored_value_falls_back_to_its_default(
    repo: Repository, caplog: pytest.LogCaptureFixture, field: str, bad: Any
) -> None:
    await repo.set_setting(GUILD, RULES["cooldown_seconds"].stored, 42)
    await repo.set_setting(GUILD, RULES[field].stored, bad)
    with caplog.at_level(logging.WARNING, logger="bot.glossary.autoreply_settings"):
        settings = await AutoReplySettings.load(repo, GUILD)
    assert getattr(settings, field) == getattr(AutoReplySettings(), field)
    if field != "cooldown_seconds":
        assert settings.cooldown_seconds == 42  # the good values are kept
    assert RULES[field].stored in caplog.text


async def test_save_rejects_out_of_range_settings(repo: Repository) -> None:
    with pytest.raises(ValidationError):
        await AutoReplySettings.save(repo, GUILD, AutoReplySettings(cooldown_seconds=-1))
    assert await repo.guild_settings(GUILD) == {}


def test_allow_and_deny_move_a_channel_between_lists() -> None:
    settings = AutoReplySettings().deny_channel(CHANNEL)
    assert settings.denied_channels == {CHANNEL}
    settings = settings.allow_channel(CHANNEL)
    assert (settings.allowed_channels, settings.denied_channels) == ({CHANNEL}, frozenset())
    settings = settings.deny_channel(OTHER_CHANNEL).clear_channel(CHANNEL)
    assert (settings.allowed_channels, settings.denied_channels) == (frozenset(), {OTHER_CHANNEL})
    assert settings.allow_channel(CHANNEL).clear_channel() == dataclasses.replace(
        settings, denied_channels=frozenset()
    )


def test_entry_opt_out_and_back_in() -> None:
    settings = AutoReplySettings().disable_entry("hags")
    assert settings.disabled_entries == {"hags"}
    assert settings.enable_entry("hags").disabled_entries == frozenset()


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.with_mode("sometimes"),
        lambda s: s.with_cooldowns(-1),
        lambda s: s.with_cooldowns(None, 10**6),
    ],
)
def test_invalid_changes_raise_a_user_facing_error(change: Any) -> None:
    with pytest.raises(ValidationError):
        change(AutoReplySettings())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.with_mode("sometimes"), "The mode must be one of: question, mention, off."),
        (lambda s: s.with_cooldowns(-1), "The channel cooldown must be 0 to 604800 seconds."),
        (
            lambda s: s.with_cooldowns(None, 10**6),
            "The member cooldown must be 0 to 86400 seconds.",
        ),
        (lambda s: full(s, "allow_channel", 201), "At most 200 channels can be allowed."),
        (lambda s: full(s, "deny_channel", 201), "At most 200 channels can be denied."),
        (lambda s: full(s, "disable_entry", 501), "At most 500 entries can be disabled."),
    ],
)
def test_a_refused_change_says_the_rule_it_breaks(change: Any, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        change(AutoReplySettings())
    assert refused.value.message == message


def full(settings: AutoReplySettings, method: str, count: int) -> AutoReplySettings:
    """Apply `method` to `count` distinct channels or entries, one at a time."""
    for n in range(1, count + 1):
        settings = getattr(settings, method)(n if "channel" in method else f"entry-{n}")
    return settings


def test_the_table_has_a_rule_for_every_setting() -> None:
    fields = [field.name for field in dataclasses.fields(AutoReplySettings)]
    assert list(RULES) == fields
    assert len({rule.stored for rule in RULES.values()}) == len(fields)
    assert set(AutoReplySettings().to_stored()) == {rule.stored for rule in RULES.values()}


def test_settings_built_in_code_are_checked_against_the_same_rules() -> None:
    with pytest.raises(ValidationError) as refused:
        AutoReplySettings(
            cooldown_seconds=-1, allowed_channels=frozenset({1}), denied_channels=frozenset({1})
        ).validate()
    assert refused.value.problems == [
        "The channel cooldown must be 0 to 604800 seconds.",
        "a channel cannot be both allowed and denied",
    ]


@pytest.mark.parametrize(
    ("allowed", "denied", "channel", "parents", "expected"),
    [
        ((), (), CHANNEL, (), True),
        ((), (CHANNEL,), CHANNEL, (), False),
        ((CHANNEL,), (), CHANNEL, (), True),
        ((CHANNEL,), (), OTHER_CHANNEL, (), False),
        ((CHANNEL,), (), THREAD, (CHANNEL,), True),  # a thread follows its parent
        ((), (CHANNEL,), THREAD, (CHANNEL,), False),
        ((CATEGORY,), (), CHANNEL, (CATEGORY,), True),  # a category covers its channels
        ((CATEGORY,), (CHANNEL,), CHANNEL, (CATEGORY,), False),  # deny wins
    ],
)
def test_channel_allowed(
    allowed: tuple[int, ...],
    denied: tuple[int, ...],
    channel: int,
    parents: tuple[int, ...],
    expected: bool,
) -> None:
    settings = AutoReplySettings(
        allowed_channels=frozenset(allowed), denied_channels=frozenset(denied)
    )
    assert settings.channel_allowed(channel, parents) is expected


# --- cooldowns ---------------------------------------------------------------------------


def test_entry_cooldown_is_per_channel_and_entry_and_expires() -> None:
    clock = Clock()
    cooldowns = Cooldowns(clock=clock)
    cooldowns.record(GUILD, CHANNEL, ASKER, ["hags"], AutoReplySettings(cooldown_seconds=600))
    assert cooldowns.active_entries(GUILD, CHANNEL) == {"hags"}
    assert cooldowns.active_entries(GUILD, OTHER_CHANNEL) == frozenset()
    assert cooldowns.active_entries(OTHER_GUILD, CHANNEL) == frozenset()
    clock.now = T0 + 599
    assert cooldowns.active_entries(GUILD, CHANNEL) == {"hags"}
    clock.now = T0 + 600
    assert cooldowns.active_entries(GUILD, CHANNEL) == frozenset()


def test_user_cooldown_is_per_guild_member_and_expires() -> None:
    clock = Clock()
    cooldowns = Cooldowns(clock=clock)
    cooldowns.record(GUILD, CHANNEL, ASKER, ["hags"], AutoReplySettings(user_cooldown_seconds=60))
    assert cooldowns.user_active(GUILD, ASKER)
    assert not cooldowns.user_active(GUILD, OTHER_MEMBER)
    assert not cooldowns.user_active(OTHER_GUILD, ASKER)
    clock.now = T0 + 60
    assert not cooldowns.user_active(GUILD, ASKER)


def test_zero_cooldowns_record_nothing() -> None:
    cooldowns = Cooldowns(clock=Clock())
    cooldowns.record(
        GUILD,
        CHANNEL,
        ASKER,
        ["hags"],
        AutoReplySettings(cooldown_seconds=0, user_cooldown_seconds=0),
    )
    assert len(cooldowns) == 0
    assert not cooldowns.user_active(GUILD, ASKER)
    assert "hags" not in cooldowns.active_entries(GUILD, CHANNEL)


def test_purge_keeps_memory_flat_over_100000_replies() -> None:
    clock = Clock()
    cooldowns = Cooldowns(clock=clock, purge_interval=60)
    settings = AutoReplySettings(cooldown_seconds=600, user_cooldown_seconds=60)
    peak = 0
    for n in range(100_000):
        clock.now = T0 + n  # one reply per second, every one from a new member in a new channel
        cooldowns.record(GUILD, n, n, ["hags"], settings)
        peak = max(peak, len(cooldowns))
    # Live keys: 600 channel cooldowns + 60 member cooldowns, plus what expires between purges.
    assert peak <= 600 + 60 + 2 * 60 + 2
    cooldowns.purge(T0 + 100_000 + 600)
    assert len(cooldowns) == 0


def test_a_flood_inside_one_window_is_capped() -> None:
    cooldowns = Cooldowns(clock=Clock(), max_keys=1000)
    settings = AutoReplySettings(cooldown_seconds=600, user_cooldown_seconds=600)
    for n in range(5000):
        cooldowns.record(GUILD, CHANNEL, n, [f"entry-{n}"], settings)
        assert len(cooldowns) <= 1000
    # The newest reply is remembered; the oldest were forgotten first.
    assert cooldowns.user_active(GUILD, 4999)
    assert "entry-4999" in cooldowns.active_entries(GUILD, CHANNEL)


async def test_cooldowns_survive_a_restart(db_path: Path) -> None:
    clock = Clock()
    repo = await Repository.open(db_path)
    before = Cooldowns(clock=clock)
    before.record(
        GUILD,
        CHANNEL,
        ASKER,
        ["hags"],
        AutoReplySettings(cooldown_seconds=600, user_cooldown_seconds=60),
    )
    before.record(
        GUILD,
        OTHER_CHANNEL,
        OTHER_MEMBER,
        ["cuda"],
        AutoReplySettings(cooldown_seconds=10, user_cooldown_seconds=10),
    )
    assert before.changes == 2
    await before.save(repo)
    assert before.changes == 0
    await repo.close()

    clock.now = T0 + 30  # the restart took 30 seconds: the 10-second cooldown is over
    reopened = await Repository.open(db_path)
    try:
        after = Cooldowns(clock=clock)
        assert await after.load(reopened) == 2
    finally:
        await reopened.close()
    assert "hags" in after.active_entries(GUILD, CHANNEL)
    assert after.user_active(GUILD, ASKER)
    assert "cuda" not in after.active_entries(GUILD, OTHER_CHANNEL)
    clock.now = T0 + 600
    assert "hags" not in after.active_entries(GUILD, CHANNEL)


@pytest.mark.parametrize(
    "stored",
    [
        "{not json",
        json.dumps([1, 2, 3]),
        json.dumps({"version": 99, "channels": [[GUILD, CHANNEL, "hags", T0 + 600]]}),
    ],
)
async def test_a_corrupt_snapshot_is_ignored(repo: Repository, stored: str) -> None:
    await repo.set_meta(COOLDOWNS_META, stored)
    cooldowns = Cooldowns(clock=Clock())
    assert await cooldowns.load(repo) == 0
    assert len(cooldowns) == 0


async def test_malformed_snapshot_rows_are_skipped(repo: Repository) -> None:
    snapshot = {
        "version": 1,
        "channels": [
            [GUILD, CHANNEL, "hags", T0 + 600],
            [GUILD, CHANNEL, 5, T0 + 600],
            ["x", CHANNEL, "cuda", T0 + 600],
            [GUILD, CHANNEL, "cuda"],
        ],
        "users": [[GUILD, ASKER, T0 + 60], [GUILD, True, T0 + 60], "nope"],
    }
    await repo.set_meta(COOLDOWNS_META, json.dumps(snapshot))
    cooldowns = Cooldowns(clock=Clock())
    assert await cooldowns.load(repo) == 2
    assert "hags" in cooldowns.active_entries(GUILD, CHANNEL)
    assert cooldowns.user_active(GUILD, ASKER)
    assert len(cooldowns) == 2


# --- decide ------------------------------------------------------------------------------


def _decide(
    text: str,
    detector: Detector,
    *,
    settings: AutoReplySettings | None = None,
    cooldowns: Cooldowns | None = None,
    channel: int = CHANNEL,
    author: int = ASKER,
    parents: tuple[int, ...] = (),
    now: float = T0,
) -> list[str]:
    found = decide(
        text,
        guild_id=GUILD,
        channel_id=channel,
        author_id=author,
        settings=settings or AutoReplySettings(),
        cooldowns=cooldowns or Cooldowns(clock=Clock(now)),
        scanner=detector,
        now=now,
        parent_ids=parents,
    )
    return [entry.key for entry in found]


@pytest.mark.parametrize(
    ("text", "settings", "channel", "parents", "expected"),
    [
        ("what is colab?", AutoReplySettings(), CHANNEL, (), ["google-colab"]),
        (
            "what is colab and what is hags?",
            AutoReplySettings(),
            CHANNEL,
            (),
            ["google-colab", "hags"],
        ),
        ("I run everything on colab", AutoReplySettings(), CHANNEL, (), []),
        (
            "I run everything on colab",
            AutoReplySettings(mode="mention"),
            CHANNEL,
            (),
            ["google-colab"],
        ),
        ("what is colab?", AutoReplySettings(mode="off"), CHANNEL, (), []),
        ("", AutoReplySettings(mode="mention"), CHANNEL, (), []),
        ("what is fork?", AutoReplySettings(), CHANNEL, (), []),  # the entry opted out itself
        ("what is hags?", AutoReplySettings(disabled_entries=frozenset({"hags"})), CHANNEL, (), []),
        (
            "what is colab?",
            AutoReplySettings(denied_channels=frozenset({CHANNEL})),
            CHANNEL,
            (),
            [],
        ),
        (
            "what is colab?",
            AutoReplySettings(allowed_channels=frozenset({OTHER_CHANNEL})),
            CHANNEL,
            (),
            [],
        ),
        (
            "what is colab?",
            AutoReplySettings(allowed_channels=frozenset({CHANNEL})),
            CHANNEL,
            (),
            ["google-colab"],
        ),
        (
            "what is colab?",
            AutoReplySettings(allowed_channels=frozenset({CHANNEL})),
            THREAD,
            (CHANNEL,),
            ["google-colab"],
        ),
        (
            "colab hags cuda kaggle",
            AutoReplySettings(mode="mention"),
            CHANNEL,
            (),
            ["google-colab", "hags", "cuda"],
        ),
    ],
)
def test_decide_applies_mode_channels_and_opt_outs(
    detector: Detector,
    text: str,
    settings: AutoReplySettings,
    channel: int,
    parents: tuple[int, ...],
    expected: list[str],
) -> None:
    assert _decide(text, detector, settings=settings, channel=channel, parents=parents) == expected


def test_decide_never_repeats_an_answer_within_the_channel_cooldown(detector: Detector) -> None:
    settings = AutoReplySettings(cooldown_seconds=600, user_cooldown_seconds=60)
    cooldowns = Cooldowns(clock=Clock())
    assert _decide("what is colab?", detector, settings=settings, cooldowns=cooldowns) == [
        "google-colab"
    ]
    cooldowns.record(GUILD, CHANNEL, ASKER, ["google-colab"], settings, T0)

    # Someone else asks the same thing in the same busy channel: no second answer.
    assert (
        _decide(
            "what is colab?",
            detector,
            settings=settings,
            cooldowns=cooldowns,
            author=OTHER_MEMBER,
            now=T0 + 1,
        )
        == []
    )
    # ...but a different term still gets one, and the same term in another channel too.
    assert _decide(
        "what is colab and what is hags?",
        detector,
        settings=settings,
        cooldowns=cooldowns,
        author=OTHER_MEMBER,
        now=T0 + 1,
    ) == ["hags"]
    assert _decide(
        "what is colab?",
        detector,
        settings=settings,
        cooldowns=cooldowns,
        author=OTHER_MEMBER,
        channel=OTHER_CHANNEL,
        now=T0 + 1,
    ) == ["google-colab"]
    # Once the cooldown is over, the channel may hear it again.
    assert _decide(
        "what is colab?",
        detector,
        settings=settings,
        cooldowns=cooldowns,
        author=OTHER_MEMBER,
        now=T0 + 600,
    ) == ["google-colab"]


def test_decide_applies_the_member_cooldown_everywhere_in_the_guild(detector: Detector) -> None:
    settings = AutoReplySettings(cooldown_seconds=600, user_cooldown_seconds=60)
    cooldowns = Cooldowns(clock=Clock())
    cooldowns.record(GUILD, CHANNEL, ASKER, ["google-colab"], settings, T0)
    assert (
        _decide(
            "what is hags?",
            detector,
            settings=settings,
            cooldowns=cooldowns,
            channel=OTHER_CHANNEL,
            now=T0 + 59,
        )
        == []
    )
    assert _decide(
        "what is hags?",
        detector,
        settings=settings,
        cooldowns=cooldowns,
        channel=OTHER_CHANNEL,
        now=T0 + 60,
    ) == ["hags"]


class _IgnoresExclude:
    """A scanner that returns everything it finds, ignoring `exclude`."""

    def __init__(self, detector: Detector) -> None:
        self.detector = detector
        self.calls: list[frozenset[str]] = []

    def scan(self, message: str, mode: Mode, *, exclude: Collection[str]) -> list[Entry]:
        self.calls.append(frozenset(exclude))
        return self.detector.scan(message, mode)


def test_decide_filters_even_when_the_scanner_ignores_exclude(detector: Detector) -> None:
    scanner = _IgnoresExclude(detector)
    settings = AutoReplySettings(disabled_entries=frozenset({"hags"}))
    cooldowns = Cooldowns(clock=Clock())
    cooldowns.record(GUILD, CHANNEL, OTHER_MEMBER, ["cuda"], settings, T0)
    found = decide(
        "what are hags, cuda and colab?",
        guild_id=GUILD,
        channel_id=CHANNEL,
        author_id=ASKER,
        settings=dataclasses.replace(settings, mode="mention"),
        cooldowns=cooldowns,
        scanner=scanner,
        now=T0 + 1,
    )
    assert [entry.key for entry in found] == ["google-colab"]
    assert scanner.calls == [frozenset({"hags", "cuda"})]


def test_decide_changes_nothing(detector: Detector) -> None:
    cooldowns = Cooldowns(clock=Clock())
    _decide("what is colab?", detector, cooldowns=cooldowns)
    assert len(cooldowns) == 0
    assert cooldowns.changes == 0
