"""Find glossary entries for free-text queries: exact, prefix, alias, typo and contained matches."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.glossary.lexicon import english_words
from bot.glossary.models import Entry
from bot.glossary.plaintext import entry_text
from bot.glossary.text import normalize

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


# A name reference: (entry index, name as written, is the term).
_Ref = tuple[int, str, bool]


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


class _FuzzyIndex:
    """Strings pruned by first character and length before rapidfuzz scores them."""

    __slots__ = ("_all", "_all_refs", "_buckets")

    def __init__(self, items: dict[str, _Ref]) -> None:
        self._all = list(items)
        self._all_refs = list(items.values())
        self._buckets: dict[str, tuple[list[str], list[int], list[_Ref]]] = {}
        if len(self._all) <= _FULL_SCAN_LIMIT:
            return
        grouped: dict[str, list[tuple[int, str, _Ref]]] = {}
        for key, ref in items.items():
            grouped.setdefault(key[0], []).append((len(key), key, ref))
        for first, rows in grouped.items():
            rows.sort(key=lambda row: row[0])
            self._buckets[first] = (
                [row[1] for row in rows],
                [row[0] for row in rows],
                [row[2] for row in rows],
            )

    def _window(self, key: str, low: int, high: int) -> tuple[list[str], list[_Ref]]:
        """Return the candidates sharing the key's first character with length in [low, high]."""
        if not self._buckets:
            return self._all, self._all_refs
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


