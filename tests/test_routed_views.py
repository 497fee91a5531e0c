"""Clicks on the bot's views reach the live view by custom id, exactly once, or are told why not.

discord.py registers a view only after the message carrying it is sent; these views are never
registered anywhere here, as when a click races that registration, so only the routing can
answer. Discord's side is spec_set mocks (see tests/test_interactions.py).
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import discord

from bot import limits
from bot.client import GlossaryBot
from cogs.admin.views import MissingView
from cogs.ui import EXPIRED_VIEW, LIVE_VIEWS, ConfirmView, Paginator, RoutedView, ViewRoute
from tests.test_interactions import (  # noqa: F401 - bot is a fixture used below
    bot,
    interaction,
    sent_text,
)


class Pages:
    """A page source of three pages."""

    page_count = 3

    async def page(self, index: int) -> discord.Embed:
        """Return a page naming its number."""
        return discord.Embed(title=f"page {index + 1}")


def route_of(view: RoutedView, label: str) -> ViewRoute:
    """Return the route a click on the view's component with this label would take."""
    item = next(i for i in view.children if getattr(i, "label", None) == label)
    assert isinstance(item, discord.ui.Button)
    match = ViewRoute.__discord_ui_compiled_template__.fullmatch(item.custom_id or "")
    assert match is not None, item.custom_id
    return ViewRoute(item, match["token"], int(match["slot"]))


def expired_privately(mock: Any) -> bool:
    """Return whether the click was told, privately, that its view expired."""
    mock.response.edit_message.assert_not_awaited()  # the message may show an earlier outcome
    return sent_text(mock) == EXPIRED_VIEW


async def test_a_confirmation_clicked_before_its_view_is_registered_runs_once() -> None:
    confirmed: list[discord.Interaction] = []

    async def on_confirm(clicked: discord.Interaction) -> None:
        confirmed.append(clicked)

    click = interaction()
    view = ConfirmView(click.user.id, on_confirm, confirm_label="Delete")
    assert not await view.interaction_check(click)  # discord.py's own dispatch does nothing
    await route_of(view, "Delete").callback(click)
    assert confirmed == [click]

    again = interaction()
    await route_of(view, "Delete").callback(again)
    assert confirmed == [click]
    assert expired_privately(again)
    assert view.token not in LIVE_VIEWS


async def test_only_the_member_who_asked_may_confirm() -> None:
    confirmed: list[discord.Interaction] = []

    async def on_confirm(clicked: discord.Interaction) -> None:
        confirmed.append(clicked)

    view = ConfirmView(1, on_confirm, confirm_label="Delete")
    click = interaction()
    await route_of(view, "Delete").callback(click)
    assert confirmed == []
    assert "Only the member who started this" in sent_text(click)
    view.stop()


async def test_a_click_for_a_view_this_process_does_not_have_says_it_expired() -> None:
    view = ConfirmView(1, _never)
    route = route_of(view, "Cancel")
    view.stop()  # as after a restart: nothing holds the token any more
    click = interaction()
    await route.callback(click)
    assert expired_privately(click)


async def test_a_forged_slot_changes_nothing() -> None:
    view = ConfirmView(1400000000000000001, _never)
    click = interaction()
    await ViewRoute(view.confirm, view.token, 42).callback(click)
    assert expired_privately(click)
    view.stop()


async def test_pages_turn_through_the_route() -> None:
    click = interaction()
    view = Paginator(Pages(), owner_id=click.user.id)
    await route_of(view, "›").callback(click)
    assert view.index == 1
    kwargs = click.response.edit_message.await_args.kwargs
    assert kwargs["embed"].title == "page 2" and kwargs["view"] is view
    view.stop()


async def test_a_menu_choice_is_read_from_the_click_and_forged_values_are_ignored() -> None:
    view = MissingView(1400000000000000001, [("kagel", 3), ("colba", 2)])
    menu = view.pick
    match = ViewRoute.__discord_ui_compiled_template__.fullmatch(menu.custom_id)
    assert match is not None
    route = ViewRoute(menu, match["token"], int(match["slot"]))

    async def choose(values: list[str]) -> None:
        click = interaction()
        click.data = {"custom_id": menu.custom_id, "component_type": 3, "values": values}
        await view.on_pick(click)
        click.response.edit_message.assert_awaited_once()

    await choose(["1"])
    assert view.query == "colba"
    await choose(["7"])
    await choose(["0", "1"])
    assert view.query == "colba"
    assert route.slot == view.children.index(menu)
    view.stop()


async def _never(clicked: discord.Interaction) -> None:
    raise AssertionError("the action must not run")


async def test_a_view_nobody_holds_is_not_kept() -> None:
    view = ConfirmView(1, _never)
    token = view.token
    assert token in LIVE_VIEWS
    del view
    gc.collect()
    assert token not in LIVE_VIEWS


async def test_a_click_on_the_page_position_is_answered() -> None:
    # Discord greys the label out; a modified client or a forged payload still sends the click.
    click = interaction()
    view = Paginator(Pages(), owner_id=click.user.id)
    await route_of(view, "1/3").callback(click)
    answers = (
        click.response.send_message,
        click.response.edit_message,
        click.response.defer,
        click.followup.send,
    )
    assert sum(answer.await_count for answer in answers) == 1
    view.stop()


async def test_a_double_click_on_dismiss_is_handled_once(
    bot: GlossaryBot,  # noqa: F811 - the imported fixture
) -> None:
    await bot.service.define("zzqx first gap")
    await bot.service.define("zzqx second gap")
    misses = await bot.service.top_misses(limits.CHOICES)
    moderator = discord.Permissions(manage_guild=True)
    clicks = [interaction(bot, permissions=moderator) for _ in range(2)]
    view = MissingView(clicks[0].user.id, misses)
    route = route_of(view, "Dismiss")
    await asyncio.gather(*(route.callback(click) for click in clicks))
    new_views = [
        call.kwargs.get("view")
        for click in clicks
        for call in click.response.edit_message.await_args_list
        if isinstance(call.kwargs.get("view"), MissingView)
    ]
    assert len(new_views) == 1, new_views
    for made in new_views:
        made.stop()
