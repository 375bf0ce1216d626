# ruff: noqa: ASYNC109, SIM905  (timeout= args keep test code short; word lists stay readable)
"""A local stand-in for the Telegram Bot API, for end-to-end tests of the bot.

Why: unit tests with mocked ``Bot`` methods never exercise python-telegram-bot's
real request building, JSON parsing, Application/Updater machinery or handler
dispatch.  This module runs a small aiohttp server on ``127.0.0.1`` (random free
port, same event loop as the test) that speaks the Bot API wire protocol, so a
real ``telegram.Bot`` / ``telegram.ext.Application`` can be pointed at it with
``base_url=api.base_url``.  Nothing leaves the machine.

Usage::

    async with FakeBotAPI() as api:
        app = Application.builder().token("123:ABC").base_url(api.base_url).build()
        ...
        api.push_text(42, "/start")
        msgs = await api.wait_for_messages(42, 1)

Wire format notes (PTB 22, ``telegram/request/_requestparameter.py``): every
request is a POST, ``application/x-www-form-urlencoded`` or, when files are
uploaded, ``multipart/form-data``.  String parameters are sent *raw*; every
other value (ints, bools, dicts, lists) is ``json.dumps``-ed, so ``chat_id=42``
arrives as ``"42"``, ``disable_notification`` as ``"true"`` and ``reply_markup``
as a JSON string.  A text of ``"123"`` is indistinguishable from an int, hence
the ``_STRING_PARAMS`` allow-list below.  Uploaded files arrive as a form part
named after the parameter (``photo``, ``document``) or, for ``attach://NAME``
references, under ``NAME``.

Behaviour mirrors Telegram where a bot could realistically trip over it: HTTP
status == ``error_code``; editing with identical content gives "message is not
modified"; editing text without ``reply_markup`` drops the inline keyboard (a classic
surprise); callback_data over 64 bytes, empty or over-long texts and broken HTML
are rejected; a callback query can be answered once.  Private chat message ids
are one counter per chat shared by user and bot messages, as in Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

_STRING_PARAMS = frozenset(
    "text caption parse_mode callback_query_id inline_message_id url action language_code "
    "description short_description name title emoji query question file_id photo document "
    "voice audio video animation sticker thumbnail secret_token business_connection_id "
    "first_name last_name phone_number vcard address payload currency start_parameter".split()
)
_JSON_STARTS = frozenset('{["-0123456789')
# present in records, never sent to the bot; "sent_at" is time.monotonic() when it was accepted
_STUB_KEYS = ("upload", "deleted", "parse_mode", "sent_at")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_HTML_TAGS = frozenset(
    "b strong i em u ins s strike del span tg-spoiler a code pre blockquote tg-emoji".split()
)
_CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note".split()
)
_DEFAULT_ERRORS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
}


class ApiError(Exception):
    """Raised inside a method handler; becomes ``{"ok": false, ...}`` with that HTTP status."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class UploadedFile:
    """One multipart file part as the bot uploaded it (appears in ``api.calls`` params)."""

    filename: str | None
    mime_type: str | None
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class _Slow:
    method: str
    chat_id: Any
    seconds: float
    times: int
    after: bool


@dataclass
class _Failure:
    method: str
    chat_id: Any
    code: int
    description: str
    retry_after: int | None
    times: int


class _HTMLCheck(HTMLParser):
    """Rejects HTML that Telegram's parse_mode=HTML would reject (unknown/unbalanced tags)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in _HTML_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"')


def _check_html(text: str) -> None:
    parser = _HTMLCheck()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise ApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{parser.stack[-1]}"',
        )


def _decode(name: str, raw: str) -> Any:
    """Undo PTB's encoding: JSON for non-strings, raw for strings (see module docstring)."""
    if name in _STRING_PARAMS or raw.startswith("attach://"):
        return raw
    if raw[:1] in _JSON_STARTS or raw in ("true", "false", "null"):
        with contextlib.suppress(ValueError):
            return json.loads(raw)
    return raw


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _check_markup(markup: Any) -> None:
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


