"""Prove the fake Discord against a real discord.py bot (minimal_bot.py)."""

from __future__ import annotations

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
