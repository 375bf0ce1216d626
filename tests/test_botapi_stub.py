"""Proves tests/botapi_stub.py speaks the wire protocol of the real python-telegram-bot 22."""

import asyncio
import warnings

import httpx
import pytest
from botapi_stub import FakeBotAPI, UploadedFile
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

TOKEN = "123:ABC"
USER = 4242


@pytest.fixture
async def api():
    async with FakeBotAPI() as stub:
        yield stub


@pytest.fixture
async def bot(api):
    async with Bot(token=TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as b:
        yield b


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


async def test_get_me_and_commands(api, bot):
    me = await bot.get_me()
    assert me.id == 123 and me.is_bot and me.username == "test_bot"
    assert await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("help", "Help")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    method, params = api.calls[-2]
    assert method == "setMyCommands"
    assert params["commands"] == [
        {"command": "start", "description": "Begin"},
        {"command": "help", "description": "Help"},
    ]
    assert await bot.delete_webhook() is True
    assert await bot.close() is True and await bot.log_out() is True
    assert [m for m, _ in api.calls][-3:] == ["deleteWebhook", "close", "logOut"]


async def test_send_and_edit_message(api, bot):
    msg = await bot.send_message(USER, "Pick one", reply_markup=keyboard(("Yes", "y"), ("No", "n")))
    assert msg.message_id == 1 and msg.chat.id == USER and msg.from_user.id == 123
    assert msg.reply_markup.inline_keyboard[1][0].callback_data == "n"
    method, params = api.calls[-1]
    assert method == "sendMessage"
    assert params["chat_id"] == USER and params["text"] == "Pick one"
    assert params["reply_markup"]["inline_keyboard"][0][0] == {"text": "Yes", "callback_data": "y"}
    # a numeric-looking text stays a string
    await bot.send_message(USER, "123")
    assert api.last_message(USER)["text"] == "123" and api.calls[-1][1]["text"] == "123"

    edited = await bot.edit_message_reply_markup(USER, msg.message_id, reply_markup=None)
    assert edited.reply_markup is None and edited.edit_date is not None
    assert "reply_markup" not in api.sent_to(USER)[0]
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("Pick one", USER, msg.message_id)
    edited = await bot.edit_message_text("Done", USER, msg.message_id)
    assert edited.text == "Done"
    assert [m["text"] for m in api.sent_to(USER)] == ["Done", "123"]
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    assert await bot.send_chat_action(USER, "typing") is True


async def test_edit_drops_keyboard_delete_and_reply_keyboard(api, bot):
    msg = await bot.send_message(USER, "Q", reply_markup=keyboard(("A", "a")))
    edited = await bot.edit_message_text("Q2", USER, msg.message_id)  # no reply_markup
    assert edited.reply_markup is None and "reply_markup" not in api.last_message(USER)
    assert await bot.delete_message(USER, msg.message_id) is True
    assert api.sent_to(USER)[0]["deleted"] is True
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(USER, msg.message_id)
    reply_kb = ReplyKeyboardMarkup([["Yes", "No"]], one_time_keyboard=True)
    sent = await bot.send_message(USER, "Choose", reply_markup=reply_kb)
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards ...
    assert api.last_message(USER)["reply_markup"]["keyboard"][0][0] == {
        "text": "Yes"
    }  # ... we keep it
    # files the user sent can be downloaded by the bot
    photo = Update.de_json(api.push_photo(USER, caption="pic"), bot).message.photo[0]
    assert await (await bot.get_file(photo.file_id)).download_as_bytearray()


async def test_validation_errors(api, bot):
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=keyboard(("a", "x" * 65)))
    with pytest.raises(BadRequest, match="(?i)text is empty"):
        await bot.send_message(USER, "  ")
    with pytest.raises(BadRequest, match="(?i)can.t parse entities"):
        await bot.send_message(USER, "1 < 2 <b>bold", parse_mode="HTML")
    assert (await bot.send_message(USER, "<b>ok</b> &lt;", parse_mode="HTML")).text
    assert api.server_errors == []


async def test_answer_callback_query(api, bot):
    msg = await bot.send_message(USER, "Q?", reply_markup=keyboard(("A", "a")))
    update = Update.de_json(api.push_callback(USER, "a", msg.message_id), bot)
    query = update.callback_query
    assert query.data == "a" and query.message.message_id == msg.message_id
    assert query.message.reply_markup.inline_keyboard[0][0].callback_data == "a"
    assert await bot.answer_callback_query(query.id, text="Thanks") is True
    assert api.calls[-1] == (
        "answerCallbackQuery",
        {"callback_query_id": query.id, "text": "Thanks"},
    )
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query.id)
    stale = Update.de_json(api.push_callback(USER, "old", 777), bot).callback_query
    assert stale.message.message_id == 777 and stale.message.chat.id == USER