class FakeBotAPI:
    """In-process fake Telegram Bot API server.  Use as ``async with FakeBotAPI() as api``."""

    def __init__(
        self, *, long_poll_cap: float = 1.0, bot_username: str = "test_bot", port: int = 0
    ) -> None:
        self.long_poll_cap = long_poll_cap  # getUpdates never holds longer (keeps tests fast)
        self.bot_user: dict[str, Any] = {
            "id": 123456789,  # replaced by the numeric prefix of the token on each request
            "is_bot": True,
            "first_name": "Test Bot",
            "username": bot_username,
        }
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.server_errors: list[str] = []  # stub bugs (HTTP 500); tests may assert it's empty
        self.commands: dict[str, list[dict]] = {}
        self.port: int | None = port or None
        self._pending: list[dict] = []  # unconfirmed updates, ascending update_id
        self._update_ids = itertools.count(100001)
        self._ids = itertools.count(1)  # callback ids, file ids, chat_instance
        self._msg_counters: dict[int, itertools.count] = {}
        self._sent: dict[int, list[dict]] = {}  # chat_id -> bot message records, in order
        self._users: dict[int, dict] = {}
        self._open_callbacks: set[str] = set()
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self._failures: list[_Failure] = []
        self._slow: list[_Slow] = []
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> FakeBotAPI:
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # handler_cancellation: a long poll abandoned by the client (Updater.stop) ends at once.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port or 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()  # release held getUpdates so shutdown does not wait for them
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def vanish(self) -> None:
        """The API goes away: the port stops answering and open connections drop. Updates
        pushed meanwhile wait, as they would at Telegram; `reappear` brings it back."""
        await self.stop()

    async def reappear(self) -> None:
        await self.start()

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _notify(self) -> None:
        """Wake everything waiting for a state change (long polls, wait_for)."""
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ test-side: updates
    def _user(self, user_id: int, first_name: str | None = None, language_code: str | None = None):
        prof = self._users.setdefault(user_id, {"first_name": "Ann", "language_code": "en"})
        if first_name is not None:
            prof["first_name"] = first_name
        if language_code is not None:
            prof["language_code"] = language_code
        user = {"id": user_id, "is_bot": False, **prof}
        chat = {"id": user_id, "type": "private", "first_name": prof["first_name"]}
        return user, chat

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._msg_counters.setdefault(chat_id, itertools.count(1)))

    def _chat(self, chat_id: Any) -> dict:
        try:
            chat_id = int(chat_id)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat_id > 0:
            name = self._users.get(chat_id, {}).get("first_name", "Ann")
            return {"id": chat_id, "type": "private", "first_name": name}
        return {"id": chat_id, "type": "supergroup", "title": "Test group"}

    def _user_message(self, user_id: int, first_name=None, language_code=None, **content) -> dict:
        user, chat = self._user(user_id, first_name, language_code)
        msg = {"message_id": self._next_message_id(user_id), "from": user, "chat": chat}
        msg["date"] = int(time.time())
        return self.push_raw({"message": {**msg, **content}})

    def _fake_file(self, kind: str, content: bytes, ext: str) -> dict:
        file_id = f"{kind}-file-{next(self._ids)}"
        self._files[file_id] = (f"{kind}s/{file_id}.{ext}", content)
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content)}

    def push_raw(self, update: dict) -> dict:
        """Queue any update dict; ``update_id`` is assigned unless given.  Returns the update."""
        update = copy.deepcopy(update)
        if "update_id" in update:
            nxt = update["update_id"] + 1
            self._update_ids = itertools.count(max(nxt, next(self._update_ids)))
        else:
            update["update_id"] = next(self._update_ids)
        if "callback_query" in update:
            self._open_callbacks.add(update["callback_query"]["id"])
        self._pending.append(update)
        self._pending.sort(key=lambda u: u["update_id"])
        self._notify()
        return copy.deepcopy(update)

    def push_text(self, user_id: int, text: str, first_name: str | None = None, **kw) -> dict:
        """A private text message; ``/cmd`` texts get a bot_command entity like Telegram's."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return self._user_message(user_id, first_name, kw.get("language_code"), **content)

    def push_edit(self, user_id: int, message_id: int, text: str) -> dict:
        """The person edits their earlier message ``message_id`` to ``text``."""
        user, chat = self._user(user_id)
        message = {"message_id": message_id, "from": user, "chat": chat, "text": text,
                   "date": int(time.time()) - 60, "edit_date": int(time.time())}  # fmt: skip
        return self.push_raw({"edited_message": message})

    def push_callback(self, user_id: int, data: str, message_id: int, **kw) -> dict:
        """A button press on bot message ``message_id`` in the user's private chat.

        Unknown ids (e.g. a message from before a restart) still get a plausible old message,
        so stale-button handling can be tested."""
        user, chat = self._user(user_id, kw.get("first_name"), kw.get("language_code"))
        record = next(
            (m for m in self._sent.get(user_id, []) if m["message_id"] == message_id), None
        )
        if record is not None:
            message = self._wire(record)
        else:
            message = {
                "message_id": message_id,
                "from": self.bot_user,
                "chat": chat,
                "date": int(time.time()) - 86400,
                "text": "(an old message)",
            }
        query = {
            "id": f"cbq{next(self._ids)}",
            "from": user,
            "message": message,
            "chat_instance": f"ci{user_id}",
            "data": data,
        }
        return self.push_raw({"callback_query": query})

    def push_sticker(self, user_id: int, **kw) -> dict:
        sticker = {**self._fake_file("sticker", b"RIFF\0\0\0\0WEBP", "webp"), "emoji": "👍"}
        sticker.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
        return self._user_message(user_id, sticker=sticker, **kw)

    def push_photo(self, user_id: int, caption: str | None = None, **kw) -> dict:
        content = {"photo": self._photo_sizes(self._fake_file("photo", b"\xff\xd8\xff\xe0", "jpg"))}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(user_id, **content, **kw)

    def push_voice(self, user_id: int, duration: int = 3, **kw) -> dict:
        voice = {**self._fake_file("voice", b"OggS\0" * 8, "oga"), "duration": duration}
        voice["mime_type"] = "audio/ogg"
        return self._user_message(user_id, voice=voice, **kw)

    # ------------------------------------------------------------------ test-side: inspection
    def sent_to(self, chat_id: int) -> list[dict]:
        """Bot messages sent to ``chat_id`` in order, in their current (edited) state.

        ``text``/``caption`` are exactly what the bot sent (HTML/Markdown markup not parsed
        away).  Dicts are the Message JSON plus stub-only keys: ``reply_markup`` as the bot sent it
        (even reply keyboards, which Telegram does not echo), ``parse_mode``, ``upload``
        (``{"filename", "mime_type", "size", "content"}``) and ``deleted``."""
        return copy.deepcopy(self._sent.get(int(chat_id), []))

    def last_message(self, chat_id: int) -> dict | None:
        sent = self._sent.get(int(chat_id))
        return copy.deepcopy(sent[-1]) if sent else None

    @property
    def pending_updates(self) -> list[dict]:
        """Updates not yet confirmed by a getUpdates offset."""
        return copy.deepcopy(self._pending)

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def format_calls(self, last: int = 15) -> str:
        """Recent calls for failure messages; getUpdates polls are only counted (noise)."""
        calls = [(n, p) for n, p in self.calls if n != "getUpdates"][-last:]
        lines = [f"  {name} {params!r}"[:300] for name, params in calls]
        polls = len(self.calls_of("getUpdates"))
        return "\n".join([*lines, f"  (+ {polls} getUpdates calls)"])

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, what: str | Callable[[], str] = ""
    ) -> Any:
        """Wait until ``predicate()`` is truthy and return its value.

        Re-checks on every request/update (and every 50 ms for outside state); on timeout
        fails with an AssertionError listing the recent calls."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := predicate()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                desc = (what() if callable(what) else what) or getattr(predicate, "__name__", "?")
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {desc}; recent Bot API calls:\n"
                    f"{self.format_calls()}\nstub errors: {self.server_errors}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))
        return result

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 5.0) -> list:
        """Wait until at least ``count`` messages in total were sent to ``chat_id``."""
        await self.wait_for(
            lambda: len(self._sent.get(int(chat_id), [])) >= count,
            timeout,
            lambda: f"{count} message(s) to chat {chat_id} (got {len(self.sent_to(chat_id))})",
        )
        return self.sent_to(chat_id)

    async def wait_for_call(
        self,
        method: str,
        where: Callable[[dict], Any] | None = None,
        timeout: float = 5.0,
        after: int = 0,
    ) -> dict[str, Any]:
        """Wait for a call of ``method`` (optionally with ``where(params)`` true) at index
        >= ``after`` in ``api.calls``; return its params."""

        def found():
            for name, params in self.calls[after:]:
                if name == method and (where is None or where(params)):
                    return params
            return None

        return await self.wait_for(found, timeout, f"a {method} call")

    def slow_next(
        self,
        method: str,
        seconds: float,
        chat_id: int | None = None,
        times: int = 1,
        after: bool = False,
    ) -> None:
        """Make the next ``times`` matching calls answer only after ``seconds``: the message is
        sent then, or, with ``after``, at once (the answer alone is late: a client that gives up
        or dies meanwhile never learns it arrived)."""
        self._slow.append(_Slow(method, chat_id, seconds, times, after))

    def fail_next(
        self,
        method: str,
        chat_id: int | None = None,
        error_code: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` matching calls fail with a Telegram error.

        ``error_code`` defaults to 429 if ``retry_after`` is given, else 403; the description
        defaults to Telegram's text for that code."""
        code = error_code or (429 if retry_after is not None else 403)
        desc = description or _DEFAULT_ERRORS.get(code, f"Error {code}")
        desc = desc.format(retry_after=retry_after)
        self._failures.append(_Failure(method, chat_id, code, desc, retry_after, times))

    # ------------------------------------------------------------------ HTTP plumbing
    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return self._error(ApiError(404, "Not Found"))

    @staticmethod
    def _error(err: ApiError) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
        if err.parameters:
            body["parameters"] = err.parameters
        return web.json_response(body, status=err.code)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            return {**raw, **(await request.json())}
        if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value
        params = {key: _decode(key, str(value)) for key, value in raw.items()}
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = files.pop(value.removeprefix("attach://"), value)
        params.update(files)  # non-attach uploads arrive under the parameter's own name
        return params

    async def _handle_file(self, request: web.Request) -> web.Response:
        for path, content in self._files.values():
            if path == request.match_info["path"]:
                return web.Response(body=content)
        return self._error(ApiError(404, "Not Found"))

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        prefix, _, secret = token.partition(":")
        if not (prefix.isdigit() and secret):
            return self._error(ApiError(404, "Not Found"))
        self.bot_user["id"] = int(prefix)
        try:
            params = await self._read_params(request)
        except (ValueError, UnicodeDecodeError) as exc:
            return self._error(ApiError(400, f"Bad Request: can't parse request: {exc}"))
        handler = self._METHODS.get(request.match_info["method"].lower())
        method = handler.__name__.removeprefix("_m_") if handler else request.match_info["method"]
        self.calls.append((method, params))
        self._notify()
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            slow = self._slow_for(method, params)
            if slow is not None and not slow.after:
                await asyncio.sleep(slow.seconds)
            self._maybe_fail(method, params)
            result = handler(self, params)
            if asyncio.iscoroutine(result):
                result = await result
            if slow is not None and slow.after:
                self._notify()
                await asyncio.sleep(slow.seconds)
        except ApiError as err:
            return self._error(err)
        except Exception as exc:  # a stub bug or a request it cannot make sense of
            self.server_errors.append(f"{method}: {exc!r}")
            return self._error(ApiError(500, f"Internal Server Error: stub failed: {exc!r}"))
        self._notify()
        return web.json_response({"ok": True, "result": result})

    def _slow_for(self, method: str, params: dict) -> _Slow | None:
        for slow in self._slow:
            if slow.method.lower() != method.lower():
                continue
            if slow.chat_id is not None and str(slow.chat_id) != str(params.get("chat_id")):
                continue
            slow.times -= 1
            if slow.times <= 0:
                self._slow.remove(slow)
            return slow
        return None

    def _maybe_fail(self, method: str, params: dict) -> None:
        for failure in self._failures:
            if failure.method.lower() != method.lower():
                continue
            if failure.chat_id is not None and str(failure.chat_id) != str(params.get("chat_id")):
                continue
            failure.times -= 1
            if failure.times <= 0:
                self._failures.remove(failure)
            extra = {"retry_after": failure.retry_after} if failure.retry_after else None
            raise ApiError(failure.code, failure.description, extra)

    # ------------------------------------------------------------------ message store
    @staticmethod
    def _wire(record: dict) -> dict:
        """The Message JSON Telegram would return for a stored record."""
        msg = {k: copy.deepcopy(v) for k, v in record.items() if k not in _STUB_KEYS}
        if "inline_keyboard" not in (msg.get("reply_markup") or {}):
            msg.pop("reply_markup", None)
        return msg

    def _new_message(self, params: dict, **content) -> dict:
        chat = self._chat(params.get("chat_id"))
        record = {"message_id": self._next_message_id(chat["id"]), "from": dict(self.bot_user)}
        record.update(chat=chat, date=int(time.time()), sent_at=time.monotonic(), **content)
        markup = params.get("reply_markup")
        if markup is not None:
            _check_markup(markup)
            record["reply_markup"] = markup
        if params.get("parse_mode"):
            record["parse_mode"] = params["parse_mode"]
        self._sent.setdefault(chat["id"], []).append(record)
        return self._wire(record)

    def _find(self, params: dict, action: str = "edit") -> dict:
        chat_id = self._chat(params.get("chat_id"))["id"]
        for record in self._sent.get(chat_id, []):
            if record["message_id"] == params.get("message_id") and not record.get("deleted"):
                return record
        raise ApiError(400, f"Bad Request: message to {action} not found")

    @staticmethod
    def _text(params: dict, key: str = "text", limit: int = 4096) -> str:
        text = params.get(key)
        if text is None or not str(text).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        text = str(text)
        if _utf16_len(text) > limit:
            raise ApiError(400, f"Bad Request: message {key} is too long")
        if str(params.get("parse_mode", "")).upper() == "HTML":
            _check_html(text)
        return text

    def _upload(self, params: dict, key: str) -> tuple[dict, dict | None]:
        """File info for a media parameter: an upload, or a file_id/URL string."""
        value = params.get(key)
        if isinstance(value, UploadedFile):
            info = self._fake_file(key, value.content, "bin")
            upload = {"filename": value.filename, "mime_type": value.mime_type}
            upload.update(size=value.size, content=value.content)
            return info, upload
        if not value:
            raise ApiError(400, f"Bad Request: there is no {key} in the request")
        return {"file_id": str(value), "file_unique_id": f"u{value}", "file_size": 0}, None

    def _photo_sizes(self, info: dict) -> list[dict]:
        small = {**info, "file_id": info["file_id"] + "-s", "width": 90, "height": 68}
        if info["file_id"] in self._files:  # the thumbnail is downloadable too
            self._files[small["file_id"]] = self._files[info["file_id"]]
        return [small, {**info, "width": 800, "height": 600}]

    def _media(self, params: dict, **content) -> dict:
        if params.get("caption"):
            content["caption"] = self._text(params, "caption", 1024)
        return self._new_message(params, **content)

    # ------------------------------------------------------------------ Bot API methods
    def _m_getMe(self, p):
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_getUpdates(self, p):
        offset, limit = p.get("offset"), min(max(int(p.get("limit") or 100), 1), 100)
        allowed = p.get("allowed_updates") or None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(float(p.get("timeout") or 0), self.long_poll_cap)
        while True:
            if offset is not None and int(offset) < 0:
                self._pending = self._pending[int(offset) :]
            elif offset is not None:
                self._pending = [u for u in self._pending if u["update_id"] >= int(offset)]
            if allowed:
                self._pending = [u for u in self._pending if set(u) & set(allowed)]
            remaining = deadline - loop.time()
            if self._pending or remaining <= 0 or self._closing:
                return copy.deepcopy(self._pending[:limit])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def _m_deleteWebhook(self, p):
        if p.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _m_getWebhookInfo(self, p):
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _m_setMyCommands(self, p):
        commands = p.get("commands")
        if not isinstance(commands, list) or any(
            not c.get("command") or not c.get("description") for c in commands
        ):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[self._commands_key(p)] = commands
        return True

    def _m_getMyCommands(self, p):
        return self.commands.get(self._commands_key(p), [])

    def _m_deleteMyCommands(self, p):
        self.commands.pop(self._commands_key(p), None)
        return True

    @staticmethod
    def _commands_key(p) -> str:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps([scope, p.get("language_code") or ""], sort_keys=True)

    def _m_sendMessage(self, p):
        content: dict[str, Any] = {"text": self._text(p)}
        if p.get("entities"):
            content["entities"] = p["entities"]
        return self._new_message(p, **content)

    def _edit(self, p, **changes):
        if p.get("inline_message_id"):
            return True
        record = self._find(p)
        if "text" in changes and "text" not in record:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        new_markup = p.get("reply_markup")
        if new_markup is not None:
            _check_markup(new_markup)
        if all(record.get(k) == v for k, v in changes.items()) and record.get("reply_markup") == (
            new_markup or None
        ):
            raise ApiError(400, _NOT_MODIFIED)
        record.update(changes, edit_date=int(time.time()))
        if record.get("caption", "") is None:
            del record["caption"]
        if new_markup:
            record["reply_markup"] = new_markup
        else:
            record.pop("reply_markup", None)
        return self._wire(record)

    def _m_editMessageText(self, p):
        return self._edit(p, text=self._text(p))

    def _m_editMessageCaption(self, p):
        return self._edit(p, caption=self._text(p, "caption", 1024) if p.get("caption") else None)

    def _m_editMessageReplyMarkup(self, p):
        return self._edit(p)

    def _m_deleteMessage(self, p):
        self._find(p, "delete")["deleted"] = True
        return True

    def _m_answerCallbackQuery(self, p):
        query_id = p.get("callback_query_id")
        if p.get("text") and len(p["text"]) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if query_id not in self._open_callbacks:  # unknown, or already answered once
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_callbacks.discard(query_id)
        return True

    def _m_sendPhoto(self, p):
        info, upload = self._upload(p, "photo")
        return self._media(p, photo=self._photo_sizes(info), upload=upload)

    def _m_sendDocument(self, p):
        info, upload = self._upload(p, "document")
        if upload:
            info.update(file_name=upload["filename"], mime_type=upload["mime_type"])
        return self._media(p, document=info, upload=upload)

    def _m_sendVoice(self, p):
        info, upload = self._upload(p, "voice")
        voice = {**info, "duration": int(p.get("duration") or 1), "mime_type": "audio/ogg"}
        return self._media(p, voice=voice, upload=upload)

    def _m_getFile(self, p):
        file_id = p.get("file_id")
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = self._files[file_id]
        info = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content)}
        return {**info, "file_path": path}

    def _m_sendChatAction(self, p):
        self._chat(p.get("chat_id"))
        if p.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _m_setMyDescription(self, p):
        return True

    def _m_setMyShortDescription(self, p):
        return True

    def _m_setChatMenuButton(self, p):
        return True

    def _m_close(self, p):
        return True

    def _m_logOut(self, p):
        return True

    _METHODS: dict[str, Callable[..., Any]] = {}


FakeBotAPI._METHODS = {
    name.removeprefix("_m_").lower(): func
    for name, func in vars(FakeBotAPI).items()
    if name.startswith("_m_")
}
