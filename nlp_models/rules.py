"""Reads Matcher cues in context and turns them into dimension and distortion findings.

A cue (see patterns/*.jsonl) says what its words would mean: dimension weights (`dims`),
distortion weights (`labels`) and which context `checks` must pass first:

  not_negated  no negation just before it in its clause ("it's not always like this")
  negative     its clause reads as negative after negation is counted: "nobody likes me" and
               "I always forget" pass, "I always enjoy coffee" and "nothing is impossible" do not
  negative_sentence  its sentence reads as negative (for constructions spanning clauses)
  not_positive its clause (or, when neutral, its sentence) does not read as positive: for
               constructions that carry the projection themselves ("it will happen again", "all
               my plants will die"); an earlier sentence's liking does not cancel a prediction
  (always)     not inside someone else's reported words ("my friend says she always fails"),
               unless the cue has the check `any_speaker`
  internal     dropped when the sentence names an outside cause ("the train was late so I ...")
  strong       keeps its `permanent` weight even next to a time limit ("today", "this week")
  after_positive  a positive word comes before it ("they loved it, but anyone could ...")
  contrast     a contrast word with a positive side before and a negative side after
               ("I got an A, but it was luck")
  concession   a concession word with a positive side after it in its clause and a negative
               side later in the sentence ("although the food was lovely, the waiter was rude")
  not_after_negative  the text before it does not read as negative: "..., but anyone could do
               it" dismisses a success, "I failed, but anyone can fail" is a kind reframe

Reported words end at a contrast word: in "my boss says I did well, but anyone could have" the
part after "but" is the writer's own.

Marker cues (`mark`) only annotate tokens or sentences for the checks above.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.attrs import IS_ALPHA, IS_LOWER, IS_PUNCT, IS_TITLE, LEMMA, LIKE_NUM, NORM, SENT_START
from spacy.tokens import Doc

from nlp_models.analysis import DIMENSIONS
from nlp_models.resources import Cue

NEGATION_WINDOW = 3
LABEL_THRESHOLD = 0.5
MAX_LABELS = 3
# A thinking trap found implies an explanation style (Seligman): "everyone always ..." is a
# standing, global state of affairs; all-or-nothing verdicts and labels are global.
IMPLIED_DIMS = {
    "overgeneralization": (("permanent", 0.5), ("pervasive", 0.5)),
    "all_or_nothing": (("pervasive", 0.5),),
    "labeling": (("pervasive", 0.5),),
}


@dataclass
class Findings:
    """Per-dimension (score, char spans) and per-distortion char spans, strongest label first."""

    dims: dict[str, tuple[float, list[tuple[int, int]]]]
    labels: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    label_scores: dict[str, float] = field(default_factory=dict)


def _empty() -> Findings:
    return Findings({d: (0.0, []) for d in DIMENSIONS})


def _span_score(neg: list[bool], pos: list[bool], negator: list[bool], lo: int, hi: int) -> int:
    score = 0
    flips = 0
    pending = False
    for i in range(lo, hi):
        if negator[i]:
            flips += 1
            pending = True
        elif neg[i] or pos[i]:
            value = -1 if neg[i] else 1
            score += -value if flips % 2 else value
            pending = False
    return score - 1 if pending else score


def _combine(weights: Iterable[float]) -> float:
    rest = 1.0
    for w in weights:
        rest *= 1.0 - max(0.0, min(1.0, w))
    return 1.0 - rest


def interpret(doc: Doc, matches: list[tuple[Cue, int, int]], lex: dict) -> Findings:
    n = len(doc)
    if n == 0:
        return _empty()
    negative, positive, negator_words = lex["negative"], lex["positive"], lex["negator"]
    connectors, complements = lex["connector"], lex["complement_verb"]
    subjects, no_split = lex["subject_pronoun"], lex["no_split_before_subject"]

    rows = doc.to_array(
        [LEMMA, NORM, IS_PUNCT, IS_ALPHA, LIKE_NUM, SENT_START, IS_TITLE, IS_LOWER]
    ).tolist()
    openers = lex["sentence_opener"]
    lemma = [r[0] for r in rows]
    norm = [r[1] for r in rows]
    neg = [lemma[i] in negative or norm[i] in negative for i in range(n)]
    pos = [not neg[i] and lemma[i] in positive for i in range(n)]
    negator = [norm[i] in negator_words or lemma[i] in negator_words for i in range(n)]
    punct = [r[2] for r in rows]

    # Clauses: split at sentence starts, punctuation, emoji, connectors, and at a new subject
    # pronoun or a capitalised opener when punctuation is missing ("i failed again im useless",
    # "she kissed my crush No one cares about me").
    clause = [0] * n
    sent = [0] * n
    cid = sid = 0
    after_break = False
    prev_lower = False
    for i, (_, nrm, is_punct, is_alpha, like_num, sent_start, title, lower) in enumerate(rows):
        # Emoji stand alone: their feeling counts for the sentence, not for a neighbouring clause.
        emoji = not is_alpha and not like_num and not is_punct and ord(doc[i].text[0]) > 0x2000
        if i:
            if sent_start == 1:
                sid += 1
                cid += 1
            elif (
                after_break
                or emoji
                or nrm in connectors
                or (title and prev_lower and nrm in openers)
            ):
                cid += 1
            elif nrm in subjects:
                prev = i - 1
                if (
                    norm[prev] not in connectors
                    and lemma[prev] not in complements
                    and norm[prev] not in no_split
                ):
                    cid += 1
        clause[i] = cid
        sent[i] = sid
        after_break = bool(is_punct) or emoji
        prev_lower = bool(lower)

    cues: list[tuple[Cue, int, int]] = []
    time_limited: set[int] = set()
    external: set[int] = set()
    reported_from: dict[int, int] = {}
    contrast_words = lex["reported_end"]
    for cue, start, end in matches:
        mark = cue.mark
        if not mark:
            cues.append((cue, start, end))
        elif mark == "negative":
            for i in range(start, end):
                neg[i], pos[i] = True, False
        elif mark == "positive":
            for i in range(start, end):
                neg[i], pos[i] = False, True
        elif mark == "neutral":
            for i in range(start, end):
                neg[i] = pos[i] = False
        elif mark == "not_negator":
            for i in range(start, end):
                negator[i] = False
        elif mark == "time_limited":
            time_limited.add(clause[start])
        elif mark == "external_cause":
            external.add(sent[start])
        elif mark == "reported":
            s = sent[start]
            reported_from[s] = min(reported_from.get(s, n), start)
    # A contrast word after the reported words gives the floor back to the writer.
    reported_until: dict[int, int] = {}
    for s, begin in reported_from.items():
        j = begin + 1
        while j < n and sent[j] == s and norm[j] not in contrast_words:
            j += 1
        reported_until[s] = j
    if not cues:
        return _empty()

    # Polarity: each sentiment word counts +1/-1, flipped by every negator before it in its
    # clause; a negator with no sentiment word after it counts -1 ("I'll never find a date").
    clause_start: dict[int, int] = {}
    clause_score: dict[int, int] = {}
    sent_score: dict[int, int] = {}
    i = 0
    while i < n:
        c = clause[i]
        j = i
        while j < n and clause[j] == c:
            j += 1
        clause_start[c] = i
        score = _span_score(neg, pos, negator, i, j)
        clause_score[c] = score
        sent_score[sent[i]] = sent_score.get(sent[i], 0) + score
        i = j

    doc_score = sum(sent_score.values())

    def clause_polarity(i: int) -> int:
        # A neutral clause reads in the light of its sentence, then of the whole message
        # ("I got a bad grade. I'll fail all my tests").
        return clause_score[clause[i]] or sent_score[sent[i]] or doc_score

    def span_polarity(lo: int, hi: int) -> int:
        return _span_score(neg, pos, negator, lo, hi)

    dim_weights: dict[str, list[float]] = {d: [] for d in DIMENSIONS}
    dim_spans: dict[str, list[tuple[int, int]]] = {d: [] for d in DIMENSIONS}
    label_weights: dict[str, list[float]] = {}
    label_spans: dict[str, list[tuple[int, int]]] = {}
    limited_labels: set[str] = set()

    for cue, start, end in cues:
        checks = cue.checks
        s = sent[start]
        # Someone else's reported words are not the writer's explanation.
        if (
            reported_from.get(s, n) < end - 1
            and start < reported_until[s]
            and "any_speaker" not in checks
        ):
            continue
        if "not_negated" in checks:
            lo = max(clause_start[clause[start]], start - NEGATION_WINDOW)
            if any(negator[lo:start]):
                continue
        if "negative" in checks and clause_polarity(start) >= 0:
            continue
        if "negative_sentence" in checks and sent_score[s] >= 0:
            continue
        if "not_positive" in checks and (clause_score[clause[start]] or sent_score[s]) > 0:
            continue
        if "internal" in checks and s in external:
            continue
        if "after_positive" in checks and not any(pos[:start]):
            continue
        if "contrast" in checks and not _contrast_holds(start, end, sent, n, span_polarity):
            continue
        if "concession" in checks and not _concession_holds(
            start, end, punct, clause, sent, n, span_polarity
        ):
            continue
        if "not_after_negative" in checks and start and span_polarity(0, start) < 0:
            continue
        span = (doc[start].idx, doc[end - 1].idx + len(doc[end - 1]))
        limited = clause[start] in time_limited or clause[end - 1] in time_limited
        for dim, w in cue.dims.items():
            if dim == "permanent" and limited and "strong" not in checks:
                continue
            dim_weights[dim].append(w)
            dim_spans[dim].append(span)
        for label, w in cue.labels.items():
            label_weights.setdefault(label, []).append(w)
            label_spans.setdefault(label, []).append(span)
            if limited and "strong" not in checks:
                limited_labels.add(label)

    scores = {label: _combine(ws) for label, ws in label_weights.items()}
    kept = sorted(
        (lab for lab, sc in scores.items() if sc >= LABEL_THRESHOLD), key=lambda x: -scores[x]
    )
    kept = kept[:MAX_LABELS]
    for label in kept:
        for dim, w in IMPLIED_DIMS.get(label, ()):
            if dim == "permanent" and label in limited_labels:
                continue
            dim_weights[dim].append(w)
            dim_spans[dim].extend(label_spans[label])

    dims = {}
    for d in DIMENSIONS:
        dims[d] = (_combine(dim_weights[d]), sorted(set(dim_spans[d])))
    return Findings(
        dims=dims,
        labels={lab: sorted(set(label_spans[lab])) for lab in kept},
        label_scores={lab: scores[lab] for lab in kept},
    )


def _contrast_holds(start: int, end: int, sent: list[int], n: int, span_polarity) -> bool:
    """Positive before the contrast word (same or previous sentence), negative after it."""
    s = sent[start]
    lo = start
    while lo > 0 and sent[lo - 1] == s:
        lo -= 1
    if lo == start and start > 0:  # "I got the job. But ..." looks at the previous sentence
        prev = sent[start - 1]
        while lo > 0 and sent[lo - 1] == prev:
            lo -= 1
    hi = end
    while hi < n and sent[hi] == s:
        hi += 1
    # A neutral side reads in the light of the rest of the message on that side.
    before = span_polarity(lo, start) or span_polarity(0, start)
    after = span_polarity(end, hi) or span_polarity(end, n)
    return before > 0 and after < 0


def _concession_holds(start, end, punct, clause, sent, n, span_polarity) -> bool:
    """Positive between the concession word and the next comma, negative after it."""
    s = sent[start]
    j = end
    while j < n and sent[j] == s and not punct[j]:
        j += 1
    if j >= n or sent[j] != s:  # no comma: the concession is its own clause
        j = end
        while j < n and sent[j] == s and clause[j] == clause[end]:
            j += 1
    hi = j
    while hi < n and sent[hi] == s:
        hi += 1
    if j >= hi:
        return False
    return span_polarity(end, j) > 0 and span_polarity(j, hi) < 0
