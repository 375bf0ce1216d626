from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.crypto import (
    PREFIX,
    BadDataKey,
    FieldCipher,
    NotEncrypted,
    WrongKey,
    aad_for,
    check_key,
    is_encrypted,
    key_fingerprint,
    load_key,
    new_key_text,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AAD = aad_for("thought_records", "thought", 42)


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(KEY)


@pytest.mark.parametrize(
    "text",
    [
        "I never stand up for myself and nothing will ever change",
        "",
        "Ich bin schuld — immer. Ça ne change jamais. Всё из-за меня. 😞➡️🙂",
        "a\nmulti-line\tanswer with 'quotes' and \"enc1:\" inside",
        "x" * 10_000,
    ],
)
def test_round_trip(cipher: FieldCipher, text: str) -> None:
    token = cipher.encrypt(text, AAD)
    assert isinstance(token, str) and token.startswith(PREFIX) and is_encrypted(token)
    assert token.isascii()
    assert cipher.decrypt(token, AAD) == text


def test_none_passes_through(cipher: FieldCipher) -> None:
    assert cipher.encrypt(None, AAD) is None
    assert cipher.decrypt(None, AAD) is None
    assert not is_encrypted(None)


def test_ciphertext_has_no_plaintext(cipher: FieldCipher) -> None:
    text = "my flatmate secret situation"
    token = cipher.encrypt(text, AAD)
    for word in text.split():
        assert word not in token
        assert base64.urlsafe_b64encode(word.encode()).decode().rstrip("=") not in token
    raw = base64.urlsafe_b64decode(token[len(PREFIX) :] + "==")
    assert text.encode() not in raw
    # nonce + ciphertext of the same length as the text + tag, nothing more
    assert len(raw) == 12 + len(text.encode()) + 16


def test_fresh_nonce_for_the_same_text(cipher: FieldCipher) -> None:
    tokens = {cipher.encrypt("same words", AAD) for _ in range(50)}
    assert len(tokens) == 50
    nonces = {base64.urlsafe_b64decode(t[len(PREFIX) :] + "==")[:12] for t in tokens}
    assert len(nonces) == 50


@pytest.mark.parametrize(
    "other",
    [
        aad_for("thought_records", "thought", 43),  # another user
        aad_for("thought_records", "situation", 42),  # another column
        aad_for("activities", "thought", 42),  # another table
    ],
)
def test_moved_value_fails(cipher: FieldCipher, other: str) -> None:
    token = cipher.encrypt("mine", AAD)
    with pytest.raises(WrongKey):
        cipher.decrypt(token, other)


def test_wrong_key_fails_cleanly(cipher: FieldCipher) -> None:
    token = cipher.encrypt("mine", AAD)
    with pytest.raises(WrongKey, match="DATA_KEY") as caught:
        FieldCipher(OTHER_KEY).decrypt(token, AAD)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert isinstance(caught.value, ConfigError)  # the start-up path prints these in one line


def test_tampered_value_fails(cipher: FieldCipher) -> None:
    token = cipher.encrypt("mine", AAD)
    body = bytearray(base64.urlsafe_b64decode(token[len(PREFIX) :] + "=="))
    body[14] ^= 1
    tampered = PREFIX + base64.urlsafe_b64encode(bytes(body)).decode().rstrip("=")
    with pytest.raises(WrongKey):
        cipher.decrypt(tampered, AAD)
    for damaged in (PREFIX, PREFIX + "abc", PREFIX + "!!!not base64!!!"):
        with pytest.raises(WrongKey):
            cipher.decrypt(damaged, AAD)


def test_plaintext_is_not_silently_accepted(cipher: FieldCipher) -> None:
    with pytest.raises(NotEncrypted):
        cipher.decrypt("plain old text", AAD)


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        FieldCipher(b"short")


def test_fingerprint_detects_the_wrong_key() -> None:
    stored = key_fingerprint(KEY)
    assert len(stored) == 16 and int(stored, 16) >= 0
    assert key_fingerprint(KEY) == stored
    assert FieldCipher(KEY).fingerprint == stored
    assert key_fingerprint(OTHER_KEY) != stored
    check_key(KEY, stored)
    with pytest.raises(
        WrongKey, match="DATA_KEY does not match the key this database was created with"
    ):
        check_key(OTHER_KEY, stored)
    assert KEY.hex() not in repr(FieldCipher(KEY))


def test_env_key_is_used(tmp_path) -> None:
    key_file = tmp_path / "keys" / "data.key"
    text = base64.urlsafe_b64encode(OTHER_KEY).decode()
    for value in (text, f"  {text}\n", text.rstrip("=")):
        key, note = load_key(value, key_file)
        assert key == OTHER_KEY
        assert "DATA_KEY" in note
    assert not key_file.exists()


def test_key_file_created_0600_and_reused(tmp_path) -> None:
    key_file = tmp_path / "data" / "nested" / "data.key"
    old_umask = os.umask(0)  # even a permissive umask must not widen the file
    try:
        key, note = load_key(None, key_file)
    finally:
        os.umask(old_umask)
    assert len(key) == 32
    assert f"created a new key file {key_file}" in note
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary file left behind

    again, note2 = load_key(None, key_file)
    assert again == key
    assert note2.endswith(f"using the key file {key_file}")
    # A blank DATA_KEY (an empty line in .env) counts as unset.
    assert load_key("  ", key_file)[0] == key
    # The file holds the DATA_KEY format, so it can be moved into the environment as is.
    assert load_key(key_file.read_text(), tmp_path / "unused")[0] == key


def test_loose_key_file_permissions_are_reported(tmp_path) -> None:
    key_file = tmp_path / "data.key"
    key_file.write_text(new_key_text())
    key_file.chmod(0o644)
    _, note = load_key(None, key_file)
    assert "warning" in note and "chmod 600" in note


@pytest.mark.parametrize(
    "value",
    [
        "not a key at all!",
        base64.urlsafe_b64encode(b"sixteen byte key").decode(),
        base64.urlsafe_b64encode(bytes(33)).decode(),
        "secret-🔑",
    ],
)
def test_malformed_env_key_names_the_variable(tmp_path, value: str) -> None:
    with pytest.raises(BadDataKey, match="DATA_KEY") as caught:
        load_key(value, tmp_path / "data.key")
    assert isinstance(caught.value, ValueError) and not isinstance(caught.value, KeyError)
    assert value not in str(caught.value)  # never echo a secret
    assert not (tmp_path / "data.key").exists()


def test_damaged_key_file_names_the_file(tmp_path) -> None:
    key_file = tmp_path / "data.key"
    key_file.write_text("garbage\n")
    with pytest.raises(BadDataKey, match="data.key"):
        load_key(None, key_file)


def test_new_key_text_loads() -> None:
    text = new_key_text()
    key, _ = load_key(text, Path("/nonexistent/never/read"))
    assert len(key) == 32 and text != new_key_text()


def test_module_prints_a_key() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.crypto"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout.strip()
    assert len(base64.urlsafe_b64decode(out)) == 32
