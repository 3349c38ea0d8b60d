"""At the door and afterwards: attendance by staff and by the people themselves, no-shows,
the feedback question with one nudge, and thanks to helpers with their milestones."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.chat.types import ChatRef
from bot.domain.models import Account, Attendance, Event, EventHelper, Feedback, Rsvp
from tests.fakes.memory import Conversation, Shown
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP
from tests.pdfs import text_of

ANNA, BERT, CARL = Someone("100", "Anna"), Someone("101", "Bert"), Someone("102", "Carl")
DORA = Someone("103", "Dora")  # comes without signing up
START = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
END = START + timedelta(hours=2)


def private(person: Someone) -> ChatRef:
    """Telegram's private chat: its id is the user id."""
    return ChatRef("telegram", person.user_id, "direct")


async def _date(tg: Conversation) -> Event:
    """Digitalcafé on 9 December, 15–17 Uhr; Anna, Bert and Carl signed up."""
    [preview] = await tg.say(ADA, "/termin_neu Digitalcafé; 9.12. 15–17 Uhr; Stadtbibliothek; 10")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    for person in (ANNA, BERT, CARL):
        await tg.press(person, post, "Ich komme", chat=tg.group(GROUP))
    async with tg.app.sessions() as session:
        event = await session.scalar(
            select(Event).where(Event.title == "Digitalcafé", Event.place == "Stadtbibliothek")
        )
    assert event is not None
    return event


async def _at(tg: Conversation, moment: datetime) -> list[Shown]:
    tg.app.clock.set(moment)  # type: ignore[attr-defined]
    await tg.app.scheduler.run_due()
    return await tg.flush()


async def test_attendance_list_guests_and_self_check_in(tg: Conversation) -> None:
    event = await _date(tg)
    tg.app.clock.set(START - timedelta(minutes=10))  # type: ignore[attr-defined]
    [listing] = await tg.say(ADA, "/anwesenheit")
    assert listing.chat_id == "dm-1"
    assert (
        listing.text.splitlines()[0]
        == "Digitalcafé, Mittwoch, 9. Dezember 2026, 15:00 bis 17:00 Uhr"
    )
    assert [label for label, _ in listing.buttons] == [
        "⬜ Anna",
        "⬜ Bert",
        "⬜ Carl",
        "Alle anwesend",
        "Gast dazu",
        "Fertig",
    ]
    # Anna is there: her button shows it, in the same message.
    await tg.press(ADA, listing, "⬜ Anna")
    now_shown = tg.adapter.current(listing.message_id)
    assert [label for label, _ in now_shown.buttons][:3] == ["✅ Anna", "⬜ Bert", "⬜ Carl"]
    assert "Angemeldet: 3, davon da: 1. Gäste: 0." in now_shown.text
    # A guest by name, and two only counted.
    [ask] = await tg.press(ADA, now_shown, "Gast dazu")
    assert ask.text.startswith("Wie heißt der Gast?")
    [added] = await tg.say(ADA, "=Dora Gast")
    assert added.text == "Eingetragen: =Dora Gast"
    await tg.press(ADA, tg.adapter.current(listing.message_id), "Gast dazu")
    [counted] = await tg.say(ADA, "2")
    assert counted.text == "Gezählt: 2 Gäste mehr."
    assert "Gäste: 3." in tg.adapter.current_text(listing.message_id)
    # Bert checks himself in with the number shown at the venue.
    [qr, sheet] = await tg.say(ADA, f"/qr {event.id}")
    code = re.search(r"/hier (\d{5})", qr.text).group(1)  # type: ignore[union-attr]
    assert qr.attachment is not None and qr.attachment.data.startswith(b"\x89PNG")
    # The A5 sheet for the door: the question, the date, the code to type.
    assert sheet.text == "Für die Tür: das Blatt zum Ausdrucken (A5)."
    assert sheet.attachment is not None and sheet.attachment.mime_type == "application/pdf"
    words = text_of(sheet.attachment.data)
    assert "Sind Sie da?" in words and f"/hier {code}" in words
    assert "Digitalcafé" in words
    [welcome] = await tg.say(BERT, f"/hier {code}")
    assert welcome.text.splitlines() == [
        "Willkommen! Schön, dass Sie da sind.",
        "Sie sind eingetragen: Digitalcafé.",
    ]
    [again] = await tg.say(BERT, f"/hier {code}")
    assert again.text == "Sie sind schon eingetragen. Viel Freude!"
    [wrong] = await tg.say(CARL, "/hier 00000")
    assert wrong.text.startswith("Diese Nummer passt heute zu keinem Termin.")
    # Dora scans the QR code instead: Telegram opens the bot with /start hier_<code>.
    [scanned] = await tg.say(DORA, f"/start hier_{code}")
    assert scanned.text.startswith("Willkommen!")
    [done] = await tg.press(ADA, tg.adapter.current(listing.message_id), "Fertig")
    assert done.text == "Angemeldet: 3, davon da: 2. Gäste: 4.\nDanke!"
    # Members cannot open the list; the code does not work the next day.
    [refused] = await tg.say(ANNA, "/anwesenheit", chat=tg.group(GROUP))
    assert refused.text == "Das dürfen hier leider nur die Verantwortlichen."
    tg.app.clock.set(START + timedelta(days=1))  # type: ignore[attr-defined]
    [late] = await tg.say(CARL, f"/hier {code}")
    assert late.text.startswith("Diese Nummer passt heute zu keinem Termin.")
    async with tg.app.sessions() as session:
        hows = sorted((await session.scalars(select(Attendance.how))).all())
    assert hows == ["guest", "self", "self", "staff"]


