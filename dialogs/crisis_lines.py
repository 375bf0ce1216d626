"""Help lines by country: crisis lines (``dialogs/data/crisis_lines.json``) and, for danger from
another person, domestic-abuse lines (``dialogs/data/danger_lines.json``), in one format.

The numbers live in a data file so they can be re-checked and corrected without touching code.
Numbers are meant to be shown as plain text: Telegram does not reliably open ``tel:`` links, so the
file holds only https links (shown as buttons) and the loader refuses anything else.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).parent / "data" / "crisis_lines.json"
# lines for danger from another person (domestic abuse): the same countries, the same format
DANGER_PATH = Path(__file__).parent / "data" / "danger_lines.json"
KINDS = ("crisis", "danger")
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})
INTERNATIONAL_CODE = "INTL"

_CODE_RE = re.compile(r"^[A-Z]{2}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL_FIELDS = ("url", "chat_url", "source")


@dataclass(frozen=True)
class CrisisService:
    name: str
    phones: tuple[str, ...]
    text: str | None
    chat_url: str | None
    url: str
    source: str
    last_checked: str | None
    verified: bool = True
    hours: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class CountryLines:
    code: str
    name: str
    emergency: str
    services: tuple[CrisisService, ...]


@dataclass(frozen=True)
class _Catalogue:
    countries: dict[str, CountryLines]
    international: CountryLines
    aliases: dict[str, str]


def lines_for(country_code: str | None, kind: str = "crisis") -> CountryLines:
    """Lines of a kind ("crisis" or "danger") for a country code (any case); the international
    fallback when unknown or None."""
    catalogue = _load(kind)
    if country_code:
        found = catalogue.countries.get(country_code.strip().upper())
        if found is not None:
            return found
    return catalogue.international


def countries() -> list[tuple[str, str]]:
    """(code, English name) pairs sorted by name, for a country picker."""
    catalogue = _load()
    pairs = [(code, lines.name) for code, lines in catalogue.countries.items()]
    return sorted(pairs, key=lambda pair: _fold(pair[1]))


def find_country(text: str | None) -> str | None:
    """Resolve free text such as "uk", "Deutschland" or "usa" to a code we have lines for."""
    if not text:
        return None
    key = _fold(text)
    if not key:
        return None
    catalogue = _load()
    if key.upper() in catalogue.countries:
        return key.upper()
    return catalogue.aliases.get(key)


def reload() -> None:
    """Forget the cached file, so the next call reads it again (for tests and hot fixes)."""
    _load.cache_clear()


def load_file(path: Path) -> dict[str, Any]:
    """Read and validate a crisis-lines file; raise ValueError naming the first problem."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"crisis lines file {path} cannot be read: {exc}") from exc
    validate(raw)
    return raw


def validate(raw: Any) -> None:
    """Check the structure of the crisis-lines data; raise ValueError naming the first problem."""
    if not isinstance(raw, dict):
        raise ValueError("crisis lines: top level must be an object")
    version = raw.get("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise ValueError(f"crisis lines: unsupported schema_version {version!r}")
    entries = raw.get("countries")
    if not isinstance(entries, dict) or not entries:
        raise ValueError("crisis lines: 'countries' must be a non-empty object")
    for code, entry in entries.items():
        if not isinstance(code, str) or not _CODE_RE.match(code):
            raise ValueError(f"crisis lines: country code {code!r} is not 2 uppercase letters")
        _validate_country(code, entry)
    international = raw.get("international")
    if not isinstance(international, dict):
        raise ValueError("crisis lines: 'international' fallback is missing")
    _validate_country(INTERNATIONAL_CODE, international)


def _validate_country(code: str, entry: Any) -> None:
    where = f"crisis lines [{code}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: entry must be an object")
    for field in ("name", "emergency"):
        if not isinstance(entry.get(field), str) or not entry[field].strip():
            raise ValueError(f"{where}: '{field}' must be a non-empty string")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ValueError(f"{where}: 'aliases' must be a list of strings")
    services = entry.get("services")
    if not isinstance(services, list) or not services:
        raise ValueError(f"{where}: needs at least one service")
    for index, service in enumerate(services):
        _validate_service(f"{where} service {index}", service)
    if not any(s.get("phones") or s.get("text") for s in services):
        raise ValueError(f"{where}: needs at least one service with a phone number or text option")


