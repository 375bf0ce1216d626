"""spaCy components registered by this package, in pipeline order.

cbt_lookup_lemmatizer  spaCy's lookup lemmatizer, applied as one array
cbt_lemma_fix  lower-case lemmas, and lemmas for pieces of chat contractions ("cant" -> "ca" + "nt")
cbt_norms      the norms every rule matches: chat spellings and typos (spelling.json), symbols
               glued to a word stripped ("die😭"), stretched words shrunk ("dieee") when that
               gives a word the rules know
cbt_rules      one matcher with the patterns of every rule file; `doc._.matches`
cbt_context    clauses, sentences, negation, whose words, time (context.py); `doc._.context`
cbt_style      explanatory style and thinking traps (style.py, traps.py); `doc._.style`,
               `doc._.traps`
cbt_risk       suicide and self-harm risk (risk.py); `doc._.risk`

Every rule component takes `pattern_dir` in its config ("" = the package's patterns/), as spaCy
components take their settings, so a pipeline can be built on another set of rule files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy
from spacy.attrs import IS_LOWER, LEMMA, LOWER, NORM, ORTH
from spacy.lang.en import EnglishLemmatizer
from spacy.language import Language
from spacy.tokens import Doc

from nlp_models.context import Modifier, build_context
from nlp_models.fastmatch import visible_tokens
from nlp_models.rulebook import PATTERN_DIR, Lexicon, PatternError, load_lexicon
from nlp_models.rules import Family, RuleRunner, load_family
from nlp_models.style import THRESHOLD, Rater, load_style
from nlp_models.traps import TrapReader, load_traps

for _name in ("matches", "context", "style", "traps", "risk"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)

_CONTEXT_KEYS = ("category", "direction", "scope", "patterns")
_POLARITY = ("negative", "positive", "neutral")


@dataclass(frozen=True)
class RuleBook:
    """Everything in one rule directory, loaded once: the lexicon and every family."""

    lex: Lexicon
    lists: dict[str, frozenset[str]]
    families: tuple[Family, ...]
    modifiers: dict[str, Modifier]
    style_rules: dict[str, Any]
    trap_rules: dict[str, Any]
    risk: dict[str, Any]
    negation_window: int = 6
    subject_window: int = 8


def _load_context(path: Path, lex: Lexicon) -> tuple[Family, dict[str, Modifier]]:
    from nlp_models.context import CATEGORIES, DIRECTIONS, SCOPES

    def check(row: dict[str, Any], where: str) -> None:
        if row.get("category") not in (*CATEGORIES, *_POLARITY):
            raise PatternError(f"{where}: unknown category {row.get('category')!r}")
        if row.get("direction", "forward") not in DIRECTIONS:
            raise PatternError(f"{where}: direction must be one of {DIRECTIONS}")
        if row.get("scope", "clause") not in SCOPES:
            raise PatternError(f"{where}: scope must be one of {SCOPES}")

    family = load_family("context", path, lex, _CONTEXT_KEYS, lambda r: {"": r["patterns"]}, check)
    mods = {
        rid: Modifier(row["category"], row.get("direction", "forward"), row.get("scope", "clause"))
        for rid, row in family.rows.items()
    }
    return family, mods


@lru_cache(maxsize=4)
def rulebook(pattern_dir: str = "") -> RuleBook:
    from nlp_models.risk import load_risk

    path = Path(pattern_dir) if pattern_dir else PATTERN_DIR
    lex = load_lexicon(path)
    lists = {name: frozenset(words) for name, words in lex.lists.items()}
    ctx_family, modifiers = _load_context(path / "context.jsonl", lex)
    style_family, style_rules = load_style(path / "style.jsonl", lex)
    trap_family, trap_rules = load_traps(path / "traps.jsonl", lex)
    risk_families, risk = load_risk(path, lex)
    return RuleBook(
        lex=lex,
        lists=lists,
        families=(ctx_family, style_family, trap_family, *risk_families),
        modifiers=modifiers,
        style_rules=style_rules,
        trap_rules=trap_rules,
        risk=risk,
    )


class LookupLemmatizer(EnglishLemmatizer):
    """spaCy's lookup lemmatizer (same table from spacy-lookups-data, same result) applied to the
    Doc as one array: a Python Token object per word cost a sixth of the analysis time."""

    MAX_CACHE = 200_000

    def __call__(self, doc: Doc) -> Doc:
        if self.mode != "lookup" or self.overwrite:
            return super().__call__(doc)
        if not self._validated:
            self._validate_tables()
        cache = self.__dict__.setdefault("_orth_cache", {})
        if len(cache) > self.MAX_CACHE:
            cache.clear()
        table = self.lookups.get_table("lemma_lookup", {})
        strings = doc.vocab.strings
        rows = doc.to_array([ORTH, LEMMA])
        out = []
        # The cache keeps lemma strings, not hashes: a Doc of another vocabulary (tests run
        # this component on one) must not leave hashes this vocabulary does not know.
        for orth, lemma in rows.tolist():
            if lemma:
                out.append(lemma)
                continue
            hit = cache.get(orth)
            if hit is None:
                found = table.get(orth)
                hit = cache[orth] = found if isinstance(found, str) else strings[orth]
            out.append(strings.add(hit))
        doc.from_array([LEMMA], numpy.asarray(out, dtype="uint64").reshape(-1, 1))
        return doc


@Language.factory(
    "cbt_lookup_lemmatizer",
    assigns=["token.lemma"],
    default_config={
        "model": None,
        "mode": "lookup",
        "overwrite": False,
        "scorer": {"@scorers": "spacy.lemmatizer_scorer.v1"},
    },
)
def make_lookup_lemmatizer(nlp, model, name, mode, overwrite, scorer) -> LookupLemmatizer:
    return LookupLemmatizer(nlp.vocab, model, name, mode=mode, overwrite=overwrite, scorer=scorer)


class LemmaFix:
    def __init__(self, nlp: Language, pattern_dir: str) -> None:
        self.nlp = nlp
        self.chat = rulebook(pattern_dir).lex.lemma
        self.chat_ids = frozenset(nlp.vocab.strings.add(w) for w in self.chat)
        self.table = None

    def initialize(self, get_examples=None, *, nlp: Language | None = None) -> None:
        self._load_table()

    def _load_table(self) -> None:
        lemmatizer = self.nlp.get_pipe("lemmatizer")
        if "lemma_lookup" in lemmatizer.lookups:
            self.table = lemmatizer.lookups.get_table("lemma_lookup")

    def __call__(self, doc: Doc) -> Doc:
        if self.table is None:
            self._load_table()
        # Only tokens with capitals or chat spellings need work; find them on the array.
        rows = doc.to_array([IS_LOWER, LOWER]).tolist()
        chat_ids = self.chat_ids
        for i, (is_lower, lower_id) in enumerate(rows):
            if is_lower and lower_id not in chat_ids:
                continue
            token = doc[i]
            lower = token.lower_
            if lower in self.chat:
                token.lemma_ = self.chat[lower]
            elif token.is_alpha and not token.lemma_.islower():
                lemma = self.table.get(lower, lower) if self.table is not None else lower
                token.lemma_ = lemma.lower()
        return doc


@Language.factory("cbt_lemma_fix", default_config={"pattern_dir": ""})
def make_lemma_fix(nlp: Language, name: str, pattern_dir: str) -> LemmaFix:
    return LemmaFix(nlp, pattern_dir)


_ELONGATED = re.compile(r"(\w)\1{2,}")


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Damerau distance at most one: an extra, missing, wrong or swapped letter."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )  # fmt: skip
    short, long_ = (a, b) if la < lb else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


_EDGE_SYMBOLS = re.compile(r"^[^\w']+|[^\w'*]+$")


class Norms:
    """Token norms as the rules see them (the vocabulary's norms carry the spelling list; this
    fixes the tokens that need more):
    - symbols glued to a word, stretched words ("dieee"), as above;
    - a typo of one letter in a word the rules care about ("nevr", "falt", "suicde"): a word
      that is no English word we know is read as the one cue word one edit away from it;
    - self-talk in the second person ('I told myself "you idiot, you always ruin it"'): in a
      sentence where the writer talks to themselves, "you" is the writer."""

    MAX_CACHE = 100_000
    SELF_TALK = (("told", "myself"), ("tell", "myself"), ("telling", "myself"),
                 ("said", "to", "myself"), ("say", "to", "myself"), ("saying", "to", "myself"),
                 ("hear", "myself"), ("heard", "myself"), ("thought", "to", "myself"),
                 ("think", "to", "myself"), ("in", "the", "mirror"), ("inner", "critic"),
                 ("inner", "voice"), ("voice", "in", "my", "head"))  # fmt: skip
    YOU_AS_ME = {"you": "i", "u": "i", "ya": "i", "your": "my", "ur": "my", "yourself": "myself",
                 "yours": "mine", "are": "am", "'re": "am", "re": "am"}  # fmt: skip

    def __init__(self, nlp: Language, pattern_dir: str) -> None:
        book = rulebook(pattern_dir)
        self.nlp = nlp
        self.spelling = book.lex.norm
        for orth, norm in self.spelling.items():
            nlp.vocab[orth].norm_ = norm
        known: set[str] = set(self.spelling.values())
        for words in book.lex.lists.values():
            for w in words:
                known.update(w.split())
        for fam in book.families:
            for pats in fam.patterns.values():
                for pattern in pats:
                    for spec in pattern:
                        for value in spec.values():
                            if isinstance(value, str):
                                known.add(value)
                            elif isinstance(value, dict):
                                for arg in value.values():
                                    if isinstance(arg, list):
                                        known.update(arg)
        self.known = frozenset(known)
        self._cache: dict[str, str] = {}
        self.targets = book.lists.get("typo_target", frozenset())
        self._deletes: dict[str, set[str]] = {}
        for word in self.targets:
            for variant in {word, *_deletions(word)}:
                self._deletes.setdefault(variant, set()).add(word)
        self._english: frozenset[str] | None = None
        self._done: set[int] = set()

    def _english_words(self) -> frozenset[str]:
        """Words we know are English: the lookup lemmatizer's table (forms and lemmas), spaCy's
        stop words and every word of the rules."""
        if self._english is None:
            from spacy.lang.en.stop_words import STOP_WORDS

            words = set(STOP_WORDS) | set(self.known)
            if "lemmatizer" in self.nlp.pipe_names:
                lookups = self.nlp.get_pipe("lemmatizer").lookups
                if "lemma_lookup" in lookups:
                    strings = self.nlp.vocab.strings
                    for key, value in lookups.get_table("lemma_lookup").items():
                        words.add(value)
                        if key in strings:
                            words.add(strings[key])
            self._english = frozenset(words)
        return self._english

    def _typo(self, word: str) -> str | None:
        """The one cue word a single-edit typo stands for, if exactly one fits."""
        if len(word) < 4 or not word.isalpha() or word in self._english_words():
            return None
        found = set()
        for variant in {word, *_deletions(word)}:
            for target in self._deletes.get(variant, ()):
                if _one_edit(word, target):
                    found.add(target)
        return found.pop() if len(found) == 1 else None

    def clean(self, norm: str) -> str:
        hit = self._cache.get(norm)
        if hit is not None:
            return hit
        out = norm
        if not out.isalpha():
            stripped = _EDGE_SYMBOLS.sub("", out)
            if stripped and any(ch.isalnum() for ch in stripped):
                out = stripped
        out = self.spelling.get(out, out)
        if out not in self.known and _ELONGATED.search(out):
            for cand in (_ELONGATED.sub(r"\1\1", out), _ELONGATED.sub(r"\1", out)):
                cand = self.spelling.get(cand, cand)
                if cand in self.known:
                    out = cand
                    break
        if out not in self.known:
            out = self._typo(out) or out
        if len(self._cache) < self.MAX_CACHE:
            self._cache[norm] = out
        return out

    def __call__(self, doc: Doc) -> Doc:
        strings = doc.vocab.strings
        done = self._done
        for i, norm_id in enumerate(doc.to_array([NORM]).tolist()):
            if norm_id in done:
                continue  # a norm seen before that needs nothing
            norm = strings[norm_id]
            cleaned = self.clean(norm)
            if cleaned != norm:
                doc[i].norm_ = cleaned
            elif len(done) < self.MAX_CACHE:
                done.add(norm_id)
        self._self_talk(doc)
        return doc

    def _self_talk(self, doc: Doc) -> None:
        norms = [t.norm_ for t in doc]
        if not any(n in ("you", "u", "ya", "your", "ur", "yourself") for n in norms):
            return
        for sent in doc.sents if doc.has_annotation("SENT_START") else [doc[:]]:
            words = norms[sent.start : sent.end]
            if not any(
                tuple(words[i : i + len(m)]) == m for m in self.SELF_TALK for i in range(len(words))
            ):
                continue
            for token in sent:
                new = self.YOU_AS_ME.get(token.norm_)
                if new is not None:
                    token.norm_ = new


@Language.factory("cbt_norms", default_config={"pattern_dir": ""})
def make_norms(nlp: Language, name: str, pattern_dir: str) -> Norms:
    return Norms(nlp, pattern_dir)


class Rules:
    def __init__(self, nlp: Language, pattern_dir: str) -> None:
        book = rulebook(pattern_dir)
        self.lex = book.lex
        self.runner = RuleRunner(
            nlp.vocab.strings, book.families, book.lists.get("common_word", ())
        )

    def __call__(self, doc: Doc) -> Doc:
        doc._.matches = self.runner(visible_tokens(doc))
        return doc


@Language.factory("cbt_rules", default_config={"pattern_dir": ""})
def make_rules(nlp: Language, name: str, pattern_dir: str) -> Rules:
    return Rules(nlp, pattern_dir)


class ContextComponent:
    def __init__(self, nlp: Language, pattern_dir: str, negation_window: int, subject_window: int):
        book = rulebook(pattern_dir)
        self.book = book
        self.negation_window = negation_window
        self.subject_window = subject_window

    def __call__(self, doc: Doc) -> Doc:
        matches = doc._.matches
        book = self.book
        modifiers = []
        for rid, _, s, e in matches.of("context"):
            mod = book.modifiers[rid]
            modifiers.append((mod, s, e))
        doc._.context = build_context(
            doc,
            matches.vis,
            book.lex,
            [m for m in modifiers if m[0].category not in _POLARITY],
            book.lists,
            self.negation_window,
            self.subject_window,
            [],
        )
        doc._.context.marks = [
            (m.category, s, e) for m, s, e in modifiers if m.category in _POLARITY
        ]
        return doc


@Language.factory(
    "cbt_context",
    default_config={"pattern_dir": "", "negation_window": 6, "subject_window": 8},
)
def make_context(nlp, name, pattern_dir, negation_window, subject_window) -> ContextComponent:
    return ContextComponent(nlp, pattern_dir, negation_window, subject_window)


class StyleComponent:
    def __init__(self, nlp: Language, pattern_dir: str, threshold: int) -> None:
        if threshold != THRESHOLD:
            raise ValueError(f"the style threshold is fixed at {THRESHOLD} in this version")
        book = rulebook(pattern_dir)
        self.rater = Rater(book.style_rules, book.lists)
        self.traps = TrapReader(book.trap_rules, book.lists, self.rater)

    def __call__(self, doc: Doc) -> Doc:
        from nlp_models.valence import valence

        ctx = doc._.context
        matches = doc._.matches
        if ctx.n == 0:
            doc._.style = doc._.traps = None
            return doc
        val = valence(ctx, ctx.marks)
        style = self.rater.rate(ctx, matches.of("style"), val)
        doc._.style = style
        doc._.traps = self.traps.read(ctx, matches.of("traps"), val, style)
        return doc


@Language.factory("cbt_style", default_config={"pattern_dir": "", "threshold": THRESHOLD})
def make_style(nlp: Language, name: str, pattern_dir: str, threshold: int) -> StyleComponent:
    return StyleComponent(nlp, pattern_dir, threshold)


class RiskComponent:
    def __init__(self, nlp: Language, pattern_dir: str) -> None:
        from nlp_models.risk import RiskAssessor

        book = rulebook(pattern_dir)
        self.assessor = RiskAssessor(book.risk["rules"], book.risk["exclusions"])

    def __call__(self, doc: Doc) -> Doc:
        from nlp_models.risk import RiskResult

        ctx = doc._.context
        matches = doc._.matches
        if ctx.n == 0:
            doc._.risk = RiskResult()
            return doc
        doc._.risk = self.assessor.assess(ctx, matches.of("risk"), matches.of("riskx"))
        return doc


@Language.factory("cbt_risk", default_config={"pattern_dir": ""})
def make_risk(nlp: Language, name: str, pattern_dir: str) -> RiskComponent:
    return RiskComponent(nlp, pattern_dir)
