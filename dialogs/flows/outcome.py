"""After a task: what actually happened, against what was expected. This record, kept over
weeks, is the evidence that acting changes how things feel."""

from __future__ import annotations

from datetime import datetime

from dialogs import scales
from dialogs.events import Event, Text
from dialogs.flows.base import Flow
from dialogs.models import Task
from dialogs.turn import Turn

MAX_NOTE = 1000


class OutcomeFlow(Flow):
    name = "outcome"
    states = ["enjoy", "achieve", "note"]
    initial = "enjoy"
    transitions = [
        {"trigger": "next", "source": "enjoy", "dest": "achieve"},
        {"trigger": "next", "source": "achieve", "dest": "note"},
        {"trigger": "next", "source": "note", "dest": "done"},
        {"trigger": "skip", "source": "note", "dest": "done"},
        {"trigger": "back", "source": "achieve", "dest": "enjoy"},
        {"trigger": "back", "source": "note", "dest": "achieve"},
    ]
    optional = frozenset({"note"})

    def enter(self, turn: Turn, state: str) -> None:
        title = turn.dialog.slots["task"]["title"]
        if state == "enjoy":
            scales.ask(turn, scales.TEN, "outcome.enjoy", title=title)
        elif state == "achieve":
            scales.ask(turn, scales.TEN, "outcome.achieve", title=title)
        elif state == "note":
            turn.say(turn.t("outcome.note"))

    def handle(self, turn: Turn, event: Event, choice: str | None) -> str | None:
        state = turn.dialog.state
        task = turn.dialog.slots["task"]
        if state in ("enjoy", "achieve"):
            value = scales.take(turn, scales.TEN, event, choice, f"outcome.{state}",
                                title=task["title"])  # fmt: skip
            if value is None:
                return None
            task["actual_enjoyment" if state == "enjoy" else "actual_achievement"] = value
            return "next"
        if state == "note":
            if isinstance(event, Text) and event.text.strip():
                task["note"] = turn.clip(event.text.strip(), MAX_NOTE)
                return "next"
            self.show(turn, state)
        return None

    def finish(self, turn: Turn) -> None:
        data = dict(turn.dialog.slots["task"])
        for key in ("due_at", "created_at", "done_at"):
            if isinstance(data.get(key), str):
                data[key] = datetime.fromisoformat(data[key])
        task = Task(**data)
        task.status = "done"
        task.done_at = turn.now
        turn.writes.tasks.append(task)
        turn.writes.cancel_task_reminders.append(task.id)
        turn.say(compare(turn, task))


def compare(turn: Turn, task: Task) -> str:
    """Expected against actual, said plainly."""
    lines = [turn.t("outcome.thanks", title=task.title)]
    pairs = [("enjoyment", task.expected_enjoyment, task.actual_enjoyment),
             ("achievement", task.expected_achievement, task.actual_achievement)]  # fmt: skip
    better = False
    for name, expected, actual in pairs:
        if expected is not None and actual is not None:
            lines.append(turn.t(f"outcome.{name}", expected=expected, actual=actual))
            better = better or actual > expected
    if any(e is not None and a is not None for _, e, a in pairs):
        lines.append(turn.t("outcome.better" if better else "outcome.not_better"))
    return "\n".join(lines)
