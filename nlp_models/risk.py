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
    requires_self: bool
    downgradable: bool


@dataclass(frozen=True)
class _Exclusion:
    id: str
    effect: str
    applies_to: tuple[str, ...]
    has_unless: bool

    def applies(self, rule: _Rule) -> bool:
        if not self.applies_to:
            return rule.downgradable
        return any(p == "*" or rule.id.startswith(p) for p in self.applies_to)


@dataclass(frozen=True)
class _Data:
    rules: tuple[tuple[_Rule, _Compiled], ...]
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


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                row = json.loads(line)
                if "_doc" not in row:
                    rows.append(row)
    return rows


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
    regex: re.Pattern[str]
    anchors: frozenset[str] | None  # run only if one of these norms occurs; None = always


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


class _PatternCompiler:
    """Turns the compact pattern strings of the data files into regular expressions over the
    message's token norms joined by single spaces (each token is matched with its trailing
    space). A regex over a joined string is far cheaper per message than spaCy's Matcher with
    set predicates, and multi-word alternatives need no expansion."""

    def __init__(self, lexicon: dict[str, list[str]]):
        self.classes = {
            name: [w.lower() for w in words]
            for name, words in lexicon.items()
            if not name.startswith("_")
        }

    def _words(self, body: str) -> list[str]:
        words: list[str] = []
        for alt in body.split("|"):
            if alt.startswith("$"):
                if alt[1:] not in self.classes:
                    raise ValueError(f"unknown word class {alt}")
                words.extend(self.classes[alt[1:]])
            else:
                words.append(alt.lower())
        return sorted(set(words), key=lambda w: (-len(w), w))

    def _pattern(self, text: str) -> tuple[str, frozenset[str] | None]:
        parts: list[str] = []
        best: frozenset[str] | None = None
        best_score = (1, 0)
        for raw in text.split():
            m = _OP_RE.match(raw)
            if m is None:
                raise ValueError(f"bad token {raw!r} in {text!r}")
            body, op = m.group(1), m.group(2) or ""
            if body == "_":
                frag = "[^ ]+ "
            elif body.startswith("!"):
                frag = f"(?!{_trie_regex(self._words(body[1:]))} )[^ ]+ "
            else:
                words = self._words(body)
                frag = _trie_regex(words) + " "
                if op in ("", "+"):
                    firsts = frozenset(w.split()[0] for w in words)
                    score = (int(bool(firsts & _COMMON)), len(firsts))
                    if score < best_score or best is None:
                        best, best_score = firsts, score
            parts.append(f"(?:{frag}){op}" if op else frag)
        if best is not None and best & _COMMON:
            best = None
        return "".join(parts), best

    def compile(self, texts: list[str]) -> _Compiled:
        anchors: set[str] = set()
        always = False
        bodies = []
        for text in texts:
            body, anchor = self._pattern(text)
            bodies.append(body)
            if anchor is None:
                always = True
            else:
                anchors |= anchor
        regex = re.compile("(?<![^ ])(?=(" + "|".join(bodies) + "))")
        return _Compiled(regex, None if always else frozenset(anchors))


@lru_cache(maxsize=1)
def _load() -> _Data:
    lexicon = json.loads((PATTERN_DIR / "risk_lexicon.json").read_text(encoding="utf-8"))
    context = json.loads((PATTERN_DIR / "risk_context.json").read_text(encoding="utf-8"))
    compiler = _PatternCompiler(lexicon)

    rules = []
    for row in _read_jsonl(PATTERN_DIR / "risk_rules.jsonl"):
        level = row["level"]
        rule = _Rule(
            id=row["id"],
            level=level,
            negatable=row.get("negatable", True),
            subject=row.get("subject", "self"),
            on_other=row.get("on_other", "none"),
            on_generic=row.get("on_generic", level),
            requires_self=row.get("requires_self", False),
            downgradable=row.get("downgradable", False),
        )
        rules.append((rule, compiler.compile(row["patterns"])))

    exclusions = []
    for row in _read_jsonl(PATTERN_DIR / "risk_exclusions.jsonl"):
        unless = compiler.compile(row["unless"]) if row.get("unless") else None
        excl = _Exclusion(
            id=row["id"],
            effect=row["effect"],
            applies_to=tuple(row.get("applies_to", ())),
            has_unless=unless is not None,
        )
        exclusions.append((excl, compiler.compile(row["patterns"]), unless))

    pseudo: dict[str, list[tuple[str, ...]]] = {}
    for seq in context["pseudo_negations"]:
        pseudo.setdefault(seq[0], []).append(tuple(seq))
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
    )


