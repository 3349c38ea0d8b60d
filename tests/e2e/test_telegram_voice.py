"""Real PTB polling the fake Bot API server: a voice message is answered kindly, in the
person's language, with what to do instead; it is never "not understood"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.telegram_server import FakeTelegramServer


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def bot(server, sqlite_url, tmp_path) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    running = RunningBot(server, sqlite_url, tmp_path)
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
