"""Rules for projections, self-causes, feelings vs labels and discounting; sentences written here."""

import pytest


# --- projection of one event onto the future ----------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "My bike got a flat on the way to work. It will happen again next week too",
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
@pytest.mark.parametrize("text", ["the trip fell apart because of me", "it's all on me"])
def test_self_as_cause_is_personal(dims, text):
    assert "personal" in dims(text)


def test_one_sloppy_act_is_behavioural_not_personal(dims):
    # guide rule 6: a specific, changeable act is behavioural self-attribution
    assert "personal" not in dims("The launch slipped a month due to my sloppy planning")


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
