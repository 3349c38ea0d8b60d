"""Writing messages into the outbox, in the caller's transaction."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.chat.types import Attachment, Button, ChatRef, Delivery, Outgoing, RenderedButton
from bot.domain.models import (
    ButtonToken,
    ButtonTokenSubject,
    Chat,
    OutboxMessage,
    OutboxSubject,
)
from bot.domain.prepared import Prepared, run
from bot.infra.column_limits import TooLong
from bot.language.i18n import _, current_locale, ngettext

log = logging.getLogger(__name__)

BUTTON_LIFETIME = timedelta(days=60)
_QUEUED = "outbox_queued_chats"  # session.info: the chats this transaction queued for
EDIT_PREFIX = "edit:"
DEDUP_KEY_LENGTH = 200  # the outbox column's size


# Up to this many choices the hint names each number; more read as a range.
NAMED_CHOICES = 4


def choice_hint(count: int, numbers: Sequence[int] = ()) -> str:
    """ "Antworten Sie mit 1, 2 oder 3." in the current locale; from five choices on
    "Antworten Sie mit einer Zahl von 1 bis 16." (a list of 16 numbers is 20 words).
    ``numbers``: the buttons' own numbers (``Button.number``) instead of their places."""
    if numbers:
        if len(numbers) == 1:
            return _("Answer with {number}.").format(number=numbers[0])
        if len(numbers) > NAMED_CHOICES:
            return _numbers_hint(numbers)
        first = ", ".join(str(n) for n in numbers[:-1])
        return _("Answer with {numbers} or {last}.").format(numbers=first, last=numbers[-1])
    if count <= 1:
        return _("Answer with 1.")
    if count > NAMED_CHOICES:
        return ngettext(
            "Answer with a number from 1 to {count}.",
            "Answer with a number from 1 to {count}.",
            count,
        ).format(count=count)
    first = ", ".join(str(n) for n in range(1, count))
    return _("Answer with {numbers} or {last}.").format(numbers=first, last=count)


def _numbers_hint(numbers: Sequence[int]) -> str:
    """Many choices with their own numbers (dates: Nr. 12 to Nr. 19): a range where the
    numbers follow each other, else no list of them at all."""
    first, last = min(numbers), max(numbers)
    if sorted(numbers) == list(range(first, last + 1)):
        return ngettext(
            "Answer with a number from {first} to {last}.",
            "Answer with a number from {first} to {last}.",
            last,
        ).format(first=first, last=last)
    return _("Answer with one of these numbers.")


async def enqueue(
    session: AsyncSession,
    chat: Chat,
    outgoing: Outgoing,
    *,
    dedup_key: str,
    now: datetime,
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> OutboxMessage | None:
    """Queue a message for a chat; a second call with the same dedup key adds nothing.

    Where the key cannot exist yet (a reply to an event recorded as new in this
    transaction), ``enqueue_reply`` writes it without the look-up and the unit of work.
    """
    existing = await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)
    )
    if existing is not None:
        return None
    about, content, data = _prepared(session, chat, outgoing, now)
    message = OutboxMessage(
        dedup_key=dedup_key,
        chat_id=chat.id,
        content=content,
        attachment=data,
        status="pending",
        due_at=due_at or now,
        created_at=now,
        expires_at=expires_at,
        subjects=[OutboxSubject(person_id=person_id) for person_id in sorted(about)],
    )
    session.add(message)
    note_queued(session, chat)
    return message


