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
from spacy.matcher import Matcher
from spacy.tokens import Doc

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
    """Matcher patterns grouped by an anchor word set; a group runs only when its anchor occurs.

    spaCy's Matcher tries every pattern at every token, so 250 patterns in one Matcher cost
    about 1 ms per message. Each pattern needs at least one of a few words (its rarest required
    token); patterns sharing that word set share a Matcher, which runs only when one of the
    words occurs in the message.
    """

    def __init__(self, nlp: Language) -> None:
        strings = nlp.vocab.strings
        self.cue_by_key = {}
        groups: dict[frozenset[int], Matcher] = {}
        for cue in cues():
            self.cue_by_key[strings.add(cue.id)] = cue
            anchor = frozenset(strings.add(w) for w in _anchor_words(cue.pattern))
            matcher = groups.get(anchor)
            if matcher is None:
                matcher = groups[anchor] = Matcher(nlp.vocab)
            matcher.add(cue.id, [cue.pattern], greedy="LONGEST")
        self.always = [m for anchor, m in groups.items() if not anchor]
        anchored = [(anchor, m) for anchor, m in groups.items() if anchor]
        self.matchers = [m for _, m in anchored]
        self.by_word: dict[int, list[int]] = {}
        for index, (anchor, _) in enumerate(anchored):
            for word in anchor:
                self.by_word.setdefault(word, []).append(index)

    def __call__(self, doc: Doc) -> Doc:
        present = set(doc.to_array([LOWER, NORM, LEMMA]).ravel().tolist())
        active: set[int] = set()
        by_word = self.by_word
        for word in present:
            hit = by_word.get(word)
            if hit:
                active.update(hit)
        cue_by_key = self.cue_by_key
        found = []
        for matcher in [*self.always, *(self.matchers[i] for i in sorted(active))]:
            found.extend((cue_by_key[k], s, e) for k, s, e in matcher(doc))
        doc._.cbt_matches = found
        return doc


def _anchor_words(pattern: list[dict[str, Any]]) -> list[str]:
    """The cheapest required token's words (stop words count as costly), or [] for none."""
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
            # A stop word occurs in most messages; a content word in few.
            cost = sum(100 if w in STOP_WORDS else 0.1 for w in words)
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
