"""Transport-neutral events in and replies out: what the engine understands and says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class User:
    id: int
    first_name: str = ""
    language_code: str | None = None


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Command:
    name: str
    args: str = ""


@dataclass(frozen=True)
class Button:
    """A press on a choice button. `data` is the opaque callback string the engine issued."""

    data: str


@dataclass(frozen=True)
class Unsupported:
    """A message the bot cannot read (sticker, photo, voice, ...). A caption, if any, is still
    checked for risk."""

    kind: str
    caption: str | None = None


Event = Text | Command | Button | Unsupported


def parse_text(line: str) -> Text | Command:
    """Turn a typed line into a Command when it looks like one ("/new", "/new@SomeBot args")."""
    stripped = line.strip()
    if stripped.startswith("/") and len(stripped) > 1 and not stripped[1].isspace():
        head, _, rest = stripped[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        if name.replace("_", "").isalnum():
            return Command(name, rest.strip())
    return Text(line)


@dataclass(frozen=True)
class Choice:
    """One button: it either sends `data` back to the engine or opens an https `url`."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True)
class Reply:
    """One message to the user. `kind="notice"` is a short acknowledgement of a button press
    (a Telegram callback answer); transports without that concept show it as plain text."""

    text: str = ""
    buttons: tuple[tuple[Choice, ...], ...] = ()
    image: Attachment | None = None
    document: Attachment | None = None
    kind: Literal["message", "notice"] = "message"
    # None: to the person in this conversation. Otherwise another chat (the support team's).
    chat_id: int | None = None

    def choices(self) -> list[Choice]:
        return [c for row in self.buttons for c in row]
