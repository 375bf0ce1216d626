"""Command line: `python -m nlp_models analyze` (JSON lines in and out) and `evaluate`."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
BATCH = 256


def _parse(lineno: int, line: str) -> tuple[Any, str | None, str | None]:
    """(id, text, error); id falls back to the line number when the line has none."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return lineno, None, f"not JSON: {exc.msg}"
    if not isinstance(row, dict):
        return lineno, None, "not a JSON object"
    ident = row.get("id", lineno)
    text = row.get("text")
    if not isinstance(text, str):
        return ident, None, "no text"
    return ident, text, None


def _batches(stream: TextIO) -> Iterator[list[tuple[Any, str | None, str | None]]]:
    batch: list[tuple[Any, str | None, str | None]] = []
    for lineno, line in enumerate(stream, 1):
        if not line.strip():
            continue
        batch.append(_parse(lineno, line))
        # A short batch when input pauses would need non-blocking reads; piping tools get
        # their answers as each batch fills or at end of input.
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def run_analyze(stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from nlp_models import analyze_many

    try:
        for batch in _batches(stdin):
            texts = [text for _, text, _ in batch if text is not None]
            results = iter(analyze_many(texts))
            for ident, _text, error in batch:
                if error is not None:
                    stderr.write(json.dumps({"id": ident, "error": error}) + "\n")
                    continue
                out = {"id": ident, **next(results).to_dict()}
                stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            stdout.flush()
    except (OSError, UnicodeDecodeError) as exc:
        stderr.write(f"cannot read input: {exc}\n")
        return 1
    return 0


def run_evaluate(data: Path, stdout: TextIO) -> int:
    from nlp_models import analyze_many
    from nlp_models.evaluation import evaluate

    lines = evaluate(data, analyze_many)
    if lines is None:
        stdout.write(f"development data not found at {data}; nothing to evaluate (skipped)\n")
        return 0
    stdout.write("\n".join(lines) + "\n")
    if importlib.util.find_spec("nlp_models.risk_eval") is not None:
        from nlp_models import risk_eval

        report = getattr(risk_eval, "evaluate_crisis", None)
        if report is not None:
            crisis = report(data)
            if crisis:
                stdout.write("\n".join(crisis) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp_models")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("analyze", help="JSON lines {id, text} on stdin -> one JSON line each on stdout")
    ev = sub.add_parser("evaluate", help="metrics on the development data")
    ev.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"default: {DEFAULT_DATA}")
    args = parser.parse_args(argv)
    if args.command == "analyze":
        stdin = sys.stdin
        if hasattr(stdin, "reconfigure"):
            stdin.reconfigure(encoding="utf-8", errors="replace")
        return run_analyze(stdin, sys.stdout, sys.stderr)
    return run_evaluate(args.data, sys.stdout)