class Matcher:
    """An immutable index over glossary entries answering lookups and autocompletion."""

    __slots__ = (
        "_english",
        "_entries",
        "_exact",
        "_fuzzy",
        "_max_tokens",
        "_mentions",
        "_name_tokens",
        "_position",
        "_prefix_keys",
        "_prefix_refs",
        "_short",
        "_slips",
        "_stems",
        "_text_vocab",
        "_token_entries",
        "_vocab",
    )

    def __init__(
        self, entries: Iterable[Entry], *, popularity: Mapping[str, int] | None = None
    ) -> None:
        """Index entries; popularity (use counts by key) orders ties and empty autocomplete."""
        pop = popularity or {}
        # Index order is rank order, so comparing indices compares popularity then name.
        self._entries: tuple[Entry, ...] = tuple(
            sorted(entries, key=lambda e: (-pop.get(e.key, 0), normalize(e.term), e.key))
        )
        self._english = english_words()
        self._position = {entry.key: index for index, entry in enumerate(self._entries)}
        self._exact: dict[str, _Ref] = {}
        self._stems: dict[str, _Ref] = {}
        # Squashed and letter-swapped short names; None marks a form two entries share.
        self._slips: dict[str, _Ref | None] = {}
        self._text_vocab: list[frozenset[str]] = []
        self._mentions: dict[str, list[int]] = {}
        self._token_entries: dict[str, list[int]] = {}
        fuzzy_keys: dict[str, _Ref] = {}
        prefix_rows: list[tuple[str, int, int, str]] = []
        max_tokens = 1
        for index, entry in enumerate(self._entries):
            for position, name in enumerate(entry.names):
                is_term = position == 0
                ref: _Ref = (index, name, is_term)
                tier = _T_TERM if is_term else _T_ALIAS
                for form in _name_variants(name):
                    tokens = form.split()
                    max_tokens = max(max_tokens, len(tokens))
                    self._exact.setdefault(form, ref)
                    skey = stem_key(tokens)
                    self._stems.setdefault(skey, ref)
                    self._stems.setdefault(skey.replace(" ", ""), ref)
                    fuzzy_keys.setdefault(form, ref)
                    fuzzy_keys.setdefault(singular_key(form), ref)
                    prefix_rows.append((form, tier, index, name))
                    for start in range(1, len(tokens)):
                        prefix_rows.append((" ".join(tokens[start:]), tier + 1, index, name))
                    for token in tokens:
                        rows = self._token_entries.setdefault(stem(token), [])
                        if not rows or rows[-1] != index:
                            rows.append(index)
                    self._add_slips(form, ref)
            vocab = entry_vocabulary(entry)
            self._text_vocab.append(vocab)
            for word in vocab:
                if word not in STOP_WORDS:
                    self._mentions.setdefault(word, []).append(index)
        self._name_tokens = frozenset(self._token_entries)
        self._max_tokens = min(max_tokens, 8)
        self._fuzzy = _FuzzyIndex(fuzzy_keys)
        self._vocab = _FuzzyIndex(
            {
                token: (rows[0], "", False)
                for token, rows in self._token_entries.items()
                if len(token) >= 4 and token not in COMMON_WORDS
            }
        )
        prefix_rows.sort()
        self._prefix_keys = [row[0] for row in prefix_rows]
        self._prefix_refs = [(row[1], row[2], row[3]) for row in prefix_rows]
        self._short = self._build_short(prefix_rows)

    def _add_slips(self, form: str, ref: _Ref) -> None:
        """Index the doubled-letter and swapped-letter slips of one name form."""
        compact = form.replace(" ", "")
        squashed = squash(compact)
        slips = [squashed]
        if len(squashed) <= _SWAP_MAX_CHARS:
            slips.extend(_swaps(squashed))
        for slip in slips:
            current = self._slips.get(slip, ref)
            self._slips[slip] = ref if current is not None and current[0] == ref[0] else None

    @staticmethod
    def _build_short(
        rows: list[tuple[str, int, int, str]],
    ) -> dict[str, list[tuple[int, int, str]]]:
        """Precompute autocomplete for 1-2 character prefixes, whose ranges are huge."""
        best: dict[str, dict[int, tuple[int, int, str]]] = {}
        for form, tier, index, name in rows:
            for size in range(1, _SHORT_PREFIX + 1):
                if len(form) < size:
                    break
                per_entry = best.setdefault(form[:size], {})
                current = per_entry.get(index)
                if current is None or tier < current[0]:
                    per_entry[index] = (tier, index, name)
        return {
            prefix: sorted(per_entry.values())[:MAX_AUTOCOMPLETE]
            for prefix, per_entry in best.items()
        }

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Return the indexed entries in rank order (popularity, then name)."""
        return self._entries

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
        return None if typo is None else self._entries[typo[0][0]]

    def vocabulary(self, key: str) -> frozenset[str]:
        """Return the word stems of an indexed entry's text (empty for an unknown key)."""
        position = self._position.get(key)
        return frozenset() if position is None else self._text_vocab[position]

    def _hit(self, ref: _Ref, score: float, kind: str | None = None) -> Hit:
        """Return a Hit for a name reference; kind defaults to exact or alias."""
        index, name, is_term = ref
        if kind is None:
            kind = "exact" if is_term else "alias"
        return Hit(self._entries[index], round(score, 1), name, kind)

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
        low = bisect_left(self._prefix_keys, core)
        high = bisect_left(self._prefix_keys, core + "\uffff", low)
        best: tuple[float, int, str] | None = None
        entries: set[int] = set()
        for position in range(low, min(high, low + 200)):
            tier, index, name = self._prefix_refs[position]
            form = self._prefix_keys[position]
            # Whole-name prefixes only; a word inside a name ("colab" in "google colab")
            # is handled as an alias or contained match.
            if tier not in (_T_TERM, _T_ALIAS):
                continue
            at_word = len(form) == len(core) or form[len(core)] == " "
            coverage = len(core) / len(form)
            # "nvidia" of "nvidia cuda" names the maker, not the entry; "cola" is not "colab".
            if coverage < 0.6 or (not at_word and self._is_wording(core)):
                continue
            entries.add(index)
            candidate = (coverage, -index, name)
            if best is None or candidate > best:
                best = candidate
        if best is None or len(entries) > 1:
            return None
        coverage, negative_index, name = best
        index = -negative_index
        return Hit(self._entries[index], round(80.0 + 15.0 * coverage, 1), name, "prefix")

    def _is_wording(self, phrase: str) -> bool:
        """Return whether a phrase is made of ordinary English words, so it holds no typo."""
        tokens = phrase.split()
        if len(tokens) > 1 and any(stem(token) in self._name_tokens for token in tokens):
            # "bit dept": a glossary word anchors the phrase; its neighbour may be misspelt.
            return False
        return all(token in self._english or stem(token) in self._name_tokens for token in tokens)

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
        vocab = self._text_vocab[self._position[hit.entry.key]]
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
        for index in rarest[:_MENTION_SCAN]:
            if all(word in self._text_vocab[index] for word in stems):
                entry = self._entries[index]
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
                hits.extend(self._token_hit(index, token_stem, 70.0) for index in rows[:3])
            elif fuzzy and len(token_stem) >= 4 and token not in COMMON_WORDS:
                for word, score, _ in self._vocab.search(token_stem, _TOKEN_SUGGEST_RATIO, 2):
                    hits.extend(
                        self._token_hit(index, word, score * 0.8)
                        for index in self._token_entries[word][:3]
                    )
        return hits

    def _token_hit(self, index: int, token: str, score: float) -> Hit:
        """Return a suggestion for the name of an entry that contains a token."""
        entry = self._entries[index]
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
            return [Hit(e, 0.0, e.term, "prefix") for e in self._entries[:limit]]
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
        best: dict[int, tuple[int, int, str]] = {}
        for exact_map in (self._exact, self._stems):
            ref = exact_map.get(query)
            if ref is not None:
                tier = _T_EXACT_TERM if ref[2] else _T_EXACT_ALIAS
                best.setdefault(ref[0], (tier, ref[0], ref[1]))
        if len(query) <= _SHORT_PREFIX:
            rows: Iterable[tuple[int, int, str]] = self._short.get(query, ())
        else:
            low = bisect_left(self._prefix_keys, query)
            high = bisect_left(self._prefix_keys, query + "\uffff", low)
            rows = self._prefix_refs[low:high]
        for row in rows:
            current = best.get(row[1])
            if current is None or row[0] < current[0]:
                best[row[1]] = row
        ranked = sorted(best.values())[:limit]
        return [self._prefix_hit(query, tier, index, name) for tier, index, name in ranked]

    def _prefix_hit(self, query: str, tier: int, index: int, name: str) -> Hit:
        """Return the Hit for one autocomplete row, scoring by how much of the name was typed."""
        if tier <= _T_EXACT_ALIAS:
            return Hit(self._entries[index], 100.0, name, "exact" if tier == 0 else "alias")
        coverage = min(len(query) / max(len(normalize(name)), 1), 1.0)
        kind = "prefix" if tier in (_T_TERM, _T_TERM_WORD) else "alias"
        score = 60.0 + 35.0 * coverage - (5.0 if tier in (_T_TERM_WORD, _T_ALIAS_WORD) else 0.0)
        return Hit(self._entries[index], round(score, 1), name, kind)
