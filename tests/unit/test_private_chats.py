"""A private chat stops being private for good once someone else is in it (#16 item 5),
on SQLite and PostgreSQL; kept undecryptable messages go with their sender's erasure."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.chat.errors import NotPrivate
from bot.chat.types import Outgoing
from bot.chat.undecrypted import HeldEvents
from bot.delivery.outbox import enqueue
from bot.domain import people
from bot.domain.models import Account, Chat, ConversationState, UndecryptedEvent
from bot.privacy import rights as privacy
from tests.fakes.memory import Conversation
from tests.fakes.memory import Person as Someone

ANNA = Someone("anna", "Anna")
OTTO = Someone("otto", "Otto")
ONLY_PRIVATELY = "Bitte schreiben Sie mir das in einem privaten Chat."


async def _chat(conversation: Conversation, external_id: str) -> Chat:
    async with conversation.app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.external_id == external_id))
    assert chat is not None
    return chat


async def test_a_delivery_refused_as_not_private_goes_to_a_new_private_chat(
    conversation: Conversation,
) -> None:
    app, adapter = conversation.app, conversation.adapter
    room = conversation.direct(ANNA)
    await conversation.say(ANNA, "/start", chat=room)
    old = await _chat(conversation, room.external_id)
    async with app.sessions.begin() as session:
        # A half-done dialog in that chat (it may hold a phone number).
        session.add(ConversationState(chat_id=old.id, person_id=old.person_id, state="x"))
        chat = await people.private_chat(session, old.person_id, app.clock.now())
        assert chat is not None and chat.id == old.id
        for n in (1, 2):
            await enqueue(
                session, chat, Outgoing(f"Nur für Anna {n}"), dedup_key=f"p{n}", now=app.clock.now()
            )
    # The platform finds someone else in the room when the first one is about to go.
    adapter.fail_next.append(NotPrivate("2 others in the room"))
    await conversation.flush()

    assert not [s for s in adapter.to(room.external_id) if s.text.startswith("Nur für Anna")]
    assert [s.text for s in adapter.to(ANNA.user_id)] == ["Nur für Anna 1", "Nur für Anna 2"]
    async with app.sessions() as session:
        dialogs = await session.scalar(
            select(func.count(ConversationState.id)).where(ConversationState.chat_id == old.id)
        )
        again = await people.private_chat(session, old.person_id, app.clock.now())
    assert (await _chat(conversation, room.external_id)).kind == "group"
    assert dialogs == 0
    assert again is not None and again.external_id == ANNA.user_id
    # Private commands in the old room get no private answer any more.
    [answer] = await conversation.say(ANNA, "/verknuepfen", chat=room)
    assert answer.text == ONLY_PRIVATELY


async def test_someone_else_writing_in_a_private_chat_does_not_take_it_over(
    conversation: Conversation,
) -> None:
    room = conversation.direct(ANNA)
    await conversation.say(ANNA, "/start", chat=room)
    anna_chat = await _chat(conversation, room.external_id)
    [answer] = await conversation.say(OTTO, "/verknuepfen", chat=room)
    assert answer.text == ONLY_PRIVATELY
    chat = await _chat(conversation, room.external_id)
    assert chat.kind == "group" and chat.person_id == anna_chat.person_id


async def test_erasure_removes_kept_undecryptable_messages(conversation: Conversation) -> None:
    app = conversation.app
    await conversation.say(ANNA, "/start")
    async with app.sessions.begin() as session:
        person_id = await session.scalar(
            select(Account.person_id).where(Account.external_id == ANNA.user_id)
        )
        session.add(
            Account(
                platform="matrix",
                external_id="@anna:stadt.example",
                person_id=person_id,
                display_name="Anna",
                created_at=app.clock.now(),
            )
        )
    held = HeldEvents(app.sessions)
    for sender in ("@anna:stadt.example", "@otto:stadt.example"):
        await held.keep(
            room_id="!room:stadt.example",
            event_id=f"$event-{sender}",
            sender=sender,
            session_id="s",
            source={"type": "m.room.encrypted"},
            now=app.clock.now(),
        )
    async with app.sessions.begin() as session:
        await privacy.erase(session, person_id, app.clock.now())
    async with app.sessions() as session:
        left = (await session.scalars(select(UndecryptedEvent.sender))).all()
    assert left == ["@otto:stadt.example"]
