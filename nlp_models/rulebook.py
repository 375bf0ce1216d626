"""The one pattern language of every rule file in `patterns/`, and the one lexicon.

A pattern is a spaCy `Matcher` token pattern: a list of token dicts (`{"NORM": {"IN": [...]}}`,
`{"LEMMA": "ruin"}`, `{"OP": "?"}` ...). Because most rules are phrases, a pattern may also be
written as a string in a shorthand that the loader turns into exactly such dicts:

    word   a|b        NORM is one of the words
    ~a|b              LEMMA is one of the words
    $NAME  a|$NAME    NORM is in the lexicon's word list `name` (alternatives may mix lists and
                      words); a list with multi-word entries expands into several patterns
    ~$NAME            LEMMA is in the word list
    !a|$NAME          NORM is NOT in the set (one token)
    _                 any token
    $EOS              the end of a sentence (a token of . ! ? or the end of the message)
    [a b|c]           phrase alternatives (expanded into several patterns)
    any token may end in one of  ?  *  +  {n,m}

In dicts, `"@name"` stands for the sorted word list `name` (inside IN / NOT_IN).

The shorthand's checks raise `PatternError` for what would silently never match: an empty
alternative, upper case, a word the tokenizer splits into several tokens ("don't", "self-harm"),
an unknown list, a phrase alternation without brackets ("die|to kill"), a pattern with no required
token. `IS_SENT_END` is the one attribute spaCy's Matcher lacks (it cannot see the end of the
text); everything else is plain Matcher syntax, and tests check the compiled matcher against
spaCy's own on the same patterns.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

PATTERN_DIR = Path(__file__).parent / "patterns"
MAX_EXPANSION = 2048

TokenPattern = list[dict[str, Any]]


class PatternError(ValueError):
    """A mistake in a rule file."""


@dataclass(frozen=True)
class Lexicon:
    """Every word list the rules use, one list per kind, and the spellings mapped before
    matching."""

    lists: dict[str, tuple[str, ...]]
    regex: dict[str, str]
    norm: dict[str, str]
    lemma: dict[str, str]

    def words(self, name: str) -> frozenset[str]:
        key = name.lower()
        if key not in self.lists:
            raise PatternError(f"unknown word list {name!r}")
        return frozenset(self.lists[key])

    def single(self, name: str) -> frozenset[str]:
        """The one-token entries of a list (what a token test can use)."""
        return frozenset(w for w in self.words(name) if " " not in w)


def load_lexicon(pattern_dir: Path = PATTERN_DIR) -> Lexicon:
    raw = json.loads((pattern_dir / "lexicon.json").read_text(encoding="utf-8"))
    spelling = json.loads((pattern_dir / "spelling.json").read_text(encoding="utf-8"))
    lists: dict[str, tuple[str, ...]] = {}
    for name, words in raw["lists"].items():
        key = name.lower()
        if key in lists:
            raise PatternError(f"lexicon.json: list {name!r} given twice")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise PatternError(f"lexicon.json: list {name!r} must be a list of strings")
        lists[key] = tuple(dict.fromkeys(w.lower() for w in words))
    regex = {k.lower(): v for k, v in raw.get("regex", {}).items()}
    for name, rx in regex.items():
        try:
            re.compile(rx)
        except re.error as exc:
            raise PatternError(f"lexicon.json: regex {name!r}: {exc}") from exc
    norm = {k.lower(): v.lower() for k, v in spelling["norm"].items()}
    lemma = {k.lower(): v.lower() for k, v in spelling["lemma"].items()}
    return Lexicon(lists, regex, norm, lemma)


@cache
def lexicon() -> Lexicon:
    return load_lexicon(PATTERN_DIR)


# -- the shorthand -------------------------------------------------------------------------------

# A token: words, lists and bracketed phrase groups joined by "|", then an optional operator.
_TOKEN = re.compile(r"(?:\[[^\]]*\]|[^ \[\]])+")
_OP = re.compile(r"^(.+?)(\?|\*|\+|\{\d*,?\d*\})?$")
_WORD = re.compile(r"^[a-z0-9'&*.\-]+$|^[^\w\s]+$")


@lru_cache(maxsize=1)
def _tokenizer():
    import spacy

    return spacy.blank("en").tokenizer


@lru_cache(maxsize=8192)
def tokens_of(word: str) -> tuple[str, ...]:
    return tuple(t.text for t in _tokenizer()(word))


def check_word(word: str, where: str) -> None:
    if not word:
        raise PatternError(f"empty alternative in {where!r} (a stray '|'?)")
    if word != word.lower():
        raise PatternError(f"upper case in {word!r} in {where!r}: norms are lower case")
    for piece in word.split(" "):
        if not piece or not _WORD.match(piece):
            raise PatternError(f"bad word {word!r} in {where!r}")
        clitic = piece.startswith("'") or piece == "n't"
        if len(tokens_of(piece)) != 1 and not (clitic and tokens_of("i" + piece)[1:] == (piece,)):
            raise PatternError(
                f"{piece!r} in {where!r} is split by the tokenizer into "
                f"{list(tokens_of(piece))}: it can never match; write the tokens apart"
            )


def _quantifier(op: str, where: str) -> str:
    if op.startswith("{"):
        inner = op[1:-1]
        parts = inner.split(",")
        if not inner or len(parts) > 2 or not all(p.isdigit() or p == "" for p in parts):
            raise PatternError(f"bad quantifier {op!r} in {where!r}")
        if len(parts) == 1:
            return "{" + inner + "}"
        return "{" + (parts[0] or "0") + "," + parts[1] + "}"
    return op


def _required(op: str) -> bool:
    if op in ("", "+"):
        return True
    if op.startswith("{"):
        lo = op[1:-1].split(",")[0]
        return bool(lo) and int(lo) > 0
    return False


class Shorthand:
    """Parses shorthand patterns into Matcher token patterns (see the module doc)."""

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex

    @staticmethod
    def _split(body: str, where: str) -> list[str]:
        """The alternatives of a token: "|" outside brackets separates them, and a bracketed
        group ("[any more|no longer]") holds alternatives of its own."""
        out: list[str] = []
        for piece in re.findall(r"\[[^\]]*\]|[^|\[\]]+|\|", body):
            if piece == "|":
                continue
            if piece.startswith("["):
                inner = piece[1:-1]
                if not inner:
                    raise PatternError(f"empty brackets in {body!r} of {where!r}")
                out.extend(inner.split("|"))
            else:
                out.append(piece)
        if "||" in body or body.startswith("|") or body.endswith("|") or "" in out:
            raise PatternError(f"empty alternative in {where!r} (a stray '|'?)")
        return out

    def _alternatives(self, body: str, where: str) -> tuple[list[str], list[str], list[str], bool]:
        """(single words, multi-word phrases, regexes, has_eos) of one token's alternatives."""
        if body.count("[") != body.count("]"):
            raise PatternError(f"bad brackets in {body!r} of {where!r}")
        singles: list[str] = []
        phrases: list[str] = []
        regexes: list[str] = []
        eos = False
        for alt in self._split(body, where):
            if alt == "$EOS":
                eos = True
                continue
            if alt.startswith("$"):
                name = alt[1:]
                if name.lower() in self.lex.regex:
                    regexes.append(self.lex.regex[name.lower()])
                    continue
                try:
                    words = self.lex.words(name)
                except PatternError:
                    raise PatternError(f"unknown word class {alt} in {where!r}") from None
            else:
                check_word(alt, where)
                words = frozenset([alt])
            for w in words:
                (phrases if " " in w else singles).append(w)
        return sorted(set(singles)), sorted(set(phrases)), regexes, eos

    def _as_norms(self, words: list[str]) -> list[str]:
        """Words as the norms tokens get ("'m" is matched as "am", "n't" as "not")."""
        spell = self.lex.norm
        return sorted({" ".join(spell.get(p, p) for p in w.split(" ")) for w in words})

    def parse(self, text: str) -> list[TokenPattern]:
        """The Matcher patterns one shorthand string stands for."""
        if not isinstance(text, str) or not text:
            raise PatternError(f"pattern {text!r} is not a string")
        if text != text.strip() or "  " in text or "| " in text or " |" in text:
            raise PatternError(f"stray spaces in pattern {text!r}")
        raws = _TOKEN.findall(text)
        if "".join(raws).replace(" ", "") != text.replace(" ", "") or any(
            r.count("[") != r.count("]") for r in raws
        ):
            raise PatternError(f"unbalanced brackets [ ] in {text!r}")
        for prev, nxt in itertools.pairwise(raws):
            # "die|to kill" reads as two tokens "die|to" "kill": a phrase alternation written
            # without brackets. A word shared by two neighbouring alternations betrays it.
            a, b = (set(_OP.match(r).group(1).lstrip("!~").split("|")) for r in (prev, nxt))
            if "[" not in prev + nxt and max(len(a), len(b)) > 1 and a & b - {"_"}:
                raise PatternError(
                    f"{prev!r} {nxt!r} in {text!r} share {sorted(a & b)}: a phrase alternation "
                    "needs brackets, '[to die|to kill]'"
                )
        # Each token gives a list of alternative token sequences; the pattern is their product.
        slots: list[list[TokenPattern]] = []
        required = 0
        for raw in raws:
            m = _OP.match(raw)
            if m is None or m.group(1) in ("", "!", "~"):
                raise PatternError(f"bad token {raw!r} in {text!r}")
            body, op = m.group(1), _quantifier(m.group(2) or "", text)
            if _required(op):
                required += 1
            slots.append(self._token(body, op, text))
        if required == 0:
            raise PatternError(f"pattern {text!r} has no required token: it would match anywhere")
        total = 1
        for alternatives in slots:
            total *= len(alternatives)
        if total > MAX_EXPANSION:
            raise PatternError(f"pattern {text!r} expands into {total} patterns: split it")
        out = []
        for combo in itertools.product(*slots):
            pattern = [spec for seq in combo for spec in seq]
            if pattern:
                out.append(pattern)
        return out

    def _token(self, body: str, op: str, where: str) -> list[TokenPattern]:
        if body == "_":
            return [[{"OP": op}] if op else [{}]]
        negate = body.startswith("!")
        body = body.lstrip("!")
        attr = "NORM"
        if body.startswith("~"):
            attr, body = "LEMMA", body[1:]
        singles, phrases, regexes, eos = self._alternatives(body, where)
        if attr == "NORM":
            singles, phrases = self._as_norms(singles), self._as_norms(phrases)
        if negate:
            if phrases or eos or regexes:
                raise PatternError(f"'!' takes single words only in {where!r}")
            spec: dict[str, Any] = {attr: {"NOT_IN": singles}}
            return [[{**spec, "OP": op} if op else spec]]
        if eos and op:
            raise PatternError(f"$EOS takes no quantifier in {where!r}")
        alone = len(regexes) + bool(singles) + len(phrases) + eos == 1
        if not alone and op not in ("", "?"):
            raise PatternError(
                f"alternatives with phrases or lists cannot repeat ({op}) in {where!r}"
            )
        variants: list[TokenPattern] = []
        if singles:
            spec = {attr: singles[0]} if len(singles) == 1 else {attr: {"IN": singles}}
            variants.append([{**spec, "OP": op} if op and alone else spec])
        for rx in regexes:
            spec = {attr: {"REGEX": rx}}
            variants.append([{**spec, "OP": op} if op and alone else spec])
        for phrase in phrases:
            variants.append([{attr: w} for w in phrase.split(" ")])
        if eos:
            variants.append([{"IS_SENT_END": True}])
        if not variants:
            raise PatternError(f"no alternatives in {where!r}")
        if op == "?" and not alone or op == "?" and phrases:
            variants.append([])
        return variants


