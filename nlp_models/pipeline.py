"""Builds the spaCy pipeline (once per process) and turns a processed Doc into an `Analysis`."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlp_models import components  # noqa: F401  (registers the component factories)
from nlp_models.analysis import DIMENSIONS, DISTORTIONS, RISK_LEVELS, Analysis, Dimension, Evidence
from nlp_models.language import guess_language
from nlp_models.normalize import Normalized, normalize
from nlp_models.rulebook import PatternError, tokens_of
from nlp_models.style import THRESHOLD

_lock = threading.Lock()
_nlp: Language | None = None


def build_nlp(pattern_dir: Path | str | None = None) -> Language:
    """A fresh pipeline: blank English, sentencizer, lookup lemmatizer, then the rule components
    (on the package's rule files, or on those in `pattern_dir`)."""
    cfg = {"pattern_dir": str(pattern_dir) if pattern_dir else ""}
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    # spaCy's lookup lemmatizer and table, applied as one array (see components.py).
    nlp.add_pipe("cbt_lookup_lemmatizer", name="lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("cbt_lemma_fix", config=cfg)
    nlp.add_pipe("cbt_norms", config=cfg)
    nlp.add_pipe("cbt_rules", config=cfg)
    nlp.add_pipe("cbt_context", config=cfg)
    nlp.add_pipe("cbt_style", config=cfg)
    nlp.add_pipe("cbt_risk", config=cfg)
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


def problems_in(pattern_dir: Path) -> list[str]:
    """Mistakes in a rule directory: anything that stops it loading, and list words the
    tokenizer splits (a token test can never match them)."""
    from nlp_models.components import rulebook

    try:
        book = rulebook(str(pattern_dir))
    except (PatternError, KeyError, ValueError) as exc:
        return [str(exc)]
    finally:
        rulebook.cache_clear()
    problems = []
    for name, words in book.lex.lists.items():
        for word in words:
            for piece in word.split(" "):
                if piece and not _one_token(piece):
                    problems.append(
                        f"lexicon.json: {piece!r} in list {name!r} is split by the tokenizer "
                        f"into {list(tokens_of(piece))}: it can never match"
                    )
    return problems


def _one_token(word: str) -> bool:
    """Can a token be this word? Clitics ("'m", "n't") only exist after a word."""
    if not any(c.isalnum() for c in word) or len(tokens_of(word)) == 1:
        return True
    return (word.startswith("'") or word == "n't") and tokens_of("I" + word)[1:] == (word,)


def clean_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A span widened to whole words of `text` and trimmed of surrounding punctuation and
    spaces, so a quote never starts or ends inside a word ("nt mean anything")."""
    n = len(text)
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "'\u2019"):
        start -= 1
    while end < n and text[end].isalnum():
        end += 1
    while end < n - 1 and text[end] in "'\u2019" and text[end + 1].isalnum():
        end += 2
        while end < n and text[end].isalnum():
            end += 1
    while start < end and not (text[start].isalnum() or text[start] in "'\u2019"):
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    while start < end and text[start] in "'\u2019":
        start += 1
    return start, end


def build_analysis(norm: Normalized, doc: Doc) -> Analysis:
    text = norm.original
    ctx = doc._.context

    def evidence(label: str, start: int, end: int) -> Evidence:
        """Visible tokens start..end as a clean span of the original text."""
        c0, c1 = ctx.char_span(start, end)
        o0, o1 = clean_span(text, *norm.span(c0, c1))
        return Evidence(label, o0, o1, text[o0:o1])

    style = doc._.style
    dimensions: dict[str, Dimension] = {}
    all_evidence: dict[tuple[str, int, int], Evidence] = {}
    for name in DIMENSIONS:
        if style is None:
            dimensions[name] = Dimension(False, 1, ())
            continue
        score = style.scores[name]
        detected = score >= THRESHOLD
        ev: tuple[Evidence, ...] = ()
        if detected and name in style.evidence:
            ev = (evidence(name, *style.evidence[name]),)
            all_evidence[(name, ev[0].start, ev[0].end)] = ev[0]
        dimensions[name] = Dimension(detected, score, ev)
    distortions: dict[str, tuple[Evidence, ...]] = {}
    traps = doc._.traps
    if traps is not None:
        for name in DISTORTIONS:
            spans = traps.spans.get(name)
            if spans:
                items = tuple(dict.fromkeys(evidence(name, s, e) for s, e in spans))
                distortions[name] = items
                all_evidence.update(((e.label, e.start, e.end), e) for e in items)
    risk = doc._.risk
    level = risk.level if risk is not None and risk.level in RISK_LEVELS else "none"
    risk_rules = tuple(risk.rules) if risk is not None else ()
    if risk is not None:
        sentences = [ctx.char_span(lo, hi) for lo, hi in ctx.sent_bounds] if ctx.n else []
        for start, end, _ in risk.evidence:
            o0, o1 = clean_span(text, *norm.span(start, end))
            where = next(((a, b) for a, b in sentences if a <= start < b), (start, end))
            s0, s1 = clean_span(text, *norm.span(*where))
            all_evidence[("risk", o0, o1)] = Evidence("risk", o0, o1, text[o0:o1], (s0, s1))
    if level in ("danger", "crisis"):
        # a message at risk is answered with help, never analysed for traps or explanations
        distortions = {}
        dimensions = {name: Dimension(False, 1, ()) for name in DIMENSIONS}
        all_evidence = {k: v for k, v in all_evidence.items() if k[0] == "risk"}
    helpful: tuple[Evidence, ...] = ()
    if style is not None:
        helpful = tuple(evidence(kind, s, e) for kind, s, e in style.helpful)
    limits = (
        tuple(
            dict.fromkeys(
                evidence("time_limited", s, e) for _, _, s, e in ctx.scopes.get("time_limited", ())
            )
        )
        if ctx.n
        else ()
    )
    return Analysis(
        text=text,
        dimensions=dimensions,
        distortions=distortions,
        risk=level,
        risk_rules=risk_rules,
        evidence=tuple(sorted(all_evidence.values(), key=lambda e: (e.start, e.end, e.label))),
        language=guess_language(text),
        event=style.event if style is not None else "none",
        helpful=helpful,
        time_limits=limits,
    )


def analyze_text(nlp: Language, text: str) -> Analysis:
    norm = normalize(text)
    return build_analysis(norm, nlp(norm.text))


__all__ = ["analyze_text", "build_analysis", "build_nlp", "get_nlp", "normalize"]
