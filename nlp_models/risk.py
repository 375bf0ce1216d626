"""Suicide and self-harm risk detection with rule patterns.

Recall comes first: a missed crisis can cost a life, a gentle check-in costs little. The rules live
in ``patterns/risk_*.json(l)``; this module compiles them once into regular expressions over the
token norms and applies negation, subject, idiom and context handling around the raw matches.

Levels: ``crisis`` (active ideation, intent, plan, means, goodbye, recent self-harm, attempt),
``concern`` (passive ideation, burdensomeness, feeling trapped), ``none``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

PATTERN_DIR = Path(__file__).parent / "patterns"
LEVELS = ("none", "concern", "crisis")
_RANK = {level: i for i, level in enumerate(LEVELS)}
_WS = re.compile(r"\s")
_SUBJECT_BREAKERS = frozenset(("but", "because", "cause", "cuz", "so", "and", "then"))
_OP_RE = re.compile(r"^(.+?)(\?|\*|\+|\{\d*,?\d*\})?$")


@dataclass(frozen=True)
class RiskResult:
    level: str = "none"
    rules: tuple[str, ...] = ()
    evidence: tuple[tuple[int, int, str], ...] = ()

    @property
    def flagged(self) -> bool:
        return self.level != "none"


@dataclass(frozen=True)
class _Rule:
    id: str
    level: str
    negatable: bool
    subject: str
    on_other: str
    on_generic: str
    on_second: str
    requires_self: bool
    downgradable: bool


@dataclass(frozen=True)
class _Exclusion:
    id: str
    effect: str
    applies_to: tuple[str, ...]
    has_unless: bool
    only_other: bool

    def applies(self, rule: _Rule) -> bool:
        if not self.applies_to:
            return rule.downgradable or self.effect == "escalate"
        return any(p == "*" or rule.id.startswith(p) for p in self.applies_to)


@dataclass(frozen=True)
class _Data:
    rules: tuple[tuple[_Rule, _Compiled, tuple[_Compiled, ...]], ...]
    exclusions: tuple[tuple[_Exclusion, _Compiled, _Compiled | None], ...]
    negation_cues: frozenset[str]
    pseudo_negations: dict[str, tuple[tuple[str, ...], ...]]
    clause_breakers: frozenset[str]
    self_subjects: frozenset[str]
    second_subjects: frozenset[str]
    third_subjects: frozenset[str]
    negation_scope_subjects: frozenset[str]
    negation_window: int
    subject_window: int
    spelling: dict[str, str]
    known_words: frozenset[str]


_RULE_KEYS = frozenset(
    (
        "id",
        "level",
        "patterns",
        "with",
        "negatable",
        "subject",
        "on_other",
        "on_generic",
        "on_second",
        "requires_self",
        "downgradable",
        "examples",
    )
)
_EXCLUSION_KEYS = frozenset(
    ("id", "effect", "scope", "applies_to", "patterns", "unless", "only_other", "examples")
)
_EFFECTS = frozenset(("block", "suppress", "downgrade", "escalate"))


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            line = line.strip()
            if line:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise PatternError(f"{path.name}:{line_no}: {exc}") from exc
                if "_doc" not in row:
                    row["_where"] = f"{path.name}:{line_no}"
                    rows.append(row)
    return rows


def _check_row(row: dict[str, Any], keys: frozenset[str]) -> str:
    where = row.pop("_where", "?")
    unknown = set(row) - keys
    if unknown:
        raise PatternError(f"{where}: unknown field(s) {sorted(unknown)}")
    if not isinstance(row.get("id"), str) or not row["id"]:
        raise PatternError(f"{where}: missing id")
    return where


# Words too frequent to gate a rule on: a rule whose every required token can be one of these
# is always run.
_COMMON = frozenset(
    [
        "i",
        "me",
        "my",
        "to",
        "a",
        "an",
        "the",
        "and",
        "or",
        "not",
        "no",
        "is",
        "am",
        "be",
        "are",
        "was",
        "it",
        "of",
        "in",
        "on",
        "for",
        "with",
        "that",
        "this",
        "do",
        "did",
        "have",
        "has",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "just",
        "so",
        "but",
        "if",
        "when",
    ]
)


@dataclass(frozen=True)
class _Compiled:
    # (regex, anchors): each regex runs only if one of its anchor norms occurs (None = always);
    # patterns are grouped by anchor set so that a rare word gates only its own patterns
    parts: tuple[tuple[re.Pattern[str], frozenset[str] | None], ...]
    anchors: frozenset[str] | None  # union: None if any part always runs


def _trie_regex(words: list[str]) -> str:
    """An alternation of words as a prefix trie: the regex engine then tries each character
    once instead of each word in turn."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?"
        return body

    return build(trie)


