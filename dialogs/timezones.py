"""Time zones a person can pick: by country (from the IANA tables that ship with tzdata), by city
name, or as a fixed UTC offset."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

# Big countries whose zone.tab order is unhelpful: the zones most people live in, west to east.
_CURATED = {
    "US": [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
    ],
    "CA": [
        "America/St_Johns",
        "America/Halifax",
        "America/Toronto",
        "America/Winnipeg",
        "America/Regina",
        "America/Edmonton",
        "America/Vancouver",
    ],
    "AU": [
        "Australia/Perth",
        "Australia/Darwin",
        "Australia/Adelaide",
        "Australia/Brisbane",
        "Australia/Sydney",
        "Australia/Melbourne",
        "Australia/Hobart",
    ],
    "BR": [
        "America/Sao_Paulo",
        "America/Manaus",
        "America/Fortaleza",
        "America/Recife",
        "America/Belem",
        "America/Cuiaba",
        "America/Rio_Branco",
    ],
    "MX": [
        "America/Mexico_City",
        "America/Cancun",
        "America/Chihuahua",
        "America/Mazatlan",
        "America/Tijuana",
    ],
    "RU": [
        "Europe/Kaliningrad",
        "Europe/Moscow",
        "Europe/Samara",
        "Asia/Yekaterinburg",
        "Asia/Novosibirsk",
        "Asia/Krasnoyarsk",
        "Asia/Irkutsk",
        "Asia/Vladivostok",
    ],
    "ES": ["Europe/Madrid", "Atlantic/Canary"],
    "PT": ["Europe/Lisbon", "Atlantic/Azores", "Atlantic/Madeira"],
    "AR": ["America/Argentina/Buenos_Aires"],
    "ID": ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"],
    "NZ": ["Pacific/Auckland"],
}


@cache
def _zone_tab() -> dict[str, list[str]]:
    raw = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    by_country: dict[str, list[str]] = {}
    for line in raw.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _coords, zone, *_ = line.split("\t")
        by_country.setdefault(code, []).append(zone)
    return by_country


def zones_for_country(code: str | None) -> list[str]:
    if not code:
        return []
    code = code.upper()
    return list(_CURATED.get(code) or _zone_tab().get(code, []))


@cache
def _by_city() -> dict[str, str]:
    index: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if "/" not in zone or zone.startswith(("Etc/", "SystemV/", "US/")):
            continue
        city = zone.rsplit("/", 1)[1].replace("_", " ").lower()
        index.setdefault(city, zone)
    return index


_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?00)?$")


def parse_timezone(text: str) -> str | None:
    """'Europe/Berlin', 'berlin', 'new york', 'UTC+2', 'gmt-5', 'utc' -> an IANA zone name."""
    cleaned = " ".join(text.strip().split())
    if not cleaned:
        return None
    lowered = cleaned.lower()
    if lowered in ("utc", "gmt", "z"):
        return "UTC"
    for zone in (cleaned, cleaned.replace(" ", "_")):
        if "/" in zone and zone in available_timezones():
            return zone
    match = _OFFSET.match(lowered)
    if match:
        hours = int(match.group(2))
        if hours == 0:
            return "UTC"
        if hours <= 14:
            # Etc/GMT signs are inverted by POSIX convention: UTC+2 is Etc/GMT-2.
            return f"Etc/GMT{'-' if match.group(1) == '+' else '+'}{hours}"
        return None
    lowered_zones = {z.lower(): z for z in available_timezones()}
    if lowered.replace(" ", "_") in lowered_zones:
        return lowered_zones[lowered.replace(" ", "_")]
    return _by_city().get(lowered)


def is_valid(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):
        return False
    return True


def label(zone: str, now: datetime) -> str:
    """'Chicago (14:05 now)': the local time helps people recognise their zone."""
    local = now.astimezone(ZoneInfo(zone))
    place = zone.rsplit("/", 1)[-1].replace("_", " ")
    if zone.startswith("Etc/GMT"):
        place = "UTC" + local.strftime("%z")[:3]
    return f"{place} ({local:%H:%M} now)"
