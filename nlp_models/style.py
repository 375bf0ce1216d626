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
_KEYS = ("role", "weight", "negatable", "standalone", "yields_to", "also", "patterns", "examples")


@dataclass(frozen=True)
class StyleRule:
    id: str
    role: str
    weight: int = 6
    negatable: bool = True
    standalone: bool = False
    yields_to: tuple[str, ...] = ()
    # ratings a cue gives beyond its role's dimension ("whatever I touch, I break": pervasive)
    also: tuple[tuple[str, int], ...] = ()
    examples: tuple[str, ...] = ()


def load_style(path: Path, lex: Lexicon) -> tuple[Family, dict[str, StyleRule]]:
    def check(row: dict[str, Any], where: str) -> None:
        if row.get("role") not in ROLES:
            raise PatternError(f"{where}: role must be one of {ROLES}")
        weight = row.get("weight", 6)
        if not isinstance(weight, int) or not LOW <= weight <= 7:
            raise PatternError(f"{where}: weight must be 1-7")
        for dim, value in row.get("also", {}).items():
            if dim not in DIMS or not isinstance(value, int) or not LOW <= value <= 7:
                raise PatternError(f"{where}: also must map dimensions to ratings 1-7")

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
            also=tuple(row.get("also", {}).items()),
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
_FAULT_RULES = frozenset(("person.fault", "person.because_of_me", "person.blame_self"))
_SCOPE_WORDS = frozenset(("everyone", "everybody", "nobody", "noone", "no", "nothing", "everything",
                          "anything", "anyone", "anybody"))  # fmt: skip
_INHERENTLY_NEGATIVE = frozenset(("nothing", "nobody", "noone", "no", "not"))
_AREA_STARTS = frozenset(("in", "at", "on", "from", "with", "around", "about", "as", "when", "for",
                          "to"))  # fmt: skip


