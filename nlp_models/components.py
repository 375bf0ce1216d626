"""spaCy components registered by this package.

cbt_lemma_fix  lower-case lemmas (the lookup table is keyed by the exact text) and lemmas for chat
               contractions the tokenizer splits ("cant" -> "ca" + "nt").
cbt_cues       one Matcher with every pattern in patterns/*.jsonl; stores raw matches on the Doc.
cbt_explain    reads the matches in context (negation, contrast, whose words, causes, time) and
               stores the findings on the Doc as `doc._.cbt`.
"""

from __future__ import annotations

from typing import Any

from spacy.attrs import IS_LOWER, LEMMA, LOWER, NORM
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
        for cue in cues():
            key = strings.add(cue.id)
            self.cue_by_key[key] = cue
            index = self.matcher.add(key, cue.pattern)
            anchor = {strings.add(w) for w in _anchor_words(cue.pattern)}
            if not anchor:
                self.always.append(index)
            for word in anchor:
                self.by_word.setdefault(word, []).append(index)
        self.matcher.compile()

    def __call__(self, doc: Doc) -> Doc:
        present = set(doc.to_array([LOWER, NORM, LEMMA]).ravel().tolist())
        active: set[int] = set(self.always)
        by_word = self.by_word
        for word in present:
            hit = by_word.get(word)
            if hit:
                active.update(hit)
        raw = self.matcher.run(self.matcher.encode(doc), sorted(active)) if active else []
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


def _anchor_words(pattern: list[dict[str, Any]]) -> list[str]:
    """The cheapest required token's words (stop words count as costly), or [] for none."""
    common = lexicon()["common_word"]
    best: list[str] = []
    best_cost = float("inf")
    for spec in pattern:
        if spec.get("OP") in ("?", "*", "!") or (
            isinstance(spec.get("OP"), str) and spec["OP"].startswith("{")
        ):
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
            if cost < best_cost:
                best, best_cost = words, cost
    return best


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
