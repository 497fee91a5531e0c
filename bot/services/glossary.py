"""The one place that reads and changes the glossary and keeps the in-memory indexes fresh."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from rapidfuzz import fuzz, process

from bot.gcpause import paused_gc, thaw
from bot.glossary import codec, schema, yamlio
from bot.glossary.cooldowns import Cooldowns
from bot.glossary.detect import Detector, Mode
from bot.glossary.learning import PendingMisses
from bot.glossary.matcher import Hit, LookupResult, Matcher
from bot.glossary.models import Conflict, Entry, NotFound, Revision, Snippet, ValidationError
from bot.glossary.text import normalize
from bot.glossary.usage import UsageBuffer
from bot.services.server_settings import ServerSettings
from bot.slices import empty
from bot.storage.repository import ImportPlan, Repository
from bot.storage.usage import LearnedName

# What the cogs use of the store's types comes through the service, the one seam they see.
__all__ = ["CLI_ACTOR", "Actor", "GlossaryService", "ImportPlan", "LearnedName", "Usage"]

log = logging.getLogger(__name__)

# Names this close to another entry's name are probably a mistake; moderators may insist.
CONFUSABLE_SCORE = 88
# Rows read at a time from a ranked list that is filtered in memory.
RANKED_PAGE = 200
Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class Usage:
    """Lookup statistics for moderators."""

    days: list[tuple[str, int, int]]  # (day, hits, misses), oldest first
    top_entries: list[tuple[str, int]]
    top_misses: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a Discord user, or a named tool such as the CLI."""

    id: int | None
    name: str


CLI_ACTOR = Actor(None, "cli")


def dangling_related(entries: Iterable[Entry], keys: Collection[str]) -> list[str]:
    """Return a warning for each related key that names none of `keys`."""
    return [
        f"{entry.key}: related entry `{target}` does not exist; it stays hidden until it does"
        for entry in entries
        for target in entry.related
        if target not in keys
    ]


def _dangling_in(entries: Sequence[Entry]) -> list[str]:
    """Return a warning for each related key that names no entry of the same document."""
    return dangling_related(entries, {entry.key for entry in entries})


@paused_gc()
def _load_document(
    raw: bytes | str, max_bytes: int, progress: yamlio.Progress | None
) -> list[Entry]:
    """Parse and validate a glossary document (in a worker thread)."""
    return yamlio.load_document(raw, max_bytes=max_bytes, progress=progress)


@dataclass(frozen=True, slots=True)
class _Indexes:
    """What is rebuilt whole, in a worker thread, after writes: the detector and a name list."""

    detector: Detector
    # Every normalised name and its entry, in key order: what `confusables` compares against.
    names: list[str]
    owners: list[Entry]

    @classmethod
    def build(cls, entries: Sequence[Entry], matcher: Matcher) -> _Indexes:
        """Index `entries` (sorted by key); `matcher` indexes the same entries."""
        names: list[str] = []
        owners: list[Entry] = []
        for entry in entries:
            for name in entry.names:
                names.append(normalize(name))
                owners.append(entry)
        # The detector forgives typos in chat questions through the matcher.
        return cls(Detector(entries, typos=matcher), names, owners)

    def dismantle(self) -> None:
        """Empty the name lists a slice at a time (in a worker thread, once unused)."""
        empty(self.names)
        empty(self.owners)


@paused_gc()
def _build_all(entries: Sequence[Entry], popularity: dict[str, int]) -> tuple[Matcher, _Indexes]:
    """Build the matcher and the other indexes from scratch (in a worker thread)."""
    matcher = Matcher(entries, popularity=popularity)
    return matcher, _Indexes.build(entries, matcher)


def _dismantle(indexes: list[_Indexes], matchers: list[Matcher]) -> None:
    """Free indexes nothing uses any more, a slice at a time (in a worker thread)."""
    # Freeing a big index in one go holds the GIL as long as a long sort would. The detector
    # goes first: the matcher's entry map, emptied last, then frees entries one at a time.
    for index in indexes:
        index.dismantle()
    indexes.clear()
    for matcher in matchers:
        matcher.dismantle()
    matchers.clear()


def _by_key(entry: Entry) -> str:
    """Return an entry's key, the order of `GlossaryService.entries`."""
    return entry.key


