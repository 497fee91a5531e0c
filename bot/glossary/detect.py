"""Detect chat messages that ask what a glossary term means, or that merely mention one.

A `Detector` indexes every normalised name once, keyed by its first word, so scanning a
message costs a few dict look-ups per word whatever the glossary's size. Question mode
then reads the words around each mention, clause by clause, with small anchored regexes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from bot.glossary.matcher import STOP_WORDS, Matcher, entry_vocabulary, stem
from bot.glossary.models import Entry
from bot.glossary.text import normalize

Mode = Literal["question", "mention", "off"]

# --- markup ------------------------------------------------------------------------------

# One pass, earliest match wins; block constructs become a line break so the words on
# either side never read as one clause.
_MARKUP = re.compile(
    r"(?P<block>```.*?```"  # fenced code block
    r"|(?m:^>>> [\s\S]*)"  # block quote: the rest of the message
    r"|(?m-s:^> .*$))"  # quote line
    r"|(?P<inline>``(?:[^`]|`(?!`))+``|`[^`\n]+`"  # inline code
    r"|\|\|.+?\|\|"  # spoiler
    r"|<https?://[^\s>]+>|(?:https?://|www\.)\S+"  # links
    r"|<a?:\w+:\d+>|:[A-Za-z][\w+-]*:"  # custom and shortcode emoji
    r"|<(?:@[!&]?|#)\d+>|</[^\s<>]+:\d+>|<t:-?\d+(?::\w)?>)",  # mentions, commands, times
    re.DOTALL,
)
# What find_terms hides: links, emoji and mentions are not prose a reader could ask about.
_NOT_PROSE = re.compile(
    r"<https?://[^\s>]+>|(?:https?://|www\.)\S+|<a?:\w+:\d+>|:[A-Za-z][\w+-]*:"
    r"|<(?:@[!&]?|#)\d+>|</[^\s<>]+:\d+>|<t:-?\d+(?::\w)?>"
)


def _replace_markup(match: re.Match[str]) -> str:
    """Return the separator that stands in for one piece of markup."""
    return "\n" if match.lastgroup == "block" else " "


def strip_markup(message: str) -> str:
    """Return the message without code, quotes, spoilers, links, custom emoji or mentions."""
    # Every construct holds one of these; most messages hold none (faster than one regex).
    if not (
        "`" in message
        or "|" in message
        or "<" in message
        or ">" in message
        or ":" in message
        or "www." in message
    ):
        return message
    return _MARKUP.sub(_replace_markup, message)


# --- tokens ------------------------------------------------------------------------------

# A word is what text.normalize keeps; a clause ends at ? ! ; , a line break, or a full
# stop that is not inside a name such as "Lightning.AI".
_TOKEN = re.compile(r"[^\W_]+|[?!;,\n]|\.(?!\w)")
_CHUNK = re.compile(r"\S+|\n")


@dataclass(slots=True)
class _Clause:
    """Words of one clause with their spans in the scanned text; `asks` when it ends in '?'."""

    words: list[str]
    spans: list[tuple[int, int]]
    asks: bool = False


def _tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield normalised words and clause marks with their spans in the text."""
    if text.isascii():
        # ASCII casefolds to lower() with unchanged offsets, and NFKC is the identity.
        for match in _TOKEN.finditer(text.lower()):
            yield match.group(), match.start(), match.end()
        return
    # NFKC may change lengths, so normalise chunk by chunk and give words their chunk's span.
    for chunk in _CHUNK.finditer(text):
        folded = unicodedata.normalize("NFKC", chunk.group()).casefold()
        for match in _TOKEN.finditer(folded):
            yield match.group(), chunk.start(), chunk.end()


def _fold(text: str) -> str:
    """Return the text as the scan reads it: NFKC and casefolded, as text.normalize does."""
    # ASCII casefolds to lower() and NFKC leaves it alone. Folding the whole text gives the
    # same tokens as _tokens' chunk by chunk: NFKC never joins characters across whitespace.
    return text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()


# The tokens of _TOKEN that are not words.
_MARKS = frozenset("?!;,\n.")


