"""Chats, persons and accounts: who is writing, from where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.domain.models import (
    Account,
    ButtonToken,
    Chat,
    ConversationState,
    OutboxMessage,
    Person,
)
from bot.types import ChatRef, Sender


async def get_or_create_chat(session: AsyncSession, ref: ChatRef, now: datetime) -> Chat:
    """The chat row for a platform chat (with its community), created on first contact."""
    chat = await session.scalar(
        select(Chat)
        .options(joinedload(Chat.community))
        .where(Chat.platform == ref.platform, Chat.external_id == ref.external_id)
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
        select(Account)
        .options(joinedload(Account.person))
        .where(Account.platform == platform, Account.external_id == sender.external_id)
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
    return account


async def person_of(session: AsyncSession, account: Account) -> Person:
    person = await session.get(Person, account.person_id)
    assert person is not None
    return person


async def move_chat(session: AsyncSession, platform: str, old_id: str, new_id: str) -> None:
    """A chat got a new platform id (Telegram group → supergroup); keep its history and link.

    When the new id was already seen, its row is merged into the old one.
    """
    old = await session.scalar(
        select(Chat).where(Chat.platform == platform, Chat.external_id == old_id)
    )
    if old is None:
        return
    new = await session.scalar(
        select(Chat).where(Chat.platform == platform, Chat.external_id == new_id)
    )
    if new is not None:
        for model in (OutboxMessage, ButtonToken):
            await session.execute(
                update(model).where(model.chat_id == new.id).values(chat_id=old.id)
            )
        await session.execute(delete(ConversationState).where(ConversationState.chat_id == new.id))
        if old.community_id is None:
            old.community_id = new.community_id
        await session.delete(new)
        await session.flush()
    old.external_id = new_id


async def private_chat(
    session: AsyncSession, person_id: int, now: datetime, *, prefer: str | None = None
) -> Chat | None:
    """Where to write to a person privately: their last direct chat with the bot (on the
    ``prefer``red platform if they have one there), else a new one on a reachable account
    (Matrix opens the room when the first message goes out)."""
    query = (
        select(Chat)
        .join(Account, and_(Account.platform == Chat.platform, Account.person_id == person_id))
        .where(Chat.person_id == person_id, Chat.kind == "direct", ~Account.unreachable)
    )
    if prefer is not None:
        # The app they just used is the one they are looking at.
        query = query.order_by((Chat.platform == prefer).desc())
    chat = await session.scalar(query.order_by(Chat.id.desc()).limit(1))
    if chat is not None:
        return chat
    account = await session.scalar(
        select(Account)
        .where(Account.person_id == person_id, ~Account.unreachable)
        .order_by(Account.id)
        .limit(1)
    )
    if account is None:
        return None
    # Telegram's private chat id is the user id; for Matrix the user id stands in for the
    # room until the adapter has opened it (it then reports the room id as a moved chat);
    # the console names a resident's private chat after them, like their user id.
    ref = ChatRef(account.platform, account.external_id, "direct")
    chat = await get_or_create_chat(session, ref, now)
    chat.person_id = person_id
    return chat
