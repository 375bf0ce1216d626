"""The cases simple keyword lists get wrong; every sentence here is written for these tests."""

import pytest


# --- negation and contrast ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "it's not always like this",
        "Things are not always going to be this hard",
        "I don't always forget my keys",
        "Not everyone at school ignores me",
    ],
)
def test_negated_quantifier_is_not_permanent_or_pervasive(dims, traps, text):
    assert not dims(text) & {"permanent", "pervasive"}
    assert "overgeneralization" not in traps(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm not useless, I just need practice",
        "I am not a failure, I am learning",
        "I don't think I'm stupid",
    ],
)
def test_negated_label_is_not_labeling(traps, dims, text):
    assert "labeling" not in traps(text)
    assert "personal" not in dims(text)


@pytest.mark.parametrize("text", ["I never gave up", "I never quit when it gets hard"])
def test_never_with_a_positive_outcome(dims, traps, text):
    assert "permanent" not in dims(text)
    assert not traps(text)


def test_the_same_words_without_negation_are_found(dims, traps):
    assert {"permanent", "pervasive"} <= dims("it's always like this, everything goes wrong")
    assert "labeling" in traps("I'm useless")
    assert "permanent" in dims("I will never get better at this")


# --- positive or neutral use of the same words ----------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "I always enjoy my morning coffee",
        "everyone at the party was friendly",
        "nothing is impossible",
        "Everything went well at the interview",
        "My grandmother always makes the best soup",
        "Nobody was hurt in the accident",
    ],
)
def test_positive_or_neutral_use(dims, traps, text):
    assert not dims(text) & {"permanent", "pervasive"}
    assert not traps(text) & {"overgeneralization", "all_or_nothing", "catastrophizing"}


@pytest.mark.parametrize(
    "text",
    ["I always ruin the mood", "everyone ignores me", "nothing ever works out"],
)
def test_negative_use_of_the_same_words(dims, text):
    assert dims(text) & {"permanent", "pervasive"}


# --- whose explanation it is ------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "my friend says she always fails",
        "My brother said he is a total failure",
        "my coworker keeps telling everyone that nothing ever works for him",
    ],
)
def test_reported_words_of_someone_else(dims, traps, text):
    assert not dims(text)
    assert not traps(text) & {"labeling", "overgeneralization"}


@pytest.mark.parametrize(
    "text",
    ["I always fail", "I am a total failure", "people like me never get a fair chance"],
)
def test_the_writers_own_explanation(dims, text):
    assert dims(text) & {"permanent", "pervasive"}


def test_people_like_me_is_personal(dims):
    assert "personal" in dims("people like me never get hired")


def test_writer_telling_someone_is_still_the_writer(dims):
    assert "permanent" in dims("I told my sister I always mess up")


# what the writer says another person thinks is the writer reading their mind; what the person
# said or wrote is not
@pytest.mark.parametrize(
    "text",
    [
        "my manager is thinking I messed it all up",
        "The neighbours believe I am a terrible father",
        "my sister doesn't like the way I talk",
        "My coach thinks I'm not good enough for the team",
    ],
)
def test_another_persons_negative_belief_is_mind_reading(traps, dims, text):
    assert "mind_reading" in traps(text)
    assert not dims(text) & {"permanent", "pervasive"}  # still not the writer's explanation


@pytest.mark.parametrize(
    "text",
    [
        "my manager told me she thinks I messed it all up",
        "my coach texted that he thinks I'm not good enough",
        "My coach thinks I'm ready for the team",
        "Grandad believes I can pass the test",
    ],
)
def test_said_words_or_a_kind_belief_are_not_mind_reading(traps, text):
    assert "mind_reading" not in traps(text)


def test_the_ones_to_blame(traps):
    assert "blaming" in traps("my teachers are the ones to blame for my grades")
    assert "blaming" not in traps("my teachers are not the ones to blame")
    assert "blaming" not in traps("my teachers are the ones who helped")


