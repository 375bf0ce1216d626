"""Suicide and self-harm risk detection with rule patterns.

Recall comes first: a missed crisis can cost a life, a gentle check-in costs little. The rules
live in ``patterns/risk_rules.jsonl`` and ``patterns/risk_exclusions.jsonl``, in the pattern
language of every rule file (rulebook.py), with their word lists in lexicon.json; they run in the
same matcher pass as all other rules, and negation and subject come from the shared context
(context.py).

Levels: ``crisis`` (active ideation, intent, plan, means, goodbye, recent self-harm, attempt),
``danger`` (someone else hurting, threatening or controlling the writer, or the writer afraid
for their safety at home), ``concern`` (passive ideation, burdensomeness, feeling trapped),
``none``. A message with both gets the higher (crisis over danger over concern).

Rule fields: level (crisis|concern); negatable (default true: a negation cue shortly before the
match cancels it); subject 'self' (the pattern itself is first person, default) or 'free' (look
back for the subject: first person keeps the level, third person gives on_other, second person
on_second, none found gives on_generic); requires_self (the sentence must contain a first-person
word); downgradable (a sentence about the distant past lowers crisis to concern); with (pattern
groups that must each match elsewhere in the message); examples (must fire the rule).

Exclusion fields: effect 'block' (a rule match overlapping this one is dropped), 'suppress' (a rule
match in the same sentence is dropped; with scope 'message', anywhere in the message), 'downgrade' (a crisis match in the same sentence becomes
concern: rules marked downgradable, or listed in applies_to), 'escalate' (anywhere in the message
and not negated, first-person concern becomes crisis: a plan, means or a time next to passive
ideation); applies_to (rule id prefixes, '*' = all); unless (patterns that, in the sentence,
cancel the exclusion; for a message-wide suppress, anywhere in the message); with (pattern groups
that must each match somewhere in the message for the exclusion to apply); only_other (the
exclusion spares first-person matches).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from nlp_models.context import Context
from nlp_models.rulebook import PATTERN_DIR, Lexicon, PatternError
from nlp_models.rules import Family, load_family

LEVELS = ("none", "concern", "danger", "crisis")
_RANK = {level: i for i, level in enumerate(LEVELS)}
_RULE_KEYS = ("level", "patterns", "with", "negatable", "subject", "on_other", "on_generic",
              "on_second", "requires_self", "downgradable", "examples")  # fmt: skip
_EXCLUSION_KEYS = ("effect", "scope", "applies_to", "patterns", "unless", "with", "only_other",
                   "examples")  # fmt: skip
_EFFECTS = ("block", "suppress", "downgrade", "escalate")

__all__ = ["PATTERN_DIR", "PatternError", "RiskResult", "assess_risk", "assess_text",
           "check_patterns"]  # fmt: skip


@dataclass(frozen=True)
class RiskResult:
    level: str = "none"
    rules: tuple[str, ...] = ()
    evidence: tuple[tuple[int, int, str], ...] = ()

    @property
    def flagged(self) -> bool:
        return self.level != "none"


@dataclass(frozen=True)
class RiskRule:
    id: str
    level: str
    negatable: bool
    subject: str
    on_other: str
    on_generic: str
    on_second: str
    requires_self: bool
    downgradable: bool
    n_with: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Exclusion:
    id: str
    effect: str
    applies_to: tuple[str, ...]
    has_unless: bool
    only_other: bool
    # 'sentence' (the default) or 'message': how far a suppress reaches
    scope: str = "sentence"
    # pattern groups that must each match somewhere in the message for it to apply
    n_with: int = 0

    def applies(self, rule: RiskRule) -> bool:
        if not self.applies_to:
            return rule.downgradable or self.effect == "escalate"
        return any(p == "*" or rule.id.startswith(p) for p in self.applies_to)


def load_risk(pattern_dir: Path, lex: Lexicon) -> tuple[list[Family], dict[str, Any]]:
    """The rule and exclusion families, and their rows as RiskRule / Exclusion."""

    def check_rule(row: dict[str, Any], where: str) -> None:
        if row.get("level") not in ("concern", "danger", "crisis"):
            raise PatternError(
                f"{where}: level must be concern, danger or crisis, not {row.get('level')!r}"
            )
        if row.get("subject", "self") not in ("self", "free"):
            raise PatternError(f"{where}: subject must be self or free")
        for key in ("on_other", "on_generic", "on_second"):
            if row.get(key, "none") not in LEVELS:
                raise PatternError(f"{where}: {key} must be one of {LEVELS}")

    def rule_parts(row: dict[str, Any]) -> dict[str, Any]:
        parts = {"": row.get("patterns")}
        for k, group in enumerate(row.get("with", ())):
            parts[f"with{k}"] = group
        return parts

    rules_family = load_family(
        "risk", pattern_dir / "risk_rules.jsonl", lex, _RULE_KEYS, rule_parts, check_rule
    )
    rules = {
        rid: RiskRule(
            id=rid,
            level=row["level"],
            negatable=row.get("negatable", True),
            subject=row.get("subject", "self"),
            on_other=row.get("on_other", "none"),
            on_generic=row.get("on_generic", row["level"]),
            on_second=row.get("on_second", "none"),
            requires_self=row.get("requires_self", False),
            downgradable=row.get("downgradable", False),
            n_with=len(row.get("with", ())),
            examples=tuple(row.get("examples", ())),
        )
        for rid, row in rules_family.rows.items()
    }

    def check_exclusion(row: dict[str, Any], where: str) -> None:
        if row.get("effect") not in _EFFECTS:
            raise PatternError(f"{where}: effect must be one of {sorted(_EFFECTS)}")
        if row.get("scope", "sentence") not in ("sentence", "message"):
            raise PatternError(f"{where}: scope must be sentence or message")
        for prefix in row.get("applies_to", ()):
            if prefix != "*" and not any(i.startswith(prefix) for i in rules):
                raise PatternError(f"{where}: applies_to {prefix!r} matches no rule id")

    excl_family = load_family(
        "riskx",
        pattern_dir / "risk_exclusions.jsonl",
        lex,
        _EXCLUSION_KEYS,
        lambda r: {
            "": r.get("patterns"),
            "unless": r.get("unless") or None,
            **{f"with{k}": group for k, group in enumerate(r.get("with", ()))},
        },
        check_exclusion,
    )
    exclusions = {
        eid: Exclusion(
            id=eid,
            effect=row["effect"],
            applies_to=tuple(row.get("applies_to", ())),
            has_unless=bool(row.get("unless")),
            only_other=row.get("only_other", False),
            scope=row.get("scope", "sentence"),
            n_with=len(row.get("with", ())),
        )
        for eid, row in excl_family.rows.items()
    }
    return [rules_family, excl_family], {"rules": rules, "exclusions": exclusions}


class RiskAssessor:
    def __init__(self, rules: dict[str, RiskRule], exclusions: dict[str, Exclusion]) -> None:
        self.rules = rules
        self.exclusions = exclusions

    def assess(
        self,
        ctx: Context,
        rule_matches: list[tuple[str, str, int, int]],
        excl_matches: list[tuple[str, str, int, int]],
    ) -> RiskResult:
        if not rule_matches:
            return RiskResult()
        main: dict[str, list[tuple[int, int]]] = {}
        groups: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for rid, part, s, e in rule_matches:
            if part:
                groups.setdefault((rid, part), []).append((s, e))
            else:
                main.setdefault(rid, []).append((s, e))
        hits: list[tuple[RiskRule, int, int]] = []
        for rid, found in main.items():
            rule = self.rules[rid]
            for s, e in found:
                # each `with` group must match somewhere else in the message
                if all(
                    any(ge <= s or e <= gs for gs, ge in groups.get((rid, f"with{k}"), ()))
                    for k in range(rule.n_with)
                ):
                    hits.append((rule, s, e))
        if not hits:
            return RiskResult()
        first_person = ctx.lex["first_person"]
        blocks: list[tuple[Exclusion, int, int]] = []
        sent_excl: dict[int, list[Exclusion]] = {}
        escalators: list[Exclusion] = []
        unless: set[tuple[str, int]] = set()
        msg_excl: list[Exclusion] = []
        with_found = {(eid, part) for eid, part, _, _ in excl_matches if part.startswith("with")}

        def active(excl: Exclusion) -> bool:
            return all((excl.id, f"with{k}") in with_found for k in range(excl.n_with))

        for eid, part, s, e in excl_matches:
            excl = self.exclusions[eid]
            sent_start = ctx.sentence_of(s)[0]
            if part.startswith("with") or not active(excl):
                continue
            if part == "unless":
                unless.add((eid, sent_start))
            elif excl.effect == "suppress" and excl.scope == "message":
                msg_excl.append(excl)
            elif excl.effect == "block":
                blocks.append((excl, s, e))
            elif excl.effect == "escalate":
                if not ctx.negated(s, sent_start):
                    escalators.append(excl)
            else:
                sent_excl.setdefault(sent_start, []).append(excl)

        best: dict[str, tuple[str, int, int]] = {}
        for rule, start, end in hits:
            if any(s < end and start < e and x.applies(rule) for x, s, e in blocks):
                continue
            sent_start, sent_end = ctx.sentence_of(start)
            if rule.negatable and ctx.negated(start, sent_start):
                continue
            level = rule.level
            who = "self"
            if rule.subject == "free":
                who = ctx.subject(start, sent_start)
                if who == "second":
                    level = rule.on_second
                elif who == "third":
                    level = rule.on_other
                elif who == "generic":
                    level = rule.on_generic
            if level == "none":
                continue
            if rule.requires_self and not any(
                ctx.norms[i] in first_person for i in range(sent_start, sent_end)
            ):
                continue
            suppressed = any(
                x.applies(rule)
                and not (x.has_unless and any(u[0] == x.id for u in unless))
                and not (x.only_other and who == "self")
                for x in msg_excl
            )
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
        evidence = []
        for _, (_, start, end) in ordered:
            s, e = ctx.char_span(start, end)
            evidence.append((s, e, ctx.doc.text[s:e]))
        return RiskResult(
            level=ordered[0][1][0],
            rules=tuple(rule_id for rule_id, _ in ordered),
            evidence=tuple(evidence),
        )


def assess_risk(doc: Doc) -> RiskResult:
    """Risk level of a Doc: read from a Doc the package's pipeline made, else its text is run
    through that pipeline (offsets into the Doc's text either way)."""
    if doc._.risk is not None:
        return doc._.risk
    return assess_text(doc.text)


def assess_text(text: str) -> RiskResult:
    """Risk of one message (offsets into `text`), through the whole analysis."""
    from nlp_models import analyze

    analysis = analyze(text)
    evidence = tuple((e.start, e.end, e.text) for e in analysis.evidence if e.label == "risk")
    return RiskResult(analysis.risk, analysis.risk_rules, evidence)


def check_patterns(pattern_dir: Path = PATTERN_DIR) -> list[str]:
    """Problems in the rule files (empty when they are sound): syntax errors, word lists that
    can never match, and rule examples that do not fire their rule."""
    from nlp_models.pipeline import build_nlp, normalize, problems_in

    problems = problems_in(pattern_dir)
    if problems:
        return problems
    nlp = build_nlp(pattern_dir)
    _, data = load_risk(pattern_dir, nlp.get_pipe("cbt_rules").lex)
    for rule in data["rules"].values():
        for example in rule.examples:
            fired = assess_risk(nlp(example)).rules
            if rule.id not in fired:
                problems.append(f"{rule.id}: example {example!r} does not fire it ({fired})")
    style = nlp.get_pipe("cbt_style").rater.rules
    for rule in style.values():
        for example in rule.examples:
            doc = nlp(normalize(example).text)
            fired = [c.rule.id for c in doc._.style.cues] if doc._.style else []
            if rule.id not in fired:
                problems.append(f"{rule.id}: example {example!r} is not read as it ({fired})")
    return problems
