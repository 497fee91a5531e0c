"""Modals, views and shared steps of the moderator commands in cogs/admin.py."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.client import GlossaryBot, report_error, send_ephemeral
from bot.glossary import schema
from bot.glossary.diff import describe_revision, diff_entries, format_diff
from bot.glossary.forms import (
    MODAL_VALUE_MAX,
    entry_from_form,
    form_defaults,
    new_names_probe,
    parse_when,
)
from bot.glossary.models import Conflict, Entry, NotFound, Revision, ValidationError
from bot.glossary.service import Actor
from bot.glossary.text import normalize
from cogs.permissions import require_moderator
from cogs.ui import NO_MENTIONS, ConfirmView, Paginator, clip, deferred_if_slow, entry_message

log = logging.getLogger(__name__)

MODAL_TITLE_MAX = 45
SELECT_OPTIONS_MAX = 25
AUDIT_SETTING = "audit_channel"
HISTORY_PER_PAGE = 4
FIELD_VALUE_MAX = 1024

Run = Callable[[discord.Interaction], Awaitable[None]]


def actor_of(interaction: discord.Interaction) -> Actor:
    """Return who is acting, for history and audit."""
    return Actor(interaction.user.id, interaction.user.name)


def when_text(stamp: str) -> str:
    """Return a Discord timestamp for an ISO time (shown in each reader's time zone)."""
    when = parse_when(stamp)
    return f"<t:{int(when.timestamp())}:f>" if when else stamp


# Replies, confirmations and the audit log. ------------------------------------------------


def bot_of(interaction: discord.Interaction) -> GlossaryBot:
    """Return the glossary bot handling the interaction."""
    bot = interaction.client
    assert isinstance(bot, GlossaryBot)
    return bot


async def reply(interaction: discord.Interaction, content: str, **message: Any) -> None:
    """Answer privately: a clicked prompt becomes the answer, anything else gets a new message."""
    message.setdefault("allowed_mentions", NO_MENTIONS)
    if "embed" in message:
        message["embeds"] = [message.pop("embed")]
    if interaction.type is discord.InteractionType.component and not interaction.response.is_done():
        # Replace the prompt (and its buttons) with the outcome.
        message.setdefault("embeds", [])
        message.setdefault("view", None)
        await interaction.response.edit_message(content=content, **message)
        return
    if message.get("view", ...) is None:
        del message["view"]
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **message)
    else:
        await interaction.response.send_message(content, ephemeral=True, **message)


async def confirm_or_run(
    interaction: discord.Interaction, warnings: Sequence[str], run: Run
) -> None:
    """Run a change at once, or first ask "Save anyway?" when names look confusable."""
    if not warnings:
        await run(interaction)
        return
    lines = [
        "Some names look a lot like names of other entries; members may get the wrong one:",
        *(f"- {warning}" for warning in warnings[:10]),
        "Nothing is saved yet.",
    ]
    view = ConfirmView(
        interaction.user.id, run, check=require_moderator, confirm_label="Save anyway"
    )
    answered_before = interaction.response.is_done()
    await send_ephemeral(interaction, clip("\n".join(lines), 1900), view=view)
    if not answered_before:
        # Lets the view disable its buttons when nobody answers in time.
        view.message = await interaction.original_response()


async def audit(
    interaction: discord.Interaction,
    action: str,
    subject: str,
    lines: Sequence[str] = (),
) -> None:
    """Post "who changed what" to the guild's audit channel; failures are only logged."""
    bot = bot_of(interaction)
    guild_id = interaction.guild_id
    if guild_id is None:
        return
    try:
        channel_id = await bot.service.repo.get_setting(guild_id, AUDIT_SETTING, None)
        if channel_id is None:
            return
        channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning(
                "Audit channel %s of guild %s cannot receive messages", channel_id, guild_id
            )
            return
        embed = discord.Embed(
            title=clip(f"Glossary {action}: {subject}", 256),
            description=format_diff(list(lines), 3000) if lines else None,
            timestamp=discord.utils.utcnow(),
        )
        embed.set_author(name=clip(f"{interaction.user.name} ({interaction.user.id})", 256))
        await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
    except Exception:
        # The change is already saved; a lost audit post must neither undo nor hide it.
        log.warning("Could not post to the audit channel of guild %s", guild_id, exc_info=True)


