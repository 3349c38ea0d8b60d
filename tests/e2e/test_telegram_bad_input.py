"""Real PTB polling the fake Bot API server, on SQLite and PostgreSQL: an update the
database would refuse is answered and does not hold up the ones behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.domain.models import Person
from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.telegram_server import FakeTelegramServer


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def bot(server, db_url, tmp_path) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    running = RunningBot(server, db_url, tmp_path)
    await running.start()
    yield running
    await running.stop()


async def test_nul_bytes_in_a_name_and_a_text_stall_nobody(server, bot) -> None:  # type: ignore[no-untyped-def]
    anna = server.user(1001, "An\x00na")
    otto = server.user(1002, "Otto")
    server.post_message(server.private_chat(anna), anna, "/start\x00")
    server.post_message(server.private_chat(anna), anna, "Hallo\x00")
    server.post_message(server.private_chat(otto), otto, "/start")
    await server.wait_for(lambda r: r.chat_id == 1001 and "Hallo Anna!" in (r.text or ""), 20)
    await server.wait_for(lambda r: r.chat_id == 1002 and "Hallo Otto!" in (r.text or ""), 20)
    # The same chat goes on too: its second message got its answer.
    await server.wait_for(lambda r: r.chat_id == 1001 and "nicht verstanden" in (r.text or ""), 20)
    async with bot.app.sessions() as session:
        names = set((await session.scalars(select(Person.display_name))).all())
    assert {"Anna", "Otto"} <= names


async def test_a_forged_button_with_a_nul_byte_gets_the_usual_note(server, bot) -> None:  # type: ignore[no-untyped-def]
    anna = server.user(1001, "Anna")
    chat = server.private_chat(anna)
    server.post_message(chat, anna, "/sprache")
    question = await server.wait_for(
        lambda r: r.chat_id == 1001 and "Welche Sprache" in (r.text or ""), 20
    )
    server.press_button(chat, anna, question.message_id, "x\x00y", forged=True)
    await server.wait_for(
        lambda r: r.chat_id == 1001 and "Dieser Knopf geht nicht mehr." in (r.text or ""), 20
    )
    server.post_message(chat, anna, "/start")
    await server.wait_for(lambda r: r.chat_id == 1001 and "Hallo Anna!" in (r.text or ""), 20)
