"""A token-pattern matcher compiled to Python regular expressions.

spaCy's Matcher checks `IN` word lists with a Python callback per token and per list and builds
Token objects on every call; with a few hundred patterns that cost most of the analysis time.
This matcher supports the subset of the Matcher pattern language the cue files use (LOWER, NORM,
LEMMA as a string or IN / NOT_IN lists, LOWER REGEX, IS_ALPHA, IS_SENT_START and the operators
? * + {n,m}) and gives the same matches for the outermost span at each start.

Each token becomes four characters, one per slot: its LOWER, NORM and LEMMA "signature" (which
word lists of the patterns contain the word) and its flags (alphabetic, sentence start, REGEX
results). The signatures are fixed when the patterns are compiled, so every token test is a
plain character class and a pattern is an ordinary regex over the string of the Doc.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from spacy.attrs import IS_ALPHA, LEMMA, LOWER, NORM, SENT_START
from spacy.tokens import Doc
from spacy.vocab import Vocab

SLOTS = ("LOWER", "NORM", "LEMMA")
# Slot characters come from disjoint ranges of a private-use plane, so a pattern can only match
# at a token boundary.
BASES = (0xF0000, 0xF4000, 0xF8000, 0xFC000)
FLAG_ALPHA, FLAG_SENT_START = 1, 2
MAX_CACHE = 200_000


def _char_class(base: int, ids: Iterable[int]) -> str:
    ids = sorted(set(ids))
    if not ids:
        return "(?!)"
    parts = []
    run_start = prev = ids[0]
    for i in [*ids[1:], None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        lo, hi = chr(base + run_start), chr(base + prev)
        parts.append(re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}")
        if i is not None:
            run_start = prev = i
    return "[" + "".join(parts) + "]"


def _quantifier(op: str | None) -> str:
    if op in (None, "1"):
        return ""
    if op in ("?", "*", "+"):
        return op
    if op.startswith("{") and op.endswith("}"):
        inner = op[1:-1]
        if "," in inner:
            lo, hi = inner.split(",", 1)
            return "{" + (lo.strip() or "0") + "," + hi.strip() + "}"
        return "{" + inner.strip() + "}"
    raise ValueError(f"unsupported operator {op!r}")


class RegexMatcher:
    """Matches patterns added with `add(key, pattern)` after `compile()`."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.patterns: list[tuple[int, list[dict[str, Any]]]] = []
        self.compiled: list[tuple[int, re.Pattern[str]]] = []

    def add(self, key: int, pattern: list[dict[str, Any]]) -> int:
        self.patterns.append((key, pattern))
        return len(self.patterns) - 1

    def compile(self) -> None:
        strings = self.vocab.strings
        # Word lists per slot: every distinct set becomes one class id.
        classes: list[dict[frozenset[str], int]] = [{}, {}, {}]
        regexes: dict[str, int] = {}

        def words(value: Any) -> frozenset[str]:
            return frozenset([value] if isinstance(value, str) else value)

        for _, pattern in self.patterns:
            for spec in pattern:
                for slot, attr in enumerate(SLOTS):
                    value = spec.get(attr)
                    if value is None:
                        continue
                    if isinstance(value, dict):
                        for op, arg in value.items():
                            if op in ("IN", "NOT_IN"):
                                classes[slot].setdefault(words(arg), len(classes[slot]))
                            elif op == "REGEX" and attr == "LOWER":
                                regexes.setdefault(arg, len(regexes))
                            else:
                                raise ValueError(f"unsupported {attr} operator {op!r}")
                    else:
                        classes[slot].setdefault(words(value), len(classes[slot]))
                for key in spec:
                    if key not in (*SLOTS, "OP", "IS_ALPHA", "IS_SENT_START"):
                        raise ValueError(f"unsupported attribute {key!r}")
        # Signature of a word in a slot: the set of class ids containing it; 0 = in none.
        self.slot_maps: list[dict[int, int]] = []
        slot_sigs: list[list[frozenset[int]]] = []
        for slot in range(3):
            member: dict[str, set[int]] = {}
            for wordset, cid in classes[slot].items():
                for w in wordset:
                    member.setdefault(w, set()).add(cid)
            sig_ids: dict[frozenset[int], int] = {frozenset(): 0}
            word_map: dict[int, int] = {}
            for w, cids in member.items():
                sig = frozenset(cids)
                word_map[strings.add(w)] = sig_ids.setdefault(sig, len(sig_ids))
            if len(sig_ids) >= BASES[1] - BASES[0]:
                raise ValueError("too many word-list signatures")
            self.slot_maps.append(word_map)
            slot_sigs.append(sorted(sig_ids, key=sig_ids.__getitem__))
        self.regexes = [(re.compile(r), 1 << (2 + i)) for r, i in regexes.items()]
        n_flags = 1 << (2 + len(regexes))

        def token_regex(spec: dict[str, Any]) -> str:
            out = []
            for slot, attr in enumerate(SLOTS):
                value = spec.get(attr)
                allowed = range(len(slot_sigs[slot]))
                if value is not None:
                    tests = value.items() if isinstance(value, dict) else [("IN", value)]
                    for op, arg in tests:
                        if op == "REGEX":
                            continue
                        cid = classes[slot][words(arg)]
                        want = op == "IN"
                        allowed = [s for s in allowed if (cid in slot_sigs[slot][s]) == want]
                out.append(_char_class(BASES[slot], allowed))
            flags = range(n_flags)
            if "IS_ALPHA" in spec:
                flags = [f for f in flags if bool(f & FLAG_ALPHA) == bool(spec["IS_ALPHA"])]
            if "IS_SENT_START" in spec:
                want = bool(spec["IS_SENT_START"])
                flags = [f for f in flags if bool(f & FLAG_SENT_START) == want]
            lower = spec.get("LOWER")
            if isinstance(lower, dict) and "REGEX" in lower:
                bit = 1 << (2 + regexes[lower["REGEX"]])
                flags = [f for f in flags if f & bit]
            out.append(_char_class(BASES[3], flags))
            return "(?:" + "".join(out) + ")" + _quantifier(spec.get("OP"))

        self.compiled = [
            (key, re.compile("".join(token_regex(spec) for spec in pattern), re.DOTALL))
            for key, pattern in self.patterns
        ]
        self._cache: dict[tuple[int, int, int], str] = {}

    def encode(self, doc: Doc, rows: Any = None) -> str:
        """The Doc as four characters per token (`rows`: its LOWER, NORM, LEMMA, IS_ALPHA,
        SENT_START array when the caller already has it)."""
        cache = self._cache
        if len(cache) > MAX_CACHE:
            cache.clear()
        parts = []
        if rows is None:
            rows = doc.to_array([LOWER, NORM, LEMMA, IS_ALPHA, SENT_START])
        for lower, norm, lemma, alpha, sent_start in rows.tolist():
            key = (lower, norm, lemma)
            head = cache.get(key)
            if head is None:
                head = cache[key] = self._head(lower, norm, lemma)
            flags = ord(head[3]) + (FLAG_ALPHA if alpha else 0)
            if sent_start == 1:
                flags += FLAG_SENT_START
            parts.append(head[:3] + chr(flags))
        if parts and not doc.has_annotation("SENT_START"):
            # A Doc without sentence boundaries still starts a sentence at its first token.
            parts[0] = parts[0][:3] + chr(ord(parts[0][3]) | FLAG_SENT_START)
        return "".join(parts)

    def _head(self, lower: int, norm: int, lemma: int) -> str:
        maps = self.slot_maps
        bits = 0
        if self.regexes:
            text = self.vocab.strings[lower]
            for rx, bit in self.regexes:
                if rx.search(text):
                    bits |= bit
        return (
            chr(BASES[0] + maps[0].get(lower, 0))
            + chr(BASES[1] + maps[1].get(norm, 0))
            + chr(BASES[2] + maps[2].get(lemma, 0))
            + chr(BASES[3] + bits)
        )

    def run(self, encoded: str, indices: Iterable[int]) -> list[tuple[int, int, int]]:
        """(key, start, end) token matches of the given patterns: the longest match at each start."""
        out = []
        compiled = self.compiled
        for index in indices:
            key, rx = compiled[index]
            pos = 0
            search = rx.search
            while True:
                m = search(encoded, pos)
                if m is None:
                    break
                start, end = m.span()
                if end > start:
                    out.append((key, start >> 2, end >> 2))
                pos = start + 4
        return out
