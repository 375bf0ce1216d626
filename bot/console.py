"""The console chat: the same engine as on Telegram, in a terminal or a piped script.

Buttons are shown as numbered choices; answer with the number or the button's text. Pictures and
files are saved under the data folder and their path printed. End of input ends the chat.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from pathlib import Path
from typing import TextIO

from bot.logs import where
from dialogs import Button, Choice, Engine, Reply, Unsupported, User, parse_text

log = logging.getLogger(__name__)

CONSOLE_USER_ID = 1


class ConsoleChat:
    def __init__(
        self,
        engine: Engine,
        out_dir: Path,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        user: User | None = None,
    ) -> None:
        self.engine = engine
        self.out_dir = out_dir
        self.stdin = stdin
        self.stdout = stdout
        self.user = user or User(CONSOLE_USER_ID, first_name=_name())
        self.choices: list[Choice] = []
        self.echo = not stdin.isatty()

    def write(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.write("Console chat. Type your messages; /help for commands, Ctrl-D to quit.")
        while True:
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                self.write("\n(end of input, goodbye)")
                return
            line = line.rstrip("\r\n")
            if self.echo:
                self.write(f"you> {line}")
            event = self.to_event(line)
            try:
                replies = await self.engine.handle(self.user, event)
            except Exception as exc:  # keep the chat alive; the turn was rolled back
                log.error("turn failed: %s at %s", type(exc).__name__, where(exc))
                replies = [Reply(self.engine.texts.get("error.internal"))]
            self.show(replies)

    def to_event(self, line: str):
        stripped = line.strip()
        if (
            stripped.startswith("[")
            and stripped.endswith("]")
            and stripped[1:-1] in ("sticker", "photo", "voice")
        ):
            # Lets a script try what a Telegram user could send that isn't text.
            return Unsupported(stripped[1:-1])
        callable_choices = [c for c in self.choices if c.data]
        # A number picks a button by its position, unless the buttons are numbers themselves
        # (a rating scale): then "5" means five.
        numbered = any(c.label.strip().isdigit() for c in self.choices)
        if stripped.isdigit() and not numbered and 1 <= int(stripped) <= len(self.choices):
            choice = self.choices[int(stripped) - 1]
            if choice.data:
                return Button(choice.data)
            self.write(f"(open {choice.url} in a browser)")
        for choice in callable_choices:
            if stripped.casefold() == choice.label.casefold():
                return Button(choice.data)
        return parse_text(line)

    async def deliver(self, user_id: int, replies: list[Reply]) -> int | None:
        """The reminder loop's sender: a nudge appears in the chat like any message."""
        self.write("(reminder)")
        self.show(replies)
        return None

    def show(self, replies: list[Reply]) -> None:
        # Only the buttons of the latest answer can be chosen by number.
        self.choices = []
        for reply in replies:
            if reply.kind == "notice":
                self.write(f"bot: ({reply.text})")
                continue
            if reply.chat_id is not None:
                self.write(f"[to chat {reply.chat_id}] {reply.text}")
                continue
            if reply.text:
                self.write("bot: " + reply.text.replace("\n", "\n     "))
            for attachment in (reply.image, reply.document):
                if attachment is not None:
                    self.out_dir.mkdir(parents=True, exist_ok=True)
                    path = self.out_dir / Path(attachment.filename).name
                    path.write_bytes(attachment.content)
                    self.write(f"     [file saved: {path}]")
            for choice in reply.choices():
                self.choices.append(choice)
                suffix = f" -> {choice.url}" if choice.url else ""
                self.write(f"     {len(self.choices)}) {choice.label}{suffix}")


def _name() -> str:
    try:
        return getpass.getuser().capitalize()
    except (KeyError, OSError):
        return ""
