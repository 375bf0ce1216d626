"""/new: a thought record. Situation, automatic thought, emotion and how strong it is, saved."""

from __future__ import annotations

from dialogs.events import Event, Text
from dialogs.flows.base import Flow
from dialogs.models import ThoughtRecord
from dialogs.parsing import out_of_range, parse_rating
from dialogs.turn import Turn

EMOTIONS = ["sad", "anxious", "angry", "ashamed", "guilty", "hopeless", "other"]
RATING_BUTTONS = [10, 30, 50, 70, 90]
MAX_EMOTION_WORDS = 4


def ask_rating(turn: Turn, key: str, **values: object) -> None:
    turn.ask(turn.t(key, **values), [(str(v), str(v)) for v in RATING_BUTTONS])


def take_rating(
    turn: Turn, event: Event, choice: str | None, key: str, **values: object
) -> int | None:
    """A 0-100 rating from a button or typed number; otherwise a clear re-ask with buttons."""
    if choice is not None and choice.isdigit():
        return int(choice)
    if isinstance(event, Text):
        value = parse_rating(event.text)
        if value is not None:
            return value
        turn.say(
            turn.t("rating.out_of_range" if out_of_range(event.text) else "rating.not_a_number")
        )
    ask_rating(turn, key, **values)
    return None


class ThoughtRecordFlow(Flow):
    name = "thought_record"
    states = ["situation", "thought", "emotion", "emotion_other", "intensity"]
    initial = "situation"
    transitions = [
        {"trigger": "next", "source": "situation", "dest": "thought"},
        {"trigger": "next", "source": "thought", "dest": "emotion"},
        {"trigger": "other", "source": "emotion", "dest": "emotion_other"},
        {"trigger": "next", "source": ["emotion", "emotion_other"], "dest": "intensity"},
        {"trigger": "next", "source": "intensity", "dest": "done"},
    ]

    def enter(self, turn: Turn, state: str) -> None:
        slots = turn.dialog.slots
        if state == "situation":
            turn.say(turn.t("tr.situation"))
        elif state == "thought":
            turn.say(turn.t("tr.thought"))
        elif state == "emotion":
            labels = [(turn.t(f"emotion.{e}"), e) for e in EMOTIONS]
            turn.ask(turn.t("tr.emotion"), [labels[0:3], labels[3:6], labels[6:]])
        elif state == "emotion_other":
            turn.say(turn.t("tr.emotion_other"))
        elif state == "intensity":
            ask_rating(turn, "tr.intensity", emotion=slots["emotion"])

    def handle(self, turn: Turn, event: Event, choice: str | None) -> str | None:
        state = turn.dialog.state
        slots = turn.dialog.slots
        if state in ("situation", "thought"):
            if not isinstance(event, Text):
                self.enter(turn, state)
                return None
            slots[state] = event.text.strip()
            return "next"
        if state == "emotion":
            if choice == "other":
                return "other"
            if choice in EMOTIONS:
                slots["emotion"] = turn.t(f"emotion.{choice}").lower()
                return "next"
            if isinstance(event, Text):
                # A typed emotion word is as good as a button.
                typed = event.text.strip().lower()
                known = {turn.t(f"emotion.{e}").lower(): e for e in EMOTIONS if e != "other"}
                if typed in known or len(typed.split()) <= MAX_EMOTION_WORDS:
                    slots["emotion"] = typed
                    return "next"
            self.enter(turn, state)
            return None
        if state == "emotion_other":
            if isinstance(event, Text) and len(event.text.split()) <= MAX_EMOTION_WORDS:
                slots["emotion"] = event.text.strip().lower()
                return "next"
            turn.say(turn.t("tr.emotion_other_short"))
            return None
        if state == "intensity":
            value = take_rating(turn, event, choice, "tr.intensity", emotion=slots["emotion"])
            if value is None:
                return None
            slots["intensity_before"] = value
            return "next"
        return None

    def finish(self, turn: Turn) -> None:
        slots = turn.dialog.slots
        turn.writes.thought_records.append(
            ThoughtRecord(
                user_id=turn.user.id,
                created_at=turn.now,
                situation=slots["situation"],
                thought=slots["thought"],
                emotion=slots["emotion"],
                intensity_before=slots["intensity_before"],
            )
        )
        turn.say(
            turn.t("tr.saved", emotion=slots["emotion"], intensity=slots["intensity_before"]),
            ((turn.global_choice(turn.t("menu.new"), "new"),),),
        )
