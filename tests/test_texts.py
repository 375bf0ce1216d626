"""The text catalogue: every key the code uses exists, no key is defined twice, and every
text formats with the values the code passes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from dialogs.texts import catalogue

ROOT = Path(__file__).resolve().parent.parent
KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""")


def _used_keys() -> set[str]:
    keys = set()
    for path in (ROOT / "dialogs").rglob("*.py"):
        keys |= set(KEY.findall(path.read_text("utf-8")))
    return keys


def test_every_literal_key_in_the_code_is_in_the_catalogue():
    texts = catalogue("en")
    missing = sorted(k for k in _used_keys() if k not in texts)
    assert not missing, missing
    assert len(_used_keys()) > 100


def test_no_key_is_defined_twice():
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        duplicates = {k for k in keys if keys.count(k) > 1}
        assert not duplicates, duplicates
        return dict(pairs)

    json.loads((ROOT / "dialogs" / "texts" / "en.json").read_text("utf-8"),
               object_pairs_hook=no_duplicates)  # fmt: skip


def test_no_text_uses_markup_or_tel_links():
    raw = (ROOT / "dialogs" / "texts" / "en.json").read_text("utf-8")
    assert "tel:" not in raw
    assert "<b>" not in raw and "**" not in raw  # messages go out as plain text
