"""Settings read once from the environment (and `.env`), validated up front."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.glossary.models import GlossaryError

DEFAULT_DB_PATH = Path("glossary.db")
DEFAULT_API_BASE_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"
# How often batched lookup counts are written (a crash loses at most this much of them) and
# changes made by other processes, such as a CLI import, are picked up.
DEFAULT_REFRESH_SECONDS = 10.0


class ConfigError(GlossaryError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting the bot and the CLI read."""

    token: str | None
    db_path: Path
    dev_guild_id: int | None
    log_level: str
    api_base_url: str
    gateway_url: str
    message_content: bool
    home_guild_ids: frozenset[int] = frozenset()
    shard_count: int | None = None  # None: as many as Discord recommends
    force_sync: bool = False
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS

    def __repr__(self) -> str:
        # The token must never reach a log line or a traceback.
        shown = "set" if self.token else "unset"
        return f"Settings(token={shown}, db_path={str(self.db_path)!r})"


def load_dotenv_file(path: Path = Path(".env")) -> None:
    """Read `.env` into the environment without overriding variables already set."""
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def _int_or_none(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a numeric Discord id, got {raw!r}")
    return int(raw)


def _id_list(env: Mapping[str, str], name: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in env.get(name, "").replace(" ", "").split(","):
        if not part:
            continue
        if not part.isdigit():
            raise ConfigError(f"{name} must be comma-separated numeric Discord ids, got {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def _shards(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip().lower()
    if raw in {"", "auto"}:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(
            f"{name} must be auto or a whole number of shards (1 or more), got {raw!r}"
        )
    return int(raw)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0.1 <= value <= 3600:  # also refuses nan
        raise ConfigError(f"{name} must be a number of seconds from 0.1 to 3600, got {raw!r}")
    return value


def _url(env: Mapping[str, str], name: str, default: str, schemes: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip() or default
    if not raw.startswith(schemes):
        raise ConfigError(f"{name} must start with {' or '.join(schemes)}, got {raw!r}")
    return raw.rstrip("/") if name == "DISCORD_API_BASE_URL" else raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Return validated settings from `env` (the process environment by default)."""
    env = os.environ if env is None else env
    level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if not isinstance(logging.getLevelName(level), int):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    token = env.get("DISCORD_TOKEN", "").strip() or None
    return Settings(
        token=token,
        # expanduser: .env files are not read by a shell, so `~/g.db` arrives as written.
        db_path=Path(env.get("GLOSSARY_DB", "").strip() or DEFAULT_DB_PATH).expanduser(),
        dev_guild_id=_int_or_none(env, "DEV_GUILD_ID"),
        log_level=level,
        api_base_url=_url(
            env, "DISCORD_API_BASE_URL", DEFAULT_API_BASE_URL, ("http://", "https://")
        ),
        gateway_url=_url(env, "DISCORD_GATEWAY_URL", DEFAULT_GATEWAY_URL, ("ws://", "wss://")),
        message_content=_bool(env, "MESSAGE_CONTENT_INTENT", True),
        home_guild_ids=_id_list(env, "HOME_GUILD_IDS"),
        shard_count=_shards(env, "SHARD_COUNT"),
        force_sync=_bool(env, "FORCE_COMMAND_SYNC", False),
        refresh_seconds=_seconds(env, "REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS),
    )
