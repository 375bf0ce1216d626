"""Reading numbers out of what people type."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_WORDS = {
    "zero": 0,
    "none": 0,
    "nothing": 0,
    "ten": 10,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "half": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "one hundred": 100,
}


def parse_rating(text: str, low: int = 0, high: int = 100) -> int | None:
    """A single whole rating in [low, high] ("70", "70%", "about 60", "seventy"), else None.
    Several numbers ("60 or 70") are ambiguous and give None so the bot can ask again."""
    cleaned = text.strip().lower()
    numbers = _NUMBER.findall(cleaned)
    if len(numbers) == 1:
        value = float(numbers[0].replace(",", "."))
        if "/" in cleaned and high == 100 and cleaned.endswith("/10"):
            value *= 10
        rounded = round(value)
        return rounded if low <= rounded <= high else None
    if not numbers:
        words = cleaned.strip(" .!%")
        for prefix in ("about ", "around ", "maybe ", "like "):
            words = words.removeprefix(prefix)
        value = _WORDS.get(words)
        if value is not None and low <= value <= high:
            return value
    return None


def out_of_range(text: str, low: int = 0, high: int = 100) -> bool:
    """True when the person typed one number but outside the scale (say 150)."""
    numbers = _NUMBER.findall(text)
    return len(numbers) == 1 and not low <= float(numbers[0].replace(",", ".")) <= high
