"""A community's calendar feed as calendar apps fetch it: which dates, and the .ics bytes.

The web server only speaks HTTP; what goes into the feed is decided here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates.calendar import community_feed
from bot.domain.models import Community, Event
from bot.domain.work import Work
from bot.infra.deployment import deployment

# Recent dates stay a while, so a subscriber still sees what was on last week.
PAST = timedelta(days=30)
AHEAD = timedelta(days=365)


async def public_events(
    session: AsyncSession, community_id: int, now: datetime, *, past: timedelta = PAST
) -> list[Event]:
    """Public dates from ``past`` ago (30 days) to a year ahead, cancelled ones included, by
    start: the one rule of what the public sees (this feed and the public web page)."""
    # Cancelled dates stay in, so subscribed calendars learn of the cancellation.
    rows = await session.scalars(
        select(Event)
        .where(
            Event.community_id == community_id,
            Event.public.is_(True),
            Event.starts_at >= now - past,
            Event.starts_at <= now + AHEAD,
        )
        .order_by(Event.starts_at, Event.id)
    )
    return list(rows)


async def feed(work: Work, slug: str, *, host: str) -> bytes | None:
    """The feed of the community with this slug as .ics, or None when there is none."""
    session = work.session
    community = await session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        return None
    events = await public_events(session, community.id, work.now)
    identity = await deployment(session)
    return community_feed(community, events, deployment=identity, host=host, stamp=work.now)
