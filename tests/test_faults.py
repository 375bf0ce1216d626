"""A turn that fails, for any reason, still answers: crisis lines for a message at risk (the
audit row written once storage is back), an apology that restates the question otherwise."""

from __future__ import annotations

import random
import sqlite3

import pytest
from engine_driver import Chat, onboard

from dialogs import Button, Edited, Engine, EngineSettings, Text, User
from dialogs.engine import country_hint

CRISIS = "I am going to kill myself tonight"
CONCERN = "I wish I could go to sleep and not wake up"


def locked(*args, **kwargs):
    raise sqlite3.OperationalError("database is locked")


@pytest.fixture
def engine(storage, clock) -> Engine:
    return Engine(storage, EngineSettings(default_timezone="Europe/London", outbox=True),
                  clock=clock, rng=random.Random(5))  # fmt: skip


async def risk_rows(storage, user_id):
    async with storage._read().execute(
        "SELECT level FROM risk_events WHERE user_id=?", (user_id,)
    ) as cur:
        return [r[0] for r in await cur.fetchall()]


@pytest.mark.parametrize("message", [CRISIS, CONCERN])
async def test_storage_failing_in_the_turn_still_gives_the_lines_and_audits_later(
    engine, storage, monkeypatch, message
):
    chat = Chat(engine, User(31, "Ann"))
    await onboard(chat, "Ireland")
    await chat.send("/new")
    monkeypatch.setattr(storage, "commit_turn", locked)
    monkeypatch.setattr(storage, "record_risk", locked)
    result = await engine.turn(chat.user, Text(message))
    assert result.failed and result.urgent and not result.stored
    text = "\n".join(r.text for r in result.replies)
    assert "Samaritans Ireland" in text  # the person's country, from their profile
    assert "I'm safe right now" in [c.label for r in result.replies for c in r.choices()]
    assert await risk_rows(storage, 31) == []
    assert await engine.catch_up() == 1  # storage still down: the row waits
    monkeypatch.undo()
    assert await engine.catch_up() == 0
    assert await risk_rows(storage, 31) == ["crisis" if message == CRISIS else "concern"]


async def test_with_storage_gone_entirely_the_country_comes_from_memory_or_the_language(
    engine, storage, monkeypatch, clock
):
    chat = Chat(engine, User(32, "Ann"))
    await onboard(chat, "Ireland")
    for name in ("load_dialog", "load_profile", "load_safety_plan", "commit_turn"):
        monkeypatch.setattr(storage, name, locked)
    replies = await engine.handle(chat.user, Text(CRISIS))
    assert "Samaritans Ireland" in "\n".join(r.text for r in replies)  # seen in this process
    stranger = Engine(storage, EngineSettings(outbox=True), clock=clock)
    replies = await stranger.handle(User(33, "Bo", language_code="en-IE"), Text(CRISIS))
    assert "Samaritans Ireland" in "\n".join(r.text for r in replies)
    replies = await stranger.handle(User(34, "Cy", language_code="en"), Text(CRISIS))
    assert "International" in "\n".join(r.text for r in replies)  # the fallback lines
    assert country_hint("pt-BR") == "BR" and country_hint("de") is None


async def test_a_bug_anywhere_in_the_turn_still_gives_the_lines(engine, storage, monkeypatch):
    chat = Chat(engine, User(35, "Ann"))
    await onboard(chat)

    def bug(self, turn, event):
        raise KeyError("a bug in a flow")

    monkeypatch.setattr(Engine, "_dispatch", bug)
    replies = await engine.handle(chat.user, Text(CRISIS))
    assert "Samaritans" in "\n".join(r.text for r in replies)
    replies = await engine.handle(chat.user, Button("g:risk_yes"))  # "yes, I'm at risk"
    assert "Samaritans" in "\n".join(r.text for r in replies)


async def test_an_ordinary_message_gets_an_apology_that_restates_the_question_with_its_buttons(
    engine, storage, monkeypatch
):
    chat = Chat(engine, User(36, "Ann"))
    await onboard(chat)
    await chat.send("/new")
    await chat.send("My friend cancelled on me")
    await chat.send("Nobody ever wants to see me")
    question = chat.last[-1]
    assert "feel" in question.text
    monkeypatch.setattr(storage, "commit_turn", locked)
    result = await engine.turn(chat.user, Text("Sad"))
    assert result.failed and not result.urgent
    sorry, again = result.replies
    assert "couldn't take your last message" in sorry.text
    assert [c.label for c in sorry.choices()] == ["Show help lines"]
    assert "feel" in again.text and again.buttons == question.buttons  # the same step
    monkeypatch.undo()
    await chat.press("Sad", [again])  # a press on the restated buttons counts
    assert (await storage.load_dialog(36)).slots["emotion"] == "sad"


async def test_a_message_written_without_seeing_the_question_is_not_filed_under_it(engine, storage):
    chat = Chat(engine, User(37, "Ann"))
    await onboard(chat)
    await chat.send("/new")
    await chat.send("The bus never came")
    asked = chat.last[-1]
    # the question did not reach the person; they send the situation again
    result = await engine.turn(chat.user, Text("The bus never came"), unseen=True)
    assert result.stored
    assert "didn't reach you" in result.replies[0].text
    assert "thought" in asked.text and "thought" in result.replies[-1].text  # asked again
    dialog = await storage.load_dialog(37)
    assert dialog.state == "thought" and "thought" not in dialog.slots
    await chat.send("I always get stuck")  # now they have seen it: it is the thought
    assert (await storage.load_dialog(37)).slots["thought"] == "I always get stuck"
    # a risky message is never held back by this
    result = await engine.turn(chat.user, Text(CRISIS), unseen=True)
    assert result.urgent and "Samaritans" in "\n".join(r.text for r in result.replies)


async def test_an_edited_message_is_read_for_risk_and_changes_no_answer(engine, storage):
    chat = Chat(engine, User(38, "Ann"))
    await onboard(chat, "Ireland")
    await chat.send("/new")
    await chat.send("Work was awful today")
    before = await storage.load_dialog(38)
    replies = await chat.event(Edited("Work was awful today and I want to end my life"))
    assert "Samaritans Ireland" in "\n".join(r.text for r in replies)
    assert await risk_rows(storage, 38) == ["crisis"]
    await chat.press("I'm safe right now")
    await chat.press("Come back later")
    await chat.send("/new")
    await chat.press("Yes, continue")
    replies = await chat.event(Edited("Work was fine actually"))
    assert "edited a message" in replies[0].text
    after = await storage.load_dialog(38)
    assert after.slots["situation"] == before.slots["situation"] == "Work was awful today"


async def test_the_replies_are_stored_with_the_turn(engine, storage):
    chat = Chat(engine, User(39, "Ann"))
    await onboard(chat)
    result = await engine.turn(chat.user, Text(CRISIS), seq=5001)
    assert result.stored and result.urgent
    assert [i.reply for i in result.outbox] == result.replies
    ids = ",".join(str(i.id) for i in result.outbox)
    async with storage._read().execute(
        f"SELECT urgent, seq, state FROM outbox WHERE id IN ({ids})"
    ) as cur:
        assert {tuple(r) for r in await cur.fetchall()} == {(1, 5001, "pending")}
