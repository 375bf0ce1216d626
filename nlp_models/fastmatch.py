"""spaCy Matcher token patterns, compiled to Python regular expressions.

spaCy's `Matcher` tests `IN` word lists with a Python callback per token and per list; with the
two thousand patterns of this package that costs 1.4 ms on a 20-word message for the explanation
rules alone (measured against 0.07 ms here), and a bot must also read 4,000-character messages
for risk. This matcher takes the same token patterns (LOWER, NORM, LEMMA as a string, IN /
NOT_IN lists or REGEX; IS_ALPHA, IS_PUNCT, IS_SENT_START; the operators ? * + {n,m}; `{}` for any
token) plus IS_SENT_END, and a test checks it against spaCy's Matcher on every rule file.

A message becomes one string: per visible token, its LOWER and LEMMA "signatures" (which word
lists of the patterns hold the word, one private-use character each), a character of flags
(alphabetic, punctuation, sentence start and end, REGEX results), then the token's norm text and
a separator. A NORM test is a trie of the words it allows, matched against the norm text; the
other tests are character classes. A pattern is then an ordinary regex over that string.

Symbol-only tokens (emoji, emoticons) are invisible to the patterns: they neither break a phrase
nor fill a gap. A virtual token after the last one is the end of the text (IS_SENT_END).

A pattern is only run when the message holds one word of each of its required tokens (an index
from words to patterns, and a bit mask for the other required tokens), so most are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from spacy.attrs import IS_ALPHA, IS_DIGIT, IS_PUNCT, LEMMA, LOWER, NORM, SENT_START
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.strings import StringStore

# LOWER and LEMMA signatures, the flags and the REGEX results, each from its own private-use
# range. The flags are four bits; the virtual end token has a flag value of its own (END), so
# only IS_SENT_END tests can match it.
LOWER_BASE, LEMMA_BASE, NORM_BASE, FLAG_BASE, RX_BASE = 0xF0000, 0xF3000, 0xF6000, 0xF9000, 0xFC000
RANGE = 0x3000
# A NORM test on a list longer than this is a signature class, a shorter one a trie of words.
BIG_LIST = 6
SEP = "\x1f"  # ends each token's norm text
FLAG_ALPHA, FLAG_PUNCT, FLAG_SENT_START, FLAG_SENT_END, FLAG_END = 1, 2, 4, 8, 16
N_FLAGS = 16  # the values of real tokens' flags
MAX_CACHE = 200_000
_BOOL_ATTRS = {
    "IS_ALPHA": FLAG_ALPHA,
    "IS_PUNCT": FLAG_PUNCT,
    "IS_SENT_START": FLAG_SENT_START,
    "IS_SENT_END": FLAG_SENT_END,
}
_SIG_SLOTS = {"LOWER": (0, LOWER_BASE), "LEMMA": (1, LEMMA_BASE), "NORM": (2, NORM_BASE)}
_END_CHARS = frozenset(".!?…")
_UNSAFE = re.compile(f"[{SEP}\U000f0000-\U0010ffff]")


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


def trie_regex(words: Iterable[str]) -> str:
    """An alternation of words as a prefix trie: the regex engine then tries each character
    once instead of each word in turn."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


def _quantifier(op: str | None) -> str:
    if op in (None, "", "1"):
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


def _words(value: Any) -> frozenset[str]:
    return frozenset([value] if isinstance(value, str) else value)


class Visible:
    """The tokens the patterns see, as arrays: their strings per slot, flags, and the index of
    each in the Doc."""

    __slots__ = ("index", "lower", "norm", "lemma", "flags")

    def __init__(self, index, lower, norm, lemma, flags) -> None:
        self.index: list[int] = index
        self.lower: list[int] = lower
        self.norm: list[int] = norm
        self.lemma: list[int] = lemma
        self.flags: list[int] = flags

    def __len__(self) -> int:
        return len(self.index)


