"""Find glossary entries for free-text queries: exact, prefix, alias, typo and contained matches."""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.glossary.lexicon import english_words
from bot.glossary.models import Entry
from bot.glossary.plaintext import entry_text
from bot.glossary.text import normalize
from bot.slices import Ordered, empty, sorted_in_slices

MAX_QUERY_CHARS = 300
MAX_SUGGESTIONS = 5
MAX_AUTOCOMPLETE = 25
# Longer inputs are pasted text, not questions: answering them risks a wrong definition.
_MAX_TOKENS = 40
# Below this many fuzzy keys a full scan is cheaper than maintaining the pruning buckets.
_FULL_SCAN_LIMIT = 3000
_SUGGEST_RATIO = 72.0
_TOKEN_SUGGEST_RATIO = 80.0
_SHORT_PREFIX = 2
# Prefix rows are bucketed by this many first characters: every query longer than a short
# prefix finds all its rows in one bucket.
_BUCKET = _SHORT_PREFIX + 1
# Swapped letters are the commonest chat typo; names this short get them as their own keys,
# longer names already allow one edit (a swap counts as one).
_SWAP_MAX_CHARS = 6
_MIN_TYPO_CHARS = 3
# Entries read at most when looking for ones that mention a missed query.
_MENTION_SCAN = 200
_DOUBLED = re.compile(r"(.)\1+")

# Tiers order autocomplete results: exact > prefix > alias > fuzzy.
_T_EXACT_TERM, _T_EXACT_ALIAS, _T_TERM, _T_TERM_WORD, _T_ALIAS, _T_ALIAS_WORD, _T_FUZZY = range(7)


