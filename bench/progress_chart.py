"""Time to build the /progress picture for a user with a year of daily records, and what importing
matplotlib adds to start-up.

    .venv/bin/python bench/progress_chart.py [--repeats 10] [--out /tmp/progress.png]

The input holds 365 days (two thought records and one planned activity a day); only the last 4
weeks are drawn, so this also checks that the filtering stays cheap. The first render in a process
pays the lazy matplotlib import, so it is reported apart from the steady-state renders. The import
cost is measured in fresh interpreters, with and without numpy already loaded (the bot's NLP
pipeline loads numpy anyway, so the second figure is what the bot actually pays).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.charts import (  # noqa: E402
    ActivityPoint,
    ProgressData,
    ThoughtPoint,
    render_progress,
    summarize,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TZ = "Europe/Berlin"


def year_of_data(seed: int = 7) -> ProgressData:
    rng = random.Random(seed)
    data = ProgressData()
    for day in range(365):
        base = NOW - timedelta(days=day)
        for hour in (8, 20):
            before = rng.randint(30, 95)
            data.thoughts.append(
                ThoughtPoint(
                    created_at=base.replace(hour=hour),
                    intensity_before=before,
                    intensity_after=None
                    if rng.random() < 0.15
                    else max(0, before - rng.randint(0, 40)),
                    permanent=rng.random() < 0.5,
                    pervasive=rng.random() < 0.35,
                    personal=rng.random() < 0.4,
                )
            )
        done = rng.random() < 0.75
        data.activities.append(
            ActivityPoint(
                due_at=base.replace(hour=17),
                done=done,
                expected_enjoyment=rng.randint(1, 6),
                expected_achievement=rng.randint(1, 6),
                actual_enjoyment=rng.randint(2, 9) if done else None,
                actual_achievement=rng.randint(2, 9) if done else None,
                id=day,
            )
        )
    return data


IMPORT_SNIPPET = """
import time
{pre}
t = time.perf_counter()
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
print(time.perf_counter() - t)
"""


def import_cost(pre: str, runs: int) -> list[float]:
    code = IMPORT_SNIPPET.format(pre=pre)
    # One unmeasured run so matplotlib's font cache exists, as it will after the first start.
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return [
        float(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(runs)
    ]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--import-runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="save the picture here")
    args = parser.parse_args()

    t = time.perf_counter()
    data = year_of_data()
    print(
        f"input: {len(data.thoughts)} thought records, {len(data.activities)} activities "
        f"(built in {ms(time.perf_counter() - t)})"
    )

    fresh = "matplotlib" not in sys.modules
    t = time.perf_counter()
    png = render_progress(data, NOW, TZ)
    first = time.perf_counter() - t
    print(f"first render{' (includes the matplotlib import)' if fresh else ''}: {ms(first)}")

    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        png = render_progress(data, NOW, TZ)
        times.append(time.perf_counter() - t)
    print(
        f"render, {args.repeats} runs: median {ms(statistics.median(times))}, "
        f"max {ms(max(times))}  (target < 1000 ms; PNG {len(png) // 1024} KiB)"
    )

    t = time.perf_counter()
    for _ in range(100):
        summarize(data, NOW, TZ)
    print(f"summarize: {ms((time.perf_counter() - t) / 100)} per call")

    cold = import_cost("", args.import_runs)
    warm = import_cost("import numpy", args.import_runs)
    print(
        f"matplotlib import in a fresh interpreter, {args.import_runs} runs: "
        f"median {ms(statistics.median(cold))} (numpy included), "
        f"{ms(statistics.median(warm))} with numpy already loaded"
    )

    if args.out:
        args.out.write_bytes(png)
        print(f"saved {args.out}")


if __name__ == "__main__":
    main()
