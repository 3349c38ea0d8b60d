"""Dates of a community."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates import rsvps
from bot.domain.models import Event
from bot.domain.work import Work


async def upcoming(
    session: AsyncSession, community_id: int, now: datetime, limit: int
) -> list[Event]:
    """The community's next dates that are not cancelled, soonest first."""
    return list(
        (
            await session.scalars(
                select(Event)
                .where(
                    Event.community_id == community_id,
                    Event.starts_at > now,
                    Event.status != "cancelled",
                )
                .order_by(Event.starts_at)
                .limit(limit)
            )
        ).all()
    )


async def next_event(session: AsyncSession, community_id: int, now: datetime) -> Event | None:
    """The community's next date that is not cancelled."""
    found = await upcoming(session, community_id, now, 1)
    return found[0] if found else None


async def coming(work: Work, community_id: int, limit: int) -> list[Event]:
    """The community's next dates from now on, as a member's list shows them."""
    return await upcoming(work.session, community_id, work.now, limit)


async def in_community(work: Work, community_id: int, event_id: int) -> Event | None:
    """The date with this number when it belongs to the community; None otherwise."""
    event = await work.session.get(Event, event_id)
    return event if event is not None and event.community_id == community_id else None


async def by_number(work: Work, event_id: int) -> Event | None:
    """The date with this number, whichever community it belongs to (the caller checks
    the person's roles there)."""
    return await work.session.get(Event, event_id)


async def places(work: Work, event_id: int) -> tuple[int, int]:
    """Seats taken (with companions) and people waiting, as the announcement shows them."""
    return (
        await rsvps.seats_taken(work.session, event_id),
        await rsvps.waiting_count(work.session, event_id),
    )
