"""The moderators' lists: the missed-lookup queue and an entry's history pages."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import discord

from bot import limits
from bot.client import GlossaryBot, send_ephemeral
from bot.glossary.diff import describe_revision, format_diff
from bot.glossary.models import Entry, NotFound, Revision, parse_when
from bot.glossary.text import clip
from bot.services.glossary import LearnedName
from bot.wording import counted
from cogs.admin.flows import add_alias_flow
from cogs.admin.forms import AliasTargetModal, EntryModal, open_form
from cogs.admin.replies import audit
from cogs.permissions import bot_of, require_moderator
from cogs.ui import (
    CountedPages,
    Paginator,
    RoutedView,
    deferred_if_slow,
    edit_clicked,
    member_text,
    picked,
)

log = logging.getLogger(__name__)

HISTORY_PER_PAGE = 4


def when_text(stamp: str) -> str:
    """Return a Discord timestamp for an ISO time (shown in each reader's time zone)."""
    when = parse_when(stamp)
    return discord.utils.format_dt(when, "f") if when else stamp


# The queue of missed lookups. -------------------------------------------------------------


def missing_embed(misses: Sequence[tuple[str, int]]) -> discord.Embed:
    """Return the list of missed lookups."""
    lines = [
        f"{rank}. **{member_text(query, 80)}** - {count}"
        for rank, (query, count) in enumerate(misses, 1)
    ]
    embed = discord.Embed(
        title="Lookups that found nothing",
        description="\n".join(lines)
        or "No missed lookups. Everything members asked for was found.",
    )
    if misses:
        embed.set_footer(text="Pick one below, then add it as an entry or alias, or dismiss it.")
    return embed


class ModeratorListView(RoutedView):
    """A list only the moderator who opened it may use; errors answer the click."""

    owner_id: int

    async def allowed(self, interaction: discord.Interaction) -> bool:
        """Let only the moderator who opened the list use it."""
        if interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, "Only the moderator who opened this list can use it.")
            return False
        return await require_moderator(interaction)


class MissingView(ModeratorListView):
    """Pick a missed lookup and add it as an entry, add it as an alias, or dismiss it."""

    def __init__(self, owner_id: int, misses: Sequence[tuple[str, int]], selected: int = 0) -> None:
        super().__init__(timeout=600)
        self.owner_id = owner_id
        self.misses = list(misses[: limits.CHOICES])
        self.selected = min(selected, max(0, len(self.misses) - 1))
        self.pick: discord.ui.Select[MissingView] = discord.ui.Select(
            placeholder="Choose a missed lookup",
            options=[
                discord.SelectOption(
                    label=clip(query, 100),
                    value=str(index),
                    description=counted(count, "lookup"),
                    default=index == self.selected,
                )
                for index, (query, count) in enumerate(self.misses)
            ],
        )
        self.pick.callback = self.on_pick
        self.add_item(self.pick)
        self.add_entry: discord.ui.Button[MissingView] = discord.ui.Button(
            label="Add as new entry", style=discord.ButtonStyle.primary
        )
        self.add_entry.callback = self.on_add_entry
        self.add_alias: discord.ui.Button[MissingView] = discord.ui.Button(
            label="Add as alias…", style=discord.ButtonStyle.secondary
        )
        self.add_alias.callback = self.on_add_alias
        self.dismiss: discord.ui.Button[MissingView] = discord.ui.Button(
            label="Dismiss", style=discord.ButtonStyle.danger
        )
        self.dismiss.callback = self.on_dismiss
        for button in (self.add_entry, self.add_alias, self.dismiss):
            self.add_item(button)

    @property
    def query(self) -> str:
        """Return the chosen missed lookup."""
        return self.misses[self.selected][0]

    async def on_pick(self, interaction: discord.Interaction) -> None:
        """Remember the chosen lookup."""
        choice = picked(interaction)
        # Anything but one of the menu's own values is not what Discord sends; keep the choice.
        if len(choice) == 1 and choice[0] in {option.value for option in self.pick.options}:
            self.selected = int(choice[0])
            for option in self.pick.options:
                option.default = option.value == choice[0]
        await interaction.response.edit_message(view=self)

    async def on_add_entry(self, interaction: discord.Interaction) -> None:
        """Open the add modal with the missed lookup as the term."""
        query = self.query

        async def handled(inner: discord.Interaction) -> None:
            await bot_of(inner).service.dismiss_miss(query)

        await open_form(interaction, EntryModal(category="general", term=query, after_save=handled))

    async def on_add_alias(self, interaction: discord.Interaction) -> None:
        """Ask which entry the missed lookup should become an alias of."""
        query = self.query

        async def handled(inner: discord.Interaction) -> None:
            await bot_of(inner).service.dismiss_miss(query)

        await open_form(interaction, AliasTargetModal(query, after_save=handled))

    async def on_dismiss(self, interaction: discord.Interaction) -> None:
        """Hide the chosen lookup until someone searches for it again."""
        bot = bot_of(interaction)
        self.stop()  # first, so that a double click is told the queue moved on
        async with deferred_if_slow(interaction):
            await bot.service.dismiss_miss(self.query)
            misses = await bot.service.top_misses(limits.CHOICES)
        view = MissingView(self.owner_id, misses, self.selected) if misses else None
        if view is not None:
            view.message = self.message  # the same message, greyed out when the new view expires
        await edit_clicked(
            interaction,
            content=f"Dismissed '{member_text(self.query, 80)}'.",
            embed=missing_embed(misses),
            view=view,
        )
        await audit(interaction, "miss dismissed", clip(self.query, 100))


