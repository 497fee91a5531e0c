"""The words for the store's typed errors: what moderators and the CLI read, as before."""

from __future__ import annotations

import pytest

from bot.client import user_message
from bot.glossary.models import (
    Conflict,
    DuplicateKeys,
    EntryMissing,
    GlossaryError,
    KeyTaken,
    NameTaken,
    NotDeleted,
    NotFound,
    RevisionMissing,
    StaleImport,
    ValidationError,
    VersionMoved,
)
from bot.refusals import describe


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (EntryMissing("colab"), "no entry with key 'colab'"),
        (RevisionMissing("colab", 7), "no revision r7 of 'colab'"),
        (RevisionMissing("colab", 7, empty=True), "revision r7 has no snapshot to revert to"),
        (
            KeyTaken("colab", deleted=True),
            "a deleted entry with key 'colab' exists; restore it or pick another key",
        ),
        (KeyTaken("colab", deleted=False), "an entry with key 'colab' already exists"),
        (
            NameTaken("colab!", "google-colab", "Google Colab"),
            "'colab!' is already a name of Google Colab",
        ),
        (
            VersionMoved("kaggle", 3, 4, "owner_olli", "2026-03-14T10:00:00+00:00"),
            "'kaggle' was changed by owner_olli at 2026-03-14T10:00:00+00:00 "
            "(you had v3, it is now v4); reload and try again",
        ),
        (
            VersionMoved("kaggle", 3, 4, None, "2026-03-14T10:00:00+00:00"),
            "'kaggle' was changed by someone at 2026-03-14T10:00:00+00:00 "
            "(you had v3, it is now v4); reload and try again",
        ),
        (NotDeleted("colab"), "'colab' is not deleted"),
        (
            StaleImport(["b", "a"]),
            "The glossary changed since the dry run (a, b); nothing was imported. "
            "Run the import again to see the new plan.",
        ),
        (
            StaleImport([f"k{n:02}" for n in range(12)]),
            "The glossary changed since the dry run (k00, k01, k02, k03, k04, k05, k06, k07, "
            "k08, k09 and 2 more); nothing was imported. Run the import again to see the new plan.",
        ),
    ],
)
def test_each_store_error_reads_as_before(error: GlossaryError, said: str) -> None:
    assert describe(error) == (said, [])
    assert user_message(error) == said


def test_duplicate_keys_list_each_key_as_a_problem() -> None:
    error = DuplicateKeys(["b", "a"])
    assert describe(error) == ("duplicate keys: a, b", ["duplicate key a", "duplicate key b"])
    assert user_message(error) == "duplicate keys: a, b\n- duplicate key a\n- duplicate key b"


def test_errors_that_carry_their_words_are_shown_as_they_are() -> None:
    error = ValidationError("`x` cannot be saved.", problems=["summary is empty"])
    assert describe(error) == ("`x` cannot be saved.", ["summary is empty"])
    assert describe(NotFound("There is no glossary entry `x`.")) == (
        "There is no glossary entry `x`.",
        [],
    )


def test_store_errors_keep_their_kind() -> None:
    # The cogs and the CLI tell a conflict from a missing entry by these classes.
    assert isinstance(NameTaken("a", "b", "B"), Conflict)
    assert isinstance(EntryMissing("a"), NotFound)
    assert isinstance(DuplicateKeys(["a"]), ValidationError)
