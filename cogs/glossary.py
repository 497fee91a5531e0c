"""Member commands: /define, /glossary list|search and the "Explain terms" message menu."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import limits
from bot.client import GlossaryBot, send_ephemeral
from bot.glossary.matcher import LookupResult
from bot.glossary.models import CATEGORIES, Entry
from bot.glossary.text import clip
from bot.render import snippet_markdown, summary_embed
from bot.wording import counted
from cogs.ui import (
    NO_MENTIONS,
    CountedPages,
    ListPageSource,
    OpenEntryButton,
    Paginator,
    ViewRoute,
    entry_buttons,
    entry_message,
    member_text,
)

log = logging.getLogger(__name__)

QUERY_MAX = 200
SEARCH_PAGE = 5


def choice_label(entry: Entry) -> str:
    """Return "Term - summary" within Discord's 100-character choice limit."""
    return clip(f"{entry.term} - {entry.summary}", limits.CHOICE_NAME)


def notice_for(result: LookupResult) -> str | None:
    """Say which entry is shown when the match was not exact."""
    match = result.match
    if match is None or match.kind == "exact":
        return None
    return f"Showing **{match.entry.term}** for '{clip(result.query, 80)}'"


def entry_line(entry: Entry) -> str:
    """Return one browse-list line for an entry."""
    return f"**{entry.term}** - {clip(entry.summary, 120)}"


class SearchPageSource(CountedPages):
    """Full-text search results, fetched from the store a page at a time."""

    def __init__(self, bot: GlossaryBot, text: str, total: int) -> None:
        super().__init__(total, SEARCH_PAGE)
        self.bot = bot
        self.text = text

    async def page(self, index: int) -> discord.Embed:
        """Return one page of results with snippets."""
        found = await self.bot.service.search(
            self.text, limit=SEARCH_PAGE, offset=index * SEARCH_PAGE
        )
        embed = discord.Embed(title=f"Search: {clip(self.text, 200)}")
        for entry, snippet in found:
            embed.add_field(
                name=clip(entry.term, limits.EMBED_FIELD_NAME),
                value=clip(snippet_markdown(snippet) or entry.summary, limits.EMBED_FIELD_VALUE),
                inline=False,
            )
        # A footer shows no markdown, so the command stays plain text there.
        embed.set_footer(
            text=self.footer(index, counted(self.total, "result"), "/define to open one")
        )
        return embed


