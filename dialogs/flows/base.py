"""A flow: one `transitions` state machine shared by all users, plus what to say in each state.

Per-user state is plain data (DialogState). For each turn a throwaway model object is attached to
the shared machine at the user's state, the trigger fires, and the model is detached again; no
per-user Machine lives in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from transitions import Machine, MachineError

from dialogs.events import Event
from dialogs.turn import CHOICES_SLOT, Turn

DONE = "done"


@dataclass
class _Model:
    state: str
    turn: Turn


class Flow:
    name: ClassVar[str]
    states: ClassVar[list[str]]
    transitions: ClassVar[list[dict[str, Any]]]
    initial: ClassVar[str]
    # states in which /skip is accepted (the flow's `skip` trigger must leave them)
    optional: ClassVar[frozenset[str]] = frozenset()
    # whether /cancel offers to keep the answers so far as a draft to come back to
    draftable: ClassVar[bool] = False

    def __init__(self) -> None:
        self.machine = self.build_machine()

    def build_machine(self, machine_cls: type[Machine] = Machine, **kwargs: Any) -> Machine:
        transitions = []
        for spec in self.transitions:
            spec = dict(spec)
            for key in ("conditions", "unless"):
                if isinstance(spec.get(key), str):
                    spec[key] = getattr(self, spec[key])
            transitions.append(spec)
        return machine_cls(
            model=None,
            states=[*self.states, DONE],
            transitions=transitions,
            initial=self.initial,
            auto_transitions=False,
            send_event=True,
            **kwargs,
        )

    # -- the engine drives these -------------------------------------------------------------
    def start(self, turn: Turn, slots: dict[str, Any] | None = None) -> None:
        turn.dialog.flow = self.name
        turn.dialog.state = self.initial
        turn.dialog.slots = dict(slots or {})
        self.show(turn, self.initial)

    def fire(self, turn: Turn, trigger: str) -> None:
        """Move the user's state along `trigger`, then speak for the new state."""
        model = _Model(turn.dialog.state or self.initial, turn)
        self.machine.add_model(model, initial=model.state)
        try:
            if not model.trigger(trigger):
                raise MachineError(f"{self.name}: {trigger} refused in {model.state}")
        finally:
            self.machine.remove_model(model)
        turn.dialog.state = model.state
        if model.state == DONE:
            self.finish(turn)
            turn.dialog.flow = turn.dialog.state = None
            turn.dialog.slots = {}
        else:
            self.show(turn, model.state)

    def show(self, turn: Turn, state: str) -> None:
        """Speak for `state`; only its own buttons may then be answered by typing a label."""
        turn.dialog.slots.pop(CHOICES_SLOT, None)
        self.enter(turn, state)

    def can_fire(self, state: str, trigger: str) -> bool:
        return bool(self.machine.get_transitions(trigger=trigger, source=state))

    # -- what each flow fills in ---------------------------------------------------------------
    def enter(self, turn: Turn, state: str) -> None:
        """Say what belongs to `state` (the question to answer there)."""
        raise NotImplementedError

    def handle(self, turn: Turn, event: Event, choice: str | None) -> str | None:
        """Consume the user's answer in the current state. `choice` is the value of a pressed
        button of this step. Return the trigger to fire, or None to stay (after replying)."""
        raise NotImplementedError

    def back(self, turn: Turn) -> str | None:
        """The trigger /back fires, or None when there is no step to go back to."""
        return "back" if self.can_fire(turn.dialog.state, "back") else None

    def skip(self, turn: Turn) -> str:
        """The trigger /skip fires in one of the `optional` states."""
        return "skip"

    def finish(self, turn: Turn) -> None:
        """Called on reaching `done`, before the dialog state is cleared."""
