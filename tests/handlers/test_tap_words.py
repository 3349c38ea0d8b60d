"""#18 point 8: "tippen Sie" only where there is something to tap.

One script walks every dialog and every service message that carries buttons (the new-date
dialog, the optional facts, sign-up and its follow-up, the reminder, the door list, the
feedback question, the volunteer profile, a help request and its feedback, the announcement
dialog, the export dialog), answering only by writing, as people do on Matrix and the
console. There nothing the bot sends says "tippen" or "tap", in German or in English; on
Telegram the same script still says "tippen" where a button is to be tapped.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
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

# What people write, in the language they chose: the buttons' words.
WORDS = {
    "de": {
        "skip": "Überspringen",
        "until start": "Bis zum Beginn",
        "save": "Speichern und jetzt ankündigen",
        "age": "70 bis 79",
        "done": "Fertig, weiter",
        "german": "Nur Deutsch",
        "phone": "Am Telefon",
        "chat only": "Lieber hier im Chat",
        "take": "Ich übernehme",
        "finished": "Erledigt",
        "minutes": "45 Minuten",
        "no": "nein",
        "keep": "So verwenden",
    },
    "en": {
        "skip": "Skip",
        "until start": "Until it starts",
        "save": "Save and post now",
        "age": "70 to 79",
        "done": "Done, next question",
        "german": "Only German",
        "phone": "By phone",
        "chat only": "Rather here in the chat",
        "take": "I will do it",
        "finished": "Help given",
        "minutes": "45 minutes",
        "no": "no",
        "keep": "Use as it is",
    },
}


def _console() -> MemoryAdapter:
    """A memory platform that declares what the console adapter declares."""
    return MemoryAdapter(platform="console", display_name="Konsole", shows_buttons=False)


PLATFORMS = {"matrix": matrix_like, "console": _console, "telegram": telegram_like}


@dataclass
class Walk:
    """The script on one platform, in one language."""

    conv: Conversation
    lang: str

    @property
    def p(self) -> str:
        return self.conv.adapter.command_prefix

    def word(self, key: str) -> str:
        return WORDS[self.lang][key]

    def says(self, shown: Shown, german: str) -> None:
        """The step reached the question it should (checked in German; the English run
        shows it by the written instructions at the end)."""
        if self.lang == "de":
            assert shown.text.startswith(german), shown.text

    async def write(self, person: Someone, text: str) -> Shown:
        """Write in the person's private chat; the one answer to them."""
        return _one(await self.conv.say(person, text), person)

    async def at(self, moment: datetime) -> list[Shown]:
        self.conv.app.clock.set(moment)  # type: ignore[attr-defined]
        await self.conv.app.scheduler.run_due()
        return await self.conv.flush()

    async def first_contact(self, person: Someone) -> None:
        """In the group, then privately, in the walk's language."""
        await self.conv.say(person, f"{self.p}start", chat=self.conv.group(GROUP))
        await self.conv.say(person, f"{self.p}start")
        if self.lang == "en":
            await self.conv.say(person, f"{self.p}language")
            await self.conv.say(person, "English")


