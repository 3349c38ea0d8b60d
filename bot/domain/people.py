"""Chats, persons and accounts: who is writing, from where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import Account, Chat, Person
from bot.types import ChatRef, Sender


async def get_or_create_chat(session: AsyncSession, ref: ChatRef, now: datetime) -> Chat:
    """The chat row for a platform chat, created on first contact."""
    chat = await session.scalar(
        select(Chat).where(Chat.platform == ref.platform, Chat.external_id == ref.external_id)
    )
    if chat is None:
        chat = Chat(
            platform=ref.platform,
            external_id=ref.external_id,
            kind=ref.kind,
            title=ref.title[:255],
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(chat)
        except IntegrityError:
            # Another dispatch created it a moment ago.
            chat = await session.scalar(
                select(Chat).where(
                    Chat.platform == ref.platform, Chat.external_id == ref.external_id
                )
            )
            assert chat is not None
    elif ref.title and chat.title != ref.title[:255]:
        chat.title = ref.title[:255]
    return chat


async def get_or_create_account(
    session: AsyncSession, platform: str, sender: Sender, now: datetime
) -> Account:
    """The account (and its person) for a platform user, created on first contact."""
    account = await session.scalar(
        select(Account).where(
            Account.platform == platform, Account.external_id == sender.external_id
        )
    )
    name = (sender.display_name or "").strip()[:200]
    if account is None:
        person = Person(display_name=name or sender.external_id[:200], created_at=now)
        account = Account(
            person=person,
            platform=platform,
            external_id=sender.external_id,
            display_name=name,
            language_hint=sender.language_hint,
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(account)
        except IntegrityError:
            account = await session.scalar(
                select(Account).where(
                    Account.platform == platform, Account.external_id == sender.external_id
                )
            )
            assert account is not None
    else:
        if name and account.display_name != name:
            account.display_name = name
        if sender.language_hint and account.language_hint != sender.language_hint:
            account.language_hint = sender.language_hint
        # Writing to us proves the chat works again.
        account.unreachable = False
    return account


async def person_of(session: AsyncSession, account: Account) -> Person:
    person = await session.get(Person, account.person_id)
    assert person is not None
    return person