async def save_entry(
    interaction: discord.Interaction,
    entry: Entry,
    original: Entry | None,
    after_save: Run | None = None,
) -> None:
    """Create or update an entry, show it as /define would, and log it to the audit channel."""
    bot = bot_of(interaction)
    actor = actor_of(interaction)
    async with deferred_if_slow(interaction):
        if original is None:
            saved = await bot.service.create(entry, actor)
            action = "added"
        else:
            # The version from when the modal opened: a concurrent edit is refused, not overwritten.
            saved = await bot.service.update(entry, actor, expected_version=original.version)
            action = "edited"
        # Before the reply: reads do not wait for writes, so the next command must see it.
        if after_save is not None:
            await after_save(interaction)
    await reply(
        interaction,
        f"Saved **{clip(saved.term, 80)}** (`{saved.key}`, v{saved.version}). "
        "This is how `/define` shows it now:",
        **entry_message(bot, saved),
    )
    await audit(interaction, action, f"{saved.term} ({saved.key})", diff_entries(original, saved))


def check_preview(entry: Entry) -> None:
    """Raise ValidationError if the entry would not fit in Discord's embed limits."""
    from bot.render import check_limits, entry_embeds

    problems = check_limits(entry_embeds(entry))
    if problems:
        raise ValidationError(
            f"**{entry.term}** would not fit in a Discord message.", problems=problems
        )


# Modals. ----------------------------------------------------------------------------------


class ModeratorModal(discord.ui.Modal):
    """A modal that re-checks the moderator permission on submit and reports errors privately."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse members who lost the permission since the modal opened."""
        return await require_moderator(interaction)

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        """Answer with what went wrong; the entry stays as it was."""
        await report_error(interaction, error)


class EntryModal(ModeratorModal):
    """Add a new entry, or edit one, with its definition in the markup syntax."""

    def __init__(
        self,
        *,
        category: str,
        original: Entry | None = None,
        term: str = "",
        after_save: Run | None = None,
    ) -> None:
        title = f"Edit {original.term}" if original is not None else "Add a glossary entry"
        super().__init__(title=clip(title, MODAL_TITLE_MAX), timeout=900)
        self.category = category
        self.original = original
        self.after_save = after_save
        values = (
            form_defaults(original) if original is not None else {"term": term[: schema.TERM_MAX]}
        )
        self.term = discord.ui.TextInput(
            custom_id="entry:term",
            label="Term",
            max_length=schema.TERM_MAX,
            default=values.get("term") or None,
            placeholder="Google Colab",
        )
        self.aliases = discord.ui.TextInput(
            custom_id="entry:aliases",
            label="Aliases (comma-separated, or one per line)",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MODAL_VALUE_MAX,
            default=values.get("aliases") or None,
            placeholder="colab, gcolab",
        )
        self.summary = discord.ui.TextInput(
            custom_id="entry:summary",
            label="Summary (one sentence)",
            max_length=schema.SUMMARY_MAX,
            default=values.get("summary") or None,
        )
        self.definition = discord.ui.TextInput(
            custom_id="entry:definition",
            label="Definition (see docs/definition-syntax.md)",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MODAL_VALUE_MAX,
            default=values.get("definition") or None,
            placeholder="- A bullet\n  - nested\n\n> Tip: a note\n\n1. a step",
        )
        for item in (self.term, self.aliases, self.summary, self.definition):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        """Validate everything, warn about confusable names, then save."""
        bot = bot_of(interaction)
        entry = entry_from_form(
            term=self.term.value,
            aliases=self.aliases.value,
            summary=self.summary.value,
            definition=self.definition.value,
            category=self.category,
            original=self.original,
        )
        if self.original is None and (existing := bot.service.get(entry.key)) is not None:
            raise Conflict(
                f"There is already an entry `{entry.key}` (**{existing.term}**); "
                "use `/glossary-admin edit` to change it."
            )
        bot.service.validate(entry)
        check_preview(entry)
        probe = new_names_probe(entry, self.original)
        warnings = bot.service.confusables(probe) if probe is not None else []

        async def run(inner: discord.Interaction) -> None:
            await save_entry(inner, entry, self.original, self.after_save)

        await confirm_or_run(interaction, warnings, run)


