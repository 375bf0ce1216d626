"""The one sender, against a scripted wire and the real SQLite outbox."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.sender import Blocked, Flood, InDoubt, Limits, NotSent, Sender
from bot.storage import Storage
from dialogs import Reply
from dialogs.models import DialogState, OutboxItem, TurnWrites

NOTES = {"late": "Sorry for the delay.", "resend": "In case my last message didn't arrive:"}
FAST = Limits(overall_rate=0, chat_rate=0, retry_first=0.01, retry_cap=0.05)


class Wire:
    """Records what was sent; `fail[chat]` is a list of exceptions raised by the next sends."""

    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[tuple[float, int, str]] = []
        self.fail: dict[int, list[Exception]] = {}
        self.delay = delay
        self.ids = itertools.count(100)

    async def send(self, chat_id: int, reply: Reply, note: str | None) -> int:
        if self.delay:
            await asyncio.sleep(self.delay)
        failures = self.fail.get(chat_id)
        if failures:
            raise failures.pop(0)
        text = f"{note}\n\n{reply.text}" if note else reply.text
        self.sent.append((asyncio.get_running_loop().time(), chat_id, text))
        return next(self.ids)

    def texts(self, chat_id: int) -> list[str]:
        return [t for _, c, t in self.sent if c == chat_id]


@pytest.fixture
async def store(tmp_path):
    async with Storage(tmp_path / "bot.sqlite3") as storage:
        yield storage


async def decide(store: Storage, chat_id: int, *texts: str, urgent=False, age=timedelta(0)):
    """A turn's replies, committed to the outbox as the engine does."""
    at = datetime.now(UTC) - age
    items = [OutboxItem(chat_id, chat_id, Reply(t), urgent=urgent, created_at=at) for t in texts]
    await store.commit_turn(chat_id, DialogState(updated_at=at), TurnWrites(outbox=items), at=at)
    return items


def row(store: Storage, item: OutboxItem):
    async def read():
        async with store._read().execute(
            "SELECT state, message_id, attempts, resend FROM outbox WHERE id=?", (item.id,)
        ) as cur:
            return tuple(await cur.fetchone())

    return read()


async def running(store, wire, limits=FAST, **kw) -> Sender:
    sender = Sender(store, wire, NOTES, limits, **kw)
    store.outbox_listeners.append(sender.add)
    await sender.start()
    return sender


async def settle(sender: Sender, items) -> list[int | None]:
    return await asyncio.wait_for(asyncio.gather(*sender.settled([i.id for i in items])), 10)


async def test_replies_go_in_order_and_are_marked_with_their_message_id(store):
    wire = Wire()
    sender = await running(store, wire)
    items = await decide(store, 7, "one", "two", "three")
    ids = await settle(sender, items)
    assert wire.texts(7) == ["one", "two", "three"]
    assert [await row(store, i) for i in items] == [("sent", m, 1, 0) for m in ids]
    await sender.stop()


async def test_crisis_replies_go_ahead_of_everything_else(store):
    wire = Wire(delay=0.05)
    limits = Limits(overall_rate=0, chat_rate=0, concurrency=1)
    ordinary = []
    for chat in range(1, 6):
        ordinary += await decide(store, chat, f"ordinary {chat}")
    sender = Sender(store, wire, NOTES, limits)
    store.outbox_listeners.append(sender.add)
    await sender.start()  # everything above is already waiting when the crisis comes
    crisis = await decide(store, 9, "I'm so sorry", "the lines", urgent=True)
    await settle(sender, ordinary + crisis)
    order = [t for _, _, t in wire.sent]
    # at most the one message already on its way goes before the crisis answer
    assert order.index("the lines") <= 2 and order.index("I'm so sorry") <= 1
    await sender.stop()


