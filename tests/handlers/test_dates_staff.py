"""Staff's side of dates: courses, phone sign-ups and the list, scheduled announcements,
the notice-board poster, the sign-up deadline and the post the day before."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.models import Event, Rsvp
from tests.fakes.memory import Conversation, Shown
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP
from tests.pdfs import text_of

ERIKA = Someone("300", "Erika")
OTTO = Someone("301", "Otto")


async def _dates(tg: Conversation, title: str) -> list[Event]:
    async with tg.app.sessions() as session:
        query = select(Event).where(Event.title == title).order_by(Event.starts_at)
        return list((await session.scalars(query)).all())


async def _one_date(tg: Conversation, line: str) -> tuple[Event, Shown]:
    """Create with the one-line form, post now; returns the date and the group's post."""
    [preview] = await tg.say(ADA, f"/termin_neu {line}")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [event] = await _dates(tg, line.split(";")[0])
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons and event.title in s.text]
    return event, post


async def test_a_course_is_one_sign_up_for_all_its_dates(tg: Conversation) -> None:
    [q] = await tg.say(ADA, "/termin_neu")
    for answer in ("Smartphone-Kurs", "jeden Dienstag 10 Uhr"):
        [q] = await tg.say(ADA, answer)
    assert q.text.startswith("Ist es ein Kurs mit einer festen Zahl von Terminen?")
    for answer in ("4", "Rathaus, Saal 1"):
        [q] = await tg.say(ADA, answer)
    [q] = await tg.press(ADA, q, "Überspringen")  # no online address
    [q] = await tg.say(ADA, "Das eigene Handy kennenlernen")
    [q] = await tg.say(ADA, "1")
    [q] = await tg.press(ADA, q, "Überspringen")  # contact
    [q] = await tg.press(ADA, q, "Bis zum Beginn")
    [q] = await tg.press(ADA, q, "Überspringen")  # bring
    assert "Ein Kurs mit 4 Terminen" in q.text
    await tg.press(ADA, q, "Speichern und jetzt ankündigen")
    dates = await _dates(tg, "Smartphone-Kurs")
    assert len(dates) == 4
    assert [d.starts_at - dates[0].starts_at for d in dates] == [
        timedelta(weeks=n) for n in range(4)
    ]
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons and "Smartphone-Kurs" in s.text]

    [yes] = await tg.press(ERIKA, post, "Ich komme", chat=tg.group(GROUP))
    assert yes.text.startswith("Sie sind angemeldet.")
    [full] = await tg.press(OTTO, post, "Ich komme", chat=tg.group(GROUP))
    assert "Sie sind Nummer 1 auf der Warteliste." in full.text
    async with tg.app.sessions() as session:
        rows = (await session.execute(select(Rsvp.event_id, Rsvp.status))).all()
    assert sorted(rows) == sorted(
        [(d.id, "yes") for d in dates] + [(d.id, "waitlist") for d in dates]
    )

    # Erika gives up the course: Otto gets the place on every date, told once.
    shown = await tg.say(ERIKA, "/abmelden")
    moved = [s for s in shown if s.text.startswith("Gute Nachricht")]
    assert [s.chat_id for s in moved] == ["301"]
    async with tg.app.sessions() as session:
        seated = (
            await session.execute(select(Rsvp.event_id, Rsvp.status).where(Rsvp.status == "yes"))
        ).all()
    assert sorted(seated) == [(d.id, "yes") for d in dates]


async def test_staff_sign_up_a_caller_and_see_the_list(tg: Conversation) -> None:
    event, post = await _one_date(tg, "Sprechstunde; 9.12. 10 Uhr; Rathaus; 3")
    [done] = await tg.say(ADA, f"/anmelden_fuer {event.id}; =Erika Muster; 04542 1234; 2")
    assert done.text == "=Erika Muster ist angemeldet."
    [waiting] = await tg.say(ADA, f"/anmelden_fuer {event.id}; Hans Alt; ; 2")
    assert waiting.text == "Hans Alt ist Nummer 1 auf der Warteliste."
    [bad] = await tg.say(ADA, f"/anmelden_fuer {event.id}; Hans Alt; ; 9")
    assert bad.text == "Bitte geben Sie die Zahl der Personen an, von 1 bis 5."
    [wrong] = await tg.say(ADA, "/anmelden_fuer 999; Hans Alt")
    assert wrong.text.startswith("Einen Termin mit der Nummer 999 gibt es nicht.")
    # Names only in staff's private chat; the group's post shows the count.
    [listing] = await tg.say(ADA, f"/teilnehmer {event.id}")
    assert listing.text.splitlines()[2:] == [
        "Belegte Plätze: 2 von 3",
        "",
        "Angemeldet:",
        "1. =Erika Muster, mit 1 Begleitperson, Telefon 04542 1234",
        "",
        "Warteliste:",
        "1. Hans Alt, mit 1 Begleitperson",
    ]
    [elsewhere] = await tg.say(ADA, f"/teilnehmer {event.id}", chat=tg.group(GROUP))
    assert elsewhere.text == "Bitte schreiben Sie mir das in einem privaten Chat."
    assert "Noch 1 von 3 Plätzen frei." in tg.adapter.current_text(post.message_id)
    # Members may not do it.
    [refused] = await tg.say(ERIKA, f"/anmelden_fuer {event.id}; Eve", chat=tg.group(GROUP))
    assert refused.text == "Das dürfen hier leider nur die Verantwortlichen."


