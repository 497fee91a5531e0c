"""The automatic-reply decision: which entries a chat message gets explained, if any.

Nothing here imports discord: the cog hands in plain ids and text, this module says which
entries to explain, and the cog records the cooldowns right after deciding (before any
await) so two messages handled concurrently can never both get the same answer.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from bot.glossary.autoreply_settings import AutoReplySettings
from bot.glossary.cooldowns import Cooldowns
from bot.glossary.detect import Mode
from bot.glossary.models import Entry

MAX_ENTRIES_PER_REPLY = 3


class Scanner(Protocol):
    """Anything that finds the entries a message asks about: the service or a Detector."""

    def scan(self, message: str, mode: Mode, *, exclude: Collection[str]) -> list[Entry]:
        """Return the entries to explain for a message."""
        ...


def decide(
    message_text: str,
    *,
    guild_id: int,
    channel_id: int,
    author_id: int,
    settings: AutoReplySettings,
    cooldowns: Cooldowns,
    scanner: Scanner,
    now: float,
    parent_ids: Collection[int] = (),
    limit: int = MAX_ENTRIES_PER_REPLY,
) -> list[Entry]:
    """Return the entries to explain in reply to a message (empty: stay quiet); changes nothing."""
    if settings.mode == "off" or not message_text.strip():
        return []
    if not settings.channel_allowed(channel_id, parent_ids):
        return []
    if cooldowns.user_active(guild_id, author_id, now):
        return []
    exclude = settings.disabled_entries | cooldowns.active_entries(guild_id, channel_id, now)
    found = scanner.scan(message_text, settings.mode, exclude=exclude)
    # Filter again: a scanner that ignores `exclude` must still never repeat an answer.
    return [entry for entry in found if entry.key not in exclude and entry.autoreply][:limit]
