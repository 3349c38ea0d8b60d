"""Who was there: check-in by staff or at the venue, guests, and the date's check-in code."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates import jobs
from bot.domain.models import Attendance, Event, Rsvp

CODE_DIGITS = 5
# A code is unique among dates this close to each other, so it can stay short.
CODE_NEIGHBOURHOOD = timedelta(days=3)
MAX_WALK_INS = 500


async def check_in(
    session: AsyncSession,
    event: Event,
    person_id: int,
    how: str,
    now: datetime,
    by_person_id: int | None = None,
) -> bool:
    """Record that the person is there; False when they already were."""
    known = await session.scalar(
        select(Attendance.id).where(
            Attendance.event_id == event.id, Attendance.person_id == person_id
        )
    )
    if known is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(
                Attendance(
                    event_id=event.id,
                    person_id=person_id,
                    how=how,
                    by_person_id=by_person_id,
                    created_at=now,
                )
            )
    except IntegrityError:
        return False  # checked in a moment ago (a double tap)
    return True


async def undo(session: AsyncSession, event: Event, person_id: int) -> None:
    await session.execute(
        delete(Attendance).where(Attendance.event_id == event.id, Attendance.person_id == person_id)
    )


async def present(session: AsyncSession, event_id: int) -> set[int]:
    return set(
        (
            await session.scalars(
                select(Attendance.person_id).where(Attendance.event_id == event_id)
            )
        ).all()
    )


async def signed_up(session: AsyncSession, event_id: int) -> list[Rsvp]:
    return list(
        (
            await session.scalars(
                select(Rsvp)
                .where(Rsvp.event_id == event_id, Rsvp.status == "yes")
                .order_by(Rsvp.seq, Rsvp.id)
            )
        ).all()
    )


def add_walk_ins(event: Event, count: int) -> int:
    event.walk_ins = min(event.walk_ins + count, MAX_WALK_INS)
    return event.walk_ins


async def ensure_code(session: AsyncSession, event: Event) -> str:
    """The date's check-in code, made on first use; unique among nearby dates."""
    if event.checkin_code:
        return event.checkin_code
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        clash = await session.scalar(
            select(Event.id).where(
                Event.checkin_code == code,
                Event.starts_at > event.starts_at - CODE_NEIGHBOURHOOD,
                Event.starts_at < event.starts_at + CODE_NEIGHBOURHOOD,
            )
        )
        if clash is None:
            event.checkin_code = code
            await session.flush()
            return code


async def by_code(session: AsyncSession, code: str, now: datetime) -> Event | None:
    """The date this code belongs to, if check-in is open now (an hour before the start
    until an hour after the end)."""
    candidates = (
        await session.scalars(
            select(Event).where(
                Event.checkin_code == code.strip(),
                Event.starts_at < now + timedelta(hours=1),
                Event.starts_at > now - timedelta(days=1),
                Event.status != "cancelled",
            )
        )
    ).all()
    for event in candidates:
        if now <= jobs.ends_at(event) + timedelta(hours=1):
            return event
    return None
