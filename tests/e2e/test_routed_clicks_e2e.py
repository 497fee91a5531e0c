"""Clicks on the routed views that arrive late: after the view did its job, or after a restart.

A member's client keeps showing a message's old buttons until Discord delivers the edit, so a
second click on the same buttons (a double click, a slow connection) reaches the bot after the
first one finished; after a restart every button of a public list still looks live.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.e2e.fake_discord import (
    EPHEMERAL_FLAG,
    MEMBER_USER_ID,
    MODERATOR_USER_ID,
    OTHER_CHANNEL_ID,
    FakeDiscord,
)
from tests.e2e.harness import BotFactory
from tests.e2e.payloads import button_id, components, embeds_text
from tests.e2e.test_admin_e2e import db_rows, slash, start_bot
from tests.reliability.conftest import wait_until

Body = dict[str, Any]
OTHER_MEMBER_ID = 1400000000000000011


def stored(fake: FakeDiscord, message: Body) -> Body:
    """Return the message as Discord holds it now, after every edit."""
    return fake.messages[int(message["id"])]


async def delete_prompt(fake: FakeDiscord) -> Body:
    """Ask, as the moderator, to delete Kaggle; return the confirmation prompt."""
    asked, _ = await slash(fake, "glossary-admin delete", {"term": "kaggle"})
    prompt = fake.original_message(asked["id"])
    assert prompt is not None
    return prompt


async def click_stale(fake: FakeDiscord, seen: Body, label: str, user_id: int) -> Body:
    """Click a button of the message as the member's client last showed it; return the callback."""
    payload = fake.component_interaction(
        button_id(seen, label), copy.deepcopy(seen), user_id=user_id
    )
    return dict((await fake.invoke(payload)).json)


async def test_a_second_click_on_a_finished_view_keeps_what_the_first_did(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)

    # A double click on Delete: the client sends the second click before it shows the outcome.
    prompt = await delete_prompt(fake_discord)
    seen = copy.deepcopy(prompt)
    first = await click_stale(fake_discord, seen, "Delete", MODERATOR_USER_ID)
    assert "Deleted **Kaggle**" in first["data"]["content"]
    await click_stale(fake_discord, seen, "Delete", MODERATOR_USER_ID)
    # Kaggle is deleted; the moderator must not be told that nothing was changed.
    shown = stored(fake_discord, prompt)["content"]
    assert "nothing was changed" not in shown, shown

    # The same in the missed-lookup queue: Dismiss twice, quickly.
    for query in ("zzqx first gap", "zzqx second gap"):
        await slash(fake_discord, "define", {"term": query}, user_id=MEMBER_USER_ID)
    listed, _ = await slash(fake_discord, "glossary-admin missing")
    queue = fake_discord.original_message(listed["id"])
    assert queue is not None
    seen = copy.deepcopy(queue)
    await click_stale(fake_discord, seen, "Dismiss", MODERATOR_USER_ID)
    assert components(stored(fake_discord, queue)), "the queue still lists a miss"
    await click_stale(fake_discord, seen, "Dismiss", MODERATOR_USER_ID)
    # The queue's new buttons are live; the late click must not strip them.
    assert components(stored(fake_discord, queue))