def _split(tokens: list[str], spans: list[tuple[int, int]] | None = None) -> list[_Clause]:
    """Group words into clauses at the marks, with the words' spans if given (one per token)."""
    if _MARKS.isdisjoint(tokens):
        # Most chat messages are one clause.
        return [_Clause(tokens, spans or [])] if tokens else []
    clauses: list[_Clause] = []
    count = len(tokens)
    asks = False  # a "?" that ends no words marks the clauses on both sides of it
    start = 0
    for end in [i for i, token in enumerate(tokens) if token in _MARKS] + [count]:
        question = end < count and tokens[end] == "?"
        if end > start:
            words_spans = spans[start:end] if spans else []
            clauses.append(_Clause(tokens[start:end], words_spans, asks or question))
            asks = False
        elif question:
            asks = True
            if clauses:
                clauses[-1].asks = True
        start = end + 1
    return clauses


def _clauses(text: str) -> list[_Clause]:
    """Split a message into clauses of normalised words with their spans in the text."""
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    for token, start, end in _tokens(text):
        tokens.append(token)
        spans.append((start, end))
    return _split(tokens, spans)


# --- question rules ----------------------------------------------------------------------

_WHAT = r"(?:what|wat|wut|wht|whut|wot|whta|waht)"
_ADV = r"(?: (?:even|exactly|actually|really|tf|the hell|the heck|the fuck|on earth|in the world))"
_DET = r"(?: (?:a|an|the|this|that|these|those|some|so called|thing called))?"
_NOUN_HEAD = r"(?: (?:word|term|acronym|abbreviation|abbr|setting|option|thing))?"
_TAIL_DET = _DET + _NOUN_HEAD + "$"


def _ask_rule(*bodies: str) -> re.Pattern[str]:
    """Compile question rules, each read from a word boundary to the end of the words before."""
    return re.compile(rf"(?:^| )(?:{'|'.join(bodies)})")


_WHAT_IS = (
    rf"(?:{_WHAT}{_ADV}? (?:is|s|are|re|r|was|were|iz)"
    rf"|(?:whats|wats|wuts|whts|wots|whatre|whatis|wtf|wth) (?:is|s|are)"
    rf"|whats|wats|wuts|whts|wots|whatre|whatis|wtfs){_ADV}?{_TAIL_DET}"
)
_WHAT_DOES = rf"(?:{_WHAT}|whatd|wtf|wth) (?:does|do|dose|dos|doe|did|doez){_TAIL_DET}"
_MEANING = (
    rf"(?:meaning|meanin|definition|def|defn|explanation|explaination) of{_TAIL_DET}"
    rf"|(?:(?:mean|meant|means) by|wdym(?: by)?|wym(?: by)?){_TAIL_DET}"
)
_EXPLAIN = (
    r"(?:explain|explian|expain|explane|eli5|define|defne)"
    rf"(?: (?:me|to me|for me|us|to us))?(?: what(?: is| are| s)?)?{_TAIL_DET}"
)
_INDIRECT = rf"{_WHAT}{_TAIL_DET}"
_HOW = r"how (?:does|do|did|would|will)(?: (?:a|an|the))?$"
_ASK_WHAT_IS = _ask_rule(_WHAT_IS)
_ASK_WHAT_DOES = _ask_rule(_WHAT_DOES)
_ASK_MEANING = _ask_rule(_MEANING, _EXPLAIN)
_ASK_INDIRECT = _ask_rule(_INDIRECT)
_ASK_HOW = _ask_rule(_HOW)
# Whether any rule above applies: one search rejects most mentions that follow a "what".
_ASK_ANY = _ask_rule(_WHAT_IS, _WHAT_DOES, _MEANING, _EXPLAIN, _INDIRECT, _HOW)
_WORK = frozenset({"work", "works", "function", "operate"})
# Prepositions after a term: "a checkpoint in rvc" keeps the subject, "a fork in the road"
# names another thing, told apart by whether the following words belong to the entry.
_PREPOSITIONS = frozenset({"in", "for", "to", "within", "inside", "on", "of", "with", "from"})
# A question comparing two terms asks about both.
_DIFFERENCE_WORDS = ("difference", "differences", "diff", "comparison")
_DIFFERENCE = re.compile(
    rf"(?:^| )(?:{'|'.join(_DIFFERENCE_WORDS)}) (?:between|of)(?: (?:a|an|the))?$"
)
_VERSUS = frozenset({("vs",), ("versus",), ("v",), ("or",), ("and",), ("vs", "the")})
# Between two terms, these ask even without a question mark ("lossy vs lossless").
_VERSUS_ASKS = frozenset({("vs",), ("versus",), ("vs", "the")})
_BETTER = frozenset({("better", "than"), ("worse", "than"), ("or",), ("vs",), ("versus",)})
_COMPARING = _VERSUS | _BETTER
# Clear definition questions whose subject names no entry: candidates for a typo.
_FORGIVE = re.compile(
    r"^(?:(?:hey|hi|yo|so|ok|okay|wait|sorry|guys|um|uh) )*"
    rf"(?:{_WHAT}(?: even| exactly| actually)? (?:is|s|are|r)|whats|wats|define|explain"
    r"|eli5|meaning of|definition of)(?: (?:a|an|the))? (?P<subject>\w+(?: \w+){0,2})$"
    rf"|^{_WHAT} (?:does|do) (?:a |an |the )?(?P<meant>\w+(?: \w+){{0,2}})"
    r" (?:mean|means|stand for|stands for)$"
)
_FORGIVE_HINT = re.compile(r"\b(?:wh?at|whats|wats|define|explain|eli5|meaning|definition)\b")
# The speaker explains or already knows the term: a statement, not a question.
_NOT_ASKING = re.compile(
    r"(?:^| )(?:let me|lemme|i ll|ill|i will|i can|i could|i d|i would|gonna|going to|try to"
    r"|trying to|tried to|hard to|easy to|i|we)(?: \w+)? (?:explain|define|explained)(?: |$)"
    r"|(?:^| )(?:i|we)(?: already| def| definitely| totally| do)?"
    r" (?:know|knew|understand|get|learned|learnt|remember)(?: \w+)? what(?: |$)"
    r"|(?:^| )(?:that s|thats|that is|this is|which is|here s|heres|here is) what(?: |$)"
)


