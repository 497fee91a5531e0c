"""What moderators type into the add/edit dialog, read into entries and written back."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot import limits
from bot.glossary.markup import format_definition, parse_definition
from bot.glossary.models import Entry, ValidationError
from bot.glossary.text import clip, normalize, slugify


def split_aliases(raw: str) -> tuple[str, ...]:
    """Read aliases typed one per line, or comma-separated on a single line."""
    text = raw.replace("\r\n", "\n").strip()
    # One per line lets an alias contain a comma ("Hello, world"); otherwise commas separate.
    parts = text.split("\n") if "\n" in text else text.split(",")
    aliases: list[str] = []
    for part in parts:
        alias = part.strip()
        if alias and alias not in aliases:
            aliases.append(alias)
    return tuple(aliases)


def join_aliases(aliases: Sequence[str]) -> str:
    """Write aliases the way split_aliases reads them back."""
    if any("," in alias for alias in aliases):
        return "\n".join(aliases)
    return ", ".join(aliases)


def entry_from_form(
    *,
    term: str,
    aliases: str,
    summary: str,
    definition: str,
    category: str,
    original: Entry | None,
) -> Entry:
    """Build the entry a moderator typed into the add/edit modal; raise ValidationError."""
    term = term.strip()
    key = original.key if original is not None else slugify(term)
    if not key:
        raise ValidationError(
            f"'{clip(term, 80)}' cannot be turned into an entry key; "
            "the term needs at least one latin letter or digit."
        )
    body = parse_definition(definition) if definition.strip() else ()
    base = original or Entry(key=key, term=term, summary="")
    return dataclasses.replace(
        base,
        term=term,
        aliases=split_aliases(aliases),
        # A pasted summary may carry line breaks; the summary is one line.
        summary=" ".join(summary.split()),
        category=category,
        body=body,
    )


def form_defaults(entry: Entry) -> dict[str, str]:
    """Return the current content as modal values; ValidationError if one cannot fit."""
    values = {
        "term": entry.term,
        "aliases": join_aliases(entry.aliases),
        "summary": entry.summary,
        "definition": format_definition(entry.body),
    }
    too_long = [name for name, value in values.items() if len(value) > limits.TEXT_INPUT_VALUE]
    if too_long:
        sizes = ", ".join(f"{name} is {len(values[name])} characters" for name in too_long)
        raise ValidationError(
            f"**{entry.term}** is too long to edit in a Discord dialog ({sizes}; the limit is "
            f"{limits.TEXT_INPUT_VALUE}). Edit it with `/glossary-admin export` and `import` "
            "instead."
        )
    return values


def new_names_probe(entry: Entry, original: Entry | None) -> Entry | None:
    """Return `entry` reduced to the names it adds, for the confusable-name check, or None."""
    old = {normalize(name) for name in original.names} if original is not None else set()
    added = [name for name in entry.names if normalize(name) not in old]
    if not added:
        return None
    return dataclasses.replace(entry, term=added[0], aliases=tuple(added[1:]))


# Entry forms survive restarts: the form's custom id carries what is needed to apply it safely.
FORM_PREFIX = "gform"


@dataclasses.dataclass(frozen=True, slots=True)
class FormState:
    """What an entry form was opened for: a unique token, its category, the entry's version."""

    token: str
    category: str
    key: str | None = None  # None: a new entry
    version: int | None = None


def form_custom_id(state: FormState) -> str:
    """Return the custom id of an entry form (at most 100 characters, Discord's limit)."""
    target = f"{state.version}:{state.key}" if state.key is not None else "new"
    return f"{FORM_PREFIX}:{state.token}:{state.category}:{target}"[:100]


def parse_form_custom_id(custom_id: str) -> FormState | None:
    """Return the state an entry form's custom id carries, or None if it is not one."""
    parts = custom_id.split(":", 4)
    if len(parts) < 4 or parts[0] != FORM_PREFIX or not parts[1] or not parts[2]:
        return None
    if len(parts) == 4 and parts[3] == "new":
        return FormState(parts[1], parts[2])
    if len(parts) == 5 and parts[3].isdigit() and parts[4]:
        return FormState(parts[1], parts[2], parts[4], int(parts[3]))
    return None


def typed_text(values: Sequence[tuple[str, str]]) -> str:
    """Return what a moderator typed into a form, labelled, so it can be pasted again."""
    return "\n\n".join(f"{label}:\n{value}" for label, value in values if value.strip())