# One token of a pattern: a bracketed phrase alternation "[to die|to kill]" or a plain token.
_PATTERN_TOKEN = re.compile(r"!?\[[^\]]*\](?:\?|\*|\+|\{\d*,?\d*\})?|[^ ]+")
_TOKEN_WORD = re.compile(r"^[a-z0-9'&*.\-]+$|^[^\w\s]+$")
# Tokens that end a sentence or the message, for the pattern token `$EOS`.
_EOS_REGEX = r"(?:(?:[.!?]+|\.\.\.) |$)"


class PatternError(ValueError):
    """A mistake in the syntax of a risk pattern file."""


class _PatternCompiler:
    """Turns the compact pattern strings of the data files into regular expressions over the
    message's token norms joined by single spaces (each token is matched with its trailing
    space). A regex over a joined string is far cheaper per message than spaCy's Matcher with
    set predicates, and multi-word alternatives need no expansion.

    Syntax of one pattern token: ``a|b`` (norms), ``$CLASS`` (a word class; alternatives may mix
    classes and words), ``!a|b`` (any token not in the set), ``_`` (any token), ``$EOS`` (the end
    of a sentence or of the message, consumes the punctuation), each optionally followed by one of
    ``? * + {n,m}``. Mistakes raise `PatternError`: empty alternatives (``a||b``, ``a|``), unknown
    classes, upper case, a word the tokenizer would split into several tokens (``don't``,
    ``self-harm``: such a word can never match one token), patterns that can match nothing.
    """

    def __init__(self, lexicon: dict[str, Any]):
        self.classes = {
            name: [w.lower() for w in words]
            for name, words in lexicon.items()
            if not name.startswith("_")
        }
        self.regex_classes: dict[str, str] = dict(lexicon.get("_regex_classes", {}))
        self.known_words: set[str] = set()
        for words in self.classes.values():
            for w in words:
                self.known_words.update(w.split())

    def _word_ok(self, word: str, where: str) -> None:
        if not word:
            raise PatternError(f"empty alternative in {where!r} (a stray '|'?)")
        if word != word.lower():
            raise PatternError(f"upper case in {word!r} in {where!r}: norms are lower case")
        for piece in word.split(" "):
            if not piece or not _TOKEN_WORD.match(piece):
                raise PatternError(f"bad word {word!r} in {where!r}")
            if piece not in _SINGLE_TOKEN_OK and len(_tokenize(piece)) != 1:
                raise PatternError(
                    f"{piece!r} in {where!r} is split by the tokenizer into "
                    f"{_tokenize(piece)}: it can never match; write the tokens apart"
                )

    def _alternation(self, body: str, where: str) -> tuple[str, list[str]]:
        """Regex for one token's alternatives, and the plain words among them."""
        words: list[str] = []
        regexes: list[str] = []
        if body.startswith("[") and body.endswith("]"):
            body = body[1:-1]
        elif "[" in body or "]" in body:
            raise PatternError(f"bad brackets in {body!r} of {where!r}")
        for alt in body.split("|"):
            if alt.startswith("$"):
                name = alt[1:]
                if name in self.regex_classes:
                    regexes.append(self.regex_classes[name])
                elif name in self.classes:
                    words.extend(self.classes[name])
                else:
                    raise PatternError(f"unknown word class {alt} in {where!r}")
            else:
                self._word_ok(alt, where)
                words.append(alt)
        words = sorted(set(words), key=lambda w: (-len(w), w))
        self.known_words.update(w for word in words for w in word.split())
        parts = [_trie_regex(words)] if words else []
        parts += [f"(?:{r})" for r in regexes]
        if not parts:
            raise PatternError(f"no alternatives in {where!r}")
        body_re = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        return body_re, (words if not regexes else [])

    def _pattern(self, text: str) -> tuple[str, frozenset[str] | None]:
        parts: list[str] = []
        best: frozenset[str] | None = None
        best_score = (1, 0)
        required = 0
        if text != text.strip() or "  " in text or not text or "| " in text or " |" in text:
            raise PatternError(f"stray spaces in pattern {text!r}")
        raws = _PATTERN_TOKEN.findall(text)
        if "".join(raws).replace(" ", "") != text.replace(" ", "") or any(
            r.count("[") > 1 for r in raws
        ):
            raise PatternError(f"unbalanced [ ] in {text!r}")
        for prev, nxt in zip(raws, raws[1:], strict=False):
            # "die|to kill" is read as two tokens "die|to" "kill": a phrase alternation written
            # without brackets. A word shared by two neighbouring alternations betrays it.
            a, b = (set(_OP_RE.match(r).group(1).lstrip("!").split("|")) for r in (prev, nxt))
            if "[" not in prev + nxt and max(len(a), len(b)) > 1 and a & b - {"_"}:
                raise PatternError(
                    f"{prev!r} {nxt!r} in {text!r} share {sorted(a & b)}: a phrase alternation "
                    "needs brackets, '[to die|to kill]'"
                )
        for raw in raws:
            m = _OP_RE.match(raw)
            if m is None or m.group(1) in ("", "!"):
                raise PatternError(f"bad token {raw!r} in {text!r}")
            body, op = m.group(1), m.group(2) or ""
            if op.startswith("{"):
                lo_hi = op[1:-1].split(",")
                if not op[1:-1] or not all(x.isdigit() or x == "" for x in lo_hi):
                    raise PatternError(f"bad quantifier {op!r} in {text!r}")
            alts = body.split("|")
            eos = "$EOS" in alts and not body.startswith("!")
            if eos:
                if op or len(alts) == 1:
                    if op:
                        raise PatternError(f"$EOS takes no quantifier in {text!r}")
                    parts.append(_EOS_REGEX)
                    continue
                alt, _ = self._alternation("|".join(a for a in alts if a != "$EOS"), text)
                parts.append(f"(?:{alt} |{_EOS_REGEX})")
                required += 1
                continue
            if body == "_":
                frag = "[^ ]+ "
            elif body.startswith("!"):
                alt, _ = self._alternation(body[1:], text)
                frag = f"(?!{alt} )[^ ]+ "
            else:
                alt, words = self._alternation(body, text)
                frag = alt + " "
                if op in ("", "+"):
                    if words:
                        firsts = frozenset(w.split()[0] for w in words)
                        score = (int(bool(firsts & _COMMON)), len(firsts))
                    else:
                        firsts, score = frozenset(), (1, 10**6)
                    if words and (score < best_score or best is None):
                        best, best_score = firsts, score
            if op in ("", "+") or (op.startswith("{") and not op[1:].startswith(("0", ","))):
                required += 1
            parts.append(f"(?:{frag}){op}" if op else frag)
        if required == 0:
            raise PatternError(f"pattern {text!r} has no required token: it would match anywhere")
        if best is not None and best & _COMMON:
            best = None
        return "".join(parts), best

    def compile(self, texts: list[str]) -> _Compiled:
        if not texts or not isinstance(texts, list):
            raise PatternError(f"patterns must be a non-empty list, got {texts!r}")
        groups: dict[frozenset[str] | None, list[str]] = {}
        for text in texts:
            if not isinstance(text, str):
                raise PatternError(f"pattern {text!r} is not a string")
            body, anchor = self._pattern(text)
            groups.setdefault(anchor, []).append(body)
        parts = []
        for anchor, bodies in groups.items():
            try:
                regex = re.compile("(?<![^ ])(?=(" + "|".join(bodies) + "))")
            except re.error as exc:  # pragma: no cover - the checks above should catch it first
                raise PatternError(f"{texts!r}: {exc}") from exc
            parts.append((regex, anchor))
        union: frozenset[str] | None = frozenset()
        for _, anchor in parts:
            union = None if anchor is None or union is None else union | anchor
        return _Compiled(tuple(parts), union)


