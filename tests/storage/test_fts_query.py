"""Property: any user text becomes an FTS5 query SQLite accepts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.storage.migrations import MIGRATIONS
from bot.storage.repository import fts_query


def test_fts_query_quotes_tokens_and_prefixes_the_last() -> None:
    assert fts_query('Colab: "AND" rvc*') == '"colab" "and" "rvc"*'


def test_fts_query_of_punctuation_only_is_empty() -> None:
    assert fts_query('"*:^()-') == ""


# The examples share tmp_path: the database the first one creates serves the rest.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.text())
def test_any_text_is_a_valid_match_expression(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fts.db"
    with sqlite3.connect(path) as conn:
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            conn.executescript(f"BEGIN;{MIGRATIONS[0][1]}PRAGMA user_version = 1;COMMIT;")
        query = fts_query(text)
        if query:
            conn.execute("SELECT count(*) FROM entry_fts WHERE entry_fts MATCH ?", (query,))
    conn.close()
