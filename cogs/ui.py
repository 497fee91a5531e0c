"""Views shared by the cogs: entry buttons, a paginator and a confirmation prompt."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
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


class Paginator(discord.ui.View):
    """Previous/next buttons over a page source; only the invoker may turn pages."""

    def __init__(self, source: PageSource, *, owner_id: int, timeout: float = 180.0) -> None:
        super().__init__(timeout=timeout)
        self.source = source
        self.owner_id = owner_id
        self.index = 0
        self.message: discord.InteractionMessage | None = None
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
        await interaction.response.send_message(
            embed=embed, view=self, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )
        self.message = await interaction.original_response()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Let only the member who opened the list turn its pages."""
        if interaction.user.id == self.owner_id:
            return True
        await send_ephemeral(
            interaction, "Only the member who opened this list can turn its pages."
        )
        return False

    async def on_timeout(self) -> None:
        """Disable the buttons so nobody clicks a dead view."""
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                log.debug("Could not disable paginator buttons", exc_info=True)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """Answer the click with what went wrong."""
        await report_error(interaction, error)

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


# Tokens of the confirmation prompts this process still has open.
LIVE_PROMPTS: set[str] = set()
EXPIRED_PROMPT = (
    "This prompt is no longer active (it expired, or the bot restarted since), so nothing was "
    "changed. Run the command again."
)


class ExpiredPromptButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"glossary:prompt:(?P<token>[0-9a-f]{8}):(?P<choice>yes|no)",
):
    """Answers a click on a confirmation prompt that no live view holds any more."""

    def __init__(self, token: str, choice: str) -> None:
        super().__init__(
            discord.ui.Button(label=choice, custom_id=f"glossary:prompt:{token}:{choice}")
        )
        self.token = token

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ExpiredPromptButton:
        """Rebuild the button from its custom id."""
        return cls(match["token"], match["choice"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Say that nothing happened, unless the live prompt is answering this click itself."""
        if self.token in LIVE_PROMPTS:
            return
        try:
            await edit_clicked(interaction, content=EXPIRED_PROMPT, embeds=[], view=None)
        except Exception as exc:
            await report_error(interaction, exc)


class ConfirmView(discord.ui.View):
    """Confirm / Cancel buttons for one member; runs `on_confirm` once."""

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
        # Custom ids a restarted bot still recognises, to answer a click on an old prompt.
        self.token = secrets.token_hex(4)
        self.confirm.custom_id = f"glossary:prompt:{self.token}:yes"
        self.cancel.custom_id = f"glossary:prompt:{self.token}:no"
        LIVE_PROMPTS.add(self.token)
        self.message: discord.InteractionMessage | None = None

    def stop(self) -> None:
        """Stop listening; a later click gets the expired-prompt answer."""
        LIVE_PROMPTS.discard(self.token)
        super().stop()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Let only the member who asked confirm, and re-check their permission server-side."""
        if interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, "Only the member who started this can confirm it.")
            return False
        return self.check is None or await self.check(interaction)

    async def on_timeout(self) -> None:
        """Disable the buttons when nobody answered."""
        LIVE_PROMPTS.discard(self.token)
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(content="Timed out; nothing was changed.", view=self)
            except discord.HTTPException:
                log.debug("Could not disable confirmation buttons", exc_info=True)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """Answer the click with what went wrong."""
        await report_error(interaction, error)

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
