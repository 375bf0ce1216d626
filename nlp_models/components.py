"""spaCy components registered by this package.

cbt_lemma_fix  lower-case lemmas (the lookup table is keyed by the exact text) and lemmas for chat
               contractions the tokenizer splits ("cant" -> "ca" + "nt").
cbt_cues       one Matcher with every pattern in patterns/*.jsonl; stores raw matches on the Doc.
cbt_explain    reads the matches in context (negation, contrast, whose words, causes, time) and
               stores the findings on the Doc as `doc._.cbt`.
"""

from __future__ import annotations

from typing import Any

import numpy
from spacy.attrs import IS_ALPHA, IS_LOWER, LEMMA, LOWER, NORM, ORTH, SENT_START
from spacy.lang.en import EnglishLemmatizer
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc

from nlp_models.fastmatch import RegexMatcher
from nlp_models.resources import chat_spelling, cues, lexicon
from nlp_models.rules import Findings, interpret

if not Doc.has_extension("cbt_matches"):
    Doc.set_extension("cbt_matches", default=None)
if not Doc.has_extension("cbt"):
    Doc.set_extension("cbt", default=None)


class LookupLemmatizer(EnglishLemmatizer):
    """spaCy's lookup lemmatizer (same table from spacy-lookups-data, same result) applied to the
    Doc as one array: a Python Token object per word cost a sixth of the analysis time.
    """

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
        for orth, lemma in rows.tolist():
            if lemma:
                out.append(lemma)
                continue
            hit = cache.get(orth)
            if hit is None:
                found = table.get(orth)
                hit = cache[orth] = strings.add(found) if isinstance(found, str) else orth
            out.append(hit)
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
    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        chat = chat_spelling()["lemma"]
        self.chat = chat
        self.chat_ids = frozenset(nlp.vocab.strings.add(w) for w in chat)
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


@Language.factory("cbt_lemma_fix")
def make_lemma_fix(nlp: Language, name: str) -> LemmaFix:
    return LemmaFix(nlp)


class CueMatcher:
    """Every cue pattern, compiled once; a pattern runs only when its anchor occurs.

    Each pattern needs at least one of a few words (its rarest required token), so most
    patterns are skipped for a given message without looking at it further.
    """

    def __init__(self, nlp: Language) -> None:
        strings = nlp.vocab.strings
        self.cue_by_key = {}
        self.matcher = RegexMatcher(nlp.vocab)
        self.always: list[int] = []
        self.by_word: dict[int, list[int]] = {}
        self.need_mask: dict[int, int] = {}
        bits: dict[frozenset[int], int] = {}
        for cue in cues():
            key = strings.add(cue.id)
            self.cue_by_key[key] = cue
            index = self.matcher.add(key, cue.pattern)
            required = [
                frozenset(strings.add(w) for w in words) for words in _required_words(cue.pattern)
            ]
            if not required:
                self.always.append(index)
                self.need_mask[index] = 0
                continue
            # The pattern runs only when one word of each of its required tokens occurs: its
            # cheapest token indexes it, the others are one bit each in a mask.
            mask = 0
            for words in required[1:]:
                bit = bits.setdefault(words, 1 << len(bits))
                mask |= bit
            self.need_mask[index] = mask
            for word in required[0]:
                self.by_word.setdefault(word, []).append(index)
        self.word_bits: dict[int, int] = {}
        for words, bit in bits.items():
            for word in words:
                self.word_bits[word] = self.word_bits.get(word, 0) | bit
        self.matcher.compile()

    def __call__(self, doc: Doc) -> Doc:
        rows = doc.to_array([LOWER, NORM, LEMMA, IS_ALPHA, SENT_START])
        present = set(rows[:, :3].ravel().tolist())
        active: set[int] = set(self.always)
        by_word = self.by_word
        for word in present:
            hit = by_word.get(word)
            if hit:
                active.update(hit)
        if active:
            word_bits = self.word_bits
            have = 0
            for word in present:
                have |= word_bits.get(word, 0)
            need = self.need_mask
            active = {i for i in active if need[i] & have == need[i]}
        raw = self.matcher.run(self.matcher.encode(doc, rows), sorted(active)) if active else []
        # Keep the outermost of nested matches of one pattern.
        raw.sort(key=lambda m: (m[0], m[1], -m[2]))
        cue_by_key = self.cue_by_key
        found = []
        last_key = last_end = -1
        for key, start, end in raw:
            if key == last_key and end <= last_end:
                continue
            last_key, last_end = key, end
            found.append((cue_by_key[key], start, end))
        doc._.cbt_matches = found
        return doc


def _required_words(pattern: list[dict[str, Any]]) -> list[list[str]]:
    """The word lists of the pattern's required tokens, cheapest first (stop words count as
    costly): a match needs one word of every list in the Doc."""
    common = lexicon()["common_word"]
    found: list[tuple[float, list[str]]] = []
    for spec in pattern:
        op = spec.get("OP")
        if op in ("?", "*", "!") or (isinstance(op, str) and op.startswith("{")):
            continue
        for attr in ("LOWER", "NORM", "LEMMA", "ORTH"):
            value = spec.get(attr)
            if isinstance(value, str):
                words = [value]
            elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                words = value["IN"]
            else:
                continue
            words = sorted({w.lower() for w in words} | set(words))
            # A very common word occurs in most messages, another stop word in some, a content
            # word in few.
            cost = sum(100 if w in common else 3 if w in STOP_WORDS else 0.1 for w in words)
            found.append((cost, words))
    found.sort(key=lambda item: item[0])
    return [words for _, words in found]


def _anchor_words(pattern: list[dict[str, Any]]) -> list[str]:
    """The cheapest required token's words, or [] for none."""
    required = _required_words(pattern)
    return required[0] if required else []


@Language.factory("cbt_cues")
def make_cue_matcher(nlp: Language, name: str) -> CueMatcher:
    return CueMatcher(nlp)


class Explain:
    def __init__(self, nlp: Language) -> None:
        strings = nlp.vocab.strings
        # Word lists as string hashes, to compare against Doc.to_array rows.
        self.lex = {k: frozenset(strings.add(w) for w in v) for k, v in lexicon().items()}

    def __call__(self, doc: Doc) -> Doc:
        doc._.cbt = interpret(doc, doc._.cbt_matches or [], self.lex)
        return doc


@Language.factory("cbt_explain")
def make_explain(nlp: Language, name: str) -> Explain:
    return Explain(nlp)


__all__ = ["CueMatcher", "Explain", "Findings", "LemmaFix"]
