"""Dates of a community."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import Event


async def next_event(session: AsyncSession, community_id: int, now: datetime) -> Event | None:
    """The community's next date that is not cancelled."""
    return await session.scalar(
        select(Event)
        .where(
            Event.community_id == community_id,
            Event.starts_at > now,
            Event.status != "cancelled",
        )
        .order_by(Event.starts_at)
        .limit(1)
    )
