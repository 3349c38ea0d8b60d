"""Reminder calls for phone sign-ups: staff mark who wants one, the day before the team
gets "Morgen bitte anrufen:" with names and numbers (once), and marks each call done."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import build_app, prepare
from bot.domain.models import Community, Event, Person, Rsvp
from bot.domain.work import Work
from bot.reminders import calls
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, matrix_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

ERIKA = Someone("300", "Erika")


async def _date_with_callers(
    chat: Conversation, staff: Someone, group: str, prefix: str = "/"
) -> Event:
    # Ada is the team that hears of calls (not only an admin by configuration).
    [me] = await chat.say(staff, f"{prefix}ich")
    number = re.search(r"Nummer ist (\d+)", me.text).group(1)  # type: ignore[union-attr]
    await chat.say(staff, f"{prefix}rolle_geben {number} team", chat=chat.group(group))
    [preview] = await chat.say(staff, f"{prefix}termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; 5")
    await chat.say(staff, "1") if not preview.buttons else await chat.press(
        staff, preview, "Speichern und jetzt ankündigen"
    )
    async with chat.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.title == "Sprechstunde"))
    assert event is not None
    await chat.say(staff, f"{prefix}anmelden_fuer {event.id}; Erika Muster; 04542 1234")
    await chat.say(staff, f"{prefix}anmelden_fuer {event.id}; Hans Alt; 04542 9876")
    await chat.say(staff, f"{prefix}anmelden_fuer {event.id}; Grete Ohnetelefon")
    return event


async def _wanted(chat: Conversation) -> dict[str, tuple[bool, bool]]:
    async with chat.app.sessions() as session:
        rows = await session.execute(
            select(Person.display_name, Rsvp).join(Rsvp, Rsvp.person_id == Person.id)
        )
        return {name: (r.call_wanted, r.called_at is not None) for name, r in rows.all()}


async def _at(chat: Conversation, moment: datetime) -> None:
    chat.app.clock.set(moment)  # type: ignore[attr-defined]
    await chat.app.scheduler.run_due()


async def test_the_day_before_staff_get_the_calls_and_mark_them_done(tg: Conversation) -> None:
    event = await _date_with_callers(tg, ADA, GROUP)
    [listing] = await tg.say(ADA, f"/anrufe {event.id}")
    assert listing.text.splitlines()[:4] == [
        "Wer möchte am Tag vorher einen Erinnerungsanruf?",
        "",
        "1. Erika Muster, Telefon 04542 1234: kein Anruf",
        "2. Hans Alt, Telefon 04542 9876: kein Anruf",
    ]
    assert [label for label, _key in listing.buttons] == ["Erika Muster", "Hans Alt"]
    [yes] = await tg.press(ADA, listing, "Erika Muster")
    assert yes.text.startswith("Erika Muster bekommt einen Erinnerungsanruf.")
    assert (await _wanted(tg))["Erika Muster"] == (True, False)
    assert (await _wanted(tg))["Hans Alt"] == (False, False)
    [member] = await tg.say(ERIKA, f"/anrufe {event.id}")
    assert "Erinnerungsanruf" not in member.text

    await _at(tg, datetime(2026, 12, 8, 7, 30, tzinfo=UTC))  # 8:30 in Berlin, the day before
    assert not [s for s in await tg.flush() if "anrufen" in s.text]
    await _at(tg, datetime(2026, 12, 8, 8, 0, tzinfo=UTC))
    shown = await tg.flush()
    [told] = [s for s in shown if s.chat_id == "dm-1" and "anrufen" in s.text]
    assert told.text.splitlines()[:4] == [
        "Morgen bitte anrufen:",
        "Sprechstunde, Mittwoch, 9. Dezember 2026, 10:00 Uhr",
        "",
        "1. Erika Muster, Telefon 04542 1234",
    ]
    assert "Hans Alt" not in told.text
    assert [label for label, _key in told.buttons] == ["Erika Muster: angerufen"]
    await _at(tg, datetime(2026, 12, 8, 12, 0, tzinfo=UTC))
    assert not [s for s in await tg.flush() if "anrufen" in s.text]  # once, not every round

    async with tg.app.sessions() as session:
        community = await session.get(Community, event.community_id)
        assert community is not None
        work = Work(session, tg.app.clock.now())
        [day] = await calls.tomorrow(work, community)  # the staff web page's list
    assert [c.name for c in day.calls] == ["Erika Muster"]
    [done] = await tg.press(ADA, told, "Erika Muster: angerufen")
    assert done.text == "Notiert: Erika Muster ist angerufen. Danke!"
    assert (await _wanted(tg))["Erika Muster"] == (True, True)
    [listing] = await tg.say(ADA, f"/anrufe {event.id}")
    assert "1. Erika Muster, Telefon 04542 1234: angerufen" in listing.text


@pytest.fixture
async def mx(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    settings = make_settings(db_url, tmp_path, bot={"admins": ["matrix:@ada:stadt.example"]})
    app = build_app(settings, clock=FakeClock(), adapters=[matrix_like()])
    await prepare(app)
    conversation = Conversation(app, app.adapters["matrix"])  # type: ignore[arg-type]
    await conversation.say(MX_ADA, "!verbinden 1", chat=conversation.group("!cafe"))
    await conversation.say(MX_ADA, "!start", chat=conversation.group("!cafe"))
    yield conversation
    await app.close()


MX_ADA = Someone("@ada:stadt.example", "Ada")


async def test_on_matrix_numbers_mark_the_call_and_the_call_done(mx: Conversation) -> None:
    event = await _date_with_callers(mx, MX_ADA, "!cafe", "!")
    [listing] = await mx.say(MX_ADA, f"!anrufe {event.id}")
    assert "Erika Muster" in listing.text
    [yes] = await mx.say(MX_ADA, "2")
    assert yes.text.startswith("Hans Alt bekommt einen Erinnerungsanruf.")
    await _at(mx, datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    shown = await mx.flush()
    [told] = [s for s in shown if s.chat_id == "dm-@ada:stadt.example" and "anrufen" in s.text]
    assert told.text.startswith("Morgen bitte anrufen:")
    assert "1. Hans Alt, Telefon 04542 9876" in told.text
    assert "tippen" not in told.text.casefold()
    [done] = await mx.say(MX_ADA, "1")
    assert done.text == "Notiert: Hans Alt ist angerufen. Danke!"
    assert (await _wanted(mx))["Hans Alt"] == (True, True)
