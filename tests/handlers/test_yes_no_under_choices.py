"""A typed "ja" or "nein" under a question whose answers are numbered choices picks none of
them ("yes, I cannot" or "yes, I am coming"?): the person hears which number to write, or
which button to tap, and nothing changes. "no question is open" only where none is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import build_app, prepare
from bot.chat.types import ChatRef
from bot.domain.models import Account, Rsvp
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, Shown, matrix_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

ANNA = Someone("100", "Anna")
MX_ADA = Someone("@ada:stadt.example", "Ada")
PIA = Someone("@pia:stadt.example", "Pia")
ROOM = "!cafe:stadt.example"
# The day before at 10:00 Berlin time: the reminder of a date on 9 December.
REMINDER_TIME = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
NO_QUESTION = "Gerade ist keine Frage an Sie offen.\nDie nächsten Termine sehen Sie mit {}termine."
YES_NO_WORDS = ("ja", "Nein", "yes", "no", "так", "ні")


@pytest.fixture
async def mx(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    adapter = matrix_like()
    settings = make_settings(db_url, tmp_path, bot={"admins": ["matrix:@ada:stadt.example"]})
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    conversation = Conversation(app, adapter)
    await conversation.say(MX_ADA, "!verbinden 1", chat=conversation.group(ROOM))
    await conversation.flush()
    yield conversation
    await app.close()


async def _statuses(chat: Conversation, user_id: str) -> list[str]:
    async with chat.app.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(Rsvp.status)
                    .join(Account, Account.person_id == Rsvp.person_id)
                    .where(Account.external_id == user_id)
                )
            ).all()
        )


async def _reminded(chat: Conversation, user_id: str) -> Shown:
    chat.app.clock.set(REMINDER_TIME)  # type: ignore[attr-defined]
    await chat.app.scheduler.run_due()
    [reminder] = [s for s in await chat.flush() if s.chat_id == user_id]
    return reminder


async def test_matrix_yes_under_the_reminder_names_the_number_and_changes_nothing(
    mx: Conversation,
) -> None:
    room = mx.group(ROOM)
    [preview] = await mx.say(MX_ADA, "!termin_neu Digitalcafé; 9.12. 15 Uhr; Rathaus; 10")
    await mx.press(MX_ADA, preview, "Speichern und jetzt ankündigen")
    # "ja" in the room picks "Ich komme" on the post (its word): that still signs her up.
    await mx.say(PIA, "ja", chat=room)
    assert await _statuses(mx, PIA.user_id) == ["yes"]
    reminder = await _reminded(mx, PIA.user_id)
    assert reminder.rendered.splitlines()[-2:] == ["1 – Ich kann nicht", "Antworten Sie mit 1."]
    private = ChatRef("matrix", PIA.user_id, "direct")
    for word in YES_NO_WORDS:
        [answer] = await mx.say(PIA, word, chat=private)
        assert answer.text == (
            "Das habe ich leider nicht verstanden.\n"
            "Bitte schreiben Sie die Zahl aus meiner letzten Nachricht:\n"
            "1 – Ich kann nicht"
        ), word
    assert await _statuses(mx, PIA.user_id) == ["yes"]  # her place is still booked
    [cancelled] = await mx.say(PIA, "1", chat=private)
    assert cancelled.text.startswith("Sie sind abgemeldet von: Digitalcafé")
    assert await _statuses(mx, PIA.user_id) == ["cancelled"]
    # Her last message from the bot now asks nothing: no number to point to.
    [answer] = await mx.say(PIA, "ja", chat=private)
    assert answer.text == NO_QUESTION.format("!")


async def test_telegram_yes_under_the_reminder_points_to_its_button(tg: Conversation) -> None:
    [preview] = await tg.say(ADA, "/termin_neu Digitalcafé; 9.12. 15 Uhr; Rathaus; 10")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    await tg.press(ANNA, post, "Ich komme", chat=tg.group(GROUP))
    reminder = await _reminded(tg, "100")
    assert [label for label, _key in reminder.buttons] == ["Ich kann nicht"]
    private = ChatRef("telegram", "100", "direct")  # where the reminder went
    for word in YES_NO_WORDS:
        [answer] = await tg.say(ANNA, word, chat=private)
        assert answer.text == (
            "Das habe ich leider nicht verstanden.\n"
            "Bitte tippen Sie auf den Knopf unter meiner letzten Nachricht."
        ), word
    assert await _statuses(tg, "100") == ["yes"]
    [cancelled] = await tg.say(ANNA, "1", chat=private)
    assert cancelled.text.startswith("Sie sind abgemeldet von: Digitalcafé")
    assert await _statuses(tg, "100") == ["cancelled"]


async def test_with_nothing_open_yes_and_no_hear_that_no_question_is_open(
    mx: Conversation,
) -> None:
    private = ChatRef("matrix", PIA.user_id, "direct")
    for word in YES_NO_WORDS:
        [answer] = await mx.say(PIA, word, chat=private)
        assert answer.text == NO_QUESTION.format("!"), word
    assert await _statuses(mx, PIA.user_id) == []


async def test_in_a_room_the_hint_goes_privately_and_names_the_dates_numbers(
    mx: Conversation,
) -> None:
    room = mx.group(ROOM)
    for day in ("9.12.", "16.12."):
        [preview] = await mx.say(MX_ADA, f"!termin_neu Digitalcafé; {day} 15 Uhr; Rathaus; 10")
        await mx.press(MX_ADA, preview, "Speichern und jetzt ankündigen")
    [listing] = [s for s in await mx.say(PIA, "!termine", chat=room) if s.chat_id == ROOM]
    assert listing.rendered.splitlines()[-1] == "Antworten Sie mit 1, 2 oder 3."
    # "ja" picks none of the dates: Pia alone hears it, privately; nothing in the room.
    [answer] = await mx.say(PIA, "ja", chat=room)
    assert answer.chat_id == PIA.user_id
    assert answer.text.splitlines()[:2] == [
        "Das habe ich leider nicht verstanden.",
        "Bitte schreiben Sie eine Zahl aus meiner letzten Nachricht in der Gruppe:",
    ]
    assert answer.text.splitlines()[2:] == listing.rendered.splitlines()[3:-1]
    assert await _statuses(mx, PIA.user_id) == []


async def test_under_many_choices_the_hint_gives_an_example(mx: Conversation) -> None:
    for day in ("2.12.", "9.12.", "16.12.", "23.12.", "30.12."):
        [preview] = await mx.say(MX_ADA, f"!termin_neu Digitalcafé; {day} 15 Uhr; Rathaus; 10")
        await mx.press(MX_ADA, preview, "Speichern und jetzt ankündigen")
    await mx.say(PIA, "!start", chat=mx.group(ROOM))
    private = ChatRef("matrix", PIA.user_id, "direct")
    [listing] = await mx.say(PIA, "!termine", chat=private)
    assert listing.rendered.splitlines()[-1].startswith("Antworten Sie mit einer Zahl von 1 bis")
    [answer] = await mx.say(PIA, "nein", chat=private)
    assert answer.text == (
        "Das habe ich leider nicht verstanden.\n"
        "Bitte schreiben Sie eine Zahl aus meiner letzten Nachricht.\n"
        "Zum Beispiel: 1"
    )
    assert await _statuses(mx, PIA.user_id) == []
