"""#18 point 8: "tippen Sie" only where there is something to tap.

One script walks every dialog and every service message that carries buttons (the new-date
dialog, the privacy facts, sign-up and its follow-up, the reminder, the door list, the
feedback question, the volunteer profile, a help request and its feedback, the announcement
dialog, the export dialog), answering only by writing, as people do on Matrix and the
console. There nothing the bot sends says "tippen" or "tap"; on Telegram the same script
still says "tippen" where a button is to be tapped.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import build_app, prepare
from bot.domain.models import (
    Attendance,
    Event,
    Feedback,
    HelpRequest,
    Rsvp,
    VolunteerProfile,
    VolunteerSkill,
)
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, MemoryAdapter, Shown, matrix_like, telegram_like
from tests.fakes.memory import Person as Someone

ADA = Someone("1", "Ada")  # staff and deployment admin
ANNA = Someone("100", "Anna Alt")  # a member, 78
BERT = Someone("101", "Bert")  # a member with his grandson
VERA = Someone("200", "Vera Voss")  # a volunteer
GROUP = "-10"
START = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
END = START + timedelta(hours=2)
# The verb, not the noun: "Tipp: Hier fangen Befehle mit ! an" is a hint, not an instruction.
TAP = re.compile(r"\b(tippen|tippt|getippt|antippen|tap|taps|tapped|tapping)\b", re.IGNORECASE)


def _console() -> MemoryAdapter:
    """A memory platform that declares what the console adapter declares."""
    return MemoryAdapter(platform="console", display_name="Konsole", shows_buttons=False)


PLATFORMS = {"matrix": matrix_like, "console": _console, "telegram": telegram_like}


@pytest.fixture
async def chat(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> AsyncIterator[Conversation]:
    adapter = PLATFORMS[request.param]()
    admin = f"{adapter.platform}:{ADA.user_id}"
    # Ada writes more than the flood guard lets a person write in a minute of real time.
    privacy = {"flood_messages": 1000, "flood_seconds": 60}
    settings = make_settings(db_url, tmp_path, bot={"admins": [admin]}, privacy=privacy)
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    conversation = Conversation(app, adapter)
    prefix = adapter.command_prefix
    await conversation.say(ADA, f"{prefix}verbinden 1", chat=conversation.group(GROUP))
    await conversation.say(ADA, f"{prefix}start", chat=conversation.group(GROUP))
    yield conversation
    await app.close()


def _everything(conv: Conversation) -> list[str]:
    """Every text the bot showed, as the person saw it (buttons as lines where written)."""
    adapter = conv.adapter
    return [s.rendered for s in (*adapter.shown, *adapter.edits)] + [
        text for _chat, _person, text in adapter.press_answers
    ]


def _one(shown: list[Shown], person: Someone) -> Shown:
    [message] = [s for s in shown if s.chat_id == f"dm-{person.user_id}"]
    return message


async def _at(conv: Conversation, moment: datetime) -> list[Shown]:
    conv.app.clock.set(moment)  # type: ignore[attr-defined]
    await conv.app.scheduler.run_due()
    return await conv.flush()


async def _write(conv: Conversation, person: Someone, text: str) -> Shown:
    """Write in the person's private chat; the one answer to them."""
    return _one(await conv.say(person, text), person)


async def _new_date(conv: Conversation, p: str) -> Event:
    """The whole new-date dialog, answered by writing, with a few wrong answers."""
    await conv.say(ADA, f"{p}termin_neu")
    await _write(conv, ADA, "Kurs")
    course = await _write(conv, ADA, "dienstags 10–12 Uhr")
    assert course.text.startswith("Ist es ein Kurs mit einer festen Zahl von Terminen?")
    again = await _write(conv, ADA, "1")
    assert again.text.startswith("Bitte schreiben Sie eine Zahl von 2 bis 52.")
    await conv.say(ADA, "abbrechen")
    await conv.say(ADA, f"{p}termin_neu")
    await _write(conv, ADA, "Digitalcafé")
    await _write(conv, ADA, "9.12. 15–17 Uhr")
    online = await _write(conv, ADA, "Stadtbibliothek")
    assert online.text.startswith("Können die Leute auch online dabei sein?")
    wrong = await _write(conv, ADA, "zoom")
    assert wrong.text.startswith("Bitte schreiben Sie die ganze Adresse, mit https://")
    topic = await _write(conv, ADA, "Überspringen")
    assert topic.text.startswith("Was ist das Thema?")
    await _write(conv, ADA, "Überspringen")
    await _write(conv, ADA, "10")
    deadline = await _write(conv, ADA, "Überspringen")
    assert deadline.text.startswith("Bis wann können sich die Leute anmelden?")
    await _write(conv, ADA, "bald")  # no answer of the three
    bring = await _write(conv, ADA, "Bis zum Beginn")
    assert bring.text.startswith("Was sollen die Leute mitbringen?")
    preview = await _write(conv, ADA, "Überspringen")
    assert "Speichern" in preview.rendered
    await _write(conv, ADA, "hallo")  # neither save nor cancel
    await conv.say(ADA, "Speichern und jetzt ankündigen")
    async with conv.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.starts_at == START))
    assert event is not None
    return event