async def test_after_the_date_no_shows_feedback_nudge_and_thanks(tg: Conversation) -> None:
    event = await _date(tg)
    tg.app.clock.set(START)  # type: ignore[attr-defined]
    [listing] = await tg.say(ADA, f"/anwesenheit {event.id}")
    await tg.press(ADA, listing, "⬜ Anna")
    await tg.press(ADA, tg.adapter.current(listing.message_id), "⬜ Bert")
    # Nothing before the end; 30 minutes after it, the question goes to who came.
    assert [s for s in await _at(tg, END) if s.text.startswith("Danke, dass Sie")] == []
    shown = await _at(tg, END + timedelta(minutes=30))
    asked = {s.chat_id: s for s in shown if "Wie war es?" in s.text}
    assert sorted(asked) == ["100", "101"]  # not Carl, who did not come
    anna = asked["100"]
    assert anna.text == (
        "Danke, dass Sie da waren: Digitalcafé.\nWie war es? Bitte tippen Sie auf ein Gesicht."
    )
    assert [label for label, _ in anna.buttons] == [
        "😀 Sehr gut",
        "🙂 Gut",
        "😐 Es geht",
        "🙁 Nicht so gut",
        "😞 Schlecht",
    ]
    [thanks] = [s for s in shown if s.chat_id == "dm-1"]
    assert thanks.text == ("Danke für Ihre Hilfe heute: Digitalcafé. Schön, dass Sie dabei sind!")
    # Anna answers: a face, a comment, a topic wish; then a thank-you.
    [more] = await tg.press(ANNA, anna, "😀 Sehr gut", chat=private(ANNA))
    assert more.text.startswith("Möchten Sie noch etwas sagen?")
    [wish] = await tg.say(ANNA, "Sehr geduldig erklärt!", chat=private(ANNA))
    assert wish.text.startswith("Worüber möchten Sie beim nächsten Mal sprechen?")
    [bye] = await tg.say(ANNA, "nein", chat=private(ANNA))
    assert bye.text == "Vielen Dank! Das hilft uns sehr. Bis zum nächsten Mal."
    # Bert does not answer: one nudge the next day, and never another.
    shown = await _at(tg, END + timedelta(days=1, minutes=30))
    assert [s.chat_id for s in shown if "Wie war es?" in s.text] == ["101"]
    assert [s for s in await _at(tg, END + timedelta(days=5)) if "Wie war es?" in s.text] == []
    # A forged rating (someone not asked) changes nothing.
    forged = Shown(
        chat_id="102", text="", buttons=anna.buttons, rendered="", delivery_id=0, dedup_key=""
    )
    [note] = await tg.press(CARL, forged, "😀 Sehr gut", chat=private(CARL))
    assert note.text.startswith("Dieser Knopf geht nicht mehr.")
    async with tg.app.sessions() as session:
        rows = {
            (r.person_id, r.rating, r.comment, r.wish)
            for r in (await session.scalars(select(Feedback))).all()
        }
        attended = dict((await session.execute(select(Rsvp.person_id, Rsvp.attended))).all())
        status = await session.scalar(select(Event.status).where(Event.id == event.id))
    assert {(rating, comment, wish) for _, rating, comment, wish in rows} == {
        (5, "Sehr geduldig erklärt!", ""),
        (None, "", ""),
    }
    assert sorted(attended.values(), key=str) == [False, True, True]
    assert status == "done"


async def test_the_tenth_date_served_gets_a_special_thank_you(tg: Conversation) -> None:
    event = await _date(tg)
    async with tg.app.sessions() as session:
        # Ada helped at nine earlier dates.
        earlier = [
            Event(
                community_id=event.community_id,
                title="Digitalcafé",
                starts_at=START - timedelta(weeks=n),
            )
            for n in range(1, 10)
        ]
        session.add_all(earlier)
        await session.flush()
        ada_id = await session.scalar(select(Account.person_id).where(Account.external_id == "1"))
        session.add_all(EventHelper(event_id=e.id, person_id=ada_id) for e in earlier)
        await session.commit()
    tg.app.clock.set(START)  # type: ignore[attr-defined]
    await tg.say(ADA, f"/anwesenheit {event.id}")
    shown = await _at(tg, END + timedelta(minutes=30))
    [thanks] = [s for s in shown if s.chat_id == "dm-1"]
    assert thanks.text.splitlines()[1] == "Das war schon Ihr 10. Termin. Vielen Dank für Ihre Zeit!"
