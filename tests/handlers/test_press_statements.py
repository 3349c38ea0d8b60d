"""A button press's rows are written with prebuilt Core statements, not by the unit of
work at the commit (#22, "Button presses": the flush was the largest part of a press's
CPU). What the person sees and what the database holds stay the same."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.chat.types import Outgoing
from bot.delivery.outbox import enqueue, enqueue_reply
from bot.domain.models import Chat, OutboxMessage, OutboxSubject, Person
from bot.infra.column_limits import TooLong
from tests.fakes.memory import Conversation
from tests.handlers.conftest import ADA


async def test_a_language_press_is_stored_without_the_unit_of_work(
    tg: Conversation, flushed: list[str]
) -> None:
    [question] = await tg.say(ADA, "/sprache")
    flushed.clear()
    [done] = await tg.press(ADA, question, "English")
    assert done.text == "Thank you. I will write to you in English from now on."
    assert flushed == []  # before: OutboxMessage, OutboxSubject and Person at the commit
    async with tg.app.sessions() as session:
        ada = await session.scalar(select(Person).where(Person.display_name == "Ada"))
        assert ada is not None and ada.locale == "en"
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.content["text"].as_string() == done.text)
        )
        assert row is not None and row.status == "sent"
        # Erasure still finds the reply by the person it is about.
        subjects = await session.scalars(
            select(OutboxSubject.person_id).where(OutboxSubject.outbox_id == row.id)
        )
        assert list(subjects) == [ada.id]
    # The next answer comes in the chosen language.
    [menu] = await tg.say(ADA, "/help")
    assert menu.text == "What would you like to do?"


async def test_a_reply_keeps_its_place_and_its_limits(tg: Conversation) -> None:
    """Rows queued through the unit of work before a prebuilt insert keep their order; a
    key too long for its column is refused as the flush refused it, and nothing is kept."""
    await tg.say(ADA, "/help")  # her private chat
    async with tg.app.sessions() as session, session.begin():
        chat = await session.scalar(select(Chat).where(Chat.external_id == "dm-1"))
        assert chat is not None
        now = tg.app.services.now()
        await enqueue(session, chat, Outgoing("first"), dedup_key="t:first", now=now)
        await enqueue_reply(session, chat, Outgoing("second"), dedup_key="t:second", now=now)
        with pytest.raises(TooLong):
            await enqueue_reply(
                session, chat, Outgoing("third"), dedup_key="t:" + "x" * 300, now=now
            )
    async with tg.app.sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage.dedup_key)
                .where(OutboxMessage.dedup_key.like("t:%"))
                .order_by(OutboxMessage.id)
            )
        ).all()
    assert rows == ["t:first", "t:second"]