def _word_set(words: str) -> frozenset[str]:
    """Return the set of space-separated words."""
    return frozenset(words.split())


_FILLER = _word_set(
    "pls plz please pleas plss plox lol lmao lmfao xd bro bruh guys yall y all man dude fam"
    " mate chat folks here again exactly precisely actually even really tho though btw"
    " anyway anyways thx thanks ty sorry ok okay hey hi hello yo um uh hmm hmmm huh eh ah oh"
    " so wait someone anyone somebody anybody quick question q real noob dumb stupid"
)
_FORGIVE_OPENERS = _word_set(
    "what wat wut wht whut wot whta waht whats wats define explain eli5 meaning definition"
)
# The words at least one question rule needs before a term (see the _ASK_* patterns).
_ASK_WORDS = _word_set(
    "what wat wut wht whut wot whta waht whats wats wuts whts wots whatre whatis whatd wtf wth"
    " wtfs meaning meanin definition def defn explanation explaination mean meant means wdym"
    " wym explain explian expain explane eli5 define defne how"
)
# After a head noun ("the optim setting") the question is still about the term.
_HEAD_NOUNS = _word_set(
    "thing things thingy stuff term word setting settings option feature file files acronym"
    " abbreviation abbr"
)
# Words that may start a clause continuing a definition question ("what is hags and ...").
_CONTINUE = _word_set(
    "and or but so because cause cuz coz bc since if when whats what why how where which who"
    " is are was were does do should can could would will i im ive id ill you u it its they"
    " people everyone there theres mean means meant stand stands used good supposed about"
)
# ...and those that only follow an indefinite term ("what is a checkpoint in rvc").
_CONTINUE_LOOSE = _CONTINUE | {"in", "for", "to", "within", "inside", "on", "of", "with", "from"}
_MEANING_VERBS = (
    ("mean",),
    ("means",),
    ("meant",),
    ("stand", "for"),
    ("stands", "for"),
    ("standfor",),
    ("stand",),
    ("refer", "to"),
    ("refers", "to"),
    ("do",),
    ("does",),
)
_BE_VERBS = frozenset({"is", "are", "s", "means", "mean", "stand", "stands", "do", "does"})
_BARE_SUFFIXES = frozenset(
    {
        ("meaning",),
        ("meanin",),
        ("definition",),
        ("def",),
        ("defn",),
        ("means",),
        ("mean",),
        ("explained",),
        ("explanation",),
        ("means", "what"),
        ("mean", "what"),
        ("is", "what"),
        ("stands", "for"),
        ("stand", "for"),
        ("what",),
        ("is",),
    }
)
# A bare term followed only by these asks only if the clause ends in "?".
_WEAK_SUFFIXES = frozenset({("is",), ("what",)})
# A bare question is a short message; longer ones are never "just the term".
_BARE_MAX_CLAUSES = 6
_BARE_MAX_WORDS = 16
_BARE_PREFIXES = frozenset({(), ("a",), ("an",), ("the",)})
# A message asks about a term only if it holds one of these: a word some question rule needs
# before the term, a "?", a word of a bare suffix that asks without one ("hags meaning"), a
# comparison ("difference between", "vs"), or what opens a question about a misspelt term.
# Most chat holds none, so the scan stops there.
_QUESTION_WORDS = (
    _ASK_WORDS
    | _FORGIVE_OPENERS
    | {"?", *_DIFFERENCE_WORDS}
    | {words[0] for words in _VERSUS_ASKS}
    # Any one word of a suffix will do; "is" is too common to be the one.
    | {next(word for word in words if word != "is") for words in _BARE_SUFFIXES - _WEAK_SUFFIXES}
)
_FOLLOW_UP = re.compile(
    rf"^(?:{_WHAT}|whats|wats)(?: (?:is|s|does|do|even|exactly))*(?: (?:that|this|it|mean))*$"
    r"|^(?:explain|eli5|meaning|definition|define)$"
)


