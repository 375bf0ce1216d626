"""The behavioural-activation catalogue (``dialogs/data/activities.json``): small things to do,
grouped by kind, each with a first step small enough to start today, and suggestions that fit what
a thought record was about.

The words that link a situation to topics ("boss" -> work, "alone" -> loneliness) live in the data
file next to the activities, so they are corrected without touching code. Suggestions mix kinds on
purpose: someone whose record is all about work should not get three work-shaped tasks, and a
pleasant or social activity is often the easier first step.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).parent / "data" / "activities.json"
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})
KINDS = ("pleasure", "mastery", "social", "physical", "self_care")
EMOTIONS = frozenset({"sad", "anxious", "angry", "ashamed", "guilty", "hopeless"})
MAX_ID_LENGTH = 20  # callback data also carries an action prefix; Telegram allows 64 bytes

_ID_RE = re.compile(rf"^[a-z0-9_]{{1,{MAX_ID_LENGTH}}}$")
_TOPIC_WEIGHT = 2  # what the situation is about counts more than how it felt


@dataclass(frozen=True, slots=True)
class Activity:
    id: str
    kind: str
    title: str
    first_step: str
    tags: frozenset[str]
    emotions: frozenset[str]


class _WordTags:
    """Words and phrases -> tags, matched on whole words; "colleague*" matches any ending."""

    def __init__(self, table: Mapping[str, list[str]]) -> None:
        self._patterns = {
            tag: re.compile(
                r"(?<![\w'])(?:"
                + "|".join(
                    re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words
                )
                + r")(?![\w'])"
            )
            for tag, words in table.items()
        }

    def tags_in(self, text: str | None) -> frozenset[str]:
        if not text:
            return frozenset()
        lowered = " ".join(text.lower().replace("\u2019", "'").split())
        return frozenset(tag for tag, rx in self._patterns.items() if rx.search(lowered))


class Catalogue:
    def __init__(
        self, activities: tuple[Activity, ...], topics: _WordTags, emotion_words: _WordTags
    ) -> None:
        self.activities = activities
        self.topics = topics
        self.emotion_words = emotion_words
        self._by_id = {a.id: a for a in activities}

    def get(self, activity_id: str) -> Activity | None:
        return self._by_id.get(activity_id)

    def by_kind(self, kind: str) -> list[Activity]:
        if kind not in KINDS:
            raise ValueError(f"unknown activity kind {kind!r}; known: {', '.join(KINDS)}")
        return [a for a in self.activities if a.kind == kind]

    def suggest(
        self,
        text: str | None,
        emotion: str | None,
        k: int = 3,
        rng: random.Random | None = None,
        exclude: Collection[str] = (),
    ) -> list[Activity]:
        """Up to `k` activities for a situation `text` and an `emotion` (a button value such as
        "anxious" or the person's own word): the best-matching one of each kind first, so the
        kinds differ; then one from each kind not used yet (a balanced set when nothing matched);
        only then a second of a kind. Ties and fill-ins are drawn with `rng` (seed it in tests)."""
        rng = rng or random.Random()
        topics = self.topics.tags_in(text) | self.topics.tags_in(emotion)
        feelings = self.emotion_words.tags_in(emotion)
        pool = [a for a in self.activities if a.id not in exclude]
        order = {a.id: rng.random() for a in pool}

        def score(a: Activity) -> int:
            return _TOPIC_WEIGHT * len(topics & a.tags) + len(feelings & a.emotions)

        ranked = sorted(pool, key=lambda a: (-score(a), order[a.id]))
        picked: list[Activity] = []
        kinds_used: set[str] = set()
        for activity in ranked:
            if len(picked) == k or score(activity) == 0:
                break
            if activity.kind not in kinds_used:
                picked.append(activity)
                kinds_used.add(activity.kind)
        if len(picked) < k:
            # Kinds nobody matched, in random order: the balanced fallback.
            missing = [kind for kind in KINDS if kind not in kinds_used]
            rng.shuffle(missing)
            for kind in missing:
                if len(picked) == k:
                    break
                choices = [a for a in ranked if a.kind == kind]
                if choices:
                    picked.append(choices[0])
        for activity in ranked:  # more than one per kind only once every kind is in
            if len(picked) >= k:
                break
            if activity not in picked:
                picked.append(activity)
        return picked


def parse_catalogue(raw: Any) -> Catalogue:
    """Check the decoded JSON and build the catalogue; any problem is a ValueError naming it."""
    if not isinstance(raw, dict):
        raise ValueError("activities: the top level must be an object")
    if raw.get("schema_version") not in SUPPORTED_SCHEMA_VERSIONS:
        raise ValueError(f"activities: unsupported schema_version {raw.get('schema_version')!r}")
    if raw.get("kinds") != list(KINDS):
        raise ValueError(f"activities: 'kinds' must be {list(KINDS)}, got {raw.get('kinds')!r}")
    topics = _word_table(raw.get("topics"), "topics")
    emotions = _word_table(raw.get("emotions"), "emotions")
    unknown_emotions = set(emotions) - EMOTIONS
    if unknown_emotions:
        raise ValueError(f"activities: unknown emotions {sorted(unknown_emotions)}")
    entries = raw.get("activities")
    if not isinstance(entries, list) or not entries:
        raise ValueError("activities: 'activities' must be a non-empty list")

    activities: list[Activity] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries):
        where = f"activities[{n}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: must be an object")
        activity_id = entry.get("id")
        if not isinstance(activity_id, str) or not _ID_RE.match(activity_id):
            raise ValueError(
                f"{where}: id {activity_id!r} must be 1-{MAX_ID_LENGTH} characters of a-z, 0-9, _"
            )
        where = f"activity {activity_id!r}"
        if activity_id in seen:
            raise ValueError(f"{where}: duplicate id")
        seen.add(activity_id)
        if entry.get("kind") not in KINDS:
            raise ValueError(f"{where}: unknown kind {entry.get('kind')!r}")
        for field in ("title", "first_step"):
            value = entry.get(field)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{where}: {field} must be a non-empty string")
        tags = _tag_set(entry.get("tags"), set(topics), f"{where}: tags")
        feelings = _tag_set(entry.get("emotions"), EMOTIONS, f"{where}: emotions")
        activities.append(
            Activity(
                activity_id,
                entry["kind"],
                entry["title"].strip(),
                entry["first_step"].strip(),
                tags,
                feelings,
            )
        )
    empty = [kind for kind in KINDS if not any(a.kind == kind for a in activities)]
    if empty:
        raise ValueError(f"activities: no activities of kind {', '.join(empty)}")
    return Catalogue(tuple(activities), _WordTags(topics), _WordTags(emotions))


def _word_table(value: Any, name: str) -> dict[str, list[str]]:
    if not isinstance(value, dict) or not value:
        raise ValueError(f"activities: '{name}' must be a non-empty object of tag -> words")
    for tag, words in value.items():
        if (
            not isinstance(words, list)
            or not words
            or not all(isinstance(w, str) and w.strip(" *") for w in words)
        ):
            raise ValueError(f"activities: {name}[{tag!r}] must be a non-empty list of words")
    return {tag: [w.strip().lower() for w in words] for tag, words in value.items()}


def _tag_set(value: Any, known: set[str] | frozenset[str], where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValueError(f"{where} must be a list of strings")
    unknown = set(value) - set(known)
    if unknown:
        raise ValueError(f"{where}: unknown {sorted(unknown)}")
    return frozenset(value)


@cache
def catalogue() -> Catalogue:
    return parse_catalogue(json.loads(DATA_PATH.read_text("utf-8")))


def kinds() -> tuple[str, ...]:
    return KINDS


def by_kind(kind: str) -> list[Activity]:
    return catalogue().by_kind(kind)


def get(activity_id: str) -> Activity | None:
    return catalogue().get(activity_id)


def suggest(
    text: str | None,
    emotion: str | None,
    k: int = 3,
    rng: random.Random | None = None,
    exclude: Collection[str] = (),
) -> list[Activity]:
    return catalogue().suggest(text, emotion, k, rng, exclude)