# Words the tokenizer splits but that the norm layer produces as one token anyway.
_SINGLE_TOKEN_OK = frozenset()


@lru_cache(maxsize=4096)
def _tokenize(word: str) -> list[str]:
    return [t.text for t in _blank_tokenizer()(word)]


@lru_cache(maxsize=1)
def _blank_tokenizer():
    import spacy

    return spacy.blank("en").tokenizer


@lru_cache(maxsize=1)
def _load() -> _Data:
    return load_patterns(PATTERN_DIR)


def load_patterns(pattern_dir: Path) -> _Data:
    """Reads and compiles the risk pattern files; raises `PatternError` on any mistake."""
    lexicon = json.loads((pattern_dir / "risk_lexicon.json").read_text(encoding="utf-8"))
    context = json.loads((pattern_dir / "risk_context.json").read_text(encoding="utf-8"))
    compiler = _PatternCompiler(lexicon)
    levels = ("none", "concern", "crisis")

    rules = []
    ids: set[str] = set()
    for row in _read_jsonl(pattern_dir / "risk_rules.jsonl"):
        where = _check_row(row, _RULE_KEYS)
        if row["id"] in ids:
            raise PatternError(f"{where}: duplicate rule id {row['id']}")
        ids.add(row["id"])
        level = row.get("level")
        if level not in ("concern", "crisis"):
            raise PatternError(f"{where}: level must be concern or crisis, not {level!r}")
        if row.get("subject", "self") not in ("self", "free"):
            raise PatternError(f"{where}: subject must be self or free")
        for key in ("on_other", "on_generic", "on_second"):
            if row.get(key, "none") not in levels:
                raise PatternError(f"{where}: {key} must be one of {levels}")
        rule = _Rule(
            id=row["id"],
            level=level,
            negatable=row.get("negatable", True),
            subject=row.get("subject", "self"),
            on_other=row.get("on_other", "none"),
            on_generic=row.get("on_generic", level),
            on_second=row.get("on_second", "none"),
            requires_self=row.get("requires_self", False),
            downgradable=row.get("downgradable", False),
        )
        try:
            main = compiler.compile(row.get("patterns"))
            with_groups = tuple(compiler.compile(group) for group in row.get("with", ()))
        except PatternError as exc:
            raise PatternError(f"{where} ({row['id']}): {exc}") from exc
        rules.append((rule, main, with_groups))

    exclusions = []
    excl_ids: set[str] = set()
    for row in _read_jsonl(pattern_dir / "risk_exclusions.jsonl"):
        where = _check_row(row, _EXCLUSION_KEYS)
        if row["id"] in excl_ids:
            raise PatternError(f"{where}: duplicate exclusion id {row['id']}")
        excl_ids.add(row["id"])
        if row.get("effect") not in _EFFECTS:
            raise PatternError(f"{where}: effect must be one of {sorted(_EFFECTS)}")
        for prefix in row.get("applies_to", ()):
            if prefix != "*" and not any(i.startswith(prefix) for i in ids):
                raise PatternError(f"{where}: applies_to {prefix!r} matches no rule id")
        try:
            unless = compiler.compile(row["unless"]) if row.get("unless") else None
            patterns = compiler.compile(row.get("patterns"))
        except PatternError as exc:
            raise PatternError(f"{where} ({row['id']}): {exc}") from exc
        excl = _Exclusion(
            id=row["id"],
            effect=row["effect"],
            applies_to=tuple(row.get("applies_to", ())),
            has_unless=unless is not None,
            only_other=row.get("only_other", False),
        )
        exclusions.append((excl, patterns, unless))

    pseudo: dict[str, list[tuple[str, ...]]] = {}
    for seq in context["pseudo_negations"]:
        pseudo.setdefault(seq[0], []).append(tuple(seq))
    spelling = {k.lower(): v.lower() for k, v in lexicon.get("_spelling", {}).items()}
    return _Data(
        rules=tuple(rules),
        exclusions=tuple(exclusions),
        negation_cues=frozenset(context["negation_cues"]),
        pseudo_negations={k: tuple(v) for k, v in pseudo.items()},
        clause_breakers=frozenset(context["clause_breakers"]),
        self_subjects=frozenset(context["self_subjects"]),
        second_subjects=frozenset(context["second_subjects"]),
        third_subjects=frozenset(context["third_subjects"]),
        negation_scope_subjects=frozenset(context["negation_scope_subjects"]),
        negation_window=context["negation_window"],
        subject_window=context["subject_window"],
        spelling=spelling,
        known_words=frozenset(compiler.known_words),
    )


