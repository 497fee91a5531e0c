"""Which servers own the glossary: only their moderators may change it; every other server reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Where the adopted home server is recorded, so a later invite to another server changes nothing.
ADOPTED_META = "home_guild_id"

UNRESOLVED = (
    "The glossary's home server is not set, and the bot is in several servers, so nobody can "
    "change the glossary yet. The bot's operator sets HOME_GUILD_IDS in .env (see the README)."
)
NOT_HOME = (
    "The glossary is edited only from its home server; here you can look entries up, and "
    "members with Manage Server can tune `/autoreply`."
)


@dataclass(frozen=True, slots=True)
class HomeGuilds:
    """The servers whose moderators may change the glossary, and how they were chosen."""

    ids: frozenset[int]
    source: str  # "HOME_GUILD_IDS", "DEV_GUILD_ID", "adopted", "recorded" or "unresolved"

    def __contains__(self, guild_id: object) -> bool:
        """Return whether `guild_id` owns the glossary."""
        return guild_id in self.ids

    def refusal(self) -> str:
        """Return why a change from a non-home server is refused."""
        return UNRESOLVED if not self.ids else NOT_HOME


def configured_home(home_guild_ids: frozenset[int], dev_guild_id: int | None) -> HomeGuilds | None:
    """Return the home servers the settings name, or None when they name none."""
    if home_guild_ids:
        return HomeGuilds(home_guild_ids, "HOME_GUILD_IDS")
    if dev_guild_id is not None:
        return HomeGuilds(frozenset({dev_guild_id}), "DEV_GUILD_ID")
    return None


def resolve_home(
    configured: HomeGuilds | None, recorded: int | None, present: Iterable[int]
) -> HomeGuilds:
    """Return the home servers: the settings, else the recorded one, else the only server present.

    An unset setting never means "every server": with several servers and nothing set or
    recorded, no server is home and every change is refused.
    """
    if configured is not None:
        return configured
    if recorded is not None:
        return HomeGuilds(frozenset({recorded}), "recorded")
    guilds = set(present)
    if len(guilds) == 1:
        return HomeGuilds(frozenset(guilds), "adopted")
    return HomeGuilds(frozenset(), "unresolved")
