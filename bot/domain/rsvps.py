"""Sign-ups for a date, counted per person, whichever app they answered from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import Event, Rsvp

YES, NO = "yes", "no"


async def seats_taken(session: AsyncSession, event_id: int) -> int:
    return int(
        await session.scalar(
            select(func.coalesce(func.sum(Rsvp.party_size), 0)).where(
                Rsvp.event_id == event_id, Rsvp.status == YES
            )
        )
        or 0
    )


async def status_of(session: AsyncSession, event_id: int, person_id: int) -> str | None:
    return await session.scalar(
        select(Rsvp.status).where(Rsvp.event_id == event_id, Rsvp.person_id == person_id)
    )


async def answer(
    session: AsyncSession, event: Event, person_id: int, status: str, now: datetime
) -> Rsvp:
    """Record or change the person's answer; one row per person and date."""
    rsvp = await session.scalar(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.person_id == person_id)
    )
    if rsvp is None:
        rsvp = Rsvp(event_id=event.id, person_id=person_id, status=status, created_at=now)
        session.add(rsvp)
    rsvp.status, rsvp.updated_at = status, now
    await session.flush()
    return rsvp