class _Engine:
    def __init__(self) -> None:
        self.data = _load()

    # -- helpers over token norms -------------------------------------------------------------

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
        n_tokens = len(doc)
        if n_tokens == 0:
            return RiskResult()
        d = self.data
        norms = [t.norm_ for t in doc]
        if _WS.search("".join(norms)) or "" in norms:
            # whitespace tokens would break the one-space-per-token layout of `joined`
            norms = [_WS.sub("_", n) or "_" for n in norms]
        present = set(norms)
        rules = [
            (rule, c)
            for rule, c in d.rules
            if c.anchors is None or not c.anchors.isdisjoint(present)
        ]
        if not rules:
            return RiskResult()
        joined = " ".join(norms) + " "
        # token index of every character offset in `joined` at which a token starts or ends
        tok_at: dict[int, int] = {}
        pos = 0
        for i, n in enumerate(norms):
            tok_at[pos] = i
            pos += len(n) + 1
        tok_at[pos] = n_tokens

        def spans(compiled: _Compiled):
            for m in compiled.regex.finditer(joined):
                yield tok_at[m.start()], tok_at[m.end(1)]

        hits = [(rule, s, e) for rule, c in rules for s, e in spans(c)]
        if not hits:
            return RiskResult()
        puncts = [t.is_punct and t.norm_ not in ("'", "\u2019") for t in doc]
        sent_of = self._sentences(doc)
        blocks: list[tuple[_Exclusion, int, int]] = []
        sent_excl: dict[int, list[_Exclusion]] = {}
        unless: set[tuple[str, int]] = set()
        for excl, c, unless_c in d.exclusions:
            if c.anchors is not None and c.anchors.isdisjoint(present):
                continue
            for s, e in spans(c):
                if excl.effect == "block":
                    blocks.append((excl, s, e))
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
            if rule.subject == "free":
                who = self._subject(norms, puncts, start, sent_start)
                if who == "second":
                    continue
                if who == "third":
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
                if excl.effect == "suppress":
                    suppressed = True
                    break
                if excl.effect == "downgrade" and level == "crisis":
                    level = "concern"
            if suppressed:
                continue
            prev = best.get(rule.id)
            if prev is None or (_RANK[level], end - start) > (_RANK[prev[0]], prev[2] - prev[1]):
                best[rule.id] = (level, start, end)

        if not best:
            return RiskResult()
        ordered = sorted(best.items(), key=lambda kv: (-_RANK[kv[1][0]], kv[1][1]))
        level = ordered[0][1][0]
        evidence = []
        for _, (_, start, end) in ordered:
            span = doc[start:end]
            evidence.append((span.start_char, span.end_char, span.text))
        return RiskResult(
            level=level,
            rules=tuple(rule_id for rule_id, _ in ordered),
            evidence=tuple(evidence),
        )

    @staticmethod
    def _sentences(doc: Doc) -> list[tuple[int, int]]:
        """For every token, the (start, end) token offsets of its sentence."""
        bounds: list[tuple[int, int]] = []
        if doc.has_annotation("SENT_START"):
            for sent in doc.sents:
                bounds.extend([(sent.start, sent.end)] * (sent.end - sent.start))
            return bounds
        start = 0
        for i, tok in enumerate(doc):
            if tok.text in (".", "!", "?", "...", "\n") or tok.is_space:
                bounds.extend([(start, i + 1)] * (i + 1 - start))
                start = i + 1
        bounds.extend([(start, len(doc))] * (len(doc) - start))
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
