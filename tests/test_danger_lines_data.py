"""Checks on dialogs/data/danger_lines.json: help lines for people in danger from another person.

The file uses the crisis-lines schema, so it is read and validated with the same loader. These
tests pin what the data promises: every country of crisis_lines.json, the same emergency numbers,
a way to reach every service, https links only, and honest verification marks.
"""

import datetime
import json
import re
from pathlib import Path

import pytest

from dialogs import crisis_lines

DANGER_PATH = Path(crisis_lines.DATA_PATH).with_name("danger_lines.json")

# Countries with no service that could be checked against a source page. Every country was
# verified on 2026-12-02, so the set is empty; if a re-check cannot confirm a country's lines,
# add its code here (with a comment saying why) rather than marking an entry verified.
UNVERIFIED_COUNTRIES: set[str] = set()

# Entries that are directories (a web page listing helplines), not lines you can call or text.
# They are allowed without a phone, text or chat option; everything else must have one.
DIRECTORY_ONLY = {("INTL", "Hot Peach Pages – international directory of abuse help")}

_URL_FIELDS = ("url", "source", "chat_url")


@pytest.fixture(scope="module")
def raw():
    return crisis_lines.load_file(DANGER_PATH)


@pytest.fixture(scope="module")
def crisis_raw():
    return json.loads(crisis_lines.DATA_PATH.read_text(encoding="utf-8"))


def _all_services(raw):
    for code, entry in raw["countries"].items():
        for service in entry["services"]:
            yield code, service
    for service in raw["international"]["services"]:
        yield "INTL", service


def test_file_loads_and_validates_with_the_crisis_lines_schema(raw):
    assert raw["schema_version"] == 1
    crisis_lines.validate(raw)
    crisis_lines._build(raw)  # aliases resolve without clashes, services convert


def test_description_says_what_the_file_is_and_how_it_is_checked(raw):
    description = raw["description"]
    assert "danger from another person" in description
    for phrase in ("'source'", "'last_checked'", "6 months"):
        assert phrase in description


def test_same_countries_as_crisis_lines_plus_international(raw, crisis_raw):
    assert set(raw["countries"]) == set(crisis_raw["countries"])
    assert len(raw["countries"]) == 30
    assert raw["international"]["services"]


def test_same_names_emergency_numbers_and_aliases_as_crisis_lines(raw, crisis_raw):
    for code, entry in crisis_raw["countries"].items():
        ours = raw["countries"][code]
        assert ours["emergency"] == entry["emergency"], code
        assert ours["name"] == entry["name"], code
        assert ours["aliases"] == entry["aliases"], code
    assert raw["international"]["emergency"] == crisis_raw["international"]["emergency"]


def test_between_one_and_three_services_per_country(raw):
    for code, entry in raw["countries"].items():
        assert 1 <= len(entry["services"]) <= 3, code


def test_every_service_can_be_reached_by_phone_text_or_chat(raw):
    for code, service in _all_services(raw):
        if (code, service["name"]) in DIRECTORY_ONLY:
            assert service["url"].startswith("https://"), (code, service["name"])
            continue
        assert service["phones"] or service["text"] or service["chat_url"], (code, service["name"])


def test_directory_exemptions_exist(raw):
    present = {(code, service["name"]) for code, service in _all_services(raw)}
    assert present >= DIRECTORY_ONLY


def test_every_link_is_https(raw):
    for code, service in _all_services(raw):
        for field in _URL_FIELDS:
            value = service.get(field)
            if field == "chat_url" and value is None:
                continue
            assert isinstance(value, str) and value.startswith("https://"), (code, field, value)
        for extra in service.get("extra_sources", []):
            assert extra.startswith("https://"), (code, extra)


def test_no_tel_links_anywhere():
    assert "tel:" not in DANGER_PATH.read_text(encoding="utf-8").lower()


def test_verified_entries_have_a_date_and_a_source_and_unverified_ones_none(raw):
    for code, service in _all_services(raw):
        assert isinstance(service["verified"], bool), (code, service["name"])
        if service["verified"]:
            checked = service["last_checked"]
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", checked), (code, service["name"])
            datetime.date.fromisoformat(checked)
            assert service["source"].startswith("https://"), (code, service["name"])
        else:
            assert service["last_checked"] is None, (code, service["name"])


def test_every_country_has_a_verified_service_except_those_listed(raw):
    without = {
        code
        for code, entry in raw["countries"].items()
        if not any(service["verified"] for service in entry["services"])
    }
    assert without == UNVERIFIED_COUNTRIES


def test_verified_services_with_a_phone_come_first_in_each_country(raw):
    # The first entry is the one a user sees first: it must be a checked line they can call.
    for code, entry in raw["countries"].items():
        first = entry["services"][0]
        if code in UNVERIFIED_COUNTRIES:
            continue
        assert first["verified"] and (first["phones"] or first["text"]), code


def test_every_service_says_who_it_is_for_or_when_it_answers(raw):
    for code, service in _all_services(raw):
        assert isinstance(service.get("notes"), str) and len(service["notes"]) > 20, (
            code,
            service["name"],
        )


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("DE", "116 016"),
        ("ES", "016"),
        ("FR", "3919"),
        ("IT", "1522"),
        ("GB", "0808 2000 247"),
        ("US", "1-800-799-7233"),
        ("AU", "1800 737 732"),
        ("BR", "180"),
        ("KR", "1366"),
        ("ZA", "0800 428 428"),
    ],
)
def test_well_known_national_lines_are_present_and_verified(raw, code, number):
    services = raw["countries"][code]["services"]
    assert any(number in s["phones"] and s["verified"] for s in services), code
