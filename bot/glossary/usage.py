"""Count lookups in memory and hand them to the store in batches."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.glossary.text import normalize


@dataclass
class UsageBuffer:
    """Uses by entry key and misses by normalized query, not yet written to the store."""

    uses: Counter[str] = field(default_factory=Counter)
    misses: dict[str, tuple[str, int]] = field(default_factory=dict)

    def use(self, key: str) -> None:
        """Count one successful lookup."""
        self.uses[key] += 1

    def miss(self, query: str) -> None:
        """Count one lookup that found nothing; blank queries are ignored."""
        norm = normalize(query)
        if not norm:
            return
        _, count = self.misses.get(norm, ("", 0))
        self.misses[norm] = (query.strip()[:200], count + 1)

    def __bool__(self) -> bool:
        return bool(self.uses or self.misses)

    def drain(self) -> UsageBuffer:
        """Return the pending counts and start empty."""
        pending = UsageBuffer(self.uses, self.misses)
        self.uses, self.misses = Counter(), {}
        return pending

    def merge(self, other: UsageBuffer) -> None:
        """Add counts back, e.g. after a write that failed."""
        self.uses.update(other.uses)
        for norm, (query, count) in other.misses.items():
            _, mine = self.misses.get(norm, (query, 0))
            self.misses[norm] = (query, mine + count)
