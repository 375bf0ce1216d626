"""What the bot says when a message suggests risk: never thought challenging, always the lines."""

from __future__ import annotations

from dialogs import crisis_lines
from dialogs.events import Choice
from dialogs.turn import Turn


def suspend_flow(turn: Turn) -> None:
    """Stop the current flow but keep it, so the person can come back to it later."""
    dialog = turn.dialog
    if dialog.active:
        dialog.suspended = {"flow": dialog.flow, "state": dialog.state, "slots": dialog.slots}
        dialog.flow = dialog.state = None
        dialog.slots = {}


def lines_text(turn: Turn) -> tuple[str, list[Choice]]:
    """The crisis lines for the person's country as text (numbers) and https link buttons."""
    lines = crisis_lines.lines_for(turn.profile.country)
    parts = []
    links = []
    for service in lines.services:
        ways = []
        if service.phones:
            ways.append(turn.t("crisis.call", numbers=" / ".join(service.phones)))
        if service.text:
            ways.append(turn.t("crisis.text", text=service.text))
        if service.chat_url:
            ways.append(turn.t("crisis.chat"))
        parts.append(f"• {service.name}: {', '.join(ways)}")
        links.append(Choice(service.name, url=service.chat_url or service.url))
    header = turn.t("crisis.lines_header", country=lines.name)
    emergency = turn.t("crisis.emergency", number=lines.emergency) if lines.emergency else ""
    return "\n".join([header, *parts, emergency]).strip(), links


def crisis_response(turn: Turn) -> None:
    suspend_flow(turn)
    text, links = lines_text(turn)
    turn.say(turn.t("crisis.empathy"))
    rows = [tuple(links[i : i + 2]) for i in range(0, len(links), 2)]
    rows.append(
        (
            turn.global_choice(turn.t("crisis.safe"), "safe"),
            turn.global_choice(turn.t("crisis.more"), "more"),
        )
    )
    turn.say(text, tuple(rows))


def concern_response(turn: Turn) -> None:
    suspend_flow(turn)
    turn.say(
        turn.t("concern.checkin"),
        (
            (
                turn.global_choice(turn.t("concern.yes"), "risk_yes"),
                turn.global_choice(turn.t("concern.no"), "risk_no"),
            ),
            (turn.global_choice(turn.t("crisis.lines_button"), "lines"),),
        ),
    )


def more_resources(turn: Turn) -> None:
    intl = crisis_lines.lines_for(None)
    text = "\n".join(
        [turn.t("crisis.more_header")]
        + [
            f"• {s.name}: {' / '.join(s.phones)}" if s.phones else f"• {s.name}"
            for s in intl.services
        ]
    )
    links = [Choice(s.name, url=s.chat_url or s.url) for s in intl.services if s.url]
    turn.say(text, tuple(tuple(links[i : i + 2]) for i in range(0, len(links), 2)))
