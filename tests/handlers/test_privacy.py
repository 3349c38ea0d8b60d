"""Data protection as members see it: the note at first contact with consent, /datenschutz,
/meine_daten, /loeschen with a scan of every table, retention, optional facts, flood."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.bootstrap import build_app, prepare
from bot.chat.types import ChatRef, Incoming
from bot.domain.models import Base, Feedback, Person, Rsvp
from bot.privacy import rights as privacy
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, Shown, telegram_like
from tests.fakes.memory import Person as Someone

ADA = Someone("1", "Ada")
ERIKA = Someone("4711", "Erika Mustermann")
OTTO = Someone("4712", "Otto Wartend")
GROUP = "-10"


@pytest.fixture
async def tg(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    adapter = telegram_like()
    settings = make_settings(
        db_url,
        tmp_path,
        bot={"admins": ["telegram:1"]},
        privacy={"first_contact_note": True, "flood_messages": 20, "flood_seconds": 60},
    )
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    conversation = Conversation(app, adapter)
    await conversation.say(ADA, "/verbinden 1", chat=conversation.group(GROUP))
    await conversation.say(ADA, "/start", chat=conversation.group(GROUP))
    yield conversation
    await app.close()


def private(person: Someone) -> ChatRef:
    return ChatRef("telegram", person.user_id, "direct")


async def test_first_contact_note_consent_and_optional_facts(tg: Conversation) -> None:
    await tg.say(ERIKA, "/start", chat=tg.group(GROUP))
    shown = await tg.say(ERIKA, "/start", chat=private(ERIKA))
    greeting, note = shown
    assert greeting.text.startswith("Hallo Erika Mustermann!")
    assert note.text.startswith("Kurz zum Datenschutz: Ich speichere Ihren Namen aus der App")
    assert [label for label, _ in note.buttons] == ["Einverstanden", "Mehr dazu"]
    # Only once.
    assert len(await tg.say(ERIKA, "/termine", chat=private(ERIKA))) == 1
    [more] = await tg.press(ERIKA, note, "Mehr dazu", chat=private(ERIKA))
    assert more.text.startswith("Datenschutz kurz erklärt:")
    thanks, facts = await tg.press(ERIKA, note, "Einverstanden", chat=private(ERIKA))
    assert thanks.text == "Danke!"
    assert facts.text.startswith("Eine Frage, nur wenn Sie mögen: Wie alt sind Sie ungefähr?")
    [area] = await tg.press(ERIKA, facts, "70 bis 79", chat=private(ERIKA))
    [done] = await tg.say(ERIKA, "Altstadt", chat=private(ERIKA))
    assert done.text.startswith("Danke! Sie können das jederzeit")
    async with tg.app.sessions() as session:
        erika = await session.scalar(select(Person).where(Person.display_name == ERIKA.name))
    assert erika is not None and erika.consent_at is not None
    assert (erika.age_band, erika.area) == ("70-79", "Altstadt")
    assert area.text.startswith("In welchem Ortsteil wohnen Sie?")
    # Agreeing again does not ask again; "Lieber nicht" via /profil removes the facts.
    assert [s.text for s in await tg.press(ERIKA, note, "Einverstanden", chat=private(ERIKA))] == [
        "Danke!"
    ]
    [ask] = await tg.say(ERIKA, "/profil", chat=private(ERIKA))
    [fine] = await tg.press(ERIKA, ask, "Lieber nicht", chat=private(ERIKA))
    assert fine.text == "In Ordnung. Das ist völlig in Ordnung."
    async with tg.app.sessions() as session:
        erika = await session.scalar(select(Person).where(Person.display_name == ERIKA.name))
    assert erika is not None and (erika.age_band, erika.area) == (None, None)


async def test_privacy_text_with_the_communitys_contact(tg: Conversation) -> None:
    saved, note = await tg.say(
        ADA, "/datenschutz_text Frau Schulz, Telefon 04542 99; Die Stadt ist verantwortlich."
    )
    assert note.text.startswith("Kurz zum Datenschutz")  # Ada's first private message
    assert saved.text.startswith("Gespeichert.")
    await tg.say(ERIKA, "/start", chat=tg.group(GROUP))
    shown = await tg.say(ERIKA, "/datenschutz", chat=private(ERIKA))
    assert shown[0].text.startswith("Datenschutz kurz erklärt:")
    assert "Die Stadt ist verantwortlich." in shown[0].text
    assert shown[0].text.endswith("Fragen zum Datenschutz: Frau Schulz, Telefon 04542 99")
    [refused] = await tg.say(ERIKA, "/datenschutz_text Eve; Nichts", chat=tg.group(GROUP))
    assert refused.text == "Das dürfen hier leider nur die Verantwortlichen."


async def _signed_up(tg: Conversation) -> Shown:
    # A question with buttons is open: the privacy note waits for a later message.
    [preview] = await tg.say(ADA, "/termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; 1")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    await tg.press(ERIKA, post, "Ich komme", chat=tg.group(GROUP))
    await tg.press(OTTO, post, "Ich komme", chat=tg.group(GROUP))
    return post


async def test_my_data_and_erasure_leave_no_trace(tg: Conversation) -> None:
    await _signed_up(tg)
    await tg.say(ERIKA, "/hilfe", chat=private(ERIKA))
    [data] = [s for s in await tg.say(ERIKA, "/meine_daten", chat=private(ERIKA)) if s.attachment]
    assert data.text.startswith("Das ist über Sie gespeichert:")
    assert "Anmeldungen: 1" in data.text
    stored = json.loads(data.attachment.data)  # type: ignore[union-attr]
    assert stored["person"]["display_name"] == "Erika Mustermann"
    assert [a["external_id"] for a in stored["accounts"]] == ["4711"]
    assert [r["status"] for r in stored["sign_ups"]] == ["yes"]

    [ask] = await tg.say(ERIKA, "/loeschen", chat=private(ERIKA))
    assert ask.text.startswith("Möchten Sie wirklich, dass ich alles über Sie lösche?")
    [kept] = await tg.press(ERIKA, ask, "Nein, behalten", chat=private(ERIKA))
    assert kept.text == "In Ordnung. Es wurde nichts gelöscht."
    shown = await tg.press(ERIKA, ask, "Ja, alles löschen", chat=private(ERIKA))
    goodbye = [s for s in shown if s.chat_id == "4711"]
    assert goodbye[-1].text.startswith("Erledigt. Ihre Daten sind gelöscht.")
    # Her place went to Otto, who was waiting.
    assert any(s.chat_id == "4712" and s.text.startswith("Gute Nachricht") for s in shown)
    await tg.app.scheduler.run_due()  # removes her chat once the goodbye is out

    hits = []
    async with tg.app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(text(f"SELECT * FROM {table.name}"))).all()
            for row in rows:
                flat = " ".join(str(value) for value in row)
                for needle in ("Erika", "Mustermann", "4711"):
                    # As a word: random ids ("ev-…4711…") are not her number.
                    if re.search(rf"(?<![0-9A-Za-z]){needle}(?![0-9A-Za-z])", flat):
                        hits.append((table.name, needle, flat[:120]))
        seats = (await session.execute(select(Rsvp.status))).scalars().all()
    assert hits == []
    # The counts stay: two sign-ups for the date, Otto's now with a place.
    assert sorted(seats) == ["cancelled", "yes"]
    # Writing again starts afresh, as a new person.
    shown = await tg.say(ERIKA, "/start", chat=private(ERIKA))
    assert shown[0].text.startswith("Hallo Erika Mustermann!")


async def test_retention_removes_old_details_and_keeps_counts(tg: Conversation) -> None:
    app = tg.app
    async with app.sessions.begin() as session:
        erika = Person(display_name="Erika", created_at=app.clock.now())
        session.add(erika)
        await session.flush()
        from bot.domain.models import Event

        event = Event(community_id=1, title="Café", starts_at=app.clock.now())
        session.add(event)
        await session.flush()
        session.add(
            Feedback(
                event_id=event.id,
                person_id=erika.id,
                rating=4,
                comment="Sehr nett, aber zu laut",
                answered_at=app.clock.now(),
            )
        )
    rules = privacy.Retention()
    async with app.sessions.begin() as session:
        assert (await privacy.apply_retention(session, rules, app.clock.now()))[
            "feedback_comments"
        ] == 0
    later = app.clock.now() + timedelta(days=366)
    async with app.sessions.begin() as session:
        removed = await privacy.apply_retention(session, rules, later)
    assert removed["feedback_comments"] == 1
    async with app.sessions() as session:
        row = await session.scalar(select(Feedback))
    assert row is not None and (row.rating, row.comment) == (4, "")


async def test_a_flood_gets_one_note_then_silence(tg: Conversation) -> None:
    await tg.say(ERIKA, "/start", chat=tg.group(GROUP))
    answers = [await tg.say(ERIKA, "/termine", chat=private(ERIKA)) for _ in range(25)]
    notes = [
        s for shown in answers for s in shown if s.text.startswith("Sie schreiben sehr schnell")
    ]
    assert len(notes) == 1
    assert answers[-1] == []


async def test_new_people_writing_at_once_get_each_answer_once_and_one_note(
    tg: Conversation,
) -> None:
    """As in bench/dispatch.py (#22), and more: many first messages at once, each new person
    writing twice in private and once in the group at the same moment (on SQLite grouped
    into one commit; on PostgreSQL the group's and the private chat's first contact race to
    create the person). Every private /start is answered once; every new person is one
    person and gets the note once, in their own private chat and their language."""
    newcomers = [Someone(str(5000 + n), f"Neu {n}", "de" if n % 2 else "en") for n in range(8)]

    def incoming(person: Someone, chat: ChatRef, n: int) -> Incoming:
        event_id = f"at-once-{n}-{person.user_id}"
        return Incoming(chat=chat, sender=person.sender, text="/start", event_id=event_id)

    dispatches = [
        tg.app.dispatch(incoming(person, chat, n))
        for n, chat_of in enumerate((lambda _p: tg.group(GROUP), private, private))
        for person in newcomers
        for chat in (chat_of(person),)
    ]
    assert all(await asyncio.gather(*dispatches))
    shown = await tg.flush()
    for person in newcomers:
        here = [s for s in shown if s.chat_id == person.user_id]
        hello = "Hallo" if person.language == "de" else "Hello"
        assert sum(s.text.startswith(f"{hello} {person.name}!") for s in here) == 2, person
        notes = [s for s in shown if s.dedup_key.startswith("privacy-note:") and s in here]
        assert len(notes) == 1, person
        start = "Kurz zum Datenschutz:" if person.language == "de" else "A short note on data"
        assert notes[0].text.startswith(start)
        assert len(here) == 3
    assert sum(s.dedup_key.startswith("privacy-note:") for s in shown) == len(newcomers)
    async with tg.app.sessions() as session:
        noted = (
            await session.scalars(
                select(Person.privacy_noted_at).where(Person.display_name.startswith("Neu "))
            )
        ).all()
    assert [when is not None for when in noted] == [True] * len(newcomers)


async def test_a_first_private_message_refused_as_a_flood_leaves_the_note_due(
    tg: Conversation,
) -> None:
    """Someone who wrote very fast in the group hears only "please wait" in private: the
    note is not marked as shown, so it comes with the next answered private message."""
    for _ in range(20):
        await tg.say(ERIKA, "/start", chat=tg.group(GROUP))
    [wait] = await tg.say(ERIKA, "/start", chat=private(ERIKA))
    assert wait.text.startswith("Sie schreiben sehr schnell")
    async with tg.app.sessions() as session:
        erika = await session.scalar(select(Person).where(Person.display_name == ERIKA.name))
    assert erika is not None and erika.privacy_noted_at is None


async def test_the_note_that_follows_a_language_choice_is_in_that_language(
    tg: Conversation,
) -> None:
    """The first private message is /sprache: its keyboard is a question, so the note waits
    for the next update. That update is the press of "English": the note comes in English."""
    [question] = await tg.say(ERIKA, "/sprache", chat=private(ERIKA))
    assert [label for label, _ in question.buttons][:2] == ["Deutsch", "English"]
    done, note = await tg.press(ERIKA, question, "English", chat=private(ERIKA))
    assert done.text == "Thank you. I will write to you in English from now on."
    assert note.text.startswith("A short note on data protection: I store your name")
    assert [label for label, _ in note.buttons] == ["I agree", "Tell me more"]