# Aliases members taught by opening a suggestion after a miss. ------------------------------

LEARNED_SHOWN = 5


def learned_embed(bot: GlossaryBot, pairs: Sequence[LearnedName]) -> discord.Embed:
    """Return "12 lookups for 'kagel' ended on Kaggle" lines for moderators."""
    lines = []
    for rank, pair in enumerate(pairs, 1):
        entry = bot.service.get(pair.entry_key)
        term = entry.term if entry else pair.entry_key
        query = member_text(pair.query, 60)
        lines.append(
            f"{rank}. {counted(pair.count, 'lookup')} for '{query}' ended on **{clip(term, 80)}**"
        )
    embed = discord.Embed(title="Members found these themselves", description="\n".join(lines))
    embed.set_footer(text="Add one as an alias with one click, or dismiss it.")
    return embed


class LearnedAliasView(ModeratorListView):
    """One "add as alias" and one "dismiss" button per learned (query, entry) pair."""

    def __init__(self, owner_id: int, pairs: Sequence[LearnedName]) -> None:
        super().__init__(timeout=600)
        self.owner_id = owner_id
        for row, pair in enumerate(pairs[:LEARNED_SHOWN]):
            add: discord.ui.Button[LearnedAliasView] = discord.ui.Button(
                label=clip(f"Add '{pair.query}' as alias", 80),
                style=discord.ButtonStyle.primary,
                row=row,
            )
            add.callback = self._adder(pair)  # type: ignore[assignment]
            dismiss: discord.ui.Button[LearnedAliasView] = discord.ui.Button(
                label="Dismiss", style=discord.ButtonStyle.danger, row=row
            )
            dismiss.callback = self._dismisser(pair)  # type: ignore[assignment]
            self.add_item(add)
            self.add_item(dismiss)

    def _adder(
        self, pair: LearnedName
    ) -> Callable[[discord.Interaction], Coroutine[Any, Any, None]]:
        async def add(interaction: discord.Interaction) -> None:
            bot = bot_of(interaction)
            entry = bot.service.get(pair.entry_key)
            if entry is None:
                raise NotFound("That entry no longer exists in the glossary.")

            async def handled(inner: discord.Interaction) -> None:
                await bot_of(inner).service.forget_learned(pair)

            await add_alias_flow(interaction, entry, pair.query, after_save=handled)

        return add

    def _dismisser(
        self, pair: LearnedName
    ) -> Callable[[discord.Interaction], Coroutine[Any, Any, None]]:
        async def dismiss(interaction: discord.Interaction) -> None:
            bot = bot_of(interaction)
            async with deferred_if_slow(interaction):
                await bot.service.dismiss_learned(pair)
            await send_ephemeral(interaction, f"Dismissed '{member_text(pair.query, 80)}'.")

        return dismiss


async def send_learned_aliases(interaction: discord.Interaction) -> None:
    """Follow a /glossary-admin missing answer with the aliases members taught, if any."""
    bot = bot_of(interaction)
    pairs = await bot.service.learned_aliases(LEARNED_SHOWN)
    if pairs:
        await LearnedAliasView(interaction.user.id, pairs).send(
            interaction, embed=learned_embed(bot, pairs)
        )


# History pages. ---------------------------------------------------------------------------


def revision_field(revision: Revision, previous: Revision | None) -> tuple[str, str]:
    """Return an embed field (name, value) describing one revision."""
    name = clip(f"r{revision.id} · v{revision.version} · {revision.action}", 256)
    head = f"by {revision.author_name or 'unknown'} · {when_text(revision.created_at)}"
    body = format_diff(
        describe_revision(revision, previous), limits.EMBED_FIELD_VALUE - len(head) - 1
    )
    return name, f"{head}\n{body}"


class ModeratorPaginator(Paginator):
    """A paginator over moderator-only pages: each click re-checks the permission."""

    async def allowed(self, interaction: discord.Interaction) -> bool:
        """Let only the member who opened the list turn pages, while still a moderator."""
        return await super().allowed(interaction) and await require_moderator(interaction)


class HistoryPageSource(CountedPages):
    """An entry's revisions, newest first, a few per page with what each one changed."""

    def __init__(self, bot: GlossaryBot, entry: Entry, total: int) -> None:
        super().__init__(total, HISTORY_PER_PAGE)
        self.bot = bot
        self.entry = entry

    async def page(self, index: int) -> discord.Embed:
        """Return one page; one extra revision is read to diff the page's oldest one."""
        revisions = await self.bot.service.history(
            self.entry.key, limit=HISTORY_PER_PAGE + 1, offset=index * HISTORY_PER_PAGE
        )
        embed = discord.Embed(title=clip(f"History of {self.entry.term} ({self.entry.key})", 256))
        for position, revision in enumerate(revisions[:HISTORY_PER_PAGE]):
            previous = revisions[position + 1] if position + 1 < len(revisions) else None
            name, value = revision_field(revision, previous)
            embed.add_field(name=name, value=value, inline=False)
        embed.set_footer(
            text=self.footer(
                index, counted(self.total, "revision"), "/glossary-admin revert restores one"
            )
        )
        return embed
