"""The console chat: the same engine, driven by a piped script through `python -m bot`."""

from __future__ import annotations

import asyncio
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.console import ConsoleChat
from bot.crypto import FieldCipher, load_key
from bot.storage import Storage
from dialogs import Attachment, Button, Choice, Reply, Text

ROOT = Path(__file__).resolve().parent.parent

# Extra /skip lines are harmless: past the questions the bot says there is nothing to skip.
# "Keep it" is a button only if the bot points something out in the balanced thought;
# otherwise it is text where a number is wanted, and the bot simply asks again.
SCRIPT = "\n".join([
    "/start",
    "1",  # I understand
    "Canada",  # typed country
    "Toronto",  # a zone by its button text
    "/new",
    "I didn't get the job after the second interview",
    "I'll never find work, I'm useless",
    "[sticker]",  # not text: a kind answer, nothing lost
    "hopeless",  # an emotion by its button text
    "65",  # how strong
    "80",  # how much I believe the thought
    "1",  # Let's look at it
    "I got to the second round, so they saw something in me",
    *["/skip"] * 5,
    "This time I didn't get it, partly because there were other good candidates",
    "Keep it",
    "40",  # belief now
    "35",  # feeling now
    "Finish here",
]) + "\n"  # fmt: skip
BALANCED = "This time I didn't get it, partly because there were other good candidates"


def _storage(tmp_path: Path) -> Storage:
    key, _ = load_key(None, tmp_path / ".data.key")
    return Storage(tmp_path / "bot.sqlite3", FieldCipher(key))


async def _records(tmp_path: Path):
    async with _storage(tmp_path) as store:
        return await store.thought_records(1)


def run_bot(tmp_path: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    environment.update(BOT_DB_PATH=str(tmp_path / "bot.sqlite3"), **env)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        input=script,
        text=True,
        capture_output=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
    )


def test_piped_script_walks_a_whole_thought_record_into_the_database(tmp_path):
    result = run_bot(tmp_path, SCRIPT, PYTHONPATH=str(ROOT))
    assert result.returncode == 0, result.stderr
    assert "No TELEGRAM_BOT_TOKEN set" in result.stderr
    out = result.stdout
    assert "1) I understand, let's start" in out
    assert "only read text" in out
    assert "Here's what I noticed" in out
    assert "Your thought record is saved" in out
    assert out.rstrip().endswith("(end of input, goodbye)")
    [record] = asyncio.run(_records(tmp_path))
    row = (record.situation, record.thought, record.emotion, record.intensity_before,
           record.belief_before, record.belief_after, record.intensity_after,
           record.balanced_thought)  # fmt: skip
    assert row == (
        "I didn't get the job after the second interview",
        "I'll never find work, I'm useless",
        "hopeless",
        65, 80, 40, 35,
        BALANCED,
    )  # fmt: skip
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        country, zone = db.execute("SELECT country, timezone FROM users").fetchone()
        raw = b"".join(str(v).encode() for r in db.execute("SELECT * FROM thought_records")
                       for v in r)  # fmt: skip
    assert b"second interview" not in raw  # what people write is encrypted at rest
    assert (country, zone) == ("CA", "America/Toronto")


def test_a_second_run_continues_the_same_conversation(tmp_path):
    first = run_bot(
        tmp_path, "/start\n1\nIreland\n/new\nRain ruined the picnic\n", PYTHONPATH=str(ROOT)
    )
    assert first.returncode == 0, first.stderr
    second = run_bot(tmp_path, "It's always like this for me\n2\n40\n", PYTHONPATH=str(ROOT))
    assert "How much do you believe that thought" in second.stdout, second.stdout

    async def state():
        async with _storage(tmp_path) as store:
            return await store.load_dialog(1)

    dialog = asyncio.run(state())
    assert dialog.state == "belief"
    assert dialog.slots["situation"] == "Rain ruined the picnic"
    assert dialog.slots["emotion"] == "anxious"


def test_malformed_setting_is_one_line_naming_it(tmp_path):
    result = run_bot(tmp_path, "", PYTHONPATH=str(ROOT), ESCALATION_CHAT_ID="not-a-number")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ESCALATION_CHAT_ID" in lines[0]
    assert "Traceback" not in result.stderr


class _FakeEngine:
    def __init__(self, replies):
        self.replies = replies
        self.events = []

    async def handle(self, user, event):
        self.events.append(event)
        return self.replies.pop(0) if self.replies else []


async def test_numbers_and_labels_choose_buttons_and_files_are_saved(tmp_path):
    menu = [
        Reply(
            "Pick",
            buttons=(
                (
                    Choice("Yes please", data="1:yes"),
                    Choice("Crisis line", url="https://example.org"),
                ),
                (Choice("No", data="1:no"),),
            ),
        )
    ]
    picture = [Reply("Your chart", image=Attachment("chart.png", b"\x89PNG...", "image/png"))]
    engine = _FakeEngine([menu, [], [], picture, []])
    out = io.StringIO()
    chat = ConsoleChat(
        engine, tmp_path / "files", stdin=io.StringIO("go\n3\nyes please\nx\n1\n"), stdout=out
    )
    await chat.run()
    assert engine.events[0] == Text("go")
    assert engine.events[1] == Button("1:no")  # by number (the url button counts too)
    assert engine.events[2] == Text("yes please")  # buttons are spent after the next reply
    assert (tmp_path / "files" / "chart.png").read_bytes() == b"\x89PNG..."
    assert "2) Crisis line -> https://example.org" in out.getvalue()
    assert engine.events[4] == Text("1")  # no buttons on screen: just text


async def test_numbers_on_a_rating_scale_mean_the_number_not_the_position(tmp_path):
    scale = [Reply("How much? 0-10", buttons=((Choice("0", data="5:0"), Choice("1", data="5:1"),
                                                Choice("2", data="5:2")),))]  # fmt: skip
    engine = _FakeEngine([scale, []])
    chat = ConsoleChat(engine, tmp_path, stdin=io.StringIO("go\n2\n"), stdout=io.StringIO())
    await chat.run()
    assert engine.events[1] == Button("5:2")  # the label "2", not the second button ("1")
