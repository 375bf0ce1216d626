"""What a message says: explanatory style (permanent, pervasive, personal, uncontrollable),
thinking traps, risk.

`analyze(text)` and `analyze_many(texts)` run one spaCy pipeline built once per process from
`spacy.blank("en")`, a sentencizer, the lookup lemmatizer and the rule components in this package.
"""

from __future__ import annotations

from collections.abc import Iterable

from nlp_models.analysis import (
    DIMENSIONS,
    DISTORTIONS,
    EVENTS,
    HELPFUL_KINDS,
    RISK_LEVELS,
    Analysis,
    Dimension,
    Evidence,
)
from nlp_models.pipeline import build_analysis, get_nlp, normalize
from nlp_models.style import THRESHOLD

__all__ = [
    "DIMENSIONS",
    "DISTORTIONS",
    "EVENTS",
    "HELPFUL_KINDS",
    "RISK_LEVELS",
    "THRESHOLD",
    "Analysis",
    "Dimension",
    "Evidence",
    "analyze",
    "analyze_many",
    "get_nlp",
]


def analyze(text: str) -> Analysis:
    """Analyse one message."""
    norm = normalize(text)
    return build_analysis(norm, get_nlp()(norm.text))


def analyze_many(texts: Iterable[str], batch_size: int = 256) -> list[Analysis]:
    """Analyse many messages with `nlp.pipe`; the result keeps the input order."""
    norms = [normalize(t) for t in texts]
    docs = get_nlp().pipe((n.text for n in norms), batch_size=batch_size)
    return [build_analysis(n, doc) for n, doc in zip(norms, docs, strict=True)]