class Rater:
    def __init__(self, rules: dict[str, StyleRule], lex: dict[str, frozenset[str]]) -> None:
        self.rules = rules
        self.lex = lex
        self.negators = lex["negation_cue"] | lex["polarity_flipper"]

    # -- context checks ----------------------------------------------------------------------
    def _negated(self, ctx: Context, start: int) -> bool:
        lo = ctx.clause_of(start)[0]
        i, steps = start - 1, 0
        breakers = self.lex["clause_breaker"] | self.lex["negation_stop"]
        while i >= lo and steps < NEGATION_WINDOW:
            n = ctx.norms[i]
            if ctx.punct[i] or n in breakers:
                return False
            if n in self.negators and i not in ctx.pseudo_tokens | ctx.not_flipper_tokens:
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
        if following[:1] and following[0] in self.lex["universal_object"]:
            return False  # "useless for anything", "a burden to everyone"
        prep = ctx.norms[end]
        if (
            prep == "for"
            and following[:1]
            and (following[0].endswith("ing") or following[0] == "being")
        ):
            return False  # "an idiot for leaving the keys": the reason, not an area
        if prep == "to" and following[:1] and following[0] not in self.lex["specific_det"]:
            return False  # "too stupid to get anywhere": a verb, not a person
        times = self.lex["time_noun"]
        return not any(w in life or w in times for w in following)

    def _area_in_clause(self, ctx: Context, start: int, end: int) -> bool:
        """A scope word inside one place or thing: a prepositional phrase on a specific noun
        later in its clause ("nothing will ever change in this town"), or a clause whose
        subject is a specific other thing or person ("the shop had sold out of everything")."""
        lo, hi = ctx.clause_of(start)
        norms = ctx.norms
        life = self.lex["life_word"]
        dets = self.lex["specific_det"]
        first_person = self.lex["first_person"]
        if end < hi and norms[end] in self.lex["domain_adj"]:
            return True  # "hopeless at anything practical"
        for j in range(end, hi - 1):
            if norms[j] == "between" and any(w in first_person for w in norms[j + 1 : j + 3]):
                return True  # "nothing will change between me and my brother"
            if (
                norms[j] in ("in", "at", "on", "round", "around")
                and norms[j + 1] in dets | {"work", "school"}
                and not any(w in life or w in self.lex["time_noun"] for w in norms[j + 1 : j + 4])
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
        if ctx.norms[lo] in self.lex["subordinator"]:
            return False  # "since Mum died, nothing feels right": Mum heads the other clause
        j = lo
        while j < start and (ctx.norms[j] in self.lex["connector"] or ctx.punct[j]):
            j += 1
        if j >= start:
            return False  # the scope word is the subject itself ("everyone always leaves")
        head = ctx.norms[j]
        if head in ("my", "his", "her", "their", "our", "the") and j + 1 < start:
            head = ctx.lemmas[j + 1]
        if head not in self.lex["reporter"] and head not in ("he", "she", "they"):
            return False
        s0, s1 = ctx.sentence_of(start)
        first = self.lex["first_person"]
        return not any(ctx.norms[i] in first for i in range(s0, s1))

    @staticmethod
    def _follow_up(ctx: Context, sid: int) -> bool:
        """A short sentence that only adds to the one before ("Never could.", "Every time.")."""
        lo, hi = ctx.sent_bounds[sid]
        return sum(not ctx.punct[i] for i in range(lo, hi)) <= 4

    def _nobody_told(self, ctx: Context, end: int, hi: int) -> bool:
        """ "nobody told me": one piece of news missing ("nobody ever tells me anything" is a
        habit, and stays scope)."""
        j = end
        while j < hi and ctx.norms[j] in ("had", "has", "even", "actually", "bothered", "to"):
            j += 1
        return j < hi and ctx.lemmas[j] in self.lex["inform_verb"]

    def _about_writer(self, ctx: Context, start: int) -> bool:
        """Everyone or nobody in relation to the writer ("nobody listens to me", "everyone I
        know"), or a clause too short to be about anything else ("nobody cares")."""
        lo, hi = ctx.clause_of(start)
        first = self.lex["first_person"]
        if any(ctx.norms[i] in first for i in range(lo, hi)):
            return True
        return hi - lo <= 4

    def _consequent_general(self, ctx: Context, cue_start: int, cue_end: int) -> bool:
        """Is the outcome a quantifier over the writer's actions governs general ("..., nothing
        ever changes", "nothing I do makes any difference") rather than one person or thing
        ("..., he doesn't listen", "..., my boss will never be happy")?"""
        lo, hi = ctx.clause_of(cue_start)
        noun_phrase = ctx.norms[cue_start] in (
            "nothing",
            "nothin",
            "everything",
            "anything",
            "every",
            "each",
            "all",
        )
        if noun_phrase and cue_end < hi and not ctx.punct[cue_end]:
            j = cue_end  # "nothing I do | makes any difference": the quantifier is the subject
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
        elif val.message > 0 or any(role == "credit" for role, _, _ in helpful):
            event = "good"  # "I worked hard for this and I deserve it"
        else:
            event = "none"
        return Style(scores, evidence, event, accepted, helpful, discounts)

    def _accept(self, ctx: Context, rule: StyleRule, s: int, e: int, val: Valence) -> Cue | None:
        """The cue as the writer's explanation, with its ratings, or None when its context
        says it is not one (see the module doc and the guide's rules)."""
        role = rule.role
        if ctx.reported(s, e) or ctx.within("past_belief", s, e):
            return None  # rule 2, and a belief that is over (rule 3)
        if role not in HELPFUL and ctx.within("denied", s, e):
            return None  # "it's not that nothing works", "I wouldn't say I can't do anything"
        if not self._negation_fits(ctx, rule, s):
            return None  # rule 3
        if role in BAD_EVENT_ROLES:
            polarity = val.clause_or_sentence(ctx, s)
            sid = ctx.sent[s]
            if not polarity and sid and self._follow_up(ctx, sid):
                polarity = val.sentence[sid - 1]  # "Rubbish with money. Always have been."
            if rule.role == "quantifier" and self._consequent_negated(ctx, s):
                polarity = min(polarity, -1)  # "whatever I do, the weight doesn't shift"
            if polarity > 0 or (polarity == 0 and not rule.standalone):
                return None  # rule 1
        if role in ABOUT_WRITER_ROLES and self._about_other_person(ctx, s):
            return None  # rule 8
        if role in ("temporal", "scope") and not self._about_the_writers_life(ctx, s):
            return None
        cue = Cue(rule, s, e)
        rate = getattr(self, f"_rate_{role}", None)
        if rate is not None and rate(ctx, cue, val) is False:
            return None
        for dim, value in rule.also:
            cue.dims[dim] = max(cue.dims.get(dim, LOW), value)
        return cue

    def _about_the_writers_life(self, ctx: Context, s: int) -> bool:
        """Not a request for practical help about someone or something else ("any tips for a
        toddler who never sleeps?"), not a normalising fact ("babies always cry more in the
        evening"), not a scope word over an outside cause ("everyone was late because the
        bridge was closed", rule 8)."""
        s0, s1 = ctx.sentence_of(s)
        first = self.lex["first_person"]
        writer = ctx.subject(s) == "self" and not self._thing_subject(ctx, s)
        if ctx.within("help_question", s) and not writer:
            return False
        lo = ctx.clause_of(s)[0]
        j = lo
        while j < s and ctx.norms[j] in self.lex["connector"]:
            j += 1
        generic = ctx.norms[j] in self.lex["generic_plural"] or ctx.norms[j : j + 2] == [
            "new",
            "parents",
        ]
        if generic and not any(ctx.norms[i] in first for i in range(s0, s1)):
            return False
        return not (ctx.norms[s] in _SCOPE_WORDS and ctx.within("external", s))

    def _thing_subject(self, ctx: Context, s: int) -> bool:
        """ "my landlord never replies", "my sourdough is always dense": the subject is a
        person or thing of the writer's, not the writer (nor the writer's life)."""
        lo = ctx.clause_of(s)[0]
        words = ctx.norms[lo:s]
        for k in range(len(words) - 1):
            if words[k] in ("my", "our") and words[k + 1] not in self.lex["life_word"]:
                return words[k + 1] not in self.lex["first_person"]
        return False

    def _negation_fits(self, ctx: Context, rule: StyleRule, s: int) -> bool:
        word = ctx.norms[s]
        if rule.role == "scope" and (word in _NEEDS_NEGATION or rule.id == "scope.single"):
            # "I can't do anything right", "not a single friend", "will anything ever change?"
            return self._negated(ctx, s) or self._question(ctx, s)
        if rule.role == "scope" and word in _INHERENTLY_NEGATIVE:
            return True
        return not (rule.negatable and self._negated(ctx, s))

    def _rate_temporal(self, ctx: Context, cue: Cue, val: Valence) -> bool:
        s, e = cue.start, cue.end
        if self._elliptical(ctx, s, e) or self._never_not_temporal(ctx, cue):
            return False
        if (
            cue.rule.id == "temporal.every_time"
            and val.clause[ctx.clause[s]] == 0
            and any(ctx.norms[i] in self.lex["first_person"] for i in range(ctx.clause_of(s)[0], s))
        ):
            return False  # "I chased him every week", "I still miss him every day": a habit
            # of the writer's that is no bad news, whatever the rest of the sentence says
        w = cue.rule.weight
        if self._time_limited(ctx, s, e) or self._state_cause(ctx, s):
            w = max(LOW, w - TIME_LIMIT_DISCOUNT)  # rule 9: "this time", "because I'm tired"
        cue.dims["permanent"] = w
        return True

    def _rate_scope(self, ctx: Context, cue: Cue, val: Valence) -> bool:
        s, e = cue.start, cue.end
        lo, hi = ctx.clause_of(s)
        rid = cue.rule.id
        if e < ctx.n and ctx.norms[e] in ("more", "else", "less") and ctx.norms[s] != "everyone":
            return False  # "nothing more than nerves": an idiom, no scope
        if rid in ("scope.person", "scope.people"):
            if not self._about_writer(ctx, s) or self._after_preposition(ctx, s):
                return False  # "everyone gets nervous", "criticised me in front of everyone"
            if rid == "scope.people" and not self._subject_position(ctx, s):
                return False  # "bad at keeping in touch with people"
            if e < hi and ctx.lemmas[e] in self.lex["speech_verb"]:
                return False  # "everyone says it's my fault": who said it, not a scope
            if ctx.norms[s] in _INHERENTLY_NEGATIVE and self._nobody_told(ctx, e, hi):
                return False  # "nobody warned me about the rota": a cause outside (rule 8)
        w = cue.rule.weight
        if (
            self._area_after(ctx, e, hi)
            or self._area_in_clause(ctx, s, e)
            or (self._one_occasion(ctx, s) and rid != "scope.life")
        ):
            cue.area = True  # rule 4: "nothing on the menu", "everything went wrong this morning"
            w = AREA_SCORE
        cue.dims["pervasive"] = w
        return True

    def _rate_person(self, ctx: Context, cue: Cue, val: Valence) -> bool:
        if cue.rule.id == "person.ruin_all":
            if ctx.subject(cue.start) not in ("self",):
                return False  # "he ruins everything" is not the writer as the cause
            hi = ctx.clause_of(cue.start)[1]
            verb = next((i for i in range(cue.start, cue.end) if ctx.lemmas[i] != ctx.norms[i]), -1)
            past = verb >= 0 and ctx.norms[verb].endswith("ed")
            if past and (self._area_after(ctx, cue.end, hi) or self._one_occasion(ctx, cue.start)):
                return False  # "I messed up every question on the test": one performance
        lo, s1 = ctx.sentence_of(cue.start)
        if self._question(ctx, cue.start) and "or" in ctx.norms[cue.end : s1]:
            return False  # "is it my fault the plant's drooping, or does it need repotting?"
        if cue.rule.id == "person.its_me" and any(
            ctx.norms[i] in self.lex["greeting"] for i in range(lo, cue.start)
        ):
            return False  # "hi, it's me"
        cue.dims["personal"] = cue.rule.weight
        return True

    def _rate_label(self, ctx: Context, cue: Cue, val: Valence) -> bool:
        s, e = cue.start, cue.end
        if (
            cue.rule.id == "label.fragment"
            and e - s > 1
            and (ctx.punct[e - 1] or ctx.norms[e - 1] in _AREA_STARTS | {"and", "but", "so"})
        ):
            e = cue.end = e - 1  # "useless at ...": the label is the word, the area may follow
        if self._time_limited(ctx, s, e):
            return False  # "I'm useless today": a state, not a character (rule 9)
        words = ctx.norms[s:e]
        if (
            ("was" in words or "were" in words)
            and "born" not in words
            and words[-1] in self.lex["performance_adj"]
        ):
            return False  # "I was so slow": one performance, not a character
        s_hi = ctx.sentence_of(s)[1]
        following = ctx.norms[e : min(s_hi, e + 3)]
        role_nouns = self.lex["role_noun"]
        area = (
            self._area_after(ctx, e, s_hi)
            or any(w in role_nouns for w in following[:2])
            or ctx.norms[e - 1] in self.lex["label_area_adj"]
            or ctx.lemmas[e - 1] in self.lex["specific_faculty"]
            or cue.rule.id == "label.role"
            or self._role_before(ctx, s)
        )
        cue.area = area  # rule 5: one role or area is not pervasive
        w = cue.rule.weight
        cue.dims.update(permanent=w, personal=w, pervasive=AREA_SCORE if area else w)
        return True

    def _rate_uncontrollable(self, ctx: Context, cue: Cue, val: Valence) -> bool:
        # "it was out of my hands" gives a past event an outside cause, which is healthy; the
        # helpless belief is about what one's actions can do now and next
        if self._past(ctx, cue.start):
            return False
        s, e = cue.start, cue.end
        lo, hi = ctx.clause_of(s)
        s1 = ctx.sentence_of(s)[1]
        if cue.rule.id == "unc.why_bother":
            nxt = [
                i
                for i in range(e - 1, min(s1, e + 3))
                if ctx.lemmas[i] in self.lex["rumination_verb"]
            ]
            if nxt:
                return False  # "what's the point of stewing? I'll ring them": no use worrying
            when = next((i for i in range(e, s1) if ctx.norms[i] == "when"), None)
            if (
                when is not None
                and val.clause[ctx.clause[when]] >= 0
                and ctx.clause[when] != (ctx.clause[s])
            ):
                return False  # "why bother ironing when you can hang it up": a better way
        if e < ctx.n and ctx.norms[e] in ("until", "till", "til"):
            return False  # "nothing I can do until the parcel turns up": a wait
        if any(ctx.norms[i] in self.lex["partial_word"] for i in range(lo, s)) and any(
            ctx.norms[i] == "of" for i in range(lo, s)
        ):
            return False  # "some of it is out of my control" (and the rest is not)
        cue.dims["uncontrollable"] = cue.rule.weight
        life = self.lex["life_word"]
        if any(
            ctx.norms[i] in life and ctx.norms[i - 1] in ("my", "own") for i in range(cue.end, hi)
        ):
            cue.dims["pervasive"] = cue.rule.weight  # "no control over my own life"
        return True

    def _rate_quantifier(self, ctx: Context, cue: Cue, val: Valence) -> bool:
        w = cue.rule.weight
        cue.dims["uncontrollable"] = w
        if self._consequent_general(ctx, cue.start, cue.end):
            cue.dims["pervasive"] = w
        # the quantified actions run to the end of their clause ("no matter what I do")
        cue.end = max(cue.end, ctx.clause_of(cue.start)[1])
        return True

    def _rate_discount(self, ctx: Context, cue: Cue, val: Valence) -> bool:
        s = cue.start
        if cue.rule.id in ("discount.only_because", "discount.anyone_can"):
            after = ctx.norms[cue.end : cue.end + 3]
            if after[:1] in (["i"], ["we"]) and not {"lucky", "luck"} & set(after):
                return False  # "only because I kept showing up": the writer's own doing
        if cue.rule.id == "discount.luck":
            s0, s1 = ctx.sentence_of(s)
            if any(ctx.norms[i] in self.lex["luck_activity"] for i in range(s0, s1)):
                return False  # a scratchcard or the weather: luck is the honest cause
            if s and ctx.norms[s - 1] == "time":
                return False  # "third time lucky"
        if cue.rule.standalone:
            return True
        return self.discount_fits(ctx, s, cue.end, val)

    def _rate_credit(self, ctx: Context, cue: Cue, val: Valence) -> bool:
        # owning a success needs a success: "we ran out of time because we planned badly" is
        # a behavioural explanation of a bad event
        return val.clause_or_sentence(ctx, cue.start) >= 0

    def _rate_agency(self, ctx: Context, cue: Cue, val: Valence) -> bool:
        # "I'll get fired" is no plan: an action the writer takes, in a clause that is not bad
        return (
            ctx.subject(cue.start) not in ("second", "third")
            and val.clause[ctx.clause[cue.start]] >= 0
        )

    # -- more context checks ---------------------------------------------------------------
    def _never_not_temporal(self, ctx: Context, cue: Cue) -> bool:
        """ "never" that is no time word: "did not" about one event ("the parcel never
        arrived", unlike "I've never managed"), or an idiom ("I'll never understand why")."""
        nevers = [i for i in range(cue.start, cue.end) if ctx.norms[i] == "never"]
        if not nevers or nevers[0] + 1 >= ctx.n:
            return False
        s = nevers[0]
        if ctx.lemmas[s + 1] in self.lex["never_idiom_verb"]:
            return True  # "I'll never understand pineapple on pizza"
        lo, hi = ctx.clause_of(s)
        verb = s + 1
        if ctx.norms[verb : verb + 2] == ["going", "to"]:
            verb += 2
        subject = s - 1
        while subject >= lo and ctx.norms[subject] in ("am", "will", "'s", "is", "are"):
            subject -= 1
        if (
            subject >= lo
            and ctx.norms[subject] in ("i", "we")
            and "again" in ctx.norms[s:hi]
            and verb < hi
            and ctx.lemmas[verb] in self.lex["vow_verb"]
        ):
            return True  # "I'm never drinking tequila again": a vow
        form, lemma = ctx.norms[s + 1], ctx.lemmas[s + 1]
        # a past form: "arrived", or irregular ("got", "came"), not "going" or "gets"
        tag_past = form.endswith("ed") or (lemma != form and not form.endswith(("ing", "s")))
        perfect = s > 0 and ctx.norms[s - 1] in ("have", "has", "had", "'ve")
        modal = form in ("could", "would", "should", "might", "must", "did", "was", "were")
        return (
            tag_past and not perfect and not modal and ctx.lemmas[s + 1] not in self.lex["copula"]
        )

    def _copes_after(self, ctx: Context, cue: Cue) -> bool:
        """A later clause of the sentence where the writer works around it: "so I print on
        Friday", "but I've booked a marquee", "so now I keep a hook by the door"."""
        s1 = ctx.sentence_of(cue.start)[1]
        hi = ctx.clause_of(cue.start)[1]
        openers = self.lex["coping_opener"]
        k = hi
        while k < s1:
            lo_k, hi_k = ctx.clause_of(k)
            words = ctx.norms[lo_k:hi_k]
            if words and words[0] in openers:
                rest = [w for w in words[1:] if w not in ("now", "just", "always", "already")]
                if (
                    rest[:1] in (["i"], ["we"])
                    and not any(ctx.is_negation(i) for i in range(lo_k, hi_k))
                    and not any(
                        ctx.lemmas[i] in self.lex["not_coping_verb"] for i in range(lo_k, hi_k)
                    )
                    and not any(ctx.lemmas[i] in self.lex["negative"] for i in range(lo_k, hi_k))
                ):
                    return True
            k = hi_k
        return False

    @staticmethod
    def _time_limited(ctx: Context, s: int, e: int) -> bool:
        """A time limit over the cue that is not part of it ("until the day I die" is no
        limit)."""
        return any(
            lo <= s < hi and not (ms < e and s < me)
            for lo, hi, ms, me in ctx.scopes.get("time_limited", ())
        )

    @staticmethod
    def _question(ctx: Context, s: int) -> bool:
        s1 = ctx.sentence_of(s)[1]
        return any(ctx.doc[ctx.vis.index[i]].text.startswith("?") for i in range(s, s1))

    def _state_cause(self, ctx: Context, s: int) -> bool:
        """A passing state given as the cause in the sentence ("because I was tired")."""
        s0, s1 = ctx.sentence_of(s)
        causes = self.lex["subordinator"] | {"so"}
        for i in range(s0, s1):
            if ctx.norms[i] in causes:
                lo, hi = ctx.clause_of(i)
                states = self.lex["state_word"]
                if any(ctx.lemmas[j] in states or ctx.norms[j] in states for j in range(lo, hi)):
                    return True
        return False

    def _consequent_negated(self, ctx: Context, s: int) -> bool:
        s0, s1 = ctx.sentence_of(s)
        hi = ctx.clause_of(s)[1]
        return any(ctx.is_negation(i) for i in range(hi, s1))

    def _after_preposition(self, ctx: Context, s: int) -> bool:
        lo = ctx.clause_of(s)[0]
        return s > lo and ctx.norms[s - 1] in self.lex["scope_preposition"]

    def _subject_position(self, ctx: Context, s: int) -> bool:
        lo = ctx.clause_of(s)[0]
        j = lo
        while j < s and (ctx.norms[j] in self.lex["connector"] or ctx.norms[j] in ("all", "most")):
            j += 1
        return j == s

    def _one_occasion(self, ctx: Context, s: int) -> bool:
        """A scope word in a clause about one occasion ("everything went wrong this morning")."""
        lo, hi = ctx.clause_of(s)
        limits = [
            (ms, me) for lo_, hi_, ms, me in ctx.scopes.get("time_limited", ()) if lo_ <= s < hi_
        ]
        occasion = self.lex["occasion_word"]
        return any(ctx.norms[i] in occasion for ms, me in limits for i in range(ms, me))

    def _role_before(self, ctx: Context, s: int) -> bool:
        """ "As a partner I'm a total letdown": the role comes first."""
        lo = ctx.sentence_of(s)[0]
        words = ctx.norms[lo:s]
        return len(words) >= 3 and words[0] == "as" and words[2] in self.lex["role_noun"]

    def discount_fits(self, ctx: Context, start: int, end: int, val: Valence) -> bool:
        """Could a dismissal here be a success explained away? A success is there, nothing
        negates or owns it ("not because of luck", "and I earned it"), and the luck is not a
        scratchcard's."""
        if self._negated(ctx, start) or not self.good_event(ctx, start, val):
            return False
        s0, s1 = ctx.sentence_of(start)
        if any(ctx.norms[i] in self.lex["luck_activity"] for i in range(s0, s1)):
            return False
        if ctx.norms[start] in ("luck", "lucky", "luckily"):
            after = ctx.norms[end : end + 2]
            if after[:1] == ["to"] and after[1:] and after[1] in self.lex["gratitude_verb"]:
                return False  # "lucky to have such a kind family": gratitude
            if not self.achievement_near(ctx, start):
                return False  # "lucky the shop had one left": luck, and nobody's success
        owned = self.lex["owning_word"]
        # "my friends say I earned it, but really it was luck": their words, not the writer's
        return not any(ctx.norms[i] in owned and not ctx.reported(i, i + 1) for i in range(s0, s1))

    def achievement_near(self, ctx: Context, start: int) -> bool:
        """A word for an achievement itself (passed, the job, promoted), not for good news in
        general ("good", "got"), in this sentence or next to it."""
        sid = ctx.sent[start]
        lo = ctx.sent_bounds[max(0, sid - 1)][0]
        hi = ctx.sent_bounds[min(len(ctx.sent_bounds) - 1, sid + 1)][1]
        words = self.lex["achievement"] - self.lex["positive"] - self.lex["general_good"]
        return any(ctx.lemmas[i] in words or ctx.norms[i] in words for i in range(lo, hi))

    def good_event(self, ctx: Context, start: int, val: Valence) -> bool:
        """A success of the writer's in this sentence or next to it: the writer is there, and
        an achievement or good news."""
        sid = ctx.sent[start]
        back = (
            2 if sid > 1 and ctx.sent_bounds[sid - 1][1] - ctx.sent_bounds[sid - 1][0] <= 3 else 1
        )
        lo = ctx.sent_bounds[max(0, sid - back)][0]  # past a short "Why?"
        hi = ctx.sent_bounds[min(len(ctx.sent_bounds) - 1, sid + 1)][1]
        achievement = self.lex["achievement"]
        for i in range(lo, hi):
            if (ctx.lemmas[i] in achievement or ctx.norms[i] in achievement) and not any(
                ctx.is_negation(j) for j in range(max(lo, i - 2), i)
            ):
                return True  # not "I didn't get paid", "I wasn't a great listener"
        # good news of the writer's ("anyone can learn to swim" dismisses nobody's success)
        first = self.lex["first_person"]
        good = val.sentence[sid] > 0 or (sid > 0 and val.sentence[sid - 1] > 0)
        # praise someone else voiced is good news too ("everyone said I sang beautifully")
        praised = any(val.positive_tokens[i] and ctx.reported(i, i + 1) for i in range(lo, hi))
        return (good or praised) and any(ctx.norms[i] in first for i in range(lo, hi))

    def _resolve(self, ctx: Context, cues: list[Cue]) -> list[Cue]:
        """Cues read together:
        - a rule gives way to the ones it yields to;
        - a scope word inside "nothing I can do" or a discount is that cue, not scope;
        - a cause clause that is a label or a credit is not behavioural, and a behavioural cause
          covers its clause;
        - an outside inconvenience the writer copes with ("the bus is always late, so I take the
          earlier one") explains nothing about the writer (uncontrollable is rated all the same,
          rule 11: "I can't stop the sale, but I've called three agents");
        - a success explained away and then owned ("I got a lucky break, and I made the most
          of it") is not a discount."""
        by_id: dict[str, list[Cue]] = {}
        for c in cues:
            by_id.setdefault(c.rule.id, []).append(c)

        def overlaps(a: Cue, b: Cue) -> bool:
            return a.start < b.end and b.start < a.end

        def later_in_sentence(c: Cue, roles: tuple[str, ...]) -> bool:
            s1 = ctx.sentence_of(c.start)[1]
            return any(o.rule.role in roles and c.end <= o.start < s1 for o in cues)

        out = []
        for c in cues:
            role = c.rule.role
            if any(overlaps(c, o) for other in c.rule.yields_to for o in by_id.get(other, ())):
                continue
            if c.rule.id in ("scope.thing", "scope.person") and any(
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
            copes = later_in_sentence(c, ("agency",)) or self._copes_after(ctx, c)
            if role == "temporal" and any(
                o.rule.role == "agency" and ctx.clause[o.start] == ctx.clause[c.start] for o in cues
            ):
                continue  # "I'll double-check the tickets from now on": a plan, not a verdict
            if role in ("temporal", "scope") and copes:
                continue
            if role == "discount" and later_in_sentence(c, ("credit",)):
                continue
            if role == "person" and c.rule.id in _FAULT_RULES and self._names_an_act(ctx, c):
                # "my fault for not checking the date", "because of me: I forgot the agenda":
                # one act, behavioural (rule 6)
                out.append(Cue(self.rules["behavioural.act"], c.start, c.end))
                continue
            out.append(c)
        return out

    def _names_an_act(self, ctx: Context, cue: Cue) -> bool:
        """The sentence gives one act of the writer's as the fault: "for" + a doing, or a clause
        of the writer's in the past that is no label ("I took the wrong exit", "I was on the
        phone")."""
        e = cue.end
        s0, s1 = ctx.sentence_of(cue.start)
        if (
            e < s1
            and ctx.norms[e] == "for"
            and any(
                ctx.norms[i].endswith("ing") and ctx.lemmas[i] != ctx.norms[i]
                for i in range(e + 1, min(s1, e + 3))
            )  # a doing ("for not checking"), not "for everything"
        ):
            return True
        labels = self.lex["label_adj"] | self.lex["trait_noun"]
        k = ctx.clause_of(cue.start)[1]
        while k < s1:
            lo, hi = ctx.clause_of(k)
            # an explanation after a break ("my fault, I took the wrong exit"), not the event
            # itself ("it's my fault we broke up")
            if ctx.punct[lo - 1] or ctx.norms[lo] in ("because", "as", "since", "cause"):
                words = [w for w in ctx.norms[lo:hi] if w not in self.lex["connector"]]
                if (
                    words[:1] in (["i"], ["we"])
                    and len(words) > 1
                    and not any(w in labels for w in words)
                ):
                    form, lemma = words[1], ctx.lemmas[lo + ctx.norms[lo:hi].index(words[1])]
                    past = (
                        form.endswith("ed")
                        or form in ("was", "were")
                        or (lemma != form and not form.endswith(("ing", "s")))
                    )
                    if past:
                        return True
            k = hi
        return False
