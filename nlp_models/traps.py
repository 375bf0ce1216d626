"""Thinking traps: the 13 labels, from the cues in patterns/traps.jsonl read in context.

A cue gives weights to one or more traps once its `checks` pass (all cues are read only in the
writer's own words, unless they have `any_speaker`):

  others_mind   may sit in what the writer says another person thinks ("she thinks I'm lazy"
                is the writer reading her mind), but not in words the person said or wrote
                ("she told me I'm lazy")

  not_negated   no negation just before it in its clause ("it's not always like this")
  negative      its clause reads as negative (see valence.py): "nobody likes me" and "I always
                forget" pass, "I always enjoy coffee" and "nothing is impossible" do not
  negative_sentence  its sentence reads as negative
  not_positive  its clause (or, when neutral, its sentence) does not read as positive
  clause_not_positive  its own clause does not read as positive
  internal      dropped when its sentence names a cause outside the writer
  after_positive  a positive word comes before it ("they loved it, but anyone could ...")
  contrast      a positive side before the contrast word and a negative side after it
  concession    a positive side right after the concession word, a negative side later
  not_after_negative  the text before it does not read as negative ("..., but anyone could do
                it" dismisses a success; "I failed, but anyone can fail" is a kind reframe)
  strong        (kept for the rule files' readers: a cue that holds next to a time limit)

A trap is reported when its combined weight reaches 0.5, at most three per message, strongest
first. Explanations found by the style rater add their own trap evidence: a character label is
labeling, the person as the cause personalization, a good event explained away discounting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp_models.analysis import DISTORTIONS
from nlp_models.context import Context
from nlp_models.rulebook import Lexicon, PatternError
from nlp_models.rules import Family, load_family
from nlp_models.style import Rater, Style
from nlp_models.valence import Valence, valence

LABEL_THRESHOLD = 0.5
MAX_LABELS = 3
NEGATION_WINDOW = 3
CHECKS = ("writer", "any_speaker", "others_mind", "not_negated", "negative", "negative_sentence", "not_positive", "clause_not_positive",
          "internal", "strong", "after_positive", "contrast", "concession", "not_after_negative",
          "escalated")  # fmt: skip
# style findings that are thinking traps in their own right: a label, the person as the cause,
# a success explained away, and a time word or a scope word over the writer's life
FROM_STYLE = {"label": "labeling", "person": "personalization", "discount": "discounting_positive",
              "temporal": "overgeneralization", "scope": "overgeneralization"}  # fmt: skip
STYLE_WEIGHT = 0.6
# a feeling is no label, and a metaphor for a feeling no catastrophe ("I feel like I'm drowning")
FEELING_GUARDED = ("labeling", "catastrophizing")
# where the words alone cannot tell a distortion from a hard fact, no label (the conversation
# asks): the course of a named illness ("it will keep getting worse"), danger from a person
# ("my husband is abusive")
PROGNOSIS_GUARDED = ("fortune_telling", "catastrophizing", "overgeneralization")


@dataclass(frozen=True)
class TrapRule:
    id: str
    labels: dict[str, float]
    checks: frozenset[str]


def load_traps(path: Path, lex: Lexicon) -> tuple[Family, dict[str, TrapRule]]:
    def check(row: dict[str, Any], where: str) -> None:
        labels = row.get("labels")
        if not isinstance(labels, dict) or not labels:
            raise PatternError(f"{where}: labels must be a non-empty object")
        for name, w in labels.items():
            if name not in DISTORTIONS:
                raise PatternError(f"{where}: unknown trap {name!r}")
            if not isinstance(w, int | float) or not 0 < w <= 1:
                raise PatternError(f"{where}: weight of {name} must be in (0, 1]")
        unknown = set(row.get("checks", ())) - set(CHECKS)
        if unknown:
            raise PatternError(f"{where}: unknown check(s) {sorted(unknown)}")

    family = load_family(
        "traps", path, lex, ("labels", "checks", "patterns"), lambda r: {"": r["patterns"]}, check
    )
    rules = {
        rid: TrapRule(rid, dict(row["labels"]), frozenset(row.get("checks", ())))
        for rid, row in family.rows.items()
    }
    return family, rules


def _combine(weights: Iterable[float]) -> float:
    rest = 1.0
    for w in weights:
        rest *= 1.0 - max(0.0, min(1.0, w))
    return 1.0 - rest


@dataclass
class Traps:
    spans: dict[str, list[tuple[int, int]]]  # trap -> visible-token spans, strongest trap first
    scores: dict[str, float]


class TrapReader:
    def __init__(
        self, rules: dict[str, TrapRule], lex: dict[str, frozenset[str]], rater: Rater
    ) -> None:
        self.rules = rules
        self.lex = lex
        self.rater = rater
        self.negators = lex["polarity_flipper"] | lex["negation_cue"]

    def _negated(self, ctx: Context, start: int) -> bool:
        lo = max(ctx.clause_of(start)[0], start - NEGATION_WINDOW)
        return any(
            ctx.norms[i] in self.negators and i not in ctx.pseudo_tokens | ctx.not_flipper_tokens
            for i in range(lo, start)
        )

    def _a_feeling(self, ctx: Context, s: int, e: int) -> bool:
        """The cue names a feeling ("insecure", "unmotivated"), or sits in a "feel like"
        clause (a metaphor for one)."""
        states = self.lex["emotion_state"] | self.lex["feel_state"]
        if ctx.lemmas[e - 1] in states and ctx.lemmas[e - 1] not in self.lex["label_adj"]:
            return True
        lo, _ = ctx.clause_of(s)
        return any(
            ctx.lemmas[i] == "feel" and ctx.norms[i + 1] == "like"
            for i in range(lo, s)
            if i + 1 < ctx.n
        )

    def _about_an_illness(self, ctx: Context, s: int) -> bool:
        """A named illness or condition in this sentence or the one before."""
        sid = ctx.sent[s]
        lo = ctx.sent_bounds[max(0, sid - 1)][0]
        hi = ctx.sent_bounds[sid][1]
        words = self.lex["condition_word"]
        return any(ctx.lemmas[i] in words or ctx.norms[i] in words for i in range(lo, hi))

    def _names_danger(self, ctx: Context, s: int, e: int) -> bool:
        return any(ctx.lemmas[i] in self.lex["danger_label"] for i in range(s, min(ctx.n, e + 1)))

    def _said(self, ctx: Context, s: int) -> bool:
        """The sentence reports words somebody else said or wrote ("I told them" is not)."""
        lo, hi = ctx.sentence_of(s)
        verbs = self.lex["speech_verb"]
        return any(
            ctx.lemmas[i] in verbs and not self._writer_speaks(ctx, i, lo) for i in range(lo, hi)
        )

    @staticmethod
    def _writer_speaks(ctx: Context, verb: int, lo: int) -> bool:
        """ "I told my church group ...": the writer is the speech verb's subject."""
        j = verb - 1
        while j >= lo and ctx.norms[j] in ("just", "also", "even", "then", "have", "had", "'ve"):
            j -= 1
        return j >= lo and ctx.norms[j] in ("i", "we")

    def _mitigated(self, ctx: Context, s: int, e: int) -> bool:
        lo = max(ctx.clause_of(s)[0], s - 2)
        return any(ctx.norms[i] in self.lex["mitigator"] for i in range(lo, e))

    def _span_polarity(self, val: Valence, lo: int, hi: int) -> int:
        return sum(-1 for i in range(lo, hi) if val.negative_tokens[i]) + sum(
            1 for i in range(lo, hi) if val.positive_tokens[i]
        )

    def read(
        self, ctx: Context, matches: list[tuple[str, str, int, int]], val: Valence, style: Style
    ) -> Traps:
        weights: dict[str, list[float]] = {}
        spans: dict[str, list[tuple[int, int]]] = {}
        seen: set[tuple[str, int]] = set()
        n = ctx.n
        for rid, _, s, e in sorted(matches, key=lambda m: (m[2], -(m[3] - m[2]))):
            if (rid, s) in seen:
                continue
            seen.add((rid, s))
            rule = self.rules[rid]
            if not self._passes(ctx, rule.checks, s, e, val, n):
                continue
            for label, w in rule.labels.items():
                # a success has to be there to be discounted
                if label == "discounting_positive" and not self.rater.discount_fits(ctx, s, e, val):
                    continue
                if label in FEELING_GUARDED and self._a_feeling(ctx, s, e):
                    continue
                if label == "catastrophizing" and self._mitigated(ctx, s, e):
                    continue  # "a minor car crash"
                if label in PROGNOSIS_GUARDED and self._about_an_illness(ctx, s):
                    continue
                if label == "labeling" and self._names_danger(ctx, s, e):
                    continue
                if label == "personalization" and val.of(ctx, s) > 0:
                    continue  # "devote myself to bettering myself" blames no one
                weights.setdefault(label, []).append(w)
                spans.setdefault(label, []).append((s, e))
        for cue in style.cues:
            label = FROM_STYLE.get(cue.rule.role)
            if label is None or (
                cue.rule.role in ("temporal", "scope") and max(cue.dims.values(), default=0) < 5
            ):
                continue
            weights.setdefault(label, []).append(STYLE_WEIGHT)
            spans.setdefault(label, []).append((cue.start, cue.end))
        scores = {label: _combine(ws) for label, ws in weights.items()}
        kept = sorted((lab for lab, sc in scores.items() if sc >= LABEL_THRESHOLD),
                      key=lambda lab: -scores[lab])[:MAX_LABELS]  # fmt: skip
        return Traps(
            {lab: sorted(set(spans[lab])) for lab in kept}, {lab: scores[lab] for lab in kept}
        )

    def _passes(self, ctx: Context, checks, s: int, e: int, val: Valence, n: int) -> bool:
        if "any_speaker" not in checks and ctx.reported(s, e):
            if "others_mind" not in checks or self._said(ctx, s):
                return False
            # what the writer says the other person thinks carries its own feeling
            val = valence(ctx, ctx.marks, neutral=("time_limited", "past_belief"))
        if "not_negated" in checks and self._negated(ctx, s):
            return False
        if "negative" in checks and val.of(ctx, s) >= 0:
            return False
        sid = ctx.sent[s]
        if "negative_sentence" in checks and val.sentence[sid] >= 0:
            return False
        if "not_positive" in checks and val.clause_or_sentence(ctx, s) > 0:
            return False
        if "clause_not_positive" in checks and val.clause[ctx.clause[s]] > 0:
            return False
        if "internal" in checks and ctx.within("external", s, e):
            return False
        if "after_positive" in checks and not any(val.positive_tokens[:s]):
            return False
        if "contrast" in checks and not self._contrast(ctx, s, e, val, n):
            return False
        if "concession" in checks and not self._concession(ctx, s, e, val, n):
            return False
        if "escalated" in checks:
            lo, hi = ctx.clause_of(s)
            if not any(ctx.norms[i] in self.lex["escalation_word"] for i in range(lo, hi)):
                return False
        return not ("not_after_negative" in checks and s and self._span_polarity(val, 0, s) < 0)

    def _contrast(self, ctx: Context, start: int, end: int, val: Valence, n: int) -> bool:
        """Positive before the contrast word (same or previous sentence), negative after."""
        s0, s1 = ctx.sentence_of(start)
        lo = s0
        if lo == start and start > 0:  # "I got the job. But ..." looks at the sentence before
            lo = ctx.sentence_of(start - 1)[0]
        before = self._span_polarity(val, lo, start) or self._span_polarity(val, 0, start)
        after = self._span_polarity(val, end, s1) or self._span_polarity(val, end, n)
        return before > 0 and after < 0

    def _concession(self, ctx: Context, start: int, end: int, val: Valence, n: int) -> bool:
        """Positive between the concession word and the next comma, negative after it."""
        s0, s1 = ctx.sentence_of(start)
        j = end
        while j < s1 and not ctx.punct[j]:
            j += 1
        if j >= s1:
            j = end
            c = ctx.clause[end] if end < n else -1
            while j < s1 and ctx.clause[j] == c:
                j += 1
        if j >= s1:
            return False
        return self._span_polarity(val, end, j) > 0 and self._span_polarity(val, j, s1) < 0
