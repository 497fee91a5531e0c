"""Plain-text summaries of lookup statistics for the moderators' /glossary-admin stats."""

from __future__ import annotations

from collections.abc import Sequence

BAR_WIDTH = 16


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> str:
    """Return a bar of `width` cells filled in proportion to value/largest."""
    if largest <= 0 or value <= 0:
        return "·" * width
    # Any non-zero day gets at least one cell so quiet days do not look empty.
    filled = max(1, round(width * value / largest))
    return "█" * filled + "·" * (width - filled)


def daily_chart(rows: Sequence[tuple[str, int, int]], width: int = BAR_WIDTH) -> str:
    """Return a monospace chart of (day, hits, misses), one line per day, oldest first."""
    if not rows:
        return "no data"
    largest = max(hits + misses for _, hits, misses in rows)
    lines = [f"{'day':<5} {'lookups':<{width}} {'found':>5} {'miss':>5}"]
    for day, hits, misses in rows:
        # MM-DD is enough: the chart never spans more than a few weeks.
        lines.append(f"{day[5:]:<5} {bar(hits + misses, largest, width)} {hits:>5} {misses:>5}")
    return "\n".join(lines)


def totals(rows: Sequence[tuple[str, int, int]]) -> tuple[int, int]:
    """Return total (hits, misses) over rows."""
    return sum(hits for _, hits, _ in rows), sum(misses for _, _, misses in rows)


def miss_rate(hits: int, misses: int) -> str:
    """Return the share of lookups that found nothing, as a percentage string."""
    total = hits + misses
    return "n/a" if total == 0 else f"{100 * misses / total:.0f}%"


def ranked_lines(items: Sequence[tuple[str, int]], empty: str = "none yet") -> str:
    """Return "1. name - N" lines for (name, count) pairs."""
    if not items:
        return empty
    return "\n".join(f"{rank}. {name} - {count}" for rank, (name, count) in enumerate(items, 1))
