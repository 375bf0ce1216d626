"""The text the rules read, and the way back to the person's own characters.

Before anything is matched, a message is normalised so that invisible or look-alike characters
cannot hide a word (a zero-width space inside "kill", a soft hyphen inside "die", a Cyrillic "о"
in "overdose", "k1ll"): Unicode NFKC, zero-width characters and soft hyphens removed, common
look-alike letters of other scripts mapped to Latin inside words written mostly in Latin letters,
digits and symbols used as letters inside a word mapped ("k1ll", "d!e"), curly apostrophes made
straight, and shouted messages lower-cased. Every character of the result remembers the span of
the original it came from, so evidence offsets still point into what the person wrote.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Invisible format characters that can sit inside a word without showing.
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u200b\u200c\u200d"
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067"
    "\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufe00\ufe01\ufe02\ufe03\ufe04"
    "\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c\ufe0d\ufe0e\ufeff\uffa0"
)
# Letters of other scripts that look like Latin ones (Unicode's confusables, the common part).
_LOOKALIKE = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ɡ": "g",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J",
    # Greek
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ζ": "Z",
}  # fmt: skip
# Digits (and "@") written for letters inside a word ("k1ll", "s3lf", "s@d").
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a"}
_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u0060": "'", "\u00b4": "'"}


@dataclass(frozen=True)
class Normalized:
    """`text` for the tokenizer; `starts[i]`/`ends[i]`: the original span of its character i."""

    text: str
    starts: tuple[int, ...]  # empty when the text is the original, character for character
    ends: tuple[int, ...]
    original: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original character span of text[start:end]."""
        if not self.text or end <= start:
            return (0, 0)
        if not self.starts:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha() or "\u00c0" <= ch <= "\u024f"


_LEET_IN_WORD = re.compile(r"[^\W\d_][0-9@]+[^\W\d_]")


def normalize(text: str) -> Normalized:
    if text.isascii() and "`" not in text and not _LEET_IN_WORD.search(text):
        # the common case: nothing to map, offsets are the identity
        return Normalized(_unshout(text), (), (), text)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        if ch in _INVISIBLE:
            continue
        ch = _APOSTROPHES.get(ch, ch)
        if not ch.isascii():
            ch = unicodedata.normalize("NFKC", ch)
        for piece in ch:
            chars.append(piece)
            starts.append(i)
            ends.append(i + 1)
    _map_lookalikes(chars)
    _map_leet(chars)
    return Normalized(_unshout("".join(chars)), tuple(starts), tuple(ends), text)


def _unshout(text: str) -> str:
    """A shouted message in lower case (same length), so the tokenizer's contraction rules
    apply ("IM DONE")."""
    upper = sum(1 for c in text if c.isupper())
    if upper < 4:
        return text
    letters = sum(1 for c in text if c.isalpha())
    if upper / letters > 0.7:
        lowered = text.lower()
        if len(lowered) == len(text):
            return lowered
    return text


def _words(chars: list[str]):
    i, n = 0, len(chars)
    while i < n:
        if chars[i].isspace():
            i += 1
            continue
        j = i
        while j < n and not chars[j].isspace():
            j += 1
        yield i, j
        i = j


def _map_lookalikes(chars: list[str]) -> None:
    """In a word written mostly in Latin letters, map look-alike letters of other scripts; a
    word wholly in Cyrillic or Greek is that language and is left alone."""
    if all(c.isascii() for c in chars):
        return
    for i, j in _words(chars):
        word = chars[i:j]
        if not any(c in _LOOKALIKE for c in word):
            continue
        latin = sum(1 for c in word if _is_latin(c))
        other = sum(1 for c in word if c.isalpha() and not _is_latin(c) and c not in _LOOKALIKE)
        if latin and not other:
            for k in range(i, j):
                chars[k] = _LOOKALIKE.get(chars[k], chars[k])


def _map_leet(chars: list[str]) -> None:
    """A run of digits used as letters between two letters of one word ("k1ll", "s3lf",
    "c00l") stands for letters."""
    n = len(chars)
    k = 1
    while k < n - 1:
        if chars[k] in _LEET and chars[k - 1].isalpha():
            m = k
            while m < n and chars[m] in _LEET:
                m += 1
            if m < n and chars[m].isalpha():
                for q in range(k, m):
                    chars[q] = _LEET[chars[q]]
            k = m
        k += 1