async def enqueue_reply(
    session: AsyncSession,
    chat: Chat,
    outgoing: Outgoing,
    *,
    dedup_key: str,
    now: datetime,
    once: bool = False,
) -> bool:
    """``enqueue`` written at once with prepared Core statements: the message, whom it is
    about, its buttons' tokens and the chat's typed choices. True when it was queued.

    Without ``once`` the key cannot exist yet (an answer to an event recorded as new in this
    transaction); with it, a key that exists adds nothing, as with ``enqueue`` but without
    its look-up (``INSERT … ON CONFLICT DO NOTHING``), and False is returned.

    The answers to every update otherwise went through the unit of work: an OutboxMessage and
    its subjects added, sorted and flushed, the costliest part of a plain answer (#22). The
    unique index still guards the key; lengths are checked here as the flush would.
    """
    if len(dedup_key) > DEDUP_KEY_LENGTH:
        raise TooLong("outbox", "dedup_key", DEDUP_KEY_LENGTH)
    if session.new:
        # Rows queued earlier in this transaction keep their place in the sending order,
        # and a chat or person made in it gets the id this row refers to.
        await session.flush()
    about = subjects(chat, outgoing)
    rendered, tokens, links = _button_rows(chat, outgoing.buttons, now, about)
    content, data = _content(outgoing, rendered)
    # On the session's connection, prepared: even SQLAlchemy's execute costs more than these.
    connection = await session.connection()
    statement = _INSERT_MESSAGE_ONCE[connection.dialect.name] if once else _INSERT_MESSAGE
    result = await run(
        connection,
        statement,
        {
            "dedup_key": dedup_key,
            "chat_id": chat.id,
            "content": content,
            "attachment": data,
            "due_at": now,
            "created_at": now,
        },
    )
    if once and result.rowcount == 0:
        return False  # queued before: nothing more (no tokens, the choices unchanged)
    outbox_id = result.inserted_id
    if about:
        await run(
            connection,
            _INSERT_SUBJECT,
            [{"outbox_id": outbox_id, "person_id": person_id} for person_id in sorted(about)],
        )
    if tokens:
        await run(connection, _INSERT_TOKEN, tokens)
        if links:
            await run(connection, _INSERT_TOKEN_SUBJECT, links)
        # A typed number in this chat now refers to these buttons.
        choices = [item["key"] for item in rendered]
        await run(connection, _SET_CHOICES, {"chat_id": chat.id, "choices": choices})
        set_committed_value(chat, "choices", choices)
    note_queued(session, chat)
    return True


