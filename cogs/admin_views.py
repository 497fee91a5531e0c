"""Modals, views and shared steps of the moderator commands in cogs/admin.py."""

from __future__ import annotations

import dataclasses
import io
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.client import GlossaryBot, report_error, send_ephemeral
from bot.glossary import schema
from bot.glossary.diff import describe_revision, diff_entries, format_diff
from bot.glossary.forms import (
    MODAL_VALUE_MAX,
    FormState,
    entry_from_form,
    form_custom_id,
    form_defaults,
    new_names_probe,
    parse_when,
    typed_text,
)
from bot.glossary.models import Conflict, Entry, NotFound, Revision, ValidationError
from bot.glossary.service import Actor
from bot.glossary.text import clip, normalize
from cogs.permissions import bot_of, refusal, require_moderator
from cogs.ui import (
    NO_MENTIONS,
    ConfirmView,
    Paginator,
    deferred_if_slow,
    edit_clicked,
    entry_message,
    member_text,
)

log = logging.getLogger(__name__)

MODAL_TITLE_MAX = 45
SELECT_OPTIONS_MAX = 25
HISTORY_PER_PAGE = 4
FIELD_VALUE_MAX = 1024

Run = Callable[[discord.Interaction], Awaitable[None]]


def actor_of(interaction: discord.Interaction) -> Actor:
    """Return who is acting, for history and audit."""
    return Actor(interaction.user.id, interaction.user.name)


def when_text(stamp: str) -> str:
    """Return a Discord timestamp for an ISO time (shown in each reader's time zone)."""
    when = parse_when(stamp)
    return discord.utils.format_dt(when, "f") if when else stamp


# Replies, confirmations and the audit log. ------------------------------------------------


async def reply(interaction: discord.Interaction, content: str, **message: Any) -> None:
    """Answer privately: a clicked prompt becomes the answer, anything else gets a new message."""
    message.setdefault("allowed_mentions", NO_MENTIONS)
    if "embed" in message:
        message["embeds"] = [message.pop("embed")]
    if interaction.type is discord.InteractionType.component:
        # Replace the prompt (and its buttons) with the outcome, deferred or not.
        message.setdefault("embeds", [])
        message.setdefault("view", None)
        await edit_clicked(interaction, content=content, **message)
        return
    if message.get("view", ...) is None:
        del message["view"]
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **message)
    else:
        await interaction.response.send_message(content, ephemeral=True, **message)


