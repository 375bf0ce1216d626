"""The one rule engine: one pattern language for every rule file, one matcher, one lexicon.

The compiled matcher must find what spaCy's own Matcher finds on the same token patterns: the
same (rule, start) pairs, and only spans the Matcher also finds. Every pattern of every rule file
is checked on sentences written here (spaCy's Matcher cannot see the end of the text, so the
few patterns with IS_SENT_END are left to the risk tests).
"""

from __future__ import annotations

import pytest
from spacy.matcher import Matcher

from nlp_models import get_nlp
from nlp_models.components import rulebook
from nlp_models.fastmatch import RegexMatcher, visible_tokens
from nlp_models.rulebook import PatternError, Shorthand, lexicon

CORPUS = [
    "I never get anything right and nobody listens to me",
    "It doesn't matter what I do, it'll always end the same way",
    "im such a loser lol i cant do anything right anymore",
    "My dad says I'm lazy and he's right",
    "I only passed because the exam was easy, anyone could have done it",
    "There's nothing I can do about the rent going up again",
    "I want to end it all tonight, I have the pills ready",
    "these shoes are killing me, I could die of embarrassment",
    "Next time I'll start earlier, I can ask my sister to help",
    "I used to think I was useless but I don't anymore",
    "no matter how hard I try my boss will never be happy with me",
    "I failed the quiz because I didn't revise, so I keep trying again and it will fail me too",
]


def _docs():
    nlp = get_nlp()
    # symbol-only tokens are invisible to the compiled matcher; the corpus has none
    return [nlp(t) for t in CORPUS]


def _families():
    book = rulebook()
    for fam in book.families:
        for (row_id, part), pats in fam.patterns.items():
            usable = [p for p in pats if not any("IS_SENT_END" in spec for spec in p)]
            if usable:
                yield f"{fam.name}|{row_id}|{part}", usable


def test_compiled_matcher_agrees_with_spacy_matcher_on_every_rule_file():
    nlp = get_nlp()
    strings = nlp.vocab.strings
    reference = Matcher(nlp.vocab)
    mine = RegexMatcher(strings)
    keys = {}
    for key, pats in _families():
        reference.add(key, pats)
        mine.add(key, pats)
        keys[strings.add(key)] = key
    mine.compile()
    assert len(keys) > 350  # every family is in: context, style, traps, risk, exclusions
    assert {k.split("|")[0] for k in keys.values()} == {
        "context",
        "style",
        "traps",
        "risk",
        "riskx",
    }
    for doc in _docs():
        expected = {(m, s, e) for m, s, e in reference(doc)}
        got = set(mine(visible_tokens(doc)))
        assert {(k, s) for k, s, _ in got} == {(k, s) for k, s, _ in expected}, doc.text
        assert got <= expected, doc.text


def test_symbols_are_invisible_to_patterns():
    nlp = get_nlp()
    doc = nlp("i want 😭 to die")
    vis = visible_tokens(doc)
    assert [doc[i].text for i in vis.index] == ["i", "want", "to", "die"]
    assert doc._.risk.level == "crisis"


def test_end_of_sentence_matches_punctuation_and_the_end_of_the_text():
    nlp = get_nlp()
    assert nlp("I just want it all over.")._.risk.level != "none"
    assert nlp("I just want it all over")._.risk.level != "none"
    assert nlp("I just want it all over with so I can sleep")._.risk.level == "none"


@pytest.mark.parametrize(
    "shorthand, expected",
    [
        ("never ever?", [[{"NORM": "never"}, {"NORM": "ever", "OP": "?"}]]),
        ("~ruin everything", [[{"LEMMA": "ruin"}, {"NORM": "everything"}]]),
        (
            "!but|and _{0,2} ever",
            [[{"NORM": {"NOT_IN": ["and", "but"]}}, {"OP": "{0,2}"}, {"NORM": "ever"}]],
        ),  # fmt: skip
        ("[any more|anymore]", [[{"NORM": "anymore"}], [{"NORM": "any"}, {"NORM": "more"}]]),
        (
            "want to die $EOS",
            [[{"NORM": "want"}, {"NORM": "to"}, {"NORM": "die"}, {"IS_SENT_END": True}]],
        ),  # fmt: skip
    ],
)
def test_shorthand_is_a_notation_for_matcher_token_patterns(shorthand, expected):
    assert Shorthand(lexicon()).parse(shorthand) == expected


@pytest.mark.parametrize(
    "bad, complaint",
    [
        ("want||die", "empty alternative"),
        ("don't", "split by the tokenizer"),
        ("$NO_SUCH_LIST die", "unknown word class"),
        ("enough pills to die|to kill", "brackets"),
        ("_?", "no required token"),
        ("Never", "upper case"),
    ],
)
def test_shorthand_mistakes_are_reported(bad, complaint):
    with pytest.raises(PatternError, match=complaint):
        Shorthand(lexicon()).parse(bad)


def test_one_word_list_per_kind():
    """The negation, clause-breaker and subject lists exist once, and every rule family reads
    the same ones (there is no second copy in any rule file)."""
    import json

    book = rulebook()
    for name in ("negation_cue", "clause_breaker", "first_person", "third_person", "connector"):
        assert name in book.lex.lists
    from nlp_models.rulebook import PATTERN_DIR

    for path in PATTERN_DIR.glob("*.json*"):
        if path.name == "lexicon.json":
            continue
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.strip().startswith("{") and '"lists"' in line:
                pytest.fail(f"{path.name} defines word lists of its own")
        if path.suffix == ".json":
            assert "lists" not in json.loads(text), path.name