async def test_uploads_and_file_download(api, bot):
    photo = b"\x89PNG fake image bytes"
    msg = await bot.send_photo(USER, photo, caption="look")
    assert msg.caption == "look" and msg.photo[-1].width == 800
    upload = api.last_message(USER)["upload"]
    assert upload["size"] == len(photo) and upload["content"] == photo
    assert isinstance(api.calls[-1][1]["photo"], UploadedFile)

    doc = await bot.send_document(USER, b"a,b\n1,2\n", filename="data.csv")
    assert doc.document.file_name == "data.csv" and doc.document.file_size == 8
    sent = api.last_message(USER)
    assert sent["upload"]["filename"] == "data.csv" and sent["upload"]["content"] == b"a,b\n1,2\n"
    # resend by file_id: no upload, file_id passed through
    again = await bot.send_document(USER, doc.document.file_id)
    assert again.document.file_id == doc.document.file_id
    # getFile + download through base_file_url
    tg_file = await bot.get_file(doc.document.file_id)
    assert bytes(await tg_file.download_as_bytearray()) == b"a,b\n1,2\n"


async def test_unknown_method_and_bad_token(api, bot):
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert api.calls[-1][0] == "noSuchMethod"
    async with httpx.AsyncClient() as client:
        res = await client.post(f"{api.base_url}{TOKEN}/noSuchMethod", data={"a": "1"})
        assert res.status_code == 404
        assert res.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        res = await client.get(f"{api.base_url}{TOKEN}/getMe")
        assert res.json()["ok"] is True and res.json()["result"]["id"] == 123
    with pytest.raises(InvalidToken):
        async with Bot(token="malformed", base_url=api.base_url):
            pass


# PTB 22 itself warns (int -> timedelta) when constructing RetryAfter; not the stub's doing.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_error_injection(api, bot):
    api.fail_next("sendMessage", chat_id=USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "hi")
    await bot.send_message(USER, "hi again")  # only the next call fails
    api.fail_next("sendMessage", chat_id=999)  # other chat: not triggered here
    await bot.send_message(USER, "third")
    api.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
        await bot.send_message(USER, "flood")
    assert [m["text"] for m in api.sent_to(USER)] == ["hi again", "third"]
    with pytest.raises(Forbidden):
        await bot.send_message(999, "x")


async def test_wait_for_timeout_is_informative(api, bot):
    await bot.send_message(USER, "only one")
    with pytest.raises(AssertionError, match=r"(?s)2 message\(s\).*got 1.*sendMessage"):
        await api.wait_for_messages(USER, 2, timeout=0.2)


async def test_get_updates_long_poll_and_offset(api, bot):
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=30) == ()  # held, but capped at ~1 s
    assert 0.9 < loop.time() - started < 2

    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    started = loop.time()
    first = api.push_text(USER, "/start hello", first_name="Bea")
    updates = await poll
    assert loop.time() - started < 0.5  # woken by the push, not by the timeout
    message = updates[0].message
    assert message.text == "/start hello" and message.from_user.first_name == "Bea"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6
    assert message.chat.type == "private" and message.from_user.language_code == "en"

    api.push_sticker(USER)
    api.push_photo(USER)
    api.push_voice(USER)
    assert len(await bot.get_updates(limit=2)) == 2
    rest = await bot.get_updates(offset=first["update_id"] + 1)
    assert [bool(u.message.sticker) for u in rest] == [True, False, False]
    assert rest[1].message.photo and rest[2].message.voice.mime_type == "audio/ogg"
    assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()
    raw = api.push_raw(
        {"update_id": 200000, "edited_message": {**first["message"], "edit_date": 1}}
    )
    assert (await bot.get_updates())[0].edited_message.text == "/start hello"
    assert api.push_text(USER, "next")["update_id"] == raw["update_id"] + 1


async def test_application_polling_end_to_end(api):
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(
            f"echo: {update.message.text}", reply_markup=keyboard(("Press", "pressed"))
        )

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("ok")
        await update.callback_query.edit_message_text(f"you chose {update.callback_query.data}")

    app = Application.builder().token(TOKEN).base_url(api.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(on_button))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            api.push_text(USER, "hello")
            [reply] = await api.wait_for_messages(USER, 1)
            assert reply["text"] == "echo: hello"
            assert reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "pressed"

            press = api.push_callback(USER, "pressed", reply["message_id"])
            answer = await api.wait_for_call("answerCallbackQuery")
            assert answer["text"] == "ok"
            await api.wait_for(lambda: api.last_message(USER)["text"] == "you chose pressed")

            await app.updater.stop()
            await app.stop()
    methods = [m for m, _ in api.calls]
    assert methods[0] == "getMe" and "deleteWebhook" in methods
    # Updater.stop confirms the processed updates with one last offset call
    assert api.calls_of("getUpdates")[-1]["offset"] == press["update_id"] + 1
    assert api.pending_updates == []
    assert api.server_errors == []
