"""Chats, persons and accounts: who is writing, from where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from bot.chat.types import ChatRef, Sender
from bot.domain.models import (
    Account,
    ButtonToken,
    Chat,
    Community,
    ConversationState,
    OutboxMessage,
    Person,
    Role,
)
from bot.domain.names import clean_name
from bot.domain.prepared import Prepared, attributes, fetch, loaded, run, settled
from bot.domain.work import Work


@dataclass(slots=True)
class Writer:
    """Who wrote where, as resolved for one dispatch."""

    chat: Chat
    account: Account
    person: Person
    community: Community | None  # the chat's (for a private chat: as chosen, unchecked)
    granted: set[str]  # roles granted in that community, as stored
    # The pressed button's token, if asked for. Held so that it stays in the session's
    # identity map, which holds objects only weakly, for session.get() to find.
    button: ButtonToken | None = None
    ties: int = 0  # a private chat: the communities the person has roles in


# For a private chat: how many communities the person has roles in (the dispatcher names
# the community in answers when there are several; see communities.private_community).
_ties = (
    select(func.count(func.distinct(Role.community_id)))
    .where(Role.person_id == Account.person_id)
    .correlate(Account)
    .scalar_subquery()
)
_granted = aliased(Role)
# Built once: a dispatch runs it for every message, and building a statement this size
# costs more than SQLite takes to answer it. One row per granted role (or one without).
_WRITER = (
    select(
        Chat,
        Account,
        Person,
        Community,
        _granted.role,
        ButtonToken,
        case((Chat.kind == "direct", _ties), else_=0),
    )
    .select_from(Chat)
    .join(
        Account,
        and_(Account.platform == bindparam("platform"), Account.external_id == bindparam("user")),
    )
    .join(Person, Person.id == Account.person_id)
    .outerjoin(Community, Community.id == Chat.community_id)
    .outerjoin(
        _granted, and_(_granted.person_id == Person.id, _granted.community_id == Community.id)
    )
    .outerjoin(ButtonToken, ButtonToken.key == bindparam("button"))
    .where(Chat.platform == bindparam("platform"), Chat.external_id == bindparam("chat"))
)


# The same query in Core (tables, not entities) for SQLite's inline connection: the rows
# are turned into the entities here, not by the ORM's loading, which cost more than the
# rest of a press's statements together (#22). Other databases run ``_WRITER``.
_ENTITIES = (Chat, Account, Person, Community)
_COLUMNS = {model: attributes(model) for model in (*_ENTITIES, ButtonToken)}
_KEYS = {model: tuple(key for key, _column in columns) for model, columns in _COLUMNS.items()}
# Where each entity's columns start in a row; the granted role sits before the token's.
_ROLE_AT = sum(len(_COLUMNS[model]) for model in _ENTITIES)
_AT = [
    (model, sum(len(_COLUMNS[m]) for m in _ENTITIES[:n])) for n, model in enumerate(_ENTITIES)
] + [(ButtonToken, _ROLE_AT + 1)]
_roles = Role.__table__
_granted_t = _roles.alias("granted")
_accounts_t, _chats_t = Account.__table__, Chat.__table__
_communities_t, _tokens_t = Community.__table__, ButtonToken.__table__
_WRITER_ROWS = Prepared(
    select(
        *(column for model in _ENTITIES for _key, column in _COLUMNS[model]),
        _granted_t.c.role,
        *(column for _key, column in _COLUMNS[ButtonToken]),
        case(
            (
                _chats_t.c.kind == "direct",
                select(func.count(func.distinct(_roles.c.community_id)))
                .where(_roles.c.person_id == _accounts_t.c.person_id)
                .correlate(_accounts_t)
                .scalar_subquery(),
            ),
            else_=0,
        ),
    )
    .select_from(_chats_t)
    .join(
        _accounts_t,
        and_(
            _accounts_t.c.platform == bindparam("platform"),
            _accounts_t.c.external_id == bindparam("user"),
        ),
    )
    .join(Person.__table__, Person.__table__.c.id == _accounts_t.c.person_id)
    .outerjoin(_communities_t, _communities_t.c.id == _chats_t.c.community_id)
    .outerjoin(
        _granted_t,
        and_(
            _granted_t.c.person_id == Person.__table__.c.id,
            _granted_t.c.community_id == _communities_t.c.id,
        ),
    )
    .outerjoin(_tokens_t, _tokens_t.c.key == bindparam("button"))
    .where(
        _chats_t.c.platform == bindparam("platform"), _chats_t.c.external_id == bindparam("chat")
    )
)


async def find_writer(
    session: AsyncSession, ref: ChatRef, sender: Sender, *, button: str | None = None
) -> Writer | None:
    """A known sender in a known chat, with community and roles, in one query; None on
    first contact. With ``button`` that button's token is loaded into the session too, so
    ``session.get(ButtonToken, button)`` needs no query of its own."""
    params = {
        "platform": ref.platform,
        "chat": ref.external_id,
        "user": sender.external_id,
        "button": button,
    }
    writer = None
    if not session.identity_map and not session.new:  # a dispatch's fresh session
        rows = await fetch(await session.connection(), _WRITER_ROWS, params)
        if rows is not None:
            if not rows:
                return None
            writer = _writer_of(session, rows)
    if writer is None:
        found = (await session.execute(_WRITER, params)).all()
        if not found:
            return None
        chat, account, person, community = found[0][:4]
        granted = {row[4] for row in found if row[4] is not None}
        writer = Writer(
            chat, account, person, community, granted, found[0][5], int(found[0][6] or 0)
        )
    _refresh_chat(writer.chat, ref)
    _refresh_account(writer.account, sender)
    return writer


def _writer_of(session: AsyncSession, rows: list[tuple[Any, ...]]) -> Writer:
    """``_WRITER_ROWS``' rows as a Writer, its entities in the session as if loaded."""
    first = rows[0]
    chat, account, person, community = (_entity(session, model, first, at) for model, at in _AT[:4])
    token = _entity(session, ButtonToken, first, _AT[4][1])
    granted = {row[_ROLE_AT] for row in rows if row[_ROLE_AT] is not None}
    return Writer(chat, account, person, community, granted, token, int(first[-1] or 0))