async def test_sign_up_closes_politely_at_the_deadline(tg: Conversation) -> None:
    [q] = await tg.say(ADA, "/termin_neu")
    for answer in ("Sprechstunde", "9.12. 10 Uhr", "Rathaus"):
        [q] = await tg.say(ADA, answer)
    [q] = await tg.press(ADA, q, "Überspringen")  # online
    [q] = await tg.press(ADA, q, "Überspringen")  # topic
    [q] = await tg.say(ADA, "10")
    [q] = await tg.press(ADA, q, "Überspringen")  # contact
    [q] = await tg.press(ADA, q, "1 Tag vorher")
    [q] = await tg.press(ADA, q, "Überspringen")  # bring
    assert "Bitte melden Sie sich an bis Dienstag, 8. Dezember 2026, 10:00 Uhr." in q.text
    await tg.press(ADA, q, "Speichern und jetzt ankündigen")
    [event] = await _dates(tg, "Sprechstunde")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    tg.app.clock.set(event.starts_at - timedelta(hours=2))  # type: ignore[attr-defined]
    [closed] = await tg.press(ERIKA, post, "Ich komme", chat=tg.group(GROUP))
    assert closed.chat_id == "300"  # privately: Telegram's private chat is the user id
    assert closed.text == "Die Anmeldung für diesen Termin ist leider geschlossen."
    async with tg.app.sessions() as session:
        assert (await session.scalars(select(Rsvp))).all() == []


async def test_the_day_before_post_only_while_places_are_free(tg: Conversation) -> None:
    app = tg.app
    for line in ("Sprechstunde; 10.12. 10 Uhr; Rathaus; 1", "Fotokurs; 10.12. 14 Uhr; Rathaus; 1"):
        [preview] = await tg.say(ADA, f"/termin_neu {line}")
        await tg.press(ADA, preview, "Speichern")
    [full] = await _dates(tg, "Sprechstunde")
    [free] = await _dates(tg, "Fotokurs")
    await tg.say(ADA, f"/anmelden_fuer {full.id}; Hans Alt")

    def posts() -> list[str]:
        return [s.text.splitlines()[0] for s in tg.adapter.to(GROUP) if s.buttons]

    app.clock.set(free.starts_at - timedelta(days=7))  # type: ignore[attr-defined]
    await app.scheduler.run_due()
    await tg.flush()
    assert posts() == ["Sprechstunde", "Fotokurs"]  # a week before: both
    app.clock.set(free.starts_at - timedelta(hours=23))  # type: ignore[attr-defined]
    await app.scheduler.run_due()
    await tg.flush()
    assert posts() == ["Sprechstunde", "Fotokurs", "Fotokurs"]  # the day before: free only


async def test_a_late_date_is_posted_once_not_twice(tg: Conversation) -> None:
    app = tg.app
    [preview] = await tg.say(ADA, "/termin_neu Sprechstunde; morgen 10 Uhr; Rathaus; 5")
    await tg.press(ADA, preview, "Speichern")
    await app.scheduler.run_due()
    await tg.flush()
    # Both the week's and the day's post are due at once: one post is enough.
    assert [s.text.splitlines()[0] for s in tg.adapter.to(GROUP) if s.buttons] == ["Sprechstunde"]