class GlossaryService:
    """Lookups against in-memory indexes; writes through the repository, then re-index.

    A write updates the entry map and the matcher for that one entry at once, so lookups and
    autocomplete see it when the writer's call returns, whatever the glossary's size. The
    detector and the name list are then rebuilt in a worker thread, one rebuild shared by
    every write that landed meanwhile, and swapped in whole. A reload of the whole glossary
    (an import, a change by another process) rebuilds the matcher too, off the event loop.
    """

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.settings = ServerSettings(repo)
        self._entries: dict[str, Entry] = {}
        self._sorted: list[Entry] = []  # the live entries by key
        self.matcher = Matcher()
        self._indexes = _Indexes.build((), self.matcher)
        self.detector = self._indexes.detector
        self._write_lock = asyncio.Lock()
        self._index_lock = asyncio.Lock()
        self._reloaded = False  # the entry map was replaced whole: the matcher must be rebuilt
        # Keys written while a new matcher is built, to put into it before it is swapped in.
        self._journal: set[str] | None = None
        self._changes = 0  # entry-map changes so far
        self._indexed = 0  # changes the current detector and name list include
        self._catching_up: asyncio.Task[None] | None = None
        self._popularity: dict[str, int] = {}
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
        if self._catching_up is not None:
            self._catching_up.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._catching_up
        try:
            await self.flush_usage()
        except Exception:
            log.warning("Could not save the last lookup counts", exc_info=True)
        await self.repo.close()
        thaw()

    async def refresh(self) -> None:
        """Reload every entry from the store and rebuild the matcher and detector."""
        await self._reload()
        await self.indexes_ready()

    async def _reload(self) -> None:
        """Reload the entry map, popularity and settings from the store; the indexes follow."""
        # Taking in the current data version takes in other processes' settings changes too.
        self.settings.forget()
        self._data_version = await self.repo.data_version()
        entries = await self.repo.list_entries()
        popularity = await self.repo.popularity()
        popularity.update({key: popularity.get(key, 0) + n for key, n in self._usage.uses.items()})
        self._popularity = popularity
        self._entries = {entry.key: entry for entry in entries}
        self._sorted = entries
        self._reloaded = True
        self._changes += 1

    def _put(self, entry: Entry | None, key: str) -> None:
        """Show one entry's new state (None: gone) in the entry map and the matcher at once."""
        position = bisect_left(self._sorted, key, key=_by_key)
        present = position < len(self._sorted) and self._sorted[position].key == key
        if entry is None:
            self._entries.pop(key, None)
            if present:
                del self._sorted[position]
            self.matcher.discard(key)
        else:
            self._entries[key] = entry
            if present:
                self._sorted[position] = entry
            else:
                self._sorted.insert(position, entry)
            self.matcher.put(entry)
        if self._journal is not None:
            self._journal.add(key)
        self._changes += 1
        if self._catching_up is None or self._catching_up.done():
            self._catching_up = asyncio.get_running_loop().create_task(self._catch_up())

    async def _catch_up(self) -> None:
        """Rebuild the detector and name list after writes, in the background."""
        try:
            while self._reloaded or self._indexed < self._changes:
                await self._reindex()
        except Exception:
            log.exception("Could not rebuild the detector; automatic replies use the previous one")

    async def _reindex(self, *, matcher_only: bool = False) -> None:
        """Bring the indexes up to date with the entry map, off the event loop."""
        async with self._index_lock:
            if self._reloaded:
                await self._rebuild_all()
            elif self._indexed < self._changes and not matcher_only:
                # Writes that land while this one builds wait for the next, shared, rebuild.
                target = self._changes
                indexes = await asyncio.to_thread(_Indexes.build, list(self._sorted), self.matcher)
                retired = [self._indexes]
                self._indexes, self.detector = indexes, indexes.detector
                self._indexed = target
                await asyncio.to_thread(_dismantle, retired, [])

    async def _rebuild_all(self) -> None:
        """Build every index from the reloaded entry map and swap them in."""
        self._reloaded = False
        self._journal = set()
        target = self._changes
        try:
            matcher, indexes = await asyncio.to_thread(
                _build_all, list(self._sorted), dict(self._popularity)
            )
        except BaseException:
            self._reloaded = True
            raise
        finally:
            journal, self._journal = self._journal, None
        # Writes that landed during the build went to the old matcher: replay them.
        for key in journal:
            entry = self._entries.get(key)
            if entry is None:
                matcher.discard(key)
            else:
                matcher.put(entry)
        retired = ([self._indexes], [self.matcher])
        self.matcher, self._indexes, self.detector = matcher, indexes, indexes.detector
        self._indexed = target
        await asyncio.to_thread(_dismantle, *retired)

    async def indexes_ready(self) -> None:
        """Wait until lookups, autocomplete and detection include every write so far."""
        while self._reloaded or self._indexed < self._changes:
            # Shielded: a cancelled caller must not leave the indexes behind the entry map.
            await asyncio.shield(self._reindex())

    async def _matcher_ready(self) -> None:
        """Wait until lookups and autocomplete include every write so far."""
        while self._reloaded or self._journal is not None:
            await asyncio.shield(self._reindex(matcher_only=True))

    async def refresh_if_changed_elsewhere(self) -> bool:
        """Re-index when another process (a CLI import, say) changed the database."""
        if await self.repo.data_version() == self._data_version:
            return False
        async with self._write_lock:
            await self._reload()
        await self.indexes_ready()
        log.info("The glossary changed outside the bot; reloaded %d entries", len(self._entries))
        return True

    # Reads -------------------------------------------------------------------------------

    @property
    def entries(self) -> list[Entry]:
        """Return every live entry, sorted by key."""
        return list(self._sorted)

    def related_entries(self, entry: Entry) -> list[Entry]:
        """Return the live entries `entry` lists as related; dangling keys stay hidden."""
        return [other for key in entry.related if (other := self._entries.get(key)) is not None]

    def warnings(self, entry: Entry) -> list[str]:
        """Return what a moderator should know before saving `entry` (nothing blocks it)."""
        return dangling_related([entry], self._entries)

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

    async def define(self, query: str, *, count_miss: bool = True) -> LookupResult:
        """Resolve a member's query and count the use or (when `count_miss`) the miss."""
        result = self.resolve(query)
        if result.match is not None:
            self.record_use(result.match.entry.key)
        elif count_miss:
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
        found = self.detector.scan(message, mode, exclude=frozenset(exclude))
        # The detector may trail a write by one rebuild: answer with the entries as they are.
        current = (self._entries.get(entry.key) for entry in found)
        return [entry for entry in current if entry is not None and entry.autoreply]

    async def search(
        self, text: str, *, limit: int = 10, offset: int = 0
    ) -> list[tuple[Entry, Snippet]]:
        """Full-text search over definitions: (entry, snippet) pairs, best first."""
        found = await self.repo.search(text, limit=limit, offset=offset)
        return [(self._entries[key], snippet) for key, snippet in found if key in self._entries]

    async def deleted_entries(self) -> list[Entry]:
        """Return the soft-deleted entries, most recently deleted first."""
        return await self.repo.deleted_entries()

    async def get_any(self, key: str) -> Entry | None:
        """Return the entry with this key, live or deleted."""
        return await self.repo.get_entry(key, include_deleted=True)

    async def count_revisions(self, key: str) -> int:
        """Return how many revisions an entry has."""
        return await self.repo.count_revisions(key)

    async def count_search(self, text: str) -> int:
        """Return how many entries a full-text search finds."""
        return await self.repo.count_search(text)

    async def top_misses(self, limit: int) -> list[tuple[str, int]]:
        """Return the most frequent lookups that found nothing, with counts, pending first."""
        await self._try_flush_usage()
        return await self._open_misses(limit)

    async def _try_flush_usage(self) -> None:
        """Write pending counts before showing figures; a refusing store only makes them older."""
        try:
            await self.flush_usage()
        except Exception:
            log.warning("Could not write pending lookup counts; showing the stored ones")

    async def _open_misses(self, limit: int) -> list[tuple[str, int]]:
        """Return up to `limit` top misses that the glossary still does not answer."""
        # A miss the glossary answers now (an entry or alias added since, by any way, even a
        # form submitted after a restart) is no gap any more, however often it was looked up.
        return await _first_ranked(
            self.repo.top_misses, lambda row: self.lookup(row[0]).match is None, limit
        )

    async def dismiss_miss(self, query: str) -> None:
        """Hide a missed lookup until someone looks it up again."""
        await self.repo.dismiss_miss(query)

    async def usage(self, days: int, top: int) -> Usage:
        """Return lookups per day, the most used entries and the most frequent misses."""
        await self._try_flush_usage()
        return Usage(
            await self.repo.daily_counts(days),
            await self.repo.top_entries(top),
            await self._open_misses(top),
        )

    async def load_cooldowns(self, cooldowns: Cooldowns) -> int:
        """Restore the auto-reply cooldowns saved before a restart; return how many."""
        return await cooldowns.load(self.repo)

    async def save_cooldowns(self, cooldowns: Cooldowns) -> None:
        """Save the active auto-reply cooldowns."""
        await cooldowns.save(self.repo)

    async def history(self, key: str, *, limit: int = 20, offset: int = 0) -> list[Revision]:
        """Return an entry's revisions, newest first."""
        if await self.repo.get_entry(key, include_deleted=True) is None:
            raise NotFound(f"There is no glossary entry `{key}`.")
        return await self.repo.history(key, limit=limit, offset=offset)

    def export(self) -> str:
        """Return the glossary in the data/glossary.yaml format."""
        return yamlio.dump_document(self.entries)

    async def export_document(self) -> str:
        """Return the glossary in the data/glossary.yaml format, written off the event loop."""
        # PyYAML's emitter is pure Python: 20,000 entries take seconds.
        return await asyncio.to_thread(yamlio.dump_document, self.entries)

    # Validation --------------------------------------------------------------------------

    def validate(self, entry: Entry) -> None:
        """Raise ValidationError listing every problem of an entry about to be saved."""
        # A related key naming no live entry is allowed (see `warnings`): deleting an entry
        # must never make the entries that point to it impossible to save.
        problems = schema.validate_entry_dict(codec.entry_to_dict(entry))
        if problems:
            raise ValidationError(f"`{entry.key}` cannot be saved.", problems=problems)

    def confusables(self, entry: Entry) -> list[str]:
        """Return warnings for names that are near-duplicates of another entry's names."""
        warnings: list[str] = []
        indexes = self._indexes
        for name in entry.names:
            norm = normalize(name)
            # rapidfuzz scans all names in C: 200,000 names take milliseconds, not a second.
            near = process.extract_iter(
                norm, indexes.names, scorer=fuzz.ratio, score_cutoff=CONFUSABLE_SCORE
            )
            for other_norm, _, index in near:
                other = self._entries.get(indexes.owners[index].key)
                if other is not None and other.key != entry.key and other_norm != norm:
                    warnings.append(f"'{name}' looks like '{other_norm}' of **{other.term}**")
                    break
        return warnings

    # Writes ------------------------------------------------------------------------------

    async def create(self, entry: Entry, actor: Actor) -> Entry:
        """Add a new entry."""
        self.validate(entry)
        async with self._write_lock:
            saved = await self.repo.create_entry(entry, author_id=actor.id, author_name=actor.name)
            self._put(saved, saved.key)
        await self._matcher_ready()
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
            self._put(saved, saved.key)
        await self._matcher_ready()
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
            self._put(None, key)
        await self._matcher_ready()
        return deleted

    async def restore(self, key: str, actor: Actor) -> Entry:
        """Undo a soft delete."""
        async with self._write_lock:
            restored = await self.repo.restore_entry(
                key, author_id=actor.id, author_name=actor.name
            )
            self._put(restored, key)
        await self._matcher_ready()
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
            self._put(reverted, key)
        await self._matcher_ready()
        return reverted

    async def plan_import(
        self,
        raw: bytes | str,
        *,
        max_bytes: int = yamlio.MAX_DOCUMENT_BYTES,
        progress: yamlio.Progress | None = None,
    ) -> ImportPlan:
        """Validate a whole YAML document once and return what importing it would do.

        The plan holds the parsed entries and the version of every live entry: give it to
        `apply_import`, which writes exactly that or refuses if anything changed meanwhile.
        """
        # Parsing and validating a big file takes seconds of pure CPU: not on the event loop.
        entries = await asyncio.to_thread(_load_document, raw, max_bytes, progress)
        plan = await self.repo.plan_import(entries)
        plan.warnings = await asyncio.to_thread(_dangling_in, entries)
        return plan

    async def apply_import(self, plan: ImportPlan, actor: Actor) -> ImportPlan:
        """Make the glossary equal to the plan's entries in one transaction.

        Raises StaleImport (a Conflict) naming the entries that changed since the plan was made.
        """
        async with self._write_lock:
            applied = await self.repo.apply_import(plan, author_id=actor.id, author_name=actor.name)
            await self._reload()
        # A plan applies once; its entries, freed whole on the event loop, would stall it.
        await asyncio.to_thread(empty, plan.entries)
        await self.indexes_ready()
        return applied

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
        # Once a query finds its entry (an alias was added since), the pair has done its job.
        return await _first_ranked(
            self.repo.learned_names,
            lambda pair: (
                (match := self.lookup(pair.query).match) is None
                or match.entry.key != pair.entry_key
            ),
            limit,
        )

    async def apply_learned(self, pair: LearnedName, actor: Actor) -> Entry:
        """Add a learned query as an alias of its entry and clear it from both queues."""
        entry = await self.add_alias(pair.entry_key, pair.query, actor)
        await self.forget_learned(pair)
        return entry

    async def dismiss_learned(self, pair: LearnedName) -> None:
        """Clear a learned pair only; the miss it came from stays in the queue."""
        await self.repo.dismiss_learned(pair.query, pair.entry_key)

    async def forget_learned(self, pair: LearnedName) -> None:
        """Clear a learned pair, and the miss it came from, from the moderators' queues."""
        await self.repo.dismiss_learned(pair.query, pair.entry_key)
        await self.repo.dismiss_miss(pair.query)


async def _first_ranked(
    read: Callable[[int, int], Awaitable[list[Row]]], keep: Callable[[Row], bool], limit: int
) -> list[Row]:
    """Return the first `limit` rows of a ranked list that `keep` accepts, reading page by page."""
    kept: list[Row] = []
    offset = 0
    while len(kept) < limit:
        page = await read(RANKED_PAGE, offset)
        kept.extend(row for row in page if keep(row))
        if len(page) < RANKED_PAGE:
            break
        offset += RANKED_PAGE
    return kept[:limit]