class AliasTargetModal(ModeratorModal):
    """Ask which existing entry a missed lookup should become an alias of."""

    def __init__(self, alias: str, after_save: Run | None = None) -> None:
        super().__init__(title="Add as an alias", timeout=600)
        self.alias = alias
        self.after_save = after_save
        self.target = discord.ui.TextInput(
            custom_id="alias:target",
            label=clip(f"Which entry should '{alias}' lead to?", 45),
            max_length=schema.TERM_MAX,
            placeholder="The existing term, e.g. Google Colab",
        )
        self.add_item(self.target)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        """Add the alias to the named entry."""
        entry = find_live(bot_of(interaction), self.target.value)
        await add_alias_flow(interaction, entry, self.alias, after_save=self.after_save)


def find_live(bot: GlossaryBot, value: str) -> Entry:
    """Return the live entry a command option names: its key, term or an alias."""
    value = value.strip()
    entry = bot.service.get(value)
    if entry is not None:
        return entry
    result = bot.service.lookup(value)
    if result.match is not None and normalize(value) in {
        normalize(n) for n in result.match.entry.names
    }:
        return result.match.entry
    hint = ""
    if result.match is not None or result.suggestions:
        options = [result.match] if result.match else []
        options += list(result.suggestions)
        hint = " Did you mean " + ", ".join(f"**{hit.entry.term}**" for hit in options[:3]) + "?"
    raise NotFound(f"There is no glossary entry named '{clip(value, 80)}'.{hint}")


async def add_alias_flow(
    interaction: discord.Interaction, entry: Entry, alias: str, *, after_save: Run | None = None
) -> None:
    """Validate a new alias, warn if it looks like another entry's name, then add it."""
    bot = bot_of(interaction)
    alias = alias.strip()
    prospective = dataclasses.replace(entry, aliases=(*entry.aliases, alias))
    probe = new_names_probe(prospective, entry)
    if probe is None:
        raise Conflict(f"'{clip(alias, 80)}' is already a name of **{entry.term}**.")
    bot.service.validate(prospective)
    warnings = bot.service.confusables(probe)

    async def run(inner: discord.Interaction) -> None:
        async with deferred_if_slow(inner):
            saved = await bot.service.add_alias(entry.key, alias, actor_of(inner))
            # Before the reply: reads no longer wait for writes, so the next command must
            # find this follow-up already stored.
            if after_save is not None:
                await after_save(inner)
        await reply(inner, f"**{saved.term}** can now also be found as '{clip(alias, 80)}'.")
        await audit(inner, "alias added", f"{saved.term} ({saved.key})", diff_entries(entry, saved))

    await confirm_or_run(interaction, warnings, run)


# The queue of missed lookups. -------------------------------------------------------------


def missing_embed(misses: Sequence[tuple[str, int]]) -> discord.Embed:
    """Return the list of missed lookups."""
    lines = [
        f"{rank}. **{clip(query, 80)}** - {count}" for rank, (query, count) in enumerate(misses, 1)
    ]
    embed = discord.Embed(
        title="Lookups that found nothing",
        description="\n".join(lines)
        or "No missed lookups. Everything members asked for was found.",
    )
    if misses:
        embed.set_footer(text="Pick one below, then add it as an entry or alias, or dismiss it.")
    return embed


