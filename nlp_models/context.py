"""Context of a match, in the manner of ConText (Harkema et al. 2009; the algorithm medspaCy and,
for negation only, negspacy implement): modifiers found by rules set a category over a scope of
tokens next to them, and a rule match is read in the light of the categories over it.

What the rules here need to know about a match:
- is it negated ("I'm not a failure", "I would never kill myself"), with pseudo-negations that
  only look like one ("not only", "no matter", "can't stop");
- whose words they are: the writer's, or someone else's reported words ("my dad thinks ...",
  "she keeps saying ..."), unless the writer takes them on ("... and he's right");
- whose state it describes (the subject looked back for: first, second or third person);
- time: a belief that is over ("I used to think ..."), a limit to now ("today", "this time",
  "so far"), a passing state ("tired", "hungry");
- causes outside the writer in the same sentence ("because of the snow").

Why not medspaCy or negspacy: medspaCy 1.3 requires spaCy < 3.8 on Python 3.11 (and brings
PyRuSH and QuickUMLS); negspacy does negation alone, over entities that may not overlap, while
the rules here overlap freely. The algorithm is small; its word lists live in lexicon.json and
its modifier rules in patterns/context.jsonl, in the same pattern language as every other rule.

Clauses: a sentence splits at punctuation, an emoji, a connector ("but", "because", "so"), and,
when punctuation is missing, at a new subject pronoun or a capitalised opener ("i failed again
im useless", "she left No one cares").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc

from nlp_models.fastmatch import FLAG_PUNCT, FLAG_SENT_END, Visible
from nlp_models.rulebook import Lexicon

CATEGORIES = (
    "reported",  # someone else's words: forward, to the end of the sentence or a contrast word
    "taken_on",  # the writer agrees with reported words: cancels `reported` in its sentence
    "past_belief",  # a belief that is over: forward, to the end of the sentence
    "time_limited",  # limited to now: the whole clause
    "state",  # a passing state: the whole sentence
    "external",  # a cause outside the writer: the whole sentence
    "denied",  # a claim the writer denies ("it's not that nothing works", "I wouldn't say ...")
    "help_question",  # a request for practical help ("any tips for a toddler who never sleeps?")
    "pseudo",  # no negation of what follows it ("not sure", "no one"): for the negation check
    "not_flipper",  # no negation at all ("no matter", "can't wait"): nor for the valence
)
DIRECTIONS = ("forward", "backward", "both")
SCOPES = ("clause", "sentence")


@dataclass(frozen=True)
class Modifier:
    category: str
    direction: str
    scope: str


@dataclass
class Context:
    """The visible tokens of a Doc with their clauses, sentences and modifier scopes."""

    doc: Doc
    vis: Visible
    norms: list[str]
    lemmas: list[str]
    lowers: list[str]
    punct: list[bool]
    sent: list[int]
    clause: list[int]
    sent_bounds: list[tuple[int, int]]
    clause_bounds: list[tuple[int, int]]
    lex: dict[str, frozenset[str]]
    pseudo_tokens: set[int] = field(default_factory=set)
    not_flipper_tokens: set[int] = field(default_factory=set)
    scopes: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)
    negation_window: int = 6
    subject_window: int = 8
    # polarity marks (category, start, end) for valence.py
    marks: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.norms)

    # -- spans ---------------------------------------------------------------------------------
    def char_span(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets (in the Doc's text) of visible tokens start..end."""
        doc = self.doc
        first = doc[self.vis.index[start]]
        last = doc[self.vis.index[end - 1]]
        return first.idx, last.idx + len(last.text)

    def sentence_of(self, i: int) -> tuple[int, int]:
        return self.sent_bounds[self.sent[i]]

    def clause_of(self, i: int) -> tuple[int, int]:
        return self.clause_bounds[self.clause[i]]

    # -- categories --------------------------------------------------------------------------
    def within(self, category: str, start: int, end: int | None = None) -> bool:
        """Does the match at `start` (..`end`) begin inside the scope of a `category` modifier?"""
        return any(lo <= start < hi for lo, hi, _, _ in self.scopes.get(category, ()))

    def modifiers_in(self, category: str, lo: int, hi: int) -> list[tuple[int, int]]:
        """The (start, end) of modifiers of `category` found in lo..hi."""
        return [(s, e) for _, _, s, e in self.scopes.get(category, ()) if lo <= s and e <= hi]

    def reported(self, start: int, end: int) -> bool:
        """Someone else's words, not taken on by the writer."""
        if not self.within("reported", start, end):
            return False
        s0, s1 = self.sentence_of(start)
        return not self.modifiers_in("taken_on", s0, s1)

    # -- negation and subject (the look-back rules) ---------------------------------------
    def is_negation(self, i: int) -> bool:
        return (
            self.norms[i] in self.lex["negation_cue"]
            and i not in self.pseudo_tokens
            and i not in self.not_flipper_tokens
        )

    def negated(self, start: int, lo: int | None = None, window: int | None = None) -> bool:
        """A negation cue shortly before `start`, in its clause: the look-back stops at
        punctuation, a clause breaker and a new subject ("I'm not sure I want to die" stops
        at "i"). `lo`: how far back it may look (default: the start of the sentence)."""
        lo = self.sentence_of(start)[0] if lo is None else lo
        window = self.negation_window if window is None else window
        breakers = self.lex["clause_breaker"]
        scope_subjects = self.lex["negation_scope_subject"]
        i, steps = start - 1, 0
        while i >= lo and steps < window:
            n = self.norms[i]
            if self.punct[i] or n in breakers or n in scope_subjects:
                return False
            if self.is_negation(i):
                return True
            i -= 1
            steps += 1
        return False

    def subject(self, start: int, lo: int | None = None) -> str:
        """Whose state a match describes, looked back for in its clause: "self", "second",
        "third" or "generic". Chat often drops the subject ("feeling suicidal", "wanna die"):
        a match that opens its clause is read as first person."""
        lo = self.sentence_of(start)[0] if lo is None else lo
        breakers = self.lex["subject_breaker"]
        first, second, third = (
            self.lex["first_person"],
            self.lex["second_person"],
            self.lex["third_person"],
        )
        i, steps = start - 1, 0
        while i >= lo and steps < self.subject_window:
            n = self.norms[i]
            if self.punct[i] or n in breakers:
                break
            if n in first:
                return "self"
            if n in second:
                return "second"
            if n in third:
                return "third"
            i -= 1
            steps += 1
        if steps <= 2 and (i < lo or self.punct[i] or self.norms[i] in breakers):
            return "self"
        return "generic"