class Glossary(commands.Cog):
    """What members use: definitions, browsing and search."""

    glossary = app_commands.Group(name="glossary", description="Browse and search the glossary")

    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot
        self.explain_menu = app_commands.ContextMenu(
            name="Explain terms", callback=self.explain_terms
        )

    async def cog_load(self) -> None:
        """Register the context menu, the entry buttons and the routed views' clicks."""
        self.bot.tree.add_command(self.explain_menu)
        self.bot.add_dynamic_items(OpenEntryButton, ViewRoute)

    async def cog_unload(self) -> None:
        """Remove what cog_load registered."""
        self.bot.tree.remove_command(self.explain_menu.name, type=self.explain_menu.type)
        self.bot.remove_dynamic_items(OpenEntryButton)

    @app_commands.command(name="define", description="Explain a term from the glossary")
    @app_commands.describe(term="The term to look up", private="Only you see the answer")
    async def define(
        self, interaction: discord.Interaction, term: str, private: bool = False
    ) -> None:
        """Show the entry that best matches `term`, or suggestions."""
        if len(term) > QUERY_MAX:
            await send_ephemeral(
                interaction, f"That is too long for a term (at most {QUERY_MAX} characters)."
            )
            return
        pair = self.bot.service.compare(term)
        if pair is not None:
            await self._send_comparison(interaction, pair, private=private)
            return
        # Only the home servers' misses reach their moderators' queue: another server's members
        # (or a stranger's server) must not fill it.
        home = interaction.guild_id is not None and interaction.guild_id in self.bot.home
        result = await self.bot.service.define(term, count_miss=home)
        if result.match is None:
            await self._send_no_match(interaction, result)
            return
        message = entry_message(self.bot, result.match.entry, notice=notice_for(result))
        await interaction.response.send_message(**message, ephemeral=private)

    async def _send_comparison(
        self, interaction: discord.Interaction, pair: tuple[Entry, Entry], *, private: bool
    ) -> None:
        """Show the two compared entries side by side, with buttons to open each in full."""
        for entry in pair:
            self.bot.service.record_use(entry.key)
        view = entry_buttons(list(pair)) or discord.utils.MISSING
        await interaction.response.send_message(
            embeds=[summary_embed(entry) for entry in pair],
            view=view,
            ephemeral=private,
            allowed_mentions=NO_MENTIONS,
        )

    async def _send_no_match(self, interaction: discord.Interaction, result: LookupResult) -> None:
        shown = member_text(result.query.strip(), 80) or "that"
        suggestions = [hit.entry for hit in result.suggestions[:5]]
        text = f"Nothing in the glossary for **{shown}**."
        if suggestions:
            text += " Did you mean one of these?"
        view = entry_buttons(suggestions, style=discord.ButtonStyle.primary)
        # Which suggestion the member opens next teaches the glossary a new alias (home only).
        if interaction.guild_id is not None and interaction.guild_id in self.bot.home:
            self.bot.service.note_missed(interaction.user.id, result)
        if view is None:
            search = self.bot.command_mentions.mention("glossary search")
            await send_ephemeral(interaction, f"{text} Try {search}.")
        else:
            await send_ephemeral(interaction, text, view=view)

    @define.autocomplete("term")
    async def define_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer ranked entries for what the member has typed so far."""
        hits = self.bot.service.autocomplete(current[:QUERY_MAX])
        return [
            app_commands.Choice(name=choice_label(hit.entry), value=hit.entry.key)
            for hit in hits[: limits.CHOICES]
        ]

    @glossary.command(name="list", description="Browse the glossary")
    @app_commands.describe(category="Only entries of this category")
    @app_commands.choices(
        category=[app_commands.Choice(name=name.title(), value=name) for name in CATEGORIES]
    )
    async def list_entries(
        self, interaction: discord.Interaction, category: str | None = None
    ) -> None:
        """Page through every entry, optionally one category."""
        if category is not None and category not in CATEGORIES:
            await send_ephemeral(interaction, f"Unknown category '{clip(category, 50)}'.")
            return
        entries = sorted(
            (entry for entry in self.bot.service.entries if category in (None, entry.category)),
            key=lambda entry: entry.term.casefold(),
        )
        title = f"Glossary - {category.title()}" if category else "Glossary"
        source = ListPageSource(
            title, [entry_line(entry) for entry in entries], empty="No entries yet."
        )
        await Paginator(source, owner_id=interaction.user.id).start(interaction)

    @glossary.command(name="search", description="Search the text of every definition")
    @app_commands.describe(text="Words to look for in the definitions")
    async def search(self, interaction: discord.Interaction, text: str) -> None:
        """Page through definitions that contain the words, best first."""
        if not text.strip() or len(text) > QUERY_MAX:
            await send_ephemeral(interaction, f"Search for 1 to {QUERY_MAX} characters of text.")
            return
        total = await self.bot.service.count_search(text)
        if total == 0:
            define = self.bot.command_mentions.mention("define")
            await send_ephemeral(
                interaction, f"No definition contains that. Try {define} with the term itself."
            )
            return
        await Paginator(
            SearchPageSource(self.bot, text, total), owner_id=interaction.user.id
        ).start(interaction)

    async def explain_terms(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """List the glossary terms found in a message, privately, with buttons to open them."""
        found = self.bot.service.detector.find_terms(message.content or "")
        if not found:
            await send_ephemeral(interaction, "I found no glossary terms in that message.")
            return
        embed = discord.Embed(title="Glossary terms in this message")
        for entry, written in found[:10]:
            name = (
                entry.term
                if written.casefold() == entry.term.casefold()
                else f"{entry.term} ({written})"
            )
            embed.add_field(
                name=clip(name, limits.EMBED_FIELD_NAME),
                value=clip(entry.summary, limits.EMBED_FIELD_VALUE),
                inline=False,
            )
        if len(found) > 10:
            embed.set_footer(text=f"and {len(found) - 10} more")
        view = entry_buttons([entry for entry, _ in found[:10]])
        await interaction.response.send_message(
            embed=embed,
            view=view or discord.utils.MISSING,
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


async def setup(bot: GlossaryBot) -> None:
    """Load the cog."""
    await bot.add_cog(Glossary(bot))
