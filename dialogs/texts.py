"""The catalogue of everything the bot says, one JSON file per language under texts/."""

from __future__ import annotations

import json
import random
from functools import cache
from importlib import resources


class Catalogue:
    def __init__(self, entries: dict[str, str | list[str]], language: str) -> None:
        self.language = language
        self._entries = entries

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def get(self, key: str, rng: random.Random | None = None, **values: object) -> str:
        """The text for `key`, formatted with `values`. A list entry holds alternative phrasings:
        one is picked with `rng` (a seeded one in tests) so a returning user hears other words."""
        entry = self._entries[key]
        if isinstance(entry, list):
            entry = (rng or random).choice(entry)
        return entry.format(**values) if values else entry

    def variants(self, key: str) -> list[str]:
        entry = self._entries[key]
        return list(entry) if isinstance(entry, list) else [entry]


@cache
def catalogue(language: str = "en") -> Catalogue:
    raw = resources.files("dialogs").joinpath("texts", f"{language}.json").read_text("utf-8")
    return Catalogue(json.loads(raw), language)
