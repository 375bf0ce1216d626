"""What the bot says when a message suggests risk: never thought challenging, always the lines."""

from __future__ import annotations

import hashlib

from dialogs import crisis_lines
from dialogs.events import Choice
from dialogs.turn import Turn


def suspend_flow(turn: Turn) -> None:
    """Stop the current flow but keep it, so the person can come back to it later. A flow that
    is itself part of the crisis response (the safety check) is simply left."""
    dialog = turn.dialog
    if dialog.active:
        if dialog.flow not in ("safety_check",):
            dialog.suspended = {"flow": dialog.flow, "state": dialog.state, "slots": dialog.slots}
        dialog.flow = dialog.state = None
        dialog.slots = {}


def lines_text(turn: Turn, kind: str = "crisis") -> tuple[str, list[Choice]]:
    """The lines of a kind ("crisis", or "danger": domestic-abuse lines) for the person's
    country as text (numbers) and https link buttons. Telegram does not reliably open tel:
    links, so numbers are text and links are https."""
    lines = crisis_lines.lines_for(turn.profile.country, kind)
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
    header = turn.t(f"{kind}.lines_header", country=lines.name)
    emergency = turn.t("crisis.emergency", number=lines.emergency) if lines.emergency else ""
    return "\n".join([header, *parts, emergency]).strip(), links


def plan_summary(turn: Turn) -> str | None:
    """The person's own safety plan, the steps that help most in the moment."""
    plan = turn.safety_plan
    if plan is None or not any(plan.steps.values()):
        return None
    lines = [turn.t("plan.yours")]
    for step in ("coping", "distractions", "people", "professionals", "environment"):
        if plan.steps.get(step):
            lines.append(f"• {turn.t(f'plan.short.{step}')}: {plan.steps[step]}")
    return "\n".join(lines)


def crisis_response(turn: Turn) -> None:
    suspend_flow(turn)
    text, links = lines_text(turn)
    turn.say(turn.t("crisis.empathy"))
    rows = [tuple(links[i : i + 2]) for i in range(0, len(links), 2)]
    plan_key = "crisis.plan_show" if turn.safety_plan else "crisis.plan_make"
    rows.append(
        (
            turn.global_choice(turn.t("crisis.safe"), "safe"),
            turn.global_choice(turn.t("crisis.more"), "more"),
        )
    )
    rows.append((turn.global_choice(turn.t(plan_key), "plan"),))
    summary = plan_summary(turn)
    if summary:
        text = f"{text}\n\n{summary}"
    turn.say(text, tuple(rows))


def lines_only(turn: Turn) -> None:
    """The lines without interrupting anything: asked for from /help or a button."""
    text, links = lines_text(turn)
    rows = [tuple(links[i : i + 2]) for i in range(0, len(links), 2)]
    turn.say(text, tuple(rows))


def checked_digest(text: str) -> str:
    """What a record keeps of a message the person already answered the direct question about
    (so the same words do not bring the same question twice): a digest, not the words."""
    return hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest()[:16]


def concern_response(turn: Turn, pending: str | None = None) -> None:
    """A gentle, direct question. The answer is taken by the safety check flow (typed) or the
    buttons (pressed); help lines stay one tap away either way. The message that raised it is
    kept with the interrupted flow, so a "no" can go on with it."""
    was_active = turn.dialog.active and turn.dialog.flow != "safety_check"
    suspend_flow(turn)
    if was_active and pending is not None and turn.dialog.suspended:
        turn.dialog.suspended["pending"] = pending
    turn.dialog.flow, turn.dialog.state, turn.dialog.slots = "safety_check", "asked", {}
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


def followup_checkin(turn: Turn) -> None:
    """The one gentle check-in a day after a crisis."""
    name = turn.profile.first_name or turn.t("friend")
    turn.say(
        turn.t("followup.text", name=name),
        (
            (
                turn.global_choice(turn.t("followup.ok"), "followup_ok"),
                turn.global_choice(turn.t("followup.struggling"), "followup_bad"),
            ),
            (turn.global_choice(turn.t("crisis.lines_button"), "lines"),),
        ),
    )