def visible_tokens(doc) -> Visible:
    """The Doc's tokens without the symbol-only ones (and spaces other than line breaks),
    with their flags."""
    index, lower, norm, lemma, flags = [], [], [], [], []
    rows = doc.to_array([LOWER, NORM, LEMMA, IS_ALPHA, IS_PUNCT, IS_DIGIT, SENT_START]).tolist()
    for i, (lo, nm, lm, alpha, punct, digit, sent_start) in enumerate(rows):
        f = 0
        if alpha:
            f = FLAG_ALPHA
        else:
            text = doc[i].text
            if "\n" in text:
                f = FLAG_SENT_END
            elif punct:
                f = FLAG_PUNCT | (FLAG_SENT_END if set(text) <= _END_CHARS else 0)
            elif not digit and not any(c.isalnum() for c in text):
                continue  # emoji, emoticons, other spaces
        if sent_start == 1 or not index:
            f |= FLAG_SENT_START
        index.append(i)
        lower.append(lo)
        norm.append(nm)
        lemma.append(lm)
        flags.append(f)
    return Visible(index, lower, norm, lemma, flags)


class RegexMatcher:
    """Matches the patterns added with `add(key, patterns)` after `compile()`."""

    def __init__(self, strings: StringStore, common_words: Iterable[str] = ()) -> None:
        self.strings = strings
        self.common = frozenset(common_words)
        self.patterns: list[tuple[int, list[dict[str, Any]]]] = []

    def add(self, key: str, patterns: Sequence[list[dict[str, Any]]]) -> None:
        key_id = self.strings.add(key)
        for pattern in patterns:
            self.patterns.append((key_id, pattern))

    # -- compiling -------------------------------------------------------------------------------
    def compile(self) -> None:
        strings = self.strings
        # word lists tested on LOWER and LEMMA, each an id per slot; REGEX tests, a flag bit each
        classes: list[dict[frozenset[str], int]] = [{}, {}, {}]
        regexes: dict[tuple[str, str], int] = {}
        for _, pattern in self.patterns:
            for spec in pattern:
                for key in spec:
                    if key not in ("LOWER", "NORM", "LEMMA", "OP", *_BOOL_ATTRS):
                        raise ValueError(f"unsupported attribute {key!r}")
                for attr in ("LOWER", "NORM", "LEMMA"):
                    value = spec.get(attr)
                    if value is None:
                        continue
                    tests = value.items() if isinstance(value, dict) else [("IN", value)]
                    for op, arg in tests:
                        if op == "REGEX":
                            regexes.setdefault((attr, arg), len(regexes))
                        elif op not in ("IN", "NOT_IN"):
                            raise ValueError(f"unsupported {attr} operator {op!r}")
                        elif attr != "NORM" or len(_words(arg)) > BIG_LIST:
                            slot = _SIG_SLOTS[attr][0]
                            classes[slot].setdefault(_words(arg), len(classes[slot]))
        self.slot_maps: list[dict[int, int]] = []
        slot_sigs: list[list[frozenset[int]]] = []
        for slot in range(3):
            member: dict[str, set[int]] = {}
            for wordset, cid in classes[slot].items():
                for w in wordset:
                    member.setdefault(w, set()).add(cid)
            # Numbered so that the members of the biggest lists sit next to each other: a test
            # on a big list is then a few character ranges.
            size = {cid: len(ws) for ws, cid in classes[slot].items()}
            rank = {c: i for i, c in enumerate(sorted(size, key=lambda c: -size[c]))}
            distinct = sorted({frozenset(c) for c in member.values()},
                              key=lambda sig: sorted(rank[c] for c in sig))  # fmt: skip
            sig_ids = {frozenset(): 0} | {sig: i + 1 for i, sig in enumerate(distinct)}
            if len(sig_ids) >= RANGE:
                raise ValueError("too many word-list signatures")
            self.slot_maps.append(
                {strings.add(w): sig_ids[frozenset(c)] for w, c in member.items()}
            )
            slot_sigs.append(sorted(sig_ids, key=sig_ids.__getitem__))
        self.regexes = [(attr, re.compile(rx), 1 << i) for (attr, rx), i in regexes.items()]
        n_rx = 1 << len(regexes)
        if n_rx >= RANGE:
            raise ValueError("too many REGEX tests")
        any_rx = f"[{chr(RX_BASE)}-{chr(RX_BASE + n_rx - 1)}]"
        any_norm = f"[^{SEP}]*{SEP}"
        tries: dict[frozenset[str], str] = {}

        def trie(words: frozenset[str]) -> str:
            hit = tries.get(words)
            if hit is None:
                hit = tries[words] = trie_regex(words)
            return hit

        def build(spec: dict[str, Any]) -> str:
            out = []
            flags: Iterable[int] = range(N_FLAGS)
            rx_values: Iterable[int] | None = None
            norm_re = any_norm
            for attr, (slot, base) in _SIG_SLOTS.items():
                value = spec.get(attr)
                allowed: Iterable[int] = range(len(slot_sigs[slot]))
                if value is not None:
                    tests = value.items() if isinstance(value, dict) else [("IN", value)]
                    for op, arg in tests:
                        if attr == "NORM" and op != "REGEX" and len(_words(arg)) <= BIG_LIST:
                            words = trie(_words(arg))
                            norm_re = (
                                f"(?:{words}){SEP}" if op == "IN"
                                else f"(?!(?:{words}){SEP}){any_norm}"
                            )  # fmt: skip
                            continue
                        if op == "REGEX":
                            bit = 1 << regexes[(attr, arg)]
                            rx_values = [v for v in (rx_values or range(n_rx)) if v & bit]
                            continue
                        cid = classes[slot][_words(arg)]
                        want = op == "IN"
                        allowed = [s for s in allowed if (cid in slot_sigs[slot][s]) == want]
                    out.append(_char_class(base, allowed))
                else:
                    out.append(f"[{chr(base)}-{chr(base + RANGE - 1)}]")
            for attr, bit in _BOOL_ATTRS.items():
                if attr in spec:
                    want = bool(spec[attr])
                    flags = [f for f in flags if bool(f & bit) == want]
            flags = list(flags)
            if spec.get("IS_SENT_END"):
                flags.append(FLAG_END)  # $EOS also matches the end of the text
            out.append(_char_class(FLAG_BASE, flags))
            out.append(any_rx if rx_values is None else _char_class(RX_BASE, rx_values))
            out.append(norm_re)
            return "(?:" + "".join(out) + ")" + _quantifier(spec.get("OP"))

        cache: dict[str, str] = {}

        def token_regex(spec: dict[str, Any]) -> str:
            key = repr(sorted(spec.items()))
            hit = cache.get(key)
            if hit is None:
                hit = cache[key] = build(spec)
            return hit

        # Patterns of one key with the same gate share one regex (an alternation).
        groups: dict[tuple[int, tuple[frozenset[int], ...]], list[str]] = {}
        for key, pattern in self.patterns:
            body = "".join(token_regex(spec) for spec in pattern)
            groups.setdefault((key, self._required(pattern)), []).append(body)
        self.compiled: list[tuple[int, re.Pattern[str]]] = []
        self.always: list[int] = []
        self.by_word: dict[int, list[int]] = {}
        self.need_mask: list[int] = []
        bits: dict[frozenset[int], int] = {}
        start = f"(?<![^{SEP}\x1e])"  # a token starts after a separator or at the start
        for (key, required), bodies in groups.items():
            index = len(self.compiled)
            # Lookahead at every token start: overlapping matches are all found.
            self.compiled.append((key, re.compile(start + "(?=(" + "|".join(bodies) + "))")))
            if not required:
                self.always.append(index)
                self.need_mask.append(0)
                continue
            mask = 0
            for words in required[1:]:
                mask |= bits.setdefault(words, 1 << len(bits))
            self.need_mask.append(mask)
            for word in required[0]:
                self.by_word.setdefault(word, []).append(index)
        self.word_bits: dict[int, int] = {}
        for words, bit in bits.items():
            for word in words:
                self.word_bits[word] = self.word_bits.get(word, 0) | bit
        self._cache: dict[tuple[int, int, int], str] = {}

    def _required(self, pattern: list[dict[str, Any]]) -> tuple[frozenset[int], ...]:
        """String ids of the words of each required token, cheapest first: a match needs one
        word of every set in the message (a stop word is costly, a very common word more)."""
        found: list[tuple[float, frozenset[int]]] = []
        for spec in pattern:
            op = spec.get("OP")
            if op in ("?", "*") or (isinstance(op, str) and op.startswith(("{0", "{,"))):
                continue
            for attr in ("LOWER", "NORM", "LEMMA"):
                value = spec.get(attr)
                if isinstance(value, str):
                    words = {value}
                elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                    words = set(value["IN"])
                else:
                    continue
                cost = sum(
                    100 if w in self.common else 3 if w in STOP_WORDS else 0.1 for w in words
                )
                found.append((cost, frozenset(self.strings.add(w) for w in words)))
        found.sort(key=lambda item: item[0])
        return tuple(words for _, words in found)

    # -- matching ----------------------------------------------------------------------------
    def encode(self, vis: Visible) -> tuple[str, dict[int, int]]:
        """The message as one string, and the token index at each token's first character
        (and at the end of the last)."""
        cache = self._cache
        if len(cache) > MAX_CACHE:
            cache.clear()
        parts = ["\x1e"]
        starts: dict[int, int] = {}
        pos = 1
        for k, (lower, norm, lemma, flags) in enumerate(
            zip(vis.lower, vis.norm, vis.lemma, vis.flags, strict=True)
        ):
            key = (lower, norm, lemma)
            head = cache.get(key)
            if head is None:
                head = cache[key] = self._head(lower, norm, lemma)
            piece = head[:3] + chr(ord(head[3]) | flags) + head[4:]
            starts[pos] = k
            parts.append(piece)
            pos += len(piece)
        starts[pos] = len(vis)
        parts.append(chr(LOWER_BASE) + chr(LEMMA_BASE) + chr(NORM_BASE)
                     + chr(FLAG_BASE + FLAG_END) + chr(RX_BASE) + SEP)  # fmt: skip
        starts[pos + 6] = len(vis) + 1
        return "".join(parts), starts

    def _head(self, lower: int, norm: int, lemma: int) -> str:
        bits = 0
        if self.regexes:
            texts = {"LOWER": lower, "NORM": norm, "LEMMA": lemma}
            for attr, rx, bit in self.regexes:
                if rx.search(self.strings[texts[attr]]):
                    bits |= bit
        text = _UNSAFE.sub("", self.strings[norm]) if norm else ""
        return (
            chr(LOWER_BASE + self.slot_maps[0].get(lower, 0))
            + chr(LEMMA_BASE + self.slot_maps[1].get(lemma, 0))
            + chr(NORM_BASE + self.slot_maps[2].get(norm, 0))
            + chr(FLAG_BASE)
            + chr(RX_BASE + bits)
            + text
            + SEP
        )

    def active(self, vis: Visible) -> list[int]:
        """The compiled regexes whose required words all occur."""
        present = set(vis.lower) | set(vis.norm) | set(vis.lemma)
        active: set[int] = set(self.always)
        by_word = self.by_word
        for word in present:
            hit = by_word.get(word)
            if hit:
                active.update(hit)
        if not active:
            return []
        have = 0
        word_bits = self.word_bits
        for word in present:
            have |= word_bits.get(word, 0)
        need = self.need_mask
        return sorted(i for i in active if need[i] & have == need[i])

    def __call__(self, vis: Visible) -> list[tuple[int, int, int]]:
        """(key, start, end) of every match, in visible-token offsets; all overlapping matches,
        the longest at each start per regex. A match reaching the virtual end token stops at
        the last real token."""
        indices = self.active(vis)
        if not indices:
            return []
        encoded, starts = self.encode(vis)
        n = len(vis)
        out = []
        for index in indices:
            key, rx = self.compiled[index]
            for m in rx.finditer(encoded):
                start, end = starts[m.start(1)], starts[m.end(1)]
                end = min(end, n)
                if end > start:
                    out.append((key, start, end))
        return out
