"""#22: the per-update path writes a plain answer without the ORM's unit of work (two
prepared Core inserts), and what it writes is the same: the answer, its subjects, shown."""

from __future__ import annotations

from sqlalchemy import event, select

from bot.domain.models import Account, OutboxMessage, OutboxSubject
from bot.infra.db import CheckedSession
from tests.fakes.memory import Conversation
from tests.fakes.memory import Person as Someone

ANNA = Someone("501", "Anna")


async def test_a_known_persons_answer_is_written_without_a_flush(
    conversation: Conversation,
) -> None:
    await conversation.say(ANNA, "/start")  # first contact: chat, account and person made
    flushes: list[int] = []

    def count(session: object, _flush: object, _instances: object) -> None:
        flushes.append(1)

    event.listen(CheckedSession, "before_flush", count)
    try:
        shown = await conversation.say(ANNA, "/start")
    finally:
        event.remove(CheckedSession, "before_flush", count)
    assert shown  # answered
    assert flushes == []  # no unit of work: the outbox row and its subjects went in as Core
    app = conversation.app
    async with app.sessions() as session:
        person_id = await session.scalar(
            select(Account.person_id).where(Account.external_id == ANNA.user_id)
        )
        last = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
        assert last is not None
        about = (
            await session.scalars(
                select(OutboxSubject.person_id).where(OutboxSubject.outbox_id == last.id)
            )
        ).all()
    assert last.status == "sent" and last.content["text"] == shown[-1].text
    assert about == [person_id]  # erasure finds it by reference, as before
