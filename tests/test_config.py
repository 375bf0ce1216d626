from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_BASE_URL, ConfigError, load_settings

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"


def test_defaults_without_anything_set():
    s = load_settings({}, dotenv=None)
    assert s.telegram_token is None
    assert s.telegram_base_url == DEFAULT_BASE_URL
    assert s.db_path == Path("./data/bot.sqlite3")
    assert s.escalation_chat_id is None and s.admin_ids == frozenset()
    assert s.default_timezone == "UTC" and s.log_level == "INFO"


def test_all_settings_are_read():
    s = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot/",
            "BOT_DB_PATH": "/tmp/x.db",
            "ESCALATION_CHAT_ID": "-100123",
            "ADMIN_IDS": "1, 2 3",
            "DEFAULT_TIMEZONE": "Europe/Berlin",
            "LOG_LEVEL": "debug",
        },
        dotenv=None,
    )
    assert s.telegram_token == TOKEN
    assert s.telegram_base_url == "http://127.0.0.1:8081/bot"
    assert s.telegram_base_file_url == "http://127.0.0.1:8081/file/bot"
    assert s.escalation_chat_id == -100123 and s.admin_ids == {1, 2, 3}
    assert s.default_timezone == "Europe/Berlin" and s.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_BASE_URL", "ftp://x"),
        ("ESCALATION_CHAT_ID", "abc"),
        ("ADMIN_IDS", "1,two"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_malformed_values_name_the_setting(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, dotenv=None)


def test_dotenv_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nexport DEFAULT_TIMEZONE='Asia/Tokyo'\nLOG_LEVEL=WARNING  # quiet\n"
        f'TELEGRAM_BOT_TOKEN="{TOKEN}"\n'
    )
    s = load_settings({"LOG_LEVEL": "ERROR"}, dotenv=env_file)
    assert s.default_timezone == "Asia/Tokyo"
    assert s.log_level == "ERROR"
    assert s.telegram_token == TOKEN


def test_broken_dotenv_line_is_reported(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("JUST SOME WORDS\n")
    with pytest.raises(ConfigError, match="line 1"):
        load_settings({}, dotenv=env_file)


def test_env_example_documents_every_setting():
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_BASE_URL",
        "BOT_DB_PATH",
        "ESCALATION_CHAT_ID",
        "ADMIN_IDS",
        "DEFAULT_TIMEZONE",
        "LOG_LEVEL",
    ):
        assert f"{name}=" in example
