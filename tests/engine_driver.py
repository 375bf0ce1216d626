"""Test helpers that drive the engine as a person would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialogs import Button, Engine, Reply, User, parse_text


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class Chat:
    """Drives the engine as one person would: typing, tapping buttons by their label."""

    def __init__(self, engine: Engine, user: User) -> None:
        self.engine = engine
        self.user = user
        self.last: list[Reply] = []
        self.history: list[list[Reply]] = []

    async def send(self, text: str) -> list[Reply]:
        return await self._turn(parse_text(text))

    async def event(self, event) -> list[Reply]:
        return await self._turn(event)

    async def press(self, label: str, replies: list[Reply] | None = None) -> list[Reply]:
        return await self._turn(Button(self.button(label, replies).data))

    def button(self, label: str, replies: list[Reply] | None = None):
        for reply in replies if replies is not None else self.last:
            for choice in reply.choices():
                if choice.data and label.casefold() in choice.label.casefold():
                    return choice
        raise AssertionError(f"no button {label!r} in {self.labels()}")

    def labels(self) -> list[str]:
        return [c.label for r in self.last for c in r.choices()]

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    async def _turn(self, event) -> list[Reply]:
        self.last = await self.engine.handle(self.user, event)
        self.history.append(self.last)
        return self.last


async def onboard(chat: Chat, country_label: str = "United Kingdom") -> None:
    await chat.send("/start")
    await chat.press("I understand")
    await chat.press(country_label)


async def full_record(
    chat: Chat,
    situation: str = "My friend cancelled our plans at the last minute",
    thought: str = "Nobody ever wants to spend time with me",
    emotion: str = "Sad",
    intensity: str = "70",
    belief: str = "80",
    answer: str = "Last month we had a great weekend together",
    balanced: str = "This time she cancelled, partly because she is busy at work",
    belief_after: str = "40",
    intensity_after: str = "35",
    finish: str = "Finish here",
) -> None:
    """Walk a whole thought record as a person would, answering every question."""
    await chat.send("/new")
    await chat.send(situation)
    if "Use it" in chat.labels():
        await chat.press("I'll write it")
    await chat.send(thought)
    await chat.press(emotion)
    await chat.send(intensity)
    await chat.send(belief)
    await chat.press("Let's look at it")
    while "Question" in chat.text:
        await chat.send(answer)
    await chat.send(balanced)
    if "Keep it" in chat.labels():
        await chat.press("Keep it")
    await chat.send(belief_after)
    await chat.send(intensity_after)
    if finish:
        await chat.press(finish)