@pytest.fixture
async def walk(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> AsyncIterator[Walk]:
    platform, lang = request.param
    adapter = PLATFORMS[platform]()
    admin = f"{adapter.platform}:{ADA.user_id}"
    # Ada writes more than the flood guard lets a person write in a minute of real time.
    privacy = {"flood_messages": 1000, "flood_seconds": 60}
    settings = make_settings(db_url, tmp_path, bot={"admins": [admin]}, privacy=privacy)
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    conversation = Conversation(app, adapter)
    await conversation.say(
        ADA, f"{adapter.command_prefix}verbinden 1", chat=conversation.group(GROUP)
    )
    script = Walk(conversation, lang)
    await script.first_contact(ADA)
    yield script
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


async def _new_date(w: Walk) -> Event:
    """The whole new-date dialog, answered by writing, with a few wrong answers."""
    await w.conv.say(ADA, f"{w.p}termin_neu")
    await w.write(ADA, "Kurs")
    course = await w.write(ADA, "dienstags 10–12 Uhr")
    w.says(course, "Ist es ein Kurs mit einer festen Zahl von Terminen?")
    again = await w.write(ADA, "1")
    w.says(again, "Bitte schreiben Sie eine Zahl von 2 bis 52.")
    await w.conv.say(ADA, "abbrechen")
    await w.conv.say(ADA, f"{w.p}termin_neu")
    await w.write(ADA, "Digitalcafé")
    await w.write(ADA, "9.12. 15–17 Uhr")
    online = await w.write(ADA, "Stadtbibliothek")
    w.says(online, "Können die Leute auch online dabei sein?")
    wrong = await w.write(ADA, "zoom")
    w.says(wrong, "Bitte schreiben Sie die ganze Adresse, mit https://")
    topic = await w.write(ADA, w.word("skip"))
    w.says(topic, "Was ist das Thema?")
    await w.write(ADA, w.word("skip"))
    await w.write(ADA, "10")
    deadline = await w.write(ADA, w.word("skip"))
    w.says(deadline, "Bis wann können sich die Leute anmelden?")
    await w.write(ADA, "bald")  # none of the answers
    bring = await w.write(ADA, w.word("until start"))
    w.says(bring, "Was sollen die Leute mitbringen?")
    await w.write(ADA, w.word("skip"))
    await w.write(ADA, "hallo")  # neither save nor cancel
    await w.conv.say(ADA, w.word("save"))
    async with w.conv.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.starts_at == START))
    assert event is not None
    return event


async def _member(w: Walk, person: Someone) -> None:
    """First contact, then the optional facts for the reports."""
    await w.first_contact(person)
    facts = await w.write(person, f"{w.p}profil")
    w.says(facts, "Eine Frage, nur wenn Sie mögen: Wie alt sind Sie ungefähr?")
    area = await w.write(person, w.word("age"))
    w.says(area, "In welchem Ortsteil wohnen Sie?")
    await w.conv.say(person, "Altstadt")


async def _sign_up(w: Walk) -> None:
    """Anna writes "1" under the post (Ich komme); Bert "2" and then how many come along."""
    group = w.conv.group(GROUP)
    await w.conv.say(ANNA, "1", chat=group)
    asked = _one(await w.conv.say(BERT, "2", chat=group), BERT)
    w.says(asked, "Wie viele Personen bringen Sie mit?")
    await w.conv.say(BERT, "1")
    async with w.conv.app.sessions() as session:
        seats = sorted((await session.scalars(select(Rsvp.party_size))).all())
    assert seats == [1, 2]


async def _door_and_feedback(w: Walk, event: Event) -> None:
    reminder = _one(await w.at(datetime(2026, 12, 8, 9, 0, tzinfo=UTC)), ANNA)  # 10:00
    w.says(reminder, "Erinnerung für morgen: Digitalcafé")
    w.conv.app.clock.set(START)  # type: ignore[attr-defined]
    await w.conv.say(ADA, f"{w.p}anwesenheit {event.id}")
    await w.conv.say(ADA, "1")  # Anna is here
    async with w.conv.app.sessions() as session:
        here = (await session.scalars(select(Attendance.person_id))).all()
    assert len(here) == 1
    asked = _one(await w.at(END + timedelta(minutes=30)), ANNA)
    w.says(asked, "Danke, dass Sie da waren: Digitalcafé.\nWie war es?")
    more = await w.write(ANNA, "1")
    w.says(more, "Möchten Sie noch etwas sagen?")
    await w.conv.say(ANNA, "abbrechen")
    async with w.conv.app.sessions() as session:
        ratings = (await session.scalars(select(Feedback.rating))).all()
    assert ratings == [5]