def _validate_service(where: str, service: Any) -> None:
    if not isinstance(service, dict):
        raise ValueError(f"{where}: must be an object")
    if not isinstance(service.get("name"), str) or not service["name"].strip():
        raise ValueError(f"{where}: 'name' must be a non-empty string")
    phones = service.get("phones")
    if not isinstance(phones, list) or not all(isinstance(p, str) and p.strip() for p in phones):
        raise ValueError(f"{where}: 'phones' must be a list of non-empty strings")
    text = service.get("text")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise ValueError(f"{where}: 'text' must be a non-empty string or null")
    for field in _URL_FIELDS:
        value = service.get(field)
        if value is None and field == "chat_url":
            continue
        if not isinstance(value, str) or not value.startswith("https://"):
            raise ValueError(f"{where}: '{field}' must be an https:// link, got {value!r}")
    for extra in service.get("extra_sources", []):
        if not isinstance(extra, str) or not extra.startswith("https://"):
            raise ValueError(f"{where}: extra source must be an https:// link, got {extra!r}")
    verified = service.get("verified", True)
    if not isinstance(verified, bool):
        raise ValueError(f"{where}: 'verified' must be true or false")
    checked = service.get("last_checked")
    if checked is None:
        if verified:
            raise ValueError(f"{where}: 'last_checked' is null but the entry is not verified=false")
    elif not isinstance(checked, str) or not _DATE_RE.match(checked):
        raise ValueError(f"{where}: 'last_checked' must be an ISO date (YYYY-MM-DD) or null")
    # A tel: link anywhere would show up as a dead button in Telegram.
    for value in service.values():
        if isinstance(value, str) and "tel:" in value.lower():
            raise ValueError(f"{where}: tel: links are not allowed, show numbers as text")


def _fold(text: str) -> str:
    """Lowercase, strip accents and punctuation, collapse spaces: "Österreich!" -> "osterreich"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = re.sub(r"[^\w\s]", " ", stripped)
    return " ".join(cleaned.split())


def _to_service(raw: dict[str, Any]) -> CrisisService:
    return CrisisService(
        name=raw["name"],
        phones=tuple(raw["phones"]),
        text=raw.get("text"),
        chat_url=raw.get("chat_url"),
        url=raw["url"],
        source=raw["source"],
        last_checked=raw.get("last_checked"),
        verified=raw.get("verified", True),
        hours=raw.get("hours"),
        notes=raw.get("notes"),
    )


def _to_country(code: str, raw: dict[str, Any]) -> CountryLines:
    return CountryLines(
        code=code,
        name=raw["name"],
        emergency=raw["emergency"],
        services=tuple(_to_service(s) for s in raw["services"]),
    )


def _build(raw: dict[str, Any]) -> _Catalogue:
    countries_by_code = {code: _to_country(code, e) for code, e in raw["countries"].items()}
    aliases: dict[str, str] = {}
    for code, entry in raw["countries"].items():
        for alias in [entry["name"], *entry.get("aliases", [])]:
            key = _fold(alias)
            owner = aliases.setdefault(key, code)
            if owner != code:
                raise ValueError(f"crisis lines: alias {alias!r} is used by {owner} and {code}")
    international = _to_country(INTERNATIONAL_CODE, raw["international"])
    return _Catalogue(countries=countries_by_code, international=international, aliases=aliases)


@lru_cache(maxsize=len(KINDS))
def _load(kind: str = "crisis") -> _Catalogue:
    return _build(load_file(DANGER_PATH if kind == "danger" else DATA_PATH))
