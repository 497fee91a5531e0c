"""Shared fixtures for the storage tests: a real database file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.glossary.models import Entry, Paragraph
from bot.storage.repository import Repository


def make_entry(key: str, term: str | None = None, *aliases: str, summary: str = "") -> Entry:
    """Return a small entry for tests."""
    return Entry(
        key=key,
        term=term or key.title(),
        summary=summary or f"What {key} means.",
        aliases=aliases,
        body=(Paragraph(f"Longer text about {key}."),),
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Return where the test database lives."""
    return tmp_path / "data" / "glossary.db"


@pytest.fixture
async def repo(db_path: Path) -> AsyncIterator[Repository]:
    """Yield an open repository on a fresh file, closed afterwards."""
    repository = await Repository.open(db_path)
    try:
        yield repository
    finally:
        await repository.close()
