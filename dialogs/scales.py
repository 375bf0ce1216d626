"""Asking for a number on a scale (0-100 for feelings and belief, 0-10 for enjoyment and
achievement): buttons to tap, any typed number accepted, and a clear re-ask otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.events import Event, Text
from dialogs.parsing import out_of_range, parse_rating
from dialogs.turn import Turn


@dataclass(frozen=True)
class Scale:
    high: int
    rows: tuple[tuple[int, ...], ...]  # the buttons
    errors: str  # catalogue prefix of the re-ask texts


PERCENT = Scale(100, ((10, 30, 50, 70, 90),), "rating")
TEN = Scale(10, (tuple(range(6)), tuple(range(6, 11))), "score")


def ask(turn: Turn, scale: Scale, key: str, **values: object) -> None:
    turn.ask(turn.t(key, **values), [[(str(v), str(v)) for v in row] for row in scale.rows])


def take(turn: Turn, scale: Scale, event: Event, choice: str | None, key: str,
         **values: object) -> int | None:  # fmt: skip
    """The number from a button or typed; otherwise a clear re-ask with the buttons."""
    if choice is not None and choice.isdigit() and 0 <= int(choice) <= scale.high:
        return int(choice)
    if isinstance(event, Text):
        value = parse_rating(event.text, 0, scale.high)
        if value is not None:
            return value
        wrong = "out_of_range" if out_of_range(event.text, 0, scale.high) else "not_a_number"
        turn.say(turn.t(f"{scale.errors}.{wrong}"))
    ask(turn, scale, key, **values)
    return None