def _skip(words: list[str], start: int, skippable: frozenset[str]) -> int:
    """Return the first index from start whose word is not skippable."""
    while start < len(words) and words[start] in skippable:
        start += 1
    return start


def _tail_ok(tail: list[str], *, loose: bool) -> bool:
    """Return whether the words after a term keep the question about the term itself."""
    i = _skip(tail, 0, _HEAD_NOUNS)
    i = _skip(tail, i, _FILLER)
    return i == len(tail) or tail[i] in (_CONTINUE_LOOSE if loose else _CONTINUE)


def _after_meaning_verb(tail: list[str]) -> bool:
    """Return whether the words after a term start with "mean", "stand for", "do"..."""
    i = _skip(tail, _skip(tail, 0, _HEAD_NOUNS), _FILLER)
    for verb in _MEANING_VERBS:
        if tuple(tail[i : i + len(verb)]) == verb:
            rest = tail[i + len(verb) :]
            # "what does cuda do to my fps" asks about behaviour, not meaning.
            return verb[0] not in {"do", "does"} or _tail_ok(rest, loose=True)
    return False


def _indirect(tail: list[str]) -> bool:
    """Return whether the words after "what X" close an indirect question ("... X is")."""
    i = _skip(tail, _skip(tail, 0, _HEAD_NOUNS), _FILLER)
    if i == len(tail) or tail[i] not in _BE_VERBS:
        return False
    i += 2 if tail[i + 1 : i + 2] == ["for"] and tail[i] in {"stand", "stands"} else 1
    i = _skip(tail, i, _FILLER)
    # Only a new clause may follow: "what gpu is best" or "what gpu do you have" ask otherwise.
    return i == len(tail) or tail[i] in {"and", "or", "but", "because", "cause", "cuz", "bc"}


def _tail_fits(tail: list[str], vocabulary: Callable[[], frozenset[str]]) -> bool:
    """Return whether words after a preposition belong to the entry ("checkpoint in rvc")."""
    i = _skip(tail, _skip(tail, 0, _HEAD_NOUNS), _FILLER)
    if i == len(tail) or tail[i] not in _PREPOSITIONS:
        return True
    words = [w for w in tail[i + 1 : i + 4] if w not in STOP_WORDS and w not in _FILLER]
    return not words or stem(words[0]) in vocabulary()


