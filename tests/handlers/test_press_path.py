"""#22, third pass: on SQLite a known person's press runs its statements below SQLAlchemy's
execution (prepared once, on the driver's connection, in the session's transaction), the
writer's row included, and writes the language only when it changes. What the person sees
and what the database holds stay the same (the other tests in tests/handlers, on SQLite and
PostgreSQL, run the same handlers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.bootstrap import build_app, prepare
from bot.chat.types import Incoming
from bot.domain.models import Account, OutboxMessage, OutboxSubject, Person, ProcessedEvent
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, Shown, telegram_like
from tests.fakes.memory import Person as Someone

ERIKA = Someone("4711", "Erika")  # a member, no admin (as the benchmark's people)


@pytest.fixture(params=[False])
async def tg(
    sqlite_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Conversation]:
    adapter = telegram_like()
    settings = make_settings(
        sqlite_url,
        tmp_path,
        bot={"admins": ["telegram:1"]},
        privacy={"first_contact_note": request.param},
    )
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    yield Conversation(app, adapter)
    await app.close()


class Statements:
    """What runs on the bot's one SQLite connection: every statement SQLite executes, and
    those that went through SQLAlchemy's execution."""

    def __init__(self) -> None:
        self.sqlite: list[str] = []
        self.sqlalchemy: list[str] = []

    def clear(self) -> None:
        self.sqlite.clear()
        self.sqlalchemy.clear()


@pytest.fixture
async def statements(tg: Conversation) -> AsyncIterator[Statements]:
    seen = Statements()
    engine = tg.app.engine

    def note(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.sqlalchemy.append(" ".join(sql.split()[:3]))

    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection.sqlite
    raw.set_trace_callback(lambda sql: seen.sqlite.append(" ".join(sql.split()[:3])))
    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)
        raw.set_trace_callback(None)


async def _press(tg: Conversation, shown: Shown, label: str, event_id: str) -> None:
    """A press of Erika's, handled and committed (what it queued is not sent yet)."""
    key = next(key for text, key in shown.buttons if text == label)
    incoming = Incoming(
        chat=tg.direct(ERIKA), sender=ERIKA.sender, text="", button_key=key, event_id=event_id
    )
    assert await tg.app.dispatch(incoming)


async def test_a_known_persons_press_runs_below_sqlalchemy(
    tg: Conversation, statements: Statements
) -> None:
    [question] = await tg.say(ERIKA, "/sprache")
    statements.clear()
    await _press(tg, question, "English", "press-1")
    # Before: INSERT processed_events, the writer's SELECT, UPDATE persons, INSERT outbox
    # and INSERT outbox_subjects, each through SQLAlchemy's execution. Only the transaction's
    # BEGIN (emitted by bot.infra.db's "begin" hook) still is.
    assert statements.sqlalchemy == ["BEGIN IMMEDIATE"]
    assert statements.sqlite == [
        "BEGIN IMMEDIATE",
        "INSERT INTO processed_events",
        "SELECT chats.id, chats.platform,",
        "UPDATE persons SET",
        "INSERT INTO outbox",
        "INSERT INTO outbox_subjects",
        "COMMIT",
    ]
    [done] = await tg.flush()
    assert done.text == "Thank you. I will write to you in English from now on."
    async with tg.app.sessions() as session:
        ada = await session.scalar(select(Person).where(Person.display_name == "Erika"))
        assert ada is not None and ada.locale == "en"
        row = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
        assert row is not None and row.dedup_key == "in:telegram:press-1:1"
        assert row.status == "sent" and row.content["lang"] == "en"
        about = await session.scalars(
            select(OutboxSubject.person_id).where(OutboxSubject.outbox_id == row.id)
        )
        assert list(about) == [ada.id]
        seen = await session.scalar(
            select(ProcessedEvent).where(ProcessedEvent.event_id == "press-1")
        )
        assert seen is not None and seen.platform == "telegram" and seen.error is None
    # The next answer is in English; a repeat of the press changes nothing.
    [menu] = await tg.say(ERIKA, "/help")
    assert menu.text.startswith("This is what I can do:")
    await _press(tg, question, "English", "press-1")
    assert await tg.flush() == []


