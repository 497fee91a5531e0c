"""Views shared by the cogs: entry buttons, a paginator and a confirmation prompt."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

import discord

from bot import limits
from bot.client import GlossaryBot, report_error, send_ephemeral
from bot.glossary.models import Entry
from bot.glossary.text import clip
from cogs.permissions import bot_of

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


class OpenEntryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"glossary:open:(?P<key>[a-z0-9-]{1,64})",
):
    """A button that shows an entry privately; it keeps working after restarts."""

    def __init__(
        self, key: str, label: str, *, style: discord.ButtonStyle = discord.ButtonStyle.secondary
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, limits.BUTTON_LABEL),
                style=style,
                custom_id=f"glossary:open:{key}",
            )
        )
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> OpenEntryButton:
        """Rebuild the button from its custom id."""
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["key"], label or match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Send the entry as an ephemeral message."""
        try:
            bot = bot_of(interaction)
            entry = bot.service.get(self.key)
            if entry is None:
                await send_ephemeral(interaction, "That entry no longer exists in the glossary.")
                return
            bot.service.record_use(entry.key)
            await interaction.response.send_message(**entry_message(bot, entry), ephemeral=True)
        except Exception as exc:
            await report_error(interaction, exc)
            return
        try:
            await bot.service.note_opened(interaction.user.id, entry.key)
        except Exception:
            # The member has the answer; only a statistic for moderators was lost.
            log.warning("Could not record the suggestion %s opened", entry.key, exc_info=True)


def member_text(text: str, limit: int) -> str:
    """Return text a member typed, clipped and escaped so it shows as typed (no links, no pings)."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(clip(text, limit)))


async def edit_clicked(interaction: discord.Interaction, **message: Any) -> None:
    """Replace the message whose component was clicked, whether or not the click was deferred."""
    message.setdefault("allowed_mentions", NO_MENTIONS)
    if interaction.response.is_done():
        await interaction.edit_original_response(**message)
    else:
        await interaction.response.edit_message(**message)


# Discord drops an interaction not acknowledged within 3 s; a write waiting on a busy
# database (up to the 10 s busy timeout) acknowledges it first.
DEFER_AFTER_SECONDS = 2.0


@contextlib.asynccontextmanager
async def deferred_if_slow(
    interaction: discord.Interaction, *, after: float = DEFER_AFTER_SECONDS
) -> AsyncIterator[None]:
    """Acknowledge the interaction if the work inside runs long, so the answer is never lost."""
    deferring = asyncio.Event()

    async def acknowledge() -> None:
        await asyncio.sleep(after)
        deferring.set()
        if interaction.response.is_done():
            return
        try:
            if interaction.type is discord.InteractionType.component:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException:
            log.warning("Could not defer slow interaction %s", interaction.id, exc_info=True)

    task = asyncio.create_task(acknowledge())
    try:
        yield
    finally:
        # A defer already on its way must land before anyone answers; one not started is dropped.
        if deferring.is_set():
            await task
        else:
            task.cancel()


def entry_buttons(
    entries: Sequence[Entry], *, style: discord.ButtonStyle = discord.ButtonStyle.secondary
) -> discord.ui.View | None:
    """Return a view with one open-entry button per entry (at most 25), or None."""
    if not entries:
        return None
    view = discord.ui.View(timeout=None)
    for entry in entries[: limits.BUTTONS_PER_VIEW]:
        view.add_item(OpenEntryButton(entry.key, entry.term, style=style))
    return view


def entry_message(bot: GlossaryBot, entry: Entry, *, notice: str | None = None) -> dict[str, Any]:
    """Return send_message keyword arguments showing a full entry with related-entry buttons."""
    from bot.render import entry_embeds

    related = [bot.service.get(key) for key in entry.related]
    related_entries = [item for item in related if item is not None]
    kwargs: dict[str, Any] = {
        "embeds": entry_embeds(entry, notice=notice),
        "allowed_mentions": NO_MENTIONS,
    }
    view = entry_buttons(related_entries)
    if view is not None:
        kwargs["view"] = view
    return kwargs


class PageSource(Protocol):
    """Where a paginator gets its pages from."""

    @property
    def page_count(self) -> int:
        """Return how many pages there are (at least 1)."""
        ...

    async def page(self, index: int) -> discord.Embed:
        """Return page `index` (0-based)."""
        ...


class CountedPages:
    """The page arithmetic of `total` items shown `per_page` at a time."""

    def __init__(self, total: int, per_page: int) -> None:
        self.total = total
        self.per_page = per_page

    @property
    def page_count(self) -> int:
        """Return how many pages there are; an empty list still shows one."""
        return max(1, -(-self.total // self.per_page))

    def footer(self, index: int, *notes: str) -> str:
        """Return "Page 2/5 · notes", the footer of page `index`."""
        return " · ".join((f"Page {index + 1}/{self.page_count}", *notes))


class ListPageSource(CountedPages):
    """Pages made of a fixed list of lines, `per_page` lines each."""

    def __init__(
        self, title: str, lines: Sequence[str], *, per_page: int = 10, empty: str = "Nothing here."
    ) -> None:
        super().__init__(len(lines), per_page)
        self.title = title
        self.lines = list(lines)
        self.empty = empty

    async def page(self, index: int) -> discord.Embed:
        """Return one page as an embed."""
        chunk = self.lines[index * self.per_page : (index + 1) * self.per_page]
        embed = discord.Embed(title=self.title, description="\n".join(chunk) or self.empty)
        embed.set_footer(text=self.footer(index, f"{len(self.lines)} in all"))
        return embed


# The views this process still serves, by the token in their components' custom ids; weak, so
# a view that was never sent (its send failed) or that discord.py let go of is not kept.
LIVE_VIEWS: weakref.WeakValueDictionary[str, RoutedView] = weakref.WeakValueDictionary()
EXPIRED_VIEW = (
    "These buttons are no longer active (they expired, or the bot restarted since), so nothing "
    "was changed. Run the command again."
)


class ViewRoute(
    discord.ui.DynamicItem[discord.ui.Item[Any]],
    # "yes"/"no" slots: the confirmation prompts of earlier releases, answered as expired.
    template=r"glossary:(?:view|prompt):(?P<token>[0-9a-f]{8}):(?P<slot>[0-9]{1,2}|yes|no)",
):
    """Hands every click on a RoutedView to the live view, or says privately that it expired.

    discord.py registers a view only after the message carrying it is sent, so a click racing
    that registration would find no view and get no answer; a click from before a restart
    would get none either. Routing by custom id answers every click exactly once.
    """

    def __init__(self, item: discord.ui.Item[Any], token: str, slot: int | None) -> None:
        super().__init__(item)
        self.token = token
        self.slot = slot

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ViewRoute:
        """Wrap the clicked component of the message."""
        slot = match["slot"]
        return cls(item, match["token"], int(slot) if slot.isdigit() else None)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Run the live view's component, or answer that it expired."""
        view = LIVE_VIEWS.get(self.token)
        try:
            if view is None or self.slot is None:
                # Privately, leaving the message alone: it may show what an earlier click did,
                # or be another member's public list.
                await send_ephemeral(interaction, EXPIRED_VIEW)
            else:
                await view.route(interaction, self.slot)
        except Exception as exc:
            await report_error(interaction, exc)


