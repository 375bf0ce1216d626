"""/progress, /export, /delete and /stats: what the person (or the operator) sees of the data."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

from dialogs import progress
from dialogs.events import Attachment, Reply
from dialogs.models import Task, ThoughtRecord
from dialogs.turn import Turn

# A /delete confirmation older than this is not acted on: the person is asked again.
DELETE_CONFIRM_WINDOW = timedelta(minutes=10)
CSV_COLUMNS = ["id", "created_at", "situation", "thought", "emotion", "intensity_before",
               "belief_before", "intensity_after", "belief_after", "balanced_thought",
               "permanent", "pervasive", "personal", "distortions"]  # fmt: skip


def progress_data(records: list[ThoughtRecord], tasks: list[Task]) -> progress.ProgressData:
    thoughts = [
        progress.ThoughtPoint(
            created_at=r.created_at,
            intensity_before=r.intensity_before,
            intensity_after=r.intensity_after,
            **{d: d in r.findings.get("dimensions", {}) for d in progress.DIMENSIONS},
        )
        for r in records
    ]
    activities = [
        progress.ActivityPoint(
            due_at=t.due_at,
            done=t.status == "done",
            expected_enjoyment=t.expected_enjoyment,
            expected_achievement=t.expected_achievement,
            actual_enjoyment=t.actual_enjoyment,
            actual_achievement=t.actual_achievement,
            id=t.id,
        )
        for t in tasks
        if t.status != "cancelled"
    ]
    return progress.ProgressData(thoughts, activities)


def progress_text(turn: Turn, numbers: progress.SummaryNumbers, titles: dict[int, str]) -> str:
    """The evidence, stated plainly."""
    if numbers.empty:
        return turn.t("progress.empty")
    fmt = "%d %b"
    lines = [turn.t("progress.title", start=numbers.start.strftime(fmt),
                    end=numbers.end.strftime(fmt))]  # fmt: skip
    if numbers.planned:
        lines.append(turn.t("progress.done", done=numbers.done, planned=numbers.planned))
    if numbers.enjoyment_rated:
        lines.append(turn.t("progress.enjoyment", expected=round(numbers.mean_expected_enjoyment),
                            actual=round(numbers.mean_actual_enjoyment)))  # fmt: skip
    if numbers.achievement_rated:
        lines.append(turn.t("progress.achievement",
                            expected=round(numbers.mean_expected_achievement),
                            actual=round(numbers.mean_actual_achievement)))  # fmt: skip
    surprise = numbers.best_surprise
    if surprise is not None:
        title = titles.get(surprise.activity.id, "")
        lines.append(turn.t("progress.surprise", title=title, measure=turn.t(f"progress.{surprise.measure}_word"),
                            expected=surprise.expected, actual=surprise.actual))  # fmt: skip
    if numbers.intensity_rated:
        lines.append(turn.t("progress.intensity", count=numbers.thoughts,
                            before=round(numbers.mean_intensity_before),
                            after=round(numbers.mean_intensity_after)))  # fmt: skip
    elif numbers.thoughts:
        lines.append(turn.t("progress.thoughts", count=numbers.thoughts))
    style = _style_trend(turn, numbers)
    if style:
        lines.append(style)
    return "\n".join(lines)


def _style_trend(turn: Turn, numbers: progress.SummaryNumbers) -> str | None:
    """How the share of thoughts with a helpless explanation moved from the first week with
    thoughts to the last."""
    weeks = [w for w in numbers.weeks if w.thoughts]
    if len(weeks) < 2:
        return None
    first, last = weeks[0], weeks[-1]

    def share(week) -> int:
        helpless = max(week.permanent, week.pervasive, week.personal)
        return round(100 * helpless / week.thoughts)

    return turn.t("progress.style", first=share(first), last=share(last))


def export_files(user_id: int, data: dict[str, list[dict]], now: datetime) -> list[Reply]:
    """All of the person's data as JSON, and their thought records as CSV."""
    stamp = now.strftime("%Y%m%d")
    payload = {"exported_at": now.isoformat(), "user_id": user_id, "tables": data}
    as_json = json.dumps(payload, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in data.get("thought_records", []):
        dims = (row.get("findings") or {}).get("dimensions", {})
        writer.writerow({**row, **{d: d in dims for d in progress.DIMENSIONS},
                         "distortions": " ".join((row.get("findings") or {})
                                                 .get("distortions", {}))})  # fmt: skip
    return [
        Reply(document=Attachment(f"my-data-{stamp}.json", as_json, "application/json")),
        Reply(
            document=Attachment(
                f"thought-records-{stamp}.csv", out.getvalue().encode("utf-8"), "text/csv"
            )
        ),  # fmt: skip
    ]


def ask_delete(turn: Turn) -> None:
    stamp = int(turn.now.timestamp())
    turn.say(turn.t("delete.ask"), (
        (turn.global_choice(turn.t("delete.yes"), f"delete:{stamp}"),),
        (turn.global_choice(turn.t("delete.no"), "delete:no"),),
    ))  # fmt: skip


def confirm_delete(turn: Turn, arg: str) -> None:
    if arg == "no" or not arg.isdigit():
        turn.say(turn.t("delete.kept"))
        return
    asked = datetime.fromtimestamp(int(arg), tz=turn.now.tzinfo)
    if turn.now - asked > DELETE_CONFIRM_WINDOW:
        turn.say(turn.t("delete.expired"))
        ask_delete(turn)
        return
    turn.writes.delete_user = True
    turn.dialog.flow = turn.dialog.state = None
    turn.dialog.slots, turn.dialog.suspended = {}, None
    turn.say(turn.t("delete.done"))


def stats_text(turn: Turn, stats: dict) -> str:
    weeks = ", ".join(str(n) for n in stats["crisis_events_per_week"])
    return turn.t("stats.text", weeks=weeks, **{k: v for k, v in stats.items()
                                                 if k != "crisis_events_per_week"})  # fmt: skip
