"""Dates of a community."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import Event


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