async def test_scheduled_announcements_are_listed_moved_and_cancelled(tg: Conversation) -> None:
    await tg.say(ADA, "/ankuendigung_neu")
    [tips] = await tg.say(ADA, "Am Montag, 7. Dezember, ist die Bibliothek geschlossen.")
    assert "Uhrzeit" in tips.text  # a tip only: staff may use it as it is
    [when] = await tg.press(ADA, tips, "So verwenden")
    assert when.text.startswith("Wann soll es geschickt werden?")
    [where] = await tg.say(ADA, "5.12. 9 Uhr")
    [saved] = await tg.press(ADA, where, "Alle Gruppen")
    assert saved.text.startswith("Gespeichert. Es wird geschickt am Samstag, 5. Dezember 2026")
    [listing] = await tg.say(ADA, "/ankuendigungen")
    assert "Am Montag, 7. Dezember, ist die Bibliothek geschlossen." in listing.text
    [ask] = await tg.press(ADA, listing, "1: neue Zeit")
    assert ask.text == "Wann soll es stattdessen geschickt werden?"
    [moved] = await tg.say(ADA, "4.12. 9 Uhr")
    assert moved.text.startswith("Geändert. Es wird geschickt am Freitag, 4. Dezember 2026")
    [listing] = await tg.say(ADA, "/ankuendigungen")
    [gone] = await tg.press(ADA, listing, "1: absagen")
    assert gone.text == "Abgesagt. Es wird nicht geschickt."
    tg.app.clock.advance(days=30)  # type: ignore[attr-defined]
    await tg.app.scheduler.run_due()
    await tg.flush()
    assert not [s for s in tg.adapter.to(GROUP) if "Bibliothek geschlossen" in s.text]
    [empty] = await tg.say(ADA, "/ankuendigungen")
    assert empty.text == "Es sind keine Ankündigungen geplant."


async def test_poster_for_the_notice_board(tg: Conversation) -> None:
    event, _ = await _one_date(tg, "Sprechstunde; 9.12. 10 Uhr; Rathaus; 3")
    [poster] = await tg.say(ADA, f"/aushang {event.id}")
    assert poster.chat_id == "dm-1"
    assert poster.text == "Hier ist der Aushang zum Ausdrucken."
    assert poster.attachment is not None and poster.attachment.data.startswith(b"%PDF")
    assert poster.attachment.filename == "aushang-2026-12-09.pdf"
    # The poster names the app and the group where people sign up.
    assert "Anmelden: in Telegram, Gruppe »Digitalcafé«" in text_of(poster.attachment.data)
    [members] = await tg.say(ERIKA, f"/aushang {event.id}")
    assert members.attachment is None


async def _status(tg: Conversation, event: Event) -> str:
    async with tg.app.sessions() as session:
        found = await session.get(Event, event.id)
    assert found is not None
    return found.status


async def test_calling_off_asks_first_and_only_yes_acts(tg: Conversation) -> None:
    event, post = await _one_date(tg, "Sprechstunde; 9.12. 10 Uhr; Rathaus, Saal 1; 3")
    for person in (ERIKA, OTTO):
        await tg.press(person, post, "Ich komme", chat=tg.group(GROUP))
    [asked] = await tg.say(ADA, f"/absagen {event.id}")
    assert asked.text.splitlines() == [
        "Soll ich diesen Termin absagen?",
        "",
        "Sprechstunde",
        "Mittwoch, 9. Dezember 2026, 10:00 Uhr",
        "Ort: Rathaus, Saal 1",
        "",
        "2 Personen sind angemeldet oder warten. Sie bekommen eine Nachricht.",
    ]
    assert [label for label, _ in asked.buttons] == ["Ja, absagen", "Nein"]
    assert await _status(tg, event) == "scheduled"  # asking changes nothing
    [kept] = await tg.press(ADA, asked, "Nein")
    assert kept.text == "In Ordnung. Der Termin bleibt, wie er ist."
    assert await _status(tg, event) == "scheduled"
    [again] = await tg.press(ADA, asked, "Ja, absagen")  # the old question, answered "Nein"
    assert again.text == "Diese Frage ist nicht mehr offen. Ich habe nichts abgesagt."
    assert await _status(tg, event) == "scheduled"

    # Something else typed asks again; "ja" typed acts.
    await tg.say(ADA, f"/absagen {event.id}")
    [unclear] = await tg.say(ADA, "vielleicht")
    assert unclear.text == "Bitte antworten Sie mit 1 (Ja, absagen) oder 2 (Nein)."
    shown = await tg.say(ADA, "ja")
    [done] = [s for s in shown if s.chat_id == "dm-1"]
    assert done.text.startswith("Der Termin ist abgesagt.")
    # Both people privately, and the group where the date was announced.
    told = sorted(s.chat_id for s in shown if s.text.startswith("Leider fällt"))
    assert told == ["-10", "300", "301"]
    assert await _status(tg, event) == "cancelled"