async def _volunteer(w: Walk) -> None:
    """Vera's profile: both lists are chosen by writing their numbers, one after the other."""
    await w.first_contact(VERA)
    me = await w.write(VERA, f"{w.p}ich")
    number = re.search(r"\d+", me.text)
    assert number is not None
    await w.conv.say(ADA, f"{w.p}lotse_einladen {number.group()}")
    skills = await w.write(VERA, f"{w.p}lotse")
    w.says(skills, "Wobei können Sie helfen?")
    await w.conv.say(VERA, "1")
    await w.conv.say(VERA, "2")
    ticked = w.conv.adapter.current(skills.message_id)
    assert [label[:1] for label, _key in ticked.buttons[:3]] == ["✅", "✅", "⬜"]
    languages = await w.write(VERA, w.word("done"))
    w.says(languages, "Welche Sprachen sprechen Sie?")
    places = await w.write(VERA, w.word("german"))
    w.says(places, "Wo helfen Sie?")
    await w.conv.say(VERA, "2")  # Am Telefon
    when = await w.write(VERA, w.word("done"))
    w.says(when, "Wann haben Sie meistens Zeit?")
    await w.write(VERA, "dienstags nachmittags")
    saved = await w.write(VERA, "2")
    w.says(saved, "Danke! Ihr Profil ist gespeichert.")
    async with w.conv.app.sessions() as session:
        profile = await session.scalar(select(VolunteerProfile))
        skills_kept = (await session.scalars(select(VolunteerSkill.skill))).all()
    assert profile is not None and profile.places == ["phone"] and len(skills_kept) == 2


async def _help_request(w: Walk) -> None:
    """Anna asks for help by writing; Vera takes it and finishes; Anna is asked how it was."""
    topics = await w.write(ANNA, f"{w.p}anfrage")
    w.says(topics, "Wobei brauchen Sie Hilfe?")
    await w.write(ANNA, "1")
    await w.write(ANNA, "Fotos an die Enkel schicken")
    where = await w.write(ANNA, "dienstags nachmittags")
    w.says(where, "Wo soll die Hilfe sein?")
    await w.write(ANNA, "weiß nicht")  # none of the three
    phone = await w.write(ANNA, w.word("phone"))
    w.says(phone, "Unter welcher Telefonnummer können wir Sie anrufen?")
    offer = _one(await w.conv.say(ANNA, w.word("chat only")), VERA)
    w.says(offer, "Jemand braucht Hilfe.")
    await w.conv.say(VERA, w.word("take"))
    minutes = await w.write(VERA, w.word("finished"))
    w.says(minutes, "Wie lange hat es gedauert?")
    await w.conv.say(VERA, w.word("minutes"))
    asked = _one(await w.conv.say(VERA, w.word("no")), ANNA)
    w.says(asked, "Hat Ihnen die Hilfe genützt?")
    await w.conv.say(ANNA, "1")
    async with w.conv.app.sessions() as session:
        request = await session.scalar(select(HelpRequest))
    assert request is not None and request.rating == 5


async def _staff_dialogs(w: Walk) -> None:
    """The announcement dialog's plain-language tips, and the export dialog."""
    await w.conv.say(ADA, f"{w.p}ankuendigung_neu")
    tips = await w.write(ADA, "Das Meeting findet im Rahmen des Events statt.")
    w.says(tips, "Tipps für einfache Sprache:")
    when = await w.write(ADA, w.word("keep"))
    w.says(when, "Wann soll es geschickt werden?")
    await w.conv.say(ADA, "abbrechen")
    what = await w.write(ADA, f"{w.p}export")
    w.says(what, "Was möchten Sie als Datei haben?")
    await w.write(ADA, "quatsch")
    period = await w.write(ADA, "1")  # the half-year report
    w.says(period, "Welcher Zeitraum?")
    await w.conv.say(ADA, "abbrechen")


async def _walk(w: Walk) -> str:
    event = await _new_date(w)
    await _member(w, ANNA)
    await _member(w, BERT)
    await _sign_up(w)
    await _door_and_feedback(w, event)
    await _volunteer(w)
    await _help_request(w)
    await _staff_dialogs(w)
    told = [text for text in _everything(w.conv) if TAP.search(text)]
    if not w.conv.adapter.shows_buttons:
        assert told == []
    return "\n".join(_everything(w.conv))


