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


# Typed answers to "are you having thoughts of ending your life?". Anything unclear leans to
# yes: a gentle crisis response costs little, a miss can cost a life.
# Typed answers to "are you having thoughts of ending your life?". Only a short, plain "no"
# counts as no; anything else that is not a yes is unclear and gets the lines, gently. A
# message that merely starts with "I'm not" or "never" ("I'm not safe", "never felt worse")
# is not a no. (The answer went through the risk check before it gets here.)
_NO = re.compile(
    r"^\W*(no+|nope|nah|not really|no,? not (like )?that|not at all|no,? i'?m not|i'?m not|"
    r"i am not|no,? (i'?m |i am )?(fine|ok|okay|alright|safe))\W*$",
    re.I,
)
_YES = re.compile(
    r"\b(yes|yeah|yep|ya|yh|y|sometimes|maybe|kind of|kinda|sort of|i am|i do|"
    r"a bit|a little|i think so|probably|often)\b",
    re.I,
)


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
        text = event.text.strip()
        if _NO.search(text):
            turn.dialog.slots["answer"] = "no"
        elif _YES.search(text):
            turn.dialog.slots["answer"] = "yes"
        else:
            turn.dialog.slots["answer"] = "unclear"
        return "answered"

    def finish(self, turn: Turn) -> None:
        answer = turn.dialog.slots.get("answer")
        if answer == "no":
            turn.say(turn.t("concern.no_reply"))
            crisis.offer_resume(turn)
        elif answer == "yes":
            turn.crisis_confirmed = True
        else:
            # Not a clear no: keep the lines in front of them without insisting.
            turn.say(turn.t("concern.unclear_reply"))
            crisis.lines_only(turn)
