"""Loads the rule data in `patterns/` (word lists and Matcher patterns), once per process."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

PATTERN_DIR = Path(__file__).parent / "patterns"

# Cue files hold Matcher patterns for the distortions and dimensions; risk*.jsonl belong to the
# crisis rules and are not loaded here.
CUE_FILES = ("markers.jsonl", "dimensions.jsonl", "distortions.jsonl")


@dataclass(frozen=True)
class Cue:
    """One Matcher pattern and what a match means once its context checks pass."""

    id: str
    pattern: list[dict[str, Any]]
    dims: dict[str, float] = field(default_factory=dict)
    labels: dict[str, float] = field(default_factory=dict)
    checks: tuple[str, ...] = ()
    mark: str = ""


@cache
def lexicon() -> dict[str, frozenset[str]]:
    raw = json.loads((PATTERN_DIR / "lexicon.json").read_text(encoding="utf-8"))
    return {k: frozenset(v) for k, v in raw.items() if not k.startswith("_")}


@cache
def chat_spelling() -> dict[str, dict[str, str]]:
    raw = json.loads((PATTERN_DIR / "chat_spelling.json").read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if not k.startswith("_")}


def _expand(value: Any, words: dict[str, frozenset[str]]) -> Any:
    """Replace "@name" references to word lists (inside IN / NOT_IN) by the sorted list."""
    if isinstance(value, str) and value.startswith("@"):
        names = value[1:].split("+")
        merged: set[str] = set()
        for name in names:
            merged |= words[name]
        return sorted(merged)
    if isinstance(value, dict):
        return {k: _expand(v, words) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, words) for v in value]
    return value


@cache
def cues() -> tuple[Cue, ...]:
    words = lexicon()
    loaded: list[Cue] = []
    seen: set[str] = set()
    for name in CUE_FILES:
        for lineno, line in enumerate(
            (PATTERN_DIR / name).read_text(encoding="utf-8").splitlines(), 1
        ):
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{name}:{lineno}: {exc}") from exc
            if row["id"] in seen:
                raise ValueError(f"{name}:{lineno}: duplicate cue id {row['id']!r}")
            seen.add(row["id"])
            loaded.append(
                Cue(
                    id=row["id"],
                    pattern=_expand(row["pattern"], words),
                    dims=row.get("dims", {}),
                    labels=row.get("labels", {}),
                    checks=tuple(row.get("checks", ())),
                    mark=row.get("mark", ""),
                )
            )
    return tuple(loaded)
