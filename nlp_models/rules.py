"""Rule families and the one matcher that runs them all.

Each family is a rule file in `patterns/` (context modifiers, explanation cues, thinking traps,
risk rules and risk exclusions) whose rows carry their patterns; a row may have several parts
(a risk rule's `with` groups, an exclusion's `unless`). All patterns of all families are compiled
into one `RegexMatcher` and run in one pass per message; each family reads its own matches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp_models.fastmatch import RegexMatcher, Visible
from nlp_models.rulebook import Lexicon, PatternError, TokenPattern, compile_patterns, read_rows

SEP = "|"


@dataclass(frozen=True)
class Family:
    """The rows of one rule file and their compiled patterns, by (row id, part)."""

    name: str
    rows: dict[str, dict[str, Any]]
    patterns: dict[tuple[str, str], list[TokenPattern]] = field(default_factory=dict)


def load_family(
    name: str,
    path: Path,
    lex: Lexicon,
    keys: Iterable[str],
    parts: Callable[[dict[str, Any]], dict[str, Any]],
    check: Callable[[dict[str, Any], str], None] | None = None,
) -> Family:
    """Read a rule file. `parts(row)` names the pattern groups of a row (e.g. {"": row["patterns"],
    "unless": row["unless"]}); `check(row, where)` validates the other fields."""
    rows: dict[str, dict[str, Any]] = {}
    patterns: dict[tuple[str, str], list[TokenPattern]] = {}
    for row in read_rows(path, keys):
        where = row["_where"]
        if check is not None:
            check(row, where)
        for part, value in parts(row).items():
            if value is None:
                continue
            patterns[(row["id"], part)] = compile_patterns(value, lex, f"{where} ({row['id']})")
        rows[row["id"]] = row
    return Family(name, rows, patterns)


@dataclass
class Matches:
    """One message's matches, by family: (row id, part, start, end) in visible-token offsets."""

    vis: Visible
    by_family: dict[str, list[tuple[str, str, int, int]]]

    def of(self, family: str) -> list[tuple[str, str, int, int]]:
        return self.by_family.get(family, [])


class RuleRunner:
    """Every family's patterns in one matcher."""

    def __init__(self, strings, families: Iterable[Family], common_words: Iterable[str]) -> None:
        self.matcher = RegexMatcher(strings, common_words)
        self.keys: dict[int, tuple[str, str, str]] = {}
        for fam in families:
            for (row_id, part), pats in fam.patterns.items():
                key = SEP.join((fam.name, row_id, part))
                if SEP in row_id or SEP in part:
                    raise PatternError(f"{fam.name}: {SEP!r} in rule id {row_id!r}")
                self.matcher.add(key, pats)
                self.keys[strings.add(key)] = (fam.name, row_id, part)
        self.matcher.compile()

    def __call__(self, vis: Visible) -> Matches:
        out: dict[str, list[tuple[str, str, int, int]]] = {}
        keys = self.keys
        for key, start, end in self.matcher(vis):
            fam, row_id, part = keys[key]
            out.setdefault(fam, []).append((row_id, part, start, end))
        return Matches(vis, out)
