"""Long text: nothing is cut without saying so, and every reply fits in a Telegram message."""

from __future__ import annotations

from engine_driver import Chat, full_record, onboard

from dialogs import Attachment, Choice, Reply
from dialogs.longtext import TELEGRAM_TEXT_LIMIT, TEXT_LIMIT, fit, split_text, units

WORDS = "The bus was late again and I stood in the rain for a long time. "


def squash(text: str) -> str:
    return " ".join(text.split())


def test_a_long_text_is_split_at_paragraphs_and_nothing_is_lost():
    paragraphs = [f"Paragraph {i}. " + WORDS * 12 for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text, 2000)
    assert len(parts) > 1 and all(units(p) <= 2000 for p in parts)
    assert squash(" ".join(parts)) == squash(text)
    # every part starts at the beginning of a paragraph
    assert all(p.startswith("Paragraph ") for p in parts)


def test_one_long_paragraph_is_split_at_sentences_then_words():
    text = WORDS * 100  # one paragraph of 6,500 characters
    parts = split_text(text, 1000)
    assert all(units(p) <= 1000 for p in parts)
    assert all(p.endswith(".") for p in parts)  # whole sentences
    assert squash(" ".join(parts)) == squash(text)
    sentence = "word " * 500  # no sentence end at all
    parts = split_text(sentence.strip(), 300)
    assert all(units(p) <= 300 and not p.endswith("wor") for p in parts)
    assert squash(" ".join(parts)) == squash(sentence)


def test_a_word_longer_than_a_message_is_cut_by_characters_and_emoji_count_double():
    link = "https://example.org/" + "a" * 9000
    parts = split_text(link, TEXT_LIMIT)
    assert "".join(parts) == link and all(units(p) <= TEXT_LIMIT for p in parts)
    emoji = "😞" * 3000  # 6,000 UTF-16 units, 3,000 characters
    parts = split_text(emoji, TEXT_LIMIT)
    assert len(parts) == 2 and "".join(parts) == emoji
    assert all(units(p) <= TEXT_LIMIT for p in parts)


def test_fit_keeps_buttons_on_the_last_part_and_sends_a_picture_before_a_long_caption():
    buttons = ((Choice("OK", data="1:ok"),),)
    long = "\n\n".join(WORDS * 20 for _ in range(6))
    out = fit([Reply(long, buttons), Reply("short"), Reply("a notice " * 900, kind="notice")])
    texts = [r for r in out if r.kind == "message"]
    assert len(texts) >= 3 and texts[-1].text == "short"
    assert [bool(r.buttons) for r in texts[:-1]] == [False] * (len(texts) - 2) + [True]
    assert all(units(r.text) <= TEXT_LIMIT for r in texts)
    assert out[-1].kind == "notice"  # a callback answer is not a message
    picture = Reply("caption " * 200, image=Attachment("p.png", b"png"))
    bare, caption = fit([picture])
    assert bare.image is not None and bare.text == ""
    assert caption.image is None and caption.text == picture.text


async def test_a_4096_character_situation_is_stored_whole(chat: Chat):
    await onboard(chat)
    await chat.send("/new")
    situation = ("My manager ignored my idea in the meeting and then praised someone else. " * 60)[
        :4096
    ].strip()
    await chat.send(situation)
    dialog = await chat.engine.store.load_dialog(chat.user.id)
    assert dialog.slots["situation"] == situation


async def test_a_long_record_opens_from_the_journal_in_several_messages(chat: Chat):
    await onboard(chat)
    situation = ("The train was cancelled and I missed my sister's birthday dinner. " * 70)[:4000]
    thought = ("I always let everyone down and it will never change. " * 80)[:4000]
    await full_record(
        chat, situation=situation, thought=thought, answer="Last year I was there " * 150
    )
    await chat.send("/journal")
    await chat.press("1.")
    parts = [r.text for r in chat.last if r.kind == "message"]
    assert len(parts) >= 3 and all(units(p) <= TELEGRAM_TEXT_LIMIT for p in parts)
    whole = squash(" ".join(parts))
    assert squash(situation) in whole and squash(thought) in whole


async def test_an_over_long_title_is_kept_up_to_the_limit_and_the_person_is_told(chat: Chat):
    await onboard(chat)
    await chat.send("/plan")
    title = "Walk to the park and sit by the pond for a while watching the ducks " * 5
    await chat.send(title)
    assert "kept the first 200 characters" in chat.text
    dialog = await chat.engine.store.load_dialog(chat.user.id)
    kept = dialog.slots["task"]["title"]
    assert len(kept) <= 200 and title.startswith(kept)
    assert " ".join(kept.split()[-4:]) in chat.text  # where it stops