class MissingView(discord.ui.View):
    """Pick a missed lookup and add it as an entry, add it as an alias, or dismiss it."""

    def __init__(self, owner_id: int, misses: Sequence[tuple[str, int]], selected: int = 0) -> None:
        super().__init__(timeout=600)
        self.owner_id = owner_id
        self.misses = list(misses[:SELECT_OPTIONS_MAX])
        self.selected = min(selected, max(0, len(self.misses) - 1))
        self.pick = discord.ui.Select(
            placeholder="Choose a missed lookup",
            options=[
                discord.SelectOption(
                    label=clip(query, 100),
                    value=str(index),
                    description=f"{count} lookup{'s' if count != 1 else ''}",
                    default=index == self.selected,
                )
                for index, (query, count) in enumerate(self.misses)
            ],
        )
        self.pick.callback = self.on_pick
        self.add_item(self.pick)
        self.add_entry = discord.ui.Button(
            label="Add as new entry", style=discord.ButtonStyle.primary
        )
        self.add_entry.callback = self.on_add_entry
        self.add_alias = discord.ui.Button(
            label="Add as alias…", style=discord.ButtonStyle.secondary
        )
        self.add_alias.callback = self.on_add_alias
        self.dismiss = discord.ui.Button(label="Dismiss", style=discord.ButtonStyle.danger)
        self.dismiss.callback = self.on_dismiss
        for button in (self.add_entry, self.add_alias, self.dismiss):
            self.add_item(button)

    @property
    def query(self) -> str:
        """Return the chosen missed lookup."""
        return self.misses[self.selected][0]

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Let only the moderator who opened the list use it."""
        if interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, "Only the moderator who opened this list can use it.")
            return False
        return await require_moderator(interaction)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """Answer the click with what went wrong."""
        await report_error(interaction, error)

    async def on_pick(self, interaction: discord.Interaction) -> None:
        """Remember the chosen lookup."""
        self.selected = int(self.pick.values[0])
        for option in self.pick.options:
            option.default = option.value == self.pick.values[0]
        await interaction.response.edit_message(view=self)

    async def on_add_entry(self, interaction: discord.Interaction) -> None:
        """Open the add modal with the missed lookup as the term."""
        query = self.query

        async def handled(inner: discord.Interaction) -> None:
            await bot_of(inner).service.repo.dismiss_miss(query)

        await interaction.response.send_modal(
            EntryModal(category="general", term=query, after_save=handled)
        )

    async def on_add_alias(self, interaction: discord.Interaction) -> None:
        """Ask which entry the missed lookup should become an alias of."""
        query = self.query

        async def handled(inner: discord.Interaction) -> None:
            await bot_of(inner).service.repo.dismiss_miss(query)

        await interaction.response.send_modal(AliasTargetModal(query, after_save=handled))

    async def on_dismiss(self, interaction: discord.Interaction) -> None:
        """Hide the chosen lookup until someone searches for it again."""
        bot = bot_of(interaction)
        async with deferred_if_slow(interaction):
            await bot.service.repo.dismiss_miss(self.query)
        await audit(interaction, "miss dismissed", clip(self.query, 100))
        misses = await bot.service.repo.top_misses(SELECT_OPTIONS_MAX)
        self.stop()
        view = MissingView(self.owner_id, misses, self.selected) if misses else None
        await interaction.response.edit_message(
            content=f"Dismissed '{clip(self.query, 80)}'.", embed=missing_embed(misses), view=view
        )


# History pages. ---------------------------------------------------------------------------


def revision_field(revision: Revision, previous: Revision | None) -> tuple[str, str]:
    """Return an embed field (name, value) describing one revision."""
    name = clip(f"r{revision.id} · v{revision.version} · {revision.action}", 256)
    head = f"by {revision.author_name or 'unknown'} · {when_text(revision.created_at)}"
    body = format_diff(describe_revision(revision, previous), FIELD_VALUE_MAX - len(head) - 1)
    return name, f"{head}\n{body}"


class ModeratorPaginator(Paginator):
    """A paginator over moderator-only pages: each click re-checks the permission."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Let only the member who opened the list turn pages, while still a moderator."""
        return await super().interaction_check(interaction) and await require_moderator(interaction)


class HistoryPageSource:
    """An entry's revisions, newest first, a few per page with what each one changed."""

    def __init__(self, bot: GlossaryBot, entry: Entry, total: int) -> None:
        self.bot = bot
        self.entry = entry
        self.total = total

    @property
    def page_count(self) -> int:
        """Return how many pages there are."""
        return max(1, -(-self.total // HISTORY_PER_PAGE))

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
            text=f"Page {index + 1}/{self.page_count} · {self.total} revisions · "
            "/glossary-admin revert restores one"
        )
        return embed
