"""Transport-neutral events in and replies out: what the engine understands and says."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Literal


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


@dataclass(frozen=True)
class Edited:
    """A message the person sent earlier and has now edited. Its new text is checked for risk
    like a new message; it never changes an answer already taken."""

    text: str


Event = Text | Command | Button | Unsupported | Edited


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

    def to_data(self) -> dict[str, Any]:
        """The reply as plain JSON data (to be kept until it is sent)."""

        def attachment(a: Attachment | None) -> dict | None:
            if a is None:
                return None
            return {"filename": a.filename, "mime": a.mime,
                    "content": base64.b64encode(a.content).decode("ascii")}  # fmt: skip

        return {
            "text": self.text,
            "buttons": [[[c.label, c.data, c.url] for c in row] for row in self.buttons],
            "image": attachment(self.image),
            "document": attachment(self.document),
            "kind": self.kind,
            "chat_id": self.chat_id,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Reply:
        def attachment(a: dict | None) -> Attachment | None:
            if a is None:
                return None
            return Attachment(a["filename"], base64.b64decode(a["content"]), a["mime"])

        return cls(
            text=data["text"],
            buttons=tuple(tuple(Choice(*c) for c in row) for row in data["buttons"]),
            image=attachment(data["image"]),
            document=attachment(data["document"]),
            kind=data["kind"],
            chat_id=data["chat_id"],
        )