_outbox = OutboxMessage.__table__
_MESSAGE_VALUES: dict[str, Any] = {
    "dedup_key": bindparam("dedup_key"),
    "chat_id": bindparam("chat_id"),
    "content": bindparam("content"),
    "attachment": bindparam("attachment"),
    "status": "pending",
    "due_at": bindparam("due_at"),
    "attempts": 0,
    "last_error": "",
    "created_at": bindparam("created_at"),
}
_INSERT_MESSAGE = Prepared(insert(_outbox).values(**_MESSAGE_VALUES))
_INSERT_MESSAGE_ONCE = {
    name: Prepared(
        dialect_insert(_outbox)
        .values(**_MESSAGE_VALUES)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    for name, dialect_insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}
_INSERT_SUBJECT = Prepared(insert(OutboxSubject.__table__), keys=("outbox_id", "person_id"))
_SUBJECTS_OF = select(OutboxSubject.__table__.c.person_id).where(
    OutboxSubject.__table__.c.outbox_id == bindparam("outbox_id")
)
_TOKEN_COLUMNS = ("key", "chat_id", "action", "args", "label", "aliases", "created_at")
_INSERT_TOKEN = Prepared(insert(ButtonToken.__table__), keys=(*_TOKEN_COLUMNS, "expires_at"))
_INSERT_TOKEN_SUBJECT = Prepared(
    insert(ButtonTokenSubject.__table__), keys=("button_key", "person_id")
)
_chats = Chat.__table__
_SET_CHOICES = Prepared(
    update(_chats).where(_chats.c.id == bindparam("chat_id")).values(choices=bindparam("choices"))
)
_tokens = ButtonToken.__table__
_TOKEN_LIMITS = [(name, _tokens.c[name].type.length) for name in ("action", "label")]


def _prepared(
    session: AsyncSession, chat: Chat, outgoing: Outgoing, now: datetime
) -> tuple[set[int], dict[str, Any], bytes | None]:
    """Whom a message is about, its stored content (buttons stored as tokens) and its file."""
    about = subjects(chat, outgoing)
    rendered = _render_buttons(session, chat, outgoing.buttons, now, about)
    if rendered:
        # A typed number in this chat now refers to these buttons.
        chat.choices = [item["key"] for item in rendered]
    content, data = _content(outgoing, rendered)
    return about, content, data


def _content(
    outgoing: Outgoing, rendered: list[dict[str, Any]]
) -> tuple[dict[str, Any], bytes | None]:
    """A message's stored content (with its rendered buttons) and its file."""
    content = content_of(outgoing.text, rendered, words=outgoing.words)
    data = None
    if outgoing.attachment is not None:
        att = outgoing.attachment
        content["attachment"] = {
            "filename": att.filename,
            "mime_type": att.mime_type,
            "is_image": att.is_image,
        }
        data = att.data
    return content, data


def subjects(chat: Chat, outgoing: Outgoing) -> set[int]:
    """Whom a message is about: the person of a private chat always, and whoever the
    caller named in ``Outgoing.about``."""
    about = {int(person_id) for person_id in outgoing.about if person_id is not None}
    if chat.kind == "direct" and chat.person_id is not None:
        about.add(chat.person_id)
    return about


async def _record_subjects(session: AsyncSession, outbox_id: int, about: Iterable[int]) -> None:
    """Add people to an existing row's subjects, so erasure finds it by reference."""
    wanted = set(about)
    if not wanted:
        return
    connection = await session.connection()
    known = set((await connection.execute(_SUBJECTS_OF, {"outbox_id": outbox_id})).scalars())
    missing = sorted(wanted - known)
    if missing:
        await run(
            connection, _INSERT_SUBJECT, [{"outbox_id": outbox_id, "person_id": p} for p in missing]
        )


def note_queued(session: AsyncSession, chat: Chat) -> None:
    """Remember that this transaction queued messages for the chat (``queued_chats``)."""
    session.info.setdefault(_QUEUED, []).append(chat)


def queued_chats(session: AsyncSession) -> list[tuple[str, int]]:
    """After the commit: (platform, chat id) of every chat the transaction queued for, so
    only the process that sends to them needs waking."""
    return [(chat.platform, chat.id) for chat in session.info.get(_QUEUED, ())]


def shown_label(button: Button) -> str:
    """A button's label as people see it: with its own number in front, when it has one."""
    if button.number is None:
        return button.label
    return _("No. {number}: {label}").format(number=button.number, label=button.label)


def _render_buttons(
    session: AsyncSession,
    chat: Chat,
    buttons: Sequence[Button],
    now: datetime,
    about: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """``_button_rows`` added to the session as ButtonTokens (written at its flush)."""
    rendered, tokens, links = _button_rows(chat, buttons, now, about)
    for row in tokens:
        token = ButtonToken(**row)
        token.subjects = [
            ButtonTokenSubject(person_id=link["person_id"])
            for link in links
            if link["button_key"] == row["key"]
        ]
        session.add(token)
    return rendered


def _button_rows(
    chat: Chat, buttons: Sequence[Button], now: datetime, about: Iterable[int] = ()
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Store each button's action under a random key bound to the chat; only the key travels.
    Each button is about the same people as its message (a label may name them). A button
    with its own number shows it in its label and is chosen by typing it (an alias).
    Returns the buttons as the message stores them, the token rows and their subjects."""
    rendered: list[dict[str, Any]] = []
    tokens: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    people = sorted(set(about))
    for button in buttons:
        key = secrets.token_urlsafe(9)
        label, aliases = shown_label(button), list(button.aliases)
        if button.number is not None:
            aliases.append(str(button.number))
        row = {
            "key": key,
            "chat_id": chat.id,
            "action": button.action,
            "args": dict(button.args),
            "label": label,
            "aliases": aliases,
            "created_at": now,
            "expires_at": now + BUTTON_LIFETIME,
        }
        for column, limit in _TOKEN_LIMITS:
            if len(row[column]) > limit:
                raise TooLong("button_tokens", column, limit)
        tokens.append(row)
        links.extend({"button_key": key, "person_id": person_id} for person_id in people)
        item: dict[str, Any] = {"label": label, "key": key}
        if button.number is not None:
            item["number"] = button.number
        rendered.append(item)
    return rendered, tokens, links


def content_of(text: str, rendered: list[dict[str, Any]], *, words: bool = False) -> dict[str, Any]:
    """The stored content of a message: its text, its rendered buttons, the reader's language
    (in which the text was just written) and, for platforms without buttons, the hint how to
    answer with a number or a word."""
    content: dict[str, Any] = {"text": text, "buttons": rendered, "lang": current_locale()}
    if rendered and words:
        # A typed number answers the question itself; the choices are written as words.
        content["words"] = True
        content["choice_hint"] = _("Or write one of these words.")
    elif rendered:
        numbers = [b["number"] for b in rendered if "number" in b]
        content["choice_hint"] = choice_hint(len(rendered), numbers)
    return content


def edit_key(original_dedup_key: str) -> str:
    """The dedup key of the one outbox row that carries the edits of a message."""
    key = EDIT_PREFIX + original_dedup_key
    if len(key) > DEDUP_KEY_LENGTH:
        # Too long for the column: a hash keeps it unique and stable.
        key = EDIT_PREFIX + "#" + hashlib.sha256(original_dedup_key.encode()).hexdigest()
    return key


async def enqueue_edit(
    session: AsyncSession, original_dedup_key: str, outgoing: Outgoing, now: datetime
) -> None:
    """Queue a new text (and buttons) for a message sent earlier under original_dedup_key.

    All edits of a message share one row: while it waits, a newer text replaces the older
    one (Telegram allows 20 messages a minute in a group, edits included); once sent, it
    is queued again with the new text. Nothing happens for an unknown key.

    While the row waits with the same buttons (a group post's counts change with every
    "Ich komme"), it keeps their keys: nobody has seen them yet, and new keys would cost
    three token rows per press. Written with prepared Core statements on the session's
    connection, without the unit of work and its savepoint (#22); the row is never loaded
    as an object.
    """
    if session.new:
        # The message may have been queued in this very transaction.
        await session.flush()
    connection = await session.connection()
    found = (await connection.execute(_ORIGINAL, {"dedup_key": original_dedup_key})).first()
    if found is None:
        return
    chat_id, shown = found
    if "attachment" in shown or "edit_of" in shown:
        # A file's caption is no text message, and an edit row is not a message of its own.
        log.warning("outbox row %r cannot be edited", original_dedup_key)
        return
    if outgoing.attachment is not None:
        log.warning("an edit of %r changes text and buttons only", original_dedup_key)
    chat = await session.get(Chat, chat_id)
    assert chat is not None
    about = subjects(chat, outgoing)
    spec = _buttons_spec(outgoing.buttons, about)
    key = edit_key(original_dedup_key)
    note_queued(session, chat)
    row = await _locked_row(session, key)
    if row is None:
        rendered = await _new_buttons(connection, chat, outgoing.buttons, now, about)
        content = _edit_content(outgoing, rendered, original_dedup_key, spec, now)
        result = await run(
            connection,
            _INSERT_MESSAGE_ONCE[connection.dialect.name],
            {
                "dedup_key": key,
                "chat_id": chat.id,
                "content": {**content, "revision": 1},
                "attachment": None,
                "due_at": now,
                "created_at": now,
            },
        )
        if result.rowcount:
            _follow_choices(chat, shown, rendered)
            await _record_subjects(session, result.inserted_id, about)
            return
        # Another transaction queued the first edit a moment ago: update that one.
        row = await _locked_row(session, key)
        assert row is not None
    row_id, status, waiting = row
    # The platform showed the older texts too: their people stay subjects of the row.
    await _record_subjects(session, row_id, about)
    reused = _reusable(waiting, status, spec, now)
    if reused is None:
        rendered = await _new_buttons(connection, chat, outgoing.buttons, now, about)
        made = now
    else:
        rendered, made = reused
    _follow_choices(chat, waiting, rendered)
    content = _edit_content(outgoing, rendered, original_dedup_key, spec, made)
    content["revision"] = int(waiting.get("revision", 0)) + 1
    if status == "pending":
        # A pending row keeps its due time, which may be a wait the platform asked for.
        await connection.execute(_SET_EDIT, {"row_id": row_id, "content": content})
    else:
        # Sent (or being sent) already: the new text is one more edit.
        await connection.execute(_REQUEUE_EDIT, {"row_id": row_id, "content": content, "now": now})


# Reuse a waiting edit's button keys only while they are young (they live 60 days).
REUSE_BUTTONS_FOR = timedelta(days=1)


def _buttons_spec(buttons: Sequence[Button], about: Iterable[int]) -> str:
    """What an edit's buttons do and whom they are about, as a short fingerprint."""
    described = [
        [b.action, dict(b.args), shown_label(b), list(b.aliases), b.number] for b in buttons
    ]
    text = json.dumps([described, sorted(about)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _reusable(
    waiting: dict[str, Any], status: str, spec: str, now: datetime
) -> tuple[list[dict[str, Any]], datetime] | None:
    """The waiting edit's rendered buttons and when they were made, when the new edit shows
    the same buttons (then the same keys serve); None: new keys."""
    if status != "pending" or waiting.get("buttons_spec") != spec:
        return None
    try:
        made = datetime.fromisoformat(waiting["buttons_made"])
    except (KeyError, TypeError, ValueError):
        return None
    if made.tzinfo is None and now.tzinfo is not None:
        made = made.replace(tzinfo=now.tzinfo)
    if not timedelta(0) <= now - made < REUSE_BUTTONS_FOR:
        return None
    return list(waiting.get("buttons") or []), made


def _edit_content(
    outgoing: Outgoing,
    rendered: list[dict[str, Any]],
    original_dedup_key: str,
    spec: str,
    made: datetime,
) -> dict[str, Any]:
    content = content_of(outgoing.text, rendered, words=outgoing.words)
    content["edit_of"] = original_dedup_key
    if rendered:
        content["buttons_spec"], content["buttons_made"] = spec, made.isoformat()
    return content


async def _new_buttons(
    connection: AsyncConnection,
    chat: Chat,
    buttons: Sequence[Button],
    now: datetime,
    about: Iterable[int],
) -> list[dict[str, Any]]:
    """The buttons' tokens written at once (``_button_rows``); the buttons as stored."""
    rendered, tokens, links = _button_rows(chat, buttons, now, about)
    if tokens:
        await run(connection, _INSERT_TOKEN, tokens)
        if links:
            await run(connection, _INSERT_TOKEN_SUBJECT, links)
    return rendered


async def _locked_row(
    session: AsyncSession, dedup_key: str
) -> tuple[int, str, dict[str, Any]] | None:
    """The edit row's id, status and content. Locked (PostgreSQL) so two edits at once
    count the revision up one after the other."""
    connection = await session.connection()
    found = (await connection.execute(_EDIT_ROW, {"dedup_key": dedup_key})).first()
    return None if found is None else (found[0], found[1], found[2])


_ORIGINAL = select(_outbox.c.chat_id, _outbox.c.content).where(
    _outbox.c.dedup_key == bindparam("dedup_key")
)
_EDIT_ROW = (
    select(_outbox.c.id, _outbox.c.status, _outbox.c.content)
    .where(_outbox.c.dedup_key == bindparam("dedup_key"))
    .with_for_update()
)
_SET_EDIT = (
    update(_outbox).where(_outbox.c.id == bindparam("row_id")).values(content=bindparam("content"))
)
_REQUEUE_EDIT = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("row_id"))
    .values(
        content=bindparam("content"),
        status="pending",
        due_at=bindparam("now"),
        attempts=0,
        last_error="",
    )
)


async def message_buttons(session: AsyncSession, chat_id: int, message_id: str) -> list[str]:
    """The button keys a message the bot sent in this chat shows now (after its latest
    edit), by the platform's id of the message; [] for a message we do not know."""
    row = await session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.platform_message_id == message_id,
        )
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    if row is None:
        return []
    # An edit row names the message it changed; the message's current look is its edit.
    original = row.content.get("edit_of") or row.dedup_key
    edited = await session.scalar(
        select(OutboxMessage.content).where(OutboxMessage.dedup_key == edit_key(original))
    )
    content = edited if edited is not None else row.content
    return [str(b["key"]) for b in content.get("buttons") or []]


def _follow_choices(chat: Chat, shown: dict[str, Any], rendered: list[dict[str, str]]) -> None:
    """Typed numbers that referred to the message's old buttons now refer to its new ones."""
    old_keys = [b["key"] for b in shown.get("buttons", [])]
    if old_keys and chat.choices == old_keys:
        chat.choices = [item["key"] for item in rendered]


def _buttons(content: dict[str, Any]) -> tuple[RenderedButton, ...]:
    return tuple(
        RenderedButton(b["label"], b["key"], b.get("number")) for b in content.get("buttons", [])
    )


def to_delivery(row: OutboxMessage, chat: Chat) -> Delivery:
    """The adapter's view of an outbox row."""
    content = row.content
    attachment = None
    if "attachment" in content and row.attachment is not None:
        meta = content["attachment"]
        attachment = Attachment(
            meta["filename"], row.attachment, meta["mime_type"], meta["is_image"]
        )
    return Delivery(
        id=row.id,
        dedup_key=row.dedup_key,
        chat=ChatRef(chat.platform, chat.external_id, chat.kind, chat.title),  # type: ignore[arg-type]
        text=content["text"],
        buttons=_buttons(content),
        choice_hint=content.get("choice_hint", ""),
        words=bool(content.get("words")),
        attachment=attachment,
        edit_of=content.get("edit_of"),
        revision=int(content.get("revision", 0)),
        mail=content.get("email"),
        language=content.get("lang", ""),
    )


def edit_delivery(delivery: Delivery, content: dict[str, Any], message_id: str) -> Delivery:
    """An edit as the adapter sees it: the row's latest content and the message it changes."""
    return replace(
        delivery,
        text=content["text"],
        buttons=_buttons(content),
        choice_hint=content.get("choice_hint", ""),
        revision=int(content.get("revision", 0)),
        edit_message_id=message_id,
    )
