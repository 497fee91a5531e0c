"""Stored timestamps read back as aware times, whatever wrote them."""

from __future__ import annotations

import datetime

import pytest

from bot.glossary.models import parse_when

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("stamp", "when"),
    [
        ("2026-03-14T10:00:00+00:00", datetime.datetime(2026, 3, 14, 10, tzinfo=UTC)),
        (
            "2026-03-14T10:00:00-02:00",
            datetime.datetime(2026, 3, 14, 12, tzinfo=UTC),
        ),
        ("2026-03-14T10:00:00", datetime.datetime(2026, 3, 14, 10, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_when(stamp: str | None, when: datetime.datetime | None) -> None:
    parsed = parse_when(stamp)
    assert parsed == when
    assert parsed is None or parsed.tzinfo is not None
