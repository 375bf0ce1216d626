"""End to end: the real python-telegram-bot Application against the local Bot API stand-in."""

from __future__ import annotations

import asyncio
import json

import pytest
from botapi_stub import FakeBotAPI
from tg_harness import RunningBot, TgUser, full_record, texts


@pytest.fixture
async def api():
    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def bot(api, tmp_path):
    async with RunningBot(api, tmp_path / "bot.sqlite3") as running:
        yield running


async def onboard(user: TgUser, country: str = "United Kingdom") -> None:
    await user.say("/start")
    await user.press("I understand")
    await user.press(country)


async def test_start_sets_the_command_menu(api, bot):
    [call] = api.calls_of("setMyCommands")
    names = [c["command"] for c in call["commands"]]
    assert {"new", "help", "settings", "cancel", "start"} <= set(names)


async def test_onboarding_and_a_thought_record_by_buttons(api, bot):
    ann = TgUser(api, bot, 501, "Ann")
    sent = await ann.say("/start")
    assert "not a therapist" in texts(sent)
    consent = sent[-1]
    await ann.press("I understand")
    # The pressed keyboard is answered and removed.
    assert api.calls_of("answerCallbackQuery")
    edit = await api.wait_for_call("editMessageReplyMarkup")
    assert edit["message_id"] == consent["message_id"]
    [now] = [m for m in api.sent_to(501) if m["message_id"] == consent["message_id"]]
    assert not now.get("reply_markup")
    sent = await ann.press("United States")
    assert "time zone" in texts(sent)
    sent = await ann.press("Denver")
    assert "All set" in texts(sent)

    await ann.say("/new")
    await ann.say("I forgot my mum's birthday")
    sent = await ann.say("I'm a terrible daughter, I always let everyone down")
    assert "How did that thought make you feel" in texts(sent)
    await ann.press("Guilty")
    await ann.press("90")
    sent = await ann.press("70")
    assert "noticed" in texts(sent)
    assert "always" in texts(sent)  # the person's own word, quoted back
    sent = await ann.press("Let's look at it")
    assert "Question 1 of" in texts(sent)
    while "Question" in api.last_message(501)["text"]:
        await ann.say("She told me it didn't matter much")
    await ann.say("This time I forgot, partly because work was hectic, and I can call her")
    if "Keep it" in [
        b["text"]
        for row in (api.last_message(501).get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    ]:
        await ann.press("Keep it")
    await ann.press("30")
    sent = await ann.press("50")
    assert "90 → 50" in texts(sent) and "70 → 30" in texts(sent)
    sent = await ann.press("Finish here")
    assert "saved" in texts(sent)

    [record] = await bot.storage.thought_records(501)
    assert (record.situation, record.thought, record.emotion) == (
        "I forgot my mum's birthday",
        "I'm a terrible daughter, I always let everyone down",
        "guilty",
    )
    assert (record.intensity_before, record.belief_before) == (90, 70)
    assert (record.belief_after, record.intensity_after) == (30, 50)
    assert record.findings["dimensions"] or record.findings["distortions"]
    profile = await bot.storage.load_profile(501)
    assert (profile.country, profile.timezone) == ("US", "America/Denver")


async def test_stale_button_gets_a_short_explanation(api, bot):
    ann = TgUser(api, bot, 502)
    sent = await ann.say("/start")
    consent = sent[-1]
    await ann.press("I understand")
    # Pressed again from the same (old) message: Telegram still delivers it.
    button = consent["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    sent = await ann.press_data(consent["message_id"], button)
    answers = api.calls_of("answerCallbackQuery")
    assert "earlier message" in answers[-1]["text"]
    assert "Which country" in texts(sent)  # and we are told where we are
    # A press from a message the bot no longer knows (before a restart) is stale too.
    await ann.press_data(9999, "1:agree")
    assert "earlier message" in api.calls_of("answerCallbackQuery")[-1]["text"]
    assert (await bot.storage.load_dialog(502)).state == "country"


async def test_sticker_photo_and_voice_get_a_kind_text_only_reply(api, bot):
    ann = TgUser(api, bot, 503)
    await onboard(ann)
    await ann.say("/new")
    for kind in ("sticker", "photo", "voice"):
        sent = await ann.send(kind)
        assert "only read text" in texts(sent)
    assert (await bot.storage.load_dialog(503)).state == "situation"


async def test_two_users_at_once_keep_their_own_state(api, bot):
    ann, bob = TgUser(api, bot, 601, "Ann"), TgUser(api, bot, 602, "Bob")
    await asyncio.gather(onboard(ann), onboard(bob, "Ireland"))

    await asyncio.gather(
        full_record(ann, "Ann situation", "Ann thought", "Sad", "30"),
        full_record(bob, "Bob situation", "Bob thought", "Angry", "70"),
    )
    [a] = await bot.storage.thought_records(601)
    [b] = await bot.storage.thought_records(602)
    assert (a.situation, a.emotion, a.intensity_before) == ("Ann situation", "sad", 30)
    assert (b.situation, b.emotion, b.intensity_before) == ("Bob situation", "angry", 70)
    assert all(m["chat"]["id"] == 601 for m in api.sent_to(601))


async def test_burst_of_messages_from_one_user_is_handled_in_order(api, bot):
    ann = TgUser(api, bot, 604)
    await onboard(ann)
    await ann.say("/new")
    first = api.push_text(604, "the situation, sent first")
    last = api.push_text(604, "the thought, sent second")
    await api.wait_for(lambda: bot.transport.last_handled.get(604, 0) >= last["update_id"])
    assert first["update_id"] < last["update_id"]
    state = await bot.storage.load_dialog(604)
    assert state.slots["situation"] == "the situation, sent first"
    assert state.slots["thought"] == "the thought, sent second"


async def test_group_chats_are_ignored(api, bot):
    update = api.push_raw(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/start",
                "from": {"id": 700, "is_bot": False, "first_name": "Gus"},
                "chat": {"id": -100, "type": "group", "title": "friends"},
            }
        }
    )
    await api.wait_for(
        lambda: not api.pending_updates or api.pending_updates[0]["update_id"] > update["update_id"]
    )
    await asyncio.sleep(0.1)
    assert api.sent_to(-100) == []


