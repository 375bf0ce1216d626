"""/journal: the last thought records, briefly, each one a tap away."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from dialogs.models import ThoughtRecord
from dialogs.turn import Turn

PREVIEW_WORDS = 8


def _local(turn: Turn, record: ThoughtRecord) -> str:
    zone = ZoneInfo(turn.profile.timezone or turn.default_timezone)
    return record.created_at.astimezone(zone).strftime("%d %b")


def _preview(text: str) -> str:
    words = text.split()
    return " ".join(words[:PREVIEW_WORDS]) + ("..." if len(words) > PREVIEW_WORDS else "")


def _change(record: ThoughtRecord) -> str:
    if record.intensity_after is None:
        return f"{record.intensity_before}"
    return f"{record.intensity_before} → {record.intensity_after}"


def show_list(turn: Turn) -> None:
    if not turn.records:
        turn.say(turn.t("journal.empty"), ((turn.global_choice(turn.t("menu.new"), "new"),),))
        return
    lines = [turn.t("journal.title")]
    buttons = []
    for number, record in enumerate(turn.records, start=1):
        when = _local(turn, record)
        lines.append(
            f'{number}. {when} · {record.emotion} {_change(record)} · "{_preview(record.thought)}"'
        )
        buttons.append(turn.global_choice(f"{number}. {when}", f"rec:{record.id}"))
    rows = tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4))
    turn.say("\n".join(lines), rows)


def show_record(turn: Turn, record: ThoughtRecord) -> None:
    parts = [
        turn.t("journal.record_title", date=_local(turn, record)),
        turn.t("journal.situation", text=record.situation),
        turn.t("journal.thought", text=record.thought),
        turn.t("journal.feeling", emotion=record.emotion, change=_change(record)),
    ]
    if record.belief_before is not None:
        after = f" → {record.belief_after}" if record.belief_after is not None else ""
        parts.append(turn.t("journal.belief", change=f"{record.belief_before}{after}"))
    noticed = [turn.t(f"dim.{d}") for d in record.findings.get("dimensions", {})]
    noticed += [turn.t(f"trap.{t}") for t in record.findings.get("distortions", {})]
    if noticed:
        parts.append(turn.t("journal.noticed", items=", ".join(noticed)))
    for answer in record.answers:
        parts.append(f"Q: {answer.get('text', '')}\nA: {answer.get('answer', '')}")
    if record.balanced_thought:
        parts.append(turn.t("journal.balanced", text=record.balanced_thought))
    turn.say("\n\n".join(parts))
