"""What the conversation says about the analysis (issue 10, item 3): it names only what the
guide would find, never flags agency or a behavioural explanation in the balanced thought,
recognises a move from "I am" to "I did" and from "always" to "this time", offers starters that
fit the event, and gives uncontrollable its own line and its own question."""

from __future__ import annotations

from engine_driver import Chat, onboard

from dialogs.findings import DIMENSION_QUESTIONS
from dialogs.texts import catalogue

_CAT = catalogue("en")


def en(key: str) -> str:
    return _CAT.variants(key)[0]


async def noticed(chat: Chat, thought: str, situation: str = "My driving test was this morning"):
    await chat.send("/new")
    await chat.send(situation)
    await chat.send(thought)
    await chat.press("Ashamed")
    await chat.send("70")
    await chat.send("80")


async def to_balanced(chat: Chat, storage) -> None:
    await chat.press("Skip to a balanced thought")
    assert (await storage.load_dialog(1001)).state == "balanced"


async def test_uncontrollable_gets_its_own_line_once_and_the_first_question(chat, storage):
    await onboard(chat)
    await noticed(chat, "Nothing I do makes any difference, I'll always be stuck here")
    line = en("tr.uncontrollable_noticed").split("{words}")[1][:30]
    assert chat.text.count(line) == 1
    slots = (await storage.load_dialog(1001)).slots
    assert slots["questions"][0] in DIMENSION_QUESTIONS["uncontrollable"]


async def test_agency_in_the_balanced_thought_is_recognised_not_flagged(chat, storage):
    await onboard(chat)
    await noticed(chat, "I'm useless, I'll never pass", situation="I failed my driving test again")
    await to_balanced(chat, storage)
    await chat.send("I failed 3 times so far, I can practise more with an instructor")
    assert "Keep it" not in chat.labels()  # no "still sounds personal"
    assert en("tr.recognise.agency") in chat.text
    assert (await storage.load_dialog(1001)).state == "rerate_belief"


async def test_from_i_am_to_i_did_is_recognised(chat, storage):
    await onboard(chat)
    await noticed(chat, "It's all my fault, I'm such an idiot", situation="I failed the quiz")
    await to_balanced(chat, storage)
    await chat.send("I failed the quiz because I didn't revise the last chapter")
    assert "Keep it" not in chat.labels()
    assert en("tr.recognise.did") in chat.text


async def test_from_always_to_this_time_is_recognised(chat, storage):
    await onboard(chat)
    await noticed(chat, "I always mess up interviews", situation="The interview went badly")
    await to_balanced(chat, storage)
    await chat.send("This time the interview went badly, I was nervous")
    assert en("tr.recognise.this_time") in chat.text


async def test_an_owned_success_is_named_and_nothing_is_found(chat, storage):
    await onboard(chat)
    await noticed(chat, "I worked hard for this and I deserve it", situation="I got the promotion")
    text = chat.text
    assert "didn't spot" in text
    assert "credit for your part" in text
    assert en("trap.personalization.why") not in text


async def test_a_habit_is_no_finding(chat, storage):
    await onboard(chat)
    await noticed(chat, "I never drink coffee after lunch", situation="I was offered a coffee")
    assert "didn't spot" in chat.text
    assert "permanent" not in chat.text


async def test_a_success_explained_away_gets_the_credit_starter(chat, storage):
    await onboard(chat)
    await noticed(chat, "I only passed because the examiner was kind", situation="I passed")
    assert "Here's what I noticed" in chat.text
    await to_balanced(chat, storage)
    assert en("starter.credit") in chat.text
    assert en("starter.temporary") not in chat.text
