"""What a refused request tells the person who made it, in Discord and on the command line."""

from __future__ import annotations

from bot.glossary.models import (
    DuplicateKeys,
    EntryMissing,
    GlossaryError,
    KeyTaken,
    NameTaken,
    NotDeleted,
    RevisionMissing,
    StaleImport,
    VersionMoved,
)

# A stale import names this many of the entries that changed, then counts the rest.
STALE_KEYS_SHOWN = 10


def describe(error: GlossaryError) -> tuple[str, list[str]]:
    """Return the sentence and the list of problems to show for `error`."""
    match error:
        case EntryMissing():
            return f"no entry with key '{error.key}'", []
        case RevisionMissing(empty=False):
            return f"no revision r{error.revision_id} of '{error.key}'", []
        case RevisionMissing():
            return f"revision r{error.revision_id} has no snapshot to revert to", []
        case KeyTaken(deleted=True):
            return (
                f"a deleted entry with key '{error.key}' exists; restore it or pick another key"
            ), []
        case KeyTaken():
            return f"an entry with key '{error.key}' already exists", []
        case NameTaken():
            return f"'{error.name}' is already a name of {error.holder_term}", []
        case VersionMoved():
            return (
                f"'{error.key}' was changed by {error.changed_by or 'someone'} at "
                f"{error.changed_at} (you had v{error.expected}, it is now v{error.current}); "
                "reload and try again"
            ), []
        case NotDeleted():
            return f"'{error.key}' is not deleted", []
        case StaleImport():
            shown = ", ".join(error.keys[:STALE_KEYS_SHOWN])
            if len(error.keys) > STALE_KEYS_SHOWN:
                shown += f" and {len(error.keys) - STALE_KEYS_SHOWN} more"
            return (
                f"The glossary changed since the dry run ({shown}); nothing was imported. "
                "Run the import again to see the new plan."
            ), []
        case DuplicateKeys():
            return (
                f"duplicate keys: {', '.join(error.keys)}",
                [f"duplicate key {key}" for key in error.keys],
            )
    return error.message, error.problems
