"""The public API that dialogs codes against."""

import dataclasses

import pytest

import nlp_models
from nlp_models import (
    DIMENSIONS,
    DISTORTIONS,
    RISK_LEVELS,
    Analysis,
    Dimension,
    Evidence,
    analyze,
    analyze_many,
)


def test_constants():
    assert DIMENSIONS == ("permanent", "pervasive", "personal", "uncontrollable")
    assert len(DISTORTIONS) == 13 and len(set(DISTORTIONS)) == 13
    assert set(DISTORTIONS) == {
        "all_or_nothing", "overgeneralization", "labeling", "fortune_telling", "mind_reading",
        "emotional_reasoning", "should_statements", "personalization", "discounting_positive",
        "catastrophizing", "mental_filter", "blaming", "comparing",
    }  # fmt: skip
    assert RISK_LEVELS == ("none", "concern", "danger", "crisis")


def test_analysis_shape():
    text = "I'm such a loser, I always ruin everything."
    result = analyze(text)
    assert isinstance(result, Analysis)
    assert result.text == text
    assert set(result.dimensions) == set(DIMENSIONS)
    for dim in result.dimensions.values():
        assert isinstance(dim, Dimension)
        assert 1 <= dim.score <= 7 and isinstance(dim.score, int)
        assert dim.detected == (dim.score >= nlp_models.THRESHOLD)
    assert set(result.distortions) <= set(DISTORTIONS)
    assert all(result.distortions.values()), "only detected labels are keys"
    assert result.risk in RISK_LEVELS
    assert isinstance(result.risk_rules, tuple)


def test_evidence_offsets_point_into_the_original_text():
    text = "Honestly?? I’m SUCH an idiot, nobody will ever want me 😭"
    result = analyze(text)
    assert result.evidence
    for ev in result.evidence:
        assert isinstance(ev, Evidence)
        assert text[ev.start : ev.end] == ev.text
    for dim in result.dimensions.values():
        for ev in dim.evidence:
            assert text[ev.start : ev.end] == ev.text


def test_frozen():
    result = analyze("I always mess up")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.risk = "crisis"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.evidence[0].start = 3  # type: ignore[misc]


def test_to_dict_matches_cli_shape():
    out = analyze("I always fail at everything").to_dict()
    assert set(out) == {
        "attributions", "scores", "event", "distortions", "risk", "evidence", "helpful"
    }  # fmt: skip
    assert set(out["attributions"]) == set(DIMENSIONS) == set(out["scores"])
    assert all(1 <= v <= 7 for v in out["scores"].values())
    assert out["event"] in ("bad", "good", "none")
    assert all(isinstance(v, bool) for v in out["attributions"].values())
    assert all(label in DISTORTIONS for label in out["distortions"])
    assert all(set(e) == {"label", "start", "end", "text"} for e in out["evidence"])


def test_batch_keeps_order_and_equals_single():
    texts = ["I always fail", "", "the weather is nice today", "It's all my fault"]
    batch = analyze_many(texts)
    assert [a.text for a in batch] == texts
    for text, result in zip(texts, batch, strict=True):
        assert result == analyze(text)


def test_empty_and_whitespace():
    for text in ("", "   ", "\n", "🙂"):
        result = analyze(text)
        assert not result.distortions
        assert not any(d.detected for d in result.dimensions.values())


def test_pipeline_built_once():
    assert nlp_models.get_nlp() is nlp_models.get_nlp()
    names = nlp_models.get_nlp().pipe_names
    assert names[:2] == ["sentencizer", "lemmatizer"]


def test_long_message_does_not_crash():
    text = "I always mess things up and nobody cares. " * 200
    assert analyze(text).dimensions["permanent"].detected


def test_language_guess_marks_other_languages_and_keeps_short_english():
    from nlp_models import analyze

    assert analyze("Je suis nul, je rate toujours tout").language == "other"
    assert analyze("我总是把一切搞砸").language == "other"
    assert analyze("im always messing everything up lol").language == "en"
    assert analyze("Toronto").language == "en"
    assert analyze("I had pasta con pomodoro with Marie").language == "en"
