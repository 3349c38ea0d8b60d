"""A parent and staff on Matrix (a platform without buttons): a typed "/termine" works and
they learn "!" once; a number question has one meaning; nothing says "tippen"; a group
never reads one person's status; their own companions show privately."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import build_app, prepare
from bot.chat.types import ChatRef, Incoming
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, matrix_like
from tests.fakes.memory import Person as Someone

ADA = Someone("@ada:stadt.example", "Ada")  # staff
PIA = Someone("@pia:stadt.example", "Pia")  # a parent
ROOM = "!cafe:stadt.example"


@pytest.fixture
async def mx(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    adapter = matrix_like()
    settings = make_settings(db_url, tmp_path, bot={"admins": ["matrix:@ada:stadt.example"]})
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    conversation = Conversation(app, adapter)
    await conversation.say(ADA, "!verbinden 1", chat=conversation.group(ROOM))
    await conversation.flush()
    yield conversation
    await app.close()


async def test_a_number_question_takes_numbers_and_its_choices_are_words(
    mx: Conversation,
) -> None:
    await mx.say(ADA, "!termin_neu")
    await mx.say(ADA, "Digitalcafé")
    [course] = await mx.say(ADA, "jeden 1. Mittwoch 15 Uhr")
    assert course.text.endswith("Sonst schreiben Sie: Fortlaufend")
    assert "tippen" not in course.rendered
    # The choices are words to write; no number stands for one of them.
    assert course.rendered.splitlines()[-4:] == [
        "– Fortlaufend",
        "– Zurück",
        "– Abbrechen",
        "Oder schreiben Sie eines dieser Wörter.",
    ]
    [again] = await mx.say(ADA, "1")
    assert (
        again.text == "Bitte schreiben Sie eine Zahl von 2 bis 52. Oder schreiben Sie: Fortlaufend"
    )
    [place] = await mx.say(ADA, "Fortlaufend")
    assert place.text.startswith("Wo findet der Termin statt?")


async def test_slash_commands_work_and_the_bang_is_told_once(mx: Conversation) -> None:
    room = mx.group(ROOM)
    shown = await mx.say(PIA, "/termine", chat=room)
    [listing] = [s for s in shown if s.chat_id == ROOM]
    assert listing.text.startswith("Die nächsten Termine:")
    [tip] = [s for s in shown if s.chat_id != ROOM]
    assert tip.text == "Tipp: Hier fangen Befehle mit ! an, zum Beispiel !termine."
    again = await mx.say(PIA, "/termine", chat=room)
    assert [s.chat_id for s in again] == [ROOM]  # told once, remembered


async def test_the_group_list_shows_no_ones_status_and_private_shows_companions(
    mx: Conversation,
) -> None:
    room = mx.group(ROOM)
    [preview] = await mx.say(ADA, "!termin_neu Digitalcafé; 9.12. 15–17 Uhr; Stadtbibliothek; 10")
    await mx.press(ADA, preview, "Speichern und jetzt ankündigen")
    await mx.say(PIA, "2", chat=room)  # "Ich komme mit Begleitung" on the post
    [done] = await mx.say(PIA, "2", chat=ChatRef("matrix", PIA.user_id, "direct"))
    assert done.text.startswith("Sie sind angemeldet, mit 2 Begleitpersonen.")
    [in_group] = await mx.say(PIA, "!termine", chat=room)
    assert in_group.chat_id == ROOM
    assert "angemeldet" not in in_group.text
    [private] = await mx.say(PIA, "!termine")
    assert "Sie sind angemeldet, mit 2 Begleitpersonen." in private.rendered


async def test_a_new_member_of_the_group_is_greeted_with_the_next_date(mx: Conversation) -> None:
    room = mx.group(ROOM)
    await mx.app.dispatch(
        Incoming(chat=room, sender=PIA.sender, event_id="$join", member_joined=True)
    )
    [welcome] = await mx.flush()
    assert welcome.chat_id == ROOM
    lines = welcome.rendered.splitlines()
    assert lines[:5] == [
        "Willkommen, Pia!",
        "Der nächste Termin:",
        "",
        "Digitalcafé",
        "Mittwoch, 25. November 2026, 15:00 bis 17:00 Uhr",
    ]
    assert "1 – Ich komme" in lines


async def test_the_date_list_names_each_date_once_where_choices_are_lines(
    mx: Conversation,
) -> None:
    room = mx.group(ROOM)
    [preview] = await mx.say(ADA, "!termin_neu Elterncafé; 9.12. 16–18 Uhr; Familienzentrum; 12")
    await mx.press(ADA, preview, "Speichern")
    [listing] = await mx.say(PIA, "!termine", chat=room)
    assert listing.rendered.splitlines() == [
        "Die nächsten Termine:",
        "Schreiben Sie die Nummer eines Termins. Dann sehen Sie ihn und können sich anmelden.",
        "",
        "Nr. 1: Digitalcafé, Mittwoch, 25. November 2026, 15:00 bis 17:00 Uhr",
        "Nr. 2: Elterncafé, Mittwoch, 9. Dezember 2026, 16:00 bis 18:00 Uhr",
        "Antworten Sie mit 1 oder 2.",
    ]
    [date] = await mx.say(PIA, "2", chat=room)
    assert date.text.startswith("Elterncafé\nMittwoch, 9. Dezember 2026, 16:00 bis 18:00 Uhr")


@pytest.mark.parametrize(
    ("days", "hint"),
    [
        ([1, 2, 3, 4, 5, 6, 7], "Antworten Sie mit einer Zahl von 1 bis 8."),
        # The fifth date planned is the ninth by day: not shown, its number missing.
        ([1, 2, 3, 24, 4, 5, 6, 7], "Antworten Sie mit einer dieser Nummern."),
    ],
)
async def test_many_dates_are_answered_without_a_list_of_numbers(
    mx: Conversation, days: list[int], hint: str
) -> None:
    room = mx.group(ROOM)
    for day in days:
        [preview] = await mx.say(
            ADA, f"!termin_neu Elterncafé; {day}.12. 16–18 Uhr; Familienzentrum; 12"
        )
        await mx.press(ADA, preview, "Speichern")
    [listing] = await mx.say(PIA, "!termine", chat=room)
    lines = listing.rendered.splitlines()
    assert len([line for line in lines if line.startswith("Nr. ")]) == 8
    assert lines[-1] == hint
