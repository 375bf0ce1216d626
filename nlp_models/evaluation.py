"""Metrics on the development data in ../shared/data (see its README); read-only, never bundled."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from nlp_models.analysis import DIMENSIONS, DISTORTIONS, Analysis

PATTERNREFRAME = {
    "Black-and-white or polarized thinking / All or nothing thinking": "all_or_nothing",
    "Overgeneralization": "overgeneralization",
    "Labeling and mislabeling": "labeling",
    "Jumping to conclusions: Fortune-telling": "fortune_telling",
    "Jumping to conclusions: mind reading": "mind_reading",
    "Should statements": "should_statements",
    "Personalization": "personalization",
    "Discounting the positive": "discounting_positive",
    "Catastrophizing": "catastrophizing",
    "Mental filtering": "mental_filter",
}

# The thinking-traps file spells some traps in more than one way.
THINKING_TRAPS = {
    "all-or-nothing thinking": "all_or_nothing",
    "overgeneralizing": "overgeneralization",
    "overgeneralization": "overgeneralization",
    "labeling": "labeling",
    "fortune telling": "fortune_telling",
    "mind reading": "mind_reading",
    "emotional reasoning": "emotional_reasoning",
    "should statements": "should_statements",
    "personalizing": "personalization",
    "personalization": "personalization",
    "disqualifying the positive": "discounting_positive",
    "catastrophizing": "catastrophizing",
    "comparing and despairing": "comparing",
    "comparing": "comparing",
    "blaming": "blaming",
}
NOT_DISTORTED = "not distorted"
NEGATIVE_FEELING = "negative feeling or emotion"

# Dimension targets from the issue: dimension -> patterns whose thoughts should show it.
DIMENSION_TARGETS = {
    "permanent": (("Overgeneralization", 0.85),),
    "pervasive": (
        ("Overgeneralization", 0.80),
        ("Black-and-white or polarized thinking / All or nothing thinking", 0.80),
        ("Labeling and mislabeling", 0.80),
    ),
    "personal": (("Labeling and mislabeling", 0.85), ("Personalization", 0.85)),
}

Analyzer = Callable[[Sequence[str]], list[Analysis]]


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _mark(ok: bool) -> str:
    return "ok " if ok else "LOW"


def patternreframe_report(path: Path, analyze_many: Analyzer) -> list[str]:
    rows = _read_jsonl(path)
    results = analyze_many([r["thought"] for r in rows])
    lines = [f"PatternReframe {path.name}: {len(rows)} thoughts"]
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    n_labels = 0
    predicted: Counter[str] = Counter()
    dim_hits: dict[str, Counter[str]] = defaultdict(Counter)
    for row, res in zip(rows, results, strict=True):
        pattern = row["pattern"]
        totals[pattern] += 1
        n_labels += len(res.distortions)
        predicted.update(list(res.distortions))
        if PATTERNREFRAME[pattern] in res.distortions:
            hits[pattern] += 1
        for dim, targets in DIMENSION_TARGETS.items():
            if any(pattern == p for p, _ in targets) and res.dimensions[dim].detected:
                dim_hits[dim][pattern] += 1
    recall = sum(hits.values()) / len(rows)
    avg = n_labels / len(rows)
    lines.append(
        f"  [{_mark(recall >= 0.60)}] primary-pattern recall {recall:.3f} (target >= 0.60)"
    )
    lines.append(f"  [{_mark(avg <= 2.0)}] labels per thought {avg:.2f} (target <= 2.0)")
    for pattern, label in PATTERNREFRAME.items():
        r = hits[pattern] / totals[pattern] if totals[pattern] else 0.0
        lines.append(
            f"  [{_mark(r >= 0.40)}] {label:<22} recall {r:.3f} "
            f"({hits[pattern]}/{totals[pattern]}), predicted {predicted[label]} times"
        )
    for dim, targets in DIMENSION_TARGETS.items():
        for pattern, target in targets:
            r = dim_hits[dim][pattern] / totals[pattern] if totals[pattern] else 0.0
            # issue 3's targets; the guide (EXPLANATORY_STYLE.md) now decides the dimensions
            # ("I'll never get this job" is permanent, not pervasive), so these are for reading
            lines.append(
                f"  (info) {dim} recall on {PATTERNREFRAME[pattern]} {r:.3f} "
                f"(issue 3 asked {target:.2f} before the guide)"
            )
    return lines


def thinking_traps_report(path: Path, analyze_many: Analyzer) -> list[str]:
    labels: dict[str, set[str]] = defaultdict(set)
    for row in _read_jsonl(path):
        thought = row["prompt"].rstrip()
        thought = thought[:-2].rstrip() if thought.endswith("->") else thought
        labels[thought].add(row["completion"].strip().lower())
    thoughts = list(labels)
    results = dict(zip(thoughts, analyze_many(thoughts), strict=True))
    undistorted = [t for t in thoughts if NOT_DISTORTED in labels[t]]
    distorted = [
        t
        for t in thoughts
        if NOT_DISTORTED not in labels[t] and any(lab in THINKING_TRAPS for lab in labels[t])
    ]
    feeling_only = [t for t in thoughts if labels[t] and labels[t] <= {NEGATIVE_FEELING}]
    clean = sum(not results[t].distortions for t in undistorted) / max(1, len(undistorted))
    flagged = sum(bool(results[t].distortions) for t in distorted) / max(1, len(distorted))
    trap_hits: Counter[str] = Counter()
    trap_totals: Counter[str] = Counter()
    for t in distorted:
        for lab in labels[t]:
            if lab in THINKING_TRAPS:
                trap_totals[THINKING_TRAPS[lab]] += 1
                trap_hits[THINKING_TRAPS[lab]] += THINKING_TRAPS[lab] in results[t].distortions
    lines = [f"Thinking traps {path.name}: {len(thoughts)} thoughts"]
    lines.append(
        f"  [{_mark(clean >= 0.85)}] 'Not distorted' thoughts with no distortion "
        f"{clean:.3f} of {len(undistorted)} (target >= 0.85)"
    )
    lines.append(
        f"  [{_mark(flagged >= 0.85)}] distorted thoughts with a distortion "
        f"{flagged:.3f} of {len(distorted)} (target >= 0.85)"
    )
    if feeling_only:
        share = sum(bool(results[t].distortions) for t in feeling_only) / len(feeling_only)
        lines.append(
            f"  (info) 'Negative feeling' only thoughts with a distortion {share:.3f} "
            f"of {len(feeling_only)}"
        )
    lines.append("  (info) per-trap recall on distorted thoughts:")
    for label in DISTORTIONS:
        if trap_totals[label]:
            lines.append(
                f"         {label:<22} {trap_hits[label] / trap_totals[label]:.3f} "
                f"({trap_hits[label]}/{trap_totals[label]})"
            )
    return lines


# Targets on the explanatory-style sets (issue: explanation-centred analyzer).
STYLE_PRECISION, STYLE_RECALL, CLEAN_FLAGGED, DISCOUNT_RECALL = 0.90, 0.85, 0.05, 0.85
STYLE_LABELS = (*DIMENSIONS, "discounts")


def read_style_set(path: Path) -> list[dict]:
    """Rows of an explanatory-style TSV (dev.tsv or the blind set): id, the four dimensions and
    discounts as 0/1, valence, text; '#' lines are comments."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        ident, *labels, valence, text = line.split("\t")
        rows.append(
            {"id": ident, **{k: v == "1" for k, v in zip(STYLE_LABELS, labels, strict=True)},
             "valence": valence, "text": text}
        )  # fmt: skip
    return rows


