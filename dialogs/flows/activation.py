"""/plan: behavioural activation. Pick a small activity, say when, predict how it will feel;
and afterwards (the outcome flow) record what actually happened. Over weeks the difference
between the prediction and the outcome is the evidence that acting changes things."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs import activities, scales, when
from dialogs.events import Event, Text
from dialogs.flows.base import Flow
from dialogs.models import Reminder, Task
from dialogs.turn import Turn

MAX_TITLE = 200
SUGGESTIONS = 3
REPEATS = ["none", "daily", "weekdays", "weekly"]


def zone(turn: Turn) -> str:
    return turn.profile.timezone or turn.default_timezone


def task_reminder(task: Task) -> Reminder:
    return Reminder(task.user_id, "task", task.due_at, task=task, task_id=task.id)


def _slots(event: Any) -> dict:
    return event.model.turn.dialog.slots


def _rescheduling(event: Any) -> bool:
    return bool(_slots(event).get("task", {}).get("id"))


class ActivationFlow(Flow):
    name = "activation"
    draftable = True
    states = ["choose", "kind", "pick", "own", "own_step", "when", "confirm", "repeat",
              "expect_enjoy", "expect_achieve"]  # fmt: skip
    initial = "choose"
    transitions = [
        {"trigger": "picked", "source": ["choose", "pick"], "dest": "when"},
        {"trigger": "browse", "source": "choose", "dest": "kind"},
        {"trigger": "own", "source": ["choose", "kind", "pick"], "dest": "own"},
        {"trigger": "own_typed", "source": ["choose", "pick"], "dest": "own_step"},
        {"trigger": "kind_chosen", "source": "kind", "dest": "pick"},
        {"trigger": "next", "source": "own", "dest": "own_step"},
        {"trigger": "next", "source": "own_step", "dest": "when"},
        {"trigger": "skip", "source": "own_step", "dest": "when"},
        {"trigger": "next", "source": "when", "dest": "confirm"},
        {"trigger": "change", "source": "confirm", "dest": "when"},
        {"trigger": "confirmed", "source": "confirm", "dest": "done",
         "conditions": _rescheduling},
        {"trigger": "confirmed", "source": "confirm", "dest": "repeat"},
        {"trigger": "next", "source": "repeat", "dest": "expect_enjoy"},
        {"trigger": "next", "source": "expect_enjoy", "dest": "expect_achieve"},
        {"trigger": "next", "source": "expect_achieve", "dest": "done"},
        {"trigger": "back", "source": ["kind", "own"], "dest": "choose"},
        {"trigger": "back", "source": "pick", "dest": "kind"},
        {"trigger": "back", "source": "own_step", "dest": "own"},
        {"trigger": "back", "source": "confirm", "dest": "when"},
        {"trigger": "back", "source": "repeat", "dest": "confirm"},
        {"trigger": "back", "source": "expect_enjoy", "dest": "repeat"},
        {"trigger": "back", "source": "expect_achieve", "dest": "expect_enjoy"},
    ]  # fmt: skip
    optional = frozenset({"own_step"})

    def start(self, turn: Turn, slots: dict | None = None) -> None:
        slots = dict(slots or {})
        if slots.get("task", {}).get("id"):
            # Rescheduling an existing task: straight to "when".
            turn.dialog.flow, turn.dialog.state, turn.dialog.slots = self.name, "when", slots
            self.show(turn, "when")
            return
        super().start(turn, slots)

    # -- speaking ----------------------------------------------------------------------------
    def enter(self, turn: Turn, state: str) -> None:
        slots = turn.dialog.slots
        if state == "choose":
            picks = activities.suggest(slots.get("context"), slots.get("emotion"),
                                       k=SUGGESTIONS, rng=turn.rng)  # fmt: skip
            rows = [[(f"{a.title}: {a.first_step}", f"act:{a.id}")] for a in picks]
            rows += [[(turn.t("ba.more"), "more"), (turn.t("ba.own"), "own")]]
            key = "ba.choose_after_record" if slots.get("context") else "ba.choose"
            turn.ask(turn.t(key), rows)
        elif state == "kind":
            rows = [[(turn.t(f"kind.{k}"), k)] for k in activities.kinds()]
            turn.ask(turn.t("ba.kind"), rows)
        elif state == "pick":
            rows = [[(f"{a.title}: {a.first_step}", f"act:{a.id}")]
                    for a in activities.by_kind(slots["kind"])]  # fmt: skip
            rows.append([(turn.t("ba.own"), "own")])
            turn.ask(turn.t("ba.pick", kind=turn.t(f"kind.{slots['kind']}")), rows)
        elif state == "own":
            turn.say(turn.t("ba.own_ask"))
        elif state == "own_step":
            turn.say(turn.t("ba.own_step"))
        elif state == "when":
            quick = when.quick_choices(turn.now, zone(turn))
            slots["quick"] = {q.key: q.when.isoformat() for q in quick}
            title = slots["task"]["title"]
            turn.ask(turn.t("ba.when", title=title),
                     [[(turn.t(f"quick.{q.key}"), q.key) for q in quick]])  # fmt: skip
        elif state == "confirm":
            due = datetime.fromisoformat(slots["task"]["due_at"])
            text = when.format_local(due, zone(turn), turn.now)
            turn.ask(
                turn.t("ba.confirm", when=text),
                [(turn.t("ba.confirm_yes"), "yes"), (turn.t("ba.change"), "change")],
            )
        elif state == "repeat":
            turn.ask(turn.t("ba.repeat"), [[(turn.t(f"repeat.{r}"), r)] for r in REPEATS])
        elif state == "expect_enjoy":
            scales.ask(turn, scales.TEN, "ba.expect_enjoy")
        elif state == "expect_achieve":
            scales.ask(turn, scales.TEN, "ba.expect_achieve")

    # -- listening ---------------------------------------------------------------------------
    def handle(self, turn: Turn, event: Event, choice: str | None) -> str | None:
        state = turn.dialog.state
        slots = turn.dialog.slots
        text = event.text.strip() if isinstance(event, Text) else ""
        if state in ("choose", "pick", "kind"):
            if choice and choice.startswith("act:"):
                activity = activities.get(choice[4:])
                if activity is not None:
                    slots["task"] = {
                        "title": activity.title,
                        "first_step": activity.first_step,
                        "kind": activity.kind,
                        "activity_id": activity.id,
                    }
                    return "picked"
            if choice == "own":
                return "own"
            if text and state != "kind":  # an idea typed straight away is their own
                slots["task"] = {"title": turn.clip(text, MAX_TITLE), "kind": "own"}
                return "own_typed"
            if state == "choose" and choice == "more":
                return "browse"
            if state == "kind" and choice in activities.kinds():
                slots["kind"] = choice
                return "kind_chosen"
            self.show(turn, state)
            return None
        if state == "own":
            if not text:
                self.show(turn, state)
                return None
            slots["task"] = {"title": turn.clip(text, MAX_TITLE), "kind": "own"}
            return "next"
        if state == "own_step":
            if not text:
                self.show(turn, state)
                return None
            slots["task"]["first_step"] = turn.clip(text, MAX_TITLE)
            return "next"
        if state == "when":
            return self._take_when(turn, choice, text)
        if state == "confirm":
            if choice == "yes":
                return "confirmed"
            if choice == "change":
                return "change"
            if text:  # a new time typed instead of pressing a button
                return self._take_when(turn, None, text, then="stay")
            self.show(turn, state)
            return None
        if state == "repeat":
            if choice in REPEATS:
                slots["task"]["repeat"] = choice
                return "next"
            self.show(turn, state)
            return None
        if state in ("expect_enjoy", "expect_achieve"):
            value = scales.take(turn, scales.TEN, event, choice, f"ba.{state}")
            if value is None:
                return None
            key = "expected_enjoyment" if state == "expect_enjoy" else "expected_achievement"
            slots["task"][key] = value
            return "next"
        return None

    def _take_when(self, turn: Turn, choice: str | None, text: str, then: str = "next"):
        slots = turn.dialog.slots
        due = None
        if choice and choice in slots.get("quick", {}):
            due = datetime.fromisoformat(slots["quick"][choice])
        elif text:
            result = when.parse_when(text, turn.now, zone(turn))
            if result.ok:
                due = result.when
            else:
                turn.say(turn.t(f"when.{result.status.value}"))
        if due is None or due <= turn.now:
            if due is not None:
                turn.say(turn.t("when.past"))
            self.show(turn, "when")
            return None
        slots["task"]["due_at"] = due.isoformat()
        local = due.astimezone(when.ZoneInfo(zone(turn)))
        slots["task"]["local_time"] = f"{local:%H:%M}"
        if then == "stay":
            self.show(turn, "confirm")
            return None
        return "next"

    def skip(self, turn: Turn) -> str:
        return "skip"

    def finish(self, turn: Turn) -> None:
        data = dict(turn.dialog.slots["task"])
        for key in ("due_at", "created_at", "done_at"):
            if isinstance(data.get(key), str):
                data[key] = datetime.fromisoformat(data[key])
        data.setdefault("created_at", turn.now)
        data["user_id"] = turn.user.id
        task = Task(**data)
        due = task.due_at
        if task.id is not None:
            turn.writes.cancel_task_reminders.append(task.id)
            task.status = "planned"
        elif turn.dialog.slots.get("record_at"):
            task.thought_record_at = datetime.fromisoformat(turn.dialog.slots["record_at"])
        turn.writes.tasks.append(task)
        turn.writes.reminders.append(task_reminder(task))
        text = when.format_local(due, zone(turn), turn.now)
        turn.say(turn.t("ba.saved", title=task.title, when=text))