async def test_a_stale_confirmation_acts_on_nothing(tg: Conversation) -> None:
    event, _post = await _one_date(tg, "Sprechstunde; 9.12. 10 Uhr; Rathaus; 3")
    [private] = await tg.say(ADA, f"/absagen {event.id}")
    assert (
        "Niemand ist angemeldet. Wo der Termin angekündigt wurde, schreibe ich, dass er ausfällt."
        in private.text
    )
    # Meanwhile, in the group, the date is moved: the private "Ja" finds another date.
    await tg.say(ADA, f"/verschieben {event.id}; 11 Uhr", chat=tg.group(GROUP))
    [changed] = await tg.press(ADA, private, "Ja, absagen")
    assert changed.text.startswith(
        "Der Termin wurde nach meiner Frage geändert. Ich habe nichts abgesagt."
    )
    assert await _status(tg, event) == "changed"  # moved, not cancelled

    # Asked in both chats, confirmed in the group (typed 1): the private "Ja" is stale.
    [private] = await tg.say(ADA, f"/absagen {event.id}")
    await tg.say(ADA, f"/absagen {event.id}", chat=tg.group(GROUP))
    shown = await tg.say(ADA, "1", chat=tg.group(GROUP))
    assert any(s.text.startswith("Der Termin ist abgesagt.") for s in shown)
    [already] = await tg.press(ADA, private, "Ja, absagen")
    assert already.text == "Dieser Termin ist schon abgesagt. Ich habe nichts geändert."
    [asked_again] = await tg.say(ADA, f"/absagen {event.id}")
    assert asked_again.text == "Dieser Termin ist schon abgesagt. Ich habe nichts geändert."


async def test_skipping_one_date_of_a_series_asks_first(tg: Conversation) -> None:
    [q] = await tg.say(ADA, "/termin_neu Digitalcafé; jeden Mittwoch 15 Uhr; Bibliothek; 10")
    await tg.press(ADA, q, "Speichern und jetzt ankündigen")
    first, second, *_ = await _dates(tg, "Digitalcafé")
    [asked] = await tg.say(ADA, f"/ausfallen {second.id}")
    assert asked.text.startswith("Soll dieser Termin ausfallen?")
    assert "Die anderen Termine der Reihe bleiben." in asked.text
    assert await _status(tg, second) == "scheduled"
    pressed = await tg.press(ADA, asked, "Ja, ausfallen lassen")
    [done] = [s for s in pressed if s.chat_id == "dm-1"]
    assert done.text.startswith("Der Termin fällt aus.")
    assert await _status(tg, second) == "cancelled"
    assert await _status(tg, first) == "scheduled"


INVITATION = (
    "Informations- und Austausch-Veranstaltung für alle Digitallotsen am 24.07. von "
    "17–20 Uhr mit anschließendem Grillen. Anmeldung bis 20.07."
)


def _labels(shown: Shown) -> list[str]:
    return [label for label, _ in shown.buttons]


async def test_a_real_invitation_gets_every_tip_and_goes_out_now(tg: Conversation) -> None:
    [ask] = await tg.say(ADA, "/ankuendigung_neu")
    assert _labels(ask) == ["Abbrechen"]
    [tips] = await tg.say(ADA, INVITATION)
    assert tips.text.startswith("Tipps für einfache Sprache:")
    for tip in (
        '„Austausch-Veranstaltung“: "Austausch-Veranstaltung" ist ein langes Wort.',
        "Hier stehen viele Hauptwörter auf -ung, -heit, -keit oder -tion.",
        "Schreiben Sie den Wochentag dazu",
        "Schreiben Sie Monat und Jahr dazu",
        "„24.07., 20.07.“: Diese Tage sind schon vorbei. Heute ist Freitag, 20. November 2026.",
        "Schreiben Sie den Ort",
    ):
        assert tip in tips.text, tip
    assert _labels(tips) == ["So verwenden", "Abbrechen"]

    # Rewritten: weekday, year and a place written as people write it; no tips left.
    better = (
        "Treffen für alle Digitallotsen\n"
        "Freitag, 4. Dezember 2026, 17 Uhr bis 20 Uhr\n"
        "Im Smart-City-Lab, Markt 1.\n"
        "Danach grillen wir zusammen."
    )
    [when] = await tg.say(ADA, better)
    assert when.text.startswith("Wann soll es geschickt werden?")
    assert _labels(when) == ["Jetzt schicken", "Abbrechen"]
    [where] = await tg.press(ADA, when, "Jetzt schicken")
    assert _labels(where)[0] == "Alle Gruppen" and _labels(where)[-1] == "Abbrechen"
    shown = await tg.press(ADA, where, "Alle Gruppen")
    [sent] = [s for s in shown if s.chat_id == "dm-1"]
    assert sent.text == "Verschickt."
    await tg.flush()
    assert [s.text for s in tg.adapter.to(GROUP) if s.text == better] == [better]
    [empty] = await tg.say(ADA, "/ankuendigungen")
    assert empty.text == "Es sind keine Ankündigungen geplant."


