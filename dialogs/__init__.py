"""What the bot says and when: the engine, the flows and the texts. Knows nothing of Telegram."""

from dialogs.engine import Engine, EngineSettings, TurnResult
from dialogs.events import (
    Attachment,
    Button,
    Choice,
    Command,
    Edited,
    Event,
    Reply,
    Text,
    Unsupported,
    User,
    parse_text,
)

__all__ = [
    "Attachment",
    "Button",
    "Choice",
    "Command",
    "Edited",
    "Engine",
    "EngineSettings",
    "Event",
    "Reply",
    "Text",
    "TurnResult",
    "Unsupported",
    "User",
    "parse_text",
]
