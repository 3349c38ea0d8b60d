"""Names others see carry no characters that reorder or hide text (bidi controls,
zero-width characters), whether the platform sent them or staff typed them."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.domain.models import Chat, Event, Person
from tests.fakes.memory import Conversation
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

RLO, LRI, ZWSP, ZWJ, BOM, LRM = "\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\u200e"
# Shown as "Mia" followed by reversed text: a name that could pose as someone else.
MIA = Someone("200", f"Mi{ZWSP}a {RLO}nimdA{LRI}")
NOBODY = Someone("201", f"{RLO}{ZWJ}{BOM}{LRM}")


async def test_a_relayed_message_shows_the_name_without_hidden_characters(
    tg: Conversation,
) -> None:
    other = tg.group("-11", f"Café {RLO}2{ZWSP}")
    await tg.say(ADA, "/verbinden 1", chat=other)
    await tg.say(ADA, "/weiterleiten an", chat=tg.group(GROUP))
    await tg.say(MIA, "Hallo zusammen", chat=tg.group(GROUP))
    await tg.say(NOBODY, "Guten Tag", chat=tg.group(GROUP))
    await tg.flush()
    relayed = [s.text for s in tg.adapter.to("-11")][-2:]
    # A name that was nothing but invisible characters: the platform's id stands in.
    assert relayed == ["Mia nimdA (Telegram): Hallo zusammen", "201 (Telegram): Guten Tag"]
    async with tg.app.sessions() as session:
        names = set((await session.scalars(select(Person.display_name))).all())
        title = await session.scalar(select(Chat.title).where(Chat.external_id == "-11"))
    assert {"Mia nimdA", "201"} <= names
    assert title == "Café 2"


async def test_a_name_staff_type_for_a_caller_is_stored_and_listed_visibly(
    tg: Conversation,
) -> None:
    [preview] = await tg.say(ADA, "/termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; 3")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    async with tg.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.title == "Sprechstunde"))
        persons = await session.scalar(select(func.count(Person.id)))
    assert event is not None
    [done] = await tg.say(ADA, f"/anmelden_fuer {event.id}; {RLO}Erika{ZWSP} Muster; 04542 1234")
    assert done.text == "Erika Muster ist angemeldet."
    # Only invisible characters: not a name; the usual hint, nobody signed up.
    [hint] = await tg.say(ADA, f"/anmelden_fuer {event.id}; {RLO}{ZWSP}; 04542 1234")
    assert hint.text.startswith("Bitte schreiben Sie es so:")
    [listing] = await tg.say(ADA, f"/teilnehmer {event.id}")
    assert "1. Erika Muster, Telefon 04542 1234" in listing.text.splitlines()
    async with tg.app.sessions() as session:
        assert await session.scalar(select(func.count(Person.id))) == persons + 1
