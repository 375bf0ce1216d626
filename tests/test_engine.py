"""Engine-level conversations against real SQLite storage: every layer but the transport."""

from __future__ import annotations

import asyncio
import random

import pytest
from engine_driver import Chat, full_record, onboard

from bot.storage import Storage
from dialogs import Button, Engine, EngineSettings, Unsupported, User


async def test_onboarding_by_buttons_stores_consent_country_and_zone(chat, storage, clock):
    replies = await chat.send("/start")
    assert "not a therapist" in chat.text
    assert "not an emergency service" in chat.text
    assert "not end-to-end encrypted" in chat.text
    assert [c.label for c in replies[-1].choices()] == ["I understand, let's start", "Not now"]
    await chat.press("I understand")
    assert "Which country" in chat.text
    await chat.press("United States")
    # The US has several zones: the bot asks, showing the local time of each.
    assert "time zone" in chat.text
    assert any("Chicago" in label for label in chat.labels())
    await chat.press("Chicago")
    assert "All set" in chat.text
    profile = await storage.load_profile(1001)
    assert profile.country == "US"
    assert profile.timezone == "America/Chicago"
    assert profile.consented_at == clock.now
    assert (await storage.load_dialog(1001)).flow is None


async def test_single_zone_country_skips_the_zone_question(chat, storage):
    await onboard(chat, "United Kingdom")
    assert "Europe/London" not in chat.text  # shown as a place, not an id
    assert "London" in chat.text and "All set" in chat.text
    assert (await storage.load_profile(1001)).timezone == "Europe/London"


async def test_typed_country_and_zone_and_unknown_country(chat, storage):
    await chat.send("/start")
    await chat.press("I understand")
    await chat.send("Narnia")
    assert "didn't recognise" in chat.text
    assert (await storage.load_dialog(1001)).state == "country"
    await chat.send("usa")
    await chat.send("not a place")
    assert "couldn't find that time zone" in chat.text
    await chat.send("UTC-5")
    assert "All set" in chat.text
    assert (await storage.load_profile(1001)).timezone == "Etc/GMT+5"


async def test_declining_consent_keeps_nothing_and_blocks_records(chat, storage):
    await chat.send("/start")
    await chat.press("Not now")
    assert "won't keep" in chat.text
    profile = await storage.load_profile(1001)
    assert profile is None or profile.consented_at is None
    await chat.send("/new")
    assert "/start" in chat.text
    assert (await storage.load_dialog(1001)).flow is None


async def test_thought_record_is_saved_with_all_fields(chat, storage, clock):
    await onboard(chat)
    await full_record(
        chat,
        situation="My friend didn't answer my message for two days",
        thought="Nobody wants to talk to me",
        emotion="Sad",
        intensity="75",
        belief="85",
        belief_after="40",
        intensity_after="30",
    )
    assert "saved" in chat.text
    [record] = await storage.thought_records(1001)
    assert record.situation == "My friend didn't answer my message for two days"
    assert record.thought == "Nobody wants to talk to me"
    assert record.emotion == "sad"
    assert (record.intensity_before, record.intensity_after) == (75, 30)
    assert (record.belief_before, record.belief_after) == (85, 40)
    assert record.balanced_thought.startswith("This time she cancelled")
    assert record.answers and all(a["answer"] for a in record.answers)
    assert record.created_at == clock.now
    assert (await storage.load_dialog(1001)).flow is None


async def test_rating_out_of_range_and_words_get_a_clear_reask_with_buttons(chat, storage):
    await onboard(chat)
    for line in ("/new", "Missed the bus", "I'm hopeless at planning"):
        await chat.send(line)
    await chat.press("Anxious")
    await chat.send("150")
    assert "outside the scale" in chat.text
    assert chat.labels() == ["10", "30", "50", "70", "90"]
    await chat.send("quite a lot really")
    assert "need a number" in chat.text
    await chat.press("70")
    slots = (await storage.load_dialog(1001)).slots
    assert slots["intensity_before"] == 70 and slots["emotion"] == "anxious"


async def test_other_emotion_is_typed(chat, storage):
    await onboard(chat)
    for line in ("/new", "Team lunch without me", "They left me out on purpose"):
        await chat.send(line)
    await chat.press("Something else")
    await chat.send("left out and lonely today, and also a bit angry with myself")
    assert "word or two" in chat.text
    await chat.send("Lonely")
    await chat.send("60")
    assert (await storage.load_dialog(1001)).slots["emotion"] == "lonely"