def _words(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of a literal block."""
    return frozenset(text.split())


STOP_WORDS: frozenset[str] = _words(
    """
    a an the this that these those it its it s i me my mine we us our you your u ur r he she him
    her they them their what whats what s which who whom whose when where why how wtf wth
    is are was were be been being am do does did doing done have has had having can could
    will would shall should may might must dont don t doesnt didnt isnt arent cant wont im
    of to in on at by for with from into onto about as than then so if or and but not no nor
    up down out over under again too very just also only even still yet any some all each
    every both either neither other such own same more most less much many few lot lots
    there here now ever never always maybe like really actually exactly basically literally
    hi hey hello yo sup hiya howdy thanks thank thx ty tysm pls please plz ok okay yes yeah
    yep nope nah lol lmao bro bruh dude guys guy man sorry idk um uh hmm huh
    mean means meant meaning stand stands define definition explain explained describe
    tell know knows thing things stuff something anything everything someone anyone
    difference between vs versus better best good bad enough need needs want use using used
    get got make makes made work works go going say said called call term word
    question help anybody somebody one ones way kind sort type
    """
)

# Everyday words: they may match a name exactly, but never by typo, and alone inside a
# longer sentence they only suggest ("not enough disk space" must not define a Space).
COMMON_WORDS: frozenset[str] = STOP_WORDS | _words(
    """
    love life time day days night year years home house food pizza water game games play
    song songs music sound sounds voice voices audio file files data model models train
    training trained space spaces studio studios format formats notebook notebooks local
    cloud free paid account link links fine well great nice cool new old big small high low
    long short fast slow quick easy hard right left true false test tests run runs running
    world people person friend friends work word words form forms
    card cards code cool main part parts point points set sets show shows side way ways
    """
)

# Words about trouble with, or the worth of, a thing rather than another subject:
# "gradio link not working", "is gpu or cuda more important".
_NEUTRAL_WORDS: frozenset[str] = _words(
    """
    not working broken error errors issue issues problem problems fix fixed crash crashing
    install installing installed setup tutorial guide down slow limit limits memory
    important ok okay worth needed necessary required recommended safe possible normal
    """
)
# A query opening with one of these asks about the entry; the glossary's own words then
# describe the situation ("is mp3 ok for a dataset").
_QUESTION_OPENERS = _words("is are which how can should does do why will would could")

# Question phrasing to peel off; longer patterns first so "what is the" beats "what is".
_LEADING: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(p.split())
            for p in """
            hey|hi|hello|yo|so|ok|okay|um|uh|pls|please|bot|guys|sorry|quick question|question
            what is|what s|whats|what are|what re|what r|what was|what were|wat is|wats|wut is
            wtf is|wtf are|wth is|what the heck is|what the hell is|what the fuck is|wtf s
            what exactly is|what exactly are|what is meant by|what do you mean by
            what do they mean by|what does|what do|what did|whats the meaning of
            what is the meaning of|what s the meaning of|what is the definition of
            whats the definition of|what s the definition of|the meaning of|the definition of
            define|definition of|definition|meaning of|meaning|explain|explain what|describe
            tell me about|tell me what|tell me|info on|info about|information on|help with
            can you explain|can someone explain|could you explain|could someone explain
            can u explain|pls explain|please explain|can you define|can someone define
            does anyone know what|anyone know what|do you know what|does anybody know what
            i don t know what|i dont know what|idk what|who is|how does|how do|eli5|about
            a|an|the|this|that|these|those|some|any
            """.replace("\n", "|").split("|")
            if p.strip()
        ),
        key=len,
        reverse=True,
    )
)
_TRAILING: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(p.split())
            for p in """
            mean|means|meant|stand for|stands for|mean here|means here|is|are|exactly|again
            pls|please|plz|thanks|thx|ty|for|work|works|do|does|is about|refer to|refers to
            even|anyway|anyways|lol|bro|in rvc|in ai|in audio|in this server|here|actually
            mean in rvc|stand for in rvc|used for|for in rvc|is used for|thing|stuff|then
            """.replace("\n", "|").split("|")
            if p.strip()
        ),
        key=len,
        reverse=True,
    )
)
# "bitrate vs bit depth", "difference between wav and mp3": one question about two entries.
_COMPARISON = re.compile(
    r"^(?:(?:what s |whats |what is )?the )?(?:difference|differences|diff) between (.+?)"
    r" (?:and|or|vs|versus|&) (.+)$"
    r"|^(.+?) (?:vs|versus|v) (.+?)(?: which .*| what s the difference)?$"
)
_PARENTHESISED = re.compile(r"^(.*?)\s*\((.*)\)\s*$")


@dataclass(frozen=True, slots=True)
class Hit:
    """One entry found for a query, with how and how well it matched."""

    entry: Entry
    score: float
    matched: str
    kind: str


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The best entry for a query, if any, and other plausible entries."""

    query: str
    match: Hit | None
    suggestions: tuple[Hit, ...]


# An entry's place in rank order: (-popularity, normalised term, key). It is unique to the
# entry and the same whenever the entry is indexed, so ordering by it needs no renumbering
# when one entry comes or goes.
_Rank = tuple[int, str, str]
# A name reference: (entry rank, name as written, is the term).
_Ref = tuple[_Rank, str, bool]
# A claim on a fuzzy key: (entry rank, its order among the entry's claims, name reference).
_Claim = tuple[_Rank, int, _Ref]
# An autocomplete choice: (tier, *entry rank, name as written). Flat, so that comparing and
# deduplicating thousands of them per keystroke stays cheap; choice[3] is the entry's key.
_Choice = tuple[int, int, str, str, str]
# A prefix row: (name form or its last words, the choice it offers).
_Row = tuple[str, _Choice]


def stem(token: str) -> str:
    """Return a crude singular form of a token so plurals meet their singular."""
    if len(token) < 4 or token.endswith("ss"):
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("s"):
        token = token[:-1]
    # "boxes"/"box" and "caches"/"cache" both land on the same form by dropping a final e.
    if token.endswith("e") and len(token) > 4:
        token = token[:-1]
    return token


def stem_key(tokens: Iterable[str]) -> str:
    """Return the space-joined stems of normalized tokens."""
    return " ".join(stem(token) for token in tokens)


def singular_key(text: str) -> str:
    """Return a normalized phrase with plural "s" endings dropped, for typo comparison."""
    # Lighter than stem(): "kagle" must stay close to "kaggle", which stem() cuts to "kaggl".
    return " ".join(
        token[:-1] if len(token) >= 4 and token[-1] == "s" and token[-2] != "s" else token
        for token in text.split()
    )


def entry_vocabulary(entry: Entry) -> frozenset[str]:
    """Return the stems of every word an entry's text uses (names, summary, body, links)."""
    return frozenset(stem(word) for word in normalize(entry_text(entry)).split())


def _strip_phrasing(tokens: list[str]) -> list[str]:
    """Remove leading and trailing question phrasing, keeping at least the subject."""
    changed = True
    while changed and tokens:
        changed = False
        for pattern in _LEADING:
            n = len(pattern)
            if tuple(tokens[:n]) == pattern:
                tokens = tokens[n:]
                changed = True
                break
        for pattern in _TRAILING:
            n = len(pattern)
            if len(tokens) > n and tuple(tokens[-n:]) == pattern:
                tokens = tokens[:-n]
                changed = True
                break
    return tokens


def extract_query(text: str) -> str:
    """Return the normalized subject of a question ("What's a GPU?" -> "gpu")."""
    tokens = normalize(text[: MAX_QUERY_CHARS * 4]).split()
    return " ".join(_strip_phrasing(tokens))


def _max_edits(length: int) -> int:
    """Return how many typos a name of this length may carry and still match."""
    # Short words are too close to each other: "work" is one edit from "fork".
    if length < 5:
        return 0
    if length < 8:
        return 1
    if length < 13:
        return 2
    return 3


def squash(word: str) -> str:
    """Return a word with each run of a repeated character cut to one ("flacc" -> "flac")."""
    return _DOUBLED.sub(r"\1", word)


def _swaps(word: str) -> Iterable[str]:
    """Yield the word with each pair of adjacent, different letters swapped."""
    for i in range(len(word) - 1):
        if word[i] != word[i + 1]:
            yield word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _name_variants(name: str) -> list[str]:
    """Return the normalized forms a name is known by: itself, its parts, its compact form."""
    raw = [name]
    parts = _PARENTHESISED.match(name)
    if parts:
        raw.extend(part for part in parts.groups() if part.strip())
    forms: list[str] = []
    for item in raw:
        norm = normalize(item)
        if not norm:
            continue
        forms.append(norm)
        if " " in norm:
            forms.append(norm.replace(" ", ""))
    return list(dict.fromkeys(forms))


_T = TypeVar("_T", bound=Ordered)


def _remove_sorted(items: list[_T], item: _T) -> None:
    """Remove one occurrence of `item` from a sorted list."""
    position = bisect_left(items, item)
    if position == len(items) or items[position] != item:
        raise KeyError(item)
    del items[position]


class _Claims(dict[str, _Ref]):
    """Strings that several entries may claim: the best-ranked claim holds, the others wait."""

    __slots__ = ("_waiting",)

    def __init__(self) -> None:
        super().__init__()
        self._waiting: dict[str, list[_Ref]] = {}

    def claim(self, key: str, ref: _Ref) -> None:
        """Add one entry's claim on `key`."""
        held = self.get(key)
        if held is None:
            self[key] = ref
            return
        if ref < held:
            self[key], ref = ref, held
        insort(self._waiting.setdefault(key, []), ref)

    def withdraw(self, key: str, ref: _Ref) -> None:
        """Withdraw a claim; the best waiting claim, if any, takes over."""
        waiting = self._waiting.get(key, [])
        if self[key] != ref:
            _remove_sorted(waiting, ref)
        elif waiting:
            self[key] = waiting.pop(0)
        else:
            del self[key]
        if not waiting:
            self._waiting.pop(key, None)


def _insert_row(index: dict[str, list[_T]], key: str, row: _T) -> None:
    """Insert a row into the sorted list kept under `key`."""
    insort(index.setdefault(key, []), row)


def _append_row(index: dict[str, list[_T]], key: str, row: _T) -> None:
    """Append a row under `key`, for a bulk build to sort later."""
    index.setdefault(key, []).append(row)


def _discard_row(index: dict[str, list[_T]], key: str, row: _T) -> None:
    """Remove a row from the sorted list under `key`, and the list once it is empty."""
    rows = index[key]
    _remove_sorted(rows, row)
    if not rows:
        del index[key]


def _sort_rows(index: dict[str, list[_T]]) -> None:
    """Sort every list of rows a bulk build appended."""
    for key, rows in index.items():
        index[key] = sorted_in_slices(rows)


def _fuzzy_word(token: str) -> bool:
    """Return whether a name's word stem is worth a typo search of its own."""
    return len(token) >= 4 and token not in COMMON_WORDS


class _FuzzyIndex:
    """Strings pruned by first character and length before rapidfuzz scores them.

    Several entries may claim one string: the best-ranked claim holds it, the others wait
    their turn. A bucket keeps its strings by length, then in the order a full build meets
    their holders, so rapidfuzz breaks ties between equal scores the same way whatever
    edits led to the current glossary.
    """

    __slots__ = ("_buckets", "_every", "_held", "_waiting")

    def __init__(self) -> None:
        self._held: dict[str, _Claim] = {}
        self._waiting: dict[str, list[_Claim]] = {}
        # First character -> (strings, their lengths, their references).
        self._buckets: dict[str, tuple[list[str], list[int], list[_Ref]]] = {}
        # Every string in claim order, for small indexes; made again after a change.
        self._every: tuple[list[str], list[_Ref]] | None = None

    def claim(self, key: str, claim: _Claim, *, bulk: bool = False) -> None:
        """Add one entry's claim on `key`; `bulk` appends, for `finish` to order."""
        held = self._held.get(key)
        if held is not None:
            if held < claim:
                insort(self._waiting.setdefault(key, []), claim)
                return
            self._unplace(key)
            insort(self._waiting.setdefault(key, []), held)
        self._held[key] = claim
        self._place(key, bulk=bulk)

    def withdraw(self, key: str, rank: _Rank) -> None:
        """Withdraw the claim the entry of `rank` has on `key`."""
        waiting = self._waiting.get(key, [])
        if self._held[key][0] != rank:
            del waiting[bisect_left(waiting, (rank,))]
        else:
            self._unplace(key)
            if waiting:
                self._held[key] = waiting.pop(0)
                self._place(key)
            else:
                del self._held[key]
        if not waiting:
            self._waiting.pop(key, None)

    def finish(self) -> None:
        """Order buckets that a bulk build filled in claim order: by length, keeping that order."""
        for first, (keys, lengths, refs) in self._buckets.items():
            # Grouping by length in Python rather than one long sort: see bot/slices.py.
            by_length: dict[int, list[int]] = {}
            for position, length in enumerate(lengths):
                by_length.setdefault(length, []).append(position)
            order = [position for size in sorted(by_length) for position in by_length[size]]
            self._buckets[first] = (
                [keys[p] for p in order],
                [lengths[p] for p in order],
                [refs[p] for p in order],
            )

    def dismantle(self) -> None:
        """Empty the index a slice at a time (see Matcher.dismantle)."""
        for container in (self._buckets, self._held, self._waiting):
            empty(container)
        self._every = None

    def _order(self, key: str) -> tuple[int, _Rank, int]:
        """Return where a held string goes in its bucket."""
        rank, seq, _ = self._held[key]
        return len(key), rank, seq

    def _place(self, key: str, *, bulk: bool = False) -> None:
        """Put a held string into its bucket."""
        self._every = None
        keys, lengths, refs = self._buckets.setdefault(key[0], ([], [], []))
        position = len(keys) if bulk else bisect_left(keys, self._order(key), key=self._order)
        keys.insert(position, key)
        lengths.insert(position, len(key))
        refs.insert(position, self._held[key][2])

    def _unplace(self, key: str) -> None:
        """Take a held string out of its bucket (before its holder changes)."""
        self._every = None
        keys, lengths, refs = self._buckets[key[0]]
        position = bisect_left(keys, self._order(key), key=self._order)
        del keys[position], lengths[position], refs[position]
        if not keys:
            del self._buckets[key[0]]

    def _everything(self) -> tuple[list[str], list[_Ref]]:
        """Return every string and its reference, in claim order."""
        if self._every is None:
            keys = sorted(self._held, key=lambda key: self._held[key][:2])
            self._every = keys, [self._held[key][2] for key in keys]
        return self._every

    def _window(self, key: str, low: int, high: int) -> tuple[list[str], list[_Ref]]:
        """Return the candidates sharing the key's first character with length in [low, high]."""
        # Below this many strings a full scan is cheaper (and finds other first letters).
        if len(self._held) <= _FULL_SCAN_LIMIT:
            return self._everything()
        bucket = self._buckets.get(key[0])
        if bucket is None:
            return [], []
        keys, lengths, refs = bucket
        start, end = bisect_left(lengths, low), bisect_right(lengths, high)
        return keys[start:end], refs[start:end]

    def search(self, key: str, cutoff: float, limit: int) -> list[tuple[str, float, _Ref]]:
        """Return up to `limit` (string, ratio, ref) with ratio >= cutoff, best first."""
        if not key:
            return []
        # Indel ratio cannot reach the cutoff outside this length window.
        size = len(key)
        choices, refs = self._window(
            key, int(size * cutoff / (200 - cutoff)), int(size * (200 - cutoff) / cutoff) + 1
        )
        found = process.extract(
            key, choices, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff, limit=limit
        )
        return [(choice, score, refs[index]) for choice, score, index in found]

    def within(self, key: str, edits: int, limit: int) -> list[tuple[str, int, _Ref]]:
        """Return up to `limit` (string, distance, ref) at most `edits` OSA edits away."""
        if not key or edits <= 0:
            return []
        size = len(key)
        choices, refs = self._window(key, size - edits, size + edits)
        found = process.extract(
            key, choices, scorer=OSA.distance, processor=None, score_cutoff=edits, limit=limit
        )
        return [(choice, int(distance), refs[index]) for choice, distance, index in found]


def _slips(form: str) -> list[str]:
    """Return the doubled-letter and swapped-letter slips of one name form."""
    squashed = squash(form.replace(" ", ""))
    slips = [squashed]
    if len(squashed) <= _SWAP_MAX_CHARS:
        slips.extend(_swaps(squashed))
    return slips


@dataclass(frozen=True, slots=True)
class _Facts:
    """What one entry adds to each index, worked out from the entry alone.

    Adding an entry and taking it out again both start from these, so the two always match.
    Dicts keep each string's first claim, in the order a full build meets them.
    """

    rank: _Rank
    exact: dict[str, _Ref]
    stems: dict[str, _Ref]
    fuzzy: dict[str, _Ref]
    rows: list[_Row]
    tokens: dict[str, int]  # word stem -> the order it first appears in
    slips: dict[str, _Ref]  # the entry's last claim on each slip
    width: int  # the most words in one name form
    short: dict[str, _Choice]  # the entry's best autocomplete row per 1-2 character prefix

    @classmethod
    def of(cls, entry: Entry, rank: _Rank) -> _Facts:
        """Work out the facts of `entry`, indexed at `rank`."""
        exact: dict[str, _Ref] = {}
        stems: dict[str, _Ref] = {}
        fuzzy: dict[str, _Ref] = {}
        rows: list[_Row] = []
        tokens: dict[str, int] = {}
        slips: dict[str, _Ref] = {}
        width = 1
        for position, name in enumerate(entry.names):
            is_term = position == 0
            ref: _Ref = (rank, name, is_term)
            tier = _T_TERM if is_term else _T_ALIAS
            for form in _name_variants(name):
                words = form.split()
                width = max(width, len(words))
                exact.setdefault(form, ref)
                skey = stem_key(words)
                stems.setdefault(skey, ref)
                stems.setdefault(skey.replace(" ", ""), ref)
                fuzzy.setdefault(form, ref)
                fuzzy.setdefault(singular_key(form), ref)
                rows.append((form, (tier, *rank, name)))
                for start in range(1, len(words)):
                    rows.append((" ".join(words[start:]), (tier + 1, *rank, name)))
                for word in words:
                    tokens.setdefault(stem(word), len(tokens))
                for slip in _slips(form):
                    slips[slip] = ref
        # Per short prefix the entry's best row: lowest tier, then the smallest form.
        best: dict[str, tuple[int, str, _Choice]] = {}
        for form, choice in rows:
            for size in range(1, min(len(form), _SHORT_PREFIX) + 1):
                candidate = (choice[0], form, choice)
                current = best.get(form[:size])
                if current is None or candidate < current:
                    best[form[:size]] = candidate
        short = {prefix: choice for prefix, (_, _, choice) in best.items()}
        return cls(rank, exact, stems, fuzzy, rows, tokens, slips, width, short)


class Matcher:
    """An index over glossary entries answering lookups and autocompletion.

    `put` and `discard` change one entry in time that follows the entry's size, not the
    glossary's, and leave the matcher answering exactly as one built from scratch over the
    same entries and popularity would.
    """

    __slots__ = (
        "_by_key",
        "_english",
        "_exact",
        "_fuzzy",
        "_max_tokens",
        "_mentions",
        "_order",
        "_popularity",
        "_prefix",
        "_ranks",
        "_shared_slips",
        "_short",
        "_slips",
        "_stems",
        "_text_vocab",
        "_token_entries",
        "_vocab",
        "_widths",
    )

    def __init__(
        self, entries: Iterable[Entry] = (), *, popularity: Mapping[str, int] | None = None
    ) -> None:
        """Index entries (one per key); popularity (use counts by key) orders ties."""
        self._popularity: Mapping[str, int] = popularity or {}
        self._english = english_words()
        self._by_key: dict[str, Entry] = {}
        self._ranks: dict[str, _Rank] = {}
        # Every rank in order: comparing ranks compares popularity, then name.
        self._order: list[_Rank] = []
        self._exact = _Claims()
        self._stems = _Claims()
        self._fuzzy = _FuzzyIndex()
        self._vocab = _FuzzyIndex()
        # Prefix rows in order, bucketed by their first characters: no one sort of them all.
        self._prefix: dict[str, list[_Row]] = {}
        # Autocomplete for 1-2 character prefixes, whose ranges are huge: one choice per entry.
        self._short: dict[str, list[_Choice]] = {}
        self._token_entries: dict[str, list[tuple[_Rank, int]]] = {}
        # Squashed and letter-swapped short names; None marks a form two entries share.
        self._slips: dict[str, _Ref | None] = {}
        self._shared_slips: dict[str, dict[_Rank, _Ref]] = {}
        self._text_vocab: dict[str, frozenset[str]] = {}
        self._mentions: dict[str, list[_Rank]] = {}
        self._widths: dict[int, int] = {}
        self._max_tokens = 1
        unique = {entry.key: entry for entry in entries}
        # In rank order, so that every ranked list only grows at its end (see _insert).
        for rank in sorted_in_slices(self._rank(entry) for entry in unique.values()):
            self._insert(unique[rank[2]], rank, bulk=True)
        _sort_rows(self._prefix)
        _sort_rows(self._short)
        self._fuzzy.finish()
        self._vocab.finish()

    def put(self, entry: Entry) -> None:
        """Index `entry`, replacing the indexed entry with its key."""
        self.discard(entry.key)
        self._insert(entry, self._rank(entry), bulk=False)

    def discard(self, key: str) -> None:
        """Forget the entry with this key, if it is indexed."""
        entry = self._by_key.pop(key, None)
        if entry is None:
            return
        rank = self._ranks.pop(key)
        facts = _Facts.of(entry, rank)
        _remove_sorted(self._order, rank)
        for form, ref in facts.exact.items():
            self._exact.withdraw(form, ref)
        for skey, ref in facts.stems.items():
            self._stems.withdraw(skey, ref)
        for fkey in facts.fuzzy:
            self._fuzzy.withdraw(fkey, rank)
        for token in facts.tokens:
            if _fuzzy_word(token):
                self._vocab.withdraw(token, rank)
        for slip, ref in facts.slips.items():
            self._release_slip(slip, ref)
        for rows, row_key, row in self._rows(facts, self._text_vocab.pop(key)):
            _discard_row(rows, row_key, row)
        self._widths[facts.width] -= 1
        if not self._widths[facts.width]:
            del self._widths[facts.width]
        self._max_tokens = min(max(self._widths, default=1), 8)

    def _rank(self, entry: Entry) -> _Rank:
        """Return where `entry` goes in rank order."""
        return (-self._popularity.get(entry.key, 0), normalize(entry.term), entry.key)

    def _insert(self, entry: Entry, rank: _Rank, *, bulk: bool) -> None:
        """Index an entry not yet indexed.

        `bulk`: entries come in rank order, so ranked lists may simply grow at their end;
        prefix rows and fuzzy buckets are left for the caller to sort once.
        """
        facts = _Facts.of(entry, rank)
        key = entry.key
        self._by_key[key] = entry
        self._ranks[key] = rank
        if bulk:
            self._order.append(rank)
        else:
            insort(self._order, rank)
        for form, ref in facts.exact.items():
            self._exact.claim(form, ref)
        for skey, ref in facts.stems.items():
            self._stems.claim(skey, ref)
        for seq, (fkey, ref) in enumerate(facts.fuzzy.items()):
            self._fuzzy.claim(fkey, (rank, seq, ref), bulk=bulk)
        for token, seq in facts.tokens.items():
            if _fuzzy_word(token):
                self._vocab.claim(token, (rank, seq, (rank, "", False)), bulk=bulk)
        for slip, ref in facts.slips.items():
            self._claim_slip(slip, ref)
        vocab = self._text_vocab[key] = entry_vocabulary(entry)
        add = _append_row if bulk else _insert_row
        for rows, row_key, row in self._rows(facts, vocab):
            add(rows, row_key, row)
        self._widths[facts.width] = self._widths.get(facts.width, 0) + 1
        self._max_tokens = min(max(self._widths), 8)

    def _rows(
        self, facts: _Facts, vocab: frozenset[str]
    ) -> Iterator[tuple[dict[str, list[Any]], str, object]]:
        """Yield (index, key, row) for each row an entry has in a sorted list of an index."""
        rank = facts.rank
        for row in facts.rows:
            yield self._prefix, row[0][:_BUCKET], row
        for prefix, choice in facts.short.items():
            yield self._short, prefix, choice
        for token, seq in facts.tokens.items():
            yield self._token_entries, token, (rank, seq)
        for word in vocab - STOP_WORDS:
            yield self._mentions, word, rank

    def _claim_slip(self, slip: str, ref: _Ref) -> None:
        """Add one entry's claim on a slip: a slip two entries claim names neither."""
        if slip not in self._slips:
            self._slips[slip] = ref
            return
        held = self._slips[slip]
        if held is None:
            self._shared_slips[slip][ref[0]] = ref
        else:
            self._shared_slips[slip] = {held[0]: held, ref[0]: ref}
            self._slips[slip] = None

    def _release_slip(self, slip: str, ref: _Ref) -> None:
        """Withdraw one entry's claim on a slip."""
        if self._slips[slip] is not None:
            del self._slips[slip]
            return
        owners = self._shared_slips[slip]
        del owners[ref[0]]
        if len(owners) == 1:
            self._slips[slip] = owners.popitem()[1]
            del self._shared_slips[slip]

    def dismantle(self) -> None:
        """Empty every index a slice at a time: for a worker thread, once nothing uses it."""
        for container in (
            self._prefix,
            self._short,
            self._token_entries,
            self._mentions,
            self._text_vocab,
            self._exact,
            self._stems,
            self._slips,
            self._order,
            self._ranks,
        ):
            empty(container)
        self._fuzzy.dismantle()
        self._vocab.dismantle()
        # Last: an entry nothing else holds is freed here, one at a time.
        empty(self._by_key)

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Return the indexed entries in rank order (popularity, then name)."""
        return tuple(self._by_key[rank[2]] for rank in self._order)

    # ----------------------------------------------------------------- lookup

    def lookup(self, query: str) -> LookupResult:
        """Return the entry a user most plausibly asked about, and suggestions."""
        if len(query) > MAX_QUERY_CHARS:
            return LookupResult(query, None, ())
        raw = normalize(query).split()
        framed = bool(raw) and raw[0] in _QUESTION_OPENERS
        tokens = _strip_phrasing(raw)
        content = [token for token in tokens if token not in STOP_WORDS]
        if not content or len(tokens) > _MAX_TOKENS:
            return LookupResult(query, None, ())
        core = " ".join(tokens)
        candidates: list[Hit] = []
        match = self._whole(core, tokens)
        if match is not None and not self._is_confident(match, core):
            candidates.append(match)
            match = None
        # Typo searches are the costly part; once the whole query matched they only feed
        # suggestions, which exact and prefix hits cover well enough.
        thorough = match is None
        spans = self._contained(tokens, fuzzy=thorough)
        contained = [hit for _, _, hit in spans]
        if match is None:
            named = {i for start, end, _ in spans for i in range(start, end)}
            loose = [t for i, t in enumerate(tokens) if i not in named and t not in STOP_WORDS]
            for _, _, hit in spans:
                if normalize(hit.matched) in COMMON_WORDS and len(content) > 1:
                    continue
                if not self._about(hit, loose, framed=framed):
                    continue
                match = hit
                break
        candidates.extend(contained)
        # Names the query starts, then entries that mention all its words, then spellings.
        if len(core) >= 3:
            candidates.extend(hit for hit in self._prefix_hits(core, MAX_SUGGESTIONS) if hit.score)
        if match is None:
            candidates.extend(self._mentioning(content))
        candidates.extend(self._suggest(core, content, fuzzy=thorough))
        suggestions: list[Hit] = []
        seen = {match.entry.key} if match else set()
        for hit in candidates:
            if hit.entry.key not in seen:
                seen.add(hit.entry.key)
                suggestions.append(hit)
                if len(suggestions) == MAX_SUGGESTIONS:
                    break
        return LookupResult(query, match, tuple(suggestions))

    def compare(self, query: str) -> tuple[Entry, Entry] | None:
        """Return the two entries a comparison names ("bitrate vs bit depth"), if both match."""
        found = _COMPARISON.match(normalize(query[:MAX_QUERY_CHARS]))
        if found is None:
            return None
        sides = [side for side in found.groups() if side]
        matches = [self.lookup(side).match for side in sides]
        first, second = matches
        if first is None or second is None or first.entry.key == second.entry.key:
            return None
        return first.entry, second.entry

    def correct(self, phrase: str) -> Entry | None:
        """Return the one entry a short phrase misspells, if it surely does ("jupter notebook")."""
        tokens = normalize(phrase[:MAX_QUERY_CHARS]).split()
        if not tokens or len(tokens) > 3 or any(token in STOP_WORDS for token in tokens):
            return None
        typo = self._typo(" ".join(tokens))
        return None if typo is None else self._by_key[typo[0][0][2]]

    def vocabulary(self, key: str) -> frozenset[str]:
        """Return the word stems of an indexed entry's text (empty for an unknown key)."""
        return self._text_vocab.get(key, frozenset())

    def _hit(self, ref: _Ref, score: float, kind: str | None = None) -> Hit:
        """Return a Hit for a name reference; kind defaults to exact or alias."""
        rank, name, is_term = ref
        if kind is None:
            kind = "exact" if is_term else "alias"
        return Hit(self._by_key[rank[2]], round(score, 1), name, kind)

    @staticmethod
    def _is_confident(hit: Hit, core: str) -> bool:
        """Return whether a whole-query hit may be the answer rather than a suggestion."""
        # Everyday words reached only by prefix ("model" -> "Model training") only suggest.
        return hit.kind != "prefix" or core not in COMMON_WORDS

    def _whole(self, core: str, tokens: list[str]) -> Hit | None:
        """Return a match for the whole query: exact, plural/compact, prefix or typo."""
        ref = self._exact.get(core)
        if ref is not None:
            return self._hit(ref, 100.0)
        skey = stem_key(tokens)
        ref = self._stems.get(skey) or self._stems.get(skey.replace(" ", ""))
        if ref is not None:
            return self._hit(ref, 97.0)
        hit = self._word_prefix(core)
        if hit is not None:
            return hit
        typo = self._typo(core)
        return None if typo is None else self._hit(typo[0], typo[1], "fuzzy")

    def _word_prefix(self, core: str) -> Hit | None:
        """Return the one entry whose name the query starts, if the query is long enough."""
        if len(core) < 4:
            return None
        rows = self._prefix.get(core[:_BUCKET], [])
        low = bisect_left(rows, (core,))
        high = bisect_left(rows, (core + "\uffff",), low)
        best: tuple[float, _Rank, str] | None = None
        entries: set[str] = set()
        for position in range(low, min(high, low + 200)):
            form, (tier, pop, term, key, name) = rows[position]
            # Whole-name prefixes only; a word inside a name ("colab" in "google colab")
            # is handled as an alias or contained match.
            if tier not in (_T_TERM, _T_ALIAS):
                continue
            at_word = len(form) == len(core) or form[len(core)] == " "
            coverage = len(core) / len(form)
            # "nvidia" of "nvidia cuda" names the maker, not the entry; "cola" is not "colab".
            if coverage < 0.6 or (not at_word and self._is_wording(core)):
                continue
            entries.add(key)
            rank = (pop, term, key)
            # The best covers most of its name; on a tie, the best-ranked entry, then the
            # name that sorts last.
            if best is None or (coverage, best[1], name) > (best[0], rank, best[2]):
                best = (coverage, rank, name)
        if best is None or len(entries) > 1:
            return None
        coverage, rank, name = best
        return Hit(self._by_key[rank[2]], round(80.0 + 15.0 * coverage, 1), name, "prefix")

    def _is_wording(self, phrase: str) -> bool:
        """Return whether a phrase is made of ordinary English words, so it holds no typo."""
        tokens = phrase.split()
        names = self._token_entries
        if len(tokens) > 1 and any(stem(token) in names for token in tokens):
            # "bit dept": a glossary word anchors the phrase; its neighbour may be misspelt.
            return False
        return all(token in self._english or stem(token) in names for token in tokens)

    def _typo(self, phrase: str) -> tuple[_Ref, float] | None:
        """Return the one name the phrase misspells within the typo budget, and its ratio."""
        compact = phrase.replace(" ", "")
        # A spell checker's first rule: a word in the dictionary is not a misspelling.
        if len(compact) < _MIN_TYPO_CHARS or self._is_wording(phrase):
            return None
        slipped = squash(compact)
        if slipped in self._slips:
            slip = self._slips[slipped]
            # None: two entries share this slip, and a guess could be the wrong one.
            return None if slip is None else (slip, 90.0)
        key = singular_key(phrase)
        compact = key.replace(" ", "")
        if len(compact) < 5 or all(token in COMMON_WORDS for token in phrase.split()):
            return None
        edits = _max_edits(len(compact))
        found: list[tuple[int, float, _Ref]] = []
        for choice, distance, ref in self._fuzzy.within(key, edits, 5):
            # The budget follows the shorter string: "fork" must not absorb "forks x".
            if distance > _max_edits(min(len(compact), len(choice.replace(" ", "")))):
                continue
            found.append((distance, -fuzz.ratio(key, choice), ref))
        if not found:
            return None
        found.sort(key=lambda row: row[:2])
        distance, negative_score, ref = found[0]
        # Two entries equally close: guessing would risk a wrong answer.
        if any(row[0] == distance and row[2][0] != ref[0] for row in found[1:]):
            return None
        return ref, -negative_score

    def _about(self, hit: Hit, words: list[str], *, framed: bool) -> bool:
        """Return whether the other words of a query fit the entry ("fork in the road" does not)."""
        if not words:
            return True
        vocab = self._text_vocab[hit.entry.key]
        related = unrelated = 0
        for word in words:
            if stem(word) in vocab or (framed and stem(word) in self._mentions):
                related += 1
            elif not (word.isdigit() or word in _NEUTRAL_WORDS):
                unrelated += 1
        # More of the entry's own words than strangers keeps the query about the entry.
        return unrelated == 0 or related >= unrelated

    def _mentioning(self, content: list[str]) -> list[Hit]:
        """Return entries whose text mentions every content word of a missed query."""
        stems = [stem(word) for word in content]
        lists = [self._mentions.get(word, ()) for word in stems]
        if not lists or not all(lists):
            return []
        # Walk the rarest word's entries; the others are checked in each entry's vocabulary.
        rarest = min(lists, key=len)
        hits: list[Hit] = []
        for rank in rarest[:_MENTION_SCAN]:
            if all(word in self._text_vocab[rank[2]] for word in stems):
                entry = self._by_key[rank[2]]
                hits.append(Hit(entry, 75.0, entry.term, "mention"))
                if len(hits) == MAX_SUGGESTIONS:
                    break
        return hits

    def _contained(self, tokens: list[str], *, fuzzy: bool) -> list[tuple[int, int, Hit]]:
        """Return entries named inside a longer query, in the order they are mentioned."""
        size = len(tokens)
        if size < 2:
            return []
        stems = [stem(token) for token in tokens]
        covered = [False] * size
        found: list[tuple[int, int, Hit]] = []
        content_chars = sum(len(t) for t in tokens if t not in STOP_WORDS) or 1
        # The whole query (n == size) was already tried by _whole.
        for n in range(min(self._max_tokens, size - 1), 0, -1):
            for start in range(size - n + 1):
                window = range(start, start + n)
                if any(covered[i] for i in window):
                    continue
                gram = tokens[start : start + n]
                if all(token in STOP_WORDS for token in gram):
                    continue
                skey = " ".join(stems[start : start + n])
                ref = self._stems.get(skey) or self._stems.get(skey.replace(" ", ""))
                kind = "contained"
                score = 0.0
                if ref is None:
                    if not fuzzy or n > 3 or len(skey) < 5 or any(t in COMMON_WORDS for t in gram):
                        continue
                    typo = self._typo(" ".join(gram))
                    if typo is None:
                        continue
                    ref, score = typo[0], typo[1] * 0.9
                    kind = "fuzzy"
                else:
                    coverage = sum(len(t) for t in gram) / content_chars
                    score = 80.0 + 15.0 * min(coverage, 1.0)
                for i in window:
                    covered[i] = True
                found.append((start, start + n, self._hit(ref, score, kind)))
        found.sort(key=lambda item: item[0])
        return found

    def _suggest(self, core: str, content: list[str], *, fuzzy: bool) -> list[Hit]:
        """Return plausible entries for a query that matched nothing or something else."""
        hits: list[Hit] = []
        key = singular_key(core)
        if fuzzy and len(key.replace(" ", "")) >= 4:
            for _, score, ref in self._fuzzy.search(key, _SUGGEST_RATIO, MAX_SUGGESTIONS):
                hits.append(self._hit(ref, score, "fuzzy"))
        for token in content:
            token_stem = stem(token)
            rows = self._token_entries.get(token_stem)
            if rows and len(token) >= 3:
                hits.extend(self._token_hit(rank, token_stem, 70.0) for rank, _ in rows[:3])
            elif fuzzy and len(token_stem) >= 4 and token not in COMMON_WORDS:
                for word, score, _ in self._vocab.search(token_stem, _TOKEN_SUGGEST_RATIO, 2):
                    hits.extend(
                        self._token_hit(rank, word, score * 0.8)
                        for rank, _ in self._token_entries[word][:3]
                    )
        return hits

    def _token_hit(self, rank: _Rank, token: str, score: float) -> Hit:
        """Return a suggestion for the name of an entry that contains a token."""
        entry = self._by_key[rank[2]]
        matched = next(
            (n for n in entry.names if token in (stem(t) for t in normalize(n).split())),
            entry.term,
        )
        return Hit(entry, round(score, 1), matched, "fuzzy")

    # ----------------------------------------------------------- autocomplete

    def autocomplete(self, text: str, limit: int = MAX_AUTOCOMPLETE) -> list[Hit]:
        """Return up to `limit` (max 25) entries for partly typed text, best first."""
        limit = max(0, min(limit, MAX_AUTOCOMPLETE))
        if limit == 0:
            return []
        tokens = normalize(text[:MAX_QUERY_CHARS]).split()
        stripped = _strip_phrasing(tokens)
        # "what is ka" completes "ka" and "what is " offers everything, as an empty box does;
        # a lone "a" still being typed is a prefix worth completing.
        finished = len(tokens) > 1 or text[-1:].isspace()
        query = " ".join(stripped if stripped or finished else tokens)
        if not query:
            first = (self._by_key[rank[2]] for rank in self._order[:limit])
            return [Hit(entry, 0.0, entry.term, "prefix") for entry in first]
        hits = self._prefix_hits(query, limit)
        if len(hits) < limit and len(query) >= 3:
            seen = {hit.entry.key for hit in hits}
            key = singular_key(query)
            for _, score, ref in self._fuzzy.search(key, 60.0, limit * 2):
                hit = self._hit(ref, score, "fuzzy")
                if hit.entry.key not in seen:
                    seen.add(hit.entry.key)
                    hits.append(hit)
                    if len(hits) == limit:
                        break
        return hits

    def _prefix_hits(self, query: str, limit: int) -> list[Hit]:
        """Return exact then prefix hits for a normalized query, one per entry."""
        # One choice per entry key: its lowest tier, the first such row in prefix order.
        best: dict[str, _Choice] = {}
        for exact_map in (self._exact, self._stems):
            ref = exact_map.get(query)
            if ref is not None:
                tier = _T_EXACT_TERM if ref[2] else _T_EXACT_ALIAS
                best.setdefault(ref[0][2], (tier, *ref[0], ref[1]))
        if len(query) <= _SHORT_PREFIX:
            choices: Iterable[_Choice] = self._short.get(query, [])[:MAX_AUTOCOMPLETE]
        else:
            rows = self._prefix.get(query[:_BUCKET], [])
            low = bisect_left(rows, (query,))
            high = bisect_left(rows, (query + "\uffff",), low)
            choices = map(itemgetter(1), rows[low:high])
        for choice in choices:
            current = best.get(choice[3])
            if current is None or choice[0] < current[0]:
                best[choice[3]] = choice
        # The same as sorting them all, at a fraction of the cost for thousands of choices.
        ranked = heapq.nsmallest(limit, best.values())
        return [self._prefix_hit(query, choice) for choice in ranked]

    def _prefix_hit(self, query: str, choice: _Choice) -> Hit:
        """Return the Hit for one autocomplete row, scoring by how much of the name was typed."""
        tier, key, name = choice[0], choice[3], choice[4]
        entry = self._by_key[key]
        if tier <= _T_EXACT_ALIAS:
            return Hit(entry, 100.0, name, "exact" if tier == 0 else "alias")
        coverage = min(len(query) / max(len(normalize(name)), 1), 1.0)
        kind = "prefix" if tier in (_T_TERM, _T_TERM_WORD) else "alias"
        score = 60.0 + 35.0 * coverage - (5.0 if tier in (_T_TERM_WORD, _T_ALIAS_WORD) else 0.0)
        return Hit(entry, round(score, 1), name, kind)
