"""Explanatory style: find a bad (or good) event and the writer's own explanation of it, and rate
that explanation on four dimensions, each 1 (not at all) to 7 (extremely), as CAVE does
(../shared/EXPLANATORY_STYLE.md is the guide this follows).

Every cue in patterns/style.jsonl has a role, and a cue counts for its own dimension only:
- temporal words ("never", "always", "anymore") make an explanation permanent;
- scope over the writer's life or actions ("everything", "nobody ... me", "my whole life") makes
  it pervasive; inside one area ("nothing on the menu", "nobody at work") it does not;
- the person as the cause ("my fault", "because of me", "I ruin everything") makes it personal;
- a character label ("I'm worthless") is permanent and personal, and pervasive unless it names
  one role or area ("a terrible friend", "hopeless with money");
- "there's nothing I can do", "why bother" make it uncontrollable, and a quantifier over the
  writer's actions ("no matter what I do", "nothing I do") also pervasive when the outcome it
  governs is general ("..., nothing ever changes"), not one person or thing ("..., he doesn't
  listen").
A cue is read only when it is the writer's (not reported speech, not a belief that is over), not
negated, and about a bad event (its clause, or else its sentence, reads negative). Behavioural
self-attribution ("because I didn't revise"), agency ("I can book more lessons") and owning a
success are collected as helpful evidence and are never findings. A good event explained away
(luck, someone else, "it was easy") is a discount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp_models.context import Context
from nlp_models.rulebook import Lexicon, PatternError
from nlp_models.rules import Family, load_family
from nlp_models.valence import Valence

DIMS = ("permanent", "pervasive", "personal", "uncontrollable")
THRESHOLD = 5  # a dimension is reported when its rating is at least this ("quite" on CAVE's 1-7)
LOW = 1
ROLES = ("temporal", "scope", "person", "label", "uncontrollable", "quantifier", "discount",
         "behavioural", "agency", "credit")  # fmt: skip
HELPFUL = ("behavioural", "agency", "credit")
# roles rated only about a bad event, unless the rule is `standalone` (a label is a bad
# event by itself: its rows say so)
BAD_EVENT_ROLES = ("temporal", "scope", "person", "label", "uncontrollable", "quantifier")
# scope over another person's life is not the writer's pervasiveness (permanence of an outside
# cause is rated: "my knee will never heal", "the landlord will keep raising it")
ABOUT_WRITER_ROLES = ("scope",)
NEGATION_WINDOW = 4
TIME_LIMIT_DISCOUNT = 3
AREA_SCORE = 2
_KEYS = ("role", "weight", "negatable", "standalone", "yields_to", "patterns", "examples")


@dataclass(frozen=True)
class StyleRule:
    id: str
    role: str
    weight: int = 6
    negatable: bool = True
    standalone: bool = False
    yields_to: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


def load_style(path: Path, lex: Lexicon) -> tuple[Family, dict[str, StyleRule]]:
    def check(row: dict[str, Any], where: str) -> None:
        if row.get("role") not in ROLES:
            raise PatternError(f"{where}: role must be one of {ROLES}")
        weight = row.get("weight", 6)
        if not isinstance(weight, int) or not LOW <= weight <= 7:
            raise PatternError(f"{where}: weight must be 1-7")

    family = load_family("style", path, lex, _KEYS, lambda r: {"": r["patterns"]}, check)
    rules = {}
    for rid, row in family.rows.items():
        rules[rid] = StyleRule(
            id=rid,
            role=row["role"],
            weight=row.get("weight", 6),
            negatable=row.get("negatable", True),
            standalone=row.get("standalone", False),
            yields_to=tuple(row.get("yields_to", ())),
            examples=tuple(row.get("examples", ())),
        )
    for rule in rules.values():
        for other in rule.yields_to:
            if other not in rules:
                raise PatternError(f"style.jsonl ({rule.id}): yields_to unknown rule {other!r}")
    return family, rules


@dataclass
class Cue:
    """One accepted cue: its rule, visible-token span, and the ratings it gives."""

    rule: StyleRule
    start: int
    end: int
    dims: dict[str, int] = field(default_factory=dict)
    area: bool = False  # a label or scope limited to one role or area


@dataclass
class Style:
    scores: dict[str, int]
    evidence: dict[str, tuple[int, int]]  # dimension -> visible token span of its strongest cue
    event: str
    cues: list[Cue]
    helpful: list[tuple[str, int, int]]
    discounts: list[tuple[int, int]]

    def detected(self, dim: str) -> bool:
        return self.scores[dim] >= THRESHOLD

    def of_role(self, *roles: str) -> list[Cue]:
        return [c for c in self.cues if c.rule.role in roles]


_NEEDS_NEGATION = frozenset(("anything", "anyone", "anybody", "any", "either"))
_INHERENTLY_NEGATIVE = frozenset(("nothing", "nobody", "noone", "no", "not"))
_AREA_STARTS = frozenset(("in", "at", "on", "from", "with", "around", "about", "as", "when"))


class Rater:
    def __init__(self, rules: dict[str, StyleRule], lex: dict[str, frozenset[str]]) -> None:
        self.rules = rules
        self.lex = lex
        self.negators = lex["negation_cue"] | lex["polarity_flipper"]

    # -- context checks ----------------------------------------------------------------------
    def _negated(self, ctx: Context, start: int) -> bool:
        lo = ctx.clause_of(start)[0]
        i, steps = start - 1, 0
        breakers = self.lex["clause_breaker"]
        while i >= lo and steps < NEGATION_WINDOW:
            n = ctx.norms[i]
            if ctx.punct[i] or n in breakers:
                return False
            if n in self.negators and i not in ctx.pseudo_tokens:
                return True
            i -= 1
            steps += 1
        return False

    def _area_after(self, ctx: Context, end: int, hi: int) -> bool:
        """A prepositional phrase right after a cue limits it to one area ("at maths", "with
        money", "as a mother", "in this town"), unless the area is the writer's life."""
        if end < hi and ctx.norms[end] in ("one", "person", "guy", "girl", "kind"):
            end += 1  # "the awkward one at parties"
        if end >= hi or ctx.norms[end] not in _AREA_STARTS:
            return False
        life = self.lex["life_word"]
        following = ctx.norms[end + 1 : min(hi, end + 4)]
        if ctx.norms[end] == "in" and following[:1] == ["general"]:
            return False
        return not any(w in life for w in following)

    def _area_in_clause(self, ctx: Context, start: int, end: int) -> bool:
        """A scope word inside one place or thing: a prepositional phrase on a specific noun
        later in its clause ("nothing will ever change in this town"), or a clause whose
        subject is a specific other thing or person ("the shop had sold out of everything")."""
        lo, hi = ctx.clause_of(start)
        norms = ctx.norms
        life = self.lex["life_word"]
        dets = self.lex["specific_det"]
        first_person = self.lex["first_person"]
        for j in range(end, hi - 1):
            if (
                norms[j] in ("in", "at", "on")
                and norms[j + 1] in dets | {"work", "school"}
                and not any(w in life for w in norms[j + 1 : j + 4])
            ):
                return True
        if start > lo:
            head = norms[lo]
            clause_words = norms[lo:hi]
            if (head in dets - {"my", "its"} or head in self.lex["third_person"]) and not any(
                w in first_person for w in clause_words
            ):
                return True
        return False

    def _past(self, ctx: Context, start: int) -> bool:
        lo, _ = ctx.clause_of(start)
        return any(ctx.norms[i] in self.lex["past_marker"] for i in range(lo, start))

    def _elliptical(self, ctx: Context, start: int, end: int) -> bool:
        """A time word in a negated clause with nothing else to say ("..., but I don't
        anymore", "not any more"): it answers the clause before it, it explains nothing."""
        lo, hi = ctx.clause_of(start)
        others = [i for i in range(lo, hi) if not start <= i < end and not ctx.punct[i]]
        if not any(ctx.norms[i] in self.lex["negation_cue"] for i in others):
            return False
        filler = self.lex["elliptical_word"] | self.lex["negation_cue"] | self.lex["connector"]
        return all(ctx.norms[i] in filler for i in others)

    def _about_other_person(self, ctx: Context, start: int) -> bool:
        """The clause is about another person and the sentence says nothing of the writer
        ("she always messes things up"): their doing, not the writer's explanation."""
        lo, _ = ctx.clause_of(start)
        j = lo
        while j < start and (ctx.norms[j] in self.lex["connector"] or ctx.punct[j]):
            j += 1
        head = ctx.norms[j] if j < ctx.n else ""
        if head in ("my", "his", "her", "their", "our", "the") and j + 1 < start:
            head = ctx.lemmas[j + 1]
        if head not in self.lex["reporter"] and head not in ("he", "she", "they"):
            return False
        s0, s1 = ctx.sentence_of(start)
        first = self.lex["first_person"]
        return not any(ctx.norms[i] in first for i in range(s0, s1))

    def _about_writer(self, ctx: Context, start: int) -> bool:
        s0, s1 = ctx.sentence_of(start)
        first = self.lex["first_person"]
        if any(ctx.norms[i] in first for i in range(s0, s1)):
            return True
        lo, hi = ctx.clause_of(start)
        return hi - lo <= 4  # "nobody cares", "no one understands"

    def _consequent_general(self, ctx: Context, cue_start: int, cue_end: int) -> bool:
        """Is the outcome a quantifier over the writer's actions governs general ("..., nothing
        ever changes", "nothing I do makes any difference") rather than one person or thing
        ("..., he doesn't listen", "..., my boss will never be happy")?"""
        lo, hi = ctx.clause_of(cue_start)
        if cue_end < hi and not ctx.punct[cue_end]:
            j = cue_end  # the quantifier is the subject of its own clause
        else:
            j = hi
            s_hi = ctx.sentence_of(cue_start)[1]
            while j < s_hi and (ctx.punct[j] or ctx.norms[j] in self.lex["connector"]):
                j += 1
            if j >= s_hi:
                return True
        word = ctx.norms[j]
        if word in self.lex["generic_subject"]:
            return True
        persons = self.lex["subject_pronoun"] | self.lex["third_person"] | self.lex["first_person"]
        return not (word in persons or word in self.lex["specific_det"])

    # -- rating ------------------------------------------------------------------------------
    def rate(self, ctx: Context, matches: list[tuple[str, str, int, int]], val: Valence) -> Style:
        accepted: list[Cue] = []
        helpful: list[tuple[str, int, int]] = []
        discounts: list[tuple[int, int]] = []
        seen: set[tuple[str, int]] = set()
        # longest match first at each start, one per rule and start
        for rid, _, s, e in sorted(matches, key=lambda m: (m[2], -(m[3] - m[2]))):
            if (rid, s) in seen:
                continue
            seen.add((rid, s))
            rule = self.rules[rid]
            cue = self._accept(ctx, rule, s, e, val)
            if cue is not None:
                accepted.append(cue)
        accepted = self._resolve(ctx, accepted)
        for cue in accepted:
            if cue.rule.role in HELPFUL:
                helpful.append((cue.rule.role, cue.start, cue.end))
            elif cue.rule.role == "discount":
                discounts.append((cue.start, cue.end))
        scores = {d: LOW for d in DIMS}
        evidence: dict[str, tuple[int, int]] = {}
        for cue in accepted:
            for dim, value in cue.dims.items():
                if value > scores[dim]:
                    scores[dim] = value
                    evidence[dim] = (cue.start, cue.end)
        bad = any(scores[d] >= THRESHOLD for d in DIMS)
        if discounts:
            event = "good"
        elif bad or val.message < 0:
            event = "bad"
        elif val.message > 0:
            event = "good"
        else:
            event = "none"
        return Style(scores, evidence, event, accepted, helpful, discounts)

    def _accept(self, ctx: Context, rule: StyleRule, s: int, e: int, val: Valence) -> Cue | None:
        role = rule.role
        if ctx.reported(s, e) or ctx.within("past_belief", s, e):
            return None
        word = ctx.norms[s]
        if role == "scope" and word in _NEEDS_NEGATION:
            if not self._negated(ctx, s):
                return None
        elif role == "scope" and word in _INHERENTLY_NEGATIVE:
            pass
        elif rule.negatable and self._negated(ctx, s):
            return None
        if role in BAD_EVENT_ROLES:
            polarity = val.clause_or_sentence(ctx, s)
            if polarity > 0 or (polarity == 0 and not rule.standalone):
                return None
        if role in ABOUT_WRITER_ROLES and self._about_other_person(ctx, s):
            return None
        lo, hi = ctx.clause_of(s)
        cue = Cue(rule, s, e)
        w = rule.weight
        if role == "temporal":
            if self._elliptical(ctx, s, e):
                return None
            if ctx.within("time_limited", s, e):
                w = max(LOW, w - TIME_LIMIT_DISCOUNT)
            cue.dims["permanent"] = w
        elif role == "scope":
            if rule.id in ("scope.person", "scope.people") and not self._about_writer(ctx, s):
                return None
            if self._area_after(ctx, e, hi) or self._area_in_clause(ctx, s, e):
                cue.area = True
                w = AREA_SCORE
            cue.dims["pervasive"] = w
        elif role == "person":
            if rule.id == "person.ruin_all" and ctx.subject(s) not in ("self",):
                return None
            cue.dims["personal"] = w
        elif role == "label":
            area = (
                self._area_after(ctx, e, hi)
                or (e < hi and ctx.norms[e] in self.lex["role_noun"])
                or ctx.norms[e - 1] in self.lex["label_area_adj"]
                or ctx.lemmas[e - 1] in self.lex["specific_faculty"]
            )
            cue.area = area
            permanent = w
            if ctx.within("time_limited", s, e):
                permanent = max(LOW, w - TIME_LIMIT_DISCOUNT)
            cue.dims.update(permanent=permanent, personal=w, pervasive=AREA_SCORE if area else w)
        elif role == "uncontrollable":
            # "it was out of my hands" gives a past event an outside cause, which is healthy;
            # the helpless belief is about what one's actions can do now and next
            if self._past(ctx, s):
                return None
            cue.dims["uncontrollable"] = w
        elif role == "quantifier":
            # the quantified actions run to the end of their clause ("no matter what I do")
            cue.end = e = max(e, hi)
            cue.dims["uncontrollable"] = w
            if self._consequent_general(ctx, s, e):
                cue.dims["pervasive"] = w
        elif role == "discount":
            if not rule.standalone and not self.good_event(ctx, s, val):
                return None
        elif role == "agency" and ctx.subject(s) in ("second", "third"):
            return None
        return cue

    def good_event(self, ctx: Context, start: int, val: Valence) -> bool:
        """A success of the writer's in this sentence or the one before it."""
        sid = ctx.sent[start]
        lo = ctx.sent_bounds[max(0, sid - 1)][0]
        hi = ctx.sent_bounds[sid][1]
        achievement = self.lex["achievement"]
        for i in range(lo, hi):
            if ctx.lemmas[i] in achievement or ctx.norms[i] in achievement:
                return True
        return val.sentence[sid] > 0

    def _resolve(self, ctx: Context, cues: list[Cue]) -> list[Cue]:
        """Overlaps: a rule gives way to the ones it yields to; a scope word inside "nothing I
        can do" is the uncontrollable cue, not scope; a cause clause that is a label or a
        credit is not behavioural; the behavioural cause covers its clause."""
        by_id: dict[str, list[Cue]] = {}
        for c in cues:
            by_id.setdefault(c.rule.id, []).append(c)

        def overlaps(a: Cue, b: Cue) -> bool:
            return a.start < b.end and b.start < a.end

        out = []
        for c in cues:
            if any(overlaps(c, o) for other in c.rule.yields_to for o in by_id.get(other, ())):
                continue
            if c.rule.role == "scope" and any(
                o.rule.role in ("uncontrollable", "quantifier", "discount") and overlaps(c, o)
                for o in cues
            ):
                continue
            if c.rule.id == "behavioural.cause":
                lo, hi = ctx.clause_of(c.end - 1)
                c.end = max(c.end, hi)
                if any(
                    o.rule.role in ("label", "person", "credit", "discount") and overlaps(c, o)
                    for o in cues
                ):
                    continue
            out.append(c)
        return out
