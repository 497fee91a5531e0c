"""Serve a fake Discord REST API and gateway on 127.0.0.1 for end-to-end tests."""

# The shared test API takes explicit timeout arguments, as the other suites call it that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import mimetypes
import re
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1420070400000
API_VERSION = 10

# Application id and bot user id differ on purpose so a bot mixing them up fails here.
APPLICATION_ID = 1100000000000000001
BOT_USER_ID = 1100000000000000002
GUILD_ID = 1200000000000000001
TEXT_CHANNEL_ID = 1300000000000000001
OTHER_CHANNEL_ID = 1300000000000000002
MEMBER_USER_ID = 1400000000000000001
MODERATOR_USER_ID = 1400000000000000002
OWNER_USER_ID = 1400000000000000003
MODERATOR_ROLE_ID = 1500000000000000001
BOT_ROLE_ID = 1500000000000000002

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
MODERATOR_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_GUILD | MANAGE_MESSAGES | MANAGE_CHANNELS
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES

# Gateway intents that matter for what the fake delivers.
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Default of every wait for something the bot should do: a guard against hangs, never a
# speed target, so it is generous enough for a loaded 2-core machine.
HANG_GUARD = 60.0

EPHEMERAL_FLAG = 1 << 6
LOADING_FLAG = 1 << 7

_OPTION_TYPES_BY_PY: tuple[tuple[type, int], ...] = ((bool, 5), (int, 4), (float, 10), (str, 3))
_JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class RecordedRequest:
    """One REST request received by the fake, with the status it was answered with."""

    method: str
    path: str  # relative to the API base, e.g. "/channels/1/messages"
    json: Any
    headers: dict[str, str]
    time: float  # time.perf_counter() at arrival
    query: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    file_sizes: list[int] = field(default_factory=list)  # bytes of each upload, as in `files`
    status: int = 0
    consumed: bool = False

    @property
    def ok(self) -> bool:
        """Tell whether the fake answered with a 2xx status."""
        return 200 <= self.status < 300


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    retry_after: float | None
    body: dict[str, Any] | None


@dataclass
class _Waiter:
    predicate: Callable[[RecordedRequest], bool]
    future: asyncio.Future[RecordedRequest]
    consume: bool


class _Connection:
    """One gateway WebSocket, with its own compression stream and send ordering."""

    def __init__(
        self, ws: web.WebSocketResponse, request: web.Request, compress: str | None
    ) -> None:
        self.ws = ws
        self.request = request
        self.compressor = zlib.compressobj() if compress == "zlib-stream" else None
        self.lock = asyncio.Lock()
        self.live = False  # True once IDENTIFY/RESUME completed; dispatches flow only then
        self.last_sent_seq = 0
        self.barrier_seq: int | None = None
        self.ready = asyncio.Event()

    async def send(self, payload: dict[str, Any]) -> None:
        """Send one gateway payload; the caller holds self.lock."""
        text = json.dumps(payload, separators=(",", ":"))
        if self.ws.closed:
            return
        if self.compressor is not None:
            data = self.compressor.compress(text.encode()) + self.compressor.flush(
                zlib.Z_SYNC_FLUSH
            )
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(text)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _json_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> web.Response:
    # discord.py compares the content-type header exactly, so no "; charset=utf-8".
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={**_JSON_HEADERS, **(headers or {})},
    )


def _no_content() -> web.Response:
    # An empty body labelled application/json would make discord.py fail to parse it.
    return web.Response(status=204)


