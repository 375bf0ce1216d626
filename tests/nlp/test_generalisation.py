"""Rules for projections, self-causes, feelings vs labels and discounting; sentences written here."""

import pytest
from spacy.matcher import Matcher

from nlp_models import get_nlp
from nlp_models.fastmatch import RegexMatcher


# --- projection of one event onto the future ----------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "My bike got a flat on the way to work. It will happen again next week too",
        "All of my houseplants are going to die",
        "the landlord raised the rent and he'll keep raising it",
        "this pain will continue to follow me for the rest of my life",
    ],
)
def test_projection_onto_the_future_is_permanent(dims, text):
    assert "permanent" in dims(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'll see my cousin again at the wedding and I can't wait, it will be great",
        "We will go to the lake again this summer, it was lovely",
    ],
)
def test_positive_future_is_not_permanent(dims, text):
    assert "permanent" not in dims(text)


def test_someone_elses_hobby_is_not_reported_speech(dims):
    # "writing" is not someone reporting words: the writer's own prediction still counts.
    assert "permanent" in dims(
        "I entered a writing contest and lost, I will never become an author"
    )


# --- whose doing it was -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["The launch slipped a month due to my sloppy planning", "the trip fell apart because of me"],
)
def test_self_as_cause_is_personal(dims, text):
    assert "personal" in dims(text)


def test_outside_cause_is_not_personal(dims):
    assert "personal" not in dims("The picnic was called off due to the storm")


# --- a feeling is not a label -----------------------------------------------------------------------
@pytest.mark.parametrize("text", ["i feel bad", "I am feeling lonely tonight", "im so tired"])
def test_feeling_states_are_not_labels(traps, text):
    assert "labeling" not in traps(text)


@pytest.mark.parametrize(
    "text",
    ["I would make a terrible nurse", "I'm not a good father", "im too dumb to be a pilot"],
)
def test_self_verdicts_are_labels(traps, dims, text):
    assert "labeling" in traps(text)
    assert "personal" in dims(text)


# --- discounting the positive -----------------------------------------------------------------------
def test_dismissing_praise_is_discounting(traps):
    text = "My team loved the slides I made, but anyone with a laptop could have done them"
    assert "discounting_positive" in traps(text)


@pytest.mark.parametrize("text", ["Anyone can learn to swim", "anyone could join the club"])
def test_neutral_any_is_not_discounting(traps, text):
    assert "discounting_positive" not in traps(text)


# --- the compiled matcher gives the Matcher's outermost matches -------------------------------------
PATTERNS = {
    "opt": [{"LOWER": "not", "OP": "?"}, {"LEMMA": {"IN": ["fail", "lose"]}}],
    "star": [{"NORM": "i"}, {"IS_ALPHA": True, "OP": "*"}, {"LOWER": {"REGEX": "ing$"}}],
    "notin": [{"LOWER": {"NOT_IN": ["the", "a"]}, "IS_ALPHA": True}, {"LOWER": "again"}],
    "range": [{"LOWER": "will"}, {"IS_ALPHA": True, "OP": "{,2}"}, {"LOWER": "too"}],
    "start": [{"IS_SENT_START": True, "LOWER": "so"}],
}


@pytest.mark.parametrize(
    "text",
    [
        "I did not fail, I lost. So I keep trying again and it will fail me too",
        "So they will lose again too. I am going home",
        "",
    ],
)
def test_regex_matcher_agrees_with_spacy(text):
    nlp = get_nlp()
    doc = nlp(text)
    reference = Matcher(nlp.vocab)
    mine = RegexMatcher(nlp.vocab)
    for name, pattern in PATTERNS.items():
        key = nlp.vocab.strings.add(name)
        reference.add(name, [pattern])
        mine.add(key, pattern)
    mine.compile()

    def outermost(matches):
        kept, last = set(), {}
        for key, start, end in sorted(matches, key=lambda m: (m[0], m[1], -m[2])):
            if end <= last.get(key, -1):
                continue
            last[key] = end
            kept.add((key, start, end))
        return kept

    expected = outermost(reference(doc)) if len(doc) else set()
    got = outermost(mine.run(mine.encode(doc), range(len(PATTERNS))))
    assert got == expected
