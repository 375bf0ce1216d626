"""Onboarding (/start) and /settings: consent, country (for crisis lines) and time zone."""

from __future__ import annotations

from typing import Any

from dialogs import crisis_lines, timezones
from dialogs.events import Event, Text
from dialogs.flows.base import Flow
from dialogs.turn import Turn

# Shown as buttons first; any other country can be typed.
COMMON_COUNTRIES = ["US", "GB", "CA", "AU", "IE", "IN", "NZ", "DE"]
NO_COUNTRY = "none"
MAX_ZONE_BUTTONS = 8


def ask_country(turn: Turn) -> None:
    names = dict(crisis_lines.countries())
    row = [(names.get(code, code), code) for code in COMMON_COUNTRIES if code in names]
    rows = [row[i : i + 2] for i in range(0, len(row), 2)]
    rows.append([(turn.t("country.prefer_not"), NO_COUNTRY)])
    turn.ask(turn.t("country.ask"), rows)


def take_country(turn: Turn, event: Event, choice: str | None) -> bool:
    """Store the country from a button or typed name; re-ask and return False if unknown."""
    if choice == NO_COUNTRY:
        code = None
    elif choice:
        code = choice
    elif isinstance(event, Text):
        code = crisis_lines.find_country(event.text)
        if code is None:
            turn.say(turn.t("country.unknown"))
            ask_country(turn)
            return False
    else:
        return False
    turn.profile.country = code
    turn.save_profile()
    name = crisis_lines.lines_for(code).name if code else turn.t("country.international")
    turn.say(turn.t("country.saved", country=name))
    zones = timezones.zones_for_country(code)
    if len(zones) == 1:
        # One time zone in the country: no need to ask.
        turn.profile.timezone = zones[0]
        turn.say(turn.t("timezone.saved", zone=timezones.label(zones[0], turn.now)))
    return True


def ask_timezone(turn: Turn) -> None:
    zones = timezones.zones_for_country(turn.profile.country)[:MAX_ZONE_BUTTONS]
    if not zones:
        zones = list(dict.fromkeys([turn.profile.timezone or turn.default_timezone, "UTC"]))
    options = [(timezones.label(z, turn.now), z) for z in zones]
    rows = [options[i : i + 2] for i in range(0, len(options), 2)]
    turn.ask(turn.t("timezone.ask"), rows)


def take_timezone(turn: Turn, event: Event, choice: str | None) -> bool:
    zone = None
    if choice and timezones.is_valid(choice):
        zone = choice
    elif isinstance(event, Text):
        zone = timezones.parse_timezone(event.text)
    if zone is None:
        turn.say(turn.t("timezone.unknown"))
        ask_timezone(turn)
        return False
    turn.profile.timezone = zone
    turn.save_profile()
    turn.say(turn.t("timezone.saved", zone=timezones.label(zone, turn.now)))
    return True


def ask_alerts(turn: Turn) -> None:
    turn.ask(
        turn.t("alerts.ask"),
        [
            [(turn.t("alerts.yes"), "yes")],
            [(turn.t("alerts.yes_text"), "yes_text")],
            [(turn.t("alerts.no"), "no")],
        ],
    )


def take_alerts(turn: Turn, event: Event, choice: str | None) -> bool:
    if choice not in ("yes", "yes_text", "no"):
        ask_alerts(turn)
        return False
    turn.profile.share_alerts = choice != "no"
    turn.profile.share_text = choice == "yes_text"
    turn.save_profile()
    turn.say(turn.t("alerts.saved_yes" if turn.profile.share_alerts else "alerts.saved_no"))
    return True


def _single_zone(event: Any) -> bool:
    return len(timezones.zones_for_country(event.model.turn.profile.country)) == 1


def _escalation(event: Any) -> bool:
    return event.model.turn.escalation_enabled


QUIET_PRESETS = [(21, 7), (22, 8), (23, 9), (0, 0)]


def quiet_label(turn: Turn, start: int, end: int) -> str:
    return turn.t("settings.quiet_none") if start == end else f"{start:02d}:00–{end:02d}:00"


def ask_quiet(turn: Turn) -> None:
    options = [[(quiet_label(turn, a, b), f"{a}-{b}")] for a, b in QUIET_PRESETS]
    turn.ask(turn.t("quiet.ask"), options)


def take_quiet(turn: Turn, event: Event, choice: str | None) -> bool:
    presets = {f"{a}-{b}": (a, b) for a, b in QUIET_PRESETS}
    if choice not in presets:
        ask_quiet(turn)
        return False
    turn.profile.quiet_start, turn.profile.quiet_end = presets[choice]
    turn.save_profile()
    hours = quiet_label(turn, turn.profile.quiet_start, turn.profile.quiet_end)
    turn.say(turn.t("quiet.saved", hours=hours))
    return True


# The steps both flows share: how to ask, and how to take the answer.
STEPS = {
    "country": (ask_country, take_country),
    "timezone": (ask_timezone, take_timezone),
    "alerts": (ask_alerts, take_alerts),
    "quiet": (ask_quiet, take_quiet),
}


