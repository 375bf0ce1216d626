"""Turning an analysis into what the person sees: the words noticed, in plain language, and the
questions and sentence starters aimed at them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp_models import DIMENSIONS, Analysis

# Socratic questions: catalogue keys (each with several phrasings), most specific first.
DIMENSION_QUESTIONS = {
    "permanent": ["q.permanent.before", "q.permanent.year"],
    "pervasive": ["q.pervasive.area"],
    "personal": ["q.personal.else"],
    "uncontrollable": ["q.uncontrollable.influence"],
}
DISTORTION_QUESTIONS = {
    "all_or_nothing": "q.trap.all_or_nothing",
    "overgeneralization": "q.trap.overgeneralization",
    "labeling": "q.trap.labeling",
    "fortune_telling": "q.trap.fortune_telling",
    "mind_reading": "q.trap.mind_reading",
    "emotional_reasoning": "q.trap.emotional_reasoning",
    "should_statements": "q.trap.should_statements",
    "personalization": "q.trap.personalization",
    "discounting_positive": "q.trap.discounting_positive",
    "catastrophizing": "q.trap.catastrophizing",
    "mental_filter": "q.trap.mental_filter",
    "blaming": "q.trap.blaming",
    "comparing": "q.trap.comparing",
}
GENERAL_QUESTIONS = ["q.evidence_for", "q.evidence_against", "q.control", "q.friend"]
MAX_QUESTIONS = 5
# Sentence starters for the balanced thought, by what was found: each moves the explanation
# the way attributional retraining does (from "always" to "this time", from "everything" to
# "this area", from "I am" to "I did", from "nothing I can do" to one part that can be done).
STARTERS = {
    "permanent": "starter.temporary",
    "pervasive": "starter.specific",
    "personal": "starter.behaviour",
    "uncontrollable": "starter.influence",
}
CREDIT_STARTER = "starter.credit"  # a good event explained away: "Part of this was me: ..."
FILLER_STARTERS = ["starter.even_though", "starter.understandable"]


@dataclass(frozen=True)
class Finding:
    kind: str  # "dimension" or "distortion"
    label: str
    words: tuple[str, ...]


def findings_of(analysis: Analysis) -> list[Finding]:
    found = []
    for name in DIMENSIONS:
        dim = analysis.dimensions[name]
        if dim.detected:
            found.append(Finding("dimension", name, quotes(analysis.text, dim.evidence)))
    for name, evidence in analysis.distortions.items():
        found.append(Finding("distortion", name, quotes(analysis.text, evidence)))
    return found


def quotes(text: str, evidence, limit: int = 3) -> tuple[str, ...]:
    """The person's own words behind a finding: overlapping evidence merged into one quote."""
    spans: list[list[int]] = []
    for e in sorted(evidence, key=lambda e: (e.start, e.end)):
        if spans and e.start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], e.end)
        else:
            spans.append([e.start, e.end])
    words: dict[str, None] = {}
    for start, end in spans:
        quote = text[start:end].strip(" .,!?;:\"'")
        if quote and quote.casefold() not in {w.casefold() for w in words}:
            words[quote] = None
    return tuple(words)[:limit]


def as_record(analysis: Analysis) -> dict:
    """What is kept in the thought record: labels with the evidence (offsets and words), the
    ratings, the event, and the helpful evidence."""
    return {
        "dimensions": {
            name: {
                "score": dim.score,
                "evidence": [[e.start, e.end, e.text] for e in dim.evidence],
            }
            for name, dim in analysis.dimensions.items()
            if dim.detected
        },
        "scores": analysis.scores,
        "event": analysis.event,
        "distortions": {
            name: [[e.start, e.end, e.text] for e in evidence]
            for name, evidence in analysis.distortions.items()
        },
        "helpful": [[e.label, e.start, e.end, e.text] for e in analysis.helpful],
    }