def _error(
    status: int, code: int, message: str, errors: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return _json_response(status, body)


def _form_error(path: str, message: str) -> web.Response:
    return _error(
        400,
        50035,
        "Invalid Form Body",
        {path: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": message}]}},
    )


def user_payload(user_id: int, username: str, *, bot: bool = False) -> dict[str, Any]:
    """Build a Discord user object."""
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": None if bot else username.title(),
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def _validate_message(
    body: Mapping[str, Any], *, has_files: bool = False, edit: bool = False
) -> web.Response | None:
    """Reject message bodies that real Discord rejects (lengths, counts, emptiness)."""
    content = body.get("content") or ""
    if len(content) > 2000:
        return _form_error("content", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        return _form_error("embeds", "Must be 10 or fewer in length.")
    total = 0
    limits = {"title": 256, "description": 4096}
    for index, embed in enumerate(embeds):
        for key, limit in limits.items():
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                return _form_error(f"embeds.{index}.{key}", f"Must be {limit} or fewer in length.")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            return _form_error(f"embeds.{index}.fields", "Must be 25 or fewer in length.")
        for fi, fld in enumerate(fields):
            name, value = fld.get("name") or "", fld.get("value") or ""
            if not name or len(name) > 256:
                return _form_error(f"embeds.{index}.fields.{fi}.name", "Must be 1-256 in length.")
            if not value or len(value) > 1024:
                return _form_error(f"embeds.{index}.fields.{fi}.value", "Must be 1-1024 in length.")
            total += len(name) + len(value)
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        if len(footer) > 2048 or len(author) > 256:
            return _form_error(f"embeds.{index}", "Footer or author too long.")
        total += len(footer) + len(author)
    if total > 6000:
        return _form_error("embeds", "Embed size exceeds maximum size of 6000")
    components = body.get("components") or []
    v2 = bool((body.get("flags") or 0) & (1 << 15))
    if not v2:
        error = _validate_action_rows(components)
        if error is not None:
            return error
    if not edit and not (
        content or embeds or components or has_files or body.get("sticker_ids") or body.get("poll")
    ):
        return _error(400, 50006, "Cannot send an empty message")
    return None


BUTTON = 2
SELECTS = frozenset({3, 5, 6, 7, 8})
TEXT_INPUT = 4
LABEL = 18


def _too_long(value: object, limit: int, minimum: int = 0) -> bool:
    return value is not None and not minimum <= len(str(value)) <= limit


def _validate_action_rows(rows: Sequence[Mapping[str, Any]]) -> web.Response | None:
    """Reject message components Discord refuses: rows, buttons and selects over their limits."""
    if len(rows) > 5:
        return _form_error("components", "Must be 5 or fewer in length.")
    custom_ids: set[str] = set()
    for index, row in enumerate(rows):
        path = f"components.{index}"
        children = row.get("components") or []
        if row.get("type") != 1:
            return _form_error(f"{path}.type", "Top-level components must be action rows.")
        if not 1 <= len(children) <= 5:
            return _form_error(f"{path}.components", "Must be between 1 and 5 in length.")
        if len(children) > 1 and any(child.get("type") in SELECTS for child in children):
            return _form_error(f"{path}.components", "A select menu must be alone in its row.")
        for position, child in enumerate(children):
            where = f"{path}.components.{position}"
            custom_id = child.get("custom_id")
            if custom_id is not None:
                if _too_long(custom_id, 100, 1):
                    return _form_error(f"{where}.custom_id", "Must be between 1 and 100 in length.")
                if custom_id in custom_ids:
                    return _form_error(
                        f"{where}.custom_id", "Component custom id cannot be duplicated"
                    )
                custom_ids.add(custom_id)
            if child.get("type") == BUTTON:
                if _too_long(child.get("label"), 80):
                    return _form_error(f"{where}.label", "Must be 80 or fewer in length.")
                if (child.get("style") == 5) != ("url" in child):
                    return _form_error(f"{where}.url", "Link buttons need a url, others none.")
            elif child.get("type") in SELECTS:
                error = _validate_select(child, where)
                if error is not None:
                    return error
            else:
                return _form_error(f"{where}.type", "Value must be a button or a select menu.")
    return None


def _validate_select(select: Mapping[str, Any], path: str) -> web.Response | None:
    if _too_long(select.get("placeholder"), 150):
        return _form_error(f"{path}.placeholder", "Must be 150 or fewer in length.")
    options = select.get("options")
    if select.get("type") == 3 and not 1 <= len(options or []) <= 25:
        return _form_error(f"{path}.options", "Must be between 1 and 25 in length.")
    for index, option in enumerate(options or []):
        for key in ("label", "value", "description"):
            if _too_long(option.get(key), 100, 0 if key == "description" else 1):
                return _form_error(
                    f"{path}.options.{index}.{key}", "Must be between 1 and 100 in length."
                )
    for key in ("min_values", "max_values"):
        if not 0 <= int(select.get(key, 1)) <= 25:
            return _form_error(f"{path}.{key}", "Must be between 0 and 25.")
    return None


def _validate_modal(data: Mapping[str, Any]) -> web.Response | None:
    """Reject modals Discord refuses: title, custom id, rows and text inputs over their limits."""
    if _too_long(data.get("title"), 45, 1) or "title" not in data:
        return _form_error("data.title", "Must be between 1 and 45 in length.")
    if _too_long(data.get("custom_id"), 100, 1) or "custom_id" not in data:
        return _form_error("data.custom_id", "Must be between 1 and 100 in length.")
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        return _form_error("data.components", "Must be between 1 and 5 in length.")
    for index, row in enumerate(rows):
        path = f"data.components.{index}"
        if row.get("type") == LABEL:
            if _too_long(row.get("label"), 45, 1):
                return _form_error(f"{path}.label", "Must be between 1 and 45 in length.")
            if _too_long(row.get("description"), 100):
                return _form_error(f"{path}.description", "Must be 100 or fewer in length.")
            inputs = [row.get("component") or {}]
            labelled = True
        elif row.get("type") == 1:
            inputs = list(row.get("components") or [])
            labelled = False
            if len(inputs) != 1:
                return _form_error(f"{path}.components", "Must be 1 in length.")
        else:
            return _form_error(f"{path}.type", "Value must be an action row or a label.")
        for text_input in inputs:
            error = _validate_text_input(text_input, f"{path}.components.0", labelled=labelled)
            if error is not None:
                return error
    return None


def _validate_text_input(
    text_input: Mapping[str, Any], path: str, *, labelled: bool
) -> web.Response | None:
    if text_input.get("type") != TEXT_INPUT:
        return None  # selects in labels are checked as selects would be; the bot uses none
    if _too_long(text_input.get("custom_id"), 100, 1):
        return _form_error(f"{path}.custom_id", "Must be between 1 and 100 in length.")
    if not labelled and _too_long(text_input.get("label"), 45, 1):
        return _form_error(f"{path}.label", "Must be between 1 and 45 in length.")
    if _too_long(text_input.get("placeholder"), 100):
        return _form_error(f"{path}.placeholder", "Must be 100 or fewer in length.")
    if _too_long(text_input.get("value"), 4000):
        return _form_error(f"{path}.value", "Must be 4000 or fewer in length.")
    minimum, maximum = text_input.get("min_length"), text_input.get("max_length")
    if minimum is not None and not 0 <= int(minimum) <= 4000:
        return _form_error(f"{path}.min_length", "Must be between 0 and 4000.")
    if maximum is not None and not 1 <= int(maximum) <= 4000:
        return _form_error(f"{path}.max_length", "Must be between 1 and 4000.")
    value = text_input.get("value")
    if value is not None and maximum is not None and len(str(value)) > int(maximum):
        return _form_error(f"{path}.value", f"Must be {maximum} or fewer in length.")
    return None


def _validate_choices(choices: Sequence[Mapping[str, Any]]) -> web.Response | None:
    """Reject autocomplete results Discord refuses: over 25 choices, names or values too long."""
    if len(choices) > 25:
        return _form_error("data.choices", "Must be 25 or fewer in length.")
    for index, choice in enumerate(choices):
        if _too_long(choice.get("name", ""), 100, 1):
            return _form_error(f"data.choices.{index}.name", "Must be between 1 and 100 in length.")
        value = choice.get("value")
        if isinstance(value, str) and _too_long(value, 100):
            return _form_error(f"data.choices.{index}.value", "Must be 100 or fewer in length.")
    return None


def _numbered_components(components: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return components with the numeric `id` Discord gives each one that has none."""
    copied: list[dict[str, Any]] = json.loads(json.dumps(list(components)))
    nodes: list[dict[str, Any]] = []

    def walk(items: Iterable[dict[str, Any]]) -> None:
        for item in items:
            nodes.append(item)
            walk(item.get("components") or [])
            walk(item[key] for key in ("component", "accessory") if item.get(key))

    walk(copied)
    taken = {node["id"] for node in nodes if isinstance(node.get("id"), int)}
    numbers = (number for number in itertools.count(1) if number not in taken)
    for node in nodes:
        if not isinstance(node.get("id"), int):
            node["id"] = next(numbers)
    return copied


def _validate_commands(commands: Sequence[Mapping[str, Any]]) -> web.Response | None:
    """Reject command payloads that real Discord rejects."""
    if len(commands) > 100:
        return _form_error("_", "Must be 100 or fewer in length.")
    name_re = re.compile(r"^[-_\w]{1,32}$")
    seen: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        kind = command.get("type", 1)
        name = command.get("name", "")
        if kind == 1 and (not name_re.match(name) or name != name.lower()):
            return _form_error(f"{index}.name", "Command name is invalid")
        if (kind, name) in seen:
            return _form_error(f"{index}.name", "Application command names must be unique")
        seen.add((kind, name))
        if kind == 1:
            error = _validate_options(command.get("options") or [], f"{index}.options", name_re)
            if error is not None:
                return error
            if not 1 <= len(command.get("description", "")) <= 100:
                return _form_error(f"{index}.description", "Must be between 1 and 100 in length.")
    return None


def _validate_options(
    options: Sequence[Mapping[str, Any]], path: str, name_re: re.Pattern[str]
) -> web.Response | None:
    if len(options) > 25:
        return _form_error(path, "Must be 25 or fewer in length.")
    seen_optional = False
    for index, option in enumerate(options):
        name = option.get("name", "")
        if not name_re.match(name) or name != name.lower():
            return _form_error(f"{path}.{index}.name", "Option name is invalid")
        if not 1 <= len(option.get("description", "")) <= 100:
            return _form_error(
                f"{path}.{index}.description", "Must be between 1 and 100 in length."
            )
        if option.get("type") in (1, 2):
            error = _validate_options(
                option.get("options") or [], f"{path}.{index}.options", name_re
            )
            if error is not None:
                return error
            continue
        if option.get("required"):
            if seen_optional:
                return _form_error(
                    f"{path}.{index}", "Required options must be placed before non-required options"
                )
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > 25:
            return _form_error(f"{path}.{index}.choices", "Must be 25 or fewer in length.")
        if choices and option.get("autocomplete"):
            return _form_error(
                f"{path}.{index}.autocomplete", "Autocomplete cannot be set with choices"
            )
    return None


Handler = Callable[[web.Request, re.Match[str], RecordedRequest], Awaitable[web.Response]]


class FakeDiscord:
    """Serve Discord's REST API and gateway on 127.0.0.1 and record what the bot does."""

    def __init__(
        self,
        *,
        heartbeat_interval_ms: int = 41250,
        token: str | None = None,
        allowed_privileged_intents: int = PRIVILEGED_INTENTS,
        echo_messages: bool = True,
    ) -> None:
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.token = token
        self.allowed_privileged_intents = allowed_privileged_intents
        self.echo_messages = echo_messages

        self.requests: list[RecordedRequest] = []
        self.unknown_requests: list[RecordedRequest] = []
        self.gateway_received: list[dict[str, Any]] = []
        self.gateway_queries: list[dict[str, str]] = []
        self.identify_payloads: list[dict[str, Any]] = []
        self.identify_times: list[float] = []  # time.perf_counter() of each IDENTIFY
        self.ready_times: list[float] = []  # when the bot acknowledged READY or RESUMED
        self.identify_count = 0
        self.resume_count = 0
        self.connection_count = 0
        self.intents: int | None = None

        self.bot_user = user_payload(BOT_USER_ID, "glossary-bot", bot=True)
        self.users: dict[int, dict[str, Any]] = {
            BOT_USER_ID: self.bot_user,
            MEMBER_USER_ID: user_payload(MEMBER_USER_ID, "voice_fan"),
            MODERATOR_USER_ID: user_payload(MODERATOR_USER_ID, "mod_mia"),
            OWNER_USER_ID: user_payload(OWNER_USER_ID, "owner_olli"),
        }
        self.guild = self._default_guild()
        self.guilds: dict[int, dict[str, Any]] = {GUILD_ID: self.guild}
        self.channels: dict[int, dict[str, Any]] = {
            int(ch["id"]): ch for ch in self.guild["channels"]
        }
        self.messages: dict[int, dict[str, Any]] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.interactions: dict[int, dict[str, Any]] = {}
        self._callbacks_done: set[int] = set()
        self._original_messages: dict[int, int] = {}  # interaction id -> message id
        self._tokens: dict[str, int] = {}  # interaction token -> interaction id
        # Modal custom id -> the message whose component opened it (modal submits carry it).
        self._modal_sources: dict[str, dict[str, Any]] = {}

        self._faults: list[_Fault] = []
        self._waiters: list[_Waiter] = []
        self._last_snowflake = 0
        self._counter = itertools.count(1)

        self._session_id: str | None = None
        self._seq = 0
        self._sent_events: list[dict[str, Any]] = []
        self._conn: _Connection | None = None
        self._connections: set[_Connection] = set()
        self._background: set[asyncio.Task[None]] = set()

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = self._build_routes()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/gateway", self._gateway_handler)
        app.router.add_route("GET", "/gateway/", self._gateway_handler)
        app.router.add_route("*", "/api/v{version:\\d+}/{tail:.*}", self._rest_handler)
        app.router.add_route("*", "/{tail:.*}", self._rest_handler)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Close every gateway connection and stop the server."""
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001)
        for task in list(self._background):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.cancel()

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """Return the bound port."""
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def api_base(self) -> str:
        """Return the value for DISCORD_API_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        """Return the value for DISCORD_GATEWAY_URL."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def env(self, token: str = "fake-token") -> dict[str, str]:
        """Return the environment variables that point a bot at this fake, its server the home."""
        return {
            "HOME_GUILD_IDS": str(GUILD_ID),
            "DISCORD_TOKEN": token,
            "DISCORD_API_BASE_URL": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
        }

    # ------------------------------------------------------------------ ids and fixtures

    def snowflake(self) -> int:
        """Return a fresh, increasing, time-based snowflake."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = max((ms << 22) | (next(self._counter) & 0xFFF), self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    def _default_guild(
        self,
        guild_id: int = GUILD_ID,
        *,
        name: str = "RVC Voice Lab",
        owner_id: int = OWNER_USER_ID,
        channel_ids: Sequence[int] = (TEXT_CHANNEL_ID, OTHER_CHANNEL_ID),
        moderator_role_id: int = MODERATOR_ROLE_ID,
        bot_role_id: int = BOT_ROLE_ID,
        members: Mapping[int, Sequence[int]] | None = None,
    ) -> dict[str, Any]:
        def role(
            role_id: int, name: str, perms: int, position: int, **extra: Any
        ) -> dict[str, Any]:
            return {
                "id": str(role_id),
                "name": name,
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": False,
                "icon": None,
                "unicode_emoji": None,
                "position": position,
                "permissions": str(perms),
                "managed": False,
                "mentionable": False,
                "flags": 0,
                **extra,
            }

        def channel(channel_id: int, name: str, position: int) -> dict[str, Any]:
            return {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": name,
                "position": position,
                "permission_overwrites": [],
                "topic": None,
                "nsfw": False,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "parent_id": None,
                "flags": 0,
            }

        roles = [
            role(guild_id, "@everyone", EVERYONE_PERMISSIONS, 0),
            role(
                bot_role_id,
                "glossary-bot",
                BOT_PERMISSIONS,
                1,
                managed=True,
                tags={"bot_id": str(BOT_USER_ID)},
            ),
            role(moderator_role_id, "Moderator", MODERATOR_PERMISSIONS, 2),
        ]
        if members is None:
            members = {
                MEMBER_USER_ID: [],
                MODERATOR_USER_ID: [moderator_role_id],
                OWNER_USER_ID: [],
            }
        member_list = [
            self._member(BOT_USER_ID, [bot_role_id]),
            *(self._member(user_id, roles) for user_id, roles in members.items()),
        ]
        return {
            "id": str(guild_id),
            "name": name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(channel_ids[0]),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "joined_at": _now_iso(),
            "large": False,
            "unavailable": False,
            "member_count": len(member_list),
            "voice_states": [],
            "members": member_list,
            "channels": [
                channel(channel_id, name, position)
                for position, (channel_id, name) in enumerate(
                    zip(channel_ids, ("general", "voice-models"), strict=False)
                )
            ],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _member(self, user_id: int, roles: Sequence[int]) -> dict[str, Any]:
        return {
            "user": self.users[user_id],
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in roles],
            "joined_at": _now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }

    def add_user(
        self, user_id: int, username: str, *, roles: Sequence[int] = (), bot: bool = False
    ) -> None:
        """Add a user and make them a member of the guild (before the bot connects)."""
        self.users[user_id] = user_payload(user_id, username, bot=bot)
        self.guild["members"].append(self._member(user_id, roles))
        self.guild["member_count"] = len(self.guild["members"])

    def add_guild(
        self,
        guild_id: int,
        *,
        name: str,
        owner_id: int,
        channel_id: int,
        moderator_role_id: int,
        members: Mapping[int, Sequence[int]],
    ) -> dict[str, Any]:
        """Add another server the bot is in (before it connects), with its own roles and members."""
        for user_id in (*members, owner_id):
            self.users.setdefault(user_id, user_payload(user_id, f"user{user_id % 1000}"))
        guild = self._default_guild(
            guild_id,
            name=name,
            owner_id=owner_id,
            channel_ids=(channel_id,),
            moderator_role_id=moderator_role_id,
            bot_role_id=moderator_role_id + 1,
            members={owner_id: [], **members},
        )
        self.guilds[guild_id] = guild
        self.channels.update({int(ch["id"]): ch for ch in guild["channels"]})
        return guild

    def member(self, user_id: int, guild_id: int = GUILD_ID) -> dict[str, Any]:
        """Return the guild member object for a user."""
        for member in self.guilds[guild_id]["members"]:
            if int(member["user"]["id"]) == user_id:
                return member
        raise KeyError(user_id)

    def permissions_of(self, user_id: int, guild_id: int = GUILD_ID) -> int:
        """Compute a member's guild-level permissions the way Discord does."""
        guild = self.guilds[guild_id]
        if user_id == int(guild["owner_id"]):
            return ALL_PERMISSIONS
        roles = {int(r["id"]): int(r["permissions"]) for r in guild["roles"]}
        value = roles[guild_id]
        for role_id in self.member(user_id, guild_id)["roles"]:
            value |= roles.get(int(role_id), 0)
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    # ------------------------------------------------------------------ request recording

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool],
        timeout: float = HANG_GUARD,
        *,
        consume: bool = True,
    ) -> RecordedRequest:
        """Return the first unconsumed matching request, waiting for one if needed."""
        for recorded in self.requests:
            if not recorded.consumed and predicate(recorded):
                recorded.consumed = recorded.consumed or consume
                return recorded
        future: asyncio.Future[RecordedRequest] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(predicate, future, consume)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            recent = "\n  ".join(f"{r.status} {r.method} {r.path}" for r in self.requests[-15:])
            raise TimeoutError(
                f"no matching request within {timeout}s; last requests:\n  {recent}"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def _record(self, recorded: RecordedRequest) -> None:
        self.requests.append(recorded)
        for waiter in list(self._waiters):
            if waiter.future.done():
                continue
            try:
                matched = waiter.predicate(recorded)
            except Exception as exc:  # a broken predicate must fail the test, not the server
                waiter.future.set_exception(exc)
                continue
            if matched:
                waiter.future.set_result(recorded)
                self._waiters.remove(waiter)
                if waiter.consume:
                    recorded.consumed = True
                    break

    async def wait_for_callback(
        self, interaction_id: int | str, timeout: float = HANG_GUARD, *, ok_only: bool = True
    ) -> RecordedRequest:
        """Return the POST interactions/{id}/{token}/callback for an interaction."""
        pattern = re.compile(rf"^/interactions/{interaction_id}/[^/]+/callback$")

        def matches(r: RecordedRequest) -> bool:
            return r.method == "POST" and bool(pattern.match(r.path)) and (r.ok or not ok_only)

        return await self.wait_for_request(matches, timeout)

    async def wait_for_channel_message(
        self, channel_id: int | None = None, timeout: float = HANG_GUARD
    ) -> RecordedRequest:
        """Return the next successful POST channels/{id}/messages."""
        channel = str(channel_id) if channel_id is not None else r"\d+"
        pattern = re.compile(rf"^/channels/{channel}/messages$")

        def matches(r: RecordedRequest) -> bool:
            return r.method == "POST" and bool(pattern.match(r.path)) and r.ok

        return await self.wait_for_request(matches, timeout)

    async def wait_for_command_sync(self, timeout: float = HANG_GUARD) -> RecordedRequest:
        """Return the (not consumed) successful PUT of application commands."""

        def matches(r: RecordedRequest) -> bool:
            return r.method == "PUT" and r.path.endswith("/commands") and r.ok

        return await self.wait_for_request(matches, timeout, consume=False)

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` (regex searched in the path)."""
        self._faults.append(
            _Fault(method.upper(), re.compile(path_regex), status, times, retry_after, body)
        )

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method in (method, "*") and fault.pattern.search(path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _fault_response(fault: _Fault) -> web.Response:
        if fault.status == 429:
            retry = 0.1 if fault.retry_after is None else fault.retry_after
            body = fault.body or {
                "message": "You are being rate limited.",
                "retry_after": retry,
                "global": False,
            }
            headers = {
                "Retry-After": str(math.ceil(retry)),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Bucket": "fakebucket0000",
                "X-RateLimit-Scope": "user",
                # discord.py treats a 429 without Via as a Cloudflare ban and gives up.
                "Via": "1.1 google",
            }
            return _json_response(429, body, headers)
        body = fault.body or {"message": f"{fault.status}: injected failure", "code": 0}
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(math.ceil(fault.retry_after))
        return _json_response(fault.status, body, headers)

    # ------------------------------------------------------------------ REST

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/users/(?P<user>\d+)", self._get_user),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway),
            ("GET", r"/applications/(?P<app>\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(?P<app>\d+)/commands", self._put_commands),
            (
                "GET",
                r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands",
                self._get_commands,
            ),
            (
                "PUT",
                r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands",
                self._put_commands,
            ),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", self._followup_create),
            (
                "GET",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._webhook_message_get,
            ),
            (
                "PATCH",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._webhook_message_edit,
            ),
            (
                "DELETE",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._webhook_message_delete,
            ),
            ("GET", r"/channels/(?P<cid>\d+)", self._get_channel),
            ("POST", r"/channels/(?P<cid>\d+)/typing", self._typing),
            ("GET", r"/channels/(?P<cid>\d+)/messages", self._list_messages),
            ("POST", r"/channels/(?P<cid>\d+)/messages", self._create_message),
            ("GET", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._get_message),
            ("PATCH", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._edit_message),
            ("DELETE", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._delete_message),
            (
                "PUT",
                r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/reactions/(?P<emoji>[^/]+)/@me",
                self._add_reaction,
            ),
            (
                "DELETE",
                r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/reactions/(?P<emoji>[^/]+)/(?P<uid>@me|\d+)",
                self._remove_reaction,
            ),
            (
                "DELETE",
                r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/reactions(?:/(?P<emoji>[^/]+))?",
                self._clear_reactions,
            ),
            (
                "GET",
                r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/reactions/(?P<emoji>[^/]+)",
                self._get_reactions,
            ),
            ("GET", r"/guilds/(?P<guild>\d+)", self._get_guild),
            ("GET", r"/guilds/(?P<guild>\d+)/channels", self._get_guild_channels),
            ("GET", r"/guilds/(?P<guild>\d+)/roles", self._get_guild_roles),
            ("GET", r"/guilds/(?P<guild>\d+)/members/(?P<user>\d+)", self._get_guild_member),
        ]
        return [(m, re.compile(f"^{p}$"), h) for m, p, h in table]

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        arrived = time.perf_counter()
        prefix = f"/api/v{request.match_info['version']}" if "version" in request.match_info else ""
        path = request.path[len(prefix) :] or "/"
        body: Any = None
        files: list[str] = []
        file_sizes: list[int] = []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for key, value in form.items():
                if key == "payload_json":
                    body = json.loads(str(value))
                elif isinstance(value, web.FileField):
                    files.append(value.filename)
                    file_sizes.append(len(value.file.read()))
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
        recorded = RecordedRequest(
            method=request.method,
            path=path,
            json=body,
            headers=dict(request.headers),
            time=arrived,
            query=dict(request.query),
            files=files,
            file_sizes=file_sizes,
        )
        response = await self._respond(request, recorded)
        recorded.status = response.status
        self._record(recorded)
        return response

    async def _respond(self, request: web.Request, recorded: RecordedRequest) -> web.Response:
        fault = self._take_fault(recorded.method, recorded.path)
        if fault is not None:
            log.info("injecting %s for %s %s", fault.status, recorded.method, recorded.path)
            return self._fault_response(fault)
        unauthenticated = recorded.path.startswith(("/interactions/", "/webhooks/"))
        if not unauthenticated:
            auth = request.headers.get("Authorization", "")
            expected = f"Bot {self.token}" if self.token else None
            if not auth.startswith("Bot ") or (expected is not None and auth != expected):
                return _error(401, 0, "401: Unauthorized")
        for method, pattern, handler in self._routes:
            if method != recorded.method:
                continue
            match = pattern.match(recorded.path)
            if match:
                return await handler(request, match, recorded)
        log.warning("FakeDiscord: unhandled route %s %s", recorded.method, recorded.path)
        self.unknown_requests.append(recorded)
        return _error(404, 0, "404: Not Found")

    @staticmethod
    def _ratelimit_headers(bucket: str) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": bucket,
        }

    async def _get_me(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        return _json_response(
            200,
            {
                **self.bot_user,
                "verified": True,
                "mfa_enabled": False,
                "locale": "en-US",
                "email": None,
            },
        )

    async def _get_user(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        user = self.users.get(int(m["user"]))
        return _json_response(200, user) if user else _error(404, 10013, "Unknown User")

    async def _create_dm(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        recipient = int((r.json or {}).get("recipient_id", 0))
        if recipient not in self.users:
            return _error(400, 50007, "Cannot send messages to this user")
        channel_id = recipient + 1  # stable and distinct from every fixed id
        channel = {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "recipients": [self.users[recipient]],
            "flags": 0,
        }
        self.channels[channel_id] = channel
        return _json_response(200, channel)

    async def _get_application(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        return _json_response(200, self.application_payload())

    def application_payload(self) -> dict[str, Any]:
        """Return the application object (GET oauth2/applications/@me)."""
        return {
            "id": str(APPLICATION_ID),
            "name": "Glossary Bot",
            "icon": None,
            "description": "RVC glossary",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": self.users[OWNER_USER_ID],
            "team": None,
            "verify_key": "0" * 64,
            "flags": (1 << 18) | (1 << 19) | (1 << 23),
            "bot": self.bot_user,
            "rpc_origins": [],
            "tags": [],
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "approximate_guild_count": 1,
            "install_params": None,
            "integration_types_config": {"0": {}},
        }

    async def _get_gateway(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        return _json_response(
            200,
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            },
        )

    def _commands_for(self, guild: str | None) -> list[dict[str, Any]]:
        return self.global_commands if guild is None else self.guild_commands.get(int(guild), [])

    async def _get_commands(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        if int(m["app"]) != APPLICATION_ID:
            return _error(403, 50001, "Missing Access")
        return _json_response(200, self._commands_for(m.groupdict().get("guild")))

    async def _put_commands(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        if int(m["app"]) != APPLICATION_ID:
            return _error(403, 50001, "Missing Access")
        guild = m.groupdict().get("guild")
        if guild is not None and int(guild) not in self.guilds:
            return _error(403, 50001, "Missing Access")
        payload = r.json if isinstance(r.json, list) else []
        error = _validate_commands(payload)
        if error is not None:
            return error
        existing = {(c["type"], c["name"]): c["id"] for c in self._commands_for(guild)}
        stored: list[dict[str, Any]] = []
        for command in payload:
            kind = command.get("type", 1)
            item = {
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                "name_localizations": None,
                "description_localizations": None,
                "integration_types": [0],
                "contexts": None,
                **command,
                "id": existing.get((kind, command["name"])) or str(self.snowflake()),
                "application_id": str(APPLICATION_ID),
                "type": kind,
                "version": str(self.snowflake()),
            }
            if item["default_member_permissions"] is not None:
                # Discord returns the permission bit set as a string, whatever was sent.
                item["default_member_permissions"] = str(int(item["default_member_permissions"]))
            if guild is not None:
                item["guild_id"] = guild
            stored.append(item)
        if guild is None:
            self.global_commands = stored
        else:
            self.guild_commands[int(guild)] = stored
        return _json_response(200, stored, self._ratelimit_headers("commands"))

    # -- interactions

    async def _callback(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        interaction_id = int(m["iid"])
        interaction = self.interactions.get(interaction_id)
        if interaction is None or interaction["token"] != m["token"]:
            return _error(404, 10062, "Unknown interaction")
        if interaction_id in self._callbacks_done:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body = r.json if isinstance(r.json, dict) else {}
        kind = body.get("type")
        data = body.get("data") or {}
        if kind not in (1, 4, 5, 6, 7, 8, 9, 10, 12):
            return _form_error("type", "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.")
        error = None
        if kind in (4, 7):
            error = _validate_message(data, has_files=bool(r.files), edit=kind == 7)
        elif kind == 8:
            error = _validate_choices(data.get("choices") or [])
        elif kind == 9:
            error = _validate_modal(data)
        if error is not None:
            return error
        if kind == 9 and "message" in interaction:
            source = interaction["message"]
            self._modal_sources[data["custom_id"]] = self.messages.get(int(source["id"]), source)
        self._callbacks_done.add(interaction_id)

        info: dict[str, Any] = {"id": str(interaction_id), "type": interaction["type"]}
        result: dict[str, Any] = {"interaction": info}
        message: dict[str, Any] | None = None
        if kind in (4, 5):
            flags = int(data.get("flags") or 0)
            if kind == 5:
                flags |= LOADING_FLAG
                data = {"flags": flags}
            message = self._interaction_message(interaction, data, r)
            self._original_messages[interaction_id] = int(message["id"])
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = kind == 5
            info["response_message_ephemeral"] = bool(flags & EPHEMERAL_FLAG)
            if not flags & EPHEMERAL_FLAG:
                self._echo("MESSAGE_CREATE", message)
        elif kind in (6, 7) and "message" in interaction:
            message_id = int(interaction["message"]["id"])
            self._original_messages[interaction_id] = message_id
            stored = self.messages.get(message_id, interaction["message"])
            if kind == 7:
                stored.update({k: v for k, v in data.items() if k in _EDITABLE})
                if "components" in data:
                    stored["components"] = _numbered_components(data["components"] or [])
                stored["edited_timestamp"] = _now_iso()
                self.messages[message_id] = stored
                self._echo("MESSAGE_UPDATE", stored)
            message = stored
            info["response_message_id"] = str(message_id)
        if kind not in (1, 8):
            resource: dict[str, Any] = {"type": kind}
            if message is not None:
                resource["message"] = message
            result["resource"] = resource
        return _json_response(200, result)

    def _interaction_for_token(self, token: str) -> dict[str, Any] | None:
        interaction_id = self._tokens.get(token)
        return None if interaction_id is None else self.interactions.get(interaction_id)

    def _interaction_message(
        self, interaction: Mapping[str, Any], data: Mapping[str, Any], r: RecordedRequest
    ) -> dict[str, Any]:
        user = (interaction.get("member") or {}).get("user") or interaction.get("user")
        message = self.build_message(
            channel_id=int(interaction["channel_id"]),
            body=data,
            author=self.bot_user,
            guild_id=int(interaction["guild_id"]) if interaction.get("guild_id") else None,
            files=r.files,
            file_sizes=r.file_sizes,
        )
        message["webhook_id"] = str(APPLICATION_ID)
        message["application_id"] = str(APPLICATION_ID)
        message["type"] = 20 if interaction["type"] == 2 else 0
        message["interaction_metadata"] = {
            "id": interaction["id"],
            "type": interaction["type"],
            "user": user,
            "authorizing_integration_owners": interaction.get("authorizing_integration_owners", {}),
        }
        self.messages[int(message["id"])] = message
        return message

    async def _followup_create(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        interaction = self._interaction_for_token(m["token"])
        if interaction is None or int(m["app"]) != APPLICATION_ID:
            return _error(404, 10015, "Unknown Webhook")
        if int(interaction["id"]) not in self._callbacks_done:
            return _error(400, 40060, "Interaction has not been acknowledged.")
        body = r.json if isinstance(r.json, dict) else {}
        error = _validate_message(body, has_files=bool(r.files))
        if error is not None:
            return error
        message = self._interaction_message(interaction, body, r)
        if not int(message.get("flags") or 0) & EPHEMERAL_FLAG:
            self._echo("MESSAGE_CREATE", message)
        if r.query.get("wait", "").lower() not in ("true", "1"):
            return _no_content()
        return _json_response(200, message)

    def _webhook_message(
        self, m: re.Match[str]
    ) -> tuple[dict[str, Any] | None, web.Response | None]:
        interaction = self._interaction_for_token(m["token"])
        if interaction is None or int(m["app"]) != APPLICATION_ID:
            return None, _error(404, 10015, "Unknown Webhook")
        if m["mid"] == "@original":
            message_id = self._original_messages.get(int(interaction["id"]))
        else:
            message_id = int(m["mid"])
        message = self.messages.get(message_id) if message_id is not None else None
        if message is None:
            return None, _error(404, 10008, "Unknown Message")
        return message, None

    async def _webhook_message_get(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        message, error = self._webhook_message(m)
        return error or _json_response(200, message)

    async def _webhook_message_edit(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        message, error = self._webhook_message(m)
        if error is not None or message is None:
            return error or _error(404, 10008, "Unknown Message")
        return self._apply_edit(message, r)

    async def _webhook_message_delete(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        message, error = self._webhook_message(m)
        if error is not None or message is None:
            return error or _error(404, 10008, "Unknown Message")
        self._delete_stored(message)
        return _no_content()

    def _apply_edit(self, message: dict[str, Any], r: RecordedRequest) -> web.Response:
        body = r.json if isinstance(r.json, dict) else {}
        error = _validate_message(body, edit=True)
        if error is not None:
            return error
        previous = list(message.get("attachments") or [])
        message.update({k: v for k, v in body.items() if k in _EDITABLE})
        if "components" in body:
            message["components"] = _numbered_components(body["components"] or [])
        if "attachments" in body or r.files:
            # The body lists the attachments to keep by id; uploads are referenced by index.
            kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in previous if "attachments" not in body or a["id"] in kept_ids]
            message["attachments"] = kept + self.attachments(r.files, r.file_sizes)
        if "flags" in body:
            # Ephemeral survives edits and an edit ends the loading state, as on Discord.
            message["flags"] = (int(message.get("flags") or 0) & EPHEMERAL_FLAG) | int(
                body["flags"] or 0
            )
        elif int(message.get("flags") or 0) & LOADING_FLAG:
            message["flags"] = int(message["flags"]) & ~LOADING_FLAG
        message["edited_timestamp"] = _now_iso()
        if not int(message.get("flags") or 0) & EPHEMERAL_FLAG:
            self._echo("MESSAGE_UPDATE", message)
        return _json_response(200, message)

    def _delete_stored(self, message: Mapping[str, Any]) -> None:
        self.messages.pop(int(message["id"]), None)
        payload = {"id": message["id"], "channel_id": message["channel_id"]}
        if message.get("guild_id"):
            payload["guild_id"] = message["guild_id"]
        if not int(message.get("flags") or 0) & EPHEMERAL_FLAG:
            self._echo("MESSAGE_DELETE", payload)

    # -- channels and messages

    def _channel_or_error(
        self, m: re.Match[str]
    ) -> tuple[dict[str, Any] | None, web.Response | None]:
        channel = self.channels.get(int(m["cid"]))
        if channel is None:
            return None, _error(404, 10003, "Unknown Channel")
        return channel, None

    def _message_or_error(
        self, m: re.Match[str]
    ) -> tuple[dict[str, Any] | None, web.Response | None]:
        _, error = self._channel_or_error(m)
        if error is not None:
            return None, error
        message = self.messages.get(int(m["mid"]))
        if message is None or message["channel_id"] != m["cid"]:
            return None, _error(404, 10008, "Unknown Message")
        return message, None

    async def _get_channel(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        channel, error = self._channel_or_error(m)
        return error or _json_response(200, channel)

    async def _typing(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        _, error = self._channel_or_error(m)
        return error or _no_content()

    async def _list_messages(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        _, error = self._channel_or_error(m)
        if error is not None:
            return error
        limit = int(r.query.get("limit", "50"))
        found = [msg for msg in self.messages.values() if msg["channel_id"] == m["cid"]]
        found.sort(key=lambda msg: int(msg["id"]), reverse=True)
        return _json_response(200, found[:limit])

    async def _create_message(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        channel, error = self._channel_or_error(m)
        if error is not None or channel is None:
            return error or _error(404, 10003, "Unknown Channel")
        body = r.json if isinstance(r.json, dict) else {}
        error = _validate_message(body, has_files=bool(r.files))
        if error is not None:
            return error
        guild_id = channel.get("guild_id")
        message = self.build_message(
            channel_id=int(channel["id"]),
            body=body,
            author=self.bot_user,
            guild_id=int(guild_id) if guild_id else None,
            files=r.files,
            file_sizes=r.file_sizes,
        )
        reference = body.get("message_reference")
        if reference:
            message["message_reference"] = {**reference, "type": reference.get("type", 0)}
            message["type"] = 19
            referenced = self.messages.get(int(reference.get("message_id", 0)))
            if referenced is None and reference.get("fail_if_not_exists", True):
                return _form_error("message_reference", "Unknown message")
            message["referenced_message"] = referenced
        self.messages[int(message["id"])] = message
        self._echo("MESSAGE_CREATE", message)
        return _json_response(200, message, self._ratelimit_headers(f"messages-{channel['id']}"))

    async def _get_message(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        message, error = self._message_or_error(m)
        return error or _json_response(200, message)

    async def _edit_message(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        message, error = self._message_or_error(m)
        if error is not None or message is None:
            return error or _error(404, 10008, "Unknown Message")
        if message["author"]["id"] != self.bot_user["id"]:
            return _error(403, 50005, "Cannot edit a message authored by another user")
        return self._apply_edit(message, r)

    async def _delete_message(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        message, error = self._message_or_error(m)
        if error is not None or message is None:
            return error or _error(404, 10008, "Unknown Message")
        self._delete_stored(message)
        return _no_content()

    @staticmethod
    def _emoji_payload(emoji: str) -> dict[str, Any]:
        if ":" in emoji:
            name, emoji_id = emoji.split(":", 1)
            return {"id": emoji_id, "name": name}
        return {"id": None, "name": emoji}

    async def _add_reaction(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        message, error = self._message_or_error(m)
        if error is not None or message is None:
            return error or _error(404, 10008, "Unknown Message")
        reactions = message.setdefault("reactions", [])
        emoji = self._emoji_payload(m["emoji"])
        for reaction in reactions:
            if reaction["emoji"] == emoji:
                if not reaction["me"]:
                    reaction["me"] = True
                    reaction["count"] += 1
                    reaction.setdefault("_users", []).append(BOT_USER_ID)
                break
        else:
            reactions.append(
                {
                    "emoji": emoji,
                    "count": 1,
                    "me": True,
                    "me_burst": False,
                    "burst_count": 0,
                    "count_details": {"burst": 0, "normal": 1},
                    "burst_colors": [],
                    "_users": [BOT_USER_ID],
                }
            )
        return _no_content()

    async def _remove_reaction(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        message, error = self._message_or_error(m)
        if error is not None or message is None:
            return error or _error(404, 10008, "Unknown Message")
        user_id = BOT_USER_ID if m["uid"] == "@me" else int(m["uid"])
        emoji = self._emoji_payload(m["emoji"])
        for reaction in list(message.get("reactions", [])):
            if reaction["emoji"] == emoji and user_id in reaction.get("_users", []):
                reaction["_users"].remove(user_id)
                reaction["count"] -= 1
                reaction["me"] = BOT_USER_ID in reaction["_users"]
                if reaction["count"] <= 0:
                    message["reactions"].remove(reaction)
        return _no_content()

    async def _clear_reactions(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        message, error = self._message_or_error(m)
        if error is not None or message is None:
            return error or _error(404, 10008, "Unknown Message")
        if m["emoji"]:
            emoji = self._emoji_payload(m["emoji"])
            message["reactions"] = [x for x in message.get("reactions", []) if x["emoji"] != emoji]
        else:
            message["reactions"] = []
        return _no_content()

    async def _get_reactions(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        message, error = self._message_or_error(m)
        if error is not None or message is None:
            return error or _error(404, 10008, "Unknown Message")
        emoji = self._emoji_payload(m["emoji"])
        for reaction in message.get("reactions", []):
            if reaction["emoji"] == emoji:
                return _json_response(200, [self.users[u] for u in reaction.get("_users", [])])
        return _json_response(200, [])

    async def _get_guild(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        guild = self.guilds.get(int(m["guild"]))
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        skip = {
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
            "unavailable",
            "member_count",
        }
        return _json_response(200, {k: v for k, v in guild.items() if k not in skip})

    async def _get_guild_channels(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        guild = self.guilds.get(int(m["guild"]))
        return (
            _json_response(200, guild["channels"]) if guild else _error(404, 10004, "Unknown Guild")
        )

    async def _get_guild_roles(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        guild = self.guilds.get(int(m["guild"]))
        return _json_response(200, guild["roles"]) if guild else _error(404, 10004, "Unknown Guild")

    async def _get_guild_member(
        self, request: web.Request, m: re.Match[str], r: RecordedRequest
    ) -> web.Response:
        try:
            return _json_response(200, self.member(int(m["user"])))
        except KeyError:
            return _error(404, 10007, "Unknown Member")

    # ------------------------------------------------------------------ payload builders

    def build_message(
        self,
        *,
        channel_id: int,
        body: Mapping[str, Any],
        author: Mapping[str, Any],
        guild_id: int | None,
        files: Sequence[str] = (),
        file_sizes: Sequence[int] = (),
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """Build a Discord message object from a create body."""
        message: dict[str, Any] = {
            "id": str(message_id or self.snowflake()),
            "channel_id": str(channel_id),
            "author": dict(author),
            "content": body.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "mention_channels": [],
            "attachments": self.attachments(files, file_sizes),
            "embeds": list(body.get("embeds") or []),
            "components": _numbered_components(body.get("components") or []),
            "reactions": [],
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags") or 0),
            "nonce": body.get("nonce"),
        }
        if guild_id is not None:
            message["guild_id"] = str(guild_id)
        if body.get("poll"):
            message["poll"] = body["poll"]
        return message

    def attachments(
        self, files: Sequence[str], file_sizes: Sequence[int] = ()
    ) -> list[dict[str, Any]]:
        """Return the attachment objects Discord stores for uploaded files."""
        sizes = [*file_sizes, *[0] * (len(files) - len(file_sizes))]
        attachments = []
        for name, size in zip(files, sizes, strict=True):
            attachment_id = self.snowflake()
            url = f"https://cdn.discordapp.com/attachments/0/{attachment_id}/{name}"
            attachments.append(
                {
                    "id": str(attachment_id),
                    "filename": name,
                    "size": size,
                    "url": url,
                    "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
                    "content_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
                }
            )
        return attachments

    def message_create(
        self,
        content: str,
        *,
        author: int | Mapping[str, Any] = MEMBER_USER_ID,
        bot: bool = False,
        webhook_id: int | None = None,
        channel_id: int = TEXT_CHANNEL_ID,
        guild_id: int | None = GUILD_ID,
        embeds: Sequence[Mapping[str, Any]] = (),
        message_id: int | None = None,
        reference_id: int | None = None,
    ) -> dict[str, Any]:
        """Build a MESSAGE_CREATE payload from a user (or bot, or webhook) and store it."""
        if webhook_id is not None:
            user: dict[str, Any] = {
                **user_payload(webhook_id, "Captain Hook", bot=True),
                "discriminator": "0000",
            }
        elif isinstance(author, int):
            user = dict(self.users[author])
        else:
            user = dict(author)
        if bot:
            user["bot"] = True
        message = self.build_message(
            channel_id=channel_id,
            body={"content": content, "embeds": list(embeds)},
            author=user,
            guild_id=guild_id,
            message_id=message_id,
        )
        if webhook_id is not None:
            message["webhook_id"] = str(webhook_id)
        elif guild_id is not None and int(user["id"]) in self.users:
            with contextlib.suppress(KeyError):
                message["member"] = {
                    k: v for k, v in self.member(int(user["id"]), guild_id).items() if k != "user"
                }
        mentioned = [int(x) for x in re.findall(r"<@!?(\d+)>", content)]
        for user_id in mentioned:
            if user_id in self.users:
                entry = dict(self.users[user_id])
                if guild_id is not None:
                    with contextlib.suppress(KeyError):
                        entry["member"] = {
                            k: v for k, v in self.member(user_id, guild_id).items() if k != "user"
                        }
                message["mentions"].append(entry)
        message["mention_everyone"] = "@everyone" in content or "@here" in content
        if reference_id is not None:
            message["type"] = 19
            message["message_reference"] = {
                "type": 0,
                "message_id": str(reference_id),
                "channel_id": str(channel_id),
            }
            message["referenced_message"] = self.messages.get(reference_id)
        self.messages[int(message["id"])] = message
        return message

    async def dispatch_message(self, content: str, **kwargs: Any) -> dict[str, Any]:
        """Build a MESSAGE_CREATE with message_create() and dispatch it."""
        message = self.message_create(content, **kwargs)
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    def _find_command(self, name: str, guild_id: int | None) -> dict[str, Any] | None:
        pools = [self.guild_commands.get(guild_id, [])] if guild_id else []
        pools.append(self.global_commands)
        for pool in pools:
            for command in pool:
                if command["name"] == name and command.get("type", 1) == 1:
                    return command
        return None

    def _base_interaction(
        self,
        kind: int,
        data: dict[str, Any] | None,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int,
        permissions: int | None,
        locale: str,
    ) -> dict[str, Any]:
        interaction_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APPLICATION_ID),
            "type": kind,
            "token": f"itok-{interaction_id}-{secrets.token_hex(8)}",
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel_id),
        }
        if data is not None:
            payload["data"] = data
        if guild_id is not None:
            perms = self.permissions_of(user_id, guild_id) if permissions is None else permissions
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
            payload["member"] = {**self.member(user_id, guild_id), "permissions": str(perms)}
            payload["app_permissions"] = str(self.permissions_of(BOT_USER_ID, guild_id))
            payload["authorizing_integration_owners"] = {"0": str(guild_id)}
            payload["context"] = 0
            payload["channel"] = {
                k: v for k, v in self.channels[channel_id].items() if k != "permission_overwrites"
            } | {"permissions": str(perms)}
        else:
            payload["user"] = self.users[user_id]
            payload["app_permissions"] = str(EVERYONE_PERMISSIONS)
            payload["authorizing_integration_owners"] = {"0": "0"}
            payload["context"] = 1
            payload["channel"] = {
                "id": str(channel_id),
                "type": 1,
                "flags": 0,
                "recipients": [self.users[user_id]],
                "last_message_id": None,
            }
        return payload

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        guild_id: int | None,
        focused: str | None = None,
    ) -> dict[str, Any]:
        path = name.split()
        command = self._find_command(path[0], guild_id)
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self.snowflake()),
            "name": path[0],
            "type": 1,
        }
        if command and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        definitions: list[dict[str, Any]] = list((command or {}).get("options") or [])
        resolved: dict[str, dict[str, Any]] = {}
        # Walk the subcommand path through the synced definitions to type the leaf options.
        wrappers: list[tuple[str, int]] = []
        for part in path[1:]:
            definition = next((d for d in definitions if d["name"] == part), None)
            kind = definition["type"] if definition else (1 if part == path[-1] else 2)
            wrappers.append((part, kind))
            definitions = list((definition or {}).get("options") or [])
        leaf = self._build_options(options, definitions, resolved, guild_id, focused)
        for part, kind in reversed(wrappers):
            leaf = [{"name": part, "type": kind, "options": leaf}]
        data["options"] = leaf
        if resolved:
            data["resolved"] = resolved
        return data

    def _build_options(
        self,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        definitions: Sequence[Mapping[str, Any]],
        resolved: dict[str, dict[str, Any]],
        guild_id: int | None,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        if options is None:
            return []
        if not isinstance(options, Mapping):
            return [dict(o) for o in options]
        built: list[dict[str, Any]] = []
        for key, value in options.items():
            definition = next((d for d in definitions if d["name"] == key), None)
            kind = (
                definition["type"]
                if definition
                else next((t for py, t in _OPTION_TYPES_BY_PY if isinstance(value, py)), 3)
            )
            option: dict[str, Any] = {"name": key, "type": kind, "value": value}
            if kind in (6, 7, 8, 9):
                option["value"] = str(value)
                self._resolve(kind, int(value), resolved, guild_id)
            if key == focused:
                option["focused"] = True
                option["value"] = str(value)
            built.append(option)
        return built

    def _resolve(
        self, kind: int, target: int, resolved: dict[str, dict[str, Any]], guild_id: int | None
    ) -> None:
        if kind in (6, 9) and target in self.users:
            resolved.setdefault("users", {})[str(target)] = self.users[target]
            if guild_id is not None:
                with contextlib.suppress(KeyError):
                    member = {k: v for k, v in self.member(target).items() if k != "user"}
                    member["permissions"] = str(self.permissions_of(target))
                    resolved.setdefault("members", {})[str(target)] = member
        elif kind in (7,) and target in self.channels:
            channel = self.channels[target]
            resolved.setdefault("channels", {})[str(target)] = {
                "id": channel["id"],
                "type": channel["type"],
                "name": channel.get("name"),
                "permissions": str(EVERYONE_PERMISSIONS),
            }
        elif kind in (8, 9):
            for role in self.guild["roles"]:
                if int(role["id"]) == target:
                    resolved.setdefault("roles", {})[str(target)] = role

    def slash_interaction(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        user_id: int = MEMBER_USER_ID,
        guild_id: int | None = GUILD_ID,
        channel_id: int = TEXT_CHANNEL_ID,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """Build an APPLICATION_COMMAND interaction; `name` may be a path like "glossary add"."""
        data = self._command_data(name, options, guild_id)
        return self._base_interaction(
            2,
            data,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            permissions=permissions,
            locale=locale,
        )

    def autocomplete_interaction(
        self,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        user_id: int = MEMBER_USER_ID,
        guild_id: int | None = GUILD_ID,
        channel_id: int = TEXT_CHANNEL_ID,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """Build an APPLICATION_COMMAND_AUTOCOMPLETE interaction with `focused` being typed."""
        data = self._command_data(name, options, guild_id, focused=focused)
        return self._base_interaction(
            4,
            data,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            permissions=permissions,
            locale=locale,
        )

    def _find_message_with_component(self, custom_id: str) -> dict[str, Any] | None:
        def walk(components: Iterable[Mapping[str, Any]]) -> bool:
            for component in components:
                if component.get("custom_id") == custom_id:
                    return True
                children = list(component.get("components") or [])
                for key in ("component", "accessory"):
                    if component.get(key):
                        children.append(component[key])
                if walk(children):
                    return True
            return False

        for message_id in sorted(self.messages, reverse=True):
            if walk(self.messages[message_id].get("components") or []):
                return self.messages[message_id]
        return None

    def component_interaction(
        self,
        custom_id: str,
        message: Mapping[str, Any] | None = None,
        *,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        user_id: int = MEMBER_USER_ID,
        guild_id: int | None = GUILD_ID,
        channel_id: int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """Build a MESSAGE_COMPONENT interaction; by default on the newest message carrying it."""
        if message is None:
            message = self._find_message_with_component(custom_id)
            if message is None:
                raise LookupError(f"no stored message has a component with custom_id {custom_id!r}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        payload = self._base_interaction(
            3,
            data,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id or int(message["channel_id"]),
            permissions=permissions,
            locale=locale,
        )
        payload["message"] = dict(message)
        return payload

    def modal_submit_interaction(
        self,
        custom_id: str,
        fields: Mapping[str, str],
        *,
        user_id: int = MEMBER_USER_ID,
        guild_id: int | None = GUILD_ID,
        channel_id: int = TEXT_CHANNEL_ID,
        permissions: int | None = None,
        locale: str = "en-US",
        labels: bool = False,
    ) -> dict[str, Any]:
        """Build a MODAL_SUBMIT interaction; fields map text input custom_id to value."""
        components: list[dict[str, Any]] = []
        for field_id, value in fields.items():
            text_input = {"type": 4, "custom_id": field_id, "value": value}
            if labels:
                components.append({"type": 18, "component": text_input})
            else:
                components.append({"type": 1, "components": [text_input]})
        data = {"custom_id": custom_id, "components": components}
        payload = self._base_interaction(
            5,
            data,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            permissions=permissions,
            locale=locale,
        )
        source = self._modal_sources.get(custom_id)
        if source is not None:
            # A modal opened from a message component is submitted with that message.
            payload["message"] = dict(source)
        return payload

    async def dispatch_interaction(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register an interaction payload and dispatch INTERACTION_CREATE; return the payload."""
        interaction_id = int(data["id"])
        self.interactions[interaction_id] = data
        self._tokens[data["token"]] = interaction_id
        await self.dispatch("INTERACTION_CREATE", data)
        return data

    async def invoke(self, data: dict[str, Any], timeout: float = HANG_GUARD) -> RecordedRequest:
        """Dispatch an interaction and return its successful callback request."""
        await self.dispatch_interaction(data)
        return await self.wait_for_callback(data["id"], timeout)

    def original_message(self, interaction_id: int | str) -> dict[str, Any] | None:
        """Return the stored @original message of an interaction, if any."""
        message_id = self._original_messages.get(int(interaction_id))
        return None if message_id is None else self.messages.get(message_id)

    # ------------------------------------------------------------------ gateway

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoclose=True, autoping=True)
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"Only json encoding is supported")
            return ws
        conn = _Connection(ws, request, request.query.get("compress"))
        self.connection_count += 1
        self._connections.add(conn)
        previous, self._conn = self._conn, conn
        if previous is not None and not previous.ws.closed:
            with contextlib.suppress(Exception):
                await previous.ws.close(code=4000)
        try:
            async with conn.lock:
                await conn.send(
                    {
                        "op": 10,
                        "s": None,
                        "t": None,
                        "d": {
                            "heartbeat_interval": self.heartbeat_interval_ms,
                            "_trace": ["fake-gateway"],
                        },
                    }
                )
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    payload = json.loads(msg.data)
                    self.gateway_received.append(payload)
                    await self._on_gateway_payload(conn, payload)
                elif msg.type is WSMsgType.ERROR:
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(conn)
            if self._conn is conn:
                self._conn = None
        return ws

    async def _on_gateway_payload(self, conn: _Connection, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:
            async with conn.lock:
                await conn.send({"op": 11, "s": None, "t": None, "d": None})
            barrier = conn.barrier_seq
            if barrier is not None and isinstance(data, int) and data >= barrier:
                conn.barrier_seq = None
                self.ready_times.append(time.perf_counter())
                conn.ready.set()
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif op == 8:
            await self._request_members(data or {})
        elif op in (3, 4):
            pass  # presence and voice state updates are only recorded
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, conn: _Connection, data: dict[str, Any]) -> None:
        self.identify_times.append(time.perf_counter())
        self.identify_count += 1
        self.identify_payloads.append(data)
        if self.token is not None and data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.intents = intents
        self._session_id = secrets.token_hex(16)
        self._seq = 0
        self._sent_events = []
        ready = {
            "v": API_VERSION,
            "user": {**self.bot_user, "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": gid, "unavailable": True} for gid in map(str, self.guilds)],
            "session_id": self._session_id,
            "resume_gateway_url": self.gateway_url,
            "session_type": "normal",
            "application": {
                "id": str(APPLICATION_ID),
                "flags": self.application_payload()["flags"],
            },
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": ["fake"],
            "guild_join_requests": [],
            "user_settings": {},
            "auth": {},
            "_trace": ["fake-gateway"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        async with conn.lock:
            conn.live = True
            await self._send_event(conn, self._new_event("READY", ready))
            for guild in self.guilds.values():
                await self._send_event(
                    conn, self._new_event("GUILD_CREATE", self._guild_for_intents(guild))
                )
            await self._send_barrier(conn)

    def _guild_for_intents(self, guild: dict[str, Any]) -> dict[str, Any]:
        # Without GUILD_MEMBERS Discord only sends the bot's own member (and voice members).
        if self.intents is not None and not self.intents & INTENT_GUILD_MEMBERS:
            members = [m for m in guild["members"] if int(m["user"]["id"]) == BOT_USER_ID]
            return {**guild, "members": members}
        return guild

    async def _resume(self, conn: _Connection, data: dict[str, Any]) -> None:
        if data.get("session_id") != self._session_id or self._session_id is None:
            async with conn.lock:
                await conn.send({"op": 9, "s": None, "t": None, "d": False})
            return
        self.resume_count += 1
        client_seq = int(data.get("seq") or 0)
        async with conn.lock:
            conn.last_sent_seq = client_seq
            conn.live = True
            for event in list(self._sent_events):
                await self._send_event(conn, event)
            await self._send_event(conn, self._new_event("RESUMED", {"_trace": ["fake-gateway"]}))
            await self._send_barrier(conn)

    async def _send_barrier(self, conn: _Connection) -> None:
        # A heartbeat request makes the client answer with the last sequence it processed,
        # which tells us it has handled READY/GUILD_CREATE (or the resume replay).
        conn.barrier_seq = self._seq
        await conn.send({"op": 1, "s": None, "t": None, "d": None})

    async def _request_members(self, data: dict[str, Any]) -> None:
        guild = self.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        chunk: dict[str, Any] = {
            "guild_id": guild["id"],
            "members": guild["members"],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _new_event(self, event: str, data: Any) -> dict[str, Any]:
        self._seq += 1
        payload = {"op": 0, "s": self._seq, "t": event, "d": data}
        self._sent_events.append(payload)
        if len(self._sent_events) > 5000:
            del self._sent_events[:1000]
        return payload

    async def _send_event(self, conn: _Connection, payload: dict[str, Any]) -> None:
        # Called with conn.lock held; the seq check avoids double delivery during resume replay.
        if payload["s"] <= conn.last_sent_seq:
            return
        conn.last_sent_seq = payload["s"]
        await conn.send(payload)

    def _filtered(self, event: str, data: Any) -> Any | None:
        """Apply Discord's intent rules to an event; None means it would not be delivered."""
        intents = self.intents
        if intents is None or event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            return data
        in_guild = bool(data.get("guild_id"))
        needed = INTENT_GUILD_MESSAGES if in_guild else INTENT_DIRECT_MESSAGES
        if not intents & needed:
            return None
        mentioned = any(int(u["id"]) == BOT_USER_ID for u in data.get("mentions", []))
        own = int(data.get("author", {}).get("id", 0)) == BOT_USER_ID
        if in_guild and not intents & INTENT_MESSAGE_CONTENT and not mentioned and not own:
            return {**data, "content": "", "embeds": [], "attachments": [], "components": []}
        return data

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a DISPATCH event; it is buffered for resume replay while disconnected."""
        filtered = self._filtered(event, data)
        if filtered is None:
            log.info("FakeDiscord: %s not delivered (missing intent)", event)
            return
        payload = self._new_event(event, filtered)
        conn = self._conn
        if conn is None or not conn.live:
            return
        async with conn.lock:
            if conn.live and not conn.ws.closed:
                await self._send_event(conn, payload)

    def _echo(self, event: str, message: dict[str, Any]) -> None:
        if not self.echo_messages:
            return
        payload = dict(message)
        if event == "MESSAGE_CREATE" and payload.get("guild_id") and not payload.get("webhook_id"):
            payload["member"] = {k: v for k, v in self.member(BOT_USER_ID).items() if k != "user"}
        task = asyncio.get_running_loop().create_task(self.dispatch(event, payload))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def wait_until_ready(self, timeout: float = HANG_GUARD) -> None:
        """Wait until the bot has processed READY/GUILD_CREATE (or a RESUME) on the live socket."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            conn = self._conn
            if conn is not None and conn.ready.is_set() and not conn.ws.closed:
                return
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(
                    f"bot not ready within {timeout}s (identifies={self.identify_count}, "
                    f"resumes={self.resume_count}, connections={self.connection_count})"
                )
            if conn is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(conn.ready.wait(), min(remaining, 0.05))
            else:
                await asyncio.sleep(0.01)

    async def drop_connection(self, code: int | None = None) -> None:
        """Kill the gateway socket: abort the TCP connection, or close with `code` if given."""
        conn = self._conn
        if conn is None:
            raise RuntimeError("no gateway connection to drop")
        self._conn = None
        conn.live = False
        if code is None:
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        else:
            await conn.ws.close(code=code)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT, as Discord does before moving a session."""
        conn = self._conn
        if conn is None:
            raise RuntimeError("no gateway connection")
        async with conn.lock:
            conn.live = False
            await conn.send({"op": 7, "s": None, "t": None, "d": None})
        self._conn = None

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION."""
        conn = self._conn
        if conn is None:
            raise RuntimeError("no gateway connection")
        if not resumable:
            self._session_id = None
        async with conn.lock:
            conn.live = False
            await conn.send({"op": 9, "s": None, "t": None, "d": resumable})
        self._conn = None


_EDITABLE = frozenset(
    {"content", "embeds", "components", "attachments", "allowed_mentions", "poll"}
)
