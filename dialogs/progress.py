"""The numbers of /progress for the last 4 weeks: plain records in, plain numbers out.

Weeks are 7-day blocks of the person's local calendar ending today, so the last block is always
"the last 7 days" and all four are full length. The picture is drawn by `bot/charts.py` from the
same window; the words of the text summary are the dialogs' (`dialogs/progress_text.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean
from typing import Literal
from zoneinfo import ZoneInfo

WEEKS = 4
DAYS = 7 * WEEKS
DIMENSIONS = ("permanent", "pervasive", "personal")


@dataclass(frozen=True, slots=True)
class ThoughtPoint:
    created_at: datetime  # UTC; naive values are taken as UTC
    intensity_before: int  # 0-100
    intensity_after: int | None = None  # 0-100, None if the record was not finished
    permanent: bool = False
    pervasive: bool = False
    personal: bool = False


@dataclass(frozen=True, slots=True)
class ActivityPoint:
    due_at: datetime  # UTC; naive values are taken as UTC
    done: bool
    expected_enjoyment: int | None = None  # 0-10
    expected_achievement: int | None = None
    actual_enjoyment: int | None = None
    actual_achievement: int | None = None
    # Opaque to this module: lets the caller name the activity in the "too gloomy" example.
    id: int | None = None


@dataclass(slots=True)
class ProgressData:
    thoughts: list[ThoughtPoint] = field(default_factory=list)
    activities: list[ActivityPoint] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Surprise:
    """A completed activity that went better than predicted."""

    activity: ActivityPoint
    measure: Literal["enjoyment", "achievement"]
    expected: int
    actual: int

    @property
    def gain(self) -> int:
        return self.actual - self.expected


@dataclass(frozen=True, slots=True)
class WeekNumbers:
    start: date  # first local day of the 7
    planned: int
    done: int
    thoughts: int
    permanent: int
    pervasive: int
    personal: int


@dataclass(frozen=True, slots=True)
class SummaryNumbers:
    start: date  # first local day of the window
    end: date  # last local day of the window (today)
    planned: int  # due in the window (and already due, or done early)
    done: int
    enjoyment_rated: int  # done activities with both an expected and an actual enjoyment
    mean_expected_enjoyment: float | None
    mean_actual_enjoyment: float | None
    achievement_rated: int
    mean_expected_achievement: float | None
    mean_actual_achievement: float | None
    best_surprise: Surprise | None  # largest actual minus expected, only if positive
    thoughts: int
    permanent: int
    pervasive: int
    personal: int
    intensity_rated: int  # thought records with an intensity after
    mean_intensity_before: float | None  # over those same records
    mean_intensity_after: float | None
    weeks: tuple[WeekNumbers, ...]

    @property
    def empty(self) -> bool:
        return self.planned == 0 and self.thoughts == 0

    def share(self, dimension: str) -> float | None:
        """Share (0-1) of the window's thoughts with that explanation, None if there are none."""
        if dimension not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dimension!r}")
        return getattr(self, dimension) / self.thoughts if self.thoughts else None


@dataclass(slots=True)
class Window:
    zone: ZoneInfo
    start: date
    end: date
    start_wall: datetime  # naive local midnight of `start`
    thoughts: list[tuple[datetime, ThoughtPoint]]  # (naive local time, record)
    activities: list[tuple[datetime, ActivityPoint]]

    def week_of(self, local: datetime) -> int:
        return (local.date() - self.start).days // 7

    def week_start(self, week: int) -> date:
        return self.start + timedelta(days=7 * week)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def window(data: ProgressData, now: datetime, tz: str) -> Window:
    zone = ZoneInfo(tz)
    now = _utc(now)
    end = now.astimezone(zone).date()
    start = end - timedelta(days=DAYS - 1)

    def local(moment: datetime) -> datetime | None:
        wall = _utc(moment).astimezone(zone).replace(tzinfo=None)
        return wall if start <= wall.date() <= end else None

    thoughts = []
    for record in data.thoughts:
        wall = local(record.created_at)
        if wall is not None:
            thoughts.append((wall, record))
    activities = []
    for activity in data.activities:
        wall = local(activity.due_at)
        # Something due later today cannot have been missed yet; count it once it is done.
        if wall is not None and (activity.done or _utc(activity.due_at) <= now):
            activities.append((wall, activity))
    thoughts.sort(key=lambda pair: pair[0])
    activities.sort(key=lambda pair: pair[0])
    return Window(zone, start, end, datetime.combine(start, time()), thoughts, activities)


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def summarize_window(window: Window) -> SummaryNumbers:
    done = [a for _, a in window.activities if a.done]
    enjoy = [
        (a.expected_enjoyment, a.actual_enjoyment)
        for a in done
        if a.expected_enjoyment is not None and a.actual_enjoyment is not None
    ]
    achieve = [
        (a.expected_achievement, a.actual_achievement)
        for a in done
        if a.expected_achievement is not None and a.actual_achievement is not None
    ]

    best: Surprise | None = None
    # Activities are in time order and ties go to the later one: the most recent evidence.
    for a in done:
        for measure, expected, actual in (
            ("enjoyment", a.expected_enjoyment, a.actual_enjoyment),
            ("achievement", a.expected_achievement, a.actual_achievement),
        ):
            if expected is None or actual is None or actual <= expected:
                continue
            if best is None or actual - expected >= best.gain:
                best = Surprise(a, measure, expected, actual)  # type: ignore[arg-type]

    thoughts = [t for _, t in window.thoughts]
    finished = [t for t in thoughts if t.intensity_after is not None]

    weeks = []
    for week in range(WEEKS):
        in_week = [a for wall, a in window.activities if window.week_of(wall) == week]
        week_thoughts = [t for wall, t in window.thoughts if window.week_of(wall) == week]
        weeks.append(
            WeekNumbers(
                start=window.week_start(week),
                planned=len(in_week),
                done=sum(a.done for a in in_week),
                thoughts=len(week_thoughts),
                permanent=sum(t.permanent for t in week_thoughts),
                pervasive=sum(t.pervasive for t in week_thoughts),
                personal=sum(t.personal for t in week_thoughts),
            )
        )

    return SummaryNumbers(
        start=window.start,
        end=window.end,
        planned=len(window.activities),
        done=len(done),
        enjoyment_rated=len(enjoy),
        mean_expected_enjoyment=_mean([e for e, _ in enjoy]),
        mean_actual_enjoyment=_mean([a for _, a in enjoy]),
        achievement_rated=len(achieve),
        mean_expected_achievement=_mean([e for e, _ in achieve]),
        mean_actual_achievement=_mean([a for _, a in achieve]),
        best_surprise=best,
        thoughts=len(thoughts),
        permanent=sum(t.permanent for t in thoughts),
        pervasive=sum(t.pervasive for t in thoughts),
        personal=sum(t.personal for t in thoughts),
        intensity_rated=len(finished),
        mean_intensity_before=_mean([t.intensity_before for t in finished]),
        mean_intensity_after=_mean([t.intensity_after for t in finished]),  # type: ignore[misc]
        weeks=tuple(weeks),
    )


def summarize(data: ProgressData, now: datetime, tz: str) -> SummaryNumbers:
    """The numbers for the text under the picture; wording is the dialogs layer's job."""
    return summarize_window(window(data, now, tz))
