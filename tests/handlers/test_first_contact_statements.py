"""A first contact writes the person, the account, the private chat and the privacy note
with its buttons with prebuilt Core statements, not through the unit of work (#22: first
contacts were a quarter of the benchmark's messages at about twice a known person's CPU).
What the person sees and what the database holds stay the same; so does the race safety."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.bootstrap import build_app, prepare
from bot.chat.types import Button, Incoming, Outgoing
from bot.delivery.outbox import enqueue_reply
from bot.domain.models import (
    Account,
    ButtonToken,
    ButtonTokenSubject,
    Chat,
    OutboxMessage,
    OutboxSubject,
    Person,
    Role,
)
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, telegram_like
from tests.fakes.memory import Person as Someone

ADA = Someone("1", "Ada")
ERIKA = Someone("4711", "Erika Mustermann")
GROUP = "-10"


@pytest.fixture
async def tg(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    adapter = telegram_like()
    settings = make_settings(
        db_url,
        tmp_path,
        bot={"admins": ["telegram:1"]},
        privacy={"first_contact_note": True},
    )
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    conversation = Conversation(app, adapter)
    await conversation.say(ADA, "/verbinden 1", chat=conversation.group(GROUP))
    await conversation.say(ADA, "/start", chat=conversation.group(GROUP))
    yield conversation
    await app.close()


async def test_a_first_contact_is_written_without_the_unit_of_work(
    tg: Conversation, flushed: list[str]
) -> None:
    flushed.clear()
    greeting, note = await tg.say(ERIKA, "/start")
    # Before: Person, Account, Chat (in savepoints), then Person, Chat, ButtonToken,
    # ButtonTokenSubject, OutboxMessage and OutboxSubject for the note.
    assert flushed == []
    assert greeting.text.startswith("Hallo Erika Mustermann!")
    assert note.text.startswith("Kurz zum Datenschutz: Ich speichere Ihren Namen aus der App")
    assert [label for label, _ in note.buttons] == ["Einverstanden", "Mehr dazu"]
    async with tg.app.sessions() as session:
        erika = await session.scalar(select(Person).where(Person.display_name == ERIKA.name))
        assert erika is not None and erika.privacy_noted_at is not None
        assert not erika.deployment_admin and erika.locale is None
        account = await session.scalar(select(Account).where(Account.person_id == erika.id))
        assert account is not None
        assert (account.platform, account.external_id) == ("telegram", ERIKA.user_id)
        assert (account.display_name, account.language_hint) == (ERIKA.name, "de")
        assert not account.unreachable
        chat = await session.scalar(select(Chat).where(Chat.external_id == f"dm-{ERIKA.user_id}"))
        assert chat is not None and (chat.kind, chat.person_id) == ("direct", erika.id)
        keys = [key for _, key in note.buttons]
        assert chat.choices == keys  # a typed "1" agrees
        tokens = (await session.scalars(select(ButtonToken).where(ButtonToken.key.in_(keys)))).all()
        assert sorted((t.action, t.chat_id) for t in tokens) == [
            ("priv.agree", chat.id),
            ("priv.more", chat.id),
        ]
        # Erasure finds the note and its buttons by the person they are about.
        linked = await session.scalars(
            select(ButtonTokenSubject.button_key).where(ButtonTokenSubject.person_id == erika.id)
        )
        assert sorted(linked) == sorted(keys)
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedup_key == f"privacy-note:{erika.id}")
        )
        assert row is not None and row.status == "sent"
        subjects = await session.scalars(
            select(OutboxSubject.person_id).where(OutboxSubject.outbox_id == row.id)
        )
        assert list(subjects) == [erika.id]
    # The note's buttons work, and it is not shown again.
    [more] = await tg.press(ERIKA, note, "Mehr dazu")
    assert more.text.startswith("Datenschutz kurz erklärt:")
    [thanks, _facts] = await tg.say(ERIKA, "1")
    assert thanks.text == "Danke!"
    assert len(await tg.say(ERIKA, "/termine")) == 1


async def test_first_contacts_of_one_person_at_once_make_one_person(tg: Conversation) -> None:
    """Her first messages in the group and in private arrive together: one person, one
    account, a member of the group, her own private chat."""

    def incoming(chat: Any, n: int) -> Incoming:
        return Incoming(chat=chat, sender=ERIKA.sender, text="/start", event_id=f"race-{n}")

    await asyncio.gather(
        tg.app.dispatch(incoming(tg.group(GROUP), 1)),
        tg.app.dispatch(incoming(tg.direct(ERIKA), 2)),
    )
    async with tg.app.sessions() as session:
        people = (
            await session.scalars(select(Person.id).where(Person.display_name == ERIKA.name))
        ).all()
        assert len(people) == 1
        accounts = await session.scalar(
            select(func.count()).select_from(Account).where(Account.external_id == ERIKA.user_id)
        )
        assert accounts == 1
        chat = await session.scalar(select(Chat).where(Chat.external_id == f"dm-{ERIKA.user_id}"))
        assert chat is not None and chat.person_id == people[0]
        roles = await session.scalars(select(Role.role).where(Role.person_id == people[0]))
        assert list(roles) == ["member"]
    shown = await tg.flush()
    assert sum(s.text.startswith("Kurz zum Datenschutz") for s in shown) == 1


async def test_a_sender_id_too_long_is_refused_and_nothing_is_kept(tg: Conversation) -> None:
    """As the unit of work's length check refused it (PostgreSQL would)."""
    long = Someone("9" * 300, "Lang")
    await tg.say(long, "/start", chat=tg.group(GROUP))
    async with tg.app.sessions() as session:
        assert await session.scalar(select(Person).where(Person.display_name == "Lang")) is None


async def test_a_keyed_message_is_queued_once(tg: Conversation) -> None:
    """``enqueue_reply(once=True)`` (every keyed ``Context.send``): a key queued before adds
    nothing, not even buttons, as ``enqueue``'s look-up did."""
    await tg.say(ADA, "/help")  # her private chat
    async with tg.app.sessions() as session, session.begin():
        chat = await session.scalar(select(Chat).where(Chat.external_id == "dm-1"))
        assert chat is not None
        now = tg.app.services.now()
        first = Outgoing("first", (Button("Ja", "x.yes"),))
        second = Outgoing("second", (Button("Nein", "x.no"),))
        assert await enqueue_reply(session, chat, first, dedup_key="k:1", now=now, once=True)
        choices = chat.choices
        assert not await enqueue_reply(session, chat, second, dedup_key="k:1", now=now, once=True)
        assert chat.choices == choices
    async with tg.app.sessions() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == "k:1"))
        ).all()
        assert [row.content["text"] for row in rows] == ["first"]
        actions = await session.scalars(
            select(ButtonToken.action).where(ButtonToken.action.like("x.%"))
        )
        assert list(actions) == ["x.yes"]
        stored = await session.scalar(select(Chat.choices).where(Chat.external_id == "dm-1"))
        assert stored == choices
