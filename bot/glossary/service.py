"""The one place that reads and changes the glossary and keeps the in-memory indexes fresh."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from bot.glossary import codec, schema, yamlio
from bot.glossary.detect import Detector, Mode
from bot.glossary.learning import PendingMisses
from bot.glossary.matcher import Hit, LookupResult, Matcher
from bot.glossary.models import Conflict, Entry, NotFound, Revision, ValidationError
from bot.glossary.server_settings import ServerSettings
from bot.glossary.text import normalize
from bot.glossary.usage import UsageBuffer
from bot.storage.repository import ImportPlan, Repository
from bot.storage.usage import LearnedName

log = logging.getLogger(__name__)

# Names this close to another entry's name are probably a mistake; moderators may insist.
CONFUSABLE_SCORE = 88


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a Discord user, or a named tool such as the CLI."""

    id: int | None
    name: str


CLI_ACTOR = Actor(None, "cli")


class GlossaryService:
    """Lookups against immutable indexes; writes through the repository, then re-index."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.settings = ServerSettings(repo)
        self._entries: dict[str, Entry] = {}
        self.matcher = Matcher(())
        self.detector = Detector(())
        self._write_lock = asyncio.Lock()
        self._usage = UsageBuffer()
        self._data_version = 0
        self._pending_misses = PendingMisses()

    @classmethod
    async def open(
        cls,
        db_path: str | Path,
        *,
        seed_path: Path | None = None,
        create: bool = True,
        read_only: bool = False,
    ) -> GlossaryService:
        """Open the store, seed a database this bot created from the YAML glossary, index it."""
        repo = await Repository.open(db_path, create=create, read_only=read_only)
        try:
            # Only a file this bot made carries the mark: an emptied or foreign one is never seeded.
            if not repo.read_only and await repo.seed_pending():
                seeded = await repo.seed(yamlio.load_seed(seed_path))
                await repo.clear_seed_pending()
                log.info("Seeded the new glossary with %d entries", seeded)
            service = cls(repo)
            await service.refresh()
        except BaseException:
            await repo.close()
            raise
        return service

    async def close(self) -> None:
        """Write pending counts and close the store."""
        try:
            await self.flush_usage()
        except Exception:
            log.warning("Could not save the last lookup counts", exc_info=True)
        await self.repo.close()

    async def refresh(self) -> None:
        """Rebuild the matcher and detector from the store."""
        self._data_version = await self.repo.data_version()
        entries = await self.repo.list_entries()
        popularity = await self.repo.popularity()
        popularity.update({key: popularity.get(key, 0) + n for key, n in self._usage.uses.items()})
        # Indexing 10,000 entries takes most of a second: keep the event loop (heartbeats,
        # other members' lookups) running meanwhile, then swap everything at once.
        matcher, detector = await asyncio.to_thread(_build_indexes, entries, popularity)
        self._entries = {entry.key: entry for entry in entries}
        self.matcher, self.detector = matcher, detector

    async def refresh_if_changed_elsewhere(self) -> bool:
        """Re-index when another process (a CLI import, say) changed the database."""
        if await self.repo.data_version() == self._data_version:
            return False
        # Settings changed by another process take effect like its entry changes do.
        self.settings.forget()
        async with self._write_lock:
            await self.refresh()
        log.info("The glossary changed outside the bot; reloaded %d entries", len(self._entries))
        return True

    # Reads -------------------------------------------------------------------------------

    @property
    def entries(self) -> list[Entry]:
        """Return every live entry, sorted by key."""
        return list(self._entries.values())

    def get(self, key: str) -> Entry | None:
        """Return the live entry with this key."""
        return self._entries.get(key)

    def require(self, key: str) -> Entry:
        """Return the live entry with this key or raise NotFound."""
        entry = self._entries.get(key)
        if entry is None:
            raise NotFound(f"There is no glossary entry `{key}`.")
        return entry

    def lookup(self, query: str) -> LookupResult:
        """Find the entry a member means, without recording anything."""
        return self.matcher.lookup(query)

    def resolve(self, value: str) -> LookupResult:
        """Resolve an autocomplete value (an entry key) or, failing that, free text."""
        entry = self._entries.get(value)
        if entry is not None:
            return LookupResult(value, Hit(entry, 100.0, entry.term, "exact"), ())
        return self.matcher.lookup(value)

    async def define(self, query: str) -> LookupResult:
        """Resolve a member's query and count the use or the miss."""
        result = self.resolve(query)
        if result.match is not None:
            self.record_use(result.match.entry.key)
        else:
            self._usage.miss(query)
        return result

    def record_use(self, key: str) -> None:
        """Count one use of an entry; written to the store by `flush_usage`."""
        # Lookups never wait for a disk write (or a busy database): counts are batched.
        self._usage.use(key)

    async def flush_usage(self) -> None:
        """Write pending use and miss counts; keep them for the next try if the store refuses."""
        pending = self._usage.drain()
        if not pending:
            return
        try:
            await self.repo.record_counts(pending.uses, pending.misses)
        except Exception:
            self._usage.merge(pending)
            raise

    def compare(self, query: str) -> tuple[Entry, Entry] | None:
        """Return the two entries a comparison names ("bitrate vs bit depth"), if both match."""
        return self.matcher.compare(query)

    def autocomplete(self, text: str, limit: int = 25) -> list[Hit]:
        """Return ranked choices for a partially typed term."""
        return self.matcher.autocomplete(text, limit)

    def scan(
        self, message: str, mode: Mode = "question", exclude: Iterable[str] = ()
    ) -> list[Entry]:
        """Return the entries a chat message asks about."""
        return self.detector.scan(message, mode, exclude=frozenset(exclude))

    async def search(
        self, text: str, *, limit: int = 10, offset: int = 0
    ) -> list[tuple[Entry, str]]:
        """Full-text search over definitions: (entry, snippet) pairs, best first."""
        found = await self.repo.search(text, limit=limit, offset=offset)
        return [(self._entries[key], snippet) for key, snippet in found if key in self._entries]

    async def history(self, key: str, *, limit: int = 20, offset: int = 0) -> list[Revision]:
        """Return an entry's revisions, newest first."""
        if await self.repo.get_entry(key, include_deleted=True) is None:
            raise NotFound(f"There is no glossary entry `{key}`.")
        return await self.repo.history(key, limit=limit, offset=offset)

    def export(self) -> str:
        """Return the glossary in the data/glossary.yaml format."""
        return yamlio.dump_document(self.entries)

    # Validation --------------------------------------------------------------------------

    def validate(self, entry: Entry) -> None:
        """Raise ValidationError listing every problem of an entry about to be saved."""
        problems = schema.validate_entry_dict(codec.entry_to_dict(entry))
        for key in entry.related:
            if key == entry.key:
                problems.append(f"{entry.key}: an entry cannot be related to itself")
            elif key not in self._entries:
                problems.append(f"{entry.key}: related entry `{key}` does not exist")
        if problems:
            raise ValidationError(f"`{entry.key}` cannot be saved.", problems=problems)

    def confusables(self, entry: Entry) -> list[str]:
        """Return warnings for names that are near-duplicates of another entry's names."""
        warnings: list[str] = []
        others = [
            (other, normalize(name))
            for other in self.entries
            if other.key != entry.key
            for name in other.names
        ]
        for name in entry.names:
            norm = normalize(name)
            for other, other_norm in others:
                if norm != other_norm and fuzz.ratio(norm, other_norm) >= CONFUSABLE_SCORE:
                    warnings.append(f"'{name}' looks like '{other_norm}' of **{other.term}**")
                    break
        return warnings

    # Writes ------------------------------------------------------------------------------

    async def create(self, entry: Entry, actor: Actor) -> Entry:
        """Add a new entry."""
        self.validate(entry)
        async with self._write_lock:
            saved = await self.repo.create_entry(entry, author_id=actor.id, author_name=actor.name)
            await self.refresh()
        return saved

    async def update(
        self, entry: Entry, actor: Actor, *, expected_version: int, action: str = "edit"
    ) -> Entry:
        """Save new content for an existing entry if nobody changed it since it was read."""
        self.validate(entry)
        async with self._write_lock:
            saved = await self.repo.update_entry(
                entry,
                expected_version=expected_version,
                author_id=actor.id,
                author_name=actor.name,
                action=action,
            )
            await self.refresh()
        return saved

    async def add_alias(self, key: str, alias: str, actor: Actor) -> Entry:
        """Add one alias to an entry."""
        entry = self.require(key)
        if normalize(alias) in {normalize(name) for name in entry.names}:
            raise Conflict(f"'{alias}' is already a name of **{entry.term}**.")
        changed = dataclasses.replace(entry, aliases=(*entry.aliases, alias.strip()))
        return await self.update(changed, actor, expected_version=entry.version, action="alias")

    async def remove_alias(self, key: str, alias: str, actor: Actor) -> Entry:
        """Remove one alias from an entry."""
        entry = self.require(key)
        norm = normalize(alias)
        kept = tuple(name for name in entry.aliases if normalize(name) != norm)
        if len(kept) == len(entry.aliases):
            raise NotFound(f"'{alias}' is not an alias of **{entry.term}**.")
        changed = dataclasses.replace(entry, aliases=kept)
        return await self.update(changed, actor, expected_version=entry.version, action="alias")

    async def rename(self, key: str, term: str, actor: Actor) -> Entry:
        """Change an entry's display term; the old term stays findable as an alias."""
        entry = self.require(key)
        term = term.strip()
        old_norm, new_norm = normalize(entry.term), normalize(term)
        aliases = [name for name in entry.aliases if normalize(name) != new_norm]
        if old_norm != new_norm and old_norm not in {normalize(name) for name in aliases}:
            aliases.append(entry.term)
        changed = dataclasses.replace(entry, term=term, aliases=tuple(aliases))
        return await self.update(changed, actor, expected_version=entry.version, action="rename")

    async def delete(self, key: str, actor: Actor, *, expected_version: int | None = None) -> Entry:
        """Soft-delete an entry; `restore` brings it back."""
        async with self._write_lock:
            deleted = await self.repo.delete_entry(
                key, author_id=actor.id, author_name=actor.name, expected_version=expected_version
            )
            await self.refresh()
        return deleted

    async def restore(self, key: str, actor: Actor) -> Entry:
        """Undo a soft delete."""
        async with self._write_lock:
            restored = await self.repo.restore_entry(
                key, author_id=actor.id, author_name=actor.name
            )
            await self.refresh()
        return restored

    async def revert(
        self, key: str, revision_id: int, actor: Actor, *, expected_version: int | None = None
    ) -> Entry:
        """Restore the content of an earlier revision as a new revision."""
        async with self._write_lock:
            reverted = await self.repo.revert_entry(
                key,
                revision_id,
                expected_version=expected_version,
                author_id=actor.id,
                author_name=actor.name,
            )
            await self.refresh()
        return reverted

    async def plan_import(self, raw: bytes | str) -> tuple[list[Entry], ImportPlan]:
        """Validate a whole YAML document and return its entries with what importing would do."""
        entries = yamlio.load_document(raw)
        return entries, await self.repo.plan_import(entries)

    async def apply_import(self, entries: list[Entry], actor: Actor) -> ImportPlan:
        """Make the glossary equal to `entries` in one transaction."""
        async with self._write_lock:
            plan = await self.repo.apply_import(entries, author_id=actor.id, author_name=actor.name)
            await self.refresh()
        return plan

    # Aliases learned from members ------------------------------------------------------

    def note_missed(self, member_id: int, result: LookupResult) -> None:
        """Remember the suggestions a member was offered for a lookup that missed."""
        keys = [hit.entry.key for hit in result.suggestions]
        self._pending_misses.note(member_id, result.query, keys, time.monotonic())

    async def note_opened(self, member_id: int, key: str) -> bool:
        """Count a member opening `key` from their missed lookup's suggestions; return if so."""
        query = self._pending_misses.chosen(member_id, key, time.monotonic())
        if query is None:
            return False
        await self.repo.record_choice(query, key)
        return True

    async def learned_aliases(self, limit: int = 10) -> list[LearnedName]:
        """Return learned (query, entry) pairs that would still be new names for the entry."""
        found = await self.repo.learned_names(limit * 2)
        # Once a query finds its entry (an alias was added since), the pair has done its job.
        fresh = [
            pair
            for pair in found
            if (match := self.lookup(pair.query).match) is None or match.entry.key != pair.entry_key
        ]
        return fresh[:limit]

    async def apply_learned(self, pair: LearnedName, actor: Actor) -> Entry:
        """Add a learned query as an alias of its entry and clear it from both queues."""
        entry = await self.add_alias(pair.entry_key, pair.query, actor)
        await self.forget_learned(pair)
        return entry

    async def forget_learned(self, pair: LearnedName) -> None:
        """Clear a learned pair, and the miss it came from, from the moderators' queues."""
        await self.repo.dismiss_learned(pair.query, pair.entry_key)
        await self.repo.dismiss_miss(pair.query)


def _build_indexes(entries: list[Entry], popularity: dict[str, int]) -> tuple[Matcher, Detector]:
    """Return the lookup index and the chat detector, which forgives typos through it."""
    matcher = Matcher(entries, popularity=popularity)
    return matcher, Detector(entries, typos=matcher)