def predicted_labels(res: Analysis) -> dict[str, bool]:
    return {**res.attributions, "discounts": "discounting_positive" in res.distortions}


def style_metrics(rows: list[dict], results: list[Analysis]) -> dict[str, float]:
    """Precision and recall per dimension, the share of clean rows with any dimension, discount
    recall, and findings on owned successes."""
    out: dict[str, float] = {}
    preds = [predicted_labels(r) for r in results]
    for label in STYLE_LABELS:
        tp = sum(row[label] and p[label] for row, p in zip(rows, preds, strict=True))
        fp = sum(not row[label] and p[label] for row, p in zip(rows, preds, strict=True))
        fn = sum(row[label] and not p[label] for row, p in zip(rows, preds, strict=True))
        out[f"{label}_precision"] = tp / (tp + fp) if tp + fp else 1.0
        out[f"{label}_recall"] = tp / (tp + fn) if tp + fn else 1.0
        out[f"{label}_n"] = tp + fn
    clean = [p for row, p in zip(rows, preds, strict=True) if not any(row[k] for k in STYLE_LABELS)]
    out["clean_n"] = len(clean)
    out["clean_flagged"] = sum(any(p[d] for d in DIMENSIONS) for p in clean) / max(1, len(clean))
    owned = [
        p for row, p in zip(rows, preds, strict=True)
        if row["valence"] == "pos" and not any(row[k] for k in STYLE_LABELS)
    ]  # fmt: skip
    out["owned_n"] = len(owned)
    out["owned_flagged"] = sum(any(p.values()) for p in owned)
    helpful = [
        p for row, p, res in zip(rows, preds, results, strict=True)
        if not any(row[k] for k in STYLE_LABELS) and res.helpful
    ]  # fmt: skip
    out["helpful_n"] = len(helpful)
    out["helpful_flagged"] = sum(any(p.values()) for p in helpful)
    return out


