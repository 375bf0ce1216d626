"""dialogs.activities: the shipped catalogue is valid, bad data is refused clearly, suggestions fit."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from dialogs import activities
from dialogs.activities import DATA_PATH, EMOTIONS, KINDS, parse_catalogue

TOPICS = {
    "work",
    "study",
    "loneliness",
    "family",
    "health",
    "money",
    "home",
    "relationship",
    "self_worth",
}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return json.loads(DATA_PATH.read_text("utf-8"))


def test_shipped_catalogue_shape() -> None:
    assert activities.kinds() == KINDS
    for kind in KINDS:
        entries = activities.by_kind(kind)
        assert len(entries) >= 8, kind
        for a in entries:
            assert a.kind == kind
            assert len(a.id) <= 20 and a.id.isascii()
            assert len(f"ba:pick:{a.id}".encode()) <= 64
            assert a.title and a.first_step
            assert a.tags and a.tags <= TOPICS
            assert a.emotions and a.emotions <= EMOTIONS
    all_tags = set().union(*(a.tags for a in activities.catalogue().activities))
    assert all_tags == TOPICS  # every topic has something to suggest
    all_emotions = set().union(*(a.emotions for a in activities.catalogue().activities))
    assert all_emotions == EMOTIONS


def test_get() -> None:
    walk = activities.get("walk")
    assert walk is not None and walk.kind == "physical"
    assert "5 minutes" in walk.first_step
    assert activities.get("no_such_thing") is None


def test_by_kind_unknown() -> None:
    with pytest.raises(ValueError, match="unknown activity kind"):
        activities.by_kind("leisure")


def _broken(raw: dict[str, Any], change: Any) -> dict[str, Any]:
    data = copy.deepcopy(raw)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["activities"].append(dict(d["activities"][0])), "duplicate id"),
        (lambda d: d["activities"][0].update(id="a" * 21), "1-20 characters"),
        (lambda d: d["activities"][0].update(id="Walk Outside"), "1-20 characters"),
        (lambda d: d["activities"][0].update(id=None), "1-20 characters"),
        (lambda d: d["activities"][0].update(kind="leisure"), "unknown kind"),
        (lambda d: d["activities"][0].update(title=" "), "title"),
        (lambda d: d["activities"][0].pop("first_step"), "first_step"),
        (lambda d: d["activities"][0].update(tags=["weather"]), "unknown \\['weather'\\]"),
        (lambda d: d["activities"][0].update(emotions=["bored"]), "emotions: unknown"),
        (lambda d: d["activities"][0].update(tags="work"), "must be a list"),
        (lambda d: d.update(kinds=["pleasure"]), "'kinds' must be"),
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d.update(activities=[]), "non-empty list"),
        (lambda d: d["emotions"].update(bored=["bored"]), "unknown emotions"),
        (lambda d: d["topics"].update(work=[]), "non-empty list of words"),
        (
            lambda d: d.update(activities=[a for a in d["activities"] if a["kind"] != "social"]),
            "no activities of kind social",
        ),
    ],
)
def test_validation_errors(raw: dict[str, Any], change: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_catalogue(_broken(raw, change))


def test_validation_rejects_non_object() -> None:
    with pytest.raises(ValueError, match="top level"):
        parse_catalogue([])


def _kinds(found: list[activities.Activity]) -> list[str]:
    return [a.kind for a in found]


def test_suggest_links_to_the_situation() -> None:
    found = activities.suggest(
        "Nobody answered my messages, I spend every evening alone", "lonely", rng=random.Random(0)
    )
    assert len(found) == 3
    assert len(set(_kinds(found))) == 3  # variety across kinds
    assert all("loneliness" in a.tags for a in found)


def test_suggest_money_and_family() -> None:
    found = activities.suggest("Argued with my mum about the rent", "guilty", rng=random.Random(3))
    assert len(set(_kinds(found))) == 3
    best = found[0]
    assert {"family", "money", "relationship"} & best.tags
    assert "guilty" in best.emotions


def test_suggest_work_prefers_work_tags_and_the_emotion() -> None:
    for seed in range(20):
        found = activities.suggest(
            "My boss criticised my presentation in the meeting", "anxious", rng=random.Random(seed)
        )
        assert all("work" in a.tags for a in found), seed
        assert len(set(_kinds(found))) == 3


def test_suggest_typed_emotion_word() -> None:
    found = activities.suggest(None, "really stressed", k=5, rng=random.Random(1))
    assert len(found) == 5
    assert sorted(_kinds(found)) == sorted(KINDS)
    assert all("anxious" in a.emotions for a in found)


def test_suggest_word_boundaries() -> None:
    cat = activities.catalogue()
    assert cat.topics.tags_in("I was working late for my manager") == {"work"}
    assert cat.topics.tags_in("my exams") == {"study"}
    assert cat.topics.tags_in("framework") == frozenset()  # "work" only as a whole word
    assert cat.topics.tags_in("everybody's fine") == frozenset()
    assert cat.topics.tags_in("I'm always on my own") == {"loneliness"}
    assert cat.emotion_words.tags_in("Fed up") == {"angry"}
    assert cat.topics.tags_in(None) == frozenset()


def test_suggest_balanced_fallback() -> None:
    found = activities.suggest("the weather", None, k=5, rng=random.Random(7))
    assert sorted(_kinds(found)) == sorted(KINDS)
    nothing = activities.suggest(None, None, rng=random.Random(7))
    assert len(nothing) == 3 and len(set(_kinds(nothing))) == 3


def test_suggest_is_reproducible_with_a_seed_and_varies_without() -> None:
    first = activities.suggest(None, None, rng=random.Random(42))
    assert first == activities.suggest(None, None, rng=random.Random(42))
    seen = {
        tuple(a.id for a in activities.suggest(None, None, rng=random.Random(s))) for s in range(10)
    }
    assert len(seen) > 1


def test_suggest_more_than_kinds_and_exclude() -> None:
    found = activities.suggest("work", "anxious", k=8, rng=random.Random(2))
    assert len(found) == 8 and len({a.id for a in found}) == 8
    assert set(_kinds(found)) == set(KINDS)
    again = activities.suggest(
        "work", "anxious", rng=random.Random(2), exclude={a.id for a in found}
    )
    assert not {a.id for a in again} & {a.id for a in found}
    everything = [a.id for a in activities.catalogue().activities]
    assert activities.suggest("work", None, exclude=everything) == []