def _asks_in_clause(
    words: list[str],
    start: int,
    end: int,
    entry: Entry,
    vocabulary: Callable[[Entry], frozenset[str]],
) -> bool:
    """Return whether the clause asks what the term at words[start:end] means."""
    before = words[max(0, start - 8) : start]
    # Every rule below needs one of these words before the term; most mentions have none.
    if _ASK_WORDS.isdisjoint(before):
        return False
    pre = " ".join(before)
    if _ASK_ANY.search(pre) is None or _NOT_ASKING.search(pre):
        return False
    # The rules read a few words either side; bounded slices keep long messages linear.
    tail = words[end : end + 12]
    if _ASK_WHAT_IS.search(pre):
        definite = pre.endswith(("the", "this", "that", "these", "those"))
        return _tail_ok(tail, loose=not definite) and _tail_fits(tail, lambda: vocabulary(entry))
    if _ASK_HOW.search(pre):
        # "how does gradio work" asks what it is; "how does gradio handle x" asks more.
        return bool(tail) and tail[0] in _WORK and _tail_ok(tail[1:], loose=False)
    if _ASK_WHAT_DOES.search(pre):
        return _after_meaning_verb(tail)
    if _ASK_MEANING.search(pre):
        return _tail_ok(tail, loose=True)
    if _ASK_INDIRECT.search(pre):
        return _indirect(tail)
    return False


def _bare(clauses: list[_Clause], index: int, start: int, end: int) -> bool:
    """Return whether the message is just the term asked about ("hags?", "optim meaning")."""
    clause = clauses[index]
    words = clause.words
    if len(clauses) > _BARE_MAX_CLAUSES or len(words) > _BARE_MAX_WORDS:
        return False
    before = words[_skip(words, 0, _FILLER) : start]
    if tuple(before) not in _BARE_PREFIXES:
        return False
    after = words[end:]
    i = _skip(after, _skip(after, 0, _HEAD_NOUNS), _FILLER)
    suffix = tuple(w for w in after[i:] if w not in _FILLER)
    if suffix and suffix not in _BARE_SUFFIXES:
        return False
    if not (clause.asks or (suffix and suffix not in _WEAK_SUFFIXES)):
        return False
    others = (c for n, c in enumerate(clauses) if n != index)
    rests = (" ".join(w for w in c.words if w not in _FILLER) for c in others)
    return all(not rest or _FOLLOW_UP.match(rest) for rest in rests)


# --- detector ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Hit:
    """One mention of an entry: clause index and word span within that clause."""

    entry: Entry
    clause: int
    start: int
    end: int


