"""Prove the fake Discord against a real discord.py bot (minimal_bot.py)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from tests.e2e.fake_discord import (
    APPLICATION_ID,
    EPHEMERAL_FLAG,
    GUILD_ID,
    MEMBER_USER_ID,
    MODERATOR_USER_ID,
    TEXT_CHANNEL_ID,
    FakeDiscord,
    RecordedRequest,
)
from tests.e2e.harness import BotFactory

# -------------------------------------------------------------- the fake on its own


async def _get(fake: FakeDiscord, path: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.api_base}{path}", headers={"Authorization": "Bot x"}) as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_responses_use_exact_json_content_type(fake_discord: FakeDiscord) -> None:
    status, content_type, _ = await _get(fake_discord, "/users/@me")
    assert status == 200
    assert content_type == "application/json"


async def test_unknown_route_is_recorded_as_404(fake_discord: FakeDiscord) -> None:
    status, content_type, text = await _get(fake_discord, "/no/such/route")
    assert status == 404
    assert content_type == "application/json"
    assert '"code": 0' in text
    assert [r.path for r in fake_discord.unknown_requests] == ["/no/such/route"]


async def test_missing_authorization_is_rejected(fake_discord: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake_discord.api_base}/users/@me") as response,
    ):
        assert response.status == 401


async def test_wait_for_request_consumes_each_request_once(fake_discord: FakeDiscord) -> None:
    await _get(fake_discord, "/users/@me")
    await _get(fake_discord, "/users/@me")

    def is_me(r: RecordedRequest) -> bool:
        return r.path == "/users/@me"

    first = await fake_discord.wait_for_request(is_me)
    second = await fake_discord.wait_for_request(is_me)
    assert first is not second
    with pytest.raises(TimeoutError):
        await fake_discord.wait_for_request(is_me, timeout=0.2)


async def test_fail_next_answers_429_like_discord(fake_discord: FakeDiscord) -> None:
    fake_discord.fail_next("GET", r"^/users/@me$", 429, retry_after=1.5)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake_discord.api_base}/users/@me", headers={"Authorization": "Bot x"}) as r,
    ):
        assert r.status == 429
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["Retry-After"] == "2"
        assert r.headers["X-RateLimit-Remaining"] == "0"
        assert r.headers["Via"]
        assert (await r.json())["retry_after"] == 1.5
    status, _, _ = await _get(fake_discord, "/users/@me")
    assert status == 200


async def test_overlong_message_is_rejected(fake_discord: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{fake_discord.api_base}/channels/{TEXT_CHANNEL_ID}/messages",
            json={"content": "x" * 2001},
            headers={"Authorization": "Bot x"},
        ) as response,
    ):
        assert response.status == 400
        assert (await response.json())["code"] == 50035


def test_moderator_has_manage_guild_and_member_does_not(fake_discord: FakeDiscord) -> None:
    manage_guild = 1 << 5
    assert fake_discord.permissions_of(MODERATOR_USER_ID) & manage_guild
    assert not fake_discord.permissions_of(MEMBER_USER_ID) & manage_guild


# -------------------------------------------------------------- against minimal_bot.py


async def test_bot_connects_identifies_and_syncs(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    process = await bot_process(expect_sync=True)
    assert process.returncode is None
    assert fake_discord.identify_count == 1
    assert fake_discord.identify_payloads[0]["token"] == "fake-token"
    assert fake_discord.intents is not None and fake_discord.intents & (1 << 15)
    assert fake_discord.gateway_queries[0]["compress"] == "zlib-stream"
    me = await fake_discord.wait_for_request(lambda r: r.path == "/users/@me")
    assert me.headers["Authorization"] == "Bot fake-token"
    sync = await fake_discord.wait_for_command_sync()
    assert sync.path == f"/applications/{APPLICATION_ID}/commands"
    names = {c["name"] for c in fake_discord.global_commands}
    assert names == {"ping", "lookup", "button", "feedback"}
    assert all(c["id"] for c in fake_discord.global_commands)
    assert not fake_discord.unknown_requests


async def test_slash_command_gets_its_callback(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    await bot_process()
    callback = await fake_discord.invoke(fake_discord.slash_interaction("ping"))
    assert callback.json == {
        "type": 4,
        "data": {"tts": False, "content": "pong", "allowed_mentions": {"parse": []}},
    }


async def test_slash_command_with_option(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    await bot_process()
    payload = fake_discord.slash_interaction("lookup", {"term": "epoch"})
    callback = await fake_discord.invoke(payload)
    assert callback.json["data"]["content"] == "lookup: epoch"
    original = fake_discord.original_message(payload["id"])
    assert original is not None and original["content"] == "lookup: epoch"


async def test_autocomplete_returns_choices(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    await bot_process()
    payload = fake_discord.autocomplete_interaction("lookup", {"term": "pi"}, focused="term")
    callback = await fake_discord.invoke(payload)
    assert callback.json["type"] == 8
    assert callback.json["data"]["choices"] == [{"name": "pitch", "value": "pitch"}]


async def test_button_click_is_answered(fake_discord: FakeDiscord, bot_process: BotFactory) -> None:
    await bot_process()
    sent = await fake_discord.invoke(fake_discord.slash_interaction("button"))
    [row] = sent.json["data"]["components"]
    assert row["components"][0]["custom_id"] == "mini:click"

    click = fake_discord.component_interaction("mini:click", user_id=MODERATOR_USER_ID)
    callback = await fake_discord.invoke(click)
    assert callback.json["type"] == 4
    assert callback.json["data"]["content"] == f"clicked by {MODERATOR_USER_ID}"
    assert callback.json["data"]["flags"] == EPHEMERAL_FLAG


async def test_modal_round_trip(fake_discord: FakeDiscord, bot_process: BotFactory) -> None:
    await bot_process()
    opened = await fake_discord.invoke(fake_discord.slash_interaction("feedback"))
    assert opened.json["type"] == 9
    assert opened.json["data"]["custom_id"] == "mini:feedback"

    submit = fake_discord.modal_submit_interaction("mini:feedback", {"mini:feedback:text": "great"})
    callback = await fake_discord.invoke(submit)
    assert callback.json["data"]["content"] == "thanks: great"


async def test_message_create_gets_a_channel_message(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    await bot_process()
    await fake_discord.dispatch_message("!hi")
    posted = await fake_discord.wait_for_channel_message(TEXT_CHANNEL_ID)
    assert posted.json["content"] == f"hello {MEMBER_USER_ID}"
    assert posted.json["allowed_mentions"] == {"parse": []}


async def test_429_on_callback_is_retried(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    await bot_process()
    fake_discord.fail_next("POST", r"^/interactions/\d+/[^/]+/callback$", 429, retry_after=0.05)
    payload = fake_discord.slash_interaction("ping")
    callback = await fake_discord.invoke(payload)
    assert callback.json["data"]["content"] == "pong"
    limited = await fake_discord.wait_for_callback(payload["id"], ok_only=False)
    assert limited.status == 429


async def test_500_on_channel_message_is_retried(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    await bot_process()
    fake_discord.fail_next("POST", r"^/channels/\d+/messages$", 500)
    await fake_discord.dispatch_message("!hi")
    posted = await fake_discord.wait_for_channel_message(TEXT_CHANNEL_ID)
    assert posted.json["content"] == f"hello {MEMBER_USER_ID}"
    assert [r.status for r in fake_discord.requests if r.path.endswith("/messages")] == [500, 200]


async def test_dropped_connection_is_resumed(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    await bot_process()
    await fake_discord.drop_connection()
    # Dispatched while the bot is disconnected: it must be replayed on RESUME.
    payload = await fake_discord.dispatch_interaction(fake_discord.slash_interaction("ping"))
    callback = await fake_discord.wait_for_callback(payload["id"])
    assert callback.json["data"]["content"] == "pong"
    await fake_discord.wait_until_ready()
    assert fake_discord.resume_count == 1
    assert fake_discord.identify_count == 1
    again = await fake_discord.invoke(fake_discord.slash_interaction("ping"))
    assert again.json["data"]["content"] == "pong"


async def test_reconnect_request_is_resumed(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    await bot_process()
    await fake_discord.request_reconnect()
    await fake_discord.wait_until_ready()
    assert fake_discord.resume_count == 1
    assert fake_discord.identify_count == 1
    callback = await fake_discord.invoke(fake_discord.slash_interaction("ping"))
    assert callback.json["data"]["content"] == "pong"


async def test_invalid_session_leads_to_new_identify(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    await bot_process()
    await fake_discord.invalidate_session(resumable=False)
    await fake_discord.wait_until_ready(timeout=20)
    assert fake_discord.identify_count == 2
    callback = await fake_discord.invoke(fake_discord.slash_interaction("ping"))
    assert callback.json["data"]["content"] == "pong"


async def test_terminate_stops_the_process(
    fake_discord: FakeDiscord, bot_process: BotFactory
) -> None:
    process = await bot_process()
    await process.terminate()
    assert process.returncode is not None
    assert "Traceback" not in process.output()


def test_slash_interaction_nests_subcommands_and_types_options(fake_discord: FakeDiscord) -> None:
    fake_discord.guild_commands[GUILD_ID] = [
        {
            "id": "42",
            "name": "glossary",
            "type": 1,
            "guild_id": str(GUILD_ID),
            "options": [
                {
                    "name": "add",
                    "type": 1,
                    "description": "Add a term",
                    "options": [
                        {"name": "term", "type": 3, "description": "Term"},
                        {"name": "owner", "type": 6, "description": "Owner"},
                    ],
                }
            ],
        }
    ]
    payload = fake_discord.slash_interaction(
        "glossary add", {"term": "epoch", "owner": MODERATOR_USER_ID}, user_id=MODERATOR_USER_ID
    )
    data = payload["data"]
    assert (data["id"], data["name"], data["guild_id"]) == ("42", "glossary", str(GUILD_ID))
    [sub] = data["options"]
    assert (sub["name"], sub["type"]) == ("add", 1)
    assert sub["options"] == [
        {"name": "term", "type": 3, "value": "epoch"},
        {"name": "owner", "type": 6, "value": str(MODERATOR_USER_ID)},
    ]
    assert str(MODERATOR_USER_ID) in data["resolved"]["members"]
    assert int(payload["member"]["permissions"]) & (1 << 5)


async def test_defer_edit_original_and_followup(fake_discord: FakeDiscord) -> None:
    payload = await fake_discord.dispatch_interaction(fake_discord.slash_interaction("ping"))
    base = fake_discord.api_base
    hook = f"{base}/webhooks/{APPLICATION_ID}/{payload['token']}"
    async with aiohttp.ClientSession() as session:
        callback = f"{base}/interactions/{payload['id']}/{payload['token']}/callback"
        async with session.post(callback, json={"type": 5}, params={"with_response": "1"}) as r:
            body = await r.json()
            assert body["interaction"]["response_message_loading"] is True
        async with session.post(callback, json={"type": 5}) as r:
            assert (await r.json())["code"] == 40060
        async with session.patch(f"{hook}/messages/@original", json={"content": "done"}) as r:
            edited = await r.json()
            assert edited["content"] == "done"
            assert not edited["flags"] & (1 << 7)
        async with session.post(hook, json={"content": "more"}, params={"wait": "true"}) as r:
            assert (await r.json())["content"] == "more"
    original = fake_discord.original_message(payload["id"])
    assert original is not None and original["content"] == "done"


# ------------------------------------------------ shapes and limits of Discord's published API


async def _send(
    fake: FakeDiscord,
    method: str,
    path: str,
    body: Any = None,
    *,
    files: dict[str, bytes] | None = None,
) -> tuple[int, Any]:
    """Send one request as discord.py does (JSON, or multipart with payload_json)."""
    data: aiohttp.FormData | None = None
    if files is not None:
        data = aiohttp.FormData()
        data.add_field("payload_json", json.dumps(body))
        for index, (name, content) in enumerate(files.items()):
            data.add_field(f"files[{index}]", content, filename=name)
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            f"{fake.api_base}{path}",
            json=body if files is None else None,
            data=data,
            headers={"Authorization": "Bot x"},
        ) as response,
    ):
        return response.status, await response.json() if response.status != 204 else None


async def _deferred(fake: FakeDiscord) -> tuple[dict[str, Any], str]:
    """Dispatch a slash interaction, defer it, and return it with its webhook path."""
    payload = await fake.dispatch_interaction(fake.slash_interaction("ping"))
    status, _ = await _send(
        fake, "POST", f"/interactions/{payload['id']}/{payload['token']}/callback", {"type": 5}
    )
    assert status == 200
    return payload, f"/webhooks/{APPLICATION_ID}/{payload['token']}"


def _assert_invalid_form_body(status: int, body: Any, field: str) -> None:
    assert status == 400
    assert body["code"] == 50035
    assert body["message"] == "Invalid Form Body"
    assert field in json.dumps(body["errors"])


async def test_file_uploaded_by_an_edit_becomes_an_attachment_object(
    fake_discord: FakeDiscord,
) -> None:
    _, hook = await _deferred(fake_discord)
    stub = {"content": "see file", "attachments": [{"id": 0, "filename": "problems.txt"}]}
    status, edited = await _send(
        fake_discord,
        "PATCH",
        f"{hook}/messages/@original",
        stub,
        files={"problems.txt": b"x" * 1234},
    )
    assert status == 200
    (attachment,) = edited["attachments"]
    assert attachment["filename"] == "problems.txt"
    assert attachment["size"] == 1234
    assert int(attachment["id"]) > 1000  # a snowflake, not the request's index
    assert attachment["url"].startswith("https://")
    assert attachment["proxy_url"].startswith("https://")

    # A later edit that lists the attachment by id keeps it; an empty list removes it.
    kept = {"content": "still", "attachments": [{"id": attachment["id"]}]}
    _, edited = await _send(fake_discord, "PATCH", f"{hook}/messages/@original", kept)
    assert edited["attachments"] == [attachment]
    _, edited = await _send(
        fake_discord, "PATCH", f"{hook}/messages/@original", {"attachments": []}
    )
    assert edited["attachments"] == []


async def test_components_get_numeric_ids(fake_discord: FakeDiscord) -> None:
    row = {
        "type": 1,
        "components": [
            {"type": 2, "style": 1, "label": "A", "custom_id": "a"},
            {"type": 2, "style": 1, "label": "B", "custom_id": "b", "id": 7},
        ],
    }
    status, message = await _send(
        fake_discord,
        "POST",
        f"/channels/{TEXT_CHANNEL_ID}/messages",
        {"content": "pick", "components": [row]},
    )
    assert status == 200
    (stored_row,) = message["components"]
    ids = [stored_row["id"], *(button["id"] for button in stored_row["components"])]
    assert all(isinstance(number, int) for number in ids)
    assert len(set(ids)) == 3
    assert stored_row["components"][1]["id"] == 7  # ids the bot chose are kept


async def test_modal_opened_from_a_button_is_submitted_with_its_message(
    fake_discord: FakeDiscord,
) -> None:
    row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "Edit", "custom_id": "e"}]}
    _, message = await _send(
        fake_discord,
        "POST",
        f"/channels/{TEXT_CHANNEL_ID}/messages",
        {"content": "entry", "components": [row]},
    )
    click = await fake_discord.dispatch_interaction(
        fake_discord.component_interaction("e", message)
    )
    modal = {
        "custom_id": "edit-modal",
        "title": "Edit",
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "t", "label": "T", "style": 1}]}
        ],
    }
    status, _ = await _send(
        fake_discord,
        "POST",
        f"/interactions/{click['id']}/{click['token']}/callback",
        {"type": 9, "data": modal},
    )
    assert status == 200
    submit = fake_discord.modal_submit_interaction("edit-modal", {"t": "new"})
    assert submit["message"]["id"] == message["id"]
    # A modal opened from a slash command has no message.
    assert "message" not in fake_discord.modal_submit_interaction("other", {"t": "x"})


async def test_command_sync_returns_permissions_as_a_string(fake_discord: FakeDiscord) -> None:
    command = {
        "name": "admin",
        "description": "Admin things",
        "type": 1,
        "default_member_permissions": 1 << 5,
    }
    status, stored = await _send(
        fake_discord, "PUT", f"/applications/{APPLICATION_ID}/commands", [command]
    )
    assert status == 200
    assert stored[0]["default_member_permissions"] == str(1 << 5)


async def test_gateway_bot_tells_shards_and_session_start_limit(fake_discord: FakeDiscord) -> None:
    status, body = await _send(fake_discord, "GET", "/gateway/bot")
    assert status == 200
    assert body["url"] == fake_discord.gateway_url
    assert body["shards"] >= 1
    limit = body["session_start_limit"]
    assert {"total", "remaining", "reset_after", "max_concurrency"} <= set(limit)


def _button(label: str, custom_id: str) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"embeds": [{"title": "t" * 257}]}, "embeds.0.title"),
        ({"embeds": [{"description": "d" * 4097}]}, "embeds.0.description"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "value"),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, "embeds"),
        ({"embeds": [{"title": "x"}] * 11}, "embeds"),
        ({"content": "c" * 2001}, "content"),
        (
            {"components": [{"type": 1, "components": [_button("b", f"b{i}")]} for i in range(6)]},
            "components",
        ),
        (
            {"components": [{"type": 1, "components": [_button("b", f"b{i}") for i in range(6)]}]},
            "components.0.components",
        ),
        ({"components": [{"type": 1, "components": [_button("l" * 81, "x")]}]}, "label"),
        ({"components": [{"type": 1, "components": [_button("b", "c" * 101)]}]}, "custom_id"),
        (
            {"components": [{"type": 1, "components": [_button("a", "x"), _button("b", "x")]}]},
            "custom_id",
        ),
        (
            {
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {
                                "type": 3,
                                "custom_id": "s",
                                "options": [{"label": str(i), "value": str(i)} for i in range(26)],
                            }
                        ],
                    }
                ]
            },
            "options",
        ),
    ],
)
async def test_messages_over_discords_limits_are_refused(
    fake_discord: FakeDiscord, body: dict[str, Any], field: str
) -> None:
    path = f"/channels/{TEXT_CHANNEL_ID}/messages"
    status, answer = await _send(fake_discord, "POST", path, body)
    _assert_invalid_form_body(status, answer, field)


async def test_edits_over_discords_limits_are_refused(fake_discord: FakeDiscord) -> None:
    _, hook = await _deferred(fake_discord)
    status, answer = await _send(
        fake_discord, "PATCH", f"{hook}/messages/@original", {"embeds": [{"title": "t" * 257}]}
    )
    _assert_invalid_form_body(status, answer, "embeds.0.title")


def _text_input(**fields: Any) -> dict[str, Any]:
    return {"type": 1, "components": [{"type": 4, "custom_id": "t", "label": "T", **fields}]}


@pytest.mark.parametrize(
    ("modal", "field"),
    [
        ({"title": "t" * 46, "custom_id": "m", "components": [_text_input()]}, "title"),
        ({"title": "T", "custom_id": "m", "components": []}, "components"),
        ({"title": "T", "custom_id": "m", "components": [_text_input()] * 6}, "components"),
        ({"title": "T", "custom_id": "m", "components": [_text_input(label="l" * 46)]}, "label"),
        ({"title": "T", "custom_id": "m", "components": [_text_input(value="v" * 4001)]}, "value"),
        (
            {"title": "T", "custom_id": "m", "components": [_text_input(max_length=4001)]},
            "max_length",
        ),
    ],
)
async def test_modals_over_discords_limits_are_refused(
    fake_discord: FakeDiscord, modal: dict[str, Any], field: str
) -> None:
    payload = await fake_discord.dispatch_interaction(fake_discord.slash_interaction("ping"))
    callback = f"/interactions/{payload['id']}/{payload['token']}/callback"
    status, answer = await _send(fake_discord, "POST", callback, {"type": 9, "data": modal})
    _assert_invalid_form_body(status, answer, field)


@pytest.mark.parametrize(
    ("choices", "field"),
    [
        ([{"name": str(i), "value": str(i)} for i in range(26)], "choices"),
        ([{"name": "n" * 101, "value": "v"}], "name"),
        ([{"name": "", "value": "v"}], "name"),
        ([{"name": "n", "value": "v" * 101}], "value"),
    ],
)
async def test_autocomplete_choices_over_discords_limits_are_refused(
    fake_discord: FakeDiscord, choices: list[dict[str, Any]], field: str
) -> None:
    interaction = fake_discord.autocomplete_interaction("define", {"term": "k"}, "term")
    payload = await fake_discord.dispatch_interaction(interaction)
    callback = f"/interactions/{payload['id']}/{payload['token']}/callback"
    status, answer = await _send(
        fake_discord, "POST", callback, {"type": 8, "data": {"choices": choices}}
    )
    _assert_invalid_form_body(status, answer, field)
