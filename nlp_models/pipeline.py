"""Builds the spaCy pipeline (once per process) and turns a processed Doc into an `Analysis`."""

from __future__ import annotations

import gc
import threading

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlp_models import components  # noqa: F401  (registers the component factories)
from nlp_models.analysis import DIMENSIONS, DISTORTIONS, RISK_LEVELS, Analysis, Dimension, Evidence
from nlp_models.language import guess_language
from nlp_models.resources import chat_spelling
from nlp_models.risk import assess_risk

_lock = threading.Lock()
_nlp: Language | None = None

DETECT_THRESHOLD = 0.5


def build_nlp() -> Language:
    """A fresh pipeline: blank English, sentencizer, lookup lemmatizer, then the rule components."""
    nlp = spacy.blank("en")
    for orth, norm in chat_spelling()["norm"].items():
        nlp.vocab[orth].norm_ = norm
    nlp.add_pipe("sentencizer")
    # spaCy's lookup lemmatizer and table, applied as one array (see components.py).
    nlp.add_pipe("cbt_lookup_lemmatizer", name="lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("cbt_lemma_fix")
    nlp.add_pipe("cbt_cues")
    nlp.add_pipe("cbt_explain")
    # Loads the lemma table from spacy-lookups-data (installed package, no network).
    nlp.initialize()
    return nlp


def get_nlp() -> Language:
    """The process-wide pipeline, built on first use."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                _nlp = build_nlp()
                # The pipeline's tables live as long as the process: move them out of the
                # collector's reach so a full collection does not rescan them (pauses of
                # several ms on single-message latency otherwise).
                gc.collect()
                gc.freeze()
    return _nlp


def prepare_text(text: str) -> str:
    """Text for the tokenizer, same length as the input so offsets stay valid.

    Curly apostrophes become straight ones and shouted messages are lower-cased, so that the
    tokenizer's contraction rules apply ("I’m", "IM DONE").
    """
    text = text.replace("\u2019", "'")
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 4 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        lowered = text.lower()
        if len(lowered) == len(text):  # offsets must stay valid for the original text
            return lowered
    return text


def _evidence(text: str, label: str, start: int, end: int) -> Evidence:
    return Evidence(label, start, end, text[start:end])


def build_analysis(text: str, doc: Doc) -> Analysis:
    findings = doc._.cbt
    dimensions: dict[str, Dimension] = {}
    all_evidence: dict[tuple[str, int, int], Evidence] = {}
    for name in DIMENSIONS:
        score, spans = findings.dims[name]
        ev = tuple(_evidence(text, name, s, e) for s, e in spans)
        detected = score >= DETECT_THRESHOLD
        dimensions[name] = Dimension(detected, round(score, 3), ev if detected else ())
        if detected:
            all_evidence.update(((e.label, e.start, e.end), e) for e in ev)
    distortions: dict[str, tuple[Evidence, ...]] = {}
    for name in DISTORTIONS:
        spans = findings.labels.get(name)
        if spans:
            ev = tuple(_evidence(text, name, s, e) for s, e in spans)
            distortions[name] = ev
            all_evidence.update(((e.label, e.start, e.end), e) for e in ev)
    risk = assess_risk(doc)
    level = risk.level if risk.level in RISK_LEVELS else "none"
    for item in risk.evidence:
        start, end = item[0], item[1]
        all_evidence[("risk", start, end)] = _evidence(text, "risk", start, end)
    evidence = tuple(sorted(all_evidence.values(), key=lambda e: (e.start, e.end, e.label)))
    return Analysis(
        text=text,
        dimensions=dimensions,
        distortions=distortions,
        risk=level,
        risk_rules=tuple(risk.rules),
        evidence=evidence,
        language=guess_language(text),
    )
