"""Remember which suggestion a member opens after a lookup missed, to propose new aliases."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

# A choice made this long after the miss is not an answer to it.
CHOICE_WINDOW_SECONDS = 15 * 60
# Members with an open miss held in memory; the oldest are forgotten first.
MAX_PENDING = 10_000


@dataclass(frozen=True, slots=True)
class _Pending:
    query: str
    keys: frozenset[str]
    at: float


class PendingMisses:
    """Per member, the last lookup that missed and the entries it suggested."""

    def __init__(self, *, window: float = CHOICE_WINDOW_SECONDS, limit: int = MAX_PENDING) -> None:
        self._window = window
        self._limit = limit
        self._pending: OrderedDict[int, _Pending] = OrderedDict()

    def note(self, member_id: int, query: str, suggested: Iterable[str], now: float) -> None:
        """Remember that a member's query missed and which entry keys were suggested."""
        keys = frozenset(suggested)
        self._pending.pop(member_id, None)
        if not keys or not query.strip():
            return
        self._pending[member_id] = _Pending(query.strip(), keys, now)
        while len(self._pending) > self._limit:
            self._pending.popitem(last=False)

    def chosen(self, member_id: int, key: str, now: float) -> str | None:
        """Return the missed query a member answered by opening `key`, once, or None."""
        pending = self._pending.get(member_id)
        if pending is None or key not in pending.keys or now - pending.at > self._window:
            return None
        del self._pending[member_id]
        return pending.query