SUPPORT_CHAT = -1001234


@pytest.mark.parametrize("consent", [True, False])
async def test_crisis_mid_record_gets_local_lines_pauses_and_alerts_as_configured(
    api, tmp_path, consent
):
    async with RunningBot(
        api, tmp_path / "bot.sqlite3", ESCALATION_CHAT_ID=str(SUPPORT_CHAT)
    ) as bot:
        ann = TgUser(api, bot, 901, "Ann")
        await ann.say("/start")
        await ann.press("I understand")
        await ann.press("Ireland")
        await ann.press("Yes, that's okay" if consent else "No, thanks")
        await ann.say("/new")
        await ann.say("My exam results came back")
        sent = await ann.say("i cant do this anymore, i want to end my life")
        text = texts(sent)
        assert "Samaritans Ireland" in text and "116 123" in text
        assert "112 or 999" in text  # the emergency number
        crisis_msg = sent[-1]
        buttons = [b for row in crisis_msg["reply_markup"]["inline_keyboard"] for b in row]
        assert any(b.get("url", "").startswith("https://") for b in buttons)
        assert {"I'm safe right now", "More resources", "Make a safety plan"} <= {
            b["text"] for b in buttons
        }
        dialog = await bot.storage.load_dialog(901)
        assert dialog.flow is None and dialog.suspended["state"] == "thought"
        profile = await bot.storage.load_profile(901)
        assert profile.nudges_paused_until is not None
        alerts = api.sent_to(SUPPORT_CHAT)
        if consent:
            [alert] = alerts
            assert "901" in alert["text"] and "Ann" in alert["text"]
            assert "end my life" not in alert["text"]
        else:
            assert alerts == []
        # Pressing "I'm safe" keeps the crisis line links on the message (one tap away).
        await ann.press("I'm safe right now", crisis_msg)
        [now] = [m for m in api.sent_to(901) if m["message_id"] == crisis_msg["message_id"]]
        remaining = [b for row in now["reply_markup"]["inline_keyboard"] for b in row]
        assert remaining and all("url" in b for b in remaining)


async def test_caption_of_a_photo_is_checked_for_risk(api, bot):
    ann = TgUser(api, bot, 902)
    await onboard(ann)
    sent = await ann.send("photo", caption="goodbye everyone, i'm going to kill myself")
    assert "I'm safe right now" in str([m.get("reply_markup") for m in sent])