class Detector:
    """Find glossary terms in chat messages; immutable, rebuild it when the glossary changes."""

    __slots__ = ("_first", "_names", "_typos", "_vocabularies")

    def __init__(self, entries: Iterable[Entry], *, typos: Matcher | None = None) -> None:
        """Index every normalised name of the entries, terms before aliases before plurals.

        With `typos` (a matcher over the same entries), a clear definition question about a
        misspelt term is answered too ("what is jupter notebook").
        """
        entries = list(entries)
        self._typos = typos
        self._vocabularies: dict[str, frozenset[str]] = {}
        names: dict[str, Entry] = {}
        for entry in entries:
            self._add(names, normalize(entry.term), entry)
        for entry in entries:
            for alias in entry.aliases:
                self._add(names, normalize(alias), entry)
        for entry in entries:
            for name in entry.names:
                for variant in _number_variants(normalize(name)):
                    self._add(names, variant, entry)
        lengths: dict[str, set[int]] = {}
        for name in names:
            words = name.split(" ")
            lengths.setdefault(words[0], set()).add(len(words))
        self._names = names
        # First word -> the word counts of the names starting with it, longest first: most
        # words of a message miss here, and a hit tries only lengths some name has.
        self._first = {word: tuple(sorted(ns, reverse=True)) for word, ns in lengths.items()}

    @staticmethod
    def _add(names: dict[str, Entry], name: str, entry: Entry) -> None:
        """Map a name to an entry unless an earlier entry already owns it."""
        if name:
            names.setdefault(name, entry)

    def _hits(self, clauses: list[_Clause]) -> list[_Hit]:
        """Return the longest non-overlapping name matches, in order of appearance."""
        hits: list[_Hit] = []
        first, names = self._first, self._names
        for index, clause in enumerate(clauses):
            words = clause.words
            count = len(words)
            free = 0  # the first word not inside an earlier match
            for i, word in enumerate(words):
                lengths = first.get(word)
                if lengths is None or i < free:
                    continue
                for n in lengths:
                    if i + n > count:
                        continue
                    entry = names.get(" ".join(words[i : i + n]) if n > 1 else word)
                    if entry is not None:
                        hits.append(_Hit(entry, index, i, i + n))
                        free = i + n
                        break
        return hits

    def _named(self, tokens: list[str]) -> bool:
        """Return whether any token starts a name: False is the common, cheap case."""
        return not self._first.keys().isdisjoint(tokens)

    def scan(
        self, message: str, mode: Mode = "question", *, exclude: Collection[str] = ()
    ) -> list[Entry]:
        """Return the autoreply entries to explain for a message, in order, without repeats."""
        if mode == "off":
            return []
        text = strip_markup(message)
        tokens = _TOKEN.findall(_fold(text))
        named = self._named(tokens)
        if mode != "question":
            hits = self._hits(_split(tokens)) if named else []
        elif _QUESTION_WORDS.isdisjoint(tokens):
            # No question rule can apply, and a typo is forgiven only after an opener.
            return []
        elif named:
            clauses = _split(tokens)
            hits = self._asked(clauses, self._hits(clauses))
            if not hits and self._forgives(text, tokens):
                hits = self._forgiven(clauses)
        elif self._forgives(text, tokens):
            hits = self._forgiven(_split(tokens))
        else:
            return []
        if not hits:
            return []
        return _unique(h.entry for h in hits if h.entry.autoreply and h.entry.key not in exclude)

    def _forgives(self, text: str, tokens: list[str]) -> bool:
        """Return whether a misspelt term may be looked for: the text reads like a question."""
        return (
            self._typos is not None
            # A typo is only forgiven after one of these words (see _forgiven).
            and not _FORGIVE_OPENERS.isdisjoint(tokens)
            and _FORGIVE_HINT.search(text.lower()) is not None
        )

    def _vocabulary(self, entry: Entry) -> frozenset[str]:
        """Return the entry's word stems, computed once when first needed."""
        found = self._vocabularies.get(entry.key)
        if found is None:
            found = self._typos.vocabulary(entry.key) if self._typos else frozenset()
            found = found or entry_vocabulary(entry)
            self._vocabularies[entry.key] = found
        return found

    def _forgiven(self, clauses: list[_Clause]) -> list[_Hit]:
        """Return the entry a clear definition question misspells, if exactly one fits."""
        if self._typos is None or len(clauses) > _BARE_MAX_CLAUSES:
            return []
        for index, clause in enumerate(clauses):
            words = [w for w in clause.words if w not in _FILLER] or clause.words
            if words[0] not in _FORGIVE_OPENERS:
                continue
            asked = _FORGIVE.match(" ".join(words))
            if asked is None:
                continue
            entry = self._typos.correct(asked["subject"] or asked["meant"])
            if entry is not None:
                return [_Hit(entry, index, 0, 0)]
        return []

    def _asked(self, clauses: list[_Clause], hits: list[_Hit]) -> list[_Hit]:
        """Return the hits that the message asks about."""
        asked: list[_Hit] = []
        previous: _Hit | None = None
        facts: _MessageFacts | None = None
        for number, hit in enumerate(hits):
            words = clauses[hit.clause].words
            if (
                _asks_in_clause(words, hit.start, hit.end, hit.entry, self._vocabulary)
                or _bare(clauses, hit.clause, hit.start, hit.end)
                or _coordinated(previous, hit, words)
            ):
                asked.append(hit)
                previous = hit
            elif number + 1 < len(hits):
                # Only a message naming two terms can compare them: worked out then, once.
                facts = facts or _MessageFacts(clauses)
                if not _compared(facts, hit, hits[number + 1]):
                    continue
                asked.extend((hit, hits[number + 1]))
                previous = hits[number + 1]
        return asked

    def find_terms(self, message: str) -> list[tuple[Entry, str]]:
        """Return every entry named in the message with the text as written, in order."""
        text = _NOT_PROSE.sub(lambda match: " " * len(match.group()), message)
        if not self._named(_TOKEN.findall(_fold(text))):
            return []
        clauses = _clauses(text)
        found: dict[str, tuple[Entry, str]] = {}
        for hit in self._hits(clauses):
            if hit.entry.key not in found:
                spans = clauses[hit.clause].spans
                written = text[spans[hit.start][0] : spans[hit.end - 1][1]]
                found[hit.entry.key] = (hit.entry, _trim(written))
        return list(found.values())