def style_report(path: Path, analyze_many: Analyzer, name: str) -> list[str]:
    rows = read_style_set(path)
    m = style_metrics(rows, analyze_many([r["text"] for r in rows]))
    lines = [f"Explanatory style {name} ({path.name}): {len(rows)} sentences, {m['clean_n']} clean"]
    for label in DIMENSIONS:
        p, r = m[f"{label}_precision"], m[f"{label}_recall"]
        ok = p >= STYLE_PRECISION and r >= STYLE_RECALL
        lines.append(
            f"  [{_mark(ok)}] {label:<15} precision {p:.3f}  recall {r:.3f}  (n={m[label + '_n']}; "
            f"targets {STYLE_PRECISION:.2f} / {STYLE_RECALL:.2f})"
        )
    lines.append(
        f"  [{_mark(m['clean_flagged'] <= CLEAN_FLAGGED)}] clean sentences with any dimension "
        f"{m['clean_flagged']:.3f} (target <= {CLEAN_FLAGGED:.2f})"
    )
    r = m["discounts_recall"]
    lines.append(
        f"  [{_mark(r >= DISCOUNT_RECALL)}] good events explained away found {r:.3f} "
        f"(precision {m['discounts_precision']:.3f}, n={m['discounts_n']}; target >= {DISCOUNT_RECALL:.2f})"
    )
    lines.append(
        f"  [{_mark(m['owned_flagged'] == 0)}] owned successes with any finding "
        f"{m['owned_flagged']} of {m['owned_n']} (target 0)"
    )
    lines.append(
        f"  [{_mark(m['helpful_flagged'] == 0)}] clean sentences with agency or behavioural "
        f"evidence that get a finding {m['helpful_flagged']} of {m['helpful_n']} (target 0)"
    )
    return lines


_TEST_DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
# our own sentences: one set the rules are developed against, one never tuned on
TUNING_SETS = (_TEST_DATA / "explanations_tuning.tsv", _TEST_DATA / "explanations_tuning2.tsv")
BLIND_SET = _TEST_DATA / "explanations_blind.tsv"


def evaluate(data_dir: Path, analyze_many: Analyzer) -> list[str] | None:
    """Report lines, or None when the development data folder is absent."""
    if not data_dir.is_dir():
        return None
    lines: list[str] = []
    dev = data_dir / "explanations" / "dev.tsv"
    if dev.is_file():
        lines += style_report(dev, analyze_many, "development")
    else:
        lines.append(f"Explanatory style: {dev} not found, skipped")
    for path in TUNING_SETS:
        if path.is_file():
            lines += style_report(path, analyze_many, "own tuning set")
    if BLIND_SET.is_file():
        lines += style_report(BLIND_SET, analyze_many, "own blind set (never tuned on)")
    valid = data_dir / "patternreframe" / "valid.jsonl"
    traps = data_dir / "thinking_traps" / "thinking_traps.jsonl"
    if valid.is_file():
        lines += patternreframe_report(valid, analyze_many)
    else:
        lines.append(f"PatternReframe: {valid} not found, skipped")
    if traps.is_file():
        lines += thinking_traps_report(traps, analyze_many)
    else:
        lines.append(f"Thinking traps: {traps} not found, skipped")
    return lines
