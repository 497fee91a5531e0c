"""Start the bot: point discord.py at the configured endpoints, handle signals, exit cleanly."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import signal
import sqlite3

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot import exitcodes
from bot.client import GlossaryBot
from bot.config import ConfigError, Settings
from bot.glossary.models import GlossaryError
from bot.refusals import describe
from bot.storage.db import os_cause

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
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    # Discord ids are positive 64-bit snowflakes.
    if not decoded.isascii() or not decoded.isdigit() or not 0 < int(decoded) < 2**64:
        return None
    return int(decoded)


def invite_url(settings: Settings, client_id: int | None = None) -> str:
    """Return the OAuth2 URL that adds the bot with exactly the permissions it needs."""
    if client_id is None and settings.token:
        client_id = client_id_from_token(settings.token)
        if client_id is None:
            raise ConfigError(
                "DISCORD_TOKEN does not look like a bot token (its first part should encode "
                "the application id): copy it again from the Developer Portal (Bot > Reset "
                "Token), or pass --client-id with the Application ID"
            )
    if client_id is None:
        raise ConfigError(
            "pass --client-id (the Application ID from the Developer Portal) or set DISCORD_TOKEN"
        )
    return discord.utils.oauth_url(
        client_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )


class GatewayDown(Exception):
    """The gateway cannot be reached now; it may come back (refused, timed out, 5xx)."""


class GatewayRefused(Exception):
    """Something answers at the gateway URL, but not as a Discord gateway will."""


GATEWAY_PROBE_TIMEOUT = 30.0
GATEWAY_MAX_DELAY = 60.0


async def probe_gateway(url: str) -> None:
    """Open the gateway as discord.py will and wait for its HELLO; raise GatewayDown/Refused."""
    # discord.py dereferences its previous socket when the very first connection fails, and
    # ends in five tracebacks; so the first connection is proven here, with a clear cause.
    target = yarl.URL(url).with_query(v=discord.http.INTERNAL_API_VERSION, encoding="json")
    timeout = aiohttp.ClientTimeout(total=GATEWAY_PROBE_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.ws_connect(target, autoping=False) as ws,
        ):
            message = await ws.receive(timeout=GATEWAY_PROBE_TIMEOUT)
    except aiohttp.WSServerHandshakeError as exc:
        if exc.status >= 500 or exc.status == 429:
            raise GatewayDown(f"it answered HTTP {exc.status}") from None
        raise GatewayRefused(
            f"it answered HTTP {exc.status} instead of opening a websocket, so it is not a "
            "Discord gateway (check DISCORD_GATEWAY_URL, or a proxy that only passes REST)"
        ) from None
    except aiohttp.ClientConnectorError as exc:
        raise GatewayDown(os_cause(exc.os_error)) from None
    except (aiohttp.ClientError, OSError) as exc:
        raise GatewayDown(str(exc) or type(exc).__name__) from None
    except TimeoutError:
        raise GatewayDown(f"no answer within {GATEWAY_PROBE_TIMEOUT:.0f} s") from None
    try:
        hello = json.loads(message.data) if message.type is aiohttp.WSMsgType.TEXT else None
    except (TypeError, ValueError):
        hello = None
    if not isinstance(hello, dict) or hello.get("op") != 10:
        raise GatewayRefused("it opened a websocket but did not greet like a Discord gateway")


async def wait_for_gateway(url: str, stop: asyncio.Event) -> bool:
    """Probe the gateway with backoff until it answers (True) or a signal arrives (False)."""
    delay = 1.0
    failed = False
    while True:
        try:
            await probe_gateway(url)
        except GatewayDown as exc:
            log.error(
                "Cannot reach the Discord gateway at %s: %s; retrying in %.0f s", url, exc, delay
            )
            failed = True
        else:
            if failed:
                log.info("The Discord gateway at %s answers again", url)
            return True
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return False
        except TimeoutError:
            delay = min(delay * 2, GATEWAY_MAX_DELAY)


async def _serve(settings: Settings) -> None:
    bot = GlossaryBot(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bot:
        # login() opens the database (setup_hook) and checks the token over REST.
        await bot.login(settings.token or "")
        if not await wait_for_gateway(settings.gateway_url, stop):
            log.info("Shutting down")
            return
        runner = asyncio.create_task(bot.connect())
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
        return exitcodes.DISCORD_REFUSED
    except discord.PrivilegedIntentsRequired:
        log.error(
            "The Message Content intent is not enabled for this application: enable it under "
            "Bot > Privileged Gateway Intents in the Developer Portal, or set "
            "MESSAGE_CONTENT_INTENT=false to run without automatic replies"
        )
        return exitcodes.DISCORD_REFUSED
    except GatewayRefused as exc:
        log.error("Cannot use the Discord gateway at %s: %s", settings.gateway_url, exc)
        return exitcodes.DISCORD_REFUSED
    except ConfigError:
        raise
    except GlossaryError as exc:
        # The database cannot be used (not this bot's, corrupt, unreadable): one line, no retry.
        log.error("Cannot start: %s", describe(exc)[0])
        return exitcodes.DATABASE
    except sqlite3.Error as exc:
        # Busy, locked or out of disk space: may pass, so a service manager may try again.
        log.error("Cannot start: database %s: %s", settings.db_path, exc)
        return exitcodes.FAILURE
    except (OSError, aiohttp.ClientError, discord.GatewayNotFound) as exc:
        log.error("Cannot reach Discord at %s: %s", settings.api_base_url, exc)
        return exitcodes.FAILURE
    return exitcodes.OK