def check_patterns(pattern_dir: Path = PATTERN_DIR) -> list[str]:
    """Problems in the pattern files (empty when they are sound): syntax errors, and examples
    listed in a rule's ``examples`` that the rule does not fire on."""
    problems = []
    lexicon = json.loads((pattern_dir / "risk_lexicon.json").read_text(encoding="utf-8"))
    compiler = _PatternCompiler(lexicon)
    for name in ("risk_rules.jsonl", "risk_exclusions.jsonl"):
        try:
            rows = _read_jsonl(pattern_dir / name)
        except PatternError as exc:
            problems.append(str(exc))
            continue
        for row in rows:
            groups = [row.get("patterns") or [], row.get("unless") or [], *row.get("with", [])]
            for text in (t for group in groups for t in group):
                try:
                    compiler.compile([text])
                except PatternError as exc:
                    problems.append(f"{row['_where']} ({row.get('id')}): {exc}")
    for name, words in lexicon.items():
        if name.startswith("_"):
            continue
        for word in words:
            try:
                compiler._word_ok(word, f"class {name}")
            except PatternError as exc:
                problems.append(f"risk_lexicon.json: {exc}")
    if problems:
        return problems
    try:
        data = load_patterns(pattern_dir)
    except PatternError as exc:
        return [str(exc)]
    engine = _Engine(data)
    for row in _read_jsonl(pattern_dir / "risk_rules.jsonl"):
        for example in row.get("examples", ()):
            fired = engine.assess(_blank_nlp()(example)).rules
            if row["id"] not in fired:
                problems.append(f"{row['id']}: example {example!r} does not fire it ({fired})")
    return problems


