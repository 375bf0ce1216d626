"""Long messages: every reply is cut into parts that fit in one Telegram message, at paragraph,
then line, then sentence, then word boundaries; nothing is dropped. This is the one place it
happens: the engine fits every turn's replies before they are stored or sent.

Telegram counts a message's length in UTF-16 code units: 4,096 for a text, 1,024 for the caption
of a picture or file. The parts here are a little shorter, so the sender can still open a part
with a short note ("Sorry for the delay.") without going over.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dialogs.events import Reply

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
# room kept free in every part for a note the sender may put in front of it
NOTE_ROOM = 96
TEXT_LIMIT = TELEGRAM_TEXT_LIMIT - NOTE_ROOM
CAPTION_LIMIT = TELEGRAM_CAPTION_LIMIT - NOTE_ROOM

# Boundaries to split at, best first: each keeps its separator at the end of the piece before it.
_BOUNDARIES = (
    re.compile(r"(?<=\n\n)"),
    re.compile(r"(?<=\n)"),
    re.compile(r"(?<=[.!?…])(?=\s)"),
    re.compile(r"(?<=\s)(?=\S)"),
)


def units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji can count two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` units, cut at the best boundary that makes them fit.
    Joining the parts gives the text back, apart from whitespace at the cuts."""
    if units(text) <= limit:
        return [text]
    return [p for p in (part.strip() for part in _split(text, limit, 0)) if p]


def _split(text: str, limit: int, level: int) -> list[str]:
    if units(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return _hard_cut(text, limit)
    pieces = [p for p in _BOUNDARIES[level].split(text) if p]
    if len(pieces) == 1:
        return _split(text, limit, level + 1)
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if units(current + piece) <= limit:
            current += piece
            continue
        if current:
            parts.append(current)
        if units(piece) <= limit:
            current = piece
        else:
            # one paragraph (or sentence, or word) too long on its own: split it finer
            *done, current = _split(piece, limit, level + 1)
            parts.extend(done)
    if current:
        parts.append(current)
    return parts


def _hard_cut(text: str, limit: int) -> list[str]:
    """A single 'word' longer than a message (a long link): cut by characters, never inside one."""
    parts, current = [], ""
    for char in text:
        if units(current + char) > limit:
            parts.append(current)
            current = ""
        current += char
    return [*parts, current] if current else parts


def fit(
    replies: list[Reply], text_limit: int = TEXT_LIMIT, caption_limit: int = CAPTION_LIMIT
) -> list[Reply]:
    """The replies with every over-long one split into several, in order. Buttons go on the
    last part; a picture or file whose caption is too long is sent bare, its text after it."""
    out: list[Reply] = []
    for reply in replies:
        if reply.kind == "notice":
            out.append(reply)
            continue
        attachment = reply.image is not None or reply.document is not None
        limit = caption_limit if attachment else text_limit
        if units(reply.text) <= limit:
            out.append(reply)
            continue
        parts = split_text(reply.text, text_limit)
        if attachment:
            out.append(replace(reply, text="", buttons=()))
        else:
            out.append(replace(reply, text=parts[0], buttons=()))
            parts = parts[1:]
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)
            out.append(Reply(text=part, buttons=reply.buttons if last else (),
                             chat_id=reply.chat_id))  # fmt: skip
        if not parts:
            out[-1] = replace(out[-1], buttons=reply.buttons)
    return out