def build_context(
    doc: Doc,
    vis: Visible,
    lex: Lexicon,
    modifiers: list[tuple[Modifier, int, int]],
    lists: dict[str, frozenset[str]],
    negation_window: int,
    subject_window: int,
    pseudo: list[tuple[int, int]],
) -> Context:
    strings = doc.vocab.strings
    norms = [strings[h] for h in vis.norm]
    lemmas = [strings[h] for h in vis.lemma]
    lowers = [strings[h] for h in vis.lower]
    n = len(norms)
    punct = [
        bool(f & FLAG_PUNCT) and norms[k] not in ("'", "\u2019") for k, f in enumerate(vis.flags)
    ]
    ends = [bool(f & FLAG_SENT_END) for f in vis.flags]

    # Sentences: the Doc's own boundaries (sentencizer), plus line breaks.
    sent = [0] * n
    sid = 0
    for k in range(n):
        if k and (doc[vis.index[k]].is_sent_start or (ends[k - 1] and not punct[k - 1])):
            sid += 1
        sent[k] = sid
    # Clauses.
    connectors = lists["connector"]
    subjects = lists["subject_pronoun"]
    complements = lists["complement_verb"]
    no_split = lists["no_split_before_subject"]
    openers = lists["sentence_opener"]

    def opens_clause(k: int) -> bool:
        if sent[k] != sent[k - 1] or punct[k - 1] or ends[k - 1]:
            return True
        if vis.index[k] - vis.index[k - 1] > 1 and _symbol_between(doc, vis, k):
            return True  # an emoji ends a clause
        if norms[k] in connectors:
            return not _intensifier(norms, k, lists)
        if norms[k] in openers and doc[vis.index[k]].is_title and doc[vis.index[k - 1]].is_lower:
            return True  # "we had lunch Nobody calls me"
        return (
            norms[k] in subjects
            and norms[k - 1] not in connectors
            and lemmas[k - 1] not in complements
            and norms[k - 1] not in no_split
        )

    clause = [0] * n
    for k in range(1, n):
        clause[k] = clause[k - 1] + opens_clause(k)
    sent_bounds = _bounds(sent)
    clause_bounds = _bounds(clause)

    ctx = Context(
        doc=doc,
        vis=vis,
        norms=norms,
        lemmas=lemmas,
        lowers=lowers,
        punct=punct,
        sent=sent,
        clause=clause,
        sent_bounds=sent_bounds,
        clause_bounds=clause_bounds,
        lex=lists,
        negation_window=negation_window,
        subject_window=subject_window,
    )
    for s, e in pseudo:
        ctx.pseudo_tokens.update(range(s, e))
    _quoted_speech(ctx)
    terminators = lists["contrast"]
    for mod, s, e in modifiers:
        if mod.category == "pseudo":
            ctx.pseudo_tokens.update(range(s, e))
            continue
        if mod.category == "not_flipper":
            ctx.not_flipper_tokens.update(range(s, e))
            continue
        lo, hi = ctx.clause_of(s) if mod.scope == "clause" else ctx.sentence_of(s)
        if mod.direction in ("forward", "both"):
            j = e
            while j < hi and norms[j] not in terminators:
                j += 1
            f_hi = j
        else:
            f_hi = e
        if mod.direction in ("backward", "both"):
            j = s
            while j > lo and norms[j - 1] not in terminators:
                j -= 1
            b_lo = j
        else:
            b_lo = s
        ctx.scopes.setdefault(mod.category, []).append((b_lo, f_hi, s, e))
    return ctx


