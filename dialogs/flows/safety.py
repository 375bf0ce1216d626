"""/safetyplan (the six Stanley-Brown steps) and the safety check after a worrying message."""

from __future__ import annotations

import re

from dialogs import crisis
from dialogs.events import Event, Text
from dialogs.flows.base import Flow
from dialogs.models import SAFETY_PLAN_STEPS, SafetyPlan
from dialogs.turn import Turn

MAX_STEP_CHARS = 1000


class SafetyPlanFlow(Flow):
    """Each step is free text and optional (/skip keeps what was there). The plan is saved at
    the end and shown again on request and in every later crisis response."""

    name = "safety_plan"
    states = list(SAFETY_PLAN_STEPS)
    initial = SAFETY_PLAN_STEPS[0]
    transitions = [
        {"trigger": "next", "source": step, "dest": after}
        for step, after in zip(SAFETY_PLAN_STEPS, [*SAFETY_PLAN_STEPS[1:], "done"], strict=True)
    ] + [
        {"trigger": "back", "source": after, "dest": step}
        for step, after in zip(SAFETY_PLAN_STEPS, SAFETY_PLAN_STEPS[1:], strict=False)
    ]
    optional = frozenset(SAFETY_PLAN_STEPS)

    def start(self, turn: Turn, slots: dict | None = None) -> None:
        existing = dict(turn.safety_plan.steps) if turn.safety_plan else {}
        turn.say(turn.t("plan.intro"))
        super().start(turn, {"steps": existing})

    def enter(self, turn: Turn, state: str) -> None:
        number = SAFETY_PLAN_STEPS.index(state) + 1
        text = turn.t("plan.step", number=number, question=turn.t(f"plan.ask.{state}"))
        current = turn.dialog.slots["steps"].get(state)
        if current:
            text += "\n\n" + turn.t("plan.current", answer=current)
        if state == "professionals":
            text += "\n\n" + turn.t("plan.lines_added")
        turn.say(text)

    def handle(self, turn: Turn, event: Event, choice: str | None) -> str | None:
        if not isinstance(event, Text):
            self.enter(turn, turn.dialog.state)
            return None
        answer = turn.clip(event.text.strip(), MAX_STEP_CHARS)
        turn.dialog.slots["steps"][turn.dialog.state] = answer
        return "next"

    def skip(self, turn: Turn) -> str | None:
        return "next"

    def finish(self, turn: Turn) -> None:
        plan = SafetyPlan(turn.user.id, dict(turn.dialog.slots["steps"]), turn.now)
        turn.writes.safety_plan = plan
        turn.safety_plan = plan
        turn.say(turn.t("plan.saved"))
        show_plan(turn)


def show_plan(turn: Turn) -> None:
    plan = turn.safety_plan
    lines = [turn.t("plan.title")]
    for number, step in enumerate(SAFETY_PLAN_STEPS, start=1):
        answer = plan.steps.get(step) if plan else None
        lines.append(f"{number}. {turn.t(f'plan.short.{step}')}: {answer or '-'}")
    text, links = crisis.lines_text(turn)
    lines += ["", text]
    rows = [tuple(links[i : i + 2]) for i in range(0, len(links), 2)]
    rows.append((turn.global_choice(turn.t("plan.edit"), "plan_edit"),))
    turn.say("\n".join(lines), tuple(rows))


# Typed answers to "are you having thoughts of ending your life?": yes, no or unsure, and unsure
# counts as yes (a gentle crisis answer costs little; a miss can cost a life). A no is a plain no
# at the start ("no", "nope", "not really", "no not like that") with nothing after it but an
# explanation that takes nothing back ("i just feel guilty"); "I'm not safe", "nah, I've made up
# my mind" or "not really sure, I'm scared" are not a no. (The answer went through the risk check
# before it gets here: a second worrying message is answered as a crisis there.)
_NO_START = re.compile(
    r"^\W*(no+|nope|nah+|naw|not really|not at all|not like that|never|of course not|"
    r"definitely not|no way|i'?m not|i am not|im not|i don'?t think so|not that)\b\W*",
    re.I,
)
# words after a no that take it back, or that make it a maybe
_TAKES_BACK = re.compile(
    r"\b(but|made up my mind|mind'?s made up|scared|afraid|frightened|not safe|unsafe|not ok(ay)?|"
    r"not alright|not fine|don'?t know|dont know|idk|unsure|not sure|sure|maybe|sometimes|"
    r"kind of|kinda|sort of|a bit|a little|worse|might|want to|wanna|thinking about|plan|"
    r"yet|anymore|any more|lately|at the moment|right now|tonight|today)\b",
    re.I,
)
# a bare "I'm not" or "never" says nothing by itself when more follows ("I'm not okay",
# "never felt worse"): only a plain no-word may start a no with an explanation after it
_PLAIN_NO = re.compile(r"^\W*(no+|nope|nah+|naw|not really|not at all|no,? not like that|"
                       r"not like that|of course not|definitely not|no way)\b", re.I)  # fmt: skip
_YES = re.compile(
    r"\b(yes|yeah|yep|yup|ya|yh|y|i am|i do|i have|all the time|often|every day|constantly|"
    r"definitely|of course|i think so|probably|i guess)\b",
    re.I,
)
_UNSURE = re.compile(
    r"\b(idk|i don'?t know|i dont know|dunno|not sure|unsure|maybe|kind of|kinda|sort of|"
    r"sometimes|a bit|a little|hard to say|possibly|on and off|now and then|at times|"
    r"i'?m not sure|depends)\b",
    re.I,
)


def read_answer(text: str) -> str:
    """ "yes", "no" or "unsure" for a typed answer to the direct question."""
    text = text.strip()
    start = _NO_START.match(text)
    if start:
        rest = text[start.end() :]
        if not rest.strip(" .!,"):
            return "no"
        if _PLAIN_NO.match(text) and not _TAKES_BACK.search(rest):
            return "no"  # "no not like that, i just feel guilty"
    if _YES.search(text):
        return "yes"
    return "unsure"  # "idk", "kind of", and anything that is not a clear no


class SafetyCheck(Flow):
    name = "safety_check"
    states = ["asked"]
    initial = "asked"
    transitions = [{"trigger": "answered", "source": "asked", "dest": "done"}]

    def enter(self, turn: Turn, state: str) -> None:
        crisis.concern_response(turn)

    def handle(self, turn: Turn, event: Event, choice: str | None) -> str | None:
        if not isinstance(event, Text):
            return None
        turn.dialog.slots["answer"] = read_answer(event.text)
        return "answered"

    def finish(self, turn: Turn) -> None:
        if turn.dialog.slots.get("answer") == "no":
            turn.answered_no = True  # the engine goes on with what the question interrupted
        else:
            turn.crisis_confirmed = True  # yes, and unsure counts as yes