WRITTEN = {
    "de": (
        "Sonst schreiben Sie: Fortlaufend",
        "Oder schreiben Sie: Überspringen",
        "Bitte schreiben Sie die Zahl einer Antwort.",
        "Bitte schreiben Sie: Speichern. Oder schreiben Sie: abbrechen",
        "In welchem Ortsteil wohnen Sie? Oder schreiben Sie: Lieber nicht",
        "Schreiben Sie die Zahl einer Person, die da ist.",
        "Wobei können Sie helfen? Schreiben Sie die Zahl von allem, was passt, eine nach der "
        "anderen. Dann schreiben Sie: Fertig, weiter",
        "Wie war es?\n\n1 – 😀 Sehr gut",
        "Wobei brauchen Sie Hilfe?\n\n1 – ",
        "Oder schreiben Sie: Lieber hier im Chat",
        "Keine Telefonnummer: Schreiben Sie über mich. Wählen Sie dazu unten „Nachricht "
        "schreiben“.",
        "Hat Ihnen die Hilfe genützt?\n\n1 – 😀 Sehr gut",
        "Schreiben Sie einen besseren Text. Oder schreiben Sie: So verwenden",
        "Das habe ich leider nicht verstanden. Bitte schreiben Sie die Zahl einer Antwort.",
        "Welcher Zeitraum?\nSchreiben Sie die Zahl. Oder schreiben Sie den Zeitraum",
    ),
    "en": (
        "Otherwise write: Ongoing",
        "Or write: Skip",
        "Please write the number of one of the answers.",
        "Please write: Save. Or write: cancel",
        "In which part of town do you live? Or write: Rather not say",
        "Write the number of a person who is here.",
        "What can you help with? Write the number of each thing that fits, one after the "
        "other. Then write: Done, next question",
        "How was it?\n\n1 – 😀 Very good",
        "What do you need help with?\n\n1 – ",
        "Or write: Rather here in the chat",
        'No phone number: write through me. Choose "Write a message" below.',
        "Did the help work out for you?\n\n1 – 😀 Very good",
        "Write an improved text. Or write: Use as it is",
        "Sorry, I did not understand that. Please write the number of one of the answers.",
        "Which period?\nWrite its number, or the period itself",
    ),
}


# The words depend on the platform and the language, not on the database: every walk runs
# on SQLite, and one walk with buttons and one without (the other language) also on
# PostgreSQL, so both databases see the whole walk without repeating it ten times.
@pytest.mark.parametrize(
    ("db_url", "walk"),
    [
        ("sqlite", ("matrix", "de")),
        ("sqlite", ("console", "de")),
        ("sqlite", ("matrix", "en")),
        ("sqlite", ("console", "en")),
        ("postgresql", ("console", "en")),
    ],
    indirect=True,
    ids=[
        "sqlite-matrix-de",
        "sqlite-console-de",
        "sqlite-matrix-en",
        "sqlite-console-en",
        "postgresql-console-en",
    ],
)
async def test_where_nothing_can_be_tapped_nothing_says_tap(walk: Walk) -> None:
    everything = await _walk(walk)
    # What to write instead, in every dialog and service message of the walk.
    for written in WRITTEN[walk.lang]:
        assert written in everything, written


@pytest.mark.parametrize("walk", [("telegram", "de")], indirect=True, ids=["telegram-de"])
async def test_on_telegram_the_same_steps_say_tap(walk: Walk) -> None:
    everything = await _walk(walk)
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
        "Keine Telefonnummer: Schreiben Sie über mich. Wählen Sie dazu unten „Nachricht "
        "schreiben“.",
        "Hat Ihnen die Hilfe genützt? Bitte tippen Sie auf ein Gesicht.",
        "Schreiben Sie einen besseren Text. Oder tippen Sie: So verwenden",
        "Tippen Sie auf „Ich komme“.",
    ):
        assert tapped in everything, tapped
