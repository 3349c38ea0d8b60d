"""Input the database would refuse never stalls a chat: control characters are gone before
it, a text longer than its column gets one short answer, and an update whose handling fails
for good is recorded, apologised for and reported once, while every chat goes on. On SQLite
and PostgreSQL (PostgreSQL is the one that refuses NUL bytes and over-long text)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from bot.chat.context import Context
from bot.domain.models import ConversationState, Event, Person, ProcessedEvent
from tests.fakes.memory import Conversation
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

ERIKA = Someone("301", "Erika")
OTTO = Someone("302", "Otto")
APOLOGY = "Bei uns ist etwas schiefgegangen.\nBitte versuchen Sie es gleich noch einmal."


async def _new_date(tg: Conversation, title: str) -> list[str]:
    await tg.say(ADA, "/termin_neu")
    return [s.text for s in await tg.say(ADA, title)]


async def _dialog(tg: Conversation, person: Someone) -> ConversationState | None:
    async with tg.app.sessions() as session:
        return await session.scalar(
            select(ConversationState)
            .join(Person, Person.id == ConversationState.person_id)
            .where(Person.display_name == person.name)
        )


async def test_control_characters_never_reach_the_database(tg: Conversation) -> None:
    [asked] = await _new_date(tg, "Café\x00Treff\x07")
    assert asked.startswith("Wann ist der Termin?"), asked
    state = await _dialog(tg, ADA)
    assert state is not None and state.data["title"] == "CaféTreff"
    # A name and a command with NUL bytes and line breaks in them.
    [hello] = await tg.say(Someone("303", "Er\x00ika\nMüller"), "/start\x00")
    assert hello.text.startswith("Hallo Erika Müller!")
    async with tg.app.sessions() as session:
        names = set((await session.scalars(select(Person.display_name))).all())
    assert "Erika Müller" in names


@pytest.mark.parametrize("length", [201, 300, 4000])
async def test_a_title_longer_than_its_column_gets_one_short_answer(
    tg: Conversation, length: int
) -> None:
    [answer] = await _new_date(tg, "A" * length)
    assert answer == "Das ist zu lang. Bitte schreiben Sie höchstens 200 Zeichen." or (
        length > 300 and answer.startswith("Das ist zu lang.")
    ), answer
    # The dialog still waits for the title; a shorter one is taken.
    [asked] = await tg.say(ADA, "Café")
    assert asked.text.startswith("Wann ist der Termin?")


async def test_ten_thousand_characters_get_one_short_answer(tg: Conversation) -> None:
    [answer] = await _new_date(tg, "Ä" * 10_000)
    assert answer.startswith("Ihre Nachricht ist sehr lang."), answer
    [other] = await tg.say(ERIKA, "/start")
    assert other.text.startswith("Hallo Erika!")


async def test_any_text_longer_than_its_column_is_refused_before_the_database(
    tg: Conversation,
) -> None:
    """However a handler writes a column: the flush refuses it, nothing is kept, and the
    person is told the limit (here a test command that writes whatever it is given)."""

    async def rename(ctx: Context) -> None:
        """Names the community's first date as typed."""
        event = await ctx.session.scalar(select(Event).limit(1))
        assert event is not None
        event.place = ctx.args
        await ctx.reply("Gespeichert.")

    tg.app.router.command("ort_test", description="test", needs_community=False)(rename)
    await tg.say(ADA, "/termin_neu Café; morgen 10 Uhr; Rathaus")
    async with tg.app.sessions() as session:
        before = await session.scalar(select(Event.place).limit(1))
    [answer] = await tg.say(ADA, "/ort_test " + "B" * 301)
    assert answer.text == "Der Text ist zu lang. Bitte höchstens 300 Zeichen."
    [ok] = await tg.say(ADA, "/ort_test Bücherei")
    assert ok.text == "Gespeichert."
    async with tg.app.sessions() as session:
        assert before is not None
        assert await session.scalar(select(Event.place).limit(1)) == "Bücherei"


async def test_a_failure_for_good_is_recorded_reported_once_and_blocks_nobody(
    tg: Conversation, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ctx: Context) -> None:
        """Fails in the database the same way every time."""
        await ctx.session.execute(
            text("INSERT INTO no_such_table (name) VALUES (:name)"), {"name": ctx.args}
        )

    tg.app.router.command("kaputt", description="test", needs_community=False)(broken)
    await tg.say(ADA, "/start")  # the deployment admin has a private chat
    caplog.set_level(logging.DEBUG)
    for attempt in range(2):
        # Returns (the platform goes on to the next update) instead of raising.
        assert await tg.app.dispatch(_incoming(tg, ERIKA, "/kaputt Erika Geheim 0171 555"))
        shown = await tg.flush()
        to_erika = [s.text for s in shown if s.chat_id == tg.direct(ERIKA).external_id]
        to_ada = [s.text for s in shown if s.chat_id == tg.direct(ADA).external_id]
        assert to_erika == [APOLOGY]
        # The admin hears of it once a day, however often it happens.
        assert len(to_ada) == (1 if attempt == 0 else 0), to_ada
        if to_ada:
            assert to_ada[0].startswith("Hinweis für Admins: Eine Nachricht ging nicht (")
        # The same chat and another one are answered right after.
        [again] = await tg.say(ERIKA, "/start")
        assert again.text.startswith("Hallo Erika!")
        [other] = await tg.say(OTTO, "/start")
        assert other.text.startswith("Hallo Otto!")
    async with tg.app.sessions() as session:
        errors = (
            await session.scalars(
                select(ProcessedEvent.error).where(ProcessedEvent.error.is_not(None))
            )
        ).all()
    assert len(errors) == 2 and all(
        e.split("/")[0] in ("ProgrammingError", "OperationalError") for e in errors
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "handler failed" in logged
    assert "Geheim" not in logged and "0171" not in logged, "personal data in the log"


async def test_the_same_failing_update_delivered_again_is_not_handled_twice(
    tg: Conversation,
) -> None:
    async def broken(ctx: Context) -> None:
        """Always fails."""
        raise RuntimeError("bug")

    tg.app.router.command("kaputt", description="test", needs_community=False)(broken)
    incoming = _incoming(tg, ERIKA, "/kaputt")
    assert await tg.app.dispatch(incoming)
    assert await tg.app.dispatch(incoming)  # Telegram delivers it once more
    shown = [s.text for s in await tg.flush() if s.chat_id == tg.direct(ERIKA).external_id]
    assert shown == [APOLOGY]


def _incoming(tg: Conversation, person: Someone, typed: str):  # type: ignore[no-untyped-def]
    from uuid import uuid4

    from bot.chat.types import Incoming

    return Incoming(
        chat=tg.direct(person), sender=person.sender, text=typed, event_id=f"ev-{uuid4().hex}"
    )


async def test_group_chat_goes_on_after_a_failure(tg: Conversation) -> None:
    async def broken(ctx: Context) -> None:
        """Always fails."""
        raise ValueError("bug")

    tg.app.router.command("kaputt", description="test", needs_community=False)(broken)
    shown = await tg.say(ERIKA, "/kaputt", chat=tg.group(GROUP))
    assert [s.text for s in shown if s.chat_id == GROUP] == [APOLOGY]
    [hello] = await tg.say(ERIKA, "/start", chat=tg.group(GROUP))
    assert "Erika" in hello.text
