"""`python -m bot`: Telegram when TELEGRAM_BOT_TOKEN is set, otherwise the console chat.

Exit status: 0 after a normal stop (SIGTERM, Ctrl-C, end of console input); 1 when the database
cannot be opened or migrated; 2 for a setting or data key that is wrong. Each failure is one
line on stderr, so a supervisor's log says what to fix.
"""

from __future__ import annotations

import asyncio
import sys

from bot.config import ConfigError, configure_logging, load_settings


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    from bot.app import run
    from bot.storage import EncryptionMismatch, SchemaTooNew, StorageUnavailable

    try:
        asyncio.run(run(settings))
    except KeyboardInterrupt:
        pass
    except (StorageUnavailable, SchemaTooNew) as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 1
    except (ConfigError, EncryptionMismatch) as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