async def test_after_a_restart_a_stranger_cannot_rewrite_a_members_public_list(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    fake_discord.add_user(OTHER_MEMBER_ID, "other_otto")
    process = await start_bot(bot_process, db_path)
    asked, answer = await slash(fake_discord, "glossary list", user_id=MEMBER_USER_ID)
    assert not answer["data"].get("flags", 0) & EPHEMERAL_FLAG  # a public message
    listing = fake_discord.original_message(asked["id"])
    assert listing is not None and components(listing)
    before = copy.deepcopy(listing)
    # While the view is live, another member's click is only told, privately, it is not theirs.
    refused = await click_stale(fake_discord, before, "›", OTHER_MEMBER_ID)
    assert refused["data"]["flags"] & EPHEMERAL_FLAG
    assert stored(fake_discord, listing) == before
    await process.terminate()
    await start_bot(bot_process, db_path)

    # After the restart the same click rewrites the owner's public message.
    reply = await click_stale(fake_discord, before, "›", OTHER_MEMBER_ID)
    after = stored(fake_discord, listing)
    assert after.get("content") == before.get("content"), after.get("content")
    assert components(after) == components(before)
    assert reply["data"].get("flags", 0) & EPHEMERAL_FLAG


async def test_a_confirmation_from_the_previous_release_is_answered_after_the_upgrade(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    prompt = await delete_prompt(fake_discord)
    # The same prompt as the release before routed views sent it: its buttons' custom ids.
    old = copy.deepcopy(prompt)
    for item in components(old):
        choice = "yes" if item["label"] == "Delete" else "no"
        item["custom_id"] = f"glossary:prompt:0a1b2c3d:{choice}"
    click = fake_discord.component_interaction(
        "glossary:prompt:0a1b2c3d:yes", old, user_id=MODERATOR_USER_ID
    )
    await fake_discord.dispatch_interaction(click)
    # A lookup answered after the click shows the bot has handled everything before it.
    await slash(fake_discord, "define", {"term": "kaggle"}, user_id=MEMBER_USER_ID)
    callback = f"/interactions/{click['id']}/"
    assert any(r.path.startswith(callback) for r in fake_discord.requests), "click unanswered"


async def test_dismissing_a_miss_answers_the_click_before_the_audit_post(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    await slash(fake_discord, "glossary-admin audit-channel", {"channel": OTHER_CHANNEL_ID})
    await fake_discord.wait_for_channel_message(OTHER_CHANNEL_ID)
    await slash(fake_discord, "define", {"term": "zzqx gap"}, user_id=MEMBER_USER_ID)
    listed, _ = await slash(fake_discord, "glossary-admin missing")
    queue = fake_discord.original_message(listed["id"])
    assert queue is not None
    # A moderator clearing the queue quickly meets the audit channel's message rate limit.
    audit_path = f"/channels/{OTHER_CHANNEL_ID}/messages"
    fake_discord.fail_next("POST", audit_path, status=429, retry_after=1.0)
    click = fake_discord.component_interaction(
        button_id(queue, "Dismiss"), queue, user_id=MODERATOR_USER_ID
    )
    answer = await fake_discord.invoke(click)
    assert "Dismissed" in answer.json["data"]["content"]
    limited = await fake_discord.wait_for_request(
        lambda r: r.path == audit_path and r.status == 429, consume=False
    )
    arrived = [id(r) for r in fake_discord.requests]
    # Every other change answers first and posts to the audit channel after.
    assert arrived.index(id(answer)) < arrived.index(id(limited))


async def test_adding_one_learned_alias_keeps_the_others_on_offer(
    fake_discord: FakeDiscord, bot_process: BotFactory, db_path: Path
) -> None:
    await start_bot(bot_process, db_path)
    # A member misses twice and opens the suggested DAW entry each time.
    for query in ("fl studio", "audacity"):
        asked, _ = await slash(fake_discord, "define", {"term": query}, user_id=MEMBER_USER_ID)
        missed = fake_discord.original_message(asked["id"])
        assert missed is not None
        await click_stale(fake_discord, missed, "DAW", MEMBER_USER_ID)
    await wait_until(
        lambda: len(db_rows(db_path, "SELECT 1 FROM learned_names")) == 2, what="learned names"
    )
    await slash(fake_discord, "glossary-admin missing")
    await wait_until(
        lambda: any("ended on **DAW**" in embeds_text(m) for m in fake_discord.messages.values()),
        what="the learned names",
    )
    learned = next(
        m for m in fake_discord.messages.values() if "ended on **DAW**" in embeds_text(m)
    )
    button_id(learned, "Add 'audacity' as alias")  # both names are offered
    added = await click_stale(fake_discord, learned, "Add 'fl studio' as alias", MODERATOR_USER_ID)
    assert "can now also be found as 'fl studio'" in added["data"]["content"]
    # The other name members taught is still there to add or dismiss.
    button_id(stored(fake_discord, learned), "Add 'audacity' as alias")