def _entity(session: AsyncSession, model: type, row: tuple[Any, ...], at: int) -> Any:
    """The entity whose columns start at ``at``; None for an outer join's missing row (its
    primary key, the first column, is NULL)."""
    if row[at] is None:
        return None
    keys = _KEYS[model]
    return loaded(session, model, dict(zip(keys, row[at : at + len(keys)], strict=True)))


_persons = Person.__table__
_accounts = Account.__table__
_chats = Chat.__table__
_ACCOUNT_PERSON = select(_accounts.c.person_id).where(
    _accounts.c.platform == bindparam("platform"), _accounts.c.external_id == bindparam("user")
)
_INSERT_PERSON = insert(_persons).values(
    display_name=bindparam("name"), deployment_admin=False, created_at=bindparam("now")
)
_DELETE_PERSON = delete(_persons).where(_persons.c.id == bindparam("person_id"))


def _if_new(table: Any, **values: Any) -> dict[str, Any]:
    """``INSERT … ON CONFLICT (platform, external_id) DO NOTHING`` for each database."""
    return {
        name: dialect_insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        for name, dialect_insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
    }


_INSERT_ACCOUNT = _if_new(
    _accounts,
    person_id=bindparam("person_id"),
    platform=bindparam("platform"),
    external_id=bindparam("user"),
    display_name=bindparam("name"),
    language_hint=bindparam("hint"),
    unreachable=False,
    created_at=bindparam("now"),
)
_INSERT_CHAT = _if_new(
    _chats,
    platform=bindparam("platform"),
    external_id=bindparam("chat"),
    kind=bindparam("kind"),
    title=bindparam("title"),
    person_id=bindparam("person_id"),
    created_at=bindparam("now"),
)