def question_plan(findings: list[Finding]) -> list[str]:
    """The questions to ask, aimed at what was found, one per finding first (uncontrollable
    before the rest), then the general ones (control, evidence, a friend's view), at most
    MAX_QUESTIONS."""
    plan: list[str] = []
    # whether it can be influenced is asked before anything is challenged (the guide, rule 11)
    dims = sorted(
        (f for f in findings if f.kind == "dimension"), key=lambda f: f.label != "uncontrollable"
    )
    for finding in dims:
        plan.append(DIMENSION_QUESTIONS[finding.label][0])
    for finding in findings:
        if finding.kind == "distortion" and len(plan) < MAX_QUESTIONS - 2:
            key = DISTORTION_QUESTIONS[finding.label]
            if key not in plan:
                plan.append(key)
    if any(f.label == "permanent" for f in findings) and len(plan) < MAX_QUESTIONS - 2:
        plan.append(DIMENSION_QUESTIONS["permanent"][1])
    # the uncontrollable question already asks what can be influenced
    generals = ("q.friend",) if "q.uncontrollable.influence" in plan else ("q.control", "q.friend")
    for key in generals if plan else GENERAL_QUESTIONS:
        if len(plan) < MAX_QUESTIONS:
            plan.append(key)
    return plan


def starters(findings: list[Finding]) -> list[str]:
    """Starters that fit what was found: a success explained away gets "Part of this was me"
    first, never "This time..."."""
    keys = []
    if any(f.label == "discounting_positive" for f in findings):
        keys.append(CREDIT_STARTER)
    keys += [STARTERS[f.label] for f in findings if f.kind == "dimension"]
    keys += FILLER_STARTERS
    return list(dict.fromkeys(keys))[:3]


# How the balanced thought moved from the first one, in the guide's terms; each gets a word of
# recognition.
RECOGNITIONS = (
    ("did", "tr.recognise.did"),
    ("this_time", "tr.recognise.this_time"),
    ("agency", "tr.recognise.agency"),
)


def recognitions(original: dict, balanced: Analysis) -> list[str]:
    """Catalogue keys of what to recognise in a balanced thought, given the original thought's
    stored findings (`as_record`): from "I am" to "I did", from "always" to "this time", and
    an action the person can take."""
    had = set(original.get("dimensions", {}))
    helpful = {e.label for e in balanced.helpful}
    now = {d for d in DIMENSIONS if balanced.dimensions[d].detected}
    moved = set()
    if "personal" in had and "personal" not in now and "behavioural" in helpful:
        moved.add("did")
    if "permanent" in had and "permanent" not in now and balanced.time_limits:
        moved.add("this_time")
    if "agency" in helpful:
        moved.add("agency")
    return [key for name, key in RECOGNITIONS if name in moved]


HELPFUL_ORDER = ("credit", "behavioural", "agency")


def helpful_to_name(record: dict) -> list[tuple[str, str]]:
    """(label, words) of the helpful evidence in a stored analysis worth naming back to the
    person, one per kind, in a fixed order (owning a success first)."""
    first: dict[str, str] = {}
    for label, _start, _end, text in record.get("helpful", []):
        first.setdefault(label, text)
    return [(label, first[label]) for label in HELPFUL_ORDER if label in first]


_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;]*")


def thought_in(situation: str, analysis: Analysis) -> str | None:
    """The sentence of the situation that reads most like an automatic thought (it holds the
    most evidence of findings; the later one on a tie, since thoughts tend to follow what
    happened), if there is one and it is not the whole situation."""
    spans = [e for dim in analysis.dimensions.values() if dim.detected for e in dim.evidence]
    spans += [e for evidence in analysis.distortions.values() for e in evidence]
    best, best_count = None, 0
    for match in _SENTENCE.finditer(situation):
        count = sum(1 for e in spans if match.start() <= e.start < match.end())
        if count and count >= best_count:
            best, best_count = match.group().strip(), count
    if best and best != situation.strip():
        return best
    return None
