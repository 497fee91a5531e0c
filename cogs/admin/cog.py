"""The /glossary-admin commands: add, edit, history, revert, import/export and more."""

from __future__ import annotations

import datetime
import io
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import limits
from bot.client import GlossaryBot, send_ephemeral
from bot.glossary import stats
from bot.glossary.diff import diff_entries
from bot.glossary.forms import form_defaults, new_names_probe, parse_form_custom_id
from bot.glossary.models import CATEGORIES, Entry, GlossaryError, NotFound
from bot.glossary.text import clip, normalize
from bot.glossary.yamlio import MAX_DOCUMENT_BYTES
from bot.refusals import describe
from bot.services.glossary import ImportPlan
from bot.wording import counted
from cogs.admin.flows import add_alias_flow, find_live
from cogs.admin.forms import (
    ALIAS_FORM_PREFIX,
    LIVE_FORMS,
    EntryModal,
    answer_expired_form,
    open_form,
    submit_stale_form,
)
from cogs.admin.replies import actor_of, audit, confirm_or_run, reply
from cogs.admin.views import (
    HistoryPageSource,
    MissingView,
    ModeratorPaginator,
    missing_embed,
    send_learned_aliases,
)
from cogs.permissions import (
    check_moderator,
    is_moderator,
    managers_group,
    manages_server,
    require_moderator,
)
from cogs.ui import (
    NO_MENTIONS,
    ConfirmView,
    deferred_if_slow,
    entry_message,
    member_text,
)

log = logging.getLogger(__name__)

ROLES_REFUSAL = "Only members with the Manage Server permission can change the moderator roles."
CATEGORY_CHOICES = [app_commands.Choice(name=name.title(), value=name) for name in CATEGORIES]
PLAN_KEYS_SHOWN = 30


def choice(entry: Entry, suffix: str = "") -> app_commands.Choice[str]:
    """Return an autocomplete choice for an entry, its key as the value."""
    return app_commands.Choice(
        name=clip(f"{entry.term} ({entry.key}){suffix}", limits.CHOICE_NAME), value=entry.key
    )


def plan_lines(plan: ImportPlan) -> list[tuple[str, list[str]]]:
    """Return (heading, keys) for each non-empty part of an import plan."""
    parts = [
        ("Added", plan.added),
        ("Changed", plan.changed),
        ("Removed (soft-deleted, restorable)", plan.removed),
    ]
    return [(heading, keys) for heading, keys in parts if keys]


def plan_embed(title: str, plan: ImportPlan) -> discord.Embed:
    """Return an import plan as an embed: counts and the keys of each kind of change."""
    embed = discord.Embed(
        title=title,
        description=(
            f"**{len(plan.added)}** added · **{len(plan.changed)}** changed · "
            f"**{len(plan.removed)}** removed · {len(plan.unchanged)} unchanged"
        ),
    )
    for heading, keys in plan_lines(plan):
        shown = ", ".join(f"`{key}`" for key in keys[:PLAN_KEYS_SHOWN])
        if len(keys) > PLAN_KEYS_SHOWN:
            shown += f" …and {len(keys) - PLAN_KEYS_SHOWN} more"
        embed.add_field(
            name=f"{heading} ({len(keys)})",
            value=clip(shown, limits.EMBED_FIELD_VALUE),
            inline=False,
        )
    if plan.warnings:
        # Saved as written; hidden from members until the entry they name exists again.
        shown = "\n".join(f"- {warning}" for warning in plan.warnings[:10])
        if len(plan.warnings) > 10:
            shown += f"\n…and {len(plan.warnings) - 10} more"
        embed.add_field(
            name=f"Warnings ({len(plan.warnings)})",
            value=clip(shown, limits.EMBED_FIELD_VALUE),
            inline=False,
        )
    return embed


