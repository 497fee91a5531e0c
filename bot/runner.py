"""Start the bot: point discord.py at the configured endpoints, handle signals, exit cleanly."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import signal

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.client import GlossaryBot
from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)

# Exactly what the bot uses: reading and answering in channels, embeds, YAML export files.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)


def point_discord_at(settings: Settings) -> None:
    """Use the configured REST base URL and gateway (a proxy, or the loopback fake in tests)."""
    Route.BASE = settings.api_base_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def client_id_from_token(token: str) -> int | None:
    """Return the application id encoded in a bot token's first segment."""
    first = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), validate=False).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(decoded) if decoded.isdigit() else None


def invite_url(settings: Settings, client_id: int | None = None) -> str:
    """Return the OAuth2 URL that adds the bot with exactly the permissions it needs."""
    client_id = client_id or (client_id_from_token(settings.token) if settings.token else None)
    if client_id is None:
        raise ConfigError(
            "pass --client-id (the Application ID from the Developer Portal) or set DISCORD_TOKEN"
        )
    return discord.utils.oauth_url(
        client_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )


async def _serve(settings: Settings) -> None:
    bot = GlossaryBot(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(settings.token or ""))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("Shutting down")
            await bot.close()
        stopper.cancel()
        # Re-raise start-up failures (bad token, missing intents) for run_bot to explain.
        await runner


def run_bot(settings: Settings) -> int:
    """Run the bot until a signal; return the process exit code."""
    if not settings.token:
        raise ConfigError("DISCORD_TOKEN is not set: put your bot token in .env (see .env.example)")
    point_discord_at(settings)
    try:
        asyncio.run(_serve(settings))
    except discord.LoginFailure:
        log.error(
            "Discord rejected DISCORD_TOKEN: reset it in the Developer Portal and update .env"
        )
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error(
            "The Message Content intent is not enabled for this application: enable it under "
            "Bot > Privileged Gateway Intents in the Developer Portal, or set "
            "MESSAGE_CONTENT_INTENT=false to run without automatic replies"
        )
        return 1
    except (OSError, aiohttp.ClientError, discord.GatewayNotFound) as exc:
        log.error("Cannot reach Discord at %s: %s", settings.api_base_url, exc)
        return 1
    return 0