async def test_pictures_and_files_go_out_as_photo_and_document(api, bot):
    from dialogs import Attachment, Reply

    sent = bot.transport.sender.send_direct(
        903,
        [
            Reply("a chart", image=Attachment("chart.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)),
            Reply("your data", document=Attachment("export.json", b"{}", "application/json")),
        ],
        urgent=False,
    )
    assert all(await asyncio.gather(*sent))  # both have a message id
    [photo] = api.calls_of("sendPhoto")
    [document] = api.calls_of("sendDocument")
    assert photo["caption"] == "a chart" and photo["photo"].filename == "chart.png"
    assert document["document"].filename == "export.json"


async def test_a_reminder_due_in_seconds_arrives_and_done_records_the_outcome(api, bot):
    from datetime import UTC, datetime, timedelta

    from dialogs.flows.activation import task_reminder
    from dialogs.models import TurnWrites

    ann = TgUser(api, bot, 905)
    await onboard(ann)
    await ann.say("/settings")
    await ann.press("Quiet hours")
    await ann.press("none")  # the test may run at any hour
    await ann.press("Done")
    await ann.say("/plan")
    await ann.say("Walk round the block")
    await ann.say("Put my shoes on")
    await ann.say("in 1 hour")
    await ann.press("Yes")
    await ann.press("Just once")
    await ann.press("2")
    sent = await ann.press("3")
    assert "Planned" in texts(sent)
    # Bring the planned time forward to a few seconds from now, as a row in the database.
    [task] = await bot.storage.upcoming_tasks(905)
    task.due_at = datetime.now(UTC) + timedelta(seconds=2)
    await bot.storage.commit_turn(
        905, await bot.storage.load_dialog(905),
        TurnWrites(tasks=[task], cancel_task_reminders=[task.id],
                   reminders=[task_reminder(task)]),
    )  # fmt: skip
    before = len(api.sent_to(905))
    await api.wait_for(lambda: len(api.sent_to(905)) > before, timeout=15,
                       what="the nudge")  # fmt: skip
    nudge = api.last_message(905)
    assert "Walk round the block" in nudge["text"]
    await ann.press("Done", nudge)
    await ann.press("8")
    await ann.press("7")
    sent = await ann.say("It was nicer than I thought")
    assert "you expected 2/10, it was 8/10" in texts(sent)
    [done] = await bot.storage.tasks(905)
    assert (done.status, done.actual_enjoyment, done.actual_achievement) == ("done", 8, 7)
    # the nudge was recorded as sent with Telegram's message id, once
    reminders = await bot.storage.reminders(905, ("sent",))
    assert [r.task_id for r in reminders] == [task.id]
    assert len([m for m in api.sent_to(905) if "Walk round the block" in m.get("text", "")
                and "time for" in m.get("text", "").lower()]) == 1  # fmt: skip


async def test_progress_arrives_as_a_photo_and_export_as_documents(api, bot):
    ann = TgUser(api, bot, 906)
    await onboard(ann)
    await full_record(ann, "The bus was late", "I'm always late for everything", "Anxious", "70")
    sent = await ann.say("/progress")
    [photo] = api.calls_of("sendPhoto")
    assert photo["chat_id"] == 906 and photo["photo"].filename == "progress.png"
    assert photo["photo"].content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "thought records" in texts(sent)
    await ann.say("/export")
    documents = api.calls_of("sendDocument")
    assert [d["document"].filename.split("-2")[0] for d in documents] == [
        "my-data",
        "thought-records",
    ]
    exported = json.loads(documents[0]["document"].content)
    assert exported["tables"]["thought_records"][0]["thought"] == "I'm always late for everything"


async def test_a_late_button_answer_or_a_bad_gateway_does_not_cost_the_crisis_lines(api, bot):
    ann = TgUser(api, bot, 907)
    await onboard(ann)
    await ann.say("I feel like a burden to everyone")
    api.fail_next(
        "answerCallbackQuery",
        error_code=400,
        description="Bad Request: query is too old and response timeout expired",
    )
    sent = await ann.press("Yes")
    assert "116 123" in texts(sent)  # the lines arrived although the press was answered late
    api.fail_next("sendMessage", chat_id=907, error_code=502, description="Bad Gateway")
    sent = await ann.say("I want to kill myself")
    assert "116 123" in texts(sent)  # a passing gateway error is retried


async def test_a_long_record_opens_from_the_journal_within_telegram_limits(api, bot):
    ann = TgUser(api, bot, 908)
    await onboard(ann)
    situation = ("The train was cancelled and I missed my sister's birthday dinner. " * 70)[:4096]
    thought = ("I always let everyone down and it will never change. " * 80)[:4096]
    await full_record(ann, situation.strip(), thought.strip(), "Sad", "70")
    await ann.say("/journal")
    sent = await ann.press("1.")
    assert len(sent) >= 3 and "went wrong" not in texts(sent)
    assert " ".join(situation.split()) in " ".join(texts(sent).split())
    [record] = await bot.storage.thought_records(908)
    assert record.situation == situation.strip()  # stored whole, not cut at 2,000
