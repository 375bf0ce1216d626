"""What a message says: explanation style (permanent, pervasive, personal), thinking traps, risk.

`analyze(text)` and `analyze_many(texts)` run one spaCy pipeline built once per process from
`spacy.blank("en")`, a sentencizer, the lookup lemmatizer and the rule components in this package.
"""

from __future__ import annotations

from collections.abc import Iterable

from nlp_models.analysis import (
    DIMENSIONS,
    DISTORTIONS,
    RISK_LEVELS,
    Analysis,
    Dimension,
    Evidence,
)
from nlp_models.pipeline import build_analysis, get_nlp, prepare_text

__all__ = [
    "DIMENSIONS",
    "DISTORTIONS",
    "RISK_LEVELS",
    "Analysis",
    "Dimension",
    "Evidence",
    "analyze",
    "analyze_many",
    "get_nlp",
]


def analyze(text: str) -> Analysis:
    """Analyse one message."""
    nlp = get_nlp()
    return build_analysis(text, nlp(prepare_text(text)))


def analyze_many(texts: Iterable[str], batch_size: int = 256) -> list[Analysis]:
    """Analyse many messages with `nlp.pipe`; the result keeps the input order."""
    texts = list(texts)
    nlp = get_nlp()
    docs = nlp.pipe((prepare_text(t) for t in texts), batch_size=batch_size)
    return [build_analysis(text, doc) for text, doc in zip(texts, docs, strict=True)]
