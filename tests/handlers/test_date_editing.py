"""Staff change a date or a series after it was made (/aendern, #20): each detail, one date
or all from it on, the notices with old and new, the waiting list on more places, refusals.
Also a fortnightly series made in the new-date dialog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.models import Event, Rsvp, Series
from tests.fakes.memory import Conversation, Shown
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

ERIKA = Someone("300", "Erika")
OTTO = Someone("301", "Otto")
GRETA = Someone("302", "Greta")


async def _dates(tg: Conversation) -> list[Event]:
    async with tg.app.sessions() as session:
        query = select(Event).where(Event.title == "Handy-Treff").order_by(Event.starts_at)
        return list((await session.scalars(query)).all())


async def _fortnightly(tg: Conversation, places: int = 2) -> tuple[list[Event], Shown]:
    """A fortnightly café with ``places`` places, posted; Erika and Otto signed up for the
    first date, Greta waits when it is full."""
    [preview] = await tg.say(
        ADA, f"/termin_neu Handy-Treff; alle zwei Wochen dienstags 14 Uhr; Raum 2; {places}"
    )
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    dates = await _dates(tg)
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons and "Handy-Treff" in s.text]
    for person in (ERIKA, OTTO, GRETA):
        await tg.press(person, post, "Ich komme", chat=tg.group(GROUP))
    return dates, post


def _mine(shown: list[Shown]) -> Shown:
    [mine] = [s for s in shown if s.chat_id == "dm-1"]
    return mine


async def _change(tg: Conversation, number: int, field: str, value: str | None) -> Shown:
    """/aendern N, pick the detail, give the value (typed, or None: tap the only button)."""
    asked = _mine(await tg.say(ADA, f"/aendern {number}"))
    assert "Was möchten Sie ändern?" in asked.text
    question = _mine(await tg.press(ADA, asked, field))
    if value is None:
        label = next(text for text, _key in question.buttons if text != "Abbrechen")
        return _mine(await tg.press(ADA, question, label))
    return _mine(await tg.say(ADA, value))


async def test_a_fortnightly_series_from_the_dialog(tg: Conversation) -> None:
    [q] = await tg.say(ADA, "/termin_neu")
    for answer in ("Handy-Treff", "alle zwei Wochen dienstags 14 Uhr"):
        [q] = await tg.say(ADA, answer)
    [q] = await tg.press(ADA, q, "Fortlaufend")
    [q] = await tg.say(ADA, "Stadtbibliothek")
    [q] = await tg.press(ADA, q, "Überspringen")  # online
    [q] = await tg.press(ADA, q, "Überspringen")  # topic
    [q] = await tg.say(ADA, "10")
    [q] = await tg.press(ADA, q, "Überspringen")  # contact
    [q] = await tg.press(ADA, q, "Bis zum Beginn")
    [q] = await tg.press(ADA, q, "Überspringen")  # bring
    assert "Wiederholt sich alle zwei Wochen am Dienstag, 14 Uhr." in q.text
    await tg.press(ADA, q, "Speichern")
    dates = await _dates(tg)
    assert len(dates) > 3
    assert [d.starts_at - dates[0].starts_at for d in dates[:3]] == [
        timedelta(weeks=0),
        timedelta(weeks=2),
        timedelta(weeks=4),
    ]
    async with tg.app.sessions() as session:
        [row] = (await session.scalars(select(Series).where(Series.title == "Handy-Treff"))).all()
    assert row.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"


async def test_a_new_place_for_one_date_is_told_old_and_new(tg: Conversation) -> None:
    dates, post = await _fortnightly(tg)
    first = dates[0]
    before = len(tg.adapter.shown)
    confirm = await _change(tg, first.id, "Ort", "Raum 3")
    assert confirm.text.startswith("Nur diesen Termin oder alle ab diesem Termin?")
    shown = _mine(await tg.press(ADA, confirm, "Nur diesen Termin"))
    assert shown.text.startswith("Soll ich das so ändern?")
    assert "Ort bisher: Raum 2\nOrt neu: Raum 3" in shown.text
    assert "3 Personen sind angemeldet oder warten. Sie bekommen eine Nachricht." in shown.text
    async with tg.app.sessions() as session:
        assert (await session.get(Event, first.id)).place == "Raum 2"  # type: ignore[union-attr]

    done = _mine(await tg.press(ADA, shown, "Ja, ändern"))
    assert done.text.startswith("Geändert: Handy-Treff, Dienstag,")
    assert "3 Personen haben eine persönliche Nachricht bekommen." in done.text
    notices = [s for s in tg.adapter.shown[before:] if s.text.startswith("Bitte beachten Sie")]
    assert sorted(s.chat_id.removeprefix("dm-") for s in notices) == ["300", "301", "302"]
    assert "Neuer Ort: Raum 3 (bisher: Raum 2)" in notices[0].text
    assert notices[0].attachment is not None and b"SEQUENCE:1" in notices[0].attachment.data
    assert "Raum 3" in tg.adapter.current(post.message_id).text
    places = [d.place for d in await _dates(tg)]
    assert places[0] == "Raum 3" and set(places[1:]) == {"Raum 2"}


async def test_a_series_from_a_date_on(tg: Conversation) -> None:
    dates, _post = await _fortnightly(tg)
    second = dates[1]
    confirm = await _change(tg, second.id, "Thema", "Fotos schicken")
    shown = _mine(await tg.press(ADA, confirm, "Alle ab diesem Termin"))
    assert f"{len(dates) - 1} Termine ändern sich." in shown.text
    done = _mine(await tg.press(ADA, shown, "Ja, ändern"))
    assert f"{len(dates) - 1} Termine ab Dienstag" in done.text
    topics = [d.topic for d in await _dates(tg)]
    assert topics == [""] + ["Fotos schicken"] * (len(dates) - 1)
    async with tg.app.sessions() as session:
        [row] = (await session.scalars(select(Series).where(Series.title == "Handy-Treff"))).all()
    assert row.topic == "Fotos schicken"


async def test_a_new_time_from_a_date_on_keeps_the_made_dates_and_makes_new_ones_at_it(
    tg: Conversation,
) -> None:
    dates, _post = await _fortnightly(tg)
    before = len(tg.adapter.shown)
    confirm = await _change(tg, dates[0].id, "Uhrzeit", "15–17 Uhr")
    shown = _mine(await tg.press(ADA, confirm, "Alle ab diesem Termin"))
    assert "Uhrzeit neu: Dienstag," in shown.text and "15:00 bis 17:00 Uhr" in shown.text
    await tg.press(ADA, shown, "Ja, ändern")
    notices = [s for s in tg.adapter.shown[before:] if s.text.startswith("Bitte beachten Sie")]
    assert "Bisher: Dienstag," in notices[0].text and "14:00 Uhr" in notices[0].text
    await tg.app.scheduler.extend_series(force=True)
    after = await _dates(tg)
    assert len(after) == len(dates)  # nothing made twice
    hours = {(d.starts_at.hour, d.ends_at.hour if d.ends_at else None) for d in after}
    assert hours == {(14, 16)}  # 15–17 Uhr in Berlin in winter


async def test_more_places_move_people_up_and_fewer_keep_everyone(tg: Conversation) -> None:
    dates, _post = await _fortnightly(tg)
    first = dates[0]
    confirm = await _change(tg, first.id, "Plätze", "3")
    shown = _mine(await tg.press(ADA, confirm, "Nur diesen Termin"))
    assert "Plätze bisher: 2\nPlätze neu: 3" in shown.text
    before = len(tg.adapter.shown)
    done = _mine(await tg.press(ADA, shown, "Ja, ändern"))
    assert "1 Person hat einen Platz von der Warteliste bekommen." in done.text
    told = [s for s in tg.adapter.shown[before:] if s.chat_id.removeprefix("dm-")[:2] == "30"]
    assert [(s.chat_id.removeprefix("dm-"), s.text.splitlines()[0]) for s in told] == [
        ("302", "Gute Nachricht: Ein Platz ist frei geworden. Sie haben jetzt einen Platz!")
    ]
    async with tg.app.sessions() as session:
        statuses = (
            await session.scalars(select(Rsvp.status).where(Rsvp.event_id == first.id))
        ).all()
    assert sorted(statuses) == ["yes", "yes", "yes"]

    confirm = await _change(tg, first.id, "Plätze", "1")
    shown = _mine(await tg.press(ADA, confirm, "Nur diesen Termin"))
    done = _mine(await tg.press(ADA, shown, "Ja, ändern"))
    assert "2 Personen mehr sind angemeldet, als es Plätze gibt." in done.text
    async with tg.app.sessions() as session:
        statuses = (
            await session.scalars(select(Rsvp.status).where(Rsvp.event_id == first.id))
        ).all()
        assert (await session.get(Event, first.id)).capacity == 1  # type: ignore[union-attr]
    assert sorted(statuses) == ["yes", "yes", "yes"]


@pytest.mark.parametrize(
    ("field", "value", "column", "stored", "line"),
    [
        ("Titel", "Handy-Café", "title", "Handy-Café", "Neuer Name: Handy-Café"),
        ("Thema", "WhatsApp", "topic", "WhatsApp", "Neues Thema: WhatsApp"),
        ("Mitbringen", "Ihr Handy", "bring", "Ihr Handy", "Bitte mitbringen, neu: Ihr Handy"),
        ("Kontakt", "Frau Meier", "contact", "Frau Meier", "Neuer Kontakt für Fragen: Frau Meier"),
        ("Online-Adresse", "https://meet.example/x", "online_link", "https://meet.example/x", ""),
        ("Plätze", None, "capacity", None, ""),
    ],
)
async def test_each_detail(
    tg: Conversation, field: str, value: str | None, column: str, stored: object, line: str
) -> None:
    dates, _post = await _fortnightly(tg, places=5)
    before = len(tg.adapter.shown)
    confirm = await _change(tg, dates[0].id, field, value)
    shown = _mine(await tg.press(ADA, confirm, "Nur diesen Termin"))
    await tg.press(ADA, shown, "Ja, ändern")
    async with tg.app.sessions() as session:
        event = await session.get(Event, dates[0].id)
    assert getattr(event, column) == stored
    notices = [s for s in tg.adapter.shown[before:] if s.text.startswith("Bitte beachten Sie")]
    if line:
        assert line in notices[0].text
    if column == "capacity":
        assert notices == []  # the number of places alone is not told


async def test_nothing_changed_sends_nothing(tg: Conversation) -> None:
    dates, _post = await _fortnightly(tg)
    before = len(tg.adapter.shown)
    confirm = await _change(tg, dates[0].id, "Ort", "Raum 2")
    shown = _mine(await tg.press(ADA, confirm, "Nur diesen Termin"))
    assert shown.text == "Das ist wie bisher. Ich habe nichts geändert."
    assert [s.chat_id for s in tg.adapter.shown[before:] if s.chat_id != "dm-1"] == []


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        ("x" * 10_000, "Ihre Nachricht ist sehr lang."),
        ("x" * 301, "Das ist zu lang. Bitte schreiben Sie es kürzer."),
        ("   ", "Diesen Text konnte ich nicht verwenden. Bitte schreiben Sie ihn noch einmal."),
        ("\x00", "Diesen Text konnte ich nicht verwenden. Bitte schreiben Sie ihn noch einmal."),
    ],
)
async def test_bad_values_are_refused_kindly(tg: Conversation, value: str, answer: str) -> None:
    dates, _post = await _fortnightly(tg)
    asked = _mine(await tg.say(ADA, f"/aendern {dates[0].id}"))
    _mine(await tg.press(ADA, asked, "Ort"))
    [shown] = await tg.say(ADA, value)
    assert shown.text.startswith(answer)
    assert {d.place for d in await _dates(tg)} == {"Raum 2"}


async def test_a_nul_in_a_value_is_never_stored(tg: Conversation) -> None:
    dates, _post = await _fortnightly(tg)
    confirm = await _change(tg, dates[0].id, "Ort", "Raum\x003")
    shown = _mine(await tg.press(ADA, confirm, "Nur diesen Termin"))
    await tg.press(ADA, shown, "Ja, ändern")
    assert all("\x00" not in d.place for d in await _dates(tg))


async def test_unknown_number_member_and_forged_button(tg: Conversation) -> None:
    dates, _post = await _fortnightly(tg)
    [unknown] = await tg.say(ADA, "/aendern 999")
    assert unknown.text.startswith("Einen Termin mit der Nummer 999 gibt es nicht.")
    shown = await tg.say(ERIKA, f"/aendern {dates[0].id}")
    assert "Was möchten Sie ändern?" not in " ".join(s.text for s in shown)
    # A button of an earlier question, pressed after the dialog was stopped.
    asked = _mine(await tg.say(ADA, f"/aendern {dates[0].id}"))
    await tg.say(ADA, "abbrechen")
    [gone] = await tg.press(ADA, asked, "Ort")
    assert gone.text == "Diese Frage ist nicht mehr offen. Ich habe nichts geändert."
    assert {d.place for d in await _dates(tg)} == {"Raum 2"}


async def test_typed_numbers_answer_in_the_group_too(tg: Conversation) -> None:
    dates, _post = await _fortnightly(tg)
    group = tg.group(GROUP)
    for text, expected in (
        (f"/aendern {dates[0].id}", "Was möchten Sie ändern?"),
        ("3", "Wo findet der Termin jetzt statt?"),
        ("Raum 4", "Nur diesen Termin oder alle ab diesem Termin?"),
        ("1", "Soll ich das so ändern?"),
        # In a group "ja" answers the date's post; "1" answers the open question.
        ("1", "Geändert: Handy-Treff"),
    ):
        shown = await tg.say(ADA, text, chat=group)
        assert any(expected in s.text for s in shown), (text, [s.text for s in shown])
    assert [d.place for d in await _dates(tg)][:2] == ["Raum 4", "Raum 2"]
