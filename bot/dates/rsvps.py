"""Sign-ups for a date: seats with companions, a waiting list in arrival order, move-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import Event, Rsvp

YES, NO, WAITLIST, CANCELLED = "yes", "no", "waitlist", "cancelled"
# A person plus at most this many companions; a larger group should talk to the team.
MAX_PARTY = 5

Outcome = Literal[
    "yes",  # has a seat (new or unchanged)
    "waitlist",  # on the waiting list, see position
    "closed",  # the sign-up deadline has passed
    "over",  # the date has started, is done or was cancelled
    "no_room",  # already has a seat; the larger party does not fit
]


@dataclass(slots=True)
class SignUp:
    """What a sign-up attempt did."""

    outcome: Outcome
    rsvp: Rsvp | None = None
    position: int | None = None
    changed: bool = True
    # Others who got a seat because this person now brings fewer companions.
    moved_up: list[Rsvp] = field(default_factory=list)


@dataclass(slots=True)
class Release:
    """What a cancellation freed: the seats (companions included, 0 for a waiting-list
    place) and the people who moved up from the waiting list."""

    had_seat: bool
    moved_up: list[Rsvp] = field(default_factory=list)
    seats: int = 0


async def lock(session: AsyncSession, event_id: int) -> Event | None:
    """The date, locked for the rest of the transaction so sign-ups are counted one by one."""
    # PostgreSQL: row lock; SQLite: the write transaction (BEGIN IMMEDIATE) already serialises.
    return await session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


_YES_SEATS = func.coalesce(func.sum(case((Rsvp.status == YES, Rsvp.party_size), else_=0)), 0)
# Seats taken and people waiting in one statement (a group post shows both).
_COUNTS = select(_YES_SEATS, func.count(case((Rsvp.status == WAITLIST, 1)))).where(
    Rsvp.event_id == bindparam("event_id"), Rsvp.status.in_((YES, WAITLIST))
)
# Seats taken and the highest arrival number, for a sign-up (under the date's lock).
_TALLY = select(_YES_SEATS, func.coalesce(func.max(Rsvp.seq), 0)).where(
    Rsvp.event_id == bindparam("event_id")
)


async def counts(session: AsyncSession, event_id: int) -> tuple[int, int]:
    """Seats taken (companions included) and people on the waiting list."""
    taken, waiting = (await session.execute(_COUNTS, {"event_id": event_id})).one()
    return int(taken or 0), int(waiting or 0)


async def seats_taken(session: AsyncSession, event_id: int) -> int:
    return int(
        await session.scalar(
            select(func.coalesce(func.sum(Rsvp.party_size), 0)).where(
                Rsvp.event_id == event_id, Rsvp.status == YES
            )
        )
        or 0
    )


def free_seats(event: Event, taken: int) -> int | None:
    """Free places, or None when the date has no limit."""
    return None if event.capacity is None else max(event.capacity - taken, 0)


async def waiting_count(session: AsyncSession, event_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(Rsvp.event_id == event_id, Rsvp.status == WAITLIST)
        )
        or 0
    )


async def find(session: AsyncSession, event_id: int, person_id: int) -> Rsvp | None:
    return await session.scalar(
        select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.person_id == person_id)
    )


async def status_of(session: AsyncSession, event_id: int, person_id: int) -> str | None:
    rsvp = await find(session, event_id, person_id)
    return rsvp.status if rsvp else None


async def position(session: AsyncSession, rsvp: Rsvp) -> int:
    """1-based place on the waiting list."""
    ahead = await session.scalar(
        select(func.count()).where(
            Rsvp.event_id == rsvp.event_id, Rsvp.status == WAITLIST, Rsvp.seq < rsvp.seq
        )
    )
    return int(ahead or 0) + 1


async def attending(session: AsyncSession, event_id: int, *statuses: str) -> list[Rsvp]:
    """Sign-ups with the given statuses (default: seat or waiting list), in arrival order."""
    wanted = statuses or (YES, WAITLIST)
    return list(
        (
            await session.scalars(
                select(Rsvp)
                .where(Rsvp.event_id == event_id, Rsvp.status.in_(wanted))
                .order_by(Rsvp.seq)
            )
        ).all()
    )


def open_for_sign_up(event: Event, now: datetime) -> Outcome | None:
    """None when the date takes sign-ups now, else why not."""
    if event.status in ("cancelled", "done") or event.starts_at <= now:
        return "over"
    if event.signup_deadline is not None and now >= event.signup_deadline:
        return "closed"
    return None


async def sign_up(
    session: AsyncSession,
    event: Event,
    person_id: int,
    party_size: int,
    now: datetime,
    *,
    added_by: int | None = None,
    phone: str | None = None,
) -> SignUp:
    """Give a seat if one is free and nobody is waiting; otherwise a waiting-list place.

    The caller must hold the date's lock (`lock`), so concurrent sign-ups count correctly.
    """
    if (closed := open_for_sign_up(event, now)) is not None:
        return SignUp(closed, changed=False)
    party_size = max(1, min(party_size, MAX_PARTY))
    rsvp = await find(session, event.id, person_id)
    taken, highest = (await session.execute(_TALLY, {"event_id": event.id})).one()
    taken = int(taken or 0)
    if rsvp is not None and rsvp.status == YES:
        if party_size == rsvp.party_size:
            return SignUp(YES, rsvp, changed=False)
        if event.capacity is not None and taken - rsvp.party_size + party_size > event.capacity:
            return SignUp("no_room", rsvp, changed=False)
        smaller = party_size < rsvp.party_size
        rsvp.party_size, rsvp.updated_at = party_size, now
        await session.flush()
        moved = await move_up(session, event, now) if smaller else []
        return SignUp(YES, rsvp, moved_up=moved)
    if rsvp is not None and rsvp.status == WAITLIST:
        changed = rsvp.party_size != party_size
        rsvp.party_size, rsvp.updated_at = party_size, now
        await session.flush()
        return SignUp(WAITLIST, rsvp, await position(session, rsvp), changed=changed)
    if rsvp is None:
        rsvp = Rsvp(event_id=event.id, person_id=person_id, status=NO, created_at=now)
        session.add(rsvp)
    rsvp.seq = int(highest or 0) + 1
    rsvp.party_size, rsvp.updated_at = party_size, now
    rsvp.added_by, rsvp.phone = added_by, phone
    # Everyone waiting needs more seats than are free (move_up sees to that), so a newcomer
    # who fits takes nobody's place.
    if event.capacity is None or taken + party_size <= event.capacity:
        rsvp.status = YES
        await session.flush()
        return SignUp(YES, rsvp)
    rsvp.status = WAITLIST
    await session.flush()
    return SignUp(WAITLIST, rsvp, await position(session, rsvp))


async def decline(session: AsyncSession, event: Event, person_id: int, now: datetime) -> Release:
    """ "Ich kann nicht": record no; a seat given back moves the waiting list up."""
    rsvp = await find(session, event.id, person_id)
    if rsvp is None:
        session.add(
            Rsvp(event_id=event.id, person_id=person_id, status=NO, created_at=now, updated_at=now)
        )
        await session.flush()
        return Release(had_seat=False)
    return await _release(session, event, rsvp, NO, now)


async def cancel(session: AsyncSession, event: Event, person_id: int, now: datetime) -> Release:
    """Give back a seat or waiting-list place; the next people waiting move up."""
    rsvp = await find(session, event.id, person_id)
    if rsvp is None or rsvp.status not in (YES, WAITLIST):
        return Release(had_seat=False)
    return await _release(session, event, rsvp, CANCELLED, now)


async def _release(
    session: AsyncSession, event: Event, rsvp: Rsvp, status: str, now: datetime
) -> Release:
    had_seat = rsvp.status == YES
    rsvp.status, rsvp.updated_at = status, now
    await session.flush()
    moved = await move_up(session, event, now) if had_seat else []
    seats = (rsvp.party_size or 1) if had_seat else 0
    return Release(had_seat=had_seat, moved_up=moved, seats=seats)


async def move_up(session: AsyncSession, event: Event, now: datetime) -> list[Rsvp]:
    """Give free seats to the waiting list in arrival order.

    A party too large for the free seats keeps its place in the list, and the seats go to
    the next who fits: a seat left empty helps nobody.
    """
    if open_for_sign_up(event, now) == "over":
        return []
    waiting = await attending(session, event.id, WAITLIST)
    if not waiting:
        return []  # nobody waits (most dates): no seats to count
    moved: list[Rsvp] = []
    taken = await seats_taken(session, event.id)
    for rsvp in waiting:
        if event.capacity is not None and taken + rsvp.party_size > event.capacity:
            continue
        rsvp.status, rsvp.updated_at = YES, now
        taken += rsvp.party_size
        moved.append(rsvp)
    await session.flush()
    return moved
