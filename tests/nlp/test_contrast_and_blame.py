"""Dismissed successes, one flaw over the whole, blame, labels of others; sentences written here."""

import pytest
import spacy

from nlp_models import get_nlp


# --- discounting the positive -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "My poster won a prize at the fair, but anyone with scissors could have made it",
        "I passed the driving test, but so did half of my class",
        "The bread came out great but the recipe was really simple",
        "I beat my brother at chess, it was just beginner's luck",
        # someone else's praise, then the writer's own dismissal after "but"
        "My coach says I played well, but anyone could have scored that goal",
    ],
)
def test_dismissed_success_is_discounting(traps, text):
    assert "discounting_positive" in traps(text)


@pytest.mark.parametrize(
    "text",
    [
        "I failed the quiz, but anyone can fail a quiz sometimes",
        "Anyone could join the choir, so I signed up",
        "My coach says anyone could have scored that goal",
    ],
)
def test_kind_or_neutral_any_is_not_discounting(traps, text):
    assert "discounting_positive" not in traps(text)


# --- mental filter ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Sure, the concert was amazing, but the seats were awful",
        "Although the hotel was lovely, the pool was dirty and cold",
        "The wedding was beautiful but I wish the band had been better",
    ],
)
def test_one_flaw_over_the_whole_is_mental_filter(traps, text):
    assert "mental_filter" in traps(text)


@pytest.mark.parametrize(
    "text",
    [
        "Sure, I can help you move on Sunday",
        "Although I was nervous, the talk went well",
        "Although it rained, we had a lovely picnic",
    ],
)
def test_concession_towards_the_good_is_not_mental_filter(traps, text):
    assert "mental_filter" not in traps(text)


# --- blaming ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "My parents are to blame for how shy I am",
        "Why can't they ever listen to a single word",
        "stop making me feel like an idiot",
    ],
)
def test_blame_on_others(traps, text):
    assert "blaming" in traps(text)


@pytest.mark.parametrize(
    "text", ["Nobody is to blame for the storm", "Why did they move the meeting to Friday?"]
)
def test_no_one_blamed(traps, text):
    assert "blaming" not in traps(text)


# --- labels of other people and global self-verdicts -------------------------------------------------
def test_label_of_someone_else_is_labeling_not_the_writers_style(traps, dims):
    # guide rule 8: an outside cause is neither personal nor the writer's pervasiveness
    text = "She is so inconsiderate"
    assert "labeling" in traps(text)
    assert not dims(text) & {"pervasive", "personal"}


@pytest.mark.parametrize("text", ["She is so tired", "He is so excited about the trip"])
def test_someone_elses_state_is_not_a_label(traps, text):
    assert "labeling" not in traps(text)


@pytest.mark.parametrize("text", ["I have no discipline", "i just lack any confidence"])
def test_missing_trait_is_global_and_personal(dims, text):
    assert {"pervasive", "personal"} <= dims(text)


@pytest.mark.parametrize("text", ["I have no milk left", "We have no plans for Sunday"])
def test_missing_thing_is_not_global(dims, text):
    assert "pervasive" not in dims(text)


def test_not_trait_enough_is_a_label(traps):
    assert "labeling" in traps("I'm not disciplined enough to run a business")
    assert "labeling" not in traps("I'm not old enough to vote")


# --- fragments and time limits ----------------------------------------------------------------------
def test_prediction_without_subject(traps):
    assert "fortune_telling" in traps("going to mess up my interview")
    assert not traps("going to the gym later")


def test_time_limit_stays_in_its_clause(dims, traps):
    # "every plant" is no time word (guide rule 4), but it overgeneralises; "last week" limits
    # only its own clause
    assert "overgeneralization" in traps("My fern died last week and now every plant I buy dies")
    assert "permanent" in dims("My fern died last week and now I'll never keep a plant alive")
    assert "permanent" not in dims("My fern died last week")


def test_one_day_in_the_future_is_not_a_time_limit(dims):
    assert "permanent" in dims("I keep tripping on the stairs, one day I will never walk again")


@pytest.mark.parametrize(
    "text",
    ["I feel guilty, so I must have done something wrong", "i feel ugly therefore i am ugly"],
)
def test_feeling_as_evidence(traps, text):
    assert "emotional_reasoning" in traps(text)


def test_feeling_with_a_plan_is_not_emotional_reasoning(traps):
    assert "emotional_reasoning" not in traps("I feel tired, so I'm going to bed early")


