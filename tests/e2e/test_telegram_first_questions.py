"""Real PTB polling the fake Bot API server: a person's first questions. A voice message is
answered kindly, in the person's language, with what to do instead; the README's linking
command with the bot's name after the number works; a plain question gets the next date and
what is not understood gets a menu of buttons that work."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_server import FakeTelegramServer

GROUP_ID = -700


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def bot(server, sqlite_url, tmp_path) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    running = RunningBot(server, sqlite_url, tmp_path, clock=FakeClock())
    await running.start()
    yield running
    await running.stop()


async def test_a_voice_message_gets_a_kind_answer_in_the_persons_language(server, bot) -> None:  # type: ignore[no-untyped-def]
    anna = server.user(1001, "Anna")
    bob = server.user(1002, "Bob", language_code="en")
    server.post_voice(server.private_chat(anna), anna)
    server.post_voice(server.private_chat(bob), bob)
    german = await server.wait_for(lambda r: r.chat_id == 1001, 20)
    english = await server.wait_for(lambda r: r.chat_id == 1002, 20)
    assert german.text.splitlines()[:2] == [
        "Sprachnachrichten kann ich leider noch nicht anhören.",
        "Bitte schreiben Sie mir stattdessen einen kurzen Text.",
    ]
    assert english.text.splitlines()[:2] == [
        "Sorry, I cannot listen to voice messages yet.",
        "Please write me a short text instead.",
    ]
    # The next message is handled as usual.
    server.post_message(server.private_chat(anna), anna, "/start")
    await server.wait_for(lambda r: r.chat_id == 1001 and "Hallo Anna!" in (r.text or ""), 20)
    assert not any("nicht verstanden" in (r.text or "") for r in server.messages_to(1001))


async def test_link_by_the_readme_then_ask_plainly_and_use_the_menu(server, bot) -> None:  # type: ignore[no-untyped-def]
    ada, anna = server.user(1, "Ada"), server.user(1001, "Anna")
    group = server.group(GROUP_ID, "Digitalcafé Stadtbibliothek")
    username = server.bot_user["username"]
    # README: "an admin writes `/verbinden 1@DeinBot` there".
    server.post_message(group, ada, f"/verbinden 1@{username}")
    await server.wait_for(lambda r: "gehört jetzt zu" in (r.text or ""), 20)
    server.post_message(group, anna, "/start")
    await server.wait_for(lambda r: r.chat_id == GROUP_ID and "Hallo Anna" in (r.text or ""), 20)
    chat = server.private_chat(anna)

    mark = len(server.sent)
    server.post_message(chat, anna, "Wann ist das nächste Treffen?")
    answer = await server.wait_for(lambda r: r.chat_id == 1001, 20, start=mark)
    assert "Mittwoch, 25. November" in answer.text

    mark = len(server.sent)
    server.post_message(chat, anna, "Mein Handy ist kaputt")
    menu = await server.wait_for(lambda r: r.chat_id == 1001, 20, start=mark)
    assert menu.text == "Das habe ich leider nicht verstanden.\nWas möchten Sie tun?"
    buttons = {
        b["text"]: b["callback_data"] for row in menu.reply_markup["inline_keyboard"] for b in row
    }
    assert list(buttons) == ["Termine", "Hilfe von einem Lotsen", "Alle Befehle"]
    mark = len(server.sent)
    server.press_button(chat, anna, menu.message_id, buttons["Termine"])
    dates = await server.wait_for(lambda r: r.chat_id == 1001, 20, start=mark)
    assert dates.text.startswith("Die nächsten Termine:")