def expand_dicts(pattern: TokenPattern, lex: Lexicon, where: str) -> TokenPattern:
    """Replace "@name" list references inside IN / NOT_IN by the sorted one-token words."""

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@"):
            merged: set[str] = set()
            for name in value[1:].split("+"):
                try:
                    merged |= lex.single(name)
                except PatternError:
                    raise PatternError(f"{where}: unknown word list {name!r}") from None
            return sorted(merged)
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    if not isinstance(pattern, list) or not all(isinstance(t, dict) for t in pattern):
        raise PatternError(f"{where}: a pattern is a string or a list of token dicts")
    return fix(pattern)


def compile_patterns(value: Any, lex: Lexicon, where: str) -> list[TokenPattern]:
    """A rule's patterns (one, or a list; strings or token-dict lists) as Matcher patterns."""
    items = (
        value if isinstance(value, list) and value and not isinstance(value[0], dict) else [value]
    )
    if not items or value in (None, [], ""):
        raise PatternError(f"{where}: patterns must be a non-empty list")
    shorthand = Shorthand(lex)
    out: list[TokenPattern] = []
    for item in items:
        try:
            if isinstance(item, str):
                out.extend(shorthand.parse(item))
            else:
                out.append(expand_dicts(item, lex, where))
        except PatternError as exc:
            raise PatternError(f"{where}: {exc}") from exc
    return out


# -- rule files ----------------------------------------------------------------------------------


def read_rows(path: Path, keys: Iterable[str]) -> list[dict[str, Any]]:
    """The rows of a JSON-lines rule file; `//` lines and rows with `_doc` are comments.
    Each row gets `_where` ("file:line") for error messages; unknown fields are an error."""
    allowed = frozenset(keys) | {"id", "_where"}
    rows = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            where = f"{path.name}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PatternError(f"{where}: {exc}") from exc
            if "_doc" in row:
                continue
            if not isinstance(row.get("id"), str) or not row["id"]:
                raise PatternError(f"{where}: missing id")
            unknown = set(row) - allowed
            if unknown:
                raise PatternError(f"{where}: unknown field(s) {sorted(unknown)}")
            if row["id"] in seen:
                raise PatternError(f"{where}: duplicate rule id {row['id']!r}")
            seen.add(row["id"])
            row["_where"] = where
            rows.append(row)
    return rows