def alert_text(turn: Turn, level: str, message: str | None) -> str:
    """What the support team sees: who, how serious, when; the words only with consent."""
    name = turn.profile.first_name or turn.user.first_name or "?"
    text = turn.t(
        "alert.text",
        user_id=turn.user.id,
        name=name,
        level=level,
        time=turn.now.strftime("%Y-%m-%d %H:%M UTC"),
    )
    if message and turn.profile.share_text:
        text += "\n" + turn.t("alert.message", message=message[:500])
    return text


def danger_response(turn: Turn) -> None:
    """Someone else is hurting, threatening or controlling the person: never analysed, never
    challenged. Are you safe right now; the emergency number and the domestic-abuse lines;
    and, when not yet on, discreet reminders."""
    suspend_flow(turn)
    text, links = lines_text(turn, "danger")
    turn.say(turn.t("danger.empathy"))
    rows = [tuple(links[i : i + 2]) for i in range(0, len(links), 2)]
    rows.append(
        (
            turn.global_choice(turn.t("danger.safe"), "danger_safe"),
            turn.global_choice(turn.t("danger.unsafe"), "danger_unsafe"),
        )
    )
    if not turn.profile.discreet:
        rows.append((turn.global_choice(turn.t("discreet.offer"), "discreet_on"),))
    turn.say(f"{text}\n\n{turn.t('danger.ask_safe')}", tuple(rows))


def danger_unsafe(turn: Turn) -> None:
    lines = crisis_lines.lines_for(turn.profile.country, "danger")
    text, links = lines_text(turn, "danger")
    turn.say(turn.t("danger.unsafe_reply", number=lines.emergency))
    turn.say(text, tuple(tuple(links[i : i + 2]) for i in range(0, len(links), 2)))


def after_danger(turn: Turn) -> None:
    """Safe for now: a choice, never straight back to challenging a thought."""
    turn.say(
        turn.t("after_crisis.ask"),
        (
            (
                turn.global_choice(turn.t("after_crisis.calm"), "calm"),
                turn.global_choice(turn.t("after_crisis.later"), "later"),
            ),
            (turn.global_choice(turn.t("danger.lines_button"), "danger_lines"),),
        ),
    )


def danger_lines_only(turn: Turn) -> None:
    text, links = lines_text(turn, "danger")
    turn.say(text, tuple(tuple(links[i : i + 2]) for i in range(0, len(links), 2)))


def after_crisis(turn: Turn) -> None:
    """Once the person is safe for now: a choice, never straight back to challenging a thought.
    What a crisis interrupted stays kept as a draft for later."""
    plan_key = "crisis.plan_show" if turn.safety_plan else "crisis.plan_make"
    turn.say(
        turn.t("after_crisis.ask"),
        (
            (turn.global_choice(turn.t(plan_key), "plan"),),
            (
                turn.global_choice(turn.t("after_crisis.calm"), "calm"),
                turn.global_choice(turn.t("after_crisis.later"), "later"),
            ),
        ),
    )


def calming(turn: Turn) -> None:
    """A short grounding exercise, with the lines one tap away."""
    turn.say(turn.t("calm.text"), ((turn.global_choice(turn.t("crisis.lines_button"), "lines"),),))


def come_back_later(turn: Turn) -> None:
    suspended = turn.dialog.suspended
    if suspended and suspended.get("flow"):
        turn.say(turn.t("after_crisis.later_kept", flow=turn.t(f"flow.{suspended['flow']}")))
    else:
        turn.say(turn.t("after_crisis.later_reply"))


def offer_resume(turn: Turn) -> None:
    """After the person says they are safe: offer to go back to what a crisis interrupted."""
    suspended = turn.dialog.suspended
    if suspended and suspended.get("flow"):
        turn.say(
            turn.t("resume.ask", flow=turn.t(f"flow.{suspended['flow']}")),
            (
                (
                    turn.global_choice(turn.t("resume.yes"), "resume"),
                    turn.global_choice(turn.t("resume.no"), "fresh"),
                ),
            ),
        )
