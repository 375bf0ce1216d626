from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.charts import (
    HEIGHT_PX,
    WIDTH_PX,
    ActivityPoint,
    ChartLabels,
    ProgressData,
    ThoughtPoint,
    render_progress,
    summarize,
)

# 18:30 on 2 March in Tokyo (UTC+9): the window is 3 Feb .. 2 Mar local time.
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TZ = "Asia/Tokyo"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR" and length == 13
    body = png[16 : 16 + length]
    (crc,) = struct.unpack(">I", png[16 + length : 20 + length])
    assert zlib.crc32(kind + body) == crc
    assert png[-12:] == b"\x00\x00\x00\x00IEND\xae\x42\x60\x82"
    width, height = struct.unpack(">II", body[:8])
    return width, height


def hand_made() -> ProgressData:
    return ProgressData(
        thoughts=[
            # 16:00 UTC on 2 Feb is 01:00 on 3 Feb in Tokyo: inside, first week.
            ThoughtPoint(utc(2026, 2, 2, 16), 80, 50, permanent=True),
            # 23:00 on 2 Feb in Tokyo: one hour before the window, never counted.
            ThoughtPoint(utc(2026, 2, 2, 14), 90, None, True, True, True),
            ThoughtPoint(utc(2026, 2, 20, 10), 70, None, pervasive=True, personal=True),
            ThoughtPoint(utc(2026, 3, 1, 12), 60, 30, personal=True),
            ThoughtPoint(utc(2025, 6, 1), 99, 1, True, True, True),
        ],
        activities=[
            ActivityPoint(utc(2026, 2, 5, 8), True, 2, 3, 6, 5, id=1),
            ActivityPoint(utc(2026, 2, 6, 8), False, 5, 5, id=2),
            ActivityPoint(utc(2026, 2, 25, 8), True, 4, 2, 4, 6, id=3),
            # Done but only partly rated: counts as done, left out of the means.
            ActivityPoint(utc(2026, 2, 26, 8), True, 6, None, None, 7, id=4),
            # Due later today and not done yet: cannot have been missed, not counted.
            ActivityPoint(utc(2026, 3, 2, 12), False, 5, 5, id=5),
            # Due later today and already done: counted.
            ActivityPoint(utc(2026, 3, 2, 12), True, 3, 3, 3, 3, id=6),
            ActivityPoint(utc(2026, 1, 1, 8), True, 0, 0, 10, 10, id=7),
        ],
    )


def test_summary_numbers() -> None:
    s = summarize(hand_made(), NOW, TZ)
    assert (s.start, s.end) == (date(2026, 2, 3), date(2026, 3, 2))
    assert not s.empty
    assert (s.planned, s.done) == (5, 4)

    assert s.enjoyment_rated == 3
    assert s.mean_expected_enjoyment == pytest.approx((2 + 4 + 3) / 3)
    assert s.mean_actual_enjoyment == pytest.approx((6 + 4 + 3) / 3)
    assert s.achievement_rated == 3
    assert s.mean_expected_achievement == pytest.approx((3 + 2 + 3) / 3)
    assert s.mean_actual_achievement == pytest.approx((5 + 6 + 3) / 3)

    # Two predictions were 4 points too gloomy; the more recent one is the example.
    best = s.best_surprise
    assert best is not None
    assert (best.activity.id, best.measure, best.expected, best.actual, best.gain) == (
        3,
        "achievement",
        2,
        6,
        4,
    )

    assert s.thoughts == 3
    assert (s.permanent, s.pervasive, s.personal) == (1, 1, 2)
    assert s.share("permanent") == pytest.approx(1 / 3)
    assert s.share("personal") == pytest.approx(2 / 3)
    assert s.intensity_rated == 2
    assert (s.mean_intensity_before, s.mean_intensity_after) == (70, 40)

    assert [w.start for w in s.weeks] == [
        date(2026, 2, 3),
        date(2026, 2, 10),
        date(2026, 2, 17),
        date(2026, 2, 24),
    ]
    assert [(w.planned, w.done) for w in s.weeks] == [(2, 1), (0, 0), (0, 0), (3, 3)]
    assert [(w.thoughts, w.permanent, w.pervasive, w.personal) for w in s.weeks] == [
        (1, 1, 0, 0),
        (0, 0, 0, 0),
        (1, 0, 1, 1),
        (1, 0, 0, 1),
    ]


def test_summary_with_no_data() -> None:
    s = summarize(ProgressData(), NOW, TZ)
    assert s.empty
    assert (s.planned, s.done, s.thoughts, s.enjoyment_rated, s.intensity_rated) == (0, 0, 0, 0, 0)
    assert s.mean_expected_enjoyment is None and s.mean_actual_achievement is None
    assert s.mean_intensity_before is None
    assert s.best_surprise is None
    assert s.share("pervasive") is None
    assert len(s.weeks) == 4
    with pytest.raises(ValueError):
        s.share("hopeless")


def test_no_surprise_when_nothing_beat_the_prediction() -> None:
    data = ProgressData(activities=[ActivityPoint(utc(2026, 3, 1), True, 7, 7, 5, 7)])
    s = summarize(data, NOW, "UTC")
    assert s.best_surprise is None and (s.planned, s.done) == (1, 1)


def test_naive_times_are_utc() -> None:
    aware = ProgressData(thoughts=[ThoughtPoint(utc(2026, 2, 2, 16), 50)])
    naive = ProgressData(thoughts=[ThoughtPoint(datetime(2026, 2, 2, 16), 50)])
    assert summarize(naive, NOW.replace(tzinfo=None), TZ) == summarize(aware, NOW, TZ)


@pytest.mark.parametrize(
    "data",
    [
        ProgressData(),
        hand_made(),
        # Only thoughts, no finished ones: two panels empty, one with before-dots only.
        ProgressData(thoughts=[ThoughtPoint(utc(2026, 3, 1), 40)]),
    ],
    ids=["empty", "hand-made", "thoughts-only"],
)
def test_picture_decodes_with_the_expected_size(data: ProgressData) -> None:
    png = render_progress(data, NOW, TZ)
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX) == (1080, 1600)
    assert 5_000 < len(png) < 1_000_000


def test_labels_can_be_translated() -> None:
    labels = ChartLabels(title="Deine letzten 4 Wochen", nothing_yet="noch nichts")
    assert labels.day(date(2026, 3, 2)) == "2 Mar"
    png = render_progress(ProgressData(), NOW, "Europe/Berlin", labels)
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX)


def test_import_does_not_load_matplotlib() -> None:
    code = "import sys, bot.charts; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout.strip()
    assert out == "False"