def too_long(ref: ChatRef, sender: Sender) -> tuple[str, str, int] | None:
    """(table, column, length) of a platform id too long for its column, which the unit of
    work's length check refused (PostgreSQL would); ``create_writer`` needs it checked."""
    for table, column, value in (
        (_chats, "platform", ref.platform),
        (_chats, "external_id", ref.external_id),
        (_chats, "kind", ref.kind),
        (_accounts, "external_id", sender.external_id),
        (_accounts, "language_hint", sender.language_hint or ""),
    ):
        limit = table.c[column].type.length
        if len(value) > limit:
            return table.name, column, limit
    return None


async def create_writer(
    session: AsyncSession,
    ref: ChatRef,
    sender: Sender,
    now: datetime,
    *,
    button: str | None = None,
) -> Writer:
    """First contact (``find_writer`` found no one): the person, their account and the chat,
    each created unless it exists, with prebuilt Core statements on the session's connection
    (no unit of work, no savepoint), then loaded as ``find_writer`` loads a known writer.

    Race-safe on both databases: a chat or account another dispatch created a moment ago
    is kept (``ON CONFLICT DO NOTHING``), and the person made for a lost race is removed.
    The ids must fit their columns (``too_long``).
    """
    connection = await session.connection()
    insert_if_new = connection.dialect.name
    who = {"platform": ref.platform, "user": sender.external_id}
    person_id = await connection.scalar(_ACCOUNT_PERSON, who)
    if person_id is None:
        # A name that was nothing but invisible characters counts as no name: the
        # platform's id stands in, as for a person who has none.
        name = clean_name(sender.display_name)[:200]
        made = await connection.execute(
            _INSERT_PERSON, {"name": clean_name(name or sender.external_id[:200]), "now": now}
        )
        person_id = made.inserted_primary_key[0]  # type: ignore[index]
        added = await connection.execute(
            _INSERT_ACCOUNT[insert_if_new],
            who | {"person_id": person_id, "name": name, "hint": sender.language_hint, "now": now},
        )
        if added.rowcount == 0:
            # Another dispatch created the account a moment ago: theirs is the person.
            await connection.execute(_DELETE_PERSON, {"person_id": person_id})
            person_id = await connection.scalar(_ACCOUNT_PERSON, who)
    await connection.execute(
        _INSERT_CHAT[insert_if_new],
        {
            "platform": ref.platform,
            "chat": ref.external_id,
            "kind": ref.kind,
            "title": clean_name(ref.title)[:255],
            # A new private chat is the writer's (``Dispatcher._settle_chat`` would set it).
            "person_id": person_id if ref.kind == "direct" else None,
            "now": now,
        },
    )
    writer = await find_writer(session, ref, sender, button=button)
    assert writer is not None
    return writer


def _refresh_chat(chat: Chat, ref: ChatRef) -> None:
    title = clean_name(ref.title)[:255]
    if title and chat.title != title:
        chat.title = title


def _refresh_account(account: Account, sender: Sender) -> None:
    name = clean_name(sender.display_name)[:200]
    if name and account.display_name != name:
        account.display_name = name
    if sender.language_hint and account.language_hint != sender.language_hint:
        account.language_hint = sender.language_hint


async def chat_kind(session: AsyncSession, ref: ChatRef) -> str | None:
    """How the chat is known ("group", "direct"), or None for a chat we do not know yet."""
    return await session.scalar(
        select(Chat.kind).where(Chat.platform == ref.platform, Chat.external_id == ref.external_id)
    )


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
    else:
        _refresh_chat(chat, ref)
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
    name = clean_name(sender.display_name)[:200]
    if account is None:
        # A name that was nothing but invisible characters counts as no name: the platform's
        # id stands in, as for a person who has none.
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
        _refresh_account(account, sender)
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


