"""Is a clause about something bad, good or neither? The event test that comes before any rating.

Each sentiment word counts -1 or +1. A negation ("not", "never", "nobody", "nothing" ...) turns
the desirable words after it in its clause into bad news ("nothing goes right", "he never
listens", "I'll never get this job"), while a bad word stays bad unless the negation is right
before it ("not bad", "never gave up"): in "I'll never get out of debt" the debt is still bad.
Context marks (patterns/context.jsonl) read phrases as negative, positive or neutral whatever
their words ("let me down", "can't wait", "feel like going").
A neutral clause reads in the light of its sentence, and a neutral sentence in the light of the
whole message ("I got a bad grade. I'll fail all my tests").
"""

from __future__ import annotations

from dataclasses import dataclass

from nlp_models.context import Context

DIRECT = 2  # a bad word is negated only by a negation at most this many tokens before it


@dataclass
class Valence:
    clause: list[int]  # score per clause id
    sentence: list[int]  # score per sentence id
    message: int
    negative_tokens: list[bool]
    positive_tokens: list[bool]

    def of(self, ctx: Context, i: int) -> int:
        """The polarity a token's clause reads with (its sentence's, then the message's when
        the clause is neutral)."""
        return self.clause[ctx.clause[i]] or self.sentence[ctx.sent[i]] or self.message

    def clause_or_sentence(self, ctx: Context, i: int) -> int:
        return self.clause[ctx.clause[i]] or self.sentence[ctx.sent[i]]


NEUTRAL_SCOPES = ("time_limited", "reported", "past_belief", "taken_on")


def valence(
    ctx: Context, marks: list[tuple[str, int, int]], neutral: tuple[str, ...] = NEUTRAL_SCOPES
) -> Valence:
    lex = ctx.lex
    negative, positive = lex["negative"], lex["positive"]
    desirable = lex["desirable"]
    flippers = lex["polarity_flipper"] | lex["negation_cue"]
    n = ctx.n
    neg = [False] * n
    pos = [False] * n
    want = [False] * n
    for i in range(n):
        lemma, norm = ctx.lemmas[i], ctx.norms[i]
        if lemma in negative or norm in negative:
            neg[i] = True
        elif lemma in positive or norm in positive:
            pos[i] = True
        if lemma in desirable or norm in desirable:
            want[i] = True
    fixed: dict[int, int] = {}
    for category, s, e in marks:
        value = {"negative": -1, "positive": 1, "neutral": 0}[category]
        for i in range(s, e):
            fixed[i] = value
    # Pseudo-negations ("no one", "not even") are negations here ("no one listens", "I don't
    # even enjoy it"); only phrases that negate nothing ("no matter", "can't wait") are not.
    flip = [ctx.norms[i] in flippers and i not in ctx.not_flipper_tokens for i in range(n)]
    # the words of a time limit, of reported speech or of agreeing with it carry no feeling
    # ("right now", "and he's right")
    for category in neutral:
        for _, _, s, e in ctx.scopes.get(category, ()):
            for i in range(s, e):
                fixed.setdefault(i, 0)

    clause_scores = [0] * len(ctx.clause_bounds)
    # Emoji are invisible to the patterns but carry feeling: each counts for the clause of the
    # word before it (or the first clause).
    vis_index = ctx.vis.index
    if n and len(vis_index) < len(ctx.doc):
        k = 0
        for i, tok in enumerate(ctx.doc):
            while k + 1 < n and vis_index[k + 1] <= i:
                k += 1
            if i == vis_index[k] or tok.is_space:
                continue
            text = tok.text
            if text in negative:
                clause_scores[ctx.clause[k]] -= 1
            elif text in positive:
                clause_scores[ctx.clause[k]] += 1
    for cid, (lo, hi) in enumerate(ctx.clause_bounds):
        score = clause_scores[cid]
        last_flip = -100
        marked_done: set[int] = set()
        for i in range(lo, hi):
            if i in fixed:
                # a marked phrase counts once, at its first token
                start = i
                while start - 1 >= lo and start - 1 in fixed and fixed[start - 1] == fixed[i]:
                    start -= 1
                if start not in marked_done:
                    marked_done.add(start)
                    value = fixed[i]
                    if last_flip >= lo and (value > 0 or start - last_flip <= DIRECT):
                        value = -value
                    score += value
                if flip[i]:
                    last_flip = i  # "not good enough": the negation inside reaches on
                continue
            if flip[i]:
                # "can't", "couldn't": not being able is bad news by itself
                if (
                    lo < i < hi - 1
                    and ctx.norms[i - 1] in ("can", "could", "ca")
                    and fixed.get(i + 1, 0) <= 0
                ):
                    score -= 1
                last_flip = i
                continue
            negated = last_flip >= lo
            if neg[i]:
                score += 1 if negated and i - last_flip <= DIRECT else -1
            elif pos[i] or want[i]:
                if negated:
                    score -= 1
                elif pos[i]:
                    score += 1
        clause_scores[cid] = score
    sent_scores = [0] * len(ctx.sent_bounds)
    for cid, (lo, _) in enumerate(ctx.clause_bounds):
        sent_scores[ctx.sent[lo]] += clause_scores[cid]
    negative_tokens = [neg[i] or fixed.get(i) == -1 for i in range(n)]
    positive_tokens = [pos[i] or fixed.get(i) == 1 for i in range(n)]
    return Valence(clause_scores, sent_scores, sum(sent_scores), negative_tokens, positive_tokens)
