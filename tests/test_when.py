"""dialogs.when: phrases read in the person's zone against a fixed clock, DST, repeats, buttons."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dialogs.when import (
    Repeat,
    WhenStatus,
    format_local,
    next_occurrence,
    parse_when,
    quick_choices,
)

LONDON = "Europe/London"
NEW_YORK = "America/New_York"
KOLKATA = "Asia/Kolkata"
AUCKLAND = "Pacific/Auckland"


def local(tz: str, *args: int, fold: int = 0) -> datetime:
    """A local wall-clock time in `tz` as an aware UTC datetime."""
    return datetime(*args, tzinfo=ZoneInfo(tz), fold=fold).astimezone(UTC)  # type: ignore[misc]


def wall(when: datetime | None, tz: str) -> str:
    assert when is not None
    assert when.utcoffset() == timedelta(0)
    return when.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


# Wednesday 25 November 2026, 10:00 in London (GMT, so also 10:00 UTC).
NOW = local(LONDON, 2026, 11, 25, 10, 0)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("in 2 hours", "Wed 2026-11-25 12:00"),
        ("in 30 min", "Wed 2026-11-25 10:30"),
        ("in 30mins", "Wed 2026-11-25 10:30"),
        ("in an hour", "Wed 2026-11-25 11:00"),
        ("in half an hour", "Wed 2026-11-25 10:30"),
        ("in an hour and a half", "Wed 2026-11-25 11:30"),
        ("in 1h30", "Wed 2026-11-25 11:30"),
        ("in 1 hour 30", "Wed 2026-11-25 11:30"),
        ("in 1.5 hours", "Wed 2026-11-25 11:30"),
        ("in a couple of hours", "Wed 2026-11-25 12:00"),
        ("2 hours from now", "Wed 2026-11-25 12:00"),
        ("in 2 days", "Fri 2026-11-27 10:00"),
        ("in a week at 9", "Wed 2026-12-02 09:00"),
        ("tonight", "Wed 2026-11-25 20:00"),
        ("tonite", "Wed 2026-11-25 20:00"),
        ("2nite at 9", "Wed 2026-11-25 21:00"),
        ("tonight at 11", "Wed 2026-11-25 23:00"),
        ("tonight at 1", "Thu 2026-11-26 01:00"),
        ("tonight at 12", "Thu 2026-11-26 00:00"),
        ("this evening", "Wed 2026-11-25 19:00"),
        ("this evening at 8", "Wed 2026-11-25 20:00"),
        ("this afternoon", "Wed 2026-11-25 15:00"),
        ("this morning", "Wed 2026-11-25 10:15"),  # the morning is still on: soon
        ("tomorrow 9am", "Thu 2026-11-26 09:00"),
        ("tomorrow at 9", "Thu 2026-11-26 09:00"),
        ("tomorrow at 7", "Thu 2026-11-26 07:00"),
        ("tomorrow at 3", "Thu 2026-11-26 15:00"),
        ("Tomorrow morning", "Thu 2026-11-26 09:00"),
        ("tomorrow morning at 8", "Thu 2026-11-26 08:00"),
        ("tomorrow evening at 6:30", "Thu 2026-11-26 18:30"),
        ("tomorrow night", "Thu 2026-11-26 20:00"),
        ("tmrw 9am", "Thu 2026-11-26 09:00"),
        ("2moro at 10", "Thu 2026-11-26 10:00"),
        ("tomorow 8.30", "Thu 2026-11-26 08:30"),
        ("day after tomorrow at 5", "Fri 2026-11-27 17:00"),
        ("Friday 18:30", "Fri 2026-11-27 18:30"),
        ("fri 6pm", "Fri 2026-11-27 18:00"),
        ("friday at 3", "Fri 2026-11-27 15:00"),
        ("on Saturday morning", "Sat 2026-11-28 09:00"),
        ("next monday 8", "Mon 2026-11-30 08:00"),
        ("next wednesday 9", "Wed 2026-12-02 09:00"),
        ("wed 9", "Wed 2026-11-25 21:00"),  # today, and 09:00 has passed
        ("at 7", "Wed 2026-11-25 19:00"),
        ("7", "Wed 2026-11-25 19:00"),
        ("at seven", "Wed 2026-11-25 19:00"),
        ("at 3", "Wed 2026-11-25 15:00"),
        ("at 11", "Wed 2026-11-25 11:00"),
        ("at 9", "Wed 2026-11-25 21:00"),
        ("8:30", "Wed 2026-11-25 20:30"),
        ("08:30", "Thu 2026-11-26 08:30"),  # a leading zero means 24-hour time
        ("7pm", "Wed 2026-11-25 19:00"),
        ("7 p.m.", "Wed 2026-11-25 19:00"),
        ("7.30pm", "Wed 2026-11-25 19:30"),
        ("at 7 o'clock", "Wed 2026-11-25 19:00"),
        ("7ish", "Wed 2026-11-25 19:00"),
        ("19:00", "Wed 2026-11-25 19:00"),
        ("9am", "Thu 2026-11-26 09:00"),  # passed today: the next one
        ("noon", "Wed 2026-11-25 12:00"),
        ("midday", "Wed 2026-11-25 12:00"),
        ("midnight", "Thu 2026-11-26 00:00"),
        ("half past 6", "Wed 2026-11-25 18:30"),
        ("quarter to 8", "Wed 2026-11-25 19:45"),
        ("at lunch", "Wed 2026-11-25 12:30"),
        ("9h30", "Thu 2026-11-26 09:30"),
        ("2026-12-03 10:00", "Thu 2026-12-03 10:00"),
        ("3 dec 10am", "Thu 2026-12-03 10:00"),
        ("3rd of December at 10", "Thu 2026-12-03 10:00"),
        ("dec 3rd 18:00", "Thu 2026-12-03 18:00"),
        ("the 3rd at 10", "Thu 2026-12-03 10:00"),
        ("13/12 9am", "Sun 2026-12-13 09:00"),
        ("friday 27 nov 6pm", "Fri 2026-11-27 18:00"),
        ("tomorrow thursday 9am", "Thu 2026-11-26 09:00"),
        ("5 jan 9am", "Tue 2027-01-05 09:00"),  # earlier in the year: next year's
        ("ok tomorrow at 9 please", "Thu 2026-11-26 09:00"),
        ("I'll do it tomorrow at 9", "Thu 2026-11-26 09:00"),
        ("how about 7", "Wed 2026-11-25 19:00"),
        ("yes let's say friday 9am", "Fri 2026-11-27 09:00"),
        ("Tomorrow, 9 AM.", "Thu 2026-11-26 09:00"),
        ("tomorrow @9", "Thu 2026-11-26 09:00"),
        ("twenty to 8", "Wed 2026-11-25 19:40"),
        ("tonight 1am", "Thu 2026-11-26 01:00"),
        ("12am", "Thu 2026-11-26 00:00"),
    ],
)
def test_phrases_in_london(phrase: str, expected: str) -> None:
    result = parse_when(phrase, NOW, LONDON)
    assert result.status is WhenStatus.OK, phrase
    assert wall(result.when, LONDON) == expected


@pytest.mark.parametrize(
    ("phrase", "status"),
    [
        ("yesterday 5pm", WhenStatus.PAST),
        ("today 8am", WhenStatus.PAST),
        ("today at 09:30", WhenStatus.PAST),
        ("2025-01-01 10:00", WhenStatus.PAST),
        ("20 nov", WhenStatus.PAST),  # five days ago, not next year
        ("this wednesday 8am", WhenStatus.PAST),
        ("", WhenStatus.UNPARSEABLE),
        ("   ", WhenStatus.UNPARSEABLE),
        ("banana", WhenStatus.UNPARSEABLE),
        ("after work", WhenStatus.UNPARSEABLE),
        ("before work", WhenStatus.UNPARSEABLE),
        ("tomorrow after work", WhenStatus.UNPARSEABLE),
        ("whenever", WhenStatus.AMBIGUOUS),
        ("next week", WhenStatus.AMBIGUOUS),
        ("at the weekend", WhenStatus.AMBIGUOUS),
        ("later", WhenStatus.AMBIGUOUS),
        ("now", WhenStatus.AMBIGUOUS),
        ("at 25", WhenStatus.UNPARSEABLE),
        ("13pm", WhenStatus.UNPARSEABLE),
        ("31 feb", WhenStatus.UNPARSEABLE),
        ("7:75", WhenStatus.UNPARSEABLE),
        ("2h", WhenStatus.UNPARSEABLE),
        ("at the", WhenStatus.UNPARSEABLE),
        ("today", WhenStatus.AMBIGUOUS),
        ("wednesday", WhenStatus.AMBIGUOUS),  # today is Wednesday: at what time?
        ("7 or 8", WhenStatus.AMBIGUOUS),
        ("friday or saturday", WhenStatus.AMBIGUOUS),
        ("9am 10am", WhenStatus.AMBIGUOUS),
        ("friday 28 nov", WhenStatus.AMBIGUOUS),  # the 28th is a Saturday
        ("tomorrow friday", WhenStatus.AMBIGUOUS),
        ("3/12", WhenStatus.AMBIGUOUS),  # 3 December or March 12?
        ("tomorrow morning 7pm", WhenStatus.AMBIGUOUS),
        ("tomorrow in 2 hours", WhenStatus.AMBIGUOUS),
        ("in 500 days", WhenStatus.TOO_FAR),
        ("2028-01-01 10:00", WhenStatus.TOO_FAR),
    ],
)
def test_statuses(phrase: str, status: WhenStatus) -> None:
    result = parse_when(phrase, NOW, LONDON)
    assert result.status is status, phrase
    assert result.when is None
    assert not result.ok


def test_day_without_time_assumes_nine_and_says_so() -> None:
    result = parse_when("tomorrow", NOW, LONDON)
    assert result.ok and result.time_assumed
    assert wall(result.when, LONDON) == "Thu 2026-11-26 09:00"
    assert parse_when("fri", NOW, LONDON).time_assumed
    assert not parse_when("tomorrow 9am", NOW, LONDON).time_assumed


@pytest.mark.parametrize(
    ("hour", "expected"),
    [
        (5, "Wed 2026-11-25 07:00"),  # early: this morning's 7
        (10, "Wed 2026-11-25 19:00"),
        (19, "Thu 2026-11-26 07:00"),  # 19:00 now is not in the future
        (20, "Thu 2026-11-26 07:00"),
    ],
)
def test_bare_hour_is_next_within_the_waking_day(hour: int, expected: str) -> None:
    result = parse_when("at 7", local(LONDON, 2026, 11, 25, hour, 0), LONDON)
    assert wall(result.when, LONDON) == expected


def test_friday_on_a_friday() -> None:
    friday_noon = local(LONDON, 2026, 11, 27, 12, 0)
    assert (
        wall(parse_when("friday 6pm", friday_noon, LONDON).when, LONDON) == "Fri 2026-11-27 18:00"
    )
    assert (
        wall(parse_when("friday 9am", friday_noon, LONDON).when, LONDON) == "Fri 2026-12-04 09:00"
    )
    assert parse_when("this friday 9am", friday_noon, LONDON).status is WhenStatus.PAST
    assert (
        wall(parse_when("next friday", friday_noon, LONDON).when, LONDON) == "Fri 2026-12-04 09:00"
    )


def test_this_evening_after_it_started_means_soon() -> None:
    late = local(LONDON, 2026, 11, 25, 20, 7)
    assert wall(parse_when("this evening", late, LONDON).when, LONDON) == "Wed 2026-11-25 20:30"
    very_late = local(LONDON, 2026, 11, 25, 22, 50)
    assert parse_when("this evening", very_late, LONDON).status is WhenStatus.PAST
    assert wall(parse_when("tonight", very_late, LONDON).when, LONDON) == "Wed 2026-11-25 23:15"
    assert parse_when("this morning", local(LONDON, 2026, 11, 25, 13, 0), LONDON).status is (
        WhenStatus.PAST
    )


# London: clocks go forward Sun 29 Mar 2026 01:00 GMT -> 02:00 BST, back Sun 25 Oct 02:00 -> 01:00.
SPRING_EVE = local(LONDON, 2026, 3, 28, 12, 0)
AUTUMN_EVE = local(LONDON, 2026, 10, 24, 12, 0)


def test_london_spring_forward() -> None:
    assert datetime(2026, 3, 28, 12, 0, tzinfo=UTC) == SPRING_EVE
    nine = parse_when("tomorrow 9am", SPRING_EVE, LONDON).when
    assert nine == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 09:00 BST
    # 01:30 does not exist that night: it moves forward by the gap, to 02:30 BST.
    gap = parse_when("tomorrow 1:30am", SPRING_EVE, LONDON).when
    assert gap == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert wall(gap, LONDON) == "Sun 2026-03-29 02:30"
    # Elapsed time counts real hours; whole days keep the wall clock.
    assert parse_when("in 24 hours", SPRING_EVE, LONDON).when == datetime(
        2026, 3, 29, 12, 0, tzinfo=UTC
    )
    assert wall(parse_when("in 1 day", SPRING_EVE, LONDON).when, LONDON) == "Sun 2026-03-29 12:00"
    night = local(LONDON, 2026, 3, 29, 0, 30)
    assert wall(parse_when("in 2 hours", night, LONDON).when, LONDON) == "Sun 2026-03-29 03:30"


def test_london_fall_back() -> None:
    # 01:30 happens twice: the first one (BST) is taken.
    twice = parse_when("tomorrow 1:30am", AUTUMN_EVE, LONDON).when
    assert twice == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    nine = parse_when("tomorrow 9am", AUTUMN_EVE, LONDON).when
    assert nine == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)  # 09:00 GMT
    assert format_local(nine, LONDON) == "Sunday 25 October, 09:00"


def test_new_york() -> None:
    now = local(NEW_YORK, 2026, 11, 25, 10, 0)
    assert now == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert parse_when("at 7", now, NEW_YORK).when == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert parse_when("tomorrow 9am", now, NEW_YORK).when == datetime(
        2026, 11, 26, 14, 0, tzinfo=UTC
    )
    # US clocks went back on 1 Nov: the Saturday before, "monday 9am" is 9:00 EST.
    saturday = local(NEW_YORK, 2026, 10, 31, 10, 0)
    monday = parse_when("monday 9am", saturday, NEW_YORK).when
    assert monday == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def test_kolkata_half_hour_offset() -> None:
    now = local(KOLKATA, 2026, 11, 25, 10, 0)
    assert now == datetime(2026, 11, 25, 4, 30, tzinfo=UTC)
    assert parse_when("7pm", now, KOLKATA).when == datetime(2026, 11, 25, 13, 30, tzinfo=UTC)
    assert parse_when("in 2 hours", now, KOLKATA).when == datetime(2026, 11, 25, 6, 30, tzinfo=UTC)
    assert format_local(parse_when("fri 6pm", now, KOLKATA).when, KOLKATA) == (
        "Friday 27 November, 18:00"
    )


def test_auckland_is_a_day_ahead_of_utc() -> None:
    now = local(AUCKLAND, 2026, 11, 25, 10, 0)  # NZDT, UTC+13
    assert now == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
    tomorrow = parse_when("tomorrow 9am", now, AUCKLAND).when
    assert tomorrow == datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert wall(parse_when("tonight", now, AUCKLAND).when, AUCKLAND) == "Wed 2026-11-25 20:00"
    # Same UTC instant, read in London: there it is still Tuesday evening.
    assert wall(parse_when("tonight", now, LONDON).when, LONDON) == "Tue 2026-11-24 21:15"


def test_results_are_future_utc_and_within_a_year() -> None:
    phrases = ["at 7", "8:30", "tonight", "tomorrow", "fri 6pm", "noon", "in 5 min", "sunday 9"]
    for tz in (LONDON, NEW_YORK, KOLKATA, AUCKLAND):
        for hour in range(0, 24, 3):
            now = local(tz, 2026, 3, 28, hour, 20)
            for phrase in phrases:
                result = parse_when(phrase, now, tz)
                if result.ok:
                    assert result.when is not None
                    assert now < result.when <= now + timedelta(days=366), (tz, hour, phrase)
                    assert result.when.tzinfo is UTC
                else:
                    assert result.status in (WhenStatus.PAST, WhenStatus.AMBIGUOUS), phrase


def test_format_local() -> None:
    friday = local(LONDON, 2026, 11, 27, 18, 30)
    assert format_local(friday, LONDON) == "Friday 27 November, 18:30"
    assert format_local(friday, LONDON, now=NOW) == "Friday 27 November, 18:30"
    assert format_local(friday, KOLKATA) == "Saturday 28 November, 00:00"
    next_year = local(LONDON, 2027, 1, 5, 9, 0)
    assert format_local(next_year, LONDON, now=NOW) == "Tuesday 5 January 2027, 09:00"


def test_quick_choices_in_the_morning() -> None:
    choices = quick_choices(NOW, LONDON)
    assert [c.key for c in choices] == ["in_1h", "this_evening", "tomorrow_morning"]
    assert [c.label for c in choices] == ["In 1 hour", "This evening", "Tomorrow morning"]
    assert [wall(c.when, LONDON) for c in choices] == [
        "Wed 2026-11-25 11:00",
        "Wed 2026-11-25 19:00",
        "Thu 2026-11-26 09:00",
    ]
    for key, label, when in choices:
        assert len(key.encode()) <= 20 and label and when > NOW


def test_quick_choices_late_and_early() -> None:
    evening = quick_choices(local(LONDON, 2026, 11, 25, 18, 45, 30), LONDON)
    assert evening[0].when == local(LONDON, 2026, 11, 25, 19, 46)  # rounded up to the minute
    assert (evening[1].key, wall(evening[1].when, LONDON)) == (
        "tomorrow_evening",
        "Thu 2026-11-26 19:00",
    )
    small_hours = quick_choices(local(LONDON, 2026, 11, 25, 2, 0), LONDON)
    assert (small_hours[2].key, wall(small_hours[2].when, LONDON)) == (
        "this_morning",
        "Wed 2026-11-25 09:00",
    )


def test_quick_choices_across_dst_and_zones() -> None:
    choices = quick_choices(local(LONDON, 2026, 3, 28, 20, 0), LONDON)
    assert choices[2].when == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 09:00 BST
    auckland = quick_choices(local(AUCKLAND, 2026, 11, 25, 10, 0), AUCKLAND)
    assert wall(auckland[1].when, AUCKLAND) == "Wed 2026-11-25 19:00"


def test_repeat_none() -> None:
    assert next_occurrence(NOW, Repeat.NONE, LONDON) is None
    assert next_occurrence(NOW, "none", LONDON) is None


def test_daily_keeps_local_time_across_london_changes() -> None:
    before_spring = local(LONDON, 2026, 3, 28, 9, 0)
    after = next_occurrence(before_spring, Repeat.DAILY, LONDON)
    assert after == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert wall(after, LONDON) == "Sun 2026-03-29 09:00"
    before_autumn = local(LONDON, 2026, 10, 24, 9, 0)
    after = next_occurrence(before_autumn, "daily", LONDON)
    assert after == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
    assert wall(after, LONDON) == "Sun 2026-10-25 09:00"


def test_daily_in_new_york_and_auckland_dst() -> None:
    ny = next_occurrence(local(NEW_YORK, 2026, 3, 7, 9, 0), Repeat.DAILY, NEW_YORK)
    assert ny == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # 09:00 EDT
    # Auckland leaves daylight time on Sun 5 Apr 2026 (03:00 NZDT -> 02:00 NZST).
    nz = next_occurrence(local(AUCKLAND, 2026, 4, 4, 9, 0), Repeat.DAILY, AUCKLAND)
    assert nz == datetime(2026, 4, 4, 21, 0, tzinfo=UTC)
    assert wall(nz, AUCKLAND) == "Sun 2026-04-05 09:00"
    kolkata = next_occurrence(local(KOLKATA, 2026, 3, 28, 9, 0), Repeat.DAILY, KOLKATA)
    assert kolkata == datetime(2026, 3, 29, 3, 30, tzinfo=UTC)


def test_weekdays_skip_the_weekend() -> None:
    friday = local(LONDON, 2026, 3, 27, 9, 0)
    monday = next_occurrence(friday, Repeat.WEEKDAYS, LONDON)
    assert wall(monday, LONDON) == "Mon 2026-03-30 09:00"  # and BST by then
    assert monday == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    tuesday = next_occurrence(monday, Repeat.WEEKDAYS, LONDON)
    assert wall(tuesday, LONDON) == "Tue 2026-03-31 09:00"


def test_weekly_across_us_fall_back() -> None:
    friday = local(NEW_YORK, 2026, 10, 30, 18, 0)
    nxt = next_occurrence(friday, Repeat.WEEKLY, NEW_YORK)
    assert wall(nxt, NEW_YORK) == "Fri 2026-11-06 18:00"
    assert nxt == datetime(2026, 11, 6, 23, 0, tzinfo=UTC)


def test_repeat_planned_inside_the_gap_keeps_its_intended_time() -> None:
    planned = local(LONDON, 2026, 3, 28, 1, 30)
    shifted = next_occurrence(planned, Repeat.DAILY, LONDON)
    assert wall(shifted, LONDON) == "Sun 2026-03-29 02:30"  # 01:30 did not exist that night
    assert shifted is not None
    assert wall(next_occurrence(shifted, Repeat.DAILY, LONDON), LONDON) == "Mon 2026-03-30 02:30"
    back = next_occurrence(shifted, Repeat.DAILY, LONDON, at=time(1, 30))
    assert wall(back, LONDON) == "Mon 2026-03-30 01:30"


def test_repeat_catches_up_after_downtime() -> None:
    start = local(LONDON, 2026, 1, 1, 9, 0)
    now = local(LONDON, 2026, 3, 10, 12, 0)
    nxt = next_occurrence(start, Repeat.DAILY, LONDON, after=now)
    assert wall(nxt, LONDON) == "Wed 2026-03-11 09:00"
    saturday = local(LONDON, 2026, 3, 14, 10, 0)
    assert wall(next_occurrence(start, "weekdays", LONDON, after=saturday), LONDON) == (
        "Mon 2026-03-16 09:00"
    )
    weekly = next_occurrence(start, Repeat.WEEKLY, LONDON, after=now)  # Thursdays
    assert wall(weekly, LONDON) == "Thu 2026-03-12 09:00"


def test_repeat_rejects_unknown_values() -> None:
    with pytest.raises(ValueError):
        next_occurrence(NOW, "fortnightly", LONDON)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 11, 25, 10, 0)
    with pytest.raises(ValueError, match="aware"):
        parse_when("at 7", naive, LONDON)
    with pytest.raises(ValueError, match="aware"):
        quick_choices(naive, LONDON)
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(naive, Repeat.DAILY, LONDON)
