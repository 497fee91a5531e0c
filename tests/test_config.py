"""Settings are validated once, with messages that name the bad variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_DB_PATH, ConfigError, load_settings


def test_defaults_need_no_token() -> None:
    settings = load_settings({})
    assert settings.token is None
    assert settings.db_path == DEFAULT_DB_PATH
    assert settings.api_base_url == "https://discord.com/api/v10"
    assert settings.gateway_url.startswith("wss://")
    assert settings.message_content is True


def test_values_are_read() -> None:
    settings = load_settings(
        {
            "DISCORD_TOKEN": " abc ",
            "GLOSSARY_DB": "/tmp/x.db",
            "DEV_GUILD_ID": "123",
            "LOG_LEVEL": "debug",
            "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10/",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/gateway",
            "MESSAGE_CONTENT_INTENT": "false",
            "REFRESH_SECONDS": "0.5",
        }
    )
    assert settings.token == "abc"
    assert settings.db_path == Path("/tmp/x.db")
    assert settings.dev_guild_id == 123
    assert settings.log_level == "DEBUG"
    assert settings.api_base_url == "http://127.0.0.1:9/api/v10"
    assert settings.message_content is False
    assert settings.refresh_seconds == 0.5


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEV_GUILD_ID": "my server"}, "DEV_GUILD_ID"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"DISCORD_API_BASE_URL": "ftp://x"}, "DISCORD_API_BASE_URL"),
        ({"DISCORD_GATEWAY_URL": "http://x"}, "DISCORD_GATEWAY_URL"),
        ({"MESSAGE_CONTENT_INTENT": "maybe"}, "MESSAGE_CONTENT_INTENT"),
        ({"REFRESH_SECONDS": "soon"}, "REFRESH_SECONDS"),
        ({"REFRESH_SECONDS": "0"}, "REFRESH_SECONDS"),
        ({"REFRESH_SECONDS": "nan"}, "REFRESH_SECONDS"),
        ({"REFRESH_SECONDS": "86400"}, "REFRESH_SECONDS"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_repr_hides_the_token() -> None:
    settings = load_settings({"DISCORD_TOKEN": "very-secret-token"})
    assert "very-secret-token" not in repr(settings)
    assert "very-secret-token" not in str(settings)
