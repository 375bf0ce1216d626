"""The thought-challenging conversation, state by state, at the engine level."""

from __future__ import annotations

import random

import pytest
from engine_driver import Chat, full_record, onboard

from dialogs import Engine, EngineSettings, User
from dialogs.findings import DIMENSION_QUESTIONS, DISTORTION_QUESTIONS, GENERAL_QUESTIONS
from dialogs.texts import catalogue


async def to_state(chat: Chat, state: str, thought: str = "I never get anything right") -> None:
    """Walk a new record up to `state`."""
    steps = [
        ("situation", lambda: chat.send("/new")),
        ("thought", lambda: chat.send("My presentation at work went badly")),
        ("emotion", lambda: chat.send(thought)),
        ("intensity", lambda: chat.press("Ashamed")),
        ("belief", lambda: chat.send("70")),
        ("noticed", lambda: chat.send("80")),
        ("question", lambda: chat.press("Let's look at it")),
    ]
    for name, action in steps:
        await action()
        if name == state:
            return
    raise AssertionError(state)


async def state_of(storage, user_id=1001):
    return (await storage.load_dialog(user_id)).state


async def test_the_words_that_triggered_a_finding_are_quoted_back(chat, storage):
    await onboard(chat)
    await to_state(chat, "noticed", thought="I will never be good at anything, it's all my fault")
    text = chat.text
    assert "Here's what I noticed" in text
    assert "never" in text
    assert "permanent" in text
    assert "diagnos" not in text.lower()
    slots = (await storage.load_dialog(1001)).slots
    assert "permanent" in [f["label"] for f in slots["findings"]]
    # the questions are aimed at what was found
    assert slots["questions"][0] == DIMENSION_QUESTIONS["permanent"][0]


async def test_nothing_found_says_so_and_asks_general_questions(chat, storage):
    await onboard(chat)
    await to_state(chat, "noticed", thought="The slides were blue")
    assert "didn't spot" in chat.text
    slots = (await storage.load_dialog(1001)).slots
    assert slots["questions"] == GENERAL_QUESTIONS


