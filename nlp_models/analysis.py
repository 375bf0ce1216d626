"""The result types returned by `nlp_models.analyze` (frozen, plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The four explanation dimensions, each rated 1-7 (CAVE's scale); `detected` is a rating of at
# least 5 (style.THRESHOLD).
DIMENSIONS = ("permanent", "pervasive", "personal", "uncontrollable")
DISTORTIONS = (
    "all_or_nothing",
    "overgeneralization",
    "labeling",
    "fortune_telling",
    "mind_reading",
    "emotional_reasoning",
    "should_statements",
    "personalization",
    "discounting_positive",
    "catastrophizing",
    "mental_filter",
    "blaming",
    "comparing",
)
RISK_LEVELS = ("none", "concern", "danger", "crisis")
EVENTS = ("bad", "good", "none")
HELPFUL_KINDS = ("behavioural", "agency", "credit")


@dataclass(frozen=True)
class Evidence:
    """Words that triggered a finding; `start`/`end` are character offsets into the input text."""

    label: str
    start: int
    end: int
    text: str
    # risk evidence: the (start, end) of the sentence it is in, so a reader of a long message
    # sees which sentence raised it
    sentence: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label, "start": self.start, "end": self.end, "text": self.text
        }  # fmt: skip
        if self.sentence is not None:
            out["sentence"] = list(self.sentence)
        return out


@dataclass(frozen=True)
class Dimension:
    detected: bool
    score: int  # 1 (not at all) .. 7 (extremely)
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Analysis:
    text: str
    dimensions: dict[str, Dimension]
    distortions: dict[str, tuple[Evidence, ...]]
    risk: str = "none"
    risk_rules: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = field(default=())
    # "en", or "other" when the message is clearly in another language (see language.py)
    language: str = "en"
    # is the message about a bad event, a good one, or neither
    event: str = "none"
    # behavioural self-attribution, agency and owning a success: never findings (label = kind)
    helpful: tuple[Evidence, ...] = ()
    # words that limit the explanation to now ("this time", "today", "so far")
    time_limits: tuple[Evidence, ...] = ()

    @property
    def attributions(self) -> dict[str, bool]:
        return {name: self.dimensions[name].detected for name in DIMENSIONS}

    @property
    def scores(self) -> dict[str, int]:
        return {name: self.dimensions[name].score for name in DIMENSIONS}

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the `analyze` CLI (without the caller's id)."""
        return {
            "attributions": self.attributions,
            "scores": self.scores,
            "event": self.event,
            "distortions": [name for name in DISTORTIONS if name in self.distortions],
            "risk": self.risk,
            "evidence": [ev.to_dict() for ev in self.evidence],
            "helpful": [ev.to_dict() for ev in self.helpful],
        }