async def end_private(session: AsyncSession, chat: Chat, now: datetime) -> Chat | None:
    """``chat`` was a person's private chat and is not any more (someone else is in it).

    It becomes a group for good (never chosen as their private chat again, even if it is
    two of them again later), keeps its person for erasure, forgets the dialog and typed
    choices it held, and what was still waiting for it moves, with its buttons, to the
    person's private chat elsewhere (a new one on Matrix). Returns that chat, if any.
    """
    if chat.kind != "direct":
        return None
    chat.kind = "group"
    chat.choices = None
    await session.execute(delete(ConversationState).where(ConversationState.chat_id == chat.id))
    await session.flush()
    target = None
    if chat.person_id is not None:
        target = await private_chat(session, chat.person_id, now, prefer=chat.platform)
    unsent = OutboxMessage.status.in_(("pending", "sending"))
    if target is None:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == chat.id, unsent)
            .values(status="failed", last_error="chat is no longer private")
        )
        return None
    await session.flush()
    for model in (OutboxMessage, ButtonToken):
        query = update(model).where(model.chat_id == chat.id)
        if model is OutboxMessage:
            query = query.where(unsent).values(chat_id=target.id, due_at=now)
        else:
            query = query.values(chat_id=target.id)
        await session.execute(query)
    return target


async def reachable(session: AsyncSession, person_id: int) -> bool:
    """Whether ``private_chat`` would find a way to write to the person (changes nothing):
    False for someone signed up by phone, without a chat account."""
    query = select(Account.id).where(Account.person_id == person_id, ~Account.unreachable)
    return await session.scalar(query.limit(1)) is not None


_KNOWN_PRIVATE = Prepared(
    select(_chats_t.c.id)
    .join(
        _accounts_t,
        and_(
            _accounts_t.c.platform == _chats_t.c.platform,
            _accounts_t.c.person_id == bindparam("person_id"),
        ),
    )
    .where(
        _chats_t.c.person_id == bindparam("person_id"),
        _chats_t.c.kind == "direct",
        ~_accounts_t.c.unreachable,
    )
    # Without a preferred platform every row compares to NULL alike: the id decides.
    .order_by((_chats_t.c.platform == bindparam("prefer")).desc(), _chats_t.c.id.desc())
    .limit(1)
)


async def known_private_chat(
    session: AsyncSession, person_id: int, *, prefer: str | None = None
) -> Chat | None:
    """The person's last direct chat with the bot (on the ``prefer``red platform if they have
    one there): a chat they have written in, so a message there reaches them."""
    if settled(session):
        # Its id with a prepared query (SQLite); usually the chat the person just wrote
        # in, which the session holds already.
        params = {"person_id": person_id, "prefer": prefer}
        rows = await fetch(await session.connection(), _KNOWN_PRIVATE, params)
        if rows is not None:
            return await session.get(Chat, rows[0][0]) if rows else None
    query = (
        select(Chat)
        .join(Account, and_(Account.platform == Chat.platform, Account.person_id == person_id))
        .where(Chat.person_id == person_id, Chat.kind == "direct", ~Account.unreachable)
    )
    if prefer is not None:
        # The app they just used is the one they are looking at.
        query = query.order_by((Chat.platform == prefer).desc())
    return await session.scalar(query.order_by(Chat.id.desc()).limit(1))


async def private_chat(
    session: AsyncSession, person_id: int, now: datetime, *, prefer: str | None = None
) -> Chat | None:
    """Where to write to a person privately: their last direct chat with the bot (on the
    ``prefer``red platform if they have one there), else a new one on a reachable account
    (Matrix opens the room when the first message goes out)."""
    chat = await known_private_chat(session, person_id, prefer=prefer)
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


_SET_LOCALE = Prepared(
    update(_persons)
    .where(_persons.c.id == bindparam("person_id"))
    .values(locale=bindparam("new_locale"))
)


async def set_locale(work: Work, person: Person, locale: str) -> None:
    """Store the language a person chose. One prepared statement instead of the unit of
    work (a press of a language button flushes nothing else); the loaded person shows it.
    Nothing is written when it is the language stored already (read in this transaction)."""
    if person.locale == locale:
        return
    await run(
        await work.session.connection(), _SET_LOCALE, {"person_id": person.id, "new_locale": locale}
    )
    set_committed_value(person, "locale", locale)
