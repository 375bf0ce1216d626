"""Invisible and look-alike characters cannot hide a word from the rules, and evidence still
points into what the person wrote (issue 12, item 7)."""

from __future__ import annotations

import pytest

from nlp_models import analyze
from nlp_models.normalize import normalize

ZWSP, ZWJ, SHY, WJ = "\u200b", "\u200d", "\u00ad", "\u2060"


@pytest.mark.parametrize(
    "text",
    [
        f"I am going to k{ZWSP}ill myself tonight",
        f"i want to d{SHY}ie",
        f"I want to end it a{ZWJ}ll tonight",
        f"I'm going to k{WJ}i{ZWSP}ll my{SHY}self",
        "I want to k\u0456ll myself",  # Cyrillic i
        "i w\u0430nt t\u043e d\u0456e",  # Cyrillic a, o, i
        "k1ll mys3lf tonight",
        "\uff49 \uff57\uff41\uff4e\uff54 \uff54\uff4f \uff44\uff49\uff45",  # full-width letters
    ],
)
def test_hidden_risk_words_are_caught(text):
    result = analyze(text)
    assert result.risk == "crisis", text
    for ev in result.evidence:
        assert text[ev.start : ev.end] == ev.text  # offsets into the original


def test_evidence_maps_back_over_removed_characters():
    text = f"honestly I{ZWSP}'m a com{SHY}plete failure"
    result = analyze(text)
    label = result.dimensions["personal"].evidence[0]
    assert text[label.start : label.end] == label.text
    assert "failure" in label.text and ZWSP not in normalize(text).text


def test_other_scripts_are_left_alone():
    # a whole word in Cyrillic is Russian, not a disguise
    assert normalize("Я хочу умереть").text == "Я хочу умереть"
    # digits stay digits outside words
    assert normalize("call 0800 111 222").text == "call 0800 111 222"


@pytest.mark.parametrize(
    "text",
    ["I got 100 percent on the test", "my flight is at 7:45", "room 3b, floor 2", "b2b sales"],
)
def test_ordinary_digits_are_not_read_as_letters(text):
    assert normalize(text).text == text
