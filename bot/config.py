"""Settings from the environment (and a .env file). Names are a contract other tools rely on."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DB_PATH = "./data/bot.sqlite3"
_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class ConfigError(ValueError):
    """A setting is missing or malformed. The message names the setting, in one line."""


@dataclass(frozen=True)
class Settings:
    telegram_token: str | None
    telegram_base_url: str
    db_path: Path
    escalation_chat_id: int | None
    admin_ids: frozenset[int]
    default_timezone: str
    log_level: str
    reminder_max_late_minutes: int = 120
    crisis_pause_hours: int = 24
    data_key: str | None = None
    data_key_file: Path = Path(".data.key")
    # Telegram's limits (30 messages a second overall, one a second per chat); off only against
    # a local stand-in of the Bot API, which has none
    send_rate_limits: bool = True

    @property
    def telegram_base_file_url(self) -> str:
        # PTB's file URL sits beside the API URL: .../bot -> .../file/bot
        root, _, last = self.telegram_base_url.rstrip("/").rpartition("/")
        return f"{root}/file/{last}"


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; '#' comments; optional quotes. The environment wins over the file."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigError(f"{path}: line {number} is not KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip()] = value
    return values


def _int(name: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(
            f"{name} must be an integer (a Telegram chat or user id), got {raw!r}"
        ) from None


def load_settings(
    env: dict[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    merged = read_dotenv(dotenv) if dotenv else {}
    merged.update(os.environ if env is None else env)

    def get(name: str) -> str | None:
        value = merged.get(name, "").strip()
        return value or None

    token = get("TELEGRAM_BOT_TOKEN")
    if token is not None and not _TOKEN.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN does not look like a BotFather token (digits:letters)"
        )

    base_url = get("TELEGRAM_BASE_URL") or DEFAULT_BASE_URL
    if not re.match(r"^https?://[^/\s]+", base_url):
        raise ConfigError(f"TELEGRAM_BASE_URL must be an http(s) URL, got {base_url!r}")

    escalation = get("ESCALATION_CHAT_ID")
    admin_raw = get("ADMIN_IDS") or ""
    admins = frozenset(_int("ADMIN_IDS", part) for part in re.split(r"[,\s]+", admin_raw) if part)

    zone = get("DEFAULT_TIMEZONE") or "UTC"
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):
        raise ConfigError(
            f"DEFAULT_TIMEZONE is not a known time zone: {zone!r} (try Europe/London)"
        ) from None

    level = (get("LOG_LEVEL") or "INFO").upper()
    if level not in _LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(_LEVELS)}, got {level!r}")

    def minutes(name: str, default: int, low: int, high: int) -> int:
        raw = get(name)
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
        return int(raw)

    limits = (get("SEND_RATE_LIMITS") or "on").lower()
    if limits not in ("on", "off"):
        raise ConfigError(f"SEND_RATE_LIMITS must be on or off, got {limits!r}")

    return Settings(
        send_rate_limits=limits == "on",
        data_key=get("DATA_KEY"),
        data_key_file=Path(get("DATA_KEY_FILE") or ".data.key"),
        reminder_max_late_minutes=minutes("REMINDER_MAX_LATE_MINUTES", 120, 0, 7 * 24 * 60),
        crisis_pause_hours=minutes("CRISIS_PAUSE_HOURS", 24, 0, 24 * 14),
        telegram_token=token,
        telegram_base_url=base_url.rstrip("/"),
        db_path=Path(get("BOT_DB_PATH") or DEFAULT_DB_PATH),
        escalation_chat_id=_int("ESCALATION_CHAT_ID", escalation) if escalation else None,
        admin_ids=admins,
        default_timezone=zone,
        log_level=level,
    )


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and the URL contains the bot token.
    # These log message contents at DEBUG (python-telegram-bot logs whole updates, aiosqlite
    # the SQL parameters), and what people write must never reach a log: never below INFO.
    for payload_logger in ("telegram", "aiosqlite"):
        logging.getLogger(payload_logger).setLevel(max(logging.INFO, logging.getLevelName(level)))
    for noisy in ("httpx", "httpcore", "transitions", "spacy"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