class ProfileFlow(Flow):
    # trigger fired when a shared step was answered, per state
    answered: dict[str, str]

    def enter(self, turn: Turn, state: str) -> None:
        STEPS[state][0](turn)

    def handle(self, turn: Turn, event: Event, choice: str | None) -> str | None:
        state = turn.dialog.state
        return self.answered[state] if STEPS[state][1](turn, event, choice) else None


class Onboarding(ProfileFlow):
    name = "onboarding"
    states = ["welcome", "country", "timezone", "alerts"]
    initial = "welcome"
    transitions = [
        {"trigger": "agree", "source": "welcome", "dest": "country"},
        {"trigger": "decline", "source": "welcome", "dest": "done"},
        {
            "trigger": "country_set",
            "source": "country",
            "dest": "alerts",
            "conditions": [_single_zone, _escalation],
        },
        {"trigger": "country_set", "source": "country", "dest": "done", "conditions": _single_zone},
        {"trigger": "country_set", "source": "country", "dest": "timezone"},
        {"trigger": "zone_set", "source": "timezone", "dest": "alerts", "conditions": _escalation},
        {"trigger": "zone_set", "source": "timezone", "dest": "done"},
        {"trigger": "answered", "source": "alerts", "dest": "done"},
    ]

    answered = {"country": "country_set", "timezone": "zone_set", "alerts": "answered"}

    def enter(self, turn: Turn, state: str) -> None:
        if state != "welcome":
            super().enter(turn, state)
            return
        turn.say(turn.t("onboarding.welcome", name=turn.user.first_name or turn.t("friend")))
        turn.ask(
            turn.t("onboarding.privacy"),
            [(turn.t("onboarding.agree"), "agree"), (turn.t("onboarding.decline"), "no")],
        )

    def handle(self, turn: Turn, event: Event, choice: str | None) -> str | None:
        if turn.dialog.state != "welcome":
            return super().handle(turn, event, choice)
        if choice == "agree":
            turn.profile.consented_at = turn.now
            turn.save_profile()
            return "agree"
        if choice == "no":
            turn.dialog.slots["declined"] = True
            return "decline"
        turn.ask(
            turn.t("onboarding.agree_first"),
            [(turn.t("onboarding.agree"), "agree"), (turn.t("onboarding.decline"), "no")],
        )
        return None

    def finish(self, turn: Turn) -> None:
        if turn.dialog.slots.get("declined"):
            turn.say(turn.t("onboarding.declined"))
            return
        turn.say(
            turn.t("onboarding.done"),
            (
                (
                    turn.global_choice(turn.t("menu.new"), "new"),
                    turn.global_choice(turn.t("menu.help"), "help"),
                ),
            ),
        )


class Settings(ProfileFlow):
    name = "settings"
    states = ["menu", "country", "timezone", "quiet", "alerts"]
    initial = "menu"
    transitions = [
        {"trigger": "pick_country", "source": "menu", "dest": "country"},
        {"trigger": "pick_timezone", "source": "menu", "dest": "timezone"},
        {"trigger": "pick_quiet", "source": "menu", "dest": "quiet"},
        {"trigger": "pick_alerts", "source": "menu", "dest": "alerts"},
        {"trigger": "close", "source": "menu", "dest": "done"},
        {"trigger": "saved", "source": ["country", "timezone", "quiet", "alerts"], "dest": "menu"},
    ]

    answered = {"country": "saved", "timezone": "saved", "quiet": "saved", "alerts": "saved"}

    def enter(self, turn: Turn, state: str) -> None:
        if state == "menu":
            country = turn.profile.country
            options = [
                [
                    (
                        turn.t(
                            "settings.country",
                            country=crisis_lines.lines_for(country).name
                            if country
                            else turn.t("country.international"),
                        ),
                        "country",
                    )
                ],
                [(turn.t("settings.timezone", zone=turn.profile.timezone or "?"), "timezone")],
            ]
            hours = quiet_label(turn, turn.profile.quiet_start, turn.profile.quiet_end)
            options.append([(turn.t("settings.quiet", hours=hours), "quiet")])
            key = "settings.discreet_on" if turn.profile.discreet else "settings.discreet_off"
            options.append([(turn.t(key), "discreet")])
            if turn.escalation_enabled:
                key = "settings.alerts_on" if turn.profile.share_alerts else "settings.alerts_off"
                options.append([(turn.t(key), "alerts")])
            options.append([(turn.t("settings.close"), "close")])
            turn.ask(turn.t("settings.menu"), options)
        else:
            super().enter(turn, state)

    def handle(self, turn: Turn, event: Event, choice: str | None) -> str | None:
        state = turn.dialog.state
        if state == "menu":
            if choice == "discreet":
                turn.profile.discreet = not turn.profile.discreet
                turn.save_profile()
                self.enter(turn, "menu")
                return None
            if choice in ("country", "timezone", "quiet", "alerts", "close"):
                return "close" if choice == "close" else f"pick_{choice}"
            self.enter(turn, "menu")
            return None
        return super().handle(turn, event, choice)

    def finish(self, turn: Turn) -> None:
        turn.say(turn.t("settings.closed"))
