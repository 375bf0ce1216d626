"""Encryption at rest for the free text people write (situations, thoughts, answers, notes).

AES-256-GCM from `cryptography`: each value gets a fresh random 96-bit nonce, and the tag makes
any change to the stored bytes fail loudly instead of decrypting to garbage. The associated data
names the table, column and user, so a value copied to another user's row or another column
fails to decrypt too.

A stored value is text (it goes into the existing TEXT columns): "enc1:" followed by unpadded
urlsafe base64 of nonce + ciphertext + tag. The prefix versions the format, so a later key
rotation or algorithm change can tell old values from new ones.

The key comes from DATA_KEY (urlsafe base64 of 32 bytes) or, when that is unset, from a local
key file created on first start. `key_fingerprint` gives a value the database can keep, so that
starting with a different key fails at once with a clear message rather than at the first read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path
from typing import overload

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.config import ConfigError

PREFIX = "enc1:"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
ENV_NAME = "DATA_KEY"
_CHECK_CONSTANT = b"cbt-helplessness-bot key check v1"
# urlsafe base64; the standard alphabet is accepted too, since people paste either.
_KEY_TEXT = re.compile(r"[A-Za-z0-9_\-+/]+={0,2}")


class BadDataKey(ConfigError):
    """DATA_KEY or the key file does not hold a usable key. Never includes the key itself."""


class WrongKey(ConfigError):
    """The key does not open this data: a different DATA_KEY, or the value was altered or moved."""


class NotEncrypted(ValueError):
    """A value that should be encrypted is not in the "enc1:" format."""


def aad_for(table: str, column: str, user_id: int) -> str:
    """The associated data that binds a value to its place: table, column and owner."""
    return f"{table}.{column}:{user_id}"


def is_encrypted(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX)


def new_key_text() -> str:
    """A fresh key in the DATA_KEY format."""
    return _encode(secrets.token_bytes(KEY_BYTES))


def key_fingerprint(key: bytes) -> str:
    """A check value for the key (16 hex digits) that is safe to store beside the data: it tells
    whether a key is the right one but, being an HMAC, reveals nothing about the key."""
    return hmac.new(key, _CHECK_CONSTANT, hashlib.sha256).hexdigest()[:16]


def check_key(key: bytes, stored_fingerprint: str) -> None:
    """Raise WrongKey unless `key` is the key whose fingerprint the database saved."""
    check_fingerprint(key_fingerprint(key), stored_fingerprint)


def check_fingerprint(fingerprint: str, stored_fingerprint: str) -> None:
    if not hmac.compare_digest(fingerprint, stored_fingerprint.strip().lower()):
        raise WrongKey(
            f"{ENV_NAME} does not match the key this database was created with "
            f"(expected key fingerprint {stored_fingerprint}, got {fingerprint}). "
            f"Set {ENV_NAME} to the original key, or point BOT_DB_PATH at a new database."
        )


def load_key(env_value: str | None, key_file: Path) -> tuple[bytes, str]:
    """The data key and a one-line note saying where it came from.

    A non-blank `env_value` (DATA_KEY) wins; otherwise `key_file` is read, or created with 0600
    permissions (and its folder with 0700) when it does not exist yet.
    """
    if env_value is not None and env_value.strip():
        return _decode(env_value, ENV_NAME), f"data key: from {ENV_NAME}"

    try:
        text = key_file.read_text("ascii")
    except FileNotFoundError:
        return _create_key_file(key_file)
    except (OSError, UnicodeDecodeError) as exc:
        raise BadDataKey(
            f"{ENV_NAME} is not set and the key file {key_file} cannot be read: {exc}"
        ) from exc
    key = _decode(text, f"the key file {key_file} (used because {ENV_NAME} is not set)")
    note = f"data key: {ENV_NAME} is not set, using the key file {key_file}"
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        note += f" (warning: permissions are {mode:o}; run chmod 600 {key_file})"
    return key, note


def _create_key_file(key_file: Path) -> tuple[bytes, str]:
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    # Written to a private temporary file and linked into place, so a second process starting
    # at the same moment sees either no file or a complete one, and the first key wins.
    tmp = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask can only remove bits, but be explicit
        os.write(fd, (_encode(key) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, key_file)
    except FileExistsError:
        tmp.unlink()
        return load_key(None, key_file)
    tmp.unlink()
    return key, (
        f"data key: {ENV_NAME} is not set, created a new key file {key_file} (permissions 600). "
        f"Keep a copy somewhere safe: without it the stored text cannot be read. "
        f"To use it elsewhere, set {ENV_NAME} to its contents."
    )


def _encode(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def _decode(text: str, source: str) -> bytes:
    raw = text.strip()
    try:
        if not _KEY_TEXT.fullmatch(raw):
            raise ValueError("not base64")
        # Padding is optional: people often trim the trailing "=".
        body = raw.rstrip("=")
        key = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError:
        raise BadDataKey(
            f"{source} is not urlsafe base64; make a key with: python -m bot.crypto"
        ) from None
    if len(key) != KEY_BYTES:
        raise BadDataKey(
            f"{source} must decode to {KEY_BYTES} bytes, got {len(key)}; "
            f"make a key with: python -m bot.crypto"
        )
    return key


class FieldCipher:
    """Encrypts and decrypts single text values; `None` passes through both ways."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the data key must be {KEY_BYTES} bytes, got {len(key)}")
        self._aead = AESGCM(key)
        self.fingerprint = key_fingerprint(key)

    def __repr__(self) -> str:
        return f"FieldCipher(fingerprint={self.fingerprint})"

    def check(self, stored_fingerprint: str) -> None:
        """Raise WrongKey unless this is the key whose fingerprint the database saved."""
        check_fingerprint(self.fingerprint, stored_fingerprint)

    @overload
    def encrypt(self, text: str, aad: str) -> str: ...
    @overload
    def encrypt(self, text: None, aad: str) -> None: ...
    def encrypt(self, text: str | None, aad: str) -> str | None:
        if text is None:
            return None
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), aad.encode("utf-8"))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")

    @overload
    def decrypt(self, token: str, aad: str) -> str: ...
    @overload
    def decrypt(self, token: None, aad: str) -> None: ...
    def decrypt(self, token: str | None, aad: str) -> str | None:
        if token is None:
            return None
        if not token.startswith(PREFIX):
            raise NotEncrypted(f"value for {aad} is not encrypted (no {PREFIX!r} prefix)")
        body = token[len(PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            raise WrongKey(f"value for {aad} is damaged: not base64") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise WrongKey(f"value for {aad} is damaged: too short")
        try:
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode("utf-8"))
        except InvalidTag:
            # GCM cannot tell a wrong key from altered bytes or a value moved to another row;
            # the start-up fingerprint check is what tells the wrong-key case apart.
            raise WrongKey(
                f"cannot decrypt the value for {aad}: {ENV_NAME} is not the key it was written "
                f"with, or the value was altered or moved"
            ) from None
        return plain.decode("utf-8")


if __name__ == "__main__":
    print(new_key_text())
