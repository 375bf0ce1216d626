"""One test per rule of ../shared/EXPLANATORY_STYLE.md (and its conventions), with sentences
written here, plus the floors on our own labelled sets (the tuning sets and the blind set that
was never tuned on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp_models import analyze, analyze_many
from nlp_models.evaluation import BLIND_SET, TUNING_SETS, read_style_set, style_metrics


def found(text: str) -> set[str]:
    a = analyze(text)
    out = {d for d, dim in a.dimensions.items() if dim.detected}
    if "discounting_positive" in a.distortions:
        out.add("discounts")
    return out


# Rule 1: no bad event, no rating
@pytest.mark.parametrize(
    "text",
    [
        "I always walk to the bakery on Saturdays.",
        "I never take sugar in my tea.",
        "Nothing compares to a swim in the sea.",
        "Every cupboard in the kitchen needs a clear-out.",
        "We always have a takeaway on Fridays.",
    ],
)
def test_rule_1_no_bad_event_no_rating(text):
    assert not found(text)


# Rule 2: only the writer's explanation (reported words are not rated unless taken on)
@pytest.mark.parametrize(
    "text",
    [
        "My brother reckons nothing ever works out for him.",
        "She keeps telling everyone she ruins everything.",
        "My aunt thinks I'll never settle down.",
        '"I\'m a total failure," my friend texted me last night.',
    ],
)
def test_rule_2_reported_words_are_not_rated(text):
    assert not found(text) & {"permanent", "pervasive", "personal"}


@pytest.mark.parametrize(
    "text",
    [
        "My coach says I'm lazy and he's right.",
        "My teacher told me I'll never be a writer, and I think she's right.",
        "The nurse said this pain won't ever go away, and I believe her.",
        "They all say it's my fault, and honestly, it is.",
    ],
)
def test_rule_2_taken_on_is_rated(text):
    assert found(text) & {"permanent", "personal"}


def test_rule_2_who_said_it_is_no_scope():
    assert "pervasive" not in found("Everyone says it's my fault, and yes, it is.")


# Rule 3: negated or replaced explanations are not rated; a belief that is over is not either
@pytest.mark.parametrize(
    "text",
    [
        "I'm not useless, I just had a rough week.",
        "It won't always be like this.",
        "Not everything is wrecked, only the holiday plans.",
        "I used to believe I was worthless, but I don't any more.",
        "It's not that nothing works, I just haven't found the right routine yet.",
    ],
)
def test_rule_3_negated_replaced_or_over(text):
    assert not found(text) & {"permanent", "pervasive", "personal"}


# Rule 4: each dimension has its own cues
def test_rule_4_a_time_word_is_permanent_only():
    assert found("I'll never get that promotion.") == {"permanent"}


def test_rule_4_a_scope_word_is_pervasive_only():
    assert found("Everything in my life is going wrong.") == {"pervasive"}


def test_rule_4_both_when_both_are_there():
    assert {"permanent", "pervasive"} <= found("Everything always goes wrong.")


@pytest.mark.parametrize(
    "text", ["Nothing will ever improve in this village.", "The café had run out of everything."]
)
def test_rule_4_a_scope_word_inside_one_area_is_not_pervasive(text):
    assert "pervasive" not in found(text)


# Rule 5: character labels
@pytest.mark.parametrize("text", ["I'm pathetic.", "I'm a total disgrace.", "I was born a loser."])
def test_rule_5_a_global_label_is_all_three(text):
    assert {"permanent", "pervasive", "personal"} <= found(text)


@pytest.mark.parametrize(
    "text", ["I'm a useless driver.", "I'm hopeless at spelling.", "I'm a terrible cook."]
)
def test_rule_5_a_label_for_one_role_or_area_is_not_pervasive(text):
    got = found(text)
    assert {"permanent", "personal"} <= got and "pervasive" not in got


# Rule 6: the person, not one act
@pytest.mark.parametrize(
    "text",
    [
        "It's all down to me that we lost.",
        "What is wrong with me?",
        "I spoil everything for everyone.",
        "I wreck every friendship I make.",
        "it's always me who ends up ruining it",
        "What is it about me that drives people off?",
        "I blame myself for everything that went wrong this year.",
    ],
)
def test_rule_6_the_person_as_the_cause_is_personal(text):
    assert "personal" in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "I missed the train because I left late.",
        "We ran out of time because we planned badly.",
        "My fault for not setting an alarm.",
        "I snapped at him because I was exhausted.",
    ],
)
def test_rule_6_one_changeable_act_is_behavioural_and_helpful(text):
    a = analyze(text)
    assert not a.dimensions["personal"].detected
    assert any(h.label == "behavioural" for h in a.helpful)


# Rule 7: agency is never a finding
@pytest.mark.parametrize(
    "text",
    [
        "I can ask my tutor for more practice papers.",
        "Next time I'll set two alarms.",
        "I'll sort it out tomorrow.",
    ],
)
def test_rule_7_agency_is_never_a_finding(text):
    a = analyze(text)
    assert not found(text)
    assert any(h.label == "agency" for h in a.helpful)


# Rule 8: external causes and normalising are not personal or pervasive
@pytest.mark.parametrize(
    "text",
    [
        "The match was called off because of the floods.",
        "Everybody finds the first week at a new job tiring.",
        "The whole class struggled with that exam.",
    ],
)
def test_rule_8_outside_causes_and_normalising(text):
    assert not found(text) & {"personal", "pervasive"}


# Rule 9: time-limited and state words lower permanence
@pytest.mark.parametrize(
    "text",
    ["I'm useless today.", "I messed up this time.", "I always get it wrong when I'm this tired."],
)
def test_rule_9_time_limits_and_states(text):
    assert "permanent" not in found(text)


# Rule 10: good events the other way round
@pytest.mark.parametrize(
    "text",
    [
        "I only got the job because they were desperate.",
        "I won the quiz, but it was a fluke.",
        "Anyone could have passed that test.",
        "They only picked me because nobody else applied.",
        "People keep saying I earned the award, but honestly it was luck.",
        "My team said I played brilliantly, but they're my mates, they have to say that.",
        "They picked me for the choir. Why? Must have been a mix-up.",
        "They had no choice but to hire me, nobody else applied.",
    ],
)
def test_rule_10_a_success_explained_away_is_a_discount(text):
    assert "discounts" in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "I got the place because I worked for it.",
        "I'm proud of myself, I trained for months.",
        "It's thanks to my teacher that I passed, and I'm grateful.",
        "We were lucky with the weather at the wedding.",
        "I'm so lucky to have friends like mine.",
        "Lucky me, the bakery still had a loaf left.",
        "I got the promotion because I earned it, not because of luck.",
        "My mates say I earned it, and I did.",
    ],
)
def test_rule_10_owning_or_sharing_a_success_is_no_finding(text):
    assert not found(text)


# Rule 11: uncontrollable even when realistic
@pytest.mark.parametrize(
    "text",
    [
        "There's nothing I can do about the hospital waiting list.",
        "No matter how hard I try, nothing changes.",
        "What's the point of trying?",
        "It's out of my hands now.",
        "honestly, what's the point",
        "Why bother when nobody listens anyway?",
    ],
)
def test_rule_11_uncontrollable(text):
    assert "uncontrollable" in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "What's the point of fretting? I'll email them in the morning.",
        "Why bother with a coat when it's this warm",
        "Nothing I can do until the results come back, so I'm baking.",
        "Part of it is out of my control, so I'm focusing on the part that isn't.",
        "It isn't true that there's nothing I can do: I can ask for a review.",
        "I've stopped telling myself there's no point in trying.",
    ],
)
def test_rule_11_a_better_way_a_wait_or_a_part_is_no_helplessness(text):
    assert "uncontrollable" not in found(text)


# Conventions for the hard cases
def test_a_habit_of_effort_is_no_permanence():
    assert "permanent" not in found("The council fixed the road because I rang them every week.")
    assert "permanent" not in found("My nan died last year and I still think of her every day.")
    assert "permanent" in found("Every time I try, it goes wrong.")


def test_a_missing_piece_of_news_is_an_outside_cause():
    assert "pervasive" not in found("I'm lost at the new job, nobody told me about the rota.")
    assert "pervasive" in found("Nobody listens to me.")


def test_a_whole_life_stays_pervasive_in_a_bad_month():
    assert "pervasive" in found("My whole life is falling apart this month.")


def test_a_label_without_its_subject_is_a_label():
    assert {"permanent", "personal", "pervasive"} <= found("pathetic, as usual.")
    got = found("hopeless with directions. always have been.")
    assert {"permanent", "personal"} <= got and "pervasive" not in got
    assert "permanent" in found("can't win, never could.")


@pytest.mark.parametrize(
    "text",
    [
        "What should I do if my neighbour never answers the door?",
        "Why are my tomatoes always so small, what am I doing wrong with the feeding?",
        "Is it my fault the cake sank, or was the oven too hot?",
    ],
)
def test_a_practical_question_about_a_thing_is_not_rated(text):
    assert not found(text)


def test_a_feeling_that_lasted_a_day_is_not_a_label():
    assert not found("I felt like an idiot for a couple of hours, then I laughed it off.")


def test_habitual_generalisation_without_a_time_word_is_not_permanent():
    got = found("I ruin everything I try.")
    assert {"pervasive", "personal"} <= got and "permanent" not in got


def test_a_quantifier_over_my_actions_is_pervasive_when_the_outcome_is_general():
    assert {"uncontrollable", "pervasive"} <= found("Whatever I do, nothing ever changes.")
    assert "pervasive" not in found("Whatever I say, she doesn't listen.")


def test_an_inability_with_a_time_word_but_no_effort_is_permanent_not_uncontrollable():
    got = found("I can never get my son to eat vegetables.")
    assert "permanent" in got and "uncontrollable" not in got


def test_a_coped_with_outside_inconvenience_is_not_rated():
    assert not found("The lift is never working, so I take the stairs.")


def test_a_lasting_condition_is_permanent_not_personal():
    got = found("This back pain is never going away.")
    assert "permanent" in got and "personal" not in got


# The sentences that told us the old design was wrong (issue 10)
def test_the_three_sentences_of_the_issue():
    a = analyze("I failed 3 times so far, I can practise more with an instructor")
    assert not any(d.detected for d in a.dimensions.values())
    assert any(h.label == "agency" for h in a.helpful)
    b = analyze("I worked hard for this and I deserve it")
    assert not b.distortions and not any(d.detected for d in b.dimensions.values())
    c = analyze("I never drink coffee after lunch")
    assert not c.distortions and not any(d.detected for d in c.dimensions.values())


# Floors on our own sets. The blind set was written before any rule was changed and is never
# tuned on: it measures wording nobody tuned for (numbers in the closing note).
def _metrics(path: Path) -> dict:
    rows = read_style_set(path)
    return style_metrics(rows, analyze_many([r["text"] for r in rows]))


def test_blind_set_floor():
    m = _metrics(BLIND_SET)
    assert m["clean_n"] >= 187 and sum(m[f"{d}_n"] for d in ("permanent", "pervasive")) > 100
    for dim in ("permanent", "pervasive", "personal", "uncontrollable"):
        assert m[f"{dim}_precision"] >= 0.85, dim
        assert m[f"{dim}_recall"] >= 0.85, dim
    assert m["clean_flagged"] <= 0.06
    assert m["discounts_recall"] >= 0.70


@pytest.mark.parametrize("path", TUNING_SETS, ids=lambda p: p.name)
def test_tuning_set_floor(path):
    m = _metrics(path)
    for dim in ("permanent", "pervasive", "personal", "uncontrollable"):
        assert m[f"{dim}_precision"] >= 0.90, dim
        assert m[f"{dim}_recall"] >= 0.85, dim
    assert m["clean_flagged"] <= 0.04
    assert m["discounts_recall"] >= 0.85


DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "data" / "explanations" / "dev.tsv"


@pytest.mark.skipif(not DEV_SET.is_file(), reason="../shared/data is not next to this checkout")
def test_development_set_targets():
    """The issue's targets on the development set (it lives outside the project)."""
    m = _metrics(DEV_SET)
    for dim in ("permanent", "pervasive", "personal", "uncontrollable"):
        assert m[f"{dim}_precision"] >= 0.90, dim
        assert m[f"{dim}_recall"] >= 0.85, dim
    assert m["clean_flagged"] <= 0.05
    assert m["discounts_recall"] >= 0.85
    assert m["owned_flagged"] == 0 and m["helpful_flagged"] == 0