# --- external vs internal causes -------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "the train was late so I missed it",
        "The bus broke down and I missed my interview",
        "I lost the file because the computer crashed",
        "It wasn't my fault, the power went out",
    ],
)
def test_external_cause_is_not_personal(dims, traps, text):
    assert "personal" not in dims(text)
    assert "personalization" not in traps(text)


@pytest.mark.parametrize(
    "text",
    [
        "we lost because of me",
        "It's all my fault that the party was a mess",
        "They left early, it's because I'm boring",
        "I ruin everything",
    ],
)
def test_internal_cause_is_personal(dims, text):
    assert "personal" in dims(text)


def test_self_blame_is_personalization(traps):
    assert "personalization" in traps("we lost because of me")
    assert "personalization" in traps("my sister is upset and it's all my fault")


def test_someone_elses_fault_is_blaming(traps, dims):
    assert "blaming" in traps("it's all his fault that we lost")
    assert "personal" not in dims("it's all his fault that we lost")


# --- time-limited vs permanent ---------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "I'm so stupid today",
        "I was a mess this week",
        "I messed up this time",
        "I feel like a failure right now",
    ],
)
def test_time_limited_is_not_permanent(dims, text):
    assert "permanent" not in dims(text)


@pytest.mark.parametrize(
    "text",
    [
        "I always mess up",
        "I will never be good at this",
        "I'll be alone forever",
        "I can't do anything right anymore",
        "It won't ever get better",
        "I am never going to find a job ever again",
    ],
)
def test_permanent_markers(dims, text):
    assert "permanent" in dims(text)


def test_time_limit_does_not_hide_a_strong_marker(dims):
    assert "permanent" in dims("I failed the test today, I'll never pass anything")


# --- chat spelling ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "im such a loser",
        "IM SUCH A LOSER",
        "i'm such a loser 😭",
        "im such a loser i cant do anything right",
        "Im such a loser lol",
    ],
)
def test_chat_spelling_labels(traps, dims, text):
    assert "labeling" in traps(text)
    assert "personal" in dims(text)


@pytest.mark.parametrize(
    "text",
    [
        "its always gonna be like this",
        "nobody ever txts me back 😢",
        "i dont think ill ever be happy",
        "I NEVER DO ANYTHING RIGHT",
        "everything i do goes wrong i hate it",
    ],
)
def test_chat_spelling_dimensions(dims, text):
    assert dims(text) & {"permanent", "pervasive"}


def test_no_apostrophe_negation_still_negates(dims, traps):
    assert "labeling" not in traps("im not stupid i just need sleep")
    assert "permanent" not in dims("its not always this bad")


# --- each distortion has at least one clear case ---------------------------------------------
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("If I don't get a perfect score the whole year is wasted", "all_or_nothing"),
        ("I burnt the toast again, I always mess everything up", "overgeneralization"),
        ("I forgot her birthday, I'm a terrible friend", "labeling"),
        ("I just know I'll fail the exam tomorrow", "fortune_telling"),
        ("My coworkers probably think I'm lazy", "mind_reading"),
        ("I feel like a fraud so I must be one", "emotional_reasoning"),
        ("I should be able to handle this without help", "should_statements"),
        ("My son failed his test and it's all my fault", "personalization"),
        ("I got promoted but it was just luck", "discounting_positive"),
        ("If I lose this job I'll end up homeless", "catastrophizing"),
        ("The all I can think about is the one mistake I made", "mental_filter"),
        ("It's all my boss's fault, he ruined my career", "blaming"),
        ("Everyone else my age is married and I'm still alone", "comparing"),
    ],
)
def test_each_distortion(traps, text, label):
    assert label in traps(text)


@pytest.mark.parametrize(
    "text",
    [
        "I had pasta for dinner",
        "Can you remind me to call the dentist tomorrow?",
        "The meeting moved to Thursday",
        "I went for a walk and it was nice",
        "ok",
    ],
)
def test_plain_messages_have_no_distortion(traps, text):
    assert not traps(text)