async def test_a_429_for_one_chat_holds_back_that_chat_only(store):
    wire = Wire()
    wire.fail[1] = [Flood(1.0)]
    sender = await running(store, wire)
    start = asyncio.get_running_loop().time()
    one = await decide(store, 1, "to the flooded chat")
    others = [i for chat in range(2, 12) for i in await decide(store, chat, f"to {chat}")]
    await settle(sender, others)
    assert all(t - start < 0.5 for t, c, _ in wire.sent if c != 1)  # nobody else waited
    [message_id] = await settle(sender, one)
    assert wire.sent[-1][1] == 1 and wire.sent[-1][0] - start >= 1.0  # after its retry time
    assert await row(store, one[0]) == ("sent", message_id, 2, 0)
    await sender.stop()


async def test_a_request_that_did_not_arrive_is_tried_again_until_it_does(store):
    wire = Wire()
    wire.fail[3] = [NotSent("500"), NotSent("502"), NotSent("refused")]
    sender = await running(store, wire)
    items = await decide(store, 3, "the question")
    [message_id] = await settle(sender, items)
    assert wire.texts(3) == ["the question"]
    assert await row(store, items[0]) == ("sent", message_id, 4, 0)
    await sender.stop()


async def test_a_request_whose_outcome_is_unknown_is_never_sent_twice_unlabelled(store):
    wire = Wire()
    # chat 4: an ordinary reply with another after it: marked unknown, not sent again
    # chat 5: the last thing said: sent once more, labelled; chat 6: crisis help, the same
    wire.fail = {4: [InDoubt("ReadTimeout")], 5: [InDoubt("ReadTimeout")],
                 6: [InDoubt("RemoteProtocolError")]}  # fmt: skip
    sender = await running(store, wire)
    four = await decide(store, 4, "first", "second")
    five = await decide(store, 5, "the question")
    six = await decide(store, 6, "the lines", urgent=True)
    await settle(sender, four + five + six)
    assert wire.texts(4) == ["second"]
    assert (await row(store, four[0]))[0] == "unknown"
    assert wire.texts(5) == [f"{NOTES['resend']}\n\nthe question"]
    assert wire.texts(6) == [f"{NOTES['resend']}\n\nthe lines"]
    assert (await row(store, five[0]))[::3] == ("sent", 1)
    await sender.stop()


async def test_the_labelled_resend_is_tried_once_only(store):
    wire = Wire()
    wire.fail[5] = [InDoubt("ReadTimeout"), InDoubt("ReadTimeout")]
    sender = await running(store, wire)
    five = await decide(store, 5, "the question")
    assert await settle(sender, five) == [None]
    assert wire.texts(5) == [] and (await row(store, five[0]))[0] == "unknown"
    assert sender.in_doubt(5, 10**9)  # what the person writes next is not taken as an answer
    await sender.stop()


async def test_a_late_reply_says_sorry_for_the_delay_once(store):
    wire = Wire()
    sender = await running(store, wire)
    late = await decide(store, 8, "the question", "its buttons", age=timedelta(minutes=5))
    await settle(sender, late)
    assert wire.texts(8) == [f"{NOTES['late']}\n\nthe question", "its buttons"]
    fresh = await decide(store, 9, "on time")
    await settle(sender, fresh)
    assert wire.texts(9) == ["on time"]
    await sender.stop()


async def test_per_chat_and_overall_pacing(store):
    wire = Wire()
    limits = Limits(overall_rate=20, overall_burst=5, urgent_room=0, chat_rate=10, chat_burst=3)
    sender = await running(store, wire, limits)
    items = await decide(store, 1, *[f"m{i}" for i in range(8)])
    items += [i for chat in range(2, 30) for i in await decide(store, chat, "hello")]
    await settle(sender, items)

    def most_in(window: float, times: list[float]) -> int:
        return max(sum(1 for u in times if t <= u < t + window) for t in times)

    chat_one = [t for t, c, _ in wire.sent if c == 1]
    everyone = [t for t, _, _ in wire.sent]
    # to one chat a burst of 3, then 10 a second; overall a burst of 5, then 20 a second
    assert most_in(0.5, chat_one) <= 3 + 5 + 1
    assert most_in(1.0, everyone) <= 5 + 20 + 1
    assert everyone[-1] - everyone[0] >= (36 - 5) / 20 - 0.1  # the pacing was real
    assert wire.texts(1) == [f"m{i}" for i in range(8)]  # in order
    # and the pacing was real: the 8 messages to one chat took at least (8 - 3) / 10 s
    assert chat_one[-1] - chat_one[0] >= 0.45
    await sender.stop()


