"""Dates from staff's dialog to sign-up, waiting list, move, skip and scheduled posts."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import App
from bot.chat.types import ChatRef
from bot.domain.models import Announcement, Event, Rsvp, Series
from tests.fakes.memory import Conversation
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP


async def _create_monthly_cafe(tg: Conversation) -> list[str]:
    """Staff go through the dialog; returns every question text in order."""
    asked = []
    [q] = await tg.say(ADA, "/termin_neu")
    asked.append(q.text)
    for answer in ("Digitalcafé", "jeden 1. Mittwoch 15 Uhr"):
        [q] = await tg.say(ADA, answer)
        asked.append(q.text)
    [q] = await tg.press(ADA, q, "Fortlaufend")
    asked.append(q.text)
    [q] = await tg.say(ADA, "Stadtbibliothek, Markt 1")
    asked.append(q.text)
    [q] = await tg.press(ADA, q, "Überspringen")
    asked.append(q.text)
    [q] = await tg.say(ADA, "Fotos vom Handy schicken")
    asked.append(q.text)
    [q] = await tg.say(ADA, "15")
    asked.append(q.text)
    [q] = await tg.say(ADA, "Frau Meier, Telefon 04542 1234")
    asked.append(q.text)
    [q] = await tg.press(ADA, q, "Bis zum Beginn")
    asked.append(q.text)
    [q] = await tg.press(ADA, q, "Überspringen")
    asked.append(q.text)
    shown = await tg.press(ADA, q, "Speichern und jetzt ankündigen")
    asked += [s.text for s in shown]
    return asked


async def _events(app: App) -> list[Event]:
    async with app.sessions() as session:
        return list((await session.scalars(select(Event).order_by(Event.starts_at))).all())


async def test_monthly_cafe_from_dialog_to_holiday(tg: Conversation) -> None:
    app = tg.app
    asked = await _create_monthly_cafe(tg)
    assert asked[0] == "Wie heißt der Termin? Zum Beispiel: Digitalcafé"
    assert asked[-1].startswith("Gespeichert: Digitalcafé.")
    preview = next(text for text in asked if text.startswith("So sehen es die Mitglieder:"))
    assert "Mittwoch, 2. Dezember 2026, 15:00 Uhr" in preview
    assert "Tipps für einfache Sprache" not in preview  # our template passes the check

    events = [e for e in await _events(app) if e.series_id is not None and e.occurrence]
    first, second = events[0], events[1]
    async with app.sessions() as session:
        series_row = await session.get(Series, first.series_id)
    assert series_row is not None and series_row.rrule == "FREQ=MONTHLY;BYDAY=+1WE"
    assert first.capacity == 15 and first.place == "Stadtbibliothek, Markt 1"

    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    assert "Noch 15 von 15 Plätzen frei." in post.text
    assert "Fragen? Frau Meier, Telefon 04542 1234" in post.text

    # 18 people sign up in the group; the first brings a companion.
    people = [Someone(str(100 + n), f"Person {n}") for n in range(18)]
    [how_many] = await tg.press(people[0], post, "Ich komme mit Begleitung", chat=tg.group(GROUP))
    # The follow-up question is asked privately: nobody else can answer it.
    assert how_many.chat_id == "100"
    assert how_many.text.startswith("Wie viele Personen bringen Sie mit?")
    [confirmed] = await tg.say(people[0], "1", chat=ChatRef("telegram", "100", "direct"))
    assert confirmed.chat_id == "100"
    assert confirmed.text.startswith("Sie sind angemeldet, mit 1 Begleitperson.")
    answers = {}
    for person in people[1:]:
        [answers[person.user_id]] = await tg.press(person, post, "Ich komme", chat=tg.group(GROUP))
    waiting = [uid for uid, shown in answers.items() if "Warteliste" in shown.text]
    assert waiting == ["114", "115", "116", "117"]
    assert answers["115"].text.splitlines()[1] == "Sie sind Nummer 2 auf der Warteliste."
    full = tg.adapter.current(post.message_id)
    assert full.text.splitlines()[-3:] == [
        "Alle Plätze sind vergeben. 4 Personen stehen auf der Warteliste.",
        "Fragen? Frau Meier, Telefon 04542 1234",
        "Tippen Sie auf „Auf die Warteliste“.",
    ]
    assert [label for label, _key in full.buttons] == [
        "Auf die Warteliste",
        "Mit Begleitung auf die Warteliste",
        "Ich kann nicht",
    ]

    # Two cancel; the first two waiting move up and are told.
    await tg.say(people[3], "/abmelden")
    await tg.say(people[5], "/abmelden")
    told = [s for s in tg.adapter.shown if s.text.startswith("Gute Nachricht")]
    assert sorted(s.chat_id.removeprefix("dm-") for s in told) == ["114", "115"]
    *_, your_place = await tg.say(people[16], "/termine")
    assert "Sie sind Nummer 1 auf der Warteliste." in your_place.text

    # The date moves by one hour: everyone with a place or on the waiting list hears it.
    before = len(tg.adapter.shown)
    shown = await tg.say(ADA, f"/verschieben {first.id}; 16 Uhr")
    [done] = [s for s in shown if s.chat_id == "dm-1"]
    assert done.text.startswith("Der Termin ist verschoben.")
    assert done.text.splitlines()[1] == "16 Personen haben eine persönliche Nachricht bekommen."
    notices = [s for s in tg.adapter.shown[before:] if s.text.startswith("Bitte beachten Sie")]
    # Each in their private chat ("dm-…" where they wrote to the bot themselves).
    assert sorted(s.chat_id.removeprefix("dm-") for s in notices) == sorted(
        p.user_id for p in people if p.user_id not in ("103", "105")
    )
    assert "Bisher: Mittwoch, 2. Dezember 2026, 15:00 Uhr" in notices[0].text
    assert "Neu: Mittwoch, 2. Dezember 2026, 16:00 Uhr" in notices[0].text

    # The January date falls on a holiday and is skipped; it is not made again.
    [asked] = [s for s in await tg.say(ADA, f"/ausfallen {second.id}") if s.chat_id == "dm-1"]
    assert asked.text.startswith("Soll dieser Termin ausfallen?")
    [skipped] = [
        s for s in await tg.press(ADA, asked, "Ja, ausfallen lassen") if s.chat_id == "dm-1"
    ]
    assert skipped.text.startswith("Der Termin fällt aus.\n")
    await app.scheduler.extend_series(force=True)
    january = [e for e in await _events(app) if e.occurrence == second.occurrence]
    assert [e.status for e in january] == ["cancelled"]
    async with app.sessions() as session:
        series_row = await session.get(Series, first.series_id)
        seats = (
            await session.execute(
                select(Rsvp.status, Rsvp.party_size).where(Rsvp.event_id == first.id)
            )
        ).all()
    assert series_row is not None and series_row.exdates == ["2027-01-06"]
    assert sum(size for status, size in seats if status == "yes") == 15


async def test_scheduled_posts_come_at_their_time_and_only_once(tg: Conversation) -> None:
    app = tg.app
    [q] = await tg.say(ADA, "/termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; 10")
    assert q.text.startswith("So sehen es die Mitglieder:")
    await tg.press(ADA, q, "Speichern")
    async with app.sessions() as session:
        due = sorted(
            (a.kind, a.due_at) for a in (await session.scalars(select(Announcement))).all()
        )
    event = next(e for e in await _events(app) if e.title == "Sprechstunde")
    assert [kind for kind, _ in due] == ["event", "event_again"]
    assert due[0][1] == event.starts_at - timedelta(days=7)
    await app.scheduler.run_due()
    assert not [s for s in tg.adapter.to(GROUP) if "Sprechstunde" in s.text]
    app.clock.set(event.starts_at - timedelta(days=7))  # type: ignore[attr-defined]
    await app.scheduler.run_due()
    await app.scheduler.run_due()
    await tg.flush()
    posts = [s for s in tg.adapter.to(GROUP) if s.text.startswith("Sprechstunde")]
    assert len(posts) == 1 and "Rathaus" in posts[0].text


async def test_staff_text_gets_plain_language_tips(tg: Conversation) -> None:
    await tg.say(ADA, "/ankuendigung_neu")
    [tips] = await tg.say(ADA, "Das Meeting findet im Rahmen des Events statt, RSVP per Link.")
    assert tips.text.startswith("Tipps für einfache Sprache:")
    assert re.search(r"Meeting", tips.text) and "Treffen" in tips.text
    [when] = await tg.press(ADA, tips, "So verwenden")
    assert when.text.startswith("Wann soll es geschickt werden?")
    [where] = await tg.say(ADA, "jeden Montag 9 Uhr")
    [saved] = await tg.press(ADA, where, "Alle Gruppen")
    assert saved.text.startswith("Gespeichert. Es wird regelmäßig geschickt")


async def test_counts_of_one_read_right(tg: Conversation) -> None:
    """#18: "An 1 Chats geschickt", "1 Personen haben …" — counts use the plural forms."""
    [preview] = await tg.say(ADA, "/termin_neu Sprechstunde; 9.12. 15 Uhr; Rathaus; 5")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    await tg.press(Someone("100", "Anna"), post, "Ich komme", chat=tg.group(GROUP))
    [event] = [e for e in await _events(tg.app) if e.title == "Sprechstunde"]
    shown = await tg.say(ADA, f"/ankuendigen {event.id}")
    assert [s.text for s in shown if s.chat_id == "dm-1"] == ["An 1 Chat geschickt."]
    [asked] = [s for s in await tg.say(ADA, f"/absagen {event.id}") if s.chat_id == "dm-1"]
    assert "1 Person ist angemeldet oder wartet. Sie bekommt eine Nachricht." in asked.text
    [done] = [s for s in await tg.press(ADA, asked, "Ja, absagen") if s.chat_id == "dm-1"]
    assert done.text.splitlines()[:2] == [
        "Der Termin ist abgesagt.",
        "1 Person hat eine persönliche Nachricht bekommen.",
    ]


async def test_english_texts_name_english_words(tg: Conversation) -> None:
    """#18: the English catalog said "Or write: abbrechen"; English readers write "cancel"."""
    [question] = await tg.say(ADA, "/sprache")
    await tg.press(ADA, question, "English")
    [preview] = await tg.say(ADA, "/termin_neu Sprechstunde; 9.12. 15 Uhr; Rathaus; 5")
    assert preview.buttons
    [again] = await tg.say(ADA, "hello")
    assert again.text == 'Please tap "Save". Or write: cancel'
    [stopped] = await tg.say(ADA, "cancel")
    assert stopped.text == "All right, I have stopped. Nothing was changed."
