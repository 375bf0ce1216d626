"""When a planned activity should happen: a phrase the person typed ("tomorrow 9am", "at 7",
"in 2 hours", "fri 6pm") read in their own time zone, the confirmation wording, the quick buttons,
and the next date of a repeating task.

Why our own parser and not one from PyPI (measured on this machine, Python 3.11, on the phrases
the planning step must understand, all of them in tests/test_when.py, with a fixed `now` = Wed
25 Nov 2026 10:00 Europe/London):

- dateparser 1.5.0 (pulls regex, pytz, tzlocal, python-dateutil): import 70-80 ms plus 130 ms for
  the first call (language data), then about 0.6 ms a call. Wrong or empty on the phrases that
  matter most here: "tomorrow at 9" -> 10:00 (the "at 9" dropped), "at 7" -> 25 July 00:00,
  "next monday 8" -> nothing, "tmrw" / "2moro" / "tonite" -> nothing. It cannot tell a past time
  from a future one we would roll forward, nor say "ambiguous".
- parsedatetime 2.6 (last release 2020): 0.06 ms a call, but "this evening" -> tomorrow 18:00,
  "this afternoon" -> tomorrow, "next monday 8" -> 09:00, "at 7" and the chat spellings -> nothing.
- This module: import about 3 ms, its regexes compiled on the first call (5-9 ms, once), then
  25-35 us a call (about 2% of one core if all 500 turns/s were time phrases), no dependency, and
  the rules below are ours to state and test. The phrase set a planning step needs is small.

Rules (the confirmation always shows the exact local date and time, so a wrong guess is one tap
from being corrected):

- A bare hour ("at 7", "7", "7:30", "tomorrow at 9") is read as the next occurrence within the
  waking day, 07:00-22:59: "at 7" at 10:00 is 19:00 today, at 05:00 it is 07:00 today, at 20:00 it
  is 07:00 tomorrow; "friday at 3" is 15:00. A part of the day settles it ("tomorrow morning at 8",
  "tonight at 11", "tonight at 1" = 01:00 after midnight). am/pm, 24-hour times ("19:00", "08:30")
  and "noon" / "midnight" are taken as written.
- Parts of the day: morning 09:00, lunch 12:30, afternoon 15:00, evening 19:00, tonight 20:00.
  "this evening" / "tonight" when that hour has passed but the evening has not: the next quarter
  hour at least 15 minutes away.
- A day without a time ("tomorrow", "friday", "3 dec") is 09:00 and says so (`time_assumed`).
  A day without a time that may be today ("today", "friday" on a Friday) is ambiguous: the caller
  asks what time.
- "friday" on a Friday is today if the time is still ahead, else next week; "this friday" is the
  coming one including today; "next friday" the coming one after today.
- A date without a year is this year's, unless it was in the last 30 days (then: past), otherwise
  next year's. "3/12" with both parts <= 12 is ambiguous (day/month order differs by country).
- "in 2 hours" / "in 30 min" count real elapsed time (across a clock change too); "in 2 days" /
  "in a week" keep the wall-clock time of now.
- Local times that do not exist (spring-forward gap) move forward by the gap: 01:30 on the night
  London skips 01:00-02:00 is 02:30 BST. Local times that happen twice (fall-back) take the first
  occurrence. Both are what zoneinfo gives for fold=0; the tests pin them.
- Statuses: UNPARSEABLE (a word we do not know, so we never guess on "after work"), PAST,
  AMBIGUOUS ("7 or 8", "friday 28 nov" when the 28th is a Saturday, "morning at 7pm", vague
  words: "next week", "at the weekend", "later", "soon", "now"),
  TOO_FAR (more than a year ahead). Each is a re-ask for the caller.

English only; another language needs its own word tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo


class WhenStatus(StrEnum):
    OK = "ok"
    UNPARSEABLE = "unparseable"
    PAST = "past"
    AMBIGUOUS = "ambiguous"
    TOO_FAR = "too_far"


@dataclass(frozen=True, slots=True)
class WhenResult:
    status: WhenStatus
    when: datetime | None = None  # aware, UTC; set only when status is OK
    time_assumed: bool = False  # a day without a time got the default 09:00

    @property
    def ok(self) -> bool:
        return self.status is WhenStatus.OK


class Repeat(StrEnum):
    NONE = "none"
    DAILY = "daily"
    WEEKDAYS = "weekdays"
    WEEKLY = "weekly"


class QuickChoice(NamedTuple):
    key: str  # stable and short: usable as callback data and as a text-catalogue key suffix
    label: str  # English default wording
    when: datetime  # aware, UTC


MAX_AHEAD = timedelta(days=366)
WAKING = (7 * 60, 23 * 60)  # minutes of the local day a bare hour may fall in
DEFAULT_MINUTE = 9 * 60
_DAY = 24 * 60

# part of day -> (default minute, range start, range end (exclusive), "still this part" end)
_PARTS = {
    "morning": (9 * 60, 5 * 60, 12 * 60 + 1, 12 * 60),
    "lunch": (12 * 60 + 30, 11 * 60, 15 * 60, 14 * 60),
    "afternoon": (15 * 60, 12 * 60, 18 * 60, 18 * 60),
    "evening": (19 * 60, 17 * 60, 24 * 60, 22 * 60),
    "night": (20 * 60, 18 * 60, 27 * 60, 23 * 60 + 30),
}

_SPELLINGS = {
    **dict.fromkeys(
        [
            "tmrw",
            "tmr",
            "tmrow",
            "tmro",
            "tmoro",
            "tomoro",
            "tomorow",
            "tommorow",
            "tommorrow",
            "tomorrw",
            "tmorrow",
            "2moro",
            "2morrow",
            "2morow",
            "2mrw",
            "2mrow",
            "2moz",
            "tomoz",
        ],
        "tomorrow",
    ),
    **dict.fromkeys(["tonite", "2nite", "2night", "tonigt", "tonght"], "tonight"),
    "2day": "today",
    "tdy": "today",
    "nxt": "next",
    "arvo": "afternoon",
    "aft": "afternoon",
    "eve": "evening",
    "mornin": "morning",
    "morn": "morning",
    "lunchtime": "lunch",
    "midday": "noon",
}
_FILLERS = frozenset(
    [
        "at",
        "on",
        "around",
        "about",
        "by",
        "for",
        "the",
        "of",
        "please",
        "pls",
        "plz",
        "ok",
        "okay",
        "k",
        "then",
        "maybe",
        "say",
        "and",
        "ish",
        "approx",
        "approximately",
        "sometime",
        "like",
        "-",
        "@",
        "~",
        # chat around the time: "I'll do it tomorrow", "how about 7", "yes let's say friday"
        "i",
        "ll",
        "will",
        "do",
        "it",
        "how",
        "what",
        "yes",
        "yeah",
        "sure",
        "let",
        "lets",
        "s",
        "we",
        "can",
    ]
)
_WEEKDAYS = {
    **dict.fromkeys(("mon", "monday"), 0),
    **dict.fromkeys(("tue", "tues", "tuesday"), 1),
    **dict.fromkeys(("wed", "weds", "wednesday"), 2),
    **dict.fromkeys(("thu", "thur", "thurs", "thursday"), 3),
    **dict.fromkeys(("fri", "friday"), 4),
    **dict.fromkeys(("sat", "saturday"), 5),
    **dict.fromkeys(("sun", "sunday"), 6),
}
_MONTHS = {
    **dict.fromkeys(("jan", "january"), 1),
    **dict.fromkeys(("feb", "february"), 2),
    **dict.fromkeys(("mar", "march"), 3),
    **dict.fromkeys(("apr", "april"), 4),
    "may": 5,
    **dict.fromkeys(("jun", "june"), 6),
    **dict.fromkeys(("jul", "july"), 7),
    **dict.fromkeys(("aug", "august"), 8),
    **dict.fromkeys(("sep", "sept", "september"), 9),
    **dict.fromkeys(("oct", "october"), 10),
    **dict.fromkeys(("nov", "november"), 11),
    **dict.fromkeys(("dec", "december"), 12),
}
_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "twenty five": 25,
    "thirty": 30,
    "forty": 40,
    "forty five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
}
_AMOUNTS = {"a": 1, "an": 1, "half a": 0.5, "half an": 0.5, "couple": 2, "few": 3}

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_WD = _alternation(_WEEKDAYS)
_MO = _alternation(_MONTHS)
_HOUR = rf"\d{{1,2}}|{_alternation(w for w, n in _NUMBERS.items() if n <= 12)}"
_AMT = rf"\d+(?:[.,]\d+)?|half an?|an?|(?:a )?couple(?: of)?|(?:a )?few|{_alternation(_NUMBERS)}"
_UNIT = r"minutes?|mins?|m|hours?|hrs?|hr|h|days?|d|weeks?|wks?|w"
_HM = r"\d+ ?(?:hours?|hrs?|h) ?\d{1,2}(?: ?(?:minutes?|mins?|m))?"
_ONE = rf"(?:{_HM}|(?:{_AMT}) ?(?:{_UNIT})(?: and a half)?)"
_DUR = rf"{_ONE}(?:(?: and)? {_ONE})*"
_PIECE = (
    r"(?P<hm>(?P<hh>\d+) ?(?:hours?|hrs?|h) ?(?P<mm>\d{1,2})(?: ?(?:minutes?|mins?|m))?)"
    rf"|(?P<amt>{_AMT}) ?(?P<unit>{_UNIT})(?P<half> and a half)?"
)
_RULE_PATTERNS = (
    ("rel", rf"(?:in|after) (?P<dur>{_DUR})(?: from now| later)?"),
    ("rel", rf"(?P<dur>{_DUR}) (?:from now|later)"),
    ("iso", r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"),
    ("slash", r"(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?"),
    ("date", rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? (?P<mo>{_MO})(?: (?P<y>\d{{4}}))?"),
    ("date", rf"(?P<mo>{_MO}) (?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?: (?P<y>\d{{4}}))?"),
    ("ordinal", r"(?P<d>\d{1,2})(?:st|nd|rd|th)"),
    ("hm", r"(?P<h>\d{1,2})[:.](?P<m>\d{2})(?: ?(?P<ap>am|pm))?"),
    ("hh", r"(?P<h>\d{1,2})h(?P<m>\d{2})"),  # "9h30"; a lone "2h" may mean "in 2 hours"
    ("ampm", rf"(?P<h>{_HOUR}) ?(?P<ap>am|pm)"),
    ("past", rf"(?P<q>half|quarter|\d{{1,2}}|{_alternation(_NUMBERS)}) past (?P<h>{_HOUR})"),
    ("to", rf"(?P<q>quarter|\d{{1,2}}|{_alternation(_NUMBERS)}) to (?P<h>{_HOUR})"),
    ("half", rf"half (?P<h>{_HOUR})"),
    ("noon", r"12 noon|noon"),
    ("midnight", r"midnight"),
    ("offset2", r"day after tomorrow|overmorrow"),
    ("offset", r"today|tomorrow|yesterday|tonight"),
    ("weekday", rf"(?:(?P<mod>this coming|this|next|coming) )?(?P<wd>{_WD})"),
    ("part", rf"(?:(?P<this>this|in the) )?(?P<part>{'|'.join(_PARTS)})"),
    ("bare", rf"(?P<h>{_HOUR})"),
    ("or", r"or"),
    (
        "vague",
        r"next week|this week|(?:this |the )?weekend|later today|later|soon|asap|whenever|now",
    ),
    ("filler", _alternation(_FILLERS)),
)


@cache
def _rules() -> list[tuple[str, re.Pattern[str]]]:
    """Tried in order at each word, earlier rules winning; each must end at a word boundary.
    Compiled on first use (5-9 ms), which an import of dialogs should not pay."""
    return [(name, re.compile(rf"(?:{pattern})(?=\s|$)")) for name, pattern in _RULE_PATTERNS]


@cache
def _piece() -> re.Pattern[str]:
    return re.compile(_PIECE)


def _number(word: str) -> float:
    return float(word.replace(",", ".")) if word[0].isdigit() else _NUMBERS[word]


def _normalize(text: str) -> str:
    s = text.lower().replace("\u2019", "'")
    s = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", s)
    s = re.sub(r"o'?\s?clock", " ", s)
    s = re.sub(r"(?<=\d)\s?-?ish\b", " ", s)
    s = re.sub(r"[,;!?()\"'@~]", " ", s)
    s = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", s)  # keep "6.30", drop sentence dots
    s = re.sub(r"(?<!\d)-|-(?!\d)", " ", s)  # keep "2026-12-03"
    return " ".join(_SPELLINGS.get(word, word) for word in s.split())


def _tokens(s: str) -> list[tuple[str, re.Match[str]]] | None:
    out: list[tuple[str, re.Match[str]]] = []
    pos = 0
    while pos < len(s):
        if s[pos] == " ":
            pos += 1
            continue
        for name, rx in _rules():
            match = rx.match(s, pos)
            if match:
                out.append((name, match))
                pos = match.end()
                break
        else:
            return None
    return out


def _duration(text: str) -> tuple[timedelta, bool] | None:
    """The length of "2 hours", "an hour and a half", "1h30", and whether it is whole days only
    (then it keeps the wall-clock time rather than counting elapsed hours)."""
    minutes = 0.0
    whole_days = True
    for piece in _piece().finditer(text):
        if piece["hm"]:
            minutes += int(piece["hh"]) * 60 + int(piece["mm"])
            whole_days = False
            continue
        amount_word = piece["amt"].removeprefix("a ").removesuffix(" of")
        amount = _AMOUNTS.get(amount_word) or _number(amount_word)
        unit = piece["unit"][0]
        size = {"m": 1, "h": 60, "d": _DAY, "w": 7 * _DAY}[unit]
        if piece["half"]:
            amount += 0.5
        minutes += amount * size
        if unit in "mh" or amount != int(amount):
            whole_days = False
    if minutes <= 0:
        return None
    return timedelta(minutes=minutes), whole_days


def _localize(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of `minute` minutes after local midnight of `day` (may pass midnight).
    fold=0: a skipped time lands after the gap, a repeated time on its first occurrence."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    # A naive datetime would silently be read in the server's zone.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(UTC)


def _ceil_quarter(minute: float) -> int:
    return int(math.ceil(minute / 15) * 15)


def parse_when(text: str, now: datetime, tz: str) -> WhenResult:
    """Read a time phrase typed by the person, in their zone `tz`, relative to `now` (aware)."""
    zone = ZoneInfo(tz)
    now = _utc(now)
    local_now = now.astimezone(zone)
    today = local_now.date()
    now_minute = local_now.hour * 60 + local_now.minute + local_now.second / 60

    tokens = _tokens(_normalize(text))
    if tokens is None:
        return WhenResult(WhenStatus.UNPARSEABLE)
    tokens = [(name, m) for name, m in tokens if name != "filler"]
    if not tokens:
        return WhenResult(WhenStatus.UNPARSEABLE)
    if any(name in ("or", "vague") for name, _ in tokens):
        return WhenResult(WhenStatus.AMBIGUOUS)

    days: list[list[date]] = []
    times: set[tuple[int, bool]] = set()  # (minute of day, taken as written)
    parts: set[str] = set()
    elapsed: timedelta | None = None
    day_minute: int | None = None
    explicit_today = False
    for name, m in tokens:
        if name == "rel":
            parsed = _duration(m["dur"])
            if parsed is None:
                return WhenResult(WhenStatus.UNPARSEABLE)
            length, whole_days = parsed
            if whole_days:
                days.append([today + timedelta(days=length.days)])
                day_minute = local_now.hour * 60 + local_now.minute
            elif elapsed is not None:
                return WhenResult(WhenStatus.AMBIGUOUS)
            else:
                elapsed = length
        elif name in ("iso", "date", "slash", "ordinal"):
            candidates = _date_candidates(name, m, today)
            if isinstance(candidates, WhenStatus):
                return WhenResult(candidates)
            days.append(candidates)
        elif name == "offset":
            word = m.group(0)
            if word == "yesterday":
                return WhenResult(WhenStatus.PAST)
            days.append([today + timedelta(days=1 if word == "tomorrow" else 0)])
            if word == "tonight":
                parts.add("night")
            explicit_today |= word != "tomorrow"
        elif name == "offset2":
            days.append([today + timedelta(days=2)])
        elif name == "weekday":
            ahead = (_WEEKDAYS[m["wd"]] - today.weekday()) % 7
            if m["mod"] == "next" and ahead == 0:
                ahead = 7
            first = today + timedelta(days=ahead)
            days.append(
                [first, first + timedelta(days=7)] if ahead == 0 and not m["mod"] else [first]
            )
        elif name == "part":
            parts.add(m["part"])
            if m["this"] == "this":
                days.append([today])
                explicit_today = True
        else:
            timed = _time_of(name, m)
            if timed is None:
                return WhenResult(WhenStatus.UNPARSEABLE)
            times.add(timed)

    if len(times) > 1 or len(parts) > 1:
        return WhenResult(WhenStatus.AMBIGUOUS)
    if elapsed is not None:
        if days or times or parts:
            return WhenResult(WhenStatus.AMBIGUOUS)
        return _checked(now + elapsed, now)

    # Every day word must agree ("friday 27 nov", "tomorrow friday"); keep the first one's order.
    dates = days[0] if days else [today, today + timedelta(days=1)]
    for other in days[1:]:
        dates = [d for d in dates if d in other]
    if not dates:
        return WhenResult(WhenStatus.AMBIGUOUS)
    part = next(iter(parts), None)

    time_assumed = False
    if times:
        minute, as_written = next(iter(times))
        minutes = _minute_candidates(minute, as_written, part)
        if not minutes:
            return WhenResult(WhenStatus.AMBIGUOUS)
    elif part:
        minutes = [_PARTS[part][0]]
    elif day_minute is not None:
        minutes = [day_minute]
    elif today in dates:
        return WhenResult(WhenStatus.AMBIGUOUS)  # "today", "friday" on a Friday: at what time?
    else:
        minutes = [DEFAULT_MINUTE]
        time_assumed = True

    for day in dates:
        for minute in minutes:
            when = _localize(day, minute, zone)
            if when > now:
                return _checked(when, now, time_assumed)
        if part and not times and explicit_today and day == today:
            # "this evening" said at 20:00: soon, while it is still evening.
            soonest = _ceil_quarter(now_minute + 15)
            if soonest < _PARTS[part][3]:
                return _checked(_localize(day, soonest, zone), now)
    return WhenResult(WhenStatus.PAST)


def _checked(when: datetime, now: datetime, time_assumed: bool = False) -> WhenResult:
    if when <= now:
        return WhenResult(WhenStatus.PAST)
    if when - now > MAX_AHEAD:
        return WhenResult(WhenStatus.TOO_FAR)
    return WhenResult(WhenStatus.OK, when.replace(microsecond=0), time_assumed)


def _date_candidates(name: str, m: re.Match[str], today: date) -> list[date] | WhenStatus:
    try:
        if name == "iso":
            return [date(int(m["y"]), int(m["mo"]), int(m["d"]))]
        if name == "ordinal":
            day = int(m["d"])
            month_start = today.replace(day=1)
            for ahead in range(3):  # the 31st may skip a short month
                year = month_start.year + (month_start.month - 1 + ahead) // 12
                month = (month_start.month - 1 + ahead) % 12 + 1
                try:
                    candidate = date(year, month, day)
                except ValueError:
                    continue
                if candidate >= today:
                    return [candidate]
            return WhenStatus.UNPARSEABLE
        if name == "slash":
            a, b = int(m["a"]), int(m["b"])
            if a <= 12 and b <= 12 and a != b:
                return WhenStatus.AMBIGUOUS
            day, month = (a, b) if a > 12 or a == b else (b, a)
        else:
            day, month = int(m["d"]), _MONTHS[m["mo"]]
        if m["y"]:
            year = int(m["y"])
            return [date(year + 2000 if year < 100 else year, month, day)]
        candidate = date(today.year, month, day)
    except ValueError:
        return WhenStatus.UNPARSEABLE
    if candidate < today and (today - candidate).days > 30:
        try:
            candidate = candidate.replace(year=today.year + 1)
        except ValueError:  # 29 February
            return WhenStatus.UNPARSEABLE
    return [candidate]


def _time_of(name: str, m: re.Match[str]) -> tuple[int, bool] | None:
    """(minute of the day, taken as written) for a time word; a bare 1-12 is not taken as written
    and gets its am/pm later. None for an impossible time ("25:00", "13pm")."""
    if name == "noon":
        return 12 * 60, True
    if name == "midnight":
        return _DAY, True
    hour = int(_number(m["h"]))
    minute = 0
    if name in ("hm", "hh"):
        minute = int(m["m"])
    elif name == "half":
        minute = 30
    elif name in ("past", "to"):
        q = m["q"]
        offset = {"half": 30, "quarter": 15}.get(q) or int(_number(q))
        if offset >= 60:
            return None
        minute = offset if name == "past" else 60 - offset
        if name == "to":
            hour = hour - 1 if hour > 12 else (hour - 1) % 12 or 12
    if minute > 59:
        return None
    ap = m.groupdict().get("ap")
    if ap:
        if not 1 <= hour <= 12:
            return None
        return (hour % 12 + (12 if ap == "pm" else 0)) * 60 + minute, True
    if hour == 24 and minute == 0:
        return _DAY, True
    if hour > 23:
        return None
    leading_zero = m["h"].startswith("0") and len(m["h"]) == 2
    if name == "hh" or hour == 0 or hour > 12 or leading_zero:
        return hour * 60 + minute, True
    return hour * 60 + minute, False


def _minute_candidates(minute: int, as_written: bool, part: str | None) -> list[int]:
    """Where on the day a time may fall, preferred first: as written, or a bare hour's am/pm
    readings (and the after-midnight one for "tonight at 1") inside the part or the waking day."""
    if as_written:
        options = [minute, minute + _DAY] if part == "night" else [minute]
    else:
        base = minute % (12 * 60)
        options = [base + 12 * 60 * k for k in range(3)]
    low, high = (_PARTS[part][1], _PARTS[part][2]) if part else (0, 2 * _DAY)
    if not as_written and not part:
        low, high = WAKING
    return [o for o in options if low <= o < high]


def format_local(when: datetime, tz: str, now: datetime | None = None) -> str:
    """ "Friday 27 November, 18:30" in the person's zone; the year is added when it is not the
    current one (pass `now`), so a confirmation never leaves doubt about which day."""
    zone = ZoneInfo(tz)
    local = when.astimezone(zone)
    year = ""
    if now is not None and now.astimezone(zone).year != local.year:
        year = f" {local.year}"
    day = f"{WEEKDAY_NAMES[local.weekday()]} {local.day} {MONTH_NAMES[local.month - 1]}"
    return f"{day}{year}, {local:%H:%M}"


def quick_choices(now: datetime, tz: str) -> list[QuickChoice]:
    """The three quick buttons: in an hour, this evening at 19:00 (tomorrow's when that is less
    than 30 minutes away or past), and 09:00 the coming morning (today's when it is still the
    small hours, because at 01:00 "tomorrow morning" in speech means the morning ahead)."""
    zone = ZoneInfo(tz)
    now = _utc(now)
    local = now.astimezone(zone)
    today = local.date()
    soon = (now + timedelta(hours=1)).replace(second=0, microsecond=0)
    if soon < now + timedelta(hours=1):
        soon += timedelta(minutes=1)
    choices = [QuickChoice("in_1h", "In 1 hour", soon)]
    evening = _localize(today, 19 * 60, zone)
    if evening - now >= timedelta(minutes=30):
        choices.append(QuickChoice("this_evening", "This evening", evening))
    else:
        tomorrow_evening = _localize(today + timedelta(days=1), 19 * 60, zone)
        choices.append(QuickChoice("tomorrow_evening", "Tomorrow evening", tomorrow_evening))
    if local.hour < 5:
        choices.append(QuickChoice("this_morning", "This morning", _localize(today, 9 * 60, zone)))
    else:
        morning = _localize(today + timedelta(days=1), 9 * 60, zone)
        choices.append(QuickChoice("tomorrow_morning", "Tomorrow morning", morning))
    return choices


def next_occurrence(
    previous: datetime,
    repeat: Repeat | str,
    tz: str,
    *,
    at: time | None = None,
    after: datetime | None = None,
) -> datetime | None:
    """The next due time (UTC) of a repeating task after the one due at `previous`, at the same
    LOCAL wall-clock time (a 09:00 daily task stays at 09:00 across a clock change), Mon-Fri only
    for WEEKDAYS; None for Repeat.NONE.

    `at` is the intended local time: pass it when the task was planned inside a spring-forward gap
    (planned 01:30 in London, shifted to 02:30 that one night), otherwise the shifted time sticks.
    `after` (say, now after a long downtime) skips occurrences up to and including it."""
    repeat = Repeat(repeat)
    if repeat is Repeat.NONE:
        return None
    zone = ZoneInfo(tz)
    local = _utc(previous).astimezone(zone)
    wall = at or local.time().replace(tzinfo=None)
    minute = wall.hour * 60 + wall.minute
    seconds = timedelta(seconds=wall.second)
    day = local.date()
    if after is not None:
        gap_weeks = (after.astimezone(zone).date() - day).days // 7
        if gap_weeks > 1:
            day += timedelta(weeks=gap_weeks - 1)
    while True:
        day += timedelta(days=7 if repeat is Repeat.WEEKLY else 1)
        if repeat is Repeat.WEEKDAYS and day.weekday() >= 5:
            continue
        when = _localize(day, minute, zone) + seconds
        if after is None or when > after:
            return when
