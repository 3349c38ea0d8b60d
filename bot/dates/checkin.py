"""Check-in use cases: at the door by staff (one person, everyone, guests, walk-ins), by the
person with the date's code, the date at the door today, and the code and its QR picture.

Each takes a ``Work`` and plain arguments and returns what the chat shows; the rows are
``bot/dates/attendance.py``'s.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import segno
from sqlalchemy import select

from bot.dates import attendance, jobs
from bot.dates.door_sheet import door_sheet_pdf
from bot.domain.models import Community, Event, EventHelper, Person, Rsvp
from bot.domain.numbers import is_number
from bot.domain.work import Work


@dataclass(frozen=True, slots=True)
class Headcount:
    """Who came: signed-up people there, of how many signed up, and guests (with walk-ins)."""

    came: int
    signed: int
    guests: int


@dataclass(frozen=True, slots=True)
class Listed:
    """One signed-up person on the door list."""

    person_id: int
    name: str
    party_size: int
    present: bool


@dataclass(frozen=True, slots=True)
class DoorList:
    """The door list: everyone signed up, in sign-up order, and who is there."""

    people: list[Listed]
    present: set[int]
    headcount: Headcount


@dataclass(frozen=True, slots=True)
class SelfCheckIn:
    """A person checked in with the date's code; ``new`` is False when they already were."""

    event: Event
    new: bool


def _headcount(signed: list[Rsvp], present: set[int], event: Event) -> Headcount:
    came = sum(1 for r in signed if r.person_id in present)
    guests = len(present - {r.person_id for r in signed}) + event.walk_ins
    return Headcount(came=came, signed=len(signed), guests=guests)


async def headcount(work: Work, event: Event) -> Headcount:
    """How many came so far."""
    signed = await attendance.signed_up(work.session, event.id)
    present = await attendance.present(work.session, event.id)
    return _headcount(signed, present, event)


async def door_list(work: Work, event: Event) -> DoorList:
    """Everyone signed up with their name and whether they are there."""
    signed = await attendance.signed_up(work.session, event.id)
    present = await attendance.present(work.session, event.id)
    people = []
    for rsvp in signed:
        person = await work.session.get(Person, rsvp.person_id)
        people.append(
            Listed(
                person_id=rsvp.person_id,
                name=person.display_name if person else "?",
                party_size=rsvp.party_size,
                present=rsvp.person_id in present,
            )
        )
    return DoorList(people, present, _headcount(signed, present, event))


async def date_at_door(work: Work, community: Community) -> Event | None:
    """The date running now or today (until an hour after its end), else the next one
    within a day."""
    zone = ZoneInfo(community.timezone)
    now = work.now
    rows = (
        await work.session.scalars(
            select(Event)
            .where(
                Event.community_id == community.id,
                Event.status != "cancelled",
                Event.starts_at > now - timedelta(hours=12),
                Event.starts_at < now + timedelta(hours=24),
            )
            .order_by(Event.starts_at)
        )
    ).all()
    for event in rows:  # one that runs now or today first
        if event.starts_at.astimezone(zone).date() == now.astimezone(zone).date():
            if jobs.ends_at(event) + timedelta(hours=1) >= now:
                return event
    return next((e for e in rows if e.starts_at > now), None)


async def take_attendance(work: Work, event: Event, staff_id: int) -> None:
    """Whoever takes attendance served at the date (for their thanks)."""
    known = await work.session.scalar(
        select(EventHelper.id).where(
            EventHelper.event_id == event.id, EventHelper.person_id == staff_id
        )
    )
    if known is None:
        work.session.add(EventHelper(event_id=event.id, person_id=staff_id, created_at=work.now))


async def toggle(work: Work, event: Event, person_id: int, staff_id: int) -> bool:
    """A name tapped: checked in, or (when they already were) not there after all; True
    when the person is now there."""
    if await attendance.check_in(work.session, event, person_id, "staff", work.now, staff_id):
        return True
    await attendance.undo(work.session, event, person_id)
    return False


async def everyone_here(work: Work, event: Event, staff_id: int) -> None:
    """ "Alle anwesend": everyone signed up is checked in."""
    for rsvp in await attendance.signed_up(work.session, event.id):
        await attendance.check_in(work.session, event, rsvp.person_id, "all", work.now, staff_id)


async def add_guest(work: Work, event: Event, name: str, staff_id: int) -> int:
    """Someone came without signing up: a person with this name, checked in; their id.

    Stored as given; exports neutralise "=1+1".
    """
    person = Person(display_name=name, created_at=work.now)
    work.session.add(person)
    await work.session.flush()
    await attendance.check_in(work.session, event, person.id, "guest", work.now, staff_id)
    return person.id


async def add_walk_ins(work: Work, event: Event, count: int) -> int:
    """Guests only counted, not named; the date's count after adding."""
    return attendance.add_walk_ins(event, count)


async def check_in_by_code(work: Work, person_id: int, code: str) -> SelfCheckIn | None:
    """Check the person in with the date's code (typed, or from the QR code); None when the
    code fits no date whose check-in is open now."""
    code = code.strip()
    event = await attendance.by_code(work.session, code, work.now) if is_number(code) else None
    if event is None:
        return None
    new = await attendance.check_in(work.session, event, person_id, "self", work.now)
    return SelfCheckIn(event, new)


async def code(work: Work, event: Event) -> str:
    """The date's check-in code, made on first use."""
    return await attendance.ensure_code(work.session, event)


def door_sheet(
    community: Community, event: Event, code: str, link: str | None, command: str
) -> bytes:
    """The A5 "Sind Sie da?" sheet for the door, with the QR code and the code to type."""
    return door_sheet_pdf(community, event, code, link, command)


def qr_png(content: str) -> bytes:
    """A QR code for ``content`` (a check-in link) as a PNG, big enough to print."""
    out = io.BytesIO()
    segno.make(content, error="m").save(out, kind="png", scale=12, border=4)
    return out.getvalue()