_ALNUM = re.compile(r"[^\W_]")
_ELONGATED = re.compile(r"(\w)\1{2,}")
_EDGE_SYMBOLS = re.compile(r"^[^\w']+|[^\w'*]+$")


class _Engine:
    def __init__(self, data: _Data | None = None) -> None:
        self.data = data if data is not None else _load()
        self._norm_cache: dict[str, str] = {}
        # inverted index over the rules' main regexes: norm -> parts it may trigger
        self._parts: list[tuple[int, re.Pattern[str]]] = []
        self._always: list[int] = []
        self._index: dict[str, list[int]] = {}
        for r, (_, compiled, _) in enumerate(self.data.rules):
            for regex, anchors in compiled.parts:
                pid = len(self._parts)
                self._parts.append((r, regex))
                if anchors is None:
                    self._always.append(pid)
                else:
                    for word in anchors:
                        self._index.setdefault(word, []).append(pid)

    # -- helpers over token norms -------------------------------------------------------------

    def _clean(self, norm: str) -> str:
        """The norm the patterns see: symbols glued to a word stripped ("die😭" -> "die"),
        spelling variants mapped ("myslef" -> "myself"), stretched words shrunk ("dieee" ->
        "die") when that gives a word the patterns know."""
        cached = self._norm_cache.get(norm)
        if cached is not None:
            return cached
        d = self.data
        out = norm
        if not out.isalpha():
            stripped = _EDGE_SYMBOLS.sub("", out)
            if stripped and any(ch.isalnum() for ch in stripped):
                out = stripped
        out = d.spelling.get(out, out)
        if out not in d.known_words and _ELONGATED.search(out):
            for cand in (_ELONGATED.sub(r"\1\1", out), _ELONGATED.sub(r"\1", out)):
                cand = d.spelling.get(cand, cand)
                if cand in d.known_words:
                    out = cand
                    break
        out = _WS.sub("_", out) or "_"
        if len(self._norm_cache) < 50_000:
            self._norm_cache[norm] = out
        return out

    def _negated(self, norms: list[str], puncts: list[bool], start: int, lo: int) -> bool:
        d = self.data
        i, steps = start - 1, 0
        while i >= lo and steps < d.negation_window:
            n = norms[i]
            if puncts[i] or n in d.clause_breakers or n in d.negation_scope_subjects:
                return False
            if n in d.negation_cues:
                seqs = d.pseudo_negations.get(n, ())
                if not any(tuple(norms[i : i + len(s)]) == s for s in seqs):
                    return True
            i -= 1
            steps += 1
        return False

    def _subject(self, norms: list[str], puncts: list[bool], start: int, lo: int) -> str:
        d = self.data
        i, steps = start - 1, 0
        while i >= lo and steps < d.subject_window:
            n = norms[i]
            if puncts[i] or n in _SUBJECT_BREAKERS:
                break
            if n in d.self_subjects:
                return "self"
            if n in d.second_subjects:
                return "second"
            if n in d.third_subjects:
                return "third"
            i -= 1
            steps += 1
        # chat often drops the subject ("feeling suicidal", "wanna die"): a match that opens its
        # clause is read as first person
        if steps <= 2 and (i < lo or puncts[i] or norms[i] in _SUBJECT_BREAKERS):
            return "self"
        return "generic"

    def assess(self, doc: Doc) -> RiskResult:
        if len(doc) == 0:
            return RiskResult()
        d = self.data
        # symbol-only tokens (emoji, emoticons) are left out: they neither block a phrase nor
        # count in a gap; `kept` maps our token index back to the doc's
        kept: list[int] = []
        norms: list[str] = []
        for i, t in enumerate(doc):
            if not (t.is_alpha or t.is_punct or t.is_digit) and not _ALNUM.search(t.text):
                continue
            kept.append(i)
            norms.append(self._clean(t.norm_))
        n_tokens = len(norms)
        if n_tokens == 0:
            return RiskResult()
        present = set(norms)
        triggered = set(self._always)
        index = self._index
        for n in present:
            pids = index.get(n)
            if pids:
                triggered.update(pids)
        if not triggered:
            return RiskResult()
        joined = " ".join(norms) + " "
        # token index of every character offset in `joined` at which a token starts or ends
        tok_at: dict[int, int] = {}
        pos = 0
        for i, n in enumerate(norms):
            tok_at[pos] = i
            pos += len(n) + 1
        tok_at[pos] = n_tokens
        tok_at[pos - 1] = n_tokens  # `$EOS` at the very end stops before the final space

        def spans(compiled: _Compiled):
            for regex, anchors in compiled.parts:
                if anchors is not None and anchors.isdisjoint(present):
                    continue
                for m in regex.finditer(joined):
                    yield tok_at[m.start()], tok_at[m.end(1)]

        found_by_rule: dict[int, list[tuple[int, int]]] = {}
        for pid in sorted(triggered):
            r, regex = self._parts[pid]
            for m in regex.finditer(joined):
                found_by_rule.setdefault(r, []).append((tok_at[m.start()], tok_at[m.end(1)]))
        hits = []
        for r, found in found_by_rule.items():
            rule, _, with_groups = d.rules[r]
            if with_groups:
                groups = [list(spans(g)) for g in with_groups]
                found = [
                    (s, e)
                    for s, e in found
                    if all(any(ge <= s or e <= gs for gs, ge in g) for g in groups)
                ]
            hits.extend((rule, s, e) for s, e in found)
        if not hits:
            return RiskResult()
        puncts = [doc[i].is_punct and norms[k] not in ("'", "\u2019") for k, i in enumerate(kept)]
        sent_of = self._sentences(doc, kept)
        blocks: list[tuple[_Exclusion, int, int]] = []
        sent_excl: dict[int, list[_Exclusion]] = {}
        escalators: list[_Exclusion] = []
        unless: set[tuple[str, int]] = set()
        for excl, c, unless_c in d.exclusions:
            for s, e in spans(c):
                if excl.effect == "block":
                    blocks.append((excl, s, e))
                elif excl.effect == "escalate":
                    if not self._negated(norms, puncts, s, sent_of[s][0]):
                        escalators.append(excl)
                else:
                    sent_excl.setdefault(sent_of[s][0], []).append(excl)
            if unless_c is not None:
                for s, _ in spans(unless_c):
                    unless.add((excl.id, sent_of[s][0]))

        best: dict[str, tuple[str, int, int]] = {}
        for rule, start, end in hits:
            if any(s < end and start < e and x.applies(rule) for x, s, e in blocks):
                continue
            sent_start = sent_of[start][0]
            if rule.negatable and self._negated(norms, puncts, start, sent_start):
                continue
            level = rule.level
            who = "self"
            if rule.subject == "free":
                who = self._subject(norms, puncts, start, sent_start)
                if who == "second":
                    level = rule.on_second
                elif who == "third":
                    level = rule.on_other
                elif who == "generic":
                    level = rule.on_generic
            if level == "none":
                continue
            if rule.requires_self:
                s0, s1 = sent_of[start]
                if not any(norms[i] in d.self_subjects for i in range(s0, s1)):
                    continue
            suppressed = False
            for excl in sent_excl.get(sent_start, ()):
                if not excl.applies(rule) or (excl.has_unless and (excl.id, sent_start) in unless):
                    continue
                if excl.only_other and who == "self":
                    continue
                if excl.effect == "suppress":
                    suppressed = True
                    break
                if excl.effect == "downgrade" and level == "crisis":
                    level = "concern"
            if suppressed:
                continue
            if level == "concern" and who != "third" and any(x.applies(rule) for x in escalators):
                level = "crisis"
            prev = best.get(rule.id)
            if prev is None or (_RANK[level], end - start) > (_RANK[prev[0]], prev[2] - prev[1]):
                best[rule.id] = (level, start, end)

        if not best:
            return RiskResult()
        ordered = sorted(best.items(), key=lambda kv: (-_RANK[kv[1][0]], kv[1][1]))
        level = ordered[0][1][0]
        evidence = []
        for _, (_, start, end) in ordered:
            span = doc[kept[start] : kept[end - 1] + 1]
            evidence.append((span.start_char, span.end_char, span.text))
        return RiskResult(
            level=level,
            rules=tuple(rule_id for rule_id, _ in ordered),
            evidence=tuple(evidence),
        )

    @staticmethod
    def _sentences(doc: Doc, kept: list[int]) -> list[tuple[int, int]]:
        """For every kept token, the (start, end) kept-token offsets of its sentence."""
        sent_id = [0] * len(doc)
        if doc.has_annotation("SENT_START"):
            for n, sent in enumerate(doc.sents):
                for i in range(sent.start, sent.end):
                    sent_id[i] = n
        else:
            n = 0
            for i, tok in enumerate(doc):
                sent_id[i] = n
                if tok.text in (".", "!", "?", "...", "\n") or tok.is_space:
                    n += 1
        ids = [sent_id[i] for i in kept]
        bounds: list[tuple[int, int]] = []
        start = 0
        for k in range(1, len(ids) + 1):
            if k == len(ids) or ids[k] != ids[start]:
                bounds.extend([(start, k)] * (k - start))
                start = k
        return bounds


@lru_cache(maxsize=1)
def _engine() -> _Engine:
    return _Engine()


def assess_risk(doc: Doc) -> RiskResult:
    """Risk level of one message, with the rules that fired and where."""
    return _engine().assess(doc)


@lru_cache(maxsize=1)
def _blank_nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def assess_text(text: str) -> RiskResult:
    """Convenience for tests and tools: tokenizes with a cached blank English pipeline."""
    return assess_risk(_blank_nlp()(text))