async def test_the_announcement_dialog_can_be_stopped_at_every_step(tg: Conversation) -> None:
    text = "Treffen\nFreitag, 4. Dezember 2026, 17 Uhr\nRathaus, Saal 1"
    await tg.say(ADA, "/ankuendigung_neu")
    [stopped] = await tg.say(ADA, "Abbrechen")
    assert stopped.text == "Gut, ich habe aufgehört. Es wurde nichts geändert."
    [ask] = await tg.say(ADA, "/ankuendigung_neu")
    [stopped] = await tg.press(ADA, ask, "Abbrechen")
    assert stopped.text == "Gut, ich habe aufgehört. Es wurde nichts geändert."
    [tips] = await tg.say(ADA, f"/ankuendigung_neu {INVITATION}")
    await tg.press(ADA, tips, "Abbrechen")
    [when] = await tg.say(ADA, f"/ankuendigung_neu {text}")
    await tg.press(ADA, when, "Abbrechen")
    [when] = await tg.say(ADA, f"/ankuendigung_neu {text}")
    [where] = await tg.say(ADA, "5.12. 9 Uhr")
    [stopped] = await tg.press(ADA, where, "Abbrechen")
    assert stopped.text == "Gut, ich habe aufgehört. Es wurde nichts geändert."
    [empty] = await tg.say(ADA, "/ankuendigungen")
    assert empty.text == "Es sind keine Ankündigungen geplant."
    # The new-date dialog has its own "Abbrechen" at every step, too.
    [first] = await tg.say(ADA, "/termin_neu")
    assert "Abbrechen" in _labels(first)
    [second] = await tg.say(ADA, "Sprechstunde")
    assert "Abbrechen" in _labels(second)
    [stopped] = await tg.press(ADA, second, "Abbrechen")
    assert stopped.text == "Gut, ich habe aufgehört. Es wurde nichts geändert."


async def _announce(tg: Conversation, text: str, when: str | None) -> str:
    """``/ankuendigung_neu`` with the text, now or at a time, to all groups: the answer."""
    [ask] = await tg.say(ADA, f"/ankuendigung_neu {text}")
    if when is None:
        [where] = await tg.press(ADA, ask, "Jetzt schicken")
    else:
        [where] = await tg.say(ADA, when)
    shown = await tg.press(ADA, where, "Alle Gruppen")
    [answer] = [s for s in shown if s.chat_id == "dm-1"]
    return answer.text


async def test_the_same_announcement_twice_is_posted_once(tg: Conversation) -> None:
    text = "Treffen\nFreitag, 4. Dezember 2026, 17 Uhr\nRathaus, Saal 1"
    assert await _announce(tg, text, None) == "Verschickt."
    tg.app.clock.advance(minutes=3)  # type: ignore[attr-defined]
    assert await _announce(tg, text, None) == (
        "Ich habe diese Ankündigung schon vor ein paar Minuten verschickt. "
        "Ich schicke sie nicht noch einmal."
    )
    await tg.flush()
    assert [s.text for s in tg.adapter.to(GROUP) if s.text == text] == [text]

    # Saved for later twice: once in the list, posted once.
    later = "Kuchen am Freitag, 4. Dezember 2026, 15 Uhr. Rathaus, Saal 1."
    assert (await _announce(tg, later, "4.12. 9 Uhr")).startswith("Gespeichert.")
    again = await _announce(tg, later, "4.12. 9 Uhr")
    assert again.startswith(
        "Diese Ankündigung habe ich schon gespeichert. Sie wird als Nächstes geschickt am "
        "Freitag, 4. Dezember 2026"
    )
    [listing] = await tg.say(ADA, "/ankuendigungen")
    assert listing.text.count("Kuchen am Freitag") == 1

    # Some time later the same text is a new announcement.
    tg.app.clock.advance(minutes=11)  # type: ignore[attr-defined]
    assert await _announce(tg, text, None) == "Verschickt."
    await tg.flush()
    assert [s.text for s in tg.adapter.to(GROUP) if s.text == text] == [text, text]
