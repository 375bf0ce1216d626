"""Faults between the bot and Telegram, with the real Application code against the stand-in:
a locked database, 500s, a vanished API, a slow send, a 429 for one chat, an edited message."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest
from botapi_stub import FakeBotAPI
from tg_harness import PRODUCTION, RunningBot, TgUser, full_record, texts

CRISIS = "I am going to kill myself tonight"


@pytest.fixture
async def api():
    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def bot(api, tmp_path):
    async with RunningBot(api, tmp_path / "bot.sqlite3") as running:
        yield running


async def onboard(user: TgUser, country: str = "Ireland") -> None:
    await user.say("/start")
    await user.press("I understand")
    await user.press(country)


def since(api: FakeBotAPI, chat: int, before: int) -> list[dict]:
    return api.sent_to(chat)[before:]


async def handled(api: FakeBotAPI, bot: RunningBot, chat: int, update: dict, within=20.0):
    await api.wait_for(
        lambda: bot.transport.last_handled.get(chat, 0) >= update["update_id"],
        timeout=within,
        what=f"update {update['update_id']} handled and its replies settled",
    )


async def risk_levels(bot: RunningBot, chat: int) -> list[str]:
    async with bot.storage._read().execute(
        "SELECT level FROM risk_events WHERE user_id=?", (chat,)
    ) as cur:
        return [r[0] for r in await cur.fetchall()]


async def test_with_the_database_locked_the_crisis_lines_still_arrive_within_5_s(
    api, bot, tmp_path
):
    ann = TgUser(api, bot, 401)
    await onboard(ann)
    before = len(api.sent_to(401))
    # Another process (a backup, the sqlite3 shell) holds the write lock.
    lock = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        start = time.monotonic()
        update = api.push_text(401, CRISIS)
        await api.wait_for(
            lambda: "Samaritans Ireland" in texts(since(api, 401, before)),
            timeout=5,
            what="the crisis lines for Ireland",
        )
        assert time.monotonic() - start < 5
        assert await asyncio.to_thread(lambda: True)  # the bot kept running meanwhile
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    # Storage is back: the message is handled after all, its audit row written, and the lines
    # it decided are not sent a second time (the direct answer stands for them).
    await handled(api, bot, 401, update)
    assert await risk_levels(bot, 401) == ["crisis"]
    profile = await bot.storage.load_profile(401)
    assert profile.nudges_paused_until is not None
    lines = [m for m in since(api, 401, before) if "Samaritans Ireland" in m.get("text", "")]
    assert len(lines) == 1


async def test_500s_on_a_reply_do_not_file_the_next_answer_under_the_wrong_question(api, bot):
    ann = TgUser(api, bot, 402)
    await onboard(ann)
    await ann.say("/new")
    before = len(api.sent_to(402))
    api.fail_next("sendMessage", chat_id=402, error_code=500,
                  description="Internal Server Error", times=3)  # fmt: skip
    api.push_text(402, "My manager shouted at me")
    await asyncio.sleep(0.3)
    assert since(api, 402, before) == []  # nothing came: the person sends it again
    again = api.push_text(402, "My manager shouted at me")
    await handled(api, bot, 402, again)
    got = texts(since(api, 402, before))
    assert "What went through your mind" in got or "tell yourself" in got
    assert "didn't reach you in time" in got  # the question, restated
    dialog = await bot.storage.load_dialog(402)
    assert dialog.state == "thought" and "thought" not in dialog.slots
    await ann.say("I never do anything right")
    dialog = await bot.storage.load_dialog(402)
    assert dialog.slots["situation"] == "My manager shouted at me"
    assert dialog.slots["thought"] == "I never do anything right"


async def test_a_vanished_api_does_not_file_an_answer_under_a_question_never_seen(api, bot):
    ann = TgUser(api, bot, 403)
    await onboard(ann)
    await ann.say("/new")
    before = len(api.sent_to(403))
    calls = len(api.calls)
    api.fail_next("sendMessage", chat_id=403, error_code=502, description="Bad Gateway")
    api.push_text(403, "The train was cancelled")
    await api.wait_for_call("sendMessage", lambda p: p["chat_id"] == 403, after=calls)
    await api.vanish()  # the reply is waiting to be tried again; Telegram is gone
    again = api.push_text(403, "The train was cancelled")  # written meanwhile
    await asyncio.sleep(2)
    await api.reappear()
    await handled(api, bot, 403, again, within=30)
    got = texts(since(api, 403, before))
    assert "didn't reach you in time" in got
    dialog = await bot.storage.load_dialog(403)
    assert dialog.state == "thought" and dialog.slots["situation"] == "The train was cancelled"
    await ann.say("Nothing ever works out for me")
    assert (await bot.storage.load_dialog(403)).slots["thought"] == "Nothing ever works out for me"


async def test_a_send_that_takes_10_s_is_not_sent_twice(api, bot):
    ann = TgUser(api, bot, 404)
    api.slow_next("sendMessage", 10.0, chat_id=404)
    update = api.push_text(404, "/help")
    await handled(api, bot, 404, update, within=30)
    sent = api.sent_to(404)
    assert len(sent) == 1 and "/new" in sent[0]["text"]
    assert len([c for c in api.calls_of("sendMessage") if c["chat_id"] == 404]) == 1
    assert "didn't arrive" not in sent[0]["text"]
    assert ann.id == 404


async def test_a_429_for_one_chat_holds_back_that_chat_only(api, tmp_path):
    async with RunningBot(api, tmp_path / "bot.sqlite3", limits=PRODUCTION) as bot:
        people = list(range(410, 421))
        api.fail_next("sendMessage", chat_id=410, retry_after=3)
        start = time.monotonic()
        updates = {p: api.push_text(p, "/help") for p in people}
        for person, update in updates.items():
            await handled(api, bot, person, update)
        arrived = {p: api.sent_to(p)[-1]["sent_at"] - start for p in people}
        assert arrived[410] >= 3  # that chat waited for its retry time
        assert all(arrived[p] < 2 for p in people[1:]), arrived  # nobody else did
        assert all(len(api.sent_to(p)) == 1 for p in people)


async def test_an_edited_message_that_turns_to_crisis_gets_the_lines(api, bot):
    ann = TgUser(api, bot, 405)
    await onboard(ann)
    await ann.say("/new")
    situation = api.push_text(405, "Work was awful today")
    await handled(api, bot, 405, situation)
    message_id = situation["message"]["message_id"]
    sent = await ann.send("edit", message_id=message_id, text=f"Work was awful today. {CRISIS}")
    assert "Samaritans Ireland" in texts(sent)
    assert await risk_levels(bot, 405) == ["crisis"]
    sent = await ann.send("edit", message_id=message_id, text="Work was fine")
    assert "edited a message" in texts(sent)
    assert (await bot.storage.load_dialog(405)).suspended["slots"]["situation"] == (
        "Work was awful today"
    )


async def test_after_delete_no_byte_of_the_person_is_left_even_in_transit(api, bot, tmp_path):
    ann = TgUser(api, bot, 406, "Quillonia")
    await onboard(ann)
    await full_record(
        ann,
        "I dropped my zebra-marmalade sandwich at the station",
        "I always mess it up",
        "Sad",
        "70",
    )
    await ann.say(CRISIS)
    await ann.press("I'm safe right now")
    async with bot.storage._read().execute("SELECT rules FROM risk_events") as cur:
        rules = {r for row in await cur.fetchall() for r in row[0].split(",")}
    theirs = ["Quillonia", "Europe/Dublin", "zebra-marmalade", "I always mess it up",
              CRISIS, *rules]  # fmt: skip
    await ann.say("/delete")
    sent = await ann.press("Yes, delete everything")
    assert "deleted" in texts(sent)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("bot.sqlite3*"))
    assert [s for s in theirs if s.encode() in raw] == []
    for table in ("inbox", "outbox", "users", "risk_events"):
        async with bot.storage._read().execute(
            f"SELECT count(*) FROM {table} WHERE user_id=406"
        ) as cur:
            assert (await cur.fetchone())[0] == 0, table
