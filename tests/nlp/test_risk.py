"""Risk detector: own sentences for every must-catch and must-not-fire class (issue 4)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import spacy

from nlp_models.risk import PATTERN_DIR, RiskResult, assess_risk, assess_text, check_patterns
from nlp_models.risk_eval import evaluate_crisis, evaluate_lists

DATA = Path(__file__).resolve().parents[1] / "data"


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


# -- held-out lists --------------------------------------------------------------------------


def test_held_out_risk_statements_recall():
    statements = _lines("risk_statements.txt")
    assert len(statements) >= 60
    missed = [s for s in statements if assess_text(s).level == "none"]
    recall = 1 - len(missed) / len(statements)
    assert recall >= 0.98, missed


def test_held_out_idioms_false_alarms():
    sentences = _lines("risk_idioms.txt")
    assert len(sentences) >= 60
    alarms = [s for s in sentences if assess_text(s).level != "none"]
    assert len(alarms) / len(sentences) <= 0.05, alarms


# Fresh lists: written before the rules were revised and never used to tune them, so they measure
# wording nobody tuned for. Measured after the revision (recall by any flag): all 0.937, crisis
# 0.918 (at the crisis level 0.788), concern 0.966, false alarms 0.038 (before: 0.497 / 0.482 /
# 0.517, false alarms 0.058). A later fix found on the dev list ("how high|tall|far down" was a
# phrase alternation without brackets) raised all to 0.944 and crisis to 0.929. The floors sit a
# little below, so that a change that loses ground on unseen wording fails here.


def test_fresh_lists_floor():
    result = evaluate_lists(DATA / "risk_fresh_statements.txt", DATA / "risk_fresh_idioms.txt")
    assert result["recall"] >= 0.91, result["missed"]
    assert result["recall_crisis"] >= 0.89, result["missed"]
    assert result["recall_concern"] >= 0.93, result["missed"]
    assert result["exact_crisis"] >= 0.75
    assert result["false_alarms"] <= 0.06, result["alarms"]


def test_dev_lists():
    # the lists the rules were tuned on: they must stay caught
    result = evaluate_lists(DATA / "risk_dev_statements.txt", DATA / "risk_dev_idioms.txt")
    assert result["recall"] >= 0.96, result["missed"]
    assert result["false_alarms"] <= 0.05, result["alarms"]


def test_list_sizes():
    for name in ("risk_fresh", "risk_dev"):
        statements = _lines(f"{name}_statements.txt")
        assert len(statements) >= 80
        assert all(s.split(" | ")[0] in ("crisis", "concern") for s in statements)
        assert len(_lines(f"{name}_idioms.txt")) >= 80


# -- pattern syntax --------------------------------------------------------------------------


def test_pattern_files_are_sound():
    # syntax of every pattern and class word, field names, ids, and each rule's own examples
    assert check_patterns() == []


def _patterns_with(tmp_path: Path, rule: dict) -> Path:
    import json
    import shutil

    for path in PATTERN_DIR.iterdir():
        if path.name != "risk_rules.jsonl":
            shutil.copy(path, tmp_path / path.name)
    rules = (PATTERN_DIR / "risk_rules.jsonl").read_text(encoding="utf-8")
    (tmp_path / "risk_rules.jsonl").write_text(rules + json.dumps(rule) + "\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "pattern, complaint",
    [
        ("want||die", "empty alternative"),
        ("want| die", "stray"),
        ("i don't care", "split by the tokenizer"),
        ("self-harm again", "split by the tokenizer"),
        ("$NOSUCHCLASS die", "unknown word class"),
        ("Want to die", "upper case"),
        ("enough pills to die|to kill", "brackets"),
        ("[to die|to kill", "brackets"),
        ("_? die?", "no required token"),
        ("want _{x} die", "bad"),
    ],
)
def test_pattern_checker_catches_mistakes(tmp_path, pattern, complaint):
    rule = {"id": "test.broken", "level": "crisis", "patterns": [pattern]}
    problems = check_patterns(_patterns_with(tmp_path, rule))
    assert problems and complaint in " ".join(problems), problems


@pytest.mark.parametrize(
    "rule, complaint",
    [
        ({"id": "crisis.intent.kill_self", "level": "crisis", "patterns": ["x"]}, "duplicate"),
        ({"id": "t.lvl", "level": "high", "patterns": ["x"]}, "level"),
        ({"id": "t.field", "level": "crisis", "pattern": ["x"]}, "unknown field"),
        ({"id": "t.ex", "level": "crisis", "patterns": ["zzz"], "examples": ["hi"]}, "example"),
    ],
)
def test_pattern_checker_catches_bad_rows(tmp_path, rule, complaint):
    problems = check_patterns(_patterns_with(tmp_path, rule))
    assert problems and complaint in " ".join(problems), problems


def test_phrase_brackets_and_end_of_sentence():
    # "[a b|c]" alternates phrases; "$EOS" is the end of a sentence or of the message
    assert assess_text("I just want it all over.").level != "none"
    assert assess_text("I just want it all over with so I can sleep").level == "none"


# -- chat text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "i want to die😭",
        "wanna die🙃🙃",
        "i wanna dieeee",
        "i want to😭die",
        "kms fr💀",
        "i wnat to die",
    ],
)
def test_emoji_stretching_and_typos(text):
    assert assess_text(text).level == "crisis"


def test_plan_or_means_turns_passive_ideation_into_crisis():
    assert assess_text("I wish I was dead").level == "concern"
    assert assess_text("I wish I was dead. I have the pills ready").level == "crisis"
    assert assess_text("honestly i just want to disappear forever, tonight").level == "crisis"


def test_post_phrase_negation_and_jokes():
    # "not actively suicidal" is passive ideation, and what follows "but" still counts
    assert assess_text("I'm not actively suicidal").level == "concern"
    assert assess_text("I'm not actively suicidal, but I bought a rope just in case").level == (
        "crisis"
    )
    assert assess_text("i want to die lol jk").level == "concern"
    assert assess_text("not joking, i want to die").level == "crisis"


def test_method_questions_in_second_person_are_flagged():
    assert assess_text("what happens if you take 50 paracetamol").level != "none"
    assert assess_text("how many ibuprofen can i take for a toothache").level == "none"


# -- must catch ------------------------------------------------------------------------------

CRISIS = {
    "first person present": ["I want to kill myself", "I am going to end my life"],
    "first person past and future": [
        "I wanted to kill myself all weekend",
        "tomorrow I will take my own life",
        "I've decided to end it tonight",
    ],
    "chat spelling": [
        "i dont wanna live anymore",
        "im gonna kms",
        "ngl i wanna die rn",
        "cant stop thinking abt killing myself",
        "i wanna unalive myself",
        "been thinking about sewer slide",
        "feeling suicidal again tbh",
    ],
    "euphemism": [
        "I just want to leave this world",
        "I'm going to end it all",
        "i want to not be alive anymore",
    ],
    "method or means": [
        "I've been stockpiling my sleeping pills",
        "how many paracetamol would it take to die",
        "I keep picturing myself jumping off the multi storey car park",
        "I bought rope and tied a noose",
        "thinking about stepping in front of the next train",
        "I want to slit my wrists",
    ],
    "goodbye": [
        "This is goodbye. Thank you for trying to help me.",
        "by the time anyone reads this i will be gone",
        "I won't be around much longer",
    ],
    "self-harm now or recently": [
        "I cut myself again last night",
        "i've been burning myself with a lighter",
        "I relapsed on self harm today",
        "I'm scared I'll hurt myself tonight",
    ],
    "attempt": [
        "I tried to kill myself in March",
        "I survived a suicide attempt last year",
        "i overdosed on my meds last week",
    ],
    "negated life": ["I don't want to live anymore", "i no longer want to be alive"],
    "safety": ["I can't keep myself safe tonight", "the voices keep telling me to do it"],
}

CONCERN_OR_CRISIS = {
    "passive ideation": [
        "I wish I could go to sleep and not wake up",
        "I hope I don't wake up tomorrow",
        "life isn't worth living",
        "What's the point of living",
        "I wish I'd never been born",
    ],
    "burdensomeness": [
        "they'd be better off without me",
        "everyone would be happier if I was gone",
        "I'm just a burden to my family",
        "nobody would miss me if I disappeared",
    ],
    "no way out": ["I can't see a way out", "there's no way out of this for me", "I can't go on"],
}


@pytest.mark.parametrize(
    "text", [t for group in CRISIS.values() for t in group], ids=lambda t: t[:40]
)
def test_crisis(text):
    result = assess_text(text)
    assert result.level == "crisis", result


@pytest.mark.parametrize(
    "text", [t for group in CONCERN_OR_CRISIS.values() for t in group], ids=lambda t: t[:40]
)
def test_flagged(text):
    assert assess_text(text).level in ("concern", "crisis")


def test_passive_ideation_is_concern_not_crisis():
    for text in ("I wish I was dead", "I'm a burden to everyone", "life is not worth living"):
        assert assess_text(text).level == "concern", text


# -- must not fire ---------------------------------------------------------------------------

NOT_FLAGGED = {
    "idiom and hyperbole": [
        "this traffic is killing me",
        "I'd kill for a coffee",
        "I killed it at the presentation",
        "I'm dying to see it",
        "I'm dead tired",
        "my phone died",
        "these shoes are killing me",
        "I nearly died of embarrassment",
    ],
    "films, books, studies, prevention": [
        "We watched a film about a soldier who survives the war",
        "I read an article on suicide prevention in schools",
        "The documentary covered suicide rates among farmers",
        "I'm volunteering for a suicide prevention charity",
    ],
    "other people's deaths in grief": [
        "My grandad died last month and I miss him",
        "It's a year since my mum passed away",
        "I lost my uncle to suicide two years ago",
    ],
    "ending a project or relationship": [
        "I'm ending the project next week",
        "I want to end it with my girlfriend",
        "We ended our partnership on good terms",
    ],
    "cooking and accidents": [
        "I cut my thumb dicing carrots",
        "I cut myself on a tin can while cooking",
        "I burned myself on the kettle",
    ],
    "plain": ["I had a bad day at work", "I always mess things up"],
    "planning tasks": ["I'll do it tomorrow after work", "I finally did it and went for a run"],
}


@pytest.mark.parametrize(
    "text", [t for group in NOT_FLAGGED.values() for t in group], ids=lambda t: t[:40]
)
def test_not_flagged(text):
    result = assess_text(text)
    assert result.level == "none", result


@pytest.mark.parametrize(
    "text",
    [
        "My friend told me she wants to kill herself, how do I help her?",
        "my sister keeps saying she wants to die and I'm scared for her",
        "I stayed with my friend after he said he was suicidal",
    ],
)
def test_consoling_someone_else_is_not_crisis(text):
    assert assess_text(text).level != "crisis"


# -- negation --------------------------------------------------------------------------------


def test_negation_not_suicidal():
    assert assess_text("I'm not suicidal, just exhausted").level != "crisis"
    assert assess_text("I would never kill myself, I love my kids").level == "none"


def test_negation_does_not_hide_risk():
    assert assess_text("I don't want to live anymore").level == "crisis"
    assert assess_text("not gonna lie, I want to die").level == "crisis"
    assert assess_text("I can't stop thinking about killing myself").level == "crisis"
    assert assess_text("I'm not ok and I want to die").level == "crisis"
    assert assess_text("I'm not suicidal. But I want to end it all").level == "crisis"


# -- result shape ----------------------------------------------------------------------------


def test_result_has_rules_and_evidence_offsets():
    text = "Honestly? I've been thinking about ending my life."
    result = assess_text(text)
    assert isinstance(result, RiskResult)
    assert result.rules and all("." in r for r in result.rules)
    for start, end, matched in result.evidence:
        assert text[start:end] == matched
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.level = "none"  # type: ignore[misc]


def test_none_result_is_empty():
    assert assess_text("") == RiskResult("none", (), ())
    assert assess_text("Lovely weather today") == RiskResult("none", (), ())


def test_works_on_plain_and_full_pipelines():
    plain = spacy.blank("en")
    full = spacy.blank("en")
    full.add_pipe("sentencizer")
    full.add_pipe("lemmatizer", config={"mode": "lookup"})
    try:
        full.initialize()
    except Exception:  # lookup tables missing: the sentencizer alone still exercises sentences
        full.remove_pipe("lemmatizer")
    text = "Work was fine.\n\nI want to kill myself tonight."
    for nlp in (plain, full):
        result = assess_risk(nlp(text))
        assert result.level == "crisis"
        assert text[result.evidence[0][0] : result.evidence[0][1]] == result.evidence[0][2]


def test_multi_sentence_scope():
    # a cooking context in another sentence must not hide self-harm
    assert assess_text("I made soup for dinner. Then I cut myself again.").level == "crisis"
    assert assess_text("I used to cut myself years ago").level == "concern"


def test_evaluate_skips_without_data(tmp_path):
    lines = evaluate_crisis(tmp_path)
    assert len(lines) == 2 and all("skipped" in ln for ln in lines)