async def confirm_or_run(
    interaction: discord.Interaction,
    warnings: Sequence[str],
    run: Run,
    *,
    attachment: discord.File | None = None,
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
    extra: dict[str, Any] = {"file": attachment} if attachment is not None else {}
    await send_ephemeral(interaction, clip("\n".join(lines), 1900), view=view, **extra)
    if not answered_before:
        # Lets the view disable its buttons when nobody answers in time.
        view.message = await interaction.original_response()


async def audit(
    interaction: discord.Interaction,
    action: str,
    subject: str,
    lines: Sequence[str] = (),
) -> None:
    """Post "who changed what" to every home server's audit channel; failures are only logged."""
    bot = bot_of(interaction)
    embed = discord.Embed(
        title=clip(f"Glossary {action}: {subject}", 256),
        description=format_diff(list(lines), 3000) if lines else None,
        timestamp=discord.utils.utcnow(),
    )
    origin = interaction.guild.name if interaction.guild else interaction.guild_id
    embed.set_author(name=clip(f"{interaction.user.name} ({interaction.user.id})", 256))
    embed.set_footer(text=clip(f"from {origin}", 2048))
    for guild_id in sorted(bot.home.ids):
        try:
            channel_id = await bot.service.settings.audit_channel(guild_id)
            if channel_id is None:
                continue
            channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                log.warning(
                    "Audit channel %s of guild %s cannot receive messages", channel_id, guild_id
                )
                continue
            await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
        except Exception:
            # The change is already saved; a lost audit post must neither undo nor hide it.
            log.warning("Could not post to the audit channel of guild %s", guild_id, exc_info=True)


async def save_entry(
    interaction: discord.Interaction, entry: Entry, original: Entry | None
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

    owner_id: int | None = None

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse anyone but the moderator who opened it, and members who lost the permission."""
        if self.owner_id is not None and interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, refusal(interaction))
            return False
        return await require_moderator(interaction)

    def typed(self) -> list[tuple[str, str]]:
        """Return (label, value) of every field, to give the text back when saving fails."""
        return [
            (item.text, item.component.value)
            for item in self.walk_children()
            if isinstance(item, discord.ui.Label)
            and isinstance(item.component, discord.ui.TextInput)
        ]

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        """Answer with what went wrong and give back what the moderator typed."""
        await report_error(interaction, error, attachment=typed_file(self.typed()))


async def open_form(interaction: discord.Interaction, modal: ModeratorModal) -> None:
    """Show a form that only this member may submit."""
    modal.owner_id = interaction.user.id
    await interaction.response.send_modal(modal)


def typed_file(values: Sequence[tuple[str, str]]) -> discord.File | None:
    """Return what a moderator typed as a text file, or None if they typed nothing."""
    text = typed_text(values)
    if not text:
        return None
    return discord.File(io.BytesIO(text.encode()), filename="your-text.txt")


ENTRY_FIELDS = (
    ("term", "Term"),
    ("aliases", "Aliases (comma-separated, or one per line)"),
    ("summary", "Summary (one sentence)"),
    ("definition", "Definition (markup syntax)"),
)


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
        self.state = FormState(
            secrets.token_hex(4),
            category,
            original.key if original is not None else None,
            original.version if original is not None else None,
        )
        super().__init__(
            title=clip(title, MODAL_TITLE_MAX), timeout=900, custom_id=form_custom_id(self.state)
        )
        self.category = category
        self.original = original
        self.after_save = after_save
        values = (
            form_defaults(original) if original is not None else {"term": term[: schema.TERM_MAX]}
        )
        self.term: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
            custom_id="entry:term",
            max_length=schema.TERM_MAX,
            default=values.get("term") or None,
            placeholder="Google Colab",
        )
        self.aliases: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
            custom_id="entry:aliases",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MODAL_VALUE_MAX,
            default=values.get("aliases") or None,
            placeholder="colab, gcolab",
        )
        self.summary: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
            custom_id="entry:summary",
            max_length=schema.SUMMARY_MAX,
            default=values.get("summary") or None,
        )
        self.definition: discord.ui.TextInput[EntryModal] = discord.ui.TextInput(
            custom_id="entry:definition",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MODAL_VALUE_MAX,
            default=values.get("definition") or None,
            placeholder="- A bullet\n  - nested\n\n> Tip: a note\n\n1. a step",
        )
        inputs = (self.term, self.aliases, self.summary, self.definition)
        for (_, label), item in zip(ENTRY_FIELDS, inputs, strict=True):
            self.add_item(discord.ui.Label(text=label, component=item))
        LIVE_FORMS.add(self.custom_id)

    def stop(self) -> None:
        """Forget the form: a later submit of it is handled as one from before a restart."""
        LIVE_FORMS.discard(self.custom_id)
        super().stop()

    async def on_timeout(self) -> None:
        """Forget the form; its submit is still answered, by the stale-form handler."""
        LIVE_FORMS.discard(self.custom_id)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        """Validate everything, warn about confusable names, then save."""
        values = {
            "term": self.term.value,
            "aliases": self.aliases.value,
            "summary": self.summary.value,
            "definition": self.definition.value,
        }
        await submit_entry(interaction, values, self.category, self.original, self.after_save)


# Custom ids of the entry forms this process has open; any other submit is from an older one.
LIVE_FORMS: set[str] = set()


async def submit_entry(
    interaction: discord.Interaction,
    values: dict[str, str],
    category: str,
    original: Entry | None,
    after_save: Run | None = None,
) -> None:
    """Validate a submitted entry form, warn about confusable names, then save."""
    bot = bot_of(interaction)
    entry = entry_from_form(
        term=values.get("term", ""),
        aliases=values.get("aliases", ""),
        summary=values.get("summary", ""),
        definition=values.get("definition", ""),
        category=category,
        original=original,
    )
    if original is None and (existing := bot.service.get(entry.key)) is not None:
        raise Conflict(
            f"There is already an entry `{entry.key}` (**{existing.term}**); "
            "use `/glossary-admin edit` to change it."
        )
    bot.service.validate(entry)
    check_preview(entry)
    probe = new_names_probe(entry, original)
    warnings = bot.service.confusables(probe) if probe is not None else []

    async def run(inner: discord.Interaction) -> None:
        await save_entry(inner, entry, original)
        if after_save is not None:
            await after_save(inner)

    typed = [(label, values.get(name, "")) for name, label in ENTRY_FIELDS]
    # The prompt carries the text: a prompt that outlives the bot must not lose it.
    await confirm_or_run(interaction, warnings, run, attachment=typed_file(typed))


def submitted_values(data: Any) -> dict[str, str]:
    """Return {input custom id: value} from a modal submit payload, labelled or in rows."""
    values: dict[str, str] = {}
    for component in (data or {}).get("components", []):
        inner = [component.get("component")] if "component" in component else []
        for item in [*inner, *component.get("components", [])]:
            if isinstance(item, dict) and isinstance(item.get("custom_id"), str):
                values[item["custom_id"]] = str(item.get("value") or "")
    return values


async def submit_stale_form(interaction: discord.Interaction, state: FormState) -> None:
    """Apply an entry form opened before a restart if that is safe; else give its text back."""
    typed = submitted_values(interaction.data)
    values = {name: typed.get(f"entry:{name}", "") for name, _ in ENTRY_FIELDS}
    labelled = [(label, values[name]) for name, label in ENTRY_FIELDS]
    try:
        if not await require_moderator(interaction):
            return
        original = None
        if state.key is not None:
            original = bot_of(interaction).service.get(state.key)
            if original is None or original.version != state.version:
                raise Conflict(
                    "The entry changed since you opened this form, so nothing was saved. "
                    "Your text is attached: open the form again and paste it in."
                )
        await submit_entry(interaction, values, state.category, original)
    except Exception as error:
        await report_error(interaction, error, attachment=typed_file(labelled))


class AliasTargetModal(ModeratorModal):
    """Ask which existing entry a missed lookup should become an alias of."""

    def __init__(self, alias: str, after_save: Run | None = None) -> None:
        super().__init__(title="Add as an alias", timeout=600)
        self.alias = alias
        self.after_save = after_save
        self.target: discord.ui.TextInput[AliasTargetModal] = discord.ui.TextInput(
            custom_id="alias:target",
            max_length=schema.TERM_MAX,
            placeholder="The existing term, e.g. Google Colab",
        )
        self.add_item(
            discord.ui.Label(
                text=clip(f"Which entry should '{alias}' lead to?", MODAL_TITLE_MAX),
                component=self.target,
            )
        )

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
        await reply(inner, f"**{saved.term}** can now also be found as '{clip(alias, 80)}'.")
        await audit(inner, "alias added", f"{saved.term} ({saved.key})", diff_entries(entry, saved))
        if after_save is not None:
            await after_save(inner)

    await confirm_or_run(interaction, warnings, run)


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

        await open_form(interaction, EntryModal(category="general", term=query, after_save=handled))

    async def on_add_alias(self, interaction: discord.Interaction) -> None:
        """Ask which entry the missed lookup should become an alias of."""
        query = self.query

        async def handled(inner: discord.Interaction) -> None:
            await bot_of(inner).service.repo.dismiss_miss(query)

        await open_form(interaction, AliasTargetModal(query, after_save=handled))

    async def on_dismiss(self, interaction: discord.Interaction) -> None:
        """Hide the chosen lookup until someone searches for it again."""
        bot = bot_of(interaction)
        async with deferred_if_slow(interaction):
            await bot.service.repo.dismiss_miss(self.query)
        await audit(interaction, "miss dismissed", clip(self.query, 100))
        misses = await bot.service.repo.top_misses(SELECT_OPTIONS_MAX)
        self.stop()
        view = MissingView(self.owner_id, misses, self.selected) if misses else None
        await edit_clicked(
            interaction,
            content=f"Dismissed '{member_text(self.query, 80)}'.",
            embed=missing_embed(misses),
            view=view,
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
