"""Digitallotsen: profiles, a resident's request, offers that show no name, one volunteer
taking it, messages through the bot, a meeting reminder, done with minutes, thanks, the
rounds of offers and the hand-over to staff."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import build_app, prepare
from bot.chat.types import ChatRef
from bot.domain.models import Account, HelpOffer, HelpRequest, VolunteerProfile
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, Shown, matrix_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

ANNA = Someone("100", "Anna Alt")  # needs help
VERA, VOLKER, WALTER, XAVER = (
    Someone("200", "Vera Voss"),
    Someone("201", "Volker Vogt"),
    Someone("202", "Walter Wolf"),
    Someone("203", "Xaver Xu"),
)


def private(person: Someone) -> ChatRef:
    return ChatRef("telegram", person.user_id, "direct")


async def tap(tg: Conversation, person: Someone, shown: Shown, label: str) -> list[Shown]:
    """Press a button where it was shown (the person's private chat)."""
    return await tg.press(person, shown, label, chat=ChatRef("telegram", shown.chat_id, "direct"))


def to(shown: list[Shown], person: Someone) -> list[Shown]:
    return [s for s in shown if s.chat_id in (person.user_id, f"dm-{person.user_id}")]


async def _number(tg: Conversation, person: Someone) -> str:
    [me] = await tg.say(person, "/ich")
    return me.text.split()[3].rstrip(".")


async def _volunteer(
    tg: Conversation, person: Someone, topics: list[str], times: str, staff: Someone = ADA
) -> None:
    """Staff invite; the volunteer fills in the profile (phone and Digitalcafé)."""
    await tg.say(person, "/start", chat=tg.group(GROUP))
    number = await _number(tg, person)
    shown = await tg.say(staff, f"/lotse_einladen {number}")
    [invited] = to(shown, staff)
    assert invited.text == f"{person.name} ist jetzt Digitallotse."
    [welcome] = to(shown, person)
    assert welcome.text.startswith("Sie sind jetzt Digitallotse bei Digitalcafé Musterstadt.")
    [listing] = await tg.say(person, "/lotse")
    key = listing.dedup_key
    for topic in topics:
        await tg.press(person, tg.adapter.current(listing.message_id), f"⬜ {topic}")
    shown = tg.adapter.current(listing.message_id)
    assert [label for label, _ in shown.buttons if label.startswith("✅")] == [
        f"✅ {t}" for t in topics
    ]
    assert key
    [languages] = await tg.press(person, shown, "Fertig, weiter")
    assert languages.text.startswith("Welche Sprachen sprechen Sie?")
    [places] = await tg.press(person, languages, "Nur Deutsch")
    await tg.press(person, places, "⬜ Am Telefon")
    await tg.press(person, tg.adapter.current(places.message_id), "⬜ Im Digitalcafé")
    [when] = await tg.press(person, tg.adapter.current(places.message_id), "Fertig, weiter")
    assert when.text.startswith("Wann haben Sie meistens Zeit?")
    [how_many] = await tg.say(person, times)
    assert how_many.text.startswith("Wie viele Anfragen möchten Sie höchstens gleichzeitig")
    [saved] = await tg.say(person, "2")
    assert saved.text.startswith("Danke! Ihr Profil ist gespeichert.")


async def _community(tg: Conversation) -> None:
    number = await _number(tg, ADA)
    await tg.say(ADA, f"/rolle_geben {number} team", chat=tg.group(GROUP))
    await _volunteer(tg, VERA, ["Smartphone", "Fotos"], "dienstags nachmittags")
    await _volunteer(tg, VOLKER, ["Smartphone"], "dienstags 14-18 Uhr")
    await _volunteer(tg, WALTER, ["Smartphone", "Drucker"], "donnerstags vormittags")
    await _volunteer(tg, XAVER, ["Smartphone"], "ganz unterschiedlich")
    await tg.say(ANNA, "/start", chat=tg.group(GROUP))


async def _ask_for_help(tg: Conversation, topic: str = "Smartphone") -> list[Shown]:
    [menu] = await tg.say(ANNA, "Hilfe", chat=private(ANNA))
    [question] = await tg.press(ANNA, menu, "Hilfe von einem Lotsen", chat=private(ANNA))
    assert question.text == "Wobei brauchen Sie Hilfe? Bitte tippen Sie auf ein Thema."
    [describe] = await tg.press(ANNA, question, topic, chat=private(ANNA))
    assert describe.text.startswith("Beschreiben Sie es bitte kurz.")
    [when] = await tg.say(ANNA, "Ich möchte Fotos an meine Enkel schicken.", chat=private(ANNA))
    assert when.text.startswith("Wann passt es Ihnen?")
    [where] = await tg.say(ANNA, "dienstags nachmittags", chat=private(ANNA))
    assert where.text == "Wo soll die Hilfe sein?"
    [phone] = await tap(tg, ANNA, where, "Am Telefon")
    assert phone.text.startswith("Unter welcher Telefonnummer können wir Sie anrufen?")
    [bad] = await tg.say(ANNA, "weiß ich nicht", chat=private(ANNA))
    assert bad.text.startswith("Das sieht nicht wie eine Telefonnummer aus.")
    return await tg.say(ANNA, "04542 1234", chat=private(ANNA))


async def test_a_request_from_asking_to_done(tg: Conversation) -> None:
    await _community(tg)
    shown = await _ask_for_help(tg)
    [searching] = to(shown, ANNA)
    assert searching.text == ("Danke. Wir suchen jemanden für Sie. Sie hören bis morgen von uns.")
    offers = {
        s.chat_id.removeprefix("dm-"): s
        for s in shown
        if s.text.startswith("Jemand braucht Hilfe.")
    }
    # The three who fit best: Tuesday afternoon people first; the fourth waits.
    assert sorted(offers) == ["200", "201", "203"]
    offer = offers["201"]
    assert offer.text.splitlines() == [
        "Jemand braucht Hilfe. Können Sie das übernehmen?",
        "Thema: Smartphone",
        "Wann: dienstags nachmittags",
        "Wo: am Telefon",
    ]
    assert "Anna" not in offer.text and "04542" not in offer.text
    # Vera says not this time; Volker takes it; Xaver is a moment too late.
    [fine] = await tap(tg, VERA, offers["200"], "Diesmal nicht")
    assert fine.text == "In Ordnung. Danke für Ihre Antwort."
    shown = await tap(tg, VOLKER, offer, "Ich übernehme")
    [yours] = to(shown, VOLKER)
    number = yours.text.splitlines()[0].rstrip(".").split()[-1]
    assert number.isdigit()
    assert yours.text.splitlines()[:3] == [
        f"Danke! Sie übernehmen jetzt die Anfrage {number}.",
        "Name: Anna Alt",
        "Telefon: 04542 1234",
    ]
    assert "In eigenen Worten: Ich möchte Fotos an meine Enkel schicken." in yours.text
    [news] = to(shown, ANNA)
    assert news.text == "Gute Nachricht: Volker hilft Ihnen. Volker meldet sich bald bei Ihnen."
    [late] = await tap(tg, XAVER, offers["203"], "Ich übernehme")
    assert late.text == "Danke! Jemand anderes hat die Anfrage schon übernommen."

    # Volker writes through the bot and enters the meeting; both are reminded the day before.
    [ask] = await tap(tg, VOLKER, yours, "Nachricht schreiben")
    assert ask.text == "Bitte schreiben Sie Ihre Nachricht."
    shown = await tg.say(VOLKER, "Passt Ihnen Dienstag um 15 Uhr?")
    [message] = to(shown, ANNA)
    assert message.text.endswith("\nPasst Ihnen Dienstag um 15 Uhr?")
    assert message.text.startswith("Nachricht von Volker (Anfrage")
    [answer_ask] = await tap(tg, ANNA, message, "Antworten")
    assert answer_ask.text == "Bitte schreiben Sie Ihre Nachricht."
    shown = await tg.say(ANNA, "Ja, gerne!", chat=private(ANNA))
    assert to(shown, VOLKER)[0].text.endswith("\nJa, gerne!")
    await tap(tg, VOLKER, yours, "Treffen eintragen")
    shown = await tg.say(VOLKER, "1.12. 15 Uhr")
    assert to(shown, VOLKER)[0].text.startswith("Eingetragen: Dienstag, 1. Dezember 2026")
    assert to(shown, ANNA)[0].text.startswith("Ihr Treffen mit Volker: Dienstag, 1. Dezember")
    tg.app.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await tg.app.scheduler.run_due()
    shown = await tg.flush()
    assert to(shown, ANNA)[0].text.startswith("Erinnerung: Morgen treffen Sie Volker")
    assert to(shown, VOLKER)[0].text.startswith("Erinnerung: Morgen treffen Sie Anna Alt")

    # Done: minutes and a note; thanks to Volker, one question to Anna.
    [minutes] = await tap(tg, VOLKER, yours, "Erledigt")
    assert minutes.text.startswith("Wie lange hat es gedauert?")
    [unclear] = await tg.say(VOLKER, "eine Weile")
    assert unclear.text.startswith("Bitte schreiben Sie, wie lange es gedauert hat.")
    [note] = await tg.say(VOLKER, "45 Minuten")
    assert note.text.startswith("Möchten Sie noch etwas notieren?")
    shown = await tg.say(VOLKER, "nein")
    assert [s.text for s in to(shown, VOLKER)] == [
        "Eingetragen: 45 Minuten.",
        "Danke für Ihre Hilfe! Das bedeutet den Leuten viel.",
    ]
    [question] = to(shown, ANNA)
    assert question.text == "Hat Ihnen die Hilfe genützt? Bitte tippen Sie auf ein Gesicht."
    [thanks] = await tap(tg, ANNA, question, "😀 Sehr gut")
    assert thanks.text == "Danke für Ihre Antwort!"
    [overview] = await tg.say(ADA, "/lotsen")
    assert any(
        line.endswith("Volker Vogt: 0 offen, 1 erledigt, 45 Minuten")
        for line in overview.text.splitlines()
    )
    async with tg.app.sessions() as session:
        request = await session.scalar(select(HelpRequest))
        answers = dict(
            (await session.execute(select(HelpOffer.volunteer_id, HelpOffer.answer))).all()
        )
    assert request is not None
    assert (request.status, request.minutes, request.rating) == ("done", 45, 5)
    assert sorted(answers.values()) == ["accepted", "declined", "taken"]


async def test_nobody_takes_it_more_are_asked_then_staff(tg: Conversation) -> None:
    await _community(tg)
    # Walter is on a break: he is never asked.
    await tg.say(WALTER, "/pause 15.1.")
    await _ask_for_help(tg)
    async with tg.app.sessions() as session:
        asked = set((await session.scalars(select(HelpOffer.volunteer_id))).all())
    assert len(asked) == 3
    # Four hours without an answer: the next fitting people are asked too (none left here).
    tg.app.clock.advance(hours=4)  # type: ignore[attr-defined]
    await tg.app.scheduler.run_due()
    await tg.flush()
    # After a day nobody took it: staff take over, with the name and number; Anna is told.
    tg.app.clock.advance(hours=20)  # type: ignore[attr-defined]
    await tg.app.scheduler.run_due()
    shown = await tg.flush()
    [staff] = [s for s in shown if s.chat_id == "dm-1"]
    assert staff.text.splitlines()[1:3] == ["Name: Anna Alt", "Telefon: 04542 1234"]
    [anna] = to(shown, ANNA)
    assert anna.text.startswith("Wir haben noch niemanden gefunden.")
    async with tg.app.sessions() as session:
        request = await session.scalar(select(HelpRequest))
        walter = await session.scalar(select(Account.person_id).where(Account.external_id == "202"))
        paused = await session.scalar(
            select(VolunteerProfile.paused_until).where(VolunteerProfile.person_id == walter)
        )
    assert request is not None and request.status == "escalated"
    assert paused is not None and walter not in asked


async def test_given_back_it_is_offered_again_and_the_resident_can_cancel(tg: Conversation) -> None:
    await _community(tg)
    shown = await _ask_for_help(tg)
    offers = {
        s.chat_id.removeprefix("dm-"): s
        for s in shown
        if s.text.startswith("Jemand braucht Hilfe.")
    }
    [yours] = to(await tap(tg, VOLKER, offers["201"], "Ich übernehme"), VOLKER)
    # Volker cannot after all: the request goes to someone not asked before (Walter).
    shown = await tap(tg, VOLKER, yours, "Zurückgeben")
    assert to(shown, VOLKER)[0].text == "Danke für Bescheid. Wir suchen jemand anderen."
    assert [s.chat_id for s in shown if s.text.startswith("Jemand braucht Hilfe.")] == ["dm-202"]
    # Volker's old buttons do nothing any more.
    [stale] = await tap(tg, VOLKER, yours, "Erledigt")
    assert stale.text.startswith("Dieser Knopf geht nicht mehr.")
    [walters] = [s for s in shown if s.chat_id == "dm-202"]
    shown = await tap(tg, WALTER, walters, "Ich übernehme")
    [news] = to(shown, ANNA)
    assert news.text.startswith("Gute Nachricht: Walter hilft Ihnen.")
    # Anna no longer needs it: Walter is told, the request is closed.
    shown = await tap(tg, ANNA, news, "Ich brauche keine Hilfe mehr")
    assert to(shown, ANNA)[0].text == "In Ordnung. Ihre Anfrage ist abgesagt."
    assert to(shown, WALTER)[0].text.endswith("Sie müssen nichts mehr tun. Danke!")
    [again] = await tap(tg, ANNA, news, "Ich brauche keine Hilfe mehr")
    assert again.text == "Diese Anfrage ist schon beendet."
    async with tg.app.sessions() as session:
        request = await session.scalar(select(HelpRequest))
    assert request is not None and request.status == "cancelled"


async def test_the_profile_reads_everything_back_and_offers_how_many_as_buttons(
    tg: Conversation,
) -> None:
    await tg.say(VERA, "/start", chat=tg.group(GROUP))
    await tg.say(ADA, f"/lotse_einladen {await _number(tg, VERA)}")
    [listing] = await tg.say(VERA, "/lotse")
    await tg.press(VERA, listing, "⬜ Smartphone")
    [languages] = await tg.press(VERA, tg.adapter.current(listing.message_id), "Fertig, weiter")
    [places] = await tg.say(VERA, "Deutsch, Türkisch")
    await tg.press(VERA, places, "⬜ Am Telefon")
    await tg.press(VERA, tg.adapter.current(places.message_id), "⬜ Bei den Leuten zu Hause")
    [areas] = await tg.press(VERA, tg.adapter.current(places.message_id), "Fertig, weiter")
    assert areas.text.startswith("In welchen Ortsteilen besuchen Sie Leute?")
    [when] = await tg.say(VERA, "Altstadt, Nord")
    assert when.text.startswith("Wann haben Sie meistens Zeit?")
    [how_many] = await tg.say(VERA, "dienstags 14-18 Uhr, donnerstags vormittags")
    assert how_many.text == (
        "Wie viele Anfragen möchten Sie höchstens gleichzeitig haben? Zum Beispiel 2. "
        "Sie können jede Zahl bis 10 schreiben."
    )
    assert [label for label, _ in how_many.buttons] == ["1", "2", "3"]
    [saved] = await tg.press(VERA, how_many, "2")
    assert saved.text.splitlines()[:7] == [
        "Danke! Ihr Profil ist gespeichert.",
        "Themen: Smartphone",
        "Sprachen: Deutsch, Türkisch",
        "Wo: Bei den Leuten zu Hause, Am Telefon",
        "Ortsteile: Altstadt, Nord",
        "Zeiten: Dienstag 14–18 Uhr; Donnerstag 9–12 Uhr",
        "Höchstens 2 Anfragen gleichzeitig.",
    ]
    async with tg.app.sessions() as session:
        profile = await session.scalar(select(VolunteerProfile))
    assert profile is not None and profile.max_open == 2

    # A typed number beyond the buttons is fine too; "It varies" reads back as such.
    [listing] = await tg.say(VERA, "/lotse")
    [languages] = await tg.press(VERA, listing, "Fertig, weiter")
    [places] = await tg.press(VERA, languages, "Nur Deutsch")
    await tg.press(VERA, places, "✅ Bei den Leuten zu Hause")
    [when] = await tg.press(VERA, tg.adapter.current(places.message_id), "Fertig, weiter")
    [how_many] = await tg.press(VERA, when, "Ganz unterschiedlich")
    [saved] = await tg.say(VERA, "5")
    lines = saved.text.splitlines()
    assert "Sprachen: Deutsch" in lines and "Zeiten: ganz unterschiedlich" in lines
    assert "Höchstens 5 Anfragen gleichzeitig." in lines
    assert not any(line.startswith("Ortsteile") for line in lines)


@pytest.fixture
async def mx(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    """The same community on a platform without buttons (Matrix), Ada as staff."""
    settings = make_settings(db_url, tmp_path, bot={"admins": ["matrix:@ada:stadt.example"]})
    app = build_app(settings, clock=FakeClock(), adapters=[matrix_like()])
    await prepare(app)
    conversation = Conversation(app, app.adapters["matrix"])  # type: ignore[arg-type]
    await conversation.say(
        Someone("@ada:stadt.example", "Ada"), "!verbinden 1", chat=conversation.group("!cafe")
    )
    yield conversation
    await app.close()


async def test_on_matrix_the_profile_and_the_form_say_write_not_tap(mx: Conversation) -> None:
    """Where choices are written out, no question of the profile or of the help form asks
    to tap; a typed number ticks a topic or place."""
    ada, vera = Someone("@ada:stadt.example", "Ada"), Someone("@vera:stadt.example", "Vera")
    await mx.say(vera, "!start", chat=mx.group("!cafe"))
    [me] = await mx.say(vera, "!ich")
    number = re.search(r"\d+", me.text)
    assert number is not None
    await mx.say(ada, f"!lotse_einladen {number.group()}")
    [skills] = await mx.say(vera, "!lotse")
    assert skills.text == (
        "Wobei können Sie helfen? Schreiben Sie die Zahl von allem, was passt, eine nach der "
        "anderen. Dann schreiben Sie: Fertig, weiter"
    )
    await mx.say(vera, "1")
    await mx.say(vera, "7")
    ticked = mx.adapter.current(skills.message_id).rendered.splitlines()
    assert "1 – ✅ Smartphone" in ticked and "7 – ✅ Fotos" in ticked
    await mx.say(vera, "15")
    [places] = await mx.say(vera, "Deutsch")
    assert places.text == (
        "Wo helfen Sie? Schreiben Sie die Zahl von allem, was passt, eine nach der anderen. "
        "Dann schreiben Sie: Fertig, weiter"
    )
    await mx.say(vera, "2")
    [when] = await mx.say(vera, "4")
    [how_many] = await mx.say(vera, "dienstags 14-18 Uhr")
    [saved] = await mx.say(vera, "2")
    assert saved.text.splitlines()[1:4] == [
        "Themen: Smartphone, Fotos",
        "Sprachen: Deutsch",
        "Wo: Am Telefon",
    ]
    for shown in (skills, places, when, how_many, saved):
        assert "tippen" not in shown.rendered.casefold()

    # A resident on Matrix: the help form's questions say what to write.
    rosa = Someone("@rosa:stadt.example", "Rosa")
    await mx.say(rosa, "!start", chat=mx.group("!cafe"))
    [topics] = await mx.say(rosa, "!anfrage")
    assert topics.text == "Wobei brauchen Sie Hilfe?"
    await mx.say(rosa, "1")
    await mx.say(rosa, "Fotos an die Enkel schicken")
    [where] = await mx.say(rosa, "1")
    [unclear] = await mx.say(rosa, "weiß nicht")
    assert unclear.text == "Bitte schreiben Sie die Zahl einer Antwort."
    [phone] = await mx.say(rosa, "am Telefon")
    assert phone.text == (
        "Unter welcher Telefonnummer können wir Sie anrufen? Oder schreiben Sie: Lieber hier im "
        "Chat"
    )
    for shown in (topics, where, unclear, phone):
        assert "tippen" not in shown.rendered.casefold()