class GlossaryAdmin(commands.Cog):
    """Commands moderators use to change the glossary; every one re-checks the permission."""

    # A server's admins show it to the moderator roles under Server Settings > Integrations.
    admin = managers_group("glossary-admin", "Edit the glossary (moderators)")
    alias = app_commands.Group(name="alias", description="Add or remove an alias", parent=admin)
    roles = app_commands.Group(name="roles", description="Who may edit the glossary", parent=admin)

    def __init__(self, bot: GlossaryBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse every command of this cog to anyone but a home server's moderators."""
        return await check_moderator(interaction)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer entry forms that no live form handles: opened before a restart, or expired."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if custom_id in LIVE_FORMS:
            return
        state = parse_form_custom_id(custom_id)
        if state is not None:
            await submit_stale_form(interaction, state)
        elif custom_id.startswith(ALIAS_FORM_PREFIX):
            await answer_expired_form(interaction)

    # Autocomplete ------------------------------------------------------------------------

    async def live_terms(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer live entries."""
        if not await is_moderator(interaction):
            return []
        return [choice(hit.entry) for hit in self.bot.service.autocomplete(current[:200])][
            : limits.CHOICES
        ]

    async def deleted_terms(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer soft-deleted entries, most recently deleted first."""
        if not await is_moderator(interaction):
            return []
        wanted = normalize(current)
        deleted = await self.bot.service.deleted_entries()
        found = [
            entry for entry in deleted if wanted in normalize(entry.term) or wanted in entry.key
        ]
        return [choice(entry, " - deleted") for entry in found[: limits.CHOICES]]

    async def any_terms(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer live entries, then deleted ones."""
        live = await self.live_terms(interaction, current)
        return (live + await self.deleted_terms(interaction, current))[: limits.CHOICES]

    async def aliases_of_term(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the aliases of the entry chosen in the `term` option."""
        if not await is_moderator(interaction):
            return []
        entry = self.bot.service.get(str(getattr(interaction.namespace, "term", "") or ""))
        if entry is None:
            return []
        wanted = normalize(current)
        return [
            app_commands.Choice(
                name=clip(alias, limits.CHOICE_NAME), value=alias[: limits.CHOICE_NAME]
            )
            for alias in entry.aliases
            if wanted in normalize(alias)
        ][: limits.CHOICES]

    async def revisions_of_term(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """Offer the latest revisions of the entry chosen in the `term` option."""
        if not await is_moderator(interaction):
            return []
        key = str(getattr(interaction.namespace, "term", "") or "")
        try:
            revisions = await self.bot.service.history(key, limit=limits.CHOICES)
        except NotFound:
            return []
        return [
            app_commands.Choice(
                name=clip(
                    f"r{rev.id} · v{rev.version} {rev.action} by {rev.author_name} "
                    f"{rev.created_at[:16]}",
                    limits.CHOICE_NAME,
                ),
                value=rev.id,
            )
            for rev in revisions
            if current.strip().lstrip("r") in str(rev.id)
        ]

    async def _find_any(self, value: str) -> Entry:
        """Return a live entry by key/name, else a deleted one by key."""
        try:
            return find_live(self.bot, value)
        except NotFound:
            entry = await self.bot.service.get_any(value.strip())
            if entry is None:
                raise
            return entry

    # Entries -----------------------------------------------------------------------------

    @admin.command(name="add", description="Add a glossary entry (opens a form)")
    @app_commands.describe(category="The entry's category (sets its colour)")
    @app_commands.choices(category=CATEGORY_CHOICES)
    async def add(self, interaction: discord.Interaction, category: str = "general") -> None:
        """Open the add form."""
        await open_form(interaction, EntryModal(category=category))

    @admin.command(name="edit", description="Edit a glossary entry (opens a form)")
    @app_commands.describe(term="The entry to edit", category="A new category (default: keep it)")
    @app_commands.choices(category=CATEGORY_CHOICES)
    @app_commands.autocomplete(term=live_terms)
    async def edit(
        self, interaction: discord.Interaction, term: str, category: str | None = None
    ) -> None:
        """Open the edit form pre-filled with the entry as it is now."""
        entry = find_live(self.bot, term)
        form_defaults(entry)  # refuses entries too long for a Discord form, before it opens
        await open_form(
            interaction, EntryModal(category=category or entry.category, original=entry)
        )

    @alias.command(name="add", description="Add another name for an entry")
    @app_commands.describe(term="The entry", alias="The new name")
    @app_commands.autocomplete(term=live_terms)
    async def alias_add(self, interaction: discord.Interaction, term: str, alias: str) -> None:
        """Add an alias, warning first if it looks like another entry's name."""
        await add_alias_flow(interaction, find_live(self.bot, term), alias)

    @alias.command(name="remove", description="Remove a name from an entry")
    @app_commands.describe(term="The entry", alias="The alias to remove")
    @app_commands.autocomplete(term=live_terms, alias=aliases_of_term)
    async def alias_remove(self, interaction: discord.Interaction, term: str, alias: str) -> None:
        """Remove an alias."""
        entry = find_live(self.bot, term)
        async with deferred_if_slow(interaction):
            saved = await self.bot.service.remove_alias(entry.key, alias, actor_of(interaction))
        await reply(interaction, f"'{clip(alias, 80)}' no longer leads to **{saved.term}**.")
        await audit(
            interaction, "alias removed", f"{saved.term} ({saved.key})", diff_entries(entry, saved)
        )

    @admin.command(name="rename", description="Change an entry's term; the old one stays an alias")
    @app_commands.describe(term="The entry", new_term="Its new display term")
    @app_commands.autocomplete(term=live_terms)
    async def rename(self, interaction: discord.Interaction, term: str, new_term: str) -> None:
        """Rename an entry, warning first if the new term looks like another entry's name."""
        entry = find_live(self.bot, term)
        new_term = new_term.strip()
        prospective = Entry(
            key=entry.key, term=new_term, summary=entry.summary, aliases=entry.aliases
        )
        probe = new_names_probe(prospective, entry)
        warnings = self.bot.service.confusables(probe) if probe is not None else []

        async def run(inner: discord.Interaction) -> None:
            async with deferred_if_slow(inner):
                saved = await self.bot.service.rename(entry.key, new_term, actor_of(inner))
            await reply(
                inner,
                f"Renamed **{entry.term}** to **{saved.term}**.",
                **entry_message(self.bot, saved),
            )
            await audit(inner, "renamed", f"{saved.term} ({saved.key})", diff_entries(entry, saved))

        await confirm_or_run(interaction, warnings, run)

    @admin.command(name="delete", description="Delete an entry (it can be restored)")
    @app_commands.describe(term="The entry to delete")
    @app_commands.autocomplete(term=live_terms)
    async def delete(self, interaction: discord.Interaction, term: str) -> None:
        """Ask for confirmation, then soft-delete the entry."""
        entry = find_live(self.bot, term)

        async def run(inner: discord.Interaction) -> None:
            async with deferred_if_slow(inner):
                await self.bot.service.delete(
                    entry.key, actor_of(inner), expected_version=entry.version
                )
            await reply(
                inner,
                f"Deleted **{entry.term}** (`{entry.key}`). "
                "`/glossary-admin restore` brings it back.",
            )
            await audit(inner, "deleted", f"{entry.term} ({entry.key})")

        view = ConfirmView(
            interaction.user.id, run, check=require_moderator, confirm_label="Delete"
        )
        await view.send(
            interaction,
            content=f"Delete **{entry.term}** (`{entry.key}`)? Members will no longer find it.",
        )

    @admin.command(name="restore", description="Bring back a deleted entry")
    @app_commands.describe(term="The deleted entry")
    @app_commands.autocomplete(term=deleted_terms)
    async def restore(self, interaction: discord.Interaction, term: str) -> None:
        """Undo a soft delete."""
        async with deferred_if_slow(interaction):
            restored = await self.bot.service.restore(term.strip(), actor_of(interaction))
        await reply(
            interaction, f"Restored **{restored.term}**.", **entry_message(self.bot, restored)
        )
        await audit(interaction, "restored", f"{restored.term} ({restored.key})")

    @admin.command(name="history", description="Who changed an entry, when, and how")
    @app_commands.describe(term="The entry (deleted ones too)")
    @app_commands.autocomplete(term=any_terms)
    async def history(self, interaction: discord.Interaction, term: str) -> None:
        """Page through an entry's revisions with what each one changed."""
        entry = await self._find_any(term)
        total = await self.bot.service.count_revisions(entry.key)
        source = HistoryPageSource(self.bot, entry, total)
        await ModeratorPaginator(source, owner_id=interaction.user.id).start(
            interaction, ephemeral=True
        )

    @admin.command(name="revert", description="Restore an entry's content from an earlier revision")
    @app_commands.describe(term="The entry", revision="The revision to go back to (see history)")
    @app_commands.autocomplete(term=any_terms)
    @app_commands.autocomplete(revision=revisions_of_term)
    async def revert(self, interaction: discord.Interaction, term: str, revision: int) -> None:
        """Write an earlier revision's content as a new revision."""
        entry = await self._find_any(term)
        async with deferred_if_slow(interaction):
            reverted = await self.bot.service.revert(
                entry.key, revision, actor_of(interaction), expected_version=entry.version
            )
        await reply(
            interaction,
            f"Reverted **{reverted.term}** to r{revision}.",
            **entry_message(self.bot, reverted),
        )
        await audit(
            interaction,
            f"reverted to r{revision}",
            f"{reverted.term} ({reverted.key})",
            diff_entries(entry, reverted),
        )

    # Import and export -------------------------------------------------------------------

    @admin.command(
        name="import", description="Replace the glossary with a YAML file (shows a dry run first)"
    )
    @app_commands.describe(file="A glossary YAML file, as written by /glossary-admin export")
    async def import_glossary(
        self, interaction: discord.Interaction, file: discord.Attachment
    ) -> None:
        """Validate the whole file, show what would change, and apply it only on Confirm."""
        limit_mb = MAX_DOCUMENT_BYTES // (1024 * 1024)
        if file.size > MAX_DOCUMENT_BYTES:
            await send_ephemeral(
                interaction, f"That file is {file.size} bytes; the limit is {limit_mb} MB."
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            raw = await file.read()
        except discord.HTTPException:
            log.warning("Could not download import attachment %s", file.id, exc_info=True)
            await interaction.edit_original_response(
                allowed_mentions=NO_MENTIONS, content="I could not download that file; try again."
            )
            return
        try:
            plan = await self.bot.service.plan_import(raw)
        except GlossaryError as error:
            await self._send_import_problems(interaction, file.filename, error)
            return
        if not (plan.added or plan.changed or plan.removed):
            await interaction.edit_original_response(
                allowed_mentions=NO_MENTIONS,
                content="The file matches the glossary; nothing to import.",
            )
            return

        async def run(inner: discord.Interaction) -> None:
            # Applies exactly the dry run; StaleImport (a Conflict) if any entry changed since.
            async with deferred_if_slow(inner):
                applied = await self.bot.service.apply_import(plan, actor_of(inner))
            await reply(inner, "Imported.", embed=plan_embed("Import done", applied))
            summary = [f"{heading}: {', '.join(keys)}" for heading, keys in plan_lines(applied)]
            await audit(inner, "import", clip(file.filename, 100), summary)

        view = ConfirmView(
            interaction.user.id, run, check=require_moderator, confirm_label="Import"
        )
        view.message = await interaction.edit_original_response(
            allowed_mentions=NO_MENTIONS,
            content=f"Dry run of **{clip(file.filename, 100)}**: "
            "nothing is changed until you confirm.",
            embed=plan_embed("Import plan", plan),
            view=view,
        )

    async def _send_import_problems(
        self, interaction: discord.Interaction, filename: str, error: GlossaryError
    ) -> None:
        """List every problem of a refused import; attach the full list when it is long."""
        message, problems = describe(error)
        count = len(problems)
        if count:
            lines = [f"{counted(count, 'problem')}:", *(f"- {problem}" for problem in problems)]
        else:
            lines = [message]
        text = "\n".join(lines)
        header = f"**{clip(filename, 100)}** was not imported; nothing changed.\n"
        if len(header) + len(text) <= 1900:
            await interaction.edit_original_response(
                allowed_mentions=NO_MENTIONS, content=header + text
            )
            return
        shown = "\n".join(lines[:10])
        report = discord.File(io.BytesIO(text.encode()), filename="import-problems.txt")
        await interaction.edit_original_response(
            allowed_mentions=NO_MENTIONS,
            content=clip(header + shown, 1800)
            + f"\n…{counted(count, 'problem')} in all; see the attached file.",
            attachments=[report],
        )

    @admin.command(name="export", description="Download the whole glossary as a YAML file")
    async def export(self, interaction: discord.Interaction) -> None:
        """Send the glossary in the import format."""
        # Writing a big glossary takes seconds: in a worker thread, and answered when done.
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = (await self.bot.service.export_document()).encode()
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        await interaction.followup.send(
            f"The glossary: {counted(len(self.bot.service.entries), 'entry', 'entries')}.",
            file=discord.File(io.BytesIO(data), filename=f"glossary-{today}.yaml"),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    # Queue and statistics ----------------------------------------------------------------

    @admin.command(name="missing", description="Lookups that found nothing, to add or dismiss")
    async def missing(self, interaction: discord.Interaction) -> None:
        """Show the most frequent missed lookups with buttons to act on them."""
        async with deferred_if_slow(interaction):
            misses = await self.bot.service.top_misses(limits.CHOICES)
        embed = missing_embed(misses)
        if not misses:
            await send_ephemeral(interaction, embed=embed)
            await send_learned_aliases(interaction)
            return
        await MissingView(interaction.user.id, misses).send(interaction, embed=embed)
        await send_learned_aliases(interaction)

    @admin.command(name="stats", description="Most used entries, lookups per day and misses")
    async def stats(self, interaction: discord.Interaction) -> None:
        """Show usage of the last 14 days."""
        async with deferred_if_slow(interaction):
            usage = await self.bot.service.usage(days=14, top=10)
        days = usage.days
        hits, misses = stats.totals(days)
        terms = {entry.key: entry.term for entry in self.bot.service.entries}
        top = [(terms.get(key, key), count) for key, count in usage.top_entries]
        embed = discord.Embed(
            title="Glossary statistics",
            description=f"Last 14 days: **{hits}** lookups found an entry, "
            f"**{misses}** found nothing "
            f"({stats.miss_rate(hits, misses)} missed). "
            f"{counted(len(self.bot.service.entries), 'entry', 'entries')}.",
        )
        embed.add_field(
            name="Lookups per day", value=f"```\n{stats.daily_chart(days)}\n```", inline=False
        )
        embed.add_field(
            name="Most used entries (all time)",
            value=clip(stats.ranked_lines(top), limits.EMBED_FIELD_VALUE),
            inline=True,
        )
        top_misses = [(member_text(query, 60), count) for query, count in usage.top_misses]
        embed.add_field(
            name="Most frequent misses",
            value=clip(stats.ranked_lines(top_misses), limits.EMBED_FIELD_VALUE),
            inline=True,
        )
        await send_ephemeral(interaction, embed=embed)

    # Settings ----------------------------------------------------------------------------

    @admin.command(
        name="audit-channel", description="Where to post who changed what (empty to stop)"
    )
    @app_commands.describe(channel="The channel for change notices; leave empty to turn them off")
    async def audit_channel(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        """Set or clear the audit channel."""
        assert interaction.guild_id is not None
        async with deferred_if_slow(interaction):
            await self.bot.service.settings.set_audit_channel(
                interaction.guild_id, channel.id if channel else None
            )
        if channel is None:
            await send_ephemeral(interaction, "Glossary changes are no longer posted anywhere.")
        else:
            await send_ephemeral(
                interaction, f"Glossary changes will be posted in {channel.mention}."
            )
        await audit(interaction, "audit channel", channel.name if channel else "off")

    async def _require_manager(self, interaction: discord.Interaction) -> bool:
        """Refuse unless the member has Manage Server: moderators must not grant moderation."""
        if manages_server(interaction):
            return True
        await send_ephemeral(interaction, ROLES_REFUSAL)
        return False

    async def _role_ids(self, guild_id: int) -> list[int]:
        """Return the stored moderator role ids."""
        return await self.bot.service.settings.moderator_roles(guild_id)

    @roles.command(name="add", description="Let members with this role edit the glossary")
    @app_commands.describe(role="The role")
    async def roles_add(self, interaction: discord.Interaction, role: discord.Role) -> None:
        """Add a moderator role."""
        if not await self._require_manager(interaction):
            return
        assert interaction.guild_id is not None
        role_ids = await self._role_ids(interaction.guild_id)
        if role.id in role_ids:
            await send_ephemeral(interaction, f"{role.mention} can already edit the glossary.")
            return
        async with deferred_if_slow(interaction):
            await self.bot.service.settings.set_moderator_roles(
                interaction.guild_id, [*role_ids, role.id]
            )
        await send_ephemeral(interaction, f"Members with {role.mention} can now edit the glossary.")
        await audit(interaction, "moderator role added", role.name)

    @roles.command(
        name="remove", description="Stop members with this role from editing the glossary"
    )
    @app_commands.describe(role="The role")
    async def roles_remove(self, interaction: discord.Interaction, role: discord.Role) -> None:
        """Remove a moderator role."""
        if not await self._require_manager(interaction):
            return
        assert interaction.guild_id is not None
        role_ids = await self._role_ids(interaction.guild_id)
        if role.id not in role_ids:
            await send_ephemeral(interaction, f"{role.mention} is not a glossary moderator role.")
            return
        kept = [role_id for role_id in role_ids if role_id != role.id]
        async with deferred_if_slow(interaction):
            await self.bot.service.settings.set_moderator_roles(interaction.guild_id, kept)
        await send_ephemeral(
            interaction, f"Members with {role.mention} can no longer edit the glossary."
        )
        await audit(interaction, "moderator role removed", role.name)

    @roles.command(name="list", description="Show the roles that may edit the glossary")
    async def roles_list(self, interaction: discord.Interaction) -> None:
        """List the moderator roles."""
        assert interaction.guild_id is not None
        role_ids = await self._role_ids(interaction.guild_id)
        names = ", ".join(f"<@&{role_id}>" for role_id in role_ids) or "none"
        await send_ephemeral(
            interaction,
            "Members with the Manage Server permission can always edit the glossary. "
            f"Moderator roles: {names}.",
        )