_QUOTES = frozenset(('"', "\u201c", "\u201d", "\u00ab", "\u00bb", "''", "``"))


def _quoted_speech(ctx: Context) -> None:
    """Words in quotation marks are someone else's when their sentence has another speaker
    ('my friend texted "I'm such an idiot"'); the writer's own thought in quotes ('I thought
    "I'm useless"') stays the writer's."""
    doc, vis = ctx.doc, ctx.vis
    marks = [k for k in range(ctx.n) if doc[vis.index[k]].text in _QUOTES]
    speakers = ctx.lex["reporter"] | frozenset(("he", "she", "they"))
    verbs = ctx.lex["speech_verb"]
    for a, b in zip(marks[::2], marks[1::2], strict=False):
        lo = ctx.sent_bounds[ctx.sent[a]][0]
        hi = ctx.sent_bounds[ctx.sent[b]][1]
        outside = [i for i in range(lo, hi) if not a <= i <= b]
        if any(ctx.lemmas[i] in speakers or ctx.norms[i] in speakers for i in outside) and any(
            ctx.lemmas[i] in verbs for i in outside
        ):
            ctx.scopes.setdefault("reported", []).append((a, b + 1, a, b + 1))


def _intensifier(norms: list[str], k: int, lists: dict[str, frozenset[str]]) -> bool:
    """ "so" before an adjective ("I'm so stupid") intensifies; before a subject ("so I left")
    it joins a clause."""
    if norms[k] != "so" or k + 1 >= len(norms):
        return False
    nxt = norms[k + 1]
    return nxt not in lists["subject_pronoun"] and nxt not in _CLAUSE_OPENERS


_CLAUSE_OPENERS = frozenset(("it", "its", "that", "there", "the", "my", "this", "now", "then",
                             "what", "why", "how", "if", "we", "everyone", "nobody", "no"))  # fmt: skip


def _symbol_between(doc: Doc, vis: Visible, k: int) -> bool:
    """An emoji or symbol stands between visible tokens k-1 and k (it ends a clause)."""
    for i in range(vis.index[k - 1] + 1, vis.index[k]):
        t = doc[i]
        if not t.is_space:
            return True
    return False


def _bounds(ids: list[int]) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    n = len(ids)
    for k in range(1, n + 1):
        if k == n or ids[k] != ids[start]:
            bounds.append((start, k))
            start = k
    return bounds
