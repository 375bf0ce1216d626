"""/new: the thought record, from an automatic thought to a balanced one.

situation -> thought -> emotion (-> emotion_other) -> intensity -> belief -> noticed ->
question (one per finding, then control and a friend's view) -> balanced (-> balanced_check) ->
rerate_belief -> rerate_intensity -> next_step -> done
"""

from __future__ import annotations

from typing import Any

import nlp_models
from dialogs import findings as F
from dialogs import scales
from dialogs.events import Event, Text
from dialogs.flows.base import Flow
from dialogs.models import ThoughtRecord
from dialogs.turn import Turn

EMOTIONS = ["sad", "anxious", "angry", "ashamed", "guilty", "hopeless", "other"]
MAX_EMOTION_WORDS = 4
# As long as one Telegram message: the engine refuses longer ones, saying so; nothing is cut.
MAX_ANSWER_CHARS = 4096

RATINGS = {
    "intensity": ("tr.intensity", "intensity_before"),
    "belief": ("tr.belief", "belief_before"),
    "rerate_belief": ("tr.rerate_belief", "belief_after"),
    "rerate_intensity": ("tr.rerate_intensity", "intensity_after"),
}


def and_list(turn: Turn, items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {turn.t('and')} {items[-1]}"


def analysis_of(turn: Turn, text: str) -> nlp_models.Analysis:
    """The analysis of `text`, reusing the one the risk check already made for this message."""
    if turn.analysis is not None and turn.analysis.text == text:
        return turn.analysis
    return nlp_models.analyze(text)


def _slots(event: Any) -> dict:
    return event.model.turn.dialog.slots


def _more_questions(event: Any) -> bool:
    slots = _slots(event)
    return slots["q_index"] < len(slots["questions"])


def _back_within(event: Any) -> bool:
    return _slots(event).get("back_within", False)


def _has_questions(event: Any) -> bool:
    return bool(_slots(event).get("questions"))


def _needs_check(event: Any) -> bool:
    slots = _slots(event)
    return bool(slots.get("balanced_flags")) and not slots.get("balanced_checked")


class ThoughtRecordFlow(Flow):
    name = "thought_record"
    draftable = True
    states = [
        "situation", "thought", "emotion", "emotion_other", "intensity", "belief", "noticed",
        "question", "balanced", "balanced_check", "rerate_belief", "rerate_intensity",
        "next_step",
    ]  # fmt: skip
    initial = "situation"
    transitions = [
        {"trigger": "next", "source": "situation", "dest": "thought"},
        {"trigger": "next", "source": "thought", "dest": "emotion"},
        {"trigger": "other", "source": "emotion", "dest": "emotion_other"},
        {"trigger": "next", "source": ["emotion", "emotion_other"], "dest": "intensity"},
        {"trigger": "next", "source": "intensity", "dest": "belief"},
        {"trigger": "next", "source": "belief", "dest": "noticed"},
        {"trigger": "next", "source": "noticed", "dest": "question"},
        {"trigger": "skip", "source": "noticed", "dest": "balanced"},
        {"trigger": "answered", "source": "question", "dest": "question",
         "conditions": _more_questions},
        {"trigger": "answered", "source": "question", "dest": "balanced"},
        {"trigger": "next", "source": "balanced", "dest": "balanced_check",
         "conditions": _needs_check},
        {"trigger": "next", "source": "balanced", "dest": "rerate_belief"},
        {"trigger": "keep", "source": "balanced_check", "dest": "rerate_belief"},
        {"trigger": "revise", "source": "balanced_check", "dest": "balanced"},
        {"trigger": "next", "source": "rerate_belief", "dest": "rerate_intensity"},
        {"trigger": "next", "source": "rerate_intensity", "dest": "next_step"},
        {"trigger": "next", "source": "next_step", "dest": "done"},
        # /back, one step at a time
        {"trigger": "back", "source": "thought", "dest": "situation"},
        {"trigger": "back", "source": "emotion", "dest": "thought"},
        {"trigger": "back", "source": ["emotion_other", "intensity"], "dest": "emotion"},
        {"trigger": "back", "source": "belief", "dest": "intensity"},
        {"trigger": "back", "source": "noticed", "dest": "belief"},
        {"trigger": "back", "source": "question", "dest": "question",
         "conditions": _back_within},
        {"trigger": "back", "source": "question", "dest": "noticed"},
        {"trigger": "back", "source": "balanced", "dest": "question",
         "conditions": _has_questions},
        {"trigger": "back", "source": "balanced", "dest": "noticed"},
        {"trigger": "back", "source": "balanced_check", "dest": "balanced"},
        {"trigger": "back", "source": "rerate_belief", "dest": "balanced"},
        {"trigger": "back", "source": "rerate_intensity", "dest": "rerate_belief"},
    ]  # fmt: skip
    optional = frozenset({"question", "noticed"})

    # -- speaking ----------------------------------------------------------------------------
    def enter(self, turn: Turn, state: str) -> None:
        slots = turn.dialog.slots
        if state == "situation":
            turn.say(turn.t("tr.situation"))
        elif state == "thought":
            offer = slots.get("thought_offer")
            if offer:
                turn.ask(
                    turn.t("tr.thought_offer", thought=offer),
                    [[(turn.t("tr.use_it"), "use")], [(turn.t("tr.write_own"), "own")]],
                )
            else:
                turn.say(turn.t("tr.thought"))
        elif state == "emotion":
            labels = [(turn.t(f"emotion.{e}"), e) for e in EMOTIONS]
            turn.ask(turn.t("tr.emotion"), [labels[0:3], labels[3:6], labels[6:]])
        elif state == "emotion_other":
            turn.say(turn.t("tr.emotion_other"))
        elif state in RATINGS:
            scales.ask(turn, scales.PERCENT, RATINGS[state][0], emotion=slots.get("emotion", ""))
        elif state == "noticed":
            self._say_findings(turn)
        elif state == "question":
            key = slots["questions"][slots["q_index"]]
            slots["q_text"] = turn.t(key)
            number, total = slots["q_index"] + 1, len(slots["questions"])
            turn.say(turn.t("tr.question", number=number, total=total, question=slots["q_text"]))
        elif state == "balanced":
            found = [F.Finding(**f) for f in slots.get("findings", [])]
            examples = "\n".join(f"• {turn.t(key)}" for key in F.starters(found))
            turn.say(turn.t("tr.balanced", starters=examples))
        elif state == "balanced_check":
            slots["balanced_checked"] = True
            names = and_list(turn, [turn.t(f"dim.{d}") for d in slots["balanced_flags"]])
            words = ", ".join(f'"{w}"' for w in slots["balanced_words"])
            turn.ask(
                turn.t("tr.balanced_check", words=words, dimensions=names),
                [(turn.t("tr.keep_it"), "keep"), (turn.t("tr.revise_it"), "revise")],
            )
        elif state == "next_step":
            self._say_change(turn)

    def _say_findings(self, turn: Turn) -> None:
        found = [F.Finding(**f) for f in turn.dialog.slots["findings"]]
        if not found:
            # what was there instead: a success owned, one act named, a step the person can take
            lines = [
                turn.t(f"tr.noticed_helpful.{label}", words=f'"{words}"')
                for label, words in F.helpful_to_name(turn.dialog.slots.get("analysis", {}))
            ]
            text = "\n".join([*lines, turn.t("tr.noticed_nothing")])
        else:
            lines = [turn.t("tr.noticed_intro")]
            dims = [f for f in found if f.kind == "dimension"]
            style = [f for f in dims if f.label != "uncontrollable"]
            if style:
                words = list(dict.fromkeys(w for f in style for w in f.words))[:4]
                names = [turn.t(f"dim.{f.label}") for f in style]
                lines.append(turn.t("tr.dims_noticed", words=and_list(turn, [f'"{w}"' for w in words]),
                                    dimensions=and_list(turn, names)))  # fmt: skip
            for f in dims:
                lines.append(f"• {turn.t(f'dim.{f.label}').capitalize()}: "
                             f"{turn.t(f'dim.{f.label}.why')}")  # fmt: skip
            unc = next((f for f in dims if f.label == "uncontrollable"), None)
            if unc is not None:
                # its own line: the question it gets first is what can still be influenced
                lines.append(turn.t("tr.uncontrollable_noticed",
                                    words=and_list(turn, [f'"{w}"' for w in unc.words])))  # fmt: skip
            for f in found:
                if f.kind == "distortion":
                    quoted = and_list(turn, [f'"{w}"' for w in f.words[:2]])
                    name = turn.t(f"trap.{f.label}").capitalize()
                    name = f"{name} ({quoted})" if quoted else name
                    lines.append(f"• {name}: {turn.t(f'trap.{f.label}.why')}")
            lines.append(turn.t("tr.noticed_outro"))
            text = "\n".join(lines)
        turn.ask(
            text,
            [[(turn.t("tr.look_at_it"), "go")], [(turn.t("tr.skip_questions"), "skip")]],
        )

    def _say_change(self, turn: Turn) -> None:
        slots = turn.dialog.slots
        turn.say(
            turn.t(
                "tr.change",
                belief_before=slots["belief_before"],
                belief_after=slots["belief_after"],
                emotion=slots["emotion"],
                intensity_before=slots["intensity_before"],
                intensity_after=slots["intensity_after"],
                balanced=slots["balanced"],
            )
        )
        options = [(turn.t("tr.finish"), "finish")]
        if turn.activation_available:
            options.insert(0, (turn.t("tr.plan_action"), "plan"))
        turn.ask(turn.t("tr.next_step"), [[o] for o in options])

    # -- listening ---------------------------------------------------------------------------
    def handle(self, turn: Turn, event: Event, choice: str | None) -> str | None:
        state = turn.dialog.state
        slots = turn.dialog.slots
        text = event.text.strip() if isinstance(event, Text) else None
        if state == "situation":
            if not text:
                self.enter(turn, state)
                return None
            slots["situation"] = text[:MAX_ANSWER_CHARS]
            offer = F.thought_in(slots["situation"], analysis_of(turn, event.text))
            slots["thought_offer"] = offer
            return "next"
        if state == "thought":
            if choice == "use" and slots.get("thought_offer"):
                thought = slots["thought_offer"]
            elif choice == "own":
                slots["thought_offer"] = None
                self.enter(turn, state)
                return None
            elif text:
                thought = text[:MAX_ANSWER_CHARS]
            else:
                self.enter(turn, state)
                return None
            slots["thought"] = thought
            analysis = analysis_of(turn, thought)
            found = F.findings_of(analysis)
            slots["findings"] = [
                {"kind": f.kind, "label": f.label, "words": list(f.words)} for f in found
            ]
            slots["analysis"] = F.as_record(analysis)
            slots["questions"] = F.question_plan(found)
            slots["q_index"] = 0
            slots["answers"] = []
            return "next"
        if state == "emotion":
            if choice == "other":
                return "other"
            if choice in EMOTIONS:
                slots["emotion"] = turn.t(f"emotion.{choice}").lower()
                return "next"
            if text and len(text.split()) <= MAX_EMOTION_WORDS:
                slots["emotion"] = text.lower()  # a typed word is as good as a button
                return "next"
            self.enter(turn, state)
            return None
        if state == "emotion_other":
            if text and len(text.split()) <= MAX_EMOTION_WORDS:
                slots["emotion"] = text.lower()
                return "next"
            turn.say(turn.t("tr.emotion_other_short"))
            return None
        if state in RATINGS:
            key, slot = RATINGS[state]
            value = scales.take(turn, scales.PERCENT, event, choice, key,
                                emotion=slots.get("emotion", ""))  # fmt: skip
            if value is None:
                return None
            slots[slot] = value
            if state == "rerate_intensity":
                self._save(turn)
            return "next"
        if state == "noticed":
            if choice == "skip":
                return "skip"
            if choice == "go" or text:
                return "next"
            self.enter(turn, state)
            return None
        if state == "question":
            if not text:
                self.enter(turn, state)
                return None
            self._answer(slots, text[:MAX_ANSWER_CHARS])
            return "answered"
        if state == "balanced":
            if not text:
                self.enter(turn, state)
                return None
            slots["balanced"] = text[:MAX_ANSWER_CHARS]
            analysis = analysis_of(turn, event.text)
            # agency and a behavioural explanation are never findings (the analyzer does not
            # rate them); a move towards them gets a word of recognition
            for key in F.recognitions(slots.get("analysis", {}), analysis):
                turn.say(turn.t(key))
            flags = [d for d in nlp_models.DIMENSIONS if analysis.dimensions[d].detected]
            slots["balanced_flags"] = flags
            slots["balanced_words"] = list(
                F.quotes(analysis.text, [e for d in flags for e in analysis.dimensions[d].evidence])
            )
            return "next"
        if state == "balanced_check":
            if choice in ("keep", "revise"):
                return choice
            self.enter(turn, state)
            return None
        if state == "next_step":
            if choice in ("plan", "finish"):
                slots["next"] = choice
                return "next"
            self.enter(turn, state)
            return None
        return None

    @staticmethod
    def _answer(slots: dict, answer: str | None) -> None:
        index = slots["q_index"]
        entry = {"question": slots["questions"][index], "text": slots.get("q_text", ""),
                 "answer": answer}  # fmt: skip
        answers = [a for a in slots["answers"] if a["question"] != entry["question"]]
        slots["answers"] = [*answers, entry]
        slots["q_index"] = index + 1

    def skip(self, turn: Turn) -> str:
        if turn.dialog.state == "question":
            self._answer(turn.dialog.slots, None)
            return "answered"
        return "skip"

    def back(self, turn: Turn) -> str | None:
        slots = turn.dialog.slots
        slots["back_within"] = turn.dialog.state == "question" and slots["q_index"] > 0
        if slots["back_within"]:
            slots["q_index"] -= 1
        elif turn.dialog.state == "balanced" and slots.get("questions"):
            slots["q_index"] = len(slots["questions"]) - 1
        return "back" if self.can_fire(turn.dialog.state, "back") else None

    def _save(self, turn: Turn) -> None:
        slots = turn.dialog.slots
        slots["saved_at"] = turn.now.isoformat()
        turn.writes.thought_records.append(
            ThoughtRecord(
                user_id=turn.user.id,
                created_at=turn.now,
                situation=slots["situation"],
                thought=slots["thought"],
                emotion=slots["emotion"],
                intensity_before=slots["intensity_before"],
                belief_before=slots.get("belief_before"),
                intensity_after=slots.get("intensity_after"),
                belief_after=slots.get("belief_after"),
                balanced_thought=slots.get("balanced"),
                findings=slots.get("analysis", {}),
                answers=[a for a in slots.get("answers", []) if a.get("answer")],
            )
        )

    def finish(self, turn: Turn) -> None:
        slots = turn.dialog.slots
        if slots.get("next") == "plan":
            turn.next_flow = "activation"
            turn.next_slots = {
                "context": f"{slots['situation']} {slots['thought']}",
                "emotion": slots.get("emotion"),
                "record_at": slots.get("saved_at"),
            }
        else:
            turn.say(
                turn.t("tr.saved"),
                ((turn.global_choice(turn.t("menu.new"), "new"),),),
            )
