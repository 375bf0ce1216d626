"""The crisis response in the dialogs: risk is checked first in every state of every flow."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from engine_driver import Chat, onboard

from bot.scheduler import ReminderLoop
from dialogs import Button, Engine, EngineSettings, User
from dialogs.engine import FLOWS
from dialogs.flows.safety import read_answer
from dialogs.models import DialogState, TurnWrites

CRISIS = "I want to kill myself tonight"
CONCERN = "I wish I could go to sleep and not wake up"
SUPPORT_CHAT = -100777


def make_engine(storage, clock, **settings) -> Engine:
    return Engine(storage, EngineSettings(**settings), clock=clock, rng=random.Random(3))


# Every (flow, state) a person can be in, with answers a real conversation would have by then.
SLOTS = {
    ("thought_record", "thought"): {"situation": "s"},
    ("thought_record", "emotion"): {"situation": "s", "thought": "t"},
    ("thought_record", "emotion_other"): {"situation": "s", "thought": "t"},
    ("thought_record", "intensity"): {"situation": "s", "thought": "t", "emotion": "sad"},
}
STATES = [(None, None)] + [
    (name, state)
    for name, flow in FLOWS.items()
    for state in flow.states
    if name != "safety_plan" or state in ("warning_signs", "environment")
]


def _slots(flow, state):
    if flow == "safety_plan":
        return {"steps": {}}
    return dict(SLOTS.get((flow, state), {}))


@pytest.mark.parametrize(("flow", "state"), STATES, ids=lambda v: str(v))
async def test_crisis_message_in_every_state_gets_the_crisis_response(storage, clock, flow, state):
    engine = make_engine(storage, clock)
    chat = Chat(engine, User(21, "Ann"))
    await onboard(chat, "Ireland")
    slots = _slots(flow, state)
    await storage.commit_turn(
        21,
        DialogState(flow=flow, state=state, slots=slots, step=5, updated_at=clock.now),
        TurnWrites(),
    )
    await chat.send(CRISIS)
    text = chat.text
    assert "116 123" in text  # Samaritans, the line for Ireland
    assert "I'm safe right now" in chat.labels()
    assert any("safety plan" in label.lower() for label in chat.labels())
    dialog = await storage.load_dialog(21)
    assert dialog.flow is None
    if flow not in (None, "safety_check"):
        assert dialog.suspended == {"flow": flow, "state": state, "slots": slots}
    profile = await storage.load_profile(21)
    assert profile.nudges_paused_until == clock.now + timedelta(hours=24)
    [followup] = await storage.reminders(21)
    assert followup.kind == "followup" and followup.due_at == clock.now + timedelta(hours=24)


async def test_crisis_text_is_never_taken_as_a_thought(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("I had a fight with my partner")
    await chat.send(CRISIS)
    assert "How did that thought make you feel" not in chat.text
    dialog = await storage.load_dialog(1001)
    assert dialog.suspended["slots"]["situation"] == "I had a fight with my partner"
    assert "thought" not in dialog.suspended["slots"]
    assert dialog.suspended["state"] == "thought"
    assert await storage.thought_records(1001) == []


async def test_safe_then_later_keeps_the_record_for_when_they_come_back(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("Lost my job today")
    await chat.send(CRISIS)
    await chat.press("I'm safe right now")
    assert "glad you're safe" in chat.text
    # a choice, never straight back to the thought record
    assert chat.labels() == ["Make a safety plan", "Something calming", "Come back later"]
    assert (await storage.load_dialog(1001)).flow is None
    await chat.press("Come back later")
    assert "draft" in chat.text
    await chat.send("/new")
    await chat.press("Yes, continue")
    assert "went through your mind" in chat.text or "tell yourself" in chat.text
    await chat.send("I'm worthless without work")
    await chat.press("Ashamed")
    await chat.send("80")
    dialog = await storage.load_dialog(1001)
    assert dialog.state == "belief"
    assert dialog.slots["situation"] == "Lost my job today"
    assert dialog.slots["thought"] == "I'm worthless without work"


async def test_concern_asks_directly_and_yes_leads_to_the_crisis_response(chat, storage):
    await onboard(chat)
    await chat.send(CONCERN)
    assert "are you having thoughts of ending your life" in chat.text
    assert "Show help lines" in chat.labels()
    assert (await storage.load_dialog(1001)).flow == "safety_check"
    await chat.send("yeah sometimes")
    assert "116 123" in chat.text  # UK Samaritans
    assert (await storage.load_profile(1001)).nudges_paused_until is not None


async def test_concern_no_goes_on_with_the_words_already_written(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("My boss shouted at me again")
    await chat.send(CONCERN)  # the thought
    await chat.send("no, not like that, i just feel guilty")
    assert "Thank you for telling me" in chat.text
    dialog = await storage.load_dialog(1001)
    assert (dialog.flow, dialog.state) == ("thought_record", "emotion")
    assert dialog.slots["thought"] == CONCERN
    assert (await storage.load_profile(1001)).nudges_paused_until is None
    # the same words, sent again in this record (after /back), do not bring the question back
    await chat.send("/back")
    await chat.send(CONCERN)
    assert "are you having thoughts" not in chat.text
    assert (await storage.load_dialog(1001)).state == "emotion"


async def test_no_button_goes_on_with_the_record_too(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("My boss shouted at me again")
    await chat.send(CONCERN)
    await chat.press("No, not that")
    dialog = await storage.load_dialog(1001)
    assert (dialog.flow, dialog.state) == ("thought_record", "emotion")
    assert dialog.slots["thought"] == CONCERN


async def test_a_no_with_nothing_interrupted_offers_the_lines_kindly(chat, storage):
    await onboard(chat)
    await chat.send(CONCERN)
    await chat.send("nope")
    assert "Thank you for telling me" in chat.text
    assert (await storage.load_dialog(1001)).flow is None


async def test_a_crisis_after_a_no_is_still_answered(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send(CONCERN)
    await chat.send("no")
    await chat.send(CRISIS)
    assert "I'm safe right now" in chat.labels()


async def test_after_a_crisis_something_calming_is_there(chat, storage):
    await onboard(chat)
    await chat.send(CRISIS)
    await chat.press("I'm safe right now")
    await chat.press("Something calming")
    assert "Breathe in slowly" in chat.text
    assert "Show help lines" in chat.labels()


async def test_concern_buttons(chat, storage):
    await onboard(chat)
    await chat.send(CONCERN)
    await chat.press("Yes")
    assert "116 123" in chat.text
    await chat.send(CONCERN)
    await chat.press("No, not that")
    assert (await storage.load_dialog(1001)).flow is None


@pytest.mark.parametrize("answer", ["idk honestly", "kind of", "sometimes", "maybe", "hmm"])
async def test_unsure_counts_as_yes(chat, storage, answer):
    await onboard(chat)
    await chat.send(CONCERN)
    await chat.send(answer)
    assert "116 123" in chat.text and "I'm safe right now" in chat.labels()
    assert (await storage.load_dialog(1001)).flow is None
    assert (await storage.load_profile(1001)).nudges_paused_until is not None


@pytest.mark.parametrize(
    ("answer", "reading"),
    [
        ("no", "no"), ("nope.", "no"), ("not really", "no"), ("No, not like that", "no"),
        ("no not like that, i just feel guilty", "no"), ("nah just stressed about work", "no"),
        ("no I'm fine", "no"), ("of course not", "no"),
        ("yes", "yes"), ("yeah", "yes"), ("i do", "yes"), ("all the time", "yes"),
        ("idk", "unsure"), ("kind of", "unsure"), ("sometimes", "unsure"), ("not sure", "unsure"),
        ("no but i think about it", "unsure"), ("nah, I've made up my mind", "unsure"),
        ("I'm not safe", "unsure"), ("never felt worse", "unsure"),
        ("not really sure, I'm scared of what I might do", "unsure"), ("no... maybe", "unsure"),
        ("why are you asking", "unsure"),
    ],
)  # fmt: skip
def test_typed_answers_to_the_direct_question(answer, reading):
    assert read_answer(answer) == reading


async def test_detections_are_audited_without_the_text(chat, storage):
    await onboard(chat)
    await chat.send(CRISIS)
    await chat.send(CONCERN)
    async with storage._read().execute("SELECT * FROM risk_events") as cur:
        rows = [dict(r) for r in await cur.fetchall()]
    assert [row["level"] for row in rows] == ["crisis", "concern"]
    assert all(row["rules"] and row["created_at"] for row in rows)
    stored = " ".join(str(v) for row in rows for v in row.values())
    assert CRISIS not in stored and CONCERN not in stored and "tonight" not in stored


async def test_idioms_are_not_a_crisis(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("This traffic is killing me, I'm late again")
    await chat.send("I'm dead tired and my phone died")
    assert "How did that thought make you feel" in chat.text
    assert await storage.reminders(1001) == []


async def test_escalation_goes_once_an_hour_only_with_consent(storage, clock):
    engine = make_engine(storage, clock, escalation_chat_id=SUPPORT_CHAT)
    chat = Chat(engine, User(31, "Cleo"))
    await chat.send("/start")
    await chat.press("I understand")
    await chat.press("United Kingdom")
    assert "support team" in chat.text
    await chat.press("Yes, that's okay")
    await chat.send(CRISIS)
    [alert] = [r for r in chat.last if r.chat_id == SUPPORT_CHAT]
    assert "31" in alert.text and "Cleo" in alert.text and "crisis" in alert.text
    assert CRISIS not in alert.text  # the words only with their consent
    clock.advance(minutes=30)
    await chat.send(CRISIS)
    assert not [r for r in chat.last if r.chat_id == SUPPORT_CHAT]
    clock.advance(minutes=31)
    await chat.send(CRISIS)
    assert [r for r in chat.last if r.chat_id == SUPPORT_CHAT]


async def test_escalation_can_quote_the_message_when_agreed(storage, clock):
    engine = make_engine(storage, clock, escalation_chat_id=SUPPORT_CHAT)
    chat = Chat(engine, User(32, "Dev"))
    await chat.send("/start")
    await chat.press("I understand")
    await chat.press("Ireland")
    await chat.press("they may see my message")
    await chat.send(CRISIS)
    [alert] = [r for r in chat.last if r.chat_id == SUPPORT_CHAT]
    assert CRISIS in alert.text


async def test_no_escalation_without_consent_or_configuration(storage, clock):
    engine = make_engine(storage, clock, escalation_chat_id=SUPPORT_CHAT)
    chat = Chat(engine, User(33, "Eli"))
    await chat.send("/start")
    await chat.press("I understand")
    await chat.press("United Kingdom")
    await chat.press("No, thanks")
    await chat.send(CRISIS)
    assert all(r.chat_id is None for r in chat.last)
    plain = Chat(make_engine(storage, clock), User(34, "Fay"))
    await onboard(plain)
    assert "support team" not in "\n".join(r.text for h in plain.history for r in h)
    await plain.send(CRISIS)
    assert all(r.chat_id is None for r in plain.last)


async def test_safety_plan_is_made_shown_and_part_of_every_crisis_response(chat, storage):
    await onboard(chat)
    await chat.send("/safetyplan")
    assert "Step 1 of 6" in chat.text
    await chat.send("I stop replying to people and stay in bed")
    await chat.send("Hot shower, loud music")
    await chat.send("/skip")
    assert "Step 4 of 6" in chat.text
    await chat.send("/back")
    assert "Step 3 of 6" in chat.text
    await chat.send("The library near my flat")
    await chat.send("My brother Tom")
    await chat.send("/skip")
    await chat.send("Stay at Tom's place for the night")
    assert "saved" in chat.text
    plan = await storage.load_safety_plan(1001)
    assert plan.steps == {
        "warning_signs": "I stop replying to people and stay in bed",
        "coping": "Hot shower, loud music",
        "distractions": "The library near my flat",
        "people": "My brother Tom",
        "environment": "Stay at Tom's place for the night",
    }
    await chat.send("/safetyplan")
    assert "My brother Tom" in chat.text and "Edit my plan" in chat.labels()
    await chat.send(CRISIS)
    assert "My brother Tom" in chat.text and "116 123" in chat.text
    assert "My safety plan" in chat.labels()


async def test_editing_the_plan_keeps_skipped_steps(chat, storage):
    await onboard(chat)
    await chat.send("/safetyplan")
    for answer in ("signs", "coping", "places", "people", "pros", "safer"):
        await chat.send(answer)
    await chat.send("/safetyplan")
    await chat.press("Edit my plan")
    assert 'Right now it says: "signs"' in chat.text
    for _ in range(5):
        await chat.send("/skip")
    await chat.send("safer still")
    plan = await storage.load_safety_plan(1001)
    assert plan.steps["warning_signs"] == "signs" and plan.steps["environment"] == "safer still"


class Outbox:
    """A transport stand-in for the reminder loop."""

    def __init__(self):
        self.sent: list[tuple[int, list]] = []

    async def __call__(self, user_id, replies):
        self.sent.append((user_id, replies))
        return len(self.sent)


async def test_one_gentle_follow_up_a_day_later_and_its_reply_is_checked_for_risk(storage, clock):
    engine = make_engine(storage, clock)
    chat = Chat(engine, User(41, "Gil"))
    await onboard(chat)
    await chat.send(CRISIS)
    clock.advance(hours=1)
    await chat.send(CRISIS)  # a second crisis replaces the follow-up, it doesn't add one
    outbox = Outbox()
    loop = ReminderLoop(storage, engine, outbox, clock=clock)
    assert await loop.run_due() == 0
    clock.advance(hours=25)
    assert await loop.run_due() == 1
    [(user_id, replies)] = outbox.sent
    assert user_id == 41 and "check in" in replies[0].text
    assert await loop.run_due() == 0  # never twice
    await chat.event(Button(next(c.data for c in replies[0].choices() if "Still" in c.label)))
    assert "116 123" in chat.text
    # A free-text reply to the check-in goes through the risk check like any message.
    await chat.send("honestly I still want to die")
    assert "I'm safe right now" in chat.labels()


@pytest.mark.parametrize("answer", [
    "I'm not safe", "I'm not okay", "never felt worse", "nah, I've made up my mind",
    "Not really sure, I'm scared of what I might do",
])  # fmt: skip
async def test_answers_that_only_start_like_a_no_are_not_a_no(chat, storage, answer):
    await onboard(chat)
    await chat.send(CONCERN)
    await chat.send(answer)
    assert "116 123" in chat.text  # the lines are shown, not "thank you for telling me"


@pytest.mark.parametrize("answer", ["no", "No, not like that", "nope", "no I'm fine"])
async def test_a_plain_no_is_a_no(chat, storage, answer):
    await onboard(chat)
    await chat.send(CONCERN)
    await chat.send(answer)
    assert "Thank you for telling me" in chat.text


async def test_a_second_worrying_message_after_the_question_is_taken_as_yes(chat, storage):
    await onboard(chat)
    await chat.send(CONCERN)
    await chat.send("No one would care if I disappeared")
    assert "I'm safe right now" in chat.labels()
    assert (await storage.load_profile(1001)).nudges_paused_until is not None


async def test_words_after_a_command_are_checked_for_risk(chat, storage):
    await onboard(chat)
    await chat.send("/new I want to kill myself")
    assert "116 123" in chat.text and "I'm safe right now" in chat.labels()
    assert (await storage.load_dialog(1001)).flow is None


async def test_update_ids_that_restart_lower_are_not_dropped(engine, storage, clock):
    from dialogs import Text

    user = User(77, "Max")
    await engine.handle(user, Text("hello"), seq=900_000)
    clock.advance(days=8)  # a quiet week: Telegram may start ids anywhere
    replies = await engine.handle(user, Text(CRISIS), seq=123)
    assert any("I'm safe right now" in [c.label for c in r.choices()] for r in replies)


@pytest.mark.parametrize(
    "hidden",
    [
        "I want to k\u200bill myself tonight",  # zero-width space inside a word
        "I want to ki\u00adll myself tonight",  # soft hyphen
        "I want to k\u0456ll myself tonight",  # a Cyrillic i
    ],
)
async def test_an_invisible_or_look_alike_character_does_not_hide_a_crisis(storage, clock, hidden):
    engine = make_engine(storage, clock)
    chat = Chat(engine, User(31, "Ann"))
    await onboard(chat, "Ireland")
    await chat.send("/new")
    await chat.send(hidden)
    assert "116 123" in chat.text
    assert "I'm safe right now" in chat.labels()


# --- danger from another person -------------------------------------------------------------
DANGER = "he shoved me into the door last night and I'm scared to go home"


async def test_danger_is_answered_with_safety_and_abuse_lines_never_traps(chat, storage):
    await onboard(chat)  # United Kingdom
    await chat.send("/new")
    await chat.send("We argued about money again")
    await chat.send(DANGER)  # at the thought step
    text = chat.text
    assert "not your fault" in text and "Are you safe right now?" in text
    assert "0808 2000 247" in text  # the National Domestic Abuse Helpline, from the data
    assert "999" in text
    assert {"I'm safe right now", "I'm not safe", "Make my reminders discreet"} <= set(
        chat.labels()
    )
    for word in ("Catastrophizing", "Mind reading", "thinking trap", "noticed in your words"):
        assert word not in text
    dialog = await storage.load_dialog(1001)
    assert dialog.flow is None and dialog.suspended["flow"] == "thought_record"
    assert dialog.suspended["slots"].get("thought") is None  # the danger words were not filed
    async with storage._read().execute("SELECT level, rules FROM risk_events") as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert rows and rows[0][0] == "danger" and "danger." in rows[0][1]


async def test_danger_not_safe_gives_the_emergency_number_first(chat, storage):
    await onboard(chat)
    await chat.send("if i leave he will find me and hurt me")
    await chat.press("I'm not safe")
    assert chat.last[0].text.startswith("If you can, call 999")
    assert "0808 2000 247" in chat.text


async def test_danger_safe_offers_a_choice_not_the_record(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("my husband took my phone and locks me in when he goes out")
    await chat.press("I'm safe right now")
    assert "most dangerous time" in chat.text
    assert "Something calming" in chat.labels() and "Come back later" in chat.labels()
    assert (await storage.load_dialog(1001)).flow is None


async def test_discreet_reminders_from_the_danger_answer(storage, clock):
    engine = Engine(storage, EngineSettings(), clock=clock)
    chat = Chat(engine, User(1001, "Sam"))
    await onboard(chat)
    await chat.send("my ex keeps turning up at my work and I'm terrified of him")
    await chat.press("Make my reminders discreet")
    assert "A reminder from your planner" in chat.text
    assert (await storage.load_profile(1001)).discreet
    # /settings shows it and can switch it off again
    await chat.send("/settings")
    assert "Discreet reminders: on" in chat.labels()
    await chat.press("Discreet reminders: on")
    assert not (await storage.load_profile(1001)).discreet