def is_prompt_click(interaction: discord.Interaction) -> bool:
    """Return whether the interaction is a click on a confirmation prompt's button."""
    data: dict[str, Any] = dict(interaction.data or {})
    return str(data.get("custom_id", "")).startswith("glossary:prompt:")


def picked(interaction: discord.Interaction) -> list[str]:
    """Return the values a member chose in a select menu of a RoutedView."""
    data: dict[str, Any] = dict(interaction.data or {})
    values = data.get("values")
    return [str(value) for value in values] if isinstance(values, list) else []


class RoutedView(discord.ui.View):
    """A view whose clicks arrive through ViewRoute and which greys out when it times out.

    Subclasses add components as usual and check who may click in `allowed`.
    """

    # Replaces the message's text on timeout, when set.
    timeout_content: str | None = None
    # "prompt" marks a confirmation, whose message the confirmed action's answer replaces.
    route_kind = "view"

    def __init__(self, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.token = secrets.token_hex(4)
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None
        self._slots: list[discord.ui.Item[Any]] = []
        for item in self.children:
            self._claim(item)
        LIVE_VIEWS[self.token] = self

    def _claim(self, item: discord.ui.Item[Any]) -> None:
        is_link = isinstance(item, discord.ui.Button) and item.url is not None
        if isinstance(item, discord.ui.Button | discord.ui.Select) and not is_link:
            item.custom_id = f"glossary:{self.route_kind}:{self.token}:{len(self._slots)}"
            self._slots.append(item)

    def add_item(self, item: discord.ui.Item[Any]) -> RoutedView:
        """Add a component whose clicks are routed back to this view."""
        self._claim(item)
        super().add_item(item)
        return self

    async def allowed(self, interaction: discord.Interaction) -> bool:
        """Return whether this member may use the view (answering them when not)."""
        return True

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Leave every click to ViewRoute, which answers each one exactly once."""
        return False

    async def route(self, interaction: discord.Interaction, slot: int) -> None:
        """Run the component in `slot` for a click that ViewRoute received."""
        item = self._slots[slot] if 0 <= slot < len(self._slots) else None
        if item is None or self.is_finished():
            await send_ephemeral(interaction, EXPIRED_VIEW)
            return
        if not await self.allowed(interaction):
            return
        # The check may wait on the database; another click may have ended the view meanwhile.
        if self.is_finished():
            await send_ephemeral(interaction, EXPIRED_VIEW)
        elif getattr(item, "disabled", False):
            await interaction.response.defer()  # only a forged click reaches a greyed-out one
        else:
            try:
                await item.callback(interaction)
            except Exception as exc:
                await self.on_error(interaction, exc, item)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """Answer the click with what went wrong."""
        await report_error(interaction, error)

    def stop(self) -> None:
        """Stop serving clicks; later ones get the expired answer."""
        LIVE_VIEWS.pop(self.token, None)
        super().stop()

    async def send(
        self, interaction: discord.Interaction, *, ephemeral: bool = True, **message: Any
    ) -> None:
        """Answer the interaction with this view, answered before (deferred) or not."""
        message.setdefault("allowed_mentions", NO_MENTIONS)
        if message.get("file", ...) is None:
            del message["file"]  # callers pass file=None for "no attachment"
        if interaction.response.is_done():
            self.message = await interaction.followup.send(
                view=self, ephemeral=ephemeral, wait=True, **message
            )
        else:
            await interaction.response.send_message(view=self, ephemeral=ephemeral, **message)
            self.message = await interaction.original_response()

    async def on_timeout(self) -> None:
        """Disable every component so nobody clicks a dead view."""
        LIVE_VIEWS.pop(self.token, None)
        for item in self._slots:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.message is None:
            return
        edit: dict[str, Any] = {"view": self}
        if self.timeout_content is not None:
            edit["content"] = self.timeout_content
        try:
            await self.message.edit(**edit)
        except discord.HTTPException:
            log.debug("Could not disable the components of an expired view", exc_info=True)


class Paginator(RoutedView):
    """Previous/next buttons over a page source; only the invoker may turn pages."""

    def __init__(self, source: PageSource, *, owner_id: int, timeout: float = 180.0) -> None:
        super().__init__(timeout=timeout)
        self.source = source
        self.owner_id = owner_id
        self.index = 0
        self._update_buttons()

    def _update_buttons(self) -> None:
        last = self.source.page_count - 1
        self.first.disabled = self.previous.disabled = self.index <= 0
        self.next.disabled = self.last.disabled = self.index >= last
        self.position.label = f"{self.index + 1}/{last + 1}"

    async def start(self, interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
        """Send the first page (buttons only when there is more than one page)."""
        embed = await self.source.page(0)
        if self.source.page_count <= 1:
            await interaction.response.send_message(
                embed=embed, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )
            self.stop()
            return
        await self.send(interaction, embed=embed, ephemeral=ephemeral)

    async def allowed(self, interaction: discord.Interaction) -> bool:
        """Let only the member who opened the list turn its pages."""
        if interaction.user.id == self.owner_id:
            return True
        await send_ephemeral(
            interaction, "Only the member who opened this list can turn its pages."
        )
        return False

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        self.index = max(0, min(index, self.source.page_count - 1))
        self._update_buttons()
        await interaction.response.edit_message(embed=await self.source.page(self.index), view=self)

    @discord.ui.button(label="≪", style=discord.ButtonStyle.secondary)
    async def first(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        """Go to the first page."""
        await self._show(interaction, 0)

    @discord.ui.button(label="‹", style=discord.ButtonStyle.primary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        """Go back one page."""
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="1/1", style=discord.ButtonStyle.secondary, disabled=True)
    async def position(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        """Show the position (not clickable)."""

    @discord.ui.button(label="›", style=discord.ButtonStyle.primary)
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        """Go forward one page."""
        await self._show(interaction, self.index + 1)

    @discord.ui.button(label="≫", style=discord.ButtonStyle.secondary)
    async def last(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        """Go to the last page."""
        await self._show(interaction, self.source.page_count - 1)


class ConfirmView(RoutedView):
    """Confirm / Cancel buttons for one member; runs `on_confirm` once."""

    timeout_content = "Timed out; nothing was changed."
    route_kind = "prompt"

    def __init__(
        self,
        owner_id: int,
        on_confirm: Callable[[discord.Interaction], Awaitable[None]],
        *,
        check: Callable[[discord.Interaction], Awaitable[bool]] | None = None,
        confirm_label: str = "Confirm",
        timeout: float = 120.0,
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.on_confirm = on_confirm
        self.check = check
        self.confirm.label = confirm_label

    async def allowed(self, interaction: discord.Interaction) -> bool:
        """Let only the member who asked confirm, while they still may."""
        if interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, "Only the member who started this can confirm it.")
            return False
        return self.check is None or await self.check(interaction)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]
    ) -> None:
        """Run the confirmed action."""
        self.stop()
        await self.on_confirm(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]
    ) -> None:
        """Drop the action."""
        self.stop()
        await edit_clicked(
            interaction, content="Cancelled; nothing was changed.", embeds=[], view=None
        )