@pytest.mark.parametrize(
    "text", ["I forgot her name at dinner. How embarrassing", "Something terrible will happen"]
)
def test_catastrophic_reading(traps, text):
    assert "catastrophizing" in traps(text)


# --- the lemmatizer ---------------------------------------------------------------------------------
def test_array_lemmatizer_matches_spacy_lookup_lemmatizer():
    ref = spacy.blank("en")
    ref.add_pipe("lemmatizer", config={"mode": "lookup"})
    ref.initialize()
    ours = get_nlp().get_pipe("lemmatizer")
    texts = [
        "The children were running faster than their dogs and lost their shoes",
        "I've been feeling worse since the parties ended, she said",
        "IM SO DONE with these meetings 😭 they're killing me",
    ]
    for text in texts:
        expected = [t.lemma_ for t in ref(text)]
        assert [t.lemma_ for t in ours(ref.make_doc(text))] == expected


# --- more self-verdicts, all-or-nothing and self-blame questions -------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "My manager knows how lazy and careless I am",
        "im so self-centered",
        "not being clever enough",
        "They are not interesting at all",
    ],
)
def test_more_labels(traps, text):
    assert "labeling" in traps(text)


@pytest.mark.parametrize(
    "text", ["I know how busy you are", "how tired I am after the gym", "They are not home"]
)
def test_not_labels(traps, text):
    assert "labeling" not in traps(text)


@pytest.mark.parametrize(
    "text",
    [
        "my whole week of revision went down the drain",
        "I either get top marks, or I'm a total failure",
        "I wasted all that effort on the garden",
    ],
)
def test_all_or_nothing_verdicts(traps, text):
    assert "all_or_nothing" in traps(text)


def test_neutral_either_or(traps):
    assert "all_or_nothing" not in traps("We can either take the bus or walk, both are fine")


@pytest.mark.parametrize("text", ["What did I do to mess this up?", "why am i not normal"])
def test_self_blame_questions(traps, text):
    assert "personalization" in traps(text)


def test_neutral_question_about_myself(traps):
    assert "personalization" not in traps("What did I do with my keys?")


# --- generalising from others' reactions, flaws of the self, "better off" ----------------------------
def test_others_always_judging_me_is_overgeneralization(traps, dims):
    # "always" is temporal: permanent; one group of people is not the writer's whole life
    text = "my classmates always laugh at my accent"
    assert "overgeneralization" in traps(text)
    assert "permanent" in dims(text)
    assert "pervasive" not in dims(text)


def test_others_always_helping_is_not_overgeneralization(traps):
    assert "overgeneralization" not in traps("my classmates always help me with maths, so kind")


def test_none_of_them_is_global(dims):
    assert "pervasive" in dims("I tried three sports but I can't get good at any of them")


@pytest.mark.parametrize("text", ["I have such an awkward personality", "i have a lousy memory"])
def test_a_flawed_self_is_a_label(traps, dims, text):
    assert "labeling" in traps(text)
    assert "personal" in dims(text)


def test_a_passing_ailment_is_not_a_label(traps):
    assert "labeling" not in traps("I have a sore throat today")


def test_better_off_reads_negative(traps):
    assert "all_or_nothing" in traps("I either win this match, or I'm better off quitting for good")


# --- chat without punctuation, verdicts on one's work, feelings taken as evidence --------------------
def test_capitalised_opener_starts_a_new_clause(traps):
    assert "overgeneralization" in traps("we had a lovely lunch together Nobody ever calls me back")


def test_capitalised_name_does_not_flip_a_clause(traps):
    assert not traps("we had a lovely lunch with Sam and Priya")


@pytest.mark.parametrize("text", ["My essay isn't any good", "this plan is no use at all"])
def test_no_good_verdict(traps, text):
    assert "all_or_nothing" in traps(text)


def test_no_good_at_a_skill_is_not_a_verdict(traps):
    assert "all_or_nothing" not in traps("I'm no good at chess yet")


def test_feeling_read_as_a_sign(traps):
    assert "emotional_reasoning" in traps("I feel so nervous, maybe something is wrong with me")
    assert "emotional_reasoning" not in traps("I feel so tired, maybe I'll have a nap")


def test_causing_awkwardness_is_personalization_but_one_act(traps, dims):
    # guide rule 6: one act of the writer's is behavioural, not the helpless personal dimension
    assert "personalization" in traps("I made the dinner so awkward")
    assert "personal" not in dims("I made the dinner so awkward")


def test_predicting_an_empty_room(traps):
    assert "fortune_telling" in traps("There will be hardly anyone at my talk")
    assert "fortune_telling" not in traps("There will be cake at the party")
