"""The moderators' forms: add or edit an entry, pick an alias target; restart-proof."""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot import limits
from bot.client import report_error, send_ephemeral
from bot.glossary import schema
from bot.glossary.forms import (
    FormState,
    entry_from_form,
    form_custom_id,
    form_defaults,
    new_names_probe,
    typed_text,
)
from bot.glossary.models import Conflict, Entry
from bot.glossary.text import clip
from cogs.admin.flows import add_alias_flow, check_preview, find_live, save_entry
from cogs.admin.replies import Run, confirm_or_run
from cogs.permissions import bot_of, refusal, require_moderator

log = logging.getLogger(__name__)


# Modals. ----------------------------------------------------------------------------------


# Custom ids of the forms this process has open; any other submit is from an older one.
LIVE_FORMS: set[str] = set()
ALIAS_FORM_PREFIX = "galias:"
EXPIRED_FORM = (
    "This form is no longer active (it expired, or the bot restarted since), so nothing was "
    "changed. Your text is attached; run the command again and paste it in."
)


class ModeratorModal(discord.ui.Modal):
    """A modal that re-checks the moderator permission on submit and reports errors privately."""

    owner_id: int | None = None

    def stop(self) -> None:
        """Forget the form: a later submit of it is handled as one from before a restart."""
        LIVE_FORMS.discard(self.custom_id)
        super().stop()

    async def on_timeout(self) -> None:
        """Forget the form; its submit is still answered, by the stale-form handler."""
        LIVE_FORMS.discard(self.custom_id)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse anyone but the moderator who opened it, and members who lost the permission."""
        if self.owner_id is not None and interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, refusal(interaction))
            return False
        return await require_moderator(interaction, attachment=typed_file(self.typed()))

    def typed(self) -> list[tuple[str, str]]:
        """Return (label, value) of every field, to give the text back when saving fails."""
        return [
            (item.text, item.component.value)
            for item in self.walk_children()
            if isinstance(item, discord.ui.Label)
            and isinstance(item.component, discord.ui.TextInput)
        ]

    # Modal.on_error takes no item; discord.py's types declare it against View's signature.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
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


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of the entry form."""

    name: str
    label: str
    limit: int
    paragraph: bool = False  # several lines, and may be left empty
    placeholder: str | None = None

    @property
    def custom_id(self) -> str:
        """Return the id the input's value comes back under, also after a restart."""
        return f"entry:{self.name}"

    def input(self, default: str | None) -> discord.ui.TextInput[Any]:
        """Return the text input, filled with `default`."""
        return discord.ui.TextInput(
            custom_id=self.custom_id,
            style=discord.TextStyle.paragraph if self.paragraph else discord.TextStyle.short,
            required=not self.paragraph,
            max_length=self.limit,
            default=default or None,
            placeholder=self.placeholder,
        )


ENTRY_FIELDS = (
    FormField("term", "Term", schema.TERM_MAX, placeholder="Google Colab"),
    FormField(
        "aliases",
        "Aliases (comma-separated, or one per line)",
        limits.TEXT_INPUT_VALUE,
        paragraph=True,
        placeholder="colab, gcolab",
    ),
    FormField("summary", "Summary (one sentence)", schema.SUMMARY_MAX),
    FormField(
        "definition",
        "Definition (markup syntax)",
        limits.TEXT_INPUT_VALUE,
        paragraph=True,
        placeholder="- A bullet\n  - nested\n\n> Tip: a note\n\n1. a step",
    ),
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
            title=clip(title, limits.MODAL_TITLE), timeout=900, custom_id=form_custom_id(self.state)
        )
        self.category = category
        self.original = original
        self.after_save = after_save
        values = (
            form_defaults(original) if original is not None else {"term": term[: schema.TERM_MAX]}
        )
        self.inputs = {field.name: field.input(values.get(field.name)) for field in ENTRY_FIELDS}
        for field in ENTRY_FIELDS:
            self.add_item(discord.ui.Label(text=field.label, component=self.inputs[field.name]))
        LIVE_FORMS.add(self.custom_id)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        """Validate everything, warn about confusable names, then save."""
        values = {name: item.value for name, item in self.inputs.items()}
        await submit_entry(interaction, values, self.category, self.original, self.after_save)


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
        await save_entry(inner, entry, original, after_save)

    typed = [(field.label, values.get(field.name, "")) for field in ENTRY_FIELDS]
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


async def answer_expired_form(interaction: discord.Interaction) -> None:
    """Answer a form nothing live handles and that cannot be applied: give its text back."""
    typed = [(name, value) for name, value in submitted_values(interaction.data).items()]
    try:
        await send_ephemeral(interaction, EXPIRED_FORM, file=typed_file(typed))
    except discord.HTTPException:
        log.warning("Could not answer an expired form (interaction %s)", interaction.id)


async def submit_stale_form(interaction: discord.Interaction, state: FormState) -> None:
    """Apply an entry form opened before a restart if that is safe; else give its text back."""
    typed = submitted_values(interaction.data)
    values = {field.name: typed.get(field.custom_id, "") for field in ENTRY_FIELDS}
    labelled = [(field.label, values[field.name]) for field in ENTRY_FIELDS]
    try:
        if not await require_moderator(interaction, attachment=typed_file(labelled)):
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
        super().__init__(
            title="Add as an alias",
            timeout=600,
            custom_id=f"{ALIAS_FORM_PREFIX}{secrets.token_hex(4)}",
        )
        self.alias = alias
        self.after_save = after_save
        self.target: discord.ui.TextInput[AliasTargetModal] = discord.ui.TextInput(
            custom_id="alias:target",
            max_length=schema.TERM_MAX,
            placeholder="The existing term, e.g. Google Colab",
        )
        self.add_item(
            discord.ui.Label(
                text=clip(f"Which entry should '{alias}' lead to?", limits.MODAL_TITLE),
                component=self.target,
            )
        )
        LIVE_FORMS.add(self.custom_id)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        """Add the alias to the named entry."""
        entry = find_live(bot_of(interaction), self.target.value)
        await add_alias_flow(interaction, entry, self.alias, after_save=self.after_save)
