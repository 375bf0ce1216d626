import copy
import json
import re

import pytest

from dialogs import crisis_lines
from dialogs.crisis_lines import (
    DATA_PATH,
    CountryLines,
    countries,
    find_country,
    lines_for,
    validate,
)

EXPECTED_CODES = {
    "US", "CA", "GB", "IE", "AU", "NZ", "DE", "FR", "ES", "IT", "NL", "BE", "AT", "CH", "SE",
    "NO", "DK", "FI", "PL", "PT", "IN", "BR", "MX", "AR", "ZA", "JP", "KR", "SG", "PH", "UA",
}  # fmt: skip


@pytest.fixture(scope="module")
def raw():
    return json.loads(DATA_PATH.read_text(encoding="utf-8"))


def _all_services(raw):
    for code, entry in raw["countries"].items():
        for service in entry["services"]:
            yield code, service
    for service in raw["international"]["services"]:
        yield "INTL", service


def test_file_validates(raw):
    validate(raw)
    assert raw["schema_version"] == 1


def test_covers_at_least_twenty_countries(raw):
    assert len(raw["countries"]) >= 20
    assert set(raw["countries"]) >= EXPECTED_CODES


def test_every_entry_has_source_and_check_date_or_is_marked_unverified(raw):
    for code, service in _all_services(raw):
        assert service["source"].startswith("https://"), (code, service["name"])
        if service.get("verified", True):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", service["last_checked"]), code
        else:
            assert service["last_checked"] is None, code


def test_every_country_has_a_phone_or_text_option():
    for code, _name in countries():
        lines = lines_for(code)
        assert any(s.phones or s.text for s in lines.services), code
        assert lines.emergency


def test_fallback_has_findahelpline_and_the_big_four_numbers():
    fallback = lines_for(None)
    assert fallback.code == "INTL"
    numbers = {p for s in fallback.services for p in s.phones}
    assert {"988", "116 123", "13 11 14"} <= numbers
    assert any(s.url.startswith("https://findahelpline.com") for s in fallback.services)


def test_unknown_country_falls_back_to_international():
    assert lines_for("XX").code == "INTL"
    assert lines_for("").code == "INTL"
    assert lines_for("RU").code == "INTL"


def test_lookup_is_case_insensitive():
    assert lines_for("us") == lines_for("US") == lines_for(" Us ")
    gb = lines_for("gb")
    assert isinstance(gb, CountryLines)
    assert gb.code == "GB"
    assert any("116 123" in s.phones for s in gb.services)
    us = lines_for("us").services[0]
    assert us.phones == ("988",)
    assert us.text == "988"
    assert us.chat_url == "https://988lifeline.org/chat"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("uk", "GB"),
        ("United Kingdom", "GB"),
        ("england", "GB"),
        ("gb", "GB"),
        ("usa", "US"),
        ("U.S.A.", "US"),
        ("United States", "US"),
        ("Deutschland", "DE"),
        ("germany", "DE"),
        ("Österreich", "AT"),
        ("osterreich", "AT"),
        ("España", "ES"),
        ("Schweiz", "CH"),
        ("the netherlands", "NL"),
        ("holland", "NL"),
        ("  ireland ", "IE"),
        ("south korea", "KR"),
        ("nz", "NZ"),
        ("Aotearoa", "NZ"),
        ("brasil", "BR"),
        ("México", "MX"),
    ],
)
def test_find_country_resolves_names_aliases_and_codes(text, code):
    assert find_country(text) == code


@pytest.mark.parametrize("text", [None, "", "   ", "narnia", "xx", "!!"])
def test_find_country_returns_none_for_unknown(text):
    assert find_country(text) is None


def test_countries_are_sorted_by_name_for_the_picker():
    pairs = countries()
    assert len(pairs) >= 20
    names = [name for _code, name in pairs]
    assert names == sorted(names, key=str.casefold)
    assert ("DE", "Germany") in pairs


def test_no_tel_links_anywhere():
    assert "tel:" not in DATA_PATH.read_text(encoding="utf-8").lower()


def test_all_links_are_https(raw):
    for code, service in _all_services(raw):
        for field in ("url", "source", "chat_url"):
            value = service.get(field)
            if value is not None:
                assert value.startswith("https://"), (code, field, value)


def _broken(raw, mutate):
    data = copy.deepcopy(raw)
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["countries"]["US"]["services"][0].update(url="http://988lifeline.org"),
            "https",
        ),
        (lambda d: d["countries"]["US"]["services"][0].update(chat_url="tel:988"), "https"),
        (lambda d: d["countries"]["US"]["services"][0].update(notes="tel:988"), "tel:"),
        (lambda d: d["countries"].update(usa=d["countries"]["US"]), "2 uppercase"),
        (lambda d: d["countries"]["FR"].update(services=[]), "at least one service"),
        (
            lambda d: d["countries"]["FR"]["services"][0].update(phones=[], text=None),
            "phone number or text",
        ),
        (lambda d: d["countries"]["FR"]["services"][0].update(last_checked=None), "last_checked"),
        (lambda d: d.update(schema_version=99), "schema_version"),
        (lambda d: d.pop("international"), "international"),
    ],
)
def test_validation_rejects_bad_data_with_a_clear_error(raw, mutate, message):
    with pytest.raises(ValueError, match=message):
        validate(_broken(raw, mutate))


def test_bad_file_raises_value_error_on_load(tmp_path, monkeypatch):
    bad = tmp_path / "crisis_lines.json"
    bad.write_text('{"schema_version": 1, "countries": {}}', encoding="utf-8")
    monkeypatch.setattr(crisis_lines, "DATA_PATH", bad)
    crisis_lines.reload()
    try:
        with pytest.raises(ValueError, match="countries"):
            lines_for("US")
    finally:
        monkeypatch.undo()
        crisis_lines.reload()
    assert lines_for("US").code == "US"
