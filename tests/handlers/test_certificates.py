"""The Ehrenamtsnachweis: a volunteer's own certificate, staff's certificate for a helper,
the figures behind it, and the reminder to the team in December."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.certificates import document as certificate
from bot.community import communities
from bot.domain.models import (
    Account,
    AuditLog,
    Community,
    Event,
    EventHelper,
    HelpRequest,
    KeyValue,
)
from bot.domain.roles import STAFF, VOLUNTEER
from tests.fakes.memory import Conversation
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import GROUP
from tests.pdfs import text_of

OTTO = Someone("300", "Otto Lotse")  # volunteer
ERIKA = Someone("301", "Erika")  # member, asked for help
SINA = Someone("302", "Sina")  # staff
NEW = Someone("303", "Nele")  # volunteer since 2026


@pytest.fixture
async def cert(tg: Conversation) -> Conversation:
    """The group with Otto (volunteer), Erika (member), Sina (staff) and Nele (volunteer)."""
    for person in (OTTO, ERIKA, SINA, NEW):
        await tg.say(person, "/start", chat=tg.group(GROUP))
        await tg.say(person, "/start")  # opens the private chat
    async with tg.app.sessions.begin() as session:
        community = await _community(session)
        now = tg.app.clock.now()
        for person, role in ((OTTO, VOLUNTEER), (NEW, VOLUNTEER), (SINA, STAFF)):
            await communities.grant_role(
                session, await _id(session, person), community.id, role, granted_by=None, now=now
            )
    return tg


async def _community(session) -> Community:  # type: ignore[no-untyped-def]
    community = await session.scalar(select(Community).order_by(Community.id))
    assert community is not None
    return community


async def _id(session, person: Someone) -> int:  # type: ignore[no-untyped-def]
    person_id = await session.scalar(
        select(Account.person_id).where(Account.external_id == person.user_id)
    )
    assert person_id is not None
    return person_id


async def _person(tg: Conversation, person: Someone) -> int:
    async with tg.app.sessions() as session:
        return await _id(session, person)


def _at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


async def _otto_helped(tg: Conversation) -> tuple[int, int]:
    """Otto's year: two requests done in 2026 (60 + 90 minutes), one in 2025 (45), a date
    served in October 2026, and what must not count. Returns (otto, community) ids."""
    async with tg.app.sessions.begin() as session:
        community = await _community(session)
        otto, erika = await _id(session, OTTO), await _id(session, ERIKA)
        nele = await _id(session, NEW)
        other = await communities.create_community(session, "Anderswo", now=_at("2026-01-01"))

        def request(skill: str, status: str, done: str | None, minutes: int | None, **kw):  # type: ignore[no-untyped-def]
            return HelpRequest(
                community_id=kw.get("community_id", community.id),
                requester_id=erika,
                skill=skill,
                status=status,
                volunteer_id=kw.get("volunteer_id", otto),
                accepted_at=_at(done) - timedelta(days=2) if done else None,
                done_at=_at(done) if done else None,
                minutes=minutes,
                created_at=_at("2025-01-01"),
                updated_at=_at("2025-01-01"),
            )

        session.add_all(
            [
                request("smartphone", "done", "2026-03-10", 60),
                request("email", "done", "2026-09-01", 90),
                request("smartphone", "done", "2025-06-15", 45),  # before the last 12 months
                request("banking", "accepted", None, None),  # not done yet
                request("photos", "done", "2026-05-05", 30, volunteer_id=nele),  # someone else
                request("tv", "done", "2026-04-04", 120, community_id=other.id),  # elsewhere
            ]
        )
        served = Event(
            community_id=community.id,
            title="Digitalcafé",
            starts_at=_at("2026-10-07", 13),
            ends_at=_at("2026-10-07", 15),
        )
        called_off = Event(
            community_id=community.id,
            title="Sprechstunde",
            starts_at=_at("2026-10-14", 13),
            status="cancelled",
        )
        session.add_all([served, called_off])
        await session.flush()
        session.add_all(
            [
                EventHelper(event_id=served.id, person_id=otto),
                EventHelper(event_id=called_off.id, person_id=otto),
            ]
        )
        return otto, community.id


async def test_the_record_counts_done_help_and_dates_served(cert: Conversation) -> None:
    otto, community_id = await _otto_helped(cert)
    async with cert.app.sessions() as session:
        community = await session.get(Community, community_id)
        assert community is not None
        year = await certificate.volunteer_record(
            session, otto, community, *certificate.calendar_year(2026, community.timezone)
        )
        last_year = await certificate.volunteer_record(
            session, otto, community, *certificate.calendar_year(2025, community.timezone)
        )
    assert year.minutes == 150
    assert [(h.done_at.date().isoformat(), h.skill, h.minutes) for h in year.helps] == [
        ("2026-03-10", "Smartphone", 60),
        ("2026-09-01", "E-Mail", 90),
    ]
    assert year.kinds == ("E-Mail", "Smartphone")
    assert [(d.starts_at, d.title) for d in year.dates] == [(_at("2026-10-07", 13), "Digitalcafé")]
    assert (last_year.minutes, len(last_year.helps), last_year.dates) == (45, 1, ())


async def test_a_volunteer_gets_their_own_certificate_privately(cert: Conversation) -> None:
    await _otto_helped(cert)
    [reply] = await cert.say(OTTO, "/nachweis")
    assert reply.chat_id == "dm-300"
    assert reply.text == ("Hier ist der Nachweis. Sie können ihn ausdrucken oder weiterschicken.")
    assert reply.attachment is not None
    pdf = reply.attachment.data
    assert pdf.startswith(b"%PDF")
    assert reply.attachment.filename == "nachweis-2026-11-20.pdf"
    assert reply.attachment.mime_type == "application/pdf"
    # The last 12 months: the two requests of 2026 (2.5 hours), not the one of June 2025.
    words = text_of(pdf)
    assert "Otto Lotse hat bei" in words
    assert "Zeit: 2,5 Stunden" in words
    assert "Erledigte Anfragen: 2" in words
    assert "Mittwoch, 7. Oktober 2026: Digitalcafé" in words  # the date served
    assert "Seite 1 von 1" in words

    # A calendar year.
    [reply] = await cert.say(OTTO, "/nachweis 2025")
    assert reply.attachment is not None
    assert reply.attachment.filename == "nachweis-2025.pdf"
    words = text_of(reply.attachment.data)
    assert "Zeit: 0,8 Stunden" in words
    assert "Erledigte Anfragen: 1" in words
    # The year ends on its last day.
    assert "Zeitraum: 1. Januar 2025 bis 31. Dezember 2025" in words


async def test_not_in_the_group_and_not_for_members(cert: Conversation) -> None:
    await _otto_helped(cert)
    [reply] = await cert.say(OTTO, "/nachweis", chat=cert.group(GROUP))
    assert reply.text == "Bitte schreiben Sie mir das in einem privaten Chat."
    assert reply.attachment is None
    [reply] = await cert.say(ERIKA, "/nachweis")
    assert reply.text == "Den Nachweis bekommen Digitallotsen und die Verantwortlichen."
    assert reply.attachment is None
    otto = await _person(cert, OTTO)
    # A volunteer cannot get someone else's: a number is read as a year.
    [reply] = await cert.say(NEW, f"/nachweis {otto}")
    assert reply.text == "Bitte schreiben Sie ein Jahr von 2000 bis 2026."
    [reply] = await cert.say(NEW, "/nachweis 2025")  # Nele started helping in 2026
    assert reply.text == "Für Sie ist in dieser Zeit noch keine Hilfe eingetragen."
    assert reply.attachment is None
    [reply] = await cert.say(NEW, "/nachweis nächstes Jahr")
    assert reply.text.startswith("Bitte schreiben Sie /nachweis für die letzten 12 Monate.")


async def test_staff_make_a_certificate_for_a_helper(cert: Conversation) -> None:
    otto, _community_id = await _otto_helped(cert)
    [reply] = await cert.say(SINA, f"/nachweis {otto} 2026")
    assert reply.chat_id == "dm-302"
    assert reply.attachment is not None
    assert reply.attachment.filename == f"nachweis-2026-{otto}.pdf"
    words = text_of(reply.attachment.data)
    assert "Otto Lotse hat bei" in words
    assert "Zeit: 2,5 Stunden" in words
    assert "Zeitraum: 1. Januar 2026 bis 31. Dezember 2026" in words
    async with cert.app.sessions() as session:
        [log] = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "certificate"))
        ).all()
        assert log.details == {"person": otto, "year": "2026"}
        sina = await _id(session, SINA)
    assert log.actor_person_id == sina

    [reply] = await cert.say(SINA, "/nachweis 99999")
    assert reply.text == (
        "Eine Person mit der Nummer 99999 gibt es hier nicht. /lotsen zeigt die Nummern."
    )
    [reply] = await cert.say(SINA, f"/nachweis {otto} 2031")
    assert reply.text == "Bitte schreiben Sie ein Jahr von 2000 bis 2026."
    [reply] = await cert.say(SINA, "/nachweis ich 2026")
    assert reply.text == "Für Sie ist in dieser Zeit noch keine Hilfe eingetragen."
    [reply] = await cert.say(SINA, "/nachweis 1 2 3")
    assert reply.text.startswith("Bitte schreiben Sie es so: /nachweis 12 2026")


async def test_the_team_is_reminded_once_in_december(cert: Conversation) -> None:
    otto, _community_id = await _otto_helped(cert)
    clock = cert.app.clock
    async with cert.app.sessions.begin() as session:
        assert await certificate.yearly_reminder(session, clock.now()) == 0  # November
    # 1 December, 7 o'clock in Berlin: too early.
    clock.set(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    async with cert.app.sessions.begin() as session:
        assert await certificate.yearly_reminder(session, clock.now()) == 0
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    async with cert.app.sessions.begin() as session:
        told = await certificate.yearly_reminder(session, clock.now())
    shown = await cert.flush()
    to_sina = [s for s in shown if s.chat_id == "dm-302"]
    assert told == 1 and len(to_sina) == 1
    assert not [s for s in shown if s.chat_id in ("dm-300", "dm-301", "dm-303")]
    lines = to_sina[0].text.splitlines()
    assert lines[0].startswith("Das Jahr geht zu Ende.")
    # Who helped this year, by name: not Sina (staff) nor Erika (asked for help).
    nele = await _person(cert, NEW)
    assert lines[-2:] == [f"/nachweis {nele} 2026 – Nele", f"/nachweis {otto} 2026 – Otto Lotse"]

    clock.advance(days=3)
    async with cert.app.sessions.begin() as session:
        assert await certificate.yearly_reminder(session, clock.now()) == 0
    assert await cert.flush() == []
    async with cert.app.sessions() as session:
        keys = (await session.scalars(select(KeyValue.key))).all()
    assert [k for k in keys if k.startswith("certificate-reminder:") and k.endswith(":2026")]
    # And again next December.
    clock.set(datetime(2027, 12, 2, 10, 0, tzinfo=UTC))
    async with cert.app.sessions.begin() as session:
        assert await certificate.yearly_reminder(session, clock.now()) == 1
    assert [s.chat_id for s in await cert.flush() if s.chat_id == "dm-302"] == ["dm-302"]


def test_hours_are_written_with_the_readers_decimal_mark() -> None:
    with certificate.use_locale("de"):
        assert [certificate.format_hours(m) for m in (150, 120, 45)] == ["2,5", "2", "0,8"]
    with certificate.use_locale("en"):
        assert certificate.format_hours(150) == "2.5"