async def test_a_person_who_blocked_the_bot_gets_nothing_more_and_is_marked(store):
    wire = Wire()
    wire.fail[2] = [Blocked("Forbidden")]
    blocked = []

    async def on_blocked(user_id):
        blocked.append(user_id)

    sender = await running(store, wire, on_blocked=on_blocked)
    items = await decide(store, 2, "one", "two", "three")
    assert await settle(sender, items) == [None, None, None]
    assert wire.texts(2) == [] and blocked == [2]
    assert [(await row(store, i))[0] for i in items] == ["failed"] * 3
    await sender.stop()


async def test_in_doubt_follows_message_ids_after_trouble(store):
    wire = Wire()
    wire.fail[3] = [NotSent("500")] * 3
    sender = await running(store, wire, Limits(overall_rate=0, chat_rate=0, retry_first=0.05))
    items = await decide(store, 3, "the question")
    await asyncio.sleep(0.1)
    assert sender.in_doubt(3, 50)  # still failing: nothing written now answers it
    [message_id] = await settle(sender, items)
    assert sender.in_doubt(3, message_id - 1)  # written before it arrived
    assert not sender.in_doubt(3, message_id + 1)  # written after
    assert not sender.in_doubt(4, 1)  # a chat with no trouble
    await sender.stop()


async def test_after_a_crash_what_was_on_the_wire_is_resent_labelled_or_left(store):
    # three chats, each with a row claimed (on the wire) when the process died
    a = await decide(store, 1, "not the last", "the last")
    b = await decide(store, 2, "the last one in its chat")
    c = await decide(store, 3, "crisis lines", "more", urgent=True)
    for item in (a[0], b[0], c[0]):
        assert await store.mark_outbox(item.id, "sending", attempts=1)
    wire = Wire()
    sender = await running(store, wire)
    await settle(sender, a + b + c)
    assert wire.texts(1) == ["the last"]  # "not the last" may have arrived: not sent again
    assert wire.texts(2) == [f"{NOTES['resend']}\n\nthe last one in its chat"]
    assert wire.texts(3) == [f"{NOTES['resend']}\n\ncrisis lines", "more"]
    assert (await row(store, a[0]))[0] == "unknown"
    await sender.stop()


async def test_crisis_help_finds_room_at_once_however_busy_the_sender_is(store):
    wire = Wire()
    limits = Limits(overall_rate=4, overall_burst=6, urgent_room=3, chat_rate=0)
    sender = await running(store, wire, limits)
    busy = [i for chat in range(100, 140) for i in await decide(store, chat, "ordinary")]
    await asyncio.sleep(0.5)  # ordinary messages have used every token they may
    loop = asyncio.get_running_loop()
    start = loop.time()
    crisis = await decide(store, 9, "I'm so sorry", "the lines", urgent=True)
    await settle(sender, crisis)
    assert loop.time() - start < 0.2  # no waiting for the bucket to refill
    assert len(wire.sent) < len(busy)  # while the ordinary ones were still held back
    await sender.stop(drain=0)


async def test_within_a_chat_crisis_help_goes_before_its_older_ordinary_replies(store):
    wire = Wire(delay=0.05)
    sender = await running(store, wire)
    ordinary = await decide(store, 7, "q1", "q2", "q3")
    await asyncio.sleep(0.01)  # "q1" is on its way
    crisis = await decide(store, 7, "sorry", "lines", urgent=True)
    await settle(sender, ordinary + crisis)
    assert wire.texts(7) == ["q1", "sorry", "lines", "q2", "q3"]
    await sender.stop()