async def test_situation_that_holds_the_thought_is_offered_as_the_thought(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("I forgot to reply to my sister's email. I'm such an idiot.")
    assert "Use it" in chat.labels()
    assert "I'm such an idiot." in chat.text
    await chat.press("Use it")
    slots = (await storage.load_dialog(1001)).slots
    assert slots["thought"] == "I'm such an idiot."
    assert await state_of(storage) == "emotion"


async def test_offered_thought_can_be_declined(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("I forgot to reply to my sister's email. I'm such an idiot.")
    await chat.press("I'll write it")
    assert await state_of(storage) == "thought"
    assert "Use it" not in chat.labels()
    await chat.send("She'll think I don't care about her")
    assert (await storage.load_dialog(1001)).slots[
        "thought"
    ] == "She'll think I don't care about her"


async def test_questions_one_at_a_time_answered_or_skipped(chat, storage):
    await onboard(chat)
    await to_state(chat, "question")
    total = len((await storage.load_dialog(1001)).slots["questions"])
    assert f"Question 1 of {total}" in chat.text
    await chat.send("Last quarter my report was praised")
    assert f"Question 2 of {total}" in chat.text
    await chat.send("/skip")
    slots = (await storage.load_dialog(1001)).slots
    assert [a["answer"] for a in slots["answers"]] == ["Last quarter my report was praised", None]
    while "Question" in chat.text:
        await chat.send("/skip")
    assert await state_of(storage) == "balanced"


async def test_skip_the_questions_altogether(chat, storage):
    await onboard(chat)
    await to_state(chat, "noticed")
    await chat.press("Skip to a balanced thought")
    assert await state_of(storage) == "balanced"
    assert "This time" in chat.text  # a starter matched to the permanent finding


async def test_back_goes_one_step_at_a_time(chat, storage):
    await onboard(chat)
    await to_state(chat, "question")
    await chat.send("An answer")
    assert (await storage.load_dialog(1001)).slots["q_index"] == 1
    await chat.send("/back")
    slots = (await storage.load_dialog(1001)).slots
    assert await state_of(storage) == "question" and slots["q_index"] == 0
    assert "Question 1 of" in chat.text
    for expected in ("noticed", "belief", "intensity", "emotion", "thought", "situation"):
        await chat.send("/back")
        assert await state_of(storage) == expected
    await chat.send("/back")
    assert "no earlier step" in chat.text
    assert await state_of(storage) == "situation"
    # answers given before going back are kept
    assert (await storage.load_dialog(1001)).slots["thought"] == "I never get anything right"


async def test_skip_where_nothing_is_optional(chat, storage):
    await onboard(chat)
    await to_state(chat, "belief")
    await chat.send("/skip")
    assert "nothing to skip" in chat.text
    assert await state_of(storage) == "belief"


async def test_balanced_thought_still_permanent_is_pointed_out_once(chat, storage):
    await onboard(chat)
    await to_state(chat, "noticed")
    await chat.press("Skip to a balanced thought")
    await chat.send("I will always be bad at presenting")
    assert "Keep it" in chat.labels() and "always" in chat.text
    await chat.press("Revise it")
    assert await state_of(storage) == "balanced"
    await chat.send("I will always find presenting hard")  # still permanent: not pointed out again
    assert await state_of(storage) == "rerate_belief"


async def test_balanced_thought_can_be_kept(chat, storage):
    await onboard(chat)
    await to_state(chat, "noticed")
    await chat.press("Skip to a balanced thought")
    await chat.send("Everything went wrong today but I can practise")
    if "Keep it" in chat.labels():
        await chat.press("Keep it")
    assert await state_of(storage) == "rerate_belief"
    assert (await storage.load_dialog(1001)).slots["balanced"].startswith("Everything went")


async def test_rerating_shows_the_change(chat, storage):
    await onboard(chat)
    await full_record(
        chat, intensity="80", belief="90", belief_after="50", intensity_after="40", finish=""
    )
    assert "90 → 50" in chat.text and "80 → 40" in chat.text
    assert await state_of(storage) == "next_step"
    [record] = await storage.thought_records(1001)  # saved before the next-step question
    assert record.belief_after == 50
    await chat.press("Finish here")
    assert (await storage.load_dialog(1001)).flow is None


async def test_cancel_keeps_a_draft_that_new_offers_to_continue(chat, storage):
    await onboard(chat)
    await to_state(chat, "belief")
    await chat.send("/cancel")
    assert "draft" in chat.text
    await chat.press("Keep the draft")
    assert (await storage.load_dialog(1001)).flow is None
    await chat.send("/new")
    assert "unfinished" in chat.text
    await chat.press("Yes, continue")
    dialog = await storage.load_dialog(1001)
    assert dialog.state == "belief" and dialog.slots["emotion"] == "ashamed"
    assert "believe that thought" in chat.text


async def test_cancel_can_discard_and_new_then_starts_fresh(chat, storage):
    await onboard(chat)
    await to_state(chat, "belief")
    await chat.send("/cancel")
    await chat.press("Discard it")
    dialog = await storage.load_dialog(1001)
    assert dialog.flow is None and dialog.suspended is None
    await chat.send("/new")
    assert await state_of(storage) == "situation"


async def test_draft_can_be_replaced_by_a_new_record(chat, storage):
    await onboard(chat)
    await to_state(chat, "belief")
    await chat.send("/cancel")
    await chat.press("Keep the draft")
    await chat.send("/new")
    await chat.press("Start a new one")
    dialog = await storage.load_dialog(1001)
    assert dialog.state == "situation" and dialog.suspended is None and dialog.slots == {}


async def test_cancel_at_the_first_step_just_leaves(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("/cancel")
    assert "stopped" in chat.text
    assert (await storage.load_dialog(1001)).flow is None


async def test_idle_for_a_day_asks_to_continue_or_start_fresh(chat, storage, clock):
    await onboard(chat)
    await to_state(chat, "intensity")
    clock.advance(hours=25)
    await chat.send("55")
    assert "been a while" in chat.text
    assert await state_of(storage) == "intensity"  # the message did not count as the answer
    await chat.press("Continue")
    assert "0 (not at all) to 100" in chat.text
    await chat.send("55")
    assert await state_of(storage) == "belief"


async def test_idle_start_fresh(chat, storage, clock):
    await onboard(chat)
    await to_state(chat, "intensity")
    clock.advance(days=3)
    await chat.send("anything")
    await chat.press("Start fresh")
    dialog = await storage.load_dialog(1001)
    assert dialog.state == "situation" and "situation" not in dialog.slots


async def test_typing_a_button_label_counts_as_pressing_it(chat, storage):
    await onboard(chat)
    await to_state(chat, "noticed")
    await chat.send("skip to a balanced thought")
    assert await state_of(storage) == "balanced"


async def test_journal_lists_and_opens_records(chat, storage):
    await onboard(chat)
    await chat.send("/journal")
    assert "don't have any thought records" in chat.text
    await full_record(chat, thought="Nobody ever wants to spend time with me")
    await full_record(
        chat, situation="Spilled coffee on my laptop", thought="I'm so clumsy, I ruin everything"
    )
    await chat.send("/journal")
    assert "1." in chat.text and "2." in chat.text
    assert "I'm so clumsy" in chat.text.split("2.")[0]  # newest first
    await chat.press("2.")
    assert "Spilled coffee" not in chat.text
    assert "Nobody ever wants to spend time with me" in chat.text
    assert "Balanced thought" in chat.text and "70 → 35" in chat.text


async def test_journal_never_opens_another_persons_record(engine, storage):
    ann, bob = Chat(engine, User(1, "Ann")), Chat(engine, User(2, "Bob"))
    await onboard(ann)
    await onboard(bob)
    await full_record(ann, thought="Ann's private thought")
    [record] = await storage.thought_records(1)
    from dialogs import Button

    await bob.event(Button(f"g:rec:{record.id}"))
    assert "Ann's private thought" not in bob.text
    assert "couldn't find" in bob.text


def test_every_question_has_several_phrasings():
    texts = catalogue("en")
    keys = [k for keys in DIMENSION_QUESTIONS.values() for k in keys]
    keys += list(DISTORTION_QUESTIONS.values()) + GENERAL_QUESTIONS
    for key in keys:
        assert len(texts.variants(key)) >= 2, key


async def test_a_returning_user_hears_other_words(storage, clock):
    seen = set()
    for seed in range(6):
        engine = Engine(storage, EngineSettings(), clock=clock, rng=random.Random(seed))
        chat = Chat(engine, User(100 + seed, "Hal"))
        await onboard(chat)
        await to_state(chat, "question")
        seen.add(chat.text)
    assert len(seen) > 1


@pytest.mark.parametrize("text", ["seventy", "70%", "about 70"])
async def test_ratings_in_words(chat, storage, text):
    await onboard(chat)
    await to_state(chat, "intensity")
    await chat.send(text)
    assert (await storage.load_dialog(1001)).slots["intensity_before"] == 70


def test_flow_diagrams_are_up_to_date():
    from dialogs import diagrams

    assert diagrams.DOC.read_text("utf-8") == diagrams.render(), (
        "docs/flows.md is out of date: run python -m dialogs.diagrams"
    )


async def test_start_fresh_after_a_day_in_the_outcome_questions_does_not_crash(
    chat, storage, clock
):
    from dialogs import Button
    from dialogs.flows.activation import task_reminder
    from dialogs.models import Task, TurnWrites

    await onboard(chat)
    task = Task(user_id=1001, title="Stretch", due_at=clock.now, created_at=clock.now)
    await storage.commit_turn(
        1001,
        await storage.load_dialog(1001),
        TurnWrites(tasks=[task], reminders=[task_reminder(task)]),
    )
    await chat.event(Button(f"g:task:{task.id}:done"))
    assert "actually enjoy" in chat.text
    clock.advance(hours=25)
    await chat.send("7")
    assert "been a while" in chat.text
    await chat.press("Start fresh")
    assert "actually enjoy" in chat.text  # asked again, nothing lost
    assert (await storage.load_dialog(1001)).flow == "outcome"