async def _member(conv: Conversation, p: str, person: Someone) -> None:
    """First private contact, then the optional facts for the reports."""
    await conv.say(person, f"{p}start", chat=conv.group(GROUP))
    await conv.say(person, f"{p}start")
    facts = await _write(conv, person, f"{p}profil")
    assert facts.text.startswith("Eine Frage, nur wenn Sie mögen: Wie alt sind Sie ungefähr?")
    area = await _write(conv, person, "70 bis 79")
    assert area.text.startswith("In welchem Ortsteil wohnen Sie?")
    await conv.say(person, "Altstadt")


async def _sign_up(conv: Conversation) -> None:
    """Anna writes "1" under the post (Ich komme); Bert "2" and then how many come along."""
    group = conv.group(GROUP)
    await conv.say(ANNA, "1", chat=group)
    shown = await conv.say(BERT, "2", chat=group)
    asked = _one(shown, BERT)
    assert asked.text.startswith("Wie viele Personen bringen Sie mit?")
    await conv.say(BERT, "1")
    async with conv.app.sessions() as session:
        seats = sorted((await session.scalars(select(Rsvp.party_size))).all())
    assert seats == [1, 2]


async def _door_and_feedback(conv: Conversation, p: str, event: Event) -> None:
    shown = await _at(conv, datetime(2026, 12, 8, 9, 0, tzinfo=UTC))  # the day before, 10:00
    reminder = _one(shown, ANNA)
    assert "Sie können nicht?" in reminder.text
    conv.app.clock.set(START)  # type: ignore[attr-defined]
    await conv.say(ADA, f"{p}anwesenheit {event.id}")
    await conv.say(ADA, "1")  # Anna is here
    async with conv.app.sessions() as session:
        here = (await session.scalars(select(Attendance.person_id))).all()
    assert len(here) == 1
    asked = _one(await _at(conv, END + timedelta(minutes=30)), ANNA)
    assert asked.text.startswith("Danke, dass Sie da waren: Digitalcafé.\nWie war es?")
    more = await _write(conv, ANNA, "1")
    assert more.text.startswith("Möchten Sie noch etwas sagen?")
    await conv.say(ANNA, "abbrechen")
    async with conv.app.sessions() as session:
        ratings = (await session.scalars(select(Feedback.rating))).all()
    assert ratings == [5]


async def _volunteer(conv: Conversation, p: str) -> None:
    """Vera's profile: both lists are chosen by writing their numbers, one after the other."""
    await conv.say(VERA, f"{p}start", chat=conv.group(GROUP))
    await conv.say(VERA, f"{p}start")
    me = await _write(conv, VERA, f"{p}ich")
    number = me.text.split()[3].rstrip(".")
    await conv.say(ADA, f"{p}lotse_einladen {number}")
    skills = await _write(conv, VERA, f"{p}lotse")
    assert skills.text.startswith("Wobei können Sie helfen?")
    await conv.say(VERA, "1")
    await conv.say(VERA, "2")
    ticked = conv.adapter.current(skills.message_id)
    assert [label[:1] for label, _key in ticked.buttons[:3]] == ["✅", "✅", "⬜"]
    languages = await _write(conv, VERA, "Fertig, weiter")
    assert languages.text.startswith("Welche Sprachen sprechen Sie?")
    places = await _write(conv, VERA, "Nur Deutsch")
    assert places.text.startswith("Wo helfen Sie?")
    await conv.say(VERA, "2")  # Am Telefon
    when = await _write(conv, VERA, "Fertig, weiter")
    assert when.text.startswith("Wann haben Sie meistens Zeit?")
    await _write(conv, VERA, "dienstags nachmittags")
    saved = await _write(conv, VERA, "2")
    assert saved.text.startswith("Danke! Ihr Profil ist gespeichert.")
    async with conv.app.sessions() as session:
        profile = await session.scalar(select(VolunteerProfile))
        skills = (await session.scalars(select(VolunteerSkill.skill))).all()
    assert profile is not None and len(skills) == 2 and len(profile.places) == 1


