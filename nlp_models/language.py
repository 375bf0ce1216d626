"""Is this message English? The detectors only understand English; another language gets a
kind answer instead of a wrong analysis. A guess from the script and from function words, made
only for messages long enough to tell (names, numbers and one-word answers pass as English)."""

from __future__ import annotations

import json
import re
from functools import cache

from nlp_models.rulebook import PATTERN_DIR

MIN_WORDS = 4
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


@cache
def _lists() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    data = json.loads((PATTERN_DIR / "languages.json").read_text("utf-8"))
    other = {code: frozenset(words) for code, words in data["other"].items()}
    return frozenset(data["english"]), other


def guess_language(text: str) -> str:
    """'en', or 'other' when the message is clearly in another language or script."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    non_latin = sum(1 for c in letters if ord(c) > 0x24F)
    if non_latin / len(letters) > 0.5:
        return "other"
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < MIN_WORDS:
        return "en"
    english, other = _lists()
    en_hits = sum(1 for w in words if w in english)
    best = max(sum(1 for w in words if w in table) for table in other.values())
    return "other" if best >= 2 and best > en_hits else "en"