async def test_stale_button_is_explained_and_changes_nothing(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("Exam went badly")
    await chat.send("I'm stupid")
    emotion_question = chat.last
    await chat.press("Sad")
    before = await storage.load_dialog(1001)
    await chat.press("Angry", replies=emotion_question)  # the old keyboard, pressed again
    assert chat.last[0].kind == "notice"
    assert "earlier message" in chat.last[0].text
    after = await storage.load_dialog(1001)
    assert after.state == before.state == "intensity"
    assert after.slots["emotion"] == "sad"
    # Garbage callback data (an old bot version, a forged press) is stale too, not an error.
    await chat.event(Button("zz:whatever"))
    assert "earlier message" in chat.last[0].text


async def test_buttons_from_before_a_restart_of_the_same_step_still_work(tmp_path, clock):
    path = tmp_path / "bot.sqlite3"
    async with Storage(path) as store:
        chat = Chat(Engine(store, clock=clock), User(5, "Bo"))
        await onboard(chat)
        await chat.send("/new")
        await chat.send("Burnt dinner")
        await chat.send("I can't do anything right")
        question = chat.last
    async with Storage(path) as store:
        chat = Chat(Engine(store, clock=clock), User(5, "Bo"))
        await chat.press("Guilty", replies=question)
        assert "0 (not at all) to 100" in chat.text
        assert (await store.load_dialog(5)).slots["emotion"] == "guilty"


async def test_non_text_empty_and_huge_messages_lose_nothing(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("Presentation at work")
    for event in (Unsupported("sticker"), Unsupported("photo"), Unsupported("voice")):
        await chat.event(event)
        assert "only read text" in chat.text
        assert "went through your mind" in chat.text or "tell yourself" in chat.text
    await chat.send("   ")
    assert "looks empty" in chat.text
    await chat.send("word " * 2000)
    assert "4096 characters" in chat.text
    state = await storage.load_dialog(1001)
    assert state.state == "thought"
    assert state.slots["situation"] == "Presentation at work"
    assert "thought" not in state.slots


async def test_commands_mid_flow(chat, storage):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("Argument with my sister")
    await chat.send("/help")
    assert "/new" in chat.text and "/settings" in chat.text
    assert (await storage.load_dialog(1001)).state == "thought"
    await chat.send("/frobnicate")
    assert "don't know the command /frobnicate" in chat.text
    await chat.send("/settings")
    assert chat.labels() == ["Yes, leave it", "No, stay here"]
    await chat.press("No, stay")
    assert (await storage.load_dialog(1001)).flow == "thought_record"
    await chat.send("/new")
    assert "Start a new one" in chat.text
    await chat.press("Yes, start over")
    state = await storage.load_dialog(1001)
    assert state.flow == "thought_record" and state.state == "situation" and state.slots == {}
    await chat.send("/cancel")
    assert "stopped" in chat.text
    assert (await storage.load_dialog(1001)).flow is None
    await chat.send("/cancel")
    assert "nothing in progress" in chat.text


async def test_settings_change_country(chat, storage):
    await onboard(chat, "United States")
    await chat.press("New York")
    await chat.send("/settings")
    await chat.press("Country")
    await chat.send("Ireland")
    assert "Ireland" in chat.text
    await chat.press("Done")
    assert "saved" in chat.text.lower()
    profile = await storage.load_profile(1001)
    assert profile.country == "IE" and profile.timezone == "Europe/Dublin"


async def test_restart_resumes_mid_record_with_slots(tmp_path, clock):
    path = tmp_path / "bot.sqlite3"
    async with Storage(path) as store:
        chat = Chat(Engine(store, clock=clock), User(9, "Cy"))
        await onboard(chat)
        await chat.send("/new")
        await chat.send("Got a parking ticket")
    async with Storage(path) as store:
        chat = Chat(Engine(store, clock=clock), User(9, "Cy"))
        await chat.send("Typical, this always happens to me")
        await chat.press("Angry")
        await chat.send("40")
        slots = (await store.load_dialog(9)).slots
        assert slots["situation"] == "Got a parking ticket"
        assert slots["thought"] == "Typical, this always happens to me"


async def test_two_users_at_once_do_not_mix(engine, storage):
    ann, bob = Chat(engine, User(1, "Ann")), Chat(engine, User(2, "Bob"))
    await asyncio.gather(onboard(ann), onboard(bob, "Ireland"))

    await asyncio.gather(
        full_record(ann, "Ann's situation", "Ann's thought", "Sad", "20"),
        full_record(bob, "Bob's situation", "Bob's thought", "Angry", "90"),
    )
    [a] = await storage.thought_records(1)
    [b] = await storage.thought_records(2)
    assert (a.situation, a.thought, a.emotion, a.intensity_before) == (
        "Ann's situation",
        "Ann's thought",
        "sad",
        20,
    )
    assert (b.situation, b.thought, b.emotion, b.intensity_before) == (
        "Bob's situation",
        "Bob's thought",
        "angry",
        90,
    )


async def test_one_users_events_are_handled_in_order(engine, storage):
    chat = Chat(engine, User(3, "Di"))
    await onboard(chat)
    await chat.send("/new")
    user = chat.user
    from dialogs import Text

    # Fired together, as a fast typist's messages arrive: the lock keeps them in order.
    await asyncio.gather(
        engine.handle(user, Text("first: the situation")),
        engine.handle(user, Text("second: the thought")),
    )
    state = await storage.load_dialog(3)
    assert state.slots["situation"] == "first: the situation"
    assert state.slots["thought"] == "second: the thought"


async def test_redelivered_event_is_not_handled_twice(engine, storage):
    from dialogs import Command, Text

    user = User(4, "Ed")
    chat = Chat(engine, user)
    await onboard(chat)
    await engine.handle(user, Command("new"), seq=100)
    first = await engine.handle(user, Text("Lost my keys"), seq=101)
    assert first
    again = await engine.handle(user, Text("Lost my keys"), seq=101)
    assert again == []
    state = await storage.load_dialog(4)
    assert state.state == "thought" and state.slots["situation"] == "Lost my keys"


async def test_start_again_after_onboarding_welcomes_back(chat):
    await onboard(chat)
    await chat.send("/start")
    assert "Welcome back" in chat.text


async def test_unonboarded_text_points_to_start(chat):
    await chat.send("hello")
    assert "/start" in chat.text


async def test_catalogue_variants_change_between_records(storage, clock):
    engine = Engine(storage, EngineSettings(), clock=clock, rng=random.Random(1))
    chat = Chat(engine, User(11, "Flo"))
    await onboard(chat)
    seen = set()
    for _ in range(8):
        await chat.send("/new")
        if chat.last and "Start a new one" in chat.text:
            await chat.press("Yes, start over")
        seen.add(chat.last[-1].text)
    assert len(seen) > 1


async def test_many_people_at_once_always_see_their_own_latest_state(engine, storage):
    """Regression: a shared reader connection kept old snapshots while other people's reads
    were open, and a turn could load the state from before the previous turn."""
    chats = [Chat(engine, User(5000 + i, f"P{i}")) for i in range(40)]
    await asyncio.gather(*(onboard(chat) for chat in chats))

    async def two_records(chat: Chat) -> None:
        await full_record(chat, situation=f"first of {chat.user.id}")
        await full_record(chat, situation=f"second of {chat.user.id}")

    await asyncio.gather(*(two_records(chat) for chat in chats))
    for chat in chats:
        records = await storage.thought_records(chat.user.id)
        assert sorted(r.situation for r in records) == [
            f"first of {chat.user.id}",
            f"second of {chat.user.id}",
        ]


@pytest.mark.parametrize("text", [
    "Ich bin immer so dumm und nichts klappt bei mir",
    "Siempre lo hago todo mal, soy un desastre",
    "Я всегда всё порчу",
])  # fmt: skip
async def test_other_languages_get_a_kind_answer_and_lose_nothing(chat, storage, text):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("My exam went badly")
    await chat.send(text)
    assert "only understand English" in chat.text
    assert "Show help lines" in chat.labels()
    state = await storage.load_dialog(1001)
    assert state.state == "thought" and state.slots["situation"] == "My exam went badly"
    await chat.send("Berlin")  # short answers and names are not taken for another language
    assert (await storage.load_dialog(1001)).slots["thought"] == "Berlin"