async def _help_request(conv: Conversation, p: str) -> None:
    """Anna asks for help by writing; Vera takes it and finishes; Anna is asked how it was."""
    topics = await _write(conv, ANNA, f"{p}anfrage")
    assert topics.text.startswith("Wobei brauchen Sie Hilfe?")
    await _write(conv, ANNA, "1")
    await _write(conv, ANNA, "Fotos an die Enkel schicken")
    where = await _write(conv, ANNA, "dienstags nachmittags")
    assert where.text == "Wo soll die Hilfe sein?"
    await _write(conv, ANNA, "weiß nicht")  # none of the three
    phone = await _write(conv, ANNA, "Am Telefon")
    assert phone.text.startswith("Unter welcher Telefonnummer können wir Sie anrufen?")
    shown = await conv.say(ANNA, "04542 1234")
    offer = _one(shown, VERA)
    assert offer.text.startswith("Jemand braucht Hilfe.")
    await conv.say(VERA, "Ich übernehme")
    minutes = await _write(conv, VERA, "Erledigt")
    assert minutes.text.startswith("Wie lange hat es gedauert?")
    await conv.say(VERA, "45 Minuten")
    asked = _one(await conv.say(VERA, "nein"), ANNA)
    assert asked.text.startswith("Hat Ihnen die Hilfe genützt?")
    await conv.say(ANNA, "1")
    async with conv.app.sessions() as session:
        request = await session.scalar(select(HelpRequest))
    assert request is not None and request.rating == 5


async def _staff_dialogs(conv: Conversation, p: str) -> None:
    """The announcement dialog's plain-language tips, and the export dialog."""
    await conv.say(ADA, f"{p}ankuendigung_neu")
    tips = await _write(conv, ADA, "Das Meeting findet im Rahmen des Events statt.")
    assert tips.text.startswith("Tipps für einfache Sprache:")
    when = await _write(conv, ADA, "So verwenden")
    assert when.text.startswith("Wann soll es geschickt werden?")
    await conv.say(ADA, "abbrechen")
    what = await _write(conv, ADA, f"{p}export")
    assert what.text.startswith("Was möchten Sie als Datei haben?")
    await _write(conv, ADA, "quatsch")
    period = await _write(conv, ADA, "1")  # the half-year report
    assert period.text.startswith("Welcher Zeitraum?")
    await conv.say(ADA, "abbrechen")


async def _walk(conv: Conversation) -> list[str]:
    p = conv.adapter.command_prefix
    event = await _new_date(conv, p)
    await _member(conv, p, ANNA)
    await _member(conv, p, BERT)
    await _sign_up(conv)
    await _door_and_feedback(conv, p, event)
    await _volunteer(conv, p)
    await _help_request(conv, p)
    await _staff_dialogs(conv, p)
    return _everything(conv)


@pytest.mark.parametrize("chat", ["matrix", "console"], indirect=True)
async def test_where_nothing_can_be_tapped_nothing_says_tap(chat: Conversation) -> None:
    shown = await _walk(chat)
    told = [text for text in shown if TAP.search(text)]
    assert told == []
    # The written instructions say what to write instead.
    everything = "\n".join(shown)
    for written in (
        "Sonst schreiben Sie: Fortlaufend",
        "Oder schreiben Sie: Überspringen",
        "Bitte schreiben Sie die Zahl einer Antwort.",
        "Bitte schreiben Sie: Speichern. Oder schreiben Sie: abbrechen",
        "In welchem Ortsteil wohnen Sie? Oder schreiben Sie: Lieber nicht",
        "Schreiben Sie die Zahl einer Person, die da ist.",
        "Schreiben Sie die Zahl von allem, was passt, eine nach der anderen. "
        "Dann schreiben Sie: Fertig, weiter",
        "Oder schreiben Sie: Lieber hier im Chat",
        "Schreiben Sie einen besseren Text. Oder schreiben Sie: So verwenden",
        "Das habe ich leider nicht verstanden. Bitte schreiben Sie die Zahl einer Antwort.",
    ):
        assert written in everything, written


@pytest.mark.parametrize("chat", ["telegram"], indirect=True)
async def test_on_telegram_the_same_steps_say_tap(chat: Conversation) -> None:
    shown = await _walk(chat)
    everything = "\n".join(shown)
    for tapped in (
        "Sonst tippen Sie: Fortlaufend",
        "Oder tippen Sie: Überspringen",
        "Bitte tippen Sie auf eine der Tasten.",
        "Bitte tippen Sie auf „Speichern“. Oder schreiben Sie: abbrechen",
        "In welchem Ortsteil wohnen Sie? Oder tippen Sie: Lieber nicht",
        "Tippen Sie auf einen Namen, wenn die Person da ist.",
        "Sie können nicht? Dann tippen Sie hier.",
        "Wie war es? Bitte tippen Sie auf ein Gesicht.",
        "Tippen Sie alles an, was passt. Dann tippen Sie: Fertig, weiter",
        "Wobei brauchen Sie Hilfe? Bitte tippen Sie auf ein Thema.",
        "Oder tippen Sie: Lieber hier im Chat",
        "Hat Ihnen die Hilfe genützt? Bitte tippen Sie auf ein Gesicht.",
        "Schreiben Sie einen besseren Text. Oder tippen Sie: So verwenden",
        "Tippen Sie auf „Ich komme“.",
    ):
        assert tapped in everything, tapped
