"""Evaluation of the risk detector on public crisis data (kept outside the project).

Reads ``<data_dir>/crisis/irf_val.csv`` (posts with a perceived-burdensomeness flag) and
``<data_dir>/crisis/tweets_suicidal_ideation.csv`` (tweets labelled "Not Suicide post" or not).
Texts are only read and printed; nothing from the data is written anywhere.
"""

from __future__ import annotations

import csv
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from .risk import RiskResult, assess_text

BURDEN_TARGET = 0.85
SAMPLE_SIZE = 25


def read_list(path: Path) -> list[tuple[str, str]]:
    """(expected level, text) per line of a test list; '#' lines are comments. A line
    "crisis | text" gives its level; a line without one gives "" (an idiom list: none)."""
    items = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        level, sep, text = line.partition(" | ")
        if sep and level in ("crisis", "concern", "none"):
            items.append((level, text.strip()))
        else:
            items.append(("", line))
    return items


def evaluate_lists(
    statements: Path, idioms: Path, assess: Callable[[str], RiskResult] = assess_text
) -> dict[str, float | list[str]]:
    """Recall by expected level on a statements list and false alarms on an idioms list:
    ``recall`` (flagged at all), ``recall_<level>``, ``exact_<level>`` (at the expected level),
    ``false_alarms`` (rate), and the texts ``missed`` and ``alarms``."""
    items = read_list(statements)
    levels = {text: assess(text).level for _, text in items}
    out: dict[str, float | list[str]] = {}
    for want in ("crisis", "concern"):
        texts = [t for lvl, t in items if lvl == want]
        if texts:
            out[f"recall_{want}"] = sum(levels[t] != "none" for t in texts) / len(texts)
            out[f"exact_{want}"] = sum(levels[t] == want for t in texts) / len(texts)
    out["missed"] = [t for _, t in items if levels[t] == "none"]
    out["recall"] = 1 - len(out["missed"]) / max(len(items), 1)
    negatives = [t for _, t in read_list(idioms)]
    out["alarms"] = [t for t in negatives if assess(t).level != "none"]
    out["false_alarms"] = len(out["alarms"]) / max(len(negatives), 1)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        return [{k: _fix_mojibake(v or "") for k, v in row.items()} for row in csv.DictReader(fh)]


def _fix_mojibake(text: str) -> str:
    # Some exports decoded UTF-8 as Mac Roman ("I‚Äôm" for "I’m"); undo it when that round-trips.
    if "\u201a" not in text and "\u00c3" not in text:
        return text
    try:
        return text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _snippet(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def evaluate_crisis(
    data_dir: Path,
    assess: Callable[[str], RiskResult] = assess_text,
    show_text: bool = True,
    sample_size: int = SAMPLE_SIZE,
) -> list[str]:
    """Report lines: burden recall on irf_val.csv and flagged rate on not-suicidal tweets."""
    crisis_dir = Path(data_dir) / "crisis"
    irf = crisis_dir / "irf_val.csv"
    tweets = crisis_dir / "tweets_suicidal_ideation.csv"
    lines: list[str] = []

    if irf.is_file():
        posts = [r for r in _rows(irf) if r.get("burden", "").strip() == "1"]
        t0 = time.perf_counter()
        results = [assess(r.get("text", "")) for r in posts]
        elapsed = time.perf_counter() - t0
        caught = [res.level != "none" for res in results]
        recall = sum(caught) / len(posts) if posts else 0.0
        levels = Counter(res.level for res in results)
        status = "ok" if recall >= BURDEN_TARGET else "BELOW TARGET"
        lines.append(
            f"risk: irf_val burden recall {recall:.3f} ({sum(caught)}/{len(posts)}; "
            f"crisis {levels['crisis']}, concern {levels['concern']}, none {levels['none']}) "
            f"target >= {BURDEN_TARGET} {status}; {1000 * elapsed / max(len(posts), 1):.2f} ms/post"
        )
        missed = [r for r, c in zip(posts, caught, strict=True) if not c]
        if missed:
            ids = ", ".join(r.get("Unnamed: 0", "?") for r in missed[:40])
            lines.append(f"risk: irf_val burden posts missed (ids): {ids}")
    else:
        lines.append(f"risk: skipped burden recall ({irf} not found)")

    if tweets.is_file():
        rows = _rows(tweets)
        negatives = [
            (i, r)
            for i, r in enumerate(rows, start=2)
            if r.get("Suicide", "").strip().startswith("Not")
        ]
        positives = [r for r in rows if r.get("Suicide", "").strip().startswith("Potential")]
        flagged = []
        for row_no, r in negatives:
            res = assess(r.get("Tweet", ""))
            if res.level != "none":
                flagged.append((row_no, r.get("Tweet", ""), res))
        rate = len(flagged) / len(negatives) if negatives else 0.0
        pos_rate = (
            sum(assess(r.get("Tweet", "")).level != "none" for r in positives) / len(positives)
            if positives
            else 0.0
        )
        lines.append(
            f"risk: tweets labelled not suicidal flagged {rate:.3f} ({len(flagged)}/{len(negatives)}); "
            f"tweets labelled potential suicide flagged {pos_rate:.3f} (noisy labels, a hint only)"
        )
        sample = random.Random(0).sample(flagged, min(sample_size, len(flagged)))
        sample.sort(key=lambda item: item[0])
        if sample:
            lines.append(
                "risk: flagged not-suicidal tweets to read by hand (csv row, level, rules):"
            )
        for row_no, text, res in sample:
            line = f"  row {row_no}: {res.level} {','.join(res.rules)}"
            if show_text:
                line += f" | {_snippet(text)}"
            lines.append(line)
    else:
        lines.append(f"risk: skipped tweet false-alarm rate ({tweets} not found)")
    return lines


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    for out in evaluate_crisis(Path(sys.argv[1]) if len(sys.argv) > 1 else default):
        print(out)
