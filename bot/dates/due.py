"""What of dates and sign-up falls due, for the scheduler: the scheduled posts (a date
before it happens, staff's own texts) and making series dates ahead.

``rounds`` is what the composition root registers; posting one announcement is the use
case ``post_announcement``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.dates import announcements, rsvps, series, web_signup
from bot.dates.jobs import ReminderPolicy
from bot.dates.notices import post_event
from bot.domain.models import Announcement, Community, Event, EventPost, Series
from bot.domain.work import Work
from bot.infra.scheduler import Chore, DueWork, Round

EXTEND_EVERY = timedelta(hours=12)
# The post the day before is left out when the date was posted this recently anyway.
AGAIN_NOT_WITHIN = timedelta(hours=12)


def rounds(policy: ReminderPolicy) -> list[Round]:
    """Making series dates ahead (twice a day is plenty), then the posts that are due."""
    return [
        Chore("series", lambda work: extend_all_series(work, policy), every=EXTEND_EVERY),
        # Sign-ups from the public page nobody confirmed: erased with their address.
        Chore("web sign-up expiry", web_signup.erase_expired, every=timedelta(hours=1)),
        DueWork(
            "announcements",
            announcements.due,
            post_announcement,
            next_due=announcements.next_due,
            hurry=True,  # a group's post, not behind the private reminders of the hour
        ),
    ]


async def extend_all_series(work: Work, policy: ReminderPolicy) -> None:
    """Make the next months' dates of every active series (idempotent)."""
    rows = (
        await work.session.execute(
            select(Series, Community)
            .join(Community, Community.id == Series.community_id)
            .where(Series.status == "active", Series.starts_at.is_not(None))
        )
    ).all()
    for item, community in rows:
        await series.extend(work.session, item, community, work.now, policy=policy)


async def post_announcement(work: Work, announcement: Announcement) -> None:
    """Post one due announcement to the community's groups: a staff text (and when it
    repeats, its next time), or a date (unless that is over, full or just posted)."""
    session, now = work.session, work.now
    community = await session.get(Community, announcement.community_id)
    if community is None:
        announcement.status = announcements.CANCELLED
        return
    if announcement.kind == announcements.TEXT:
        await announcements.post_text(work, announcement, community)
        return
    announcement.status = announcements.DONE
    event = await session.get(Event, announcement.event_id) if announcement.event_id else None
    if event is None or not _worth_posting(event, now):
        return
    if announcement.kind == announcements.EVENT_AGAIN:
        taken = await rsvps.seats_taken(session, event.id)
        if event.capacity is not None and taken >= event.capacity:
            return  # full: a second post would only disappoint
        if await _posted_since(work, event.id, now - AGAIN_NOT_WITHIN):
            return  # e.g. created late, so the first post went out just now
    await post_event(session, event, community, f"ann:{announcement.id}", now)


async def _posted_since(work: Work, event_id: int, since: datetime) -> bool:
    found = await work.session.scalar(
        select(EventPost.id)
        .where(EventPost.event_id == event_id, EventPost.created_at >= since)
        .limit(1)
    )
    return found is not None


def _worth_posting(event: Event, now: datetime) -> bool:
    """No post for a date that is over, called off or closed for sign-up."""
    return rsvps.open_for_sign_up(event, now) is None
