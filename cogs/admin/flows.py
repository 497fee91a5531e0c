"""The steps every way of changing an entry shares: save, preview, find, alias."""

from __future__ import annotations

import dataclasses
import logging

import discord

from bot.client import GlossaryBot
from bot.glossary.diff import diff_entries
from bot.glossary.forms import (
    new_names_probe,
)
from bot.glossary.models import Conflict, Entry, NotFound, ValidationError
from bot.glossary.text import clip, normalize
from cogs.admin.replies import Run, actor_of, audit, confirm_or_run, reply
from cogs.permissions import bot_of
from cogs.ui import (
    deferred_if_slow,
    entry_message,
)

log = logging.getLogger(__name__)


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