def _coordinated(previous: _Hit | None, hit: _Hit, words: list[str]) -> bool:
    """Return whether the hit is joined to an asked term: "what are lossy and lossless"."""
    return (
        previous is not None
        and previous.clause == hit.clause
        and hit.start - previous.end == 1
        and words[previous.end] in {"and", "or", "vs", "n"}
    )


class _MessageFacts:
    """What `_compared` asks of a whole message, worked out once per message, not per pair."""

    def __init__(self, clauses: list[_Clause]) -> None:
        self.clauses = clauses
        self._asks: bool | None = None
        self._clause_facts: dict[int, tuple[bool, int]] = {}

    def asks(self) -> bool:
        """Return whether any clause ends in "?"."""
        if self._asks is None:
            self._asks = any(clause.asks for clause in self.clauses)
        return self._asks

    def clause(self, index: int) -> tuple[bool, int]:
        """Return (says "which", how many words are not filler) for one clause."""
        found = self._clause_facts.get(index)
        if found is None:
            words = self.clauses[index].words
            found = ("which" in words, sum(1 for word in words if word not in _FILLER))
            self._clause_facts[index] = found
        return found


def _compared(facts: _MessageFacts, first: _Hit, second: _Hit) -> bool:
    """Return whether a question compares two terms ("difference between x and y", "x vs y?")."""
    if first.clause != second.clause:
        return False
    clause = facts.clauses[first.clause]
    words = clause.words
    between = tuple(words[first.end : second.start])
    if between not in _COMPARING:
        # Every rule below needs one of these between the terms.
        return False
    pre = " ".join(words[max(0, first.start - 6) : first.start])
    if _DIFFERENCE.search(pre):
        return between in _VERSUS
    if between in _VERSUS_ASKS:
        # A bare "lossy vs lossless" asks; "i tested flac vs mp3 and ..." tells.
        says_which, content = facts.clause(first.clause)
        if says_which or facts.asks():
            return True
        inside = sum(1 for word in words[first.start : second.end] if word not in _FILLER)
        return content == inside
    return clause.asks and between in _BETTER and words[max(0, first.start - 1)] in {"is", "are"}


def _number_variants(name: str) -> tuple[str, ...]:
    """Return the singular or plural of a name's last word, so "checkpoint" finds "checkpoints"."""
    head, _, last = name.rpartition(" ")
    prefix = f"{head} " if head else ""
    if last.endswith("s") and not last.endswith("ss") and len(last) > 4:
        return (prefix + last[:-1],)
    if last.isalpha() and not last.endswith("s") and len(last) > 2:
        return (prefix + last + "s",)
    return ()


def _unique(entries: Iterable[Entry]) -> list[Entry]:
    """Return the entries without repeats, keeping the first of each key."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        seen.setdefault(entry.key, entry)
    return list(seen.values())


def _trim(written: str) -> str:
    """Return the text without the punctuation a whole chunk may carry ("HAGS?" -> "HAGS")."""
    start, end = 0, len(written)
    while start < end and not written[start].isalnum():
        start += 1
    while end > start and not written[end - 1].isalnum():
        end -= 1
    return written[start:end]
