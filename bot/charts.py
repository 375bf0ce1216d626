"""The /progress picture for the last 4 weeks, drawn from the window and numbers of
`dialogs.progress` (the dialogs layer decides what to load and how to word the summary).

matplotlib is imported inside `render_progress`: it costs noticeable start-up time and most
processes never draw a chart. Rendering uses `Figure` objects, never pyplot, so nothing piles up in
a long-running process; a lock serialises renders because matplotlib's font cache and text layout
are not documented as thread-safe, and callers are expected to run this in a worker thread
(`asyncio.to_thread`) to keep the event loop free.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import TYPE_CHECKING

from dialogs import progress
from dialogs.progress import (  # noqa: F401  (re-exported: callers draw from these types)
    DAYS,
    DIMENSIONS,
    WEEKS,
    ActivityPoint,
    ProgressData,
    SummaryNumbers,
    ThoughtPoint,
    summarize,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_PX = 1080
HEIGHT_PX = 1600
DPI = 150

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
_BEFORE = "#D55E00"
_AFTER = "#0072B2"
_PLANNED = "#BBBBBB"
_DONE = "#009E73"
_EXPECTED = "#999999"
_ACTUAL = "#0072B2"
_DIMENSION_COLOURS = {"permanent": "#D55E00", "pervasive": "#CC79A7", "personal": "#E69F00"}
_DIMENSION_MARKERS = {"permanent": "o", "pervasive": "s", "personal": "^"}

_render_lock = threading.Lock()


@dataclass(frozen=True)
class ChartLabels:
    """Every word drawn on the picture; the dialogs layer can pass a translated set."""

    title: str = "Your last 4 weeks"
    nothing_yet: str = "nothing yet"
    intensity_title: str = "Emotion intensity: before → after each thought record"
    before: str = "before"
    after: str = "after"
    activities_title: str = "Activities per week"
    planned: str = "planned"
    done: str = "done"
    ratings_title: str = "Completed activities: expected vs actual (0-10)"
    enjoyment: str = "Enjoyment"
    achievement: str = "Achievement"
    expected: str = "expected"
    actual: str = "actual"
    style_title: str = "Thoughts explained as… (% per week)"
    permanent: str = "permanent"
    pervasive: str = "pervasive"
    personal: str = "personal"
    months: tuple[str, ...] = (
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    )

    def day(self, d: date) -> str:
        return f"{d.day} {self.months[d.month - 1]}"


def render_progress(
    data: ProgressData, now: datetime, tz: str, labels: ChartLabels | None = None
) -> bytes:
    """A WIDTH_PX x HEIGHT_PX PNG of the last 4 weeks, four stacked panels. Blocks for a few
    hundred milliseconds (more on the first call, which imports matplotlib)."""
    window = progress.window(data, now, tz)
    numbers = progress.summarize_window(window)
    labels = labels or ChartLabels()

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _render_lock:
        fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        fig.get_layout_engine().set(h_pad=0.06, hspace=0.06)  # type: ignore[union-attr]
        fig.suptitle(
            f"{labels.title}   {labels.day(window.start)} – {labels.day(window.end)}",
            fontsize=16,
            fontweight="bold",
        )
        axes = fig.subplots(4, 1)
        _draw_intensity(axes[0], window, labels)
        _draw_activities(axes[1], numbers, labels)
        _draw_ratings(axes[2], window, labels)
        _draw_style(axes[3], numbers, labels)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
        fig.clear()
    return out.getvalue()


_TITLE = 13
_TICKS = 11
_LEGEND = 11


def _style_axes(ax: Axes, title: str) -> None:
    ax.set_title(title, fontsize=_TITLE, loc="left", fontweight="bold")
    ax.tick_params(labelsize=_TICKS)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def _nothing_yet(ax: Axes, labels: ChartLabels) -> None:
    ax.text(
        0.5,
        0.5,
        labels.nothing_yet,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=15,
        color="#777777",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.grid(False)


def _week_ticks(
    ax: Axes, numbers: SummaryNumbers, labels: ChartLabels, counts: Sequence[int] = ()
) -> None:
    ticks = [
        f"{labels.day(w.start)}–\n{labels.day(w.start + timedelta(days=6))}" for w in numbers.weeks
    ]
    if counts:
        ticks = [f"{tick}\nn={n}" for tick, n in zip(ticks, counts, strict=True)]
    ax.set_xticks(range(WEEKS))
    ax.set_xticklabels(ticks)


def _draw_intensity(ax: Axes, window: progress.Window, labels: ChartLabels) -> None:
    _style_axes(ax, labels.intensity_title)
    if not window.thoughts:
        _nothing_yet(ax, labels)
        return
    xs, before, pairs = [], [], []
    for wall, record in window.thoughts:
        x = (wall - window.start_wall).total_seconds() / 86400
        xs.append(x)
        before.append(record.intensity_before)
        if record.intensity_after is not None:
            pairs.append((x, record.intensity_before, record.intensity_after))
    if pairs:
        ax.vlines(
            [p[0] for p in pairs],
            [p[1] for p in pairs],
            [p[2] for p in pairs],
            colors="#888888",
            linewidth=1.5,
            alpha=0.6,
        )
    ax.scatter(xs, before, s=45, color=_BEFORE, label=labels.before, zorder=3)
    ax.scatter(
        [p[0] for p in pairs],
        [p[2] for p in pairs],
        s=45,
        color=_AFTER,
        label=labels.after,
        zorder=3,
    )
    ax.set_ylim(-5, 130)  # headroom above 100 keeps the legend off the points
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_xlim(-0.5, DAYS + 0.5)
    # Each tick is the start of the day it names, so the last one is today.
    ticks = [*range(0, DAYS, 7), DAYS - 1]
    ax.set_xticks(ticks)
    ax.set_xticklabels([labels.day(window.start + timedelta(days=d)) for d in ticks])
    ax.legend(fontsize=_LEGEND, loc="upper left", ncols=2, frameon=False)


def _draw_activities(ax: Axes, numbers: SummaryNumbers, labels: ChartLabels) -> None:
    _style_axes(ax, labels.activities_title)
    if numbers.planned == 0:
        _nothing_yet(ax, labels)
        return
    width = 0.38
    planned = [w.planned for w in numbers.weeks]
    done = [w.done for w in numbers.weeks]
    xs = range(WEEKS)
    bars_p = ax.bar(
        [x - width / 2 for x in xs], planned, width, color=_PLANNED, label=labels.planned
    )
    bars_d = ax.bar([x + width / 2 for x in xs], done, width, color=_DONE, label=labels.done)
    for bars in (bars_p, bars_d):
        ax.bar_label(bars, fontsize=_TICKS, padding=2)
    ax.set_ylim(0, max(planned) * 1.45 + 1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    _week_ticks(ax, numbers, labels)
    ax.legend(fontsize=_LEGEND, loc="upper left", ncols=2, frameon=False)


def _draw_ratings(ax: Axes, window: progress.Window, labels: ChartLabels) -> None:
    _style_axes(ax, labels.ratings_title)
    done = [a for _, a in window.activities if a.done]
    series = []
    for name, expected, actual in (
        (labels.enjoyment, "expected_enjoyment", "actual_enjoyment"),
        (labels.achievement, "expected_achievement", "actual_achievement"),
    ):
        rated = [
            (getattr(a, expected), getattr(a, actual))
            for a in done
            if getattr(a, expected) is not None and getattr(a, actual) is not None
        ]
        if rated:
            series.append((name, fmean(e for e, _ in rated), fmean(a for _, a in rated), rated))
    if not series:
        _nothing_yet(ax, labels)
        return
    width = 0.36
    xs = range(len(series))
    bars_e = ax.bar(
        [x - width / 2 for x in xs],
        [s[1] for s in series],
        width,
        color=_EXPECTED,
        label=labels.expected,
    )
    bars_a = ax.bar(
        [x + width / 2 for x in xs],
        [s[2] for s in series],
        width,
        color=_ACTUAL,
        label=labels.actual,
    )
    for bars in (bars_e, bars_a):
        ax.bar_label(bars, fmt="%.1f", fontsize=_TICKS + 1, padding=2)
    ax.set_xticks(list(xs))
    ax.set_xticklabels([f"{s[0]} (n={len(s[3])})" for s in series], fontsize=_TICKS + 1)
    ax.set_ylim(0, 13.5)
    ax.set_yticks([0, 2, 4, 6, 8, 10])
    ax.set_xlim(-0.7, len(series) - 0.3)
    ax.legend(fontsize=_LEGEND, loc="upper left", ncols=2, frameon=False)


def _draw_style(ax: Axes, numbers: SummaryNumbers, labels: ChartLabels) -> None:
    _style_axes(ax, labels.style_title)
    if numbers.thoughts == 0:
        _nothing_yet(ax, labels)
        return
    for offset, dimension in zip((-0.05, 0, 0.05), DIMENSIONS, strict=True):
        # A week without thoughts is a gap, not 0%; the small offsets keep equal values visible.
        shares = [
            100 * getattr(w, dimension) / w.thoughts if w.thoughts else float("nan")
            for w in numbers.weeks
        ]
        ax.plot(
            [week + offset for week in range(WEEKS)],
            shares,
            marker=_DIMENSION_MARKERS[dimension],
            markersize=8,
            linewidth=2.5,
            color=_DIMENSION_COLOURS[dimension],
            label=getattr(labels, dimension),
        )
    ax.set_ylim(-5, 130)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_xlim(-0.3, WEEKS - 0.7)
    # With a handful of thoughts a week the shares jump; n says how much to trust each point.
    _week_ticks(ax, numbers, labels, [w.thoughts for w in numbers.weeks])
    ax.legend(fontsize=_LEGEND, loc="upper left", ncols=3, frameon=False)