async def test_the_same_language_again_writes_no_update(
    tg: Conversation, statements: Statements
) -> None:
    [question] = await tg.say(ERIKA, "/sprache")
    await _press(tg, question, "English", "press-1")
    statements.clear()
    await _press(tg, question, "English", "press-2")
    assert not [sql for sql in statements.sqlite if sql.startswith("UPDATE persons")]
    assert "INSERT INTO outbox" in statements.sqlite  # still confirmed
    shown = await tg.flush()
    assert [s.text for s in shown][-1] == "Thank you. I will write to you in English from now on."
    # Back to German: written again.
    statements.clear()
    await _press(tg, question, "Deutsch", "press-3")
    assert "UPDATE persons SET" in statements.sqlite
    async with tg.app.sessions() as session:
        locale = await session.scalar(select(Person.locale).where(Person.display_name == "Erika"))
    assert locale == "de"


async def test_what_the_press_path_loaded_is_written_back_by_the_unit_of_work(
    tg: Conversation, flushed: list[str]
) -> None:
    """The writer's entities, made from the row, are in the session as a query leaves them:
    a new name from the platform changes the account at the commit, nothing else is
    written, and the pressed button's token is found without a query."""
    [question] = await tg.say(ERIKA, "/sprache")
    flushed.clear()
    key = next(key for text, key in question.buttons if text == "English")
    renamed = replace(ERIKA.sender, display_name="Erika M.")
    incoming = Incoming(chat=tg.direct(ERIKA), sender=renamed, text="", button_key=key)
    assert await tg.app.dispatch(incoming)
    assert flushed == ["Account"]
    [done] = await tg.flush()
    assert done.text == "Thank you. I will write to you in English from now on."
    async with tg.app.sessions() as session:
        account = await session.scalar(select(Account).where(Account.external_id == "4711"))
        assert account is not None and account.display_name == "Erika M."
        person = await session.get(Person, account.person_id)
        assert person is not None and person.display_name == "Erika" and person.locale == "en"


@pytest.mark.parametrize("tg", [True], indirect=True)
async def test_a_press_that_brings_the_privacy_note_runs_below_sqlalchemy(
    tg: Conversation, statements: Statements
) -> None:
    """A first contact with /sprache: the keyboard is an open question, so the privacy note
    waits for the next update, the press. Whether a dialog is open and which private chat
    gets the note are read with prepared queries; the chat is the one already loaded."""
    [question] = await tg.say(ERIKA, "/sprache")
    statements.clear()
    await _press(tg, question, "English", "press-1")
    # Before: the dialog's look-up and the private chat's, through the ORM.
    assert statements.sqlalchemy == ["BEGIN IMMEDIATE"]
    assert statements.sqlite == [
        "BEGIN IMMEDIATE",
        "INSERT INTO processed_events",
        "SELECT chats.id, chats.platform,",
        "UPDATE persons SET",
        "INSERT INTO outbox",
        "INSERT INTO outbox_subjects",
        "SELECT conversation_states.chat_id FROM",
        "UPDATE persons SET",
        "SELECT chats.id FROM",
        "INSERT INTO outbox",
        "INSERT INTO outbox_subjects",
        "INSERT INTO button_tokens",  # one executemany: each row traced
        "INSERT INTO button_tokens",
        "INSERT INTO button_token_subjects",
        "INSERT INTO button_token_subjects",
        "UPDATE chats SET",
        "COMMIT",
    ]
    done, note = await tg.flush()
    assert done.text == "Thank you. I will write to you in English from now on."
    # In the language just chosen (tests/handlers/test_privacy.py has the story).
    assert note.text.startswith("A short note on data protection:")
    assert [label for label, _key in note.buttons] == ["I agree", "Tell me more"]
    async with tg.app.sessions() as session:
        erika = await session.scalar(select(Person).where(Person.display_name == "Erika"))
        assert erika is not None and erika.privacy_noted_at is not None
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedup_key == f"privacy-note:{erika.id}")
        )
        assert row is not None and row.status == "sent"
    # Its buttons answer; a typed "1" picks the first.
    [thanks, _facts] = await tg.say(ERIKA, "1")
    assert thanks.text == "Thank you!"
