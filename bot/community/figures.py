"""The deployment admin's look at every community: key figures side by side (the staff web
page's admin page). Read only; counts, no names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.domain.models import Chat, Community, Event, HelpRequest, OutboxMessage, Role, Rsvp
from bot.domain.roles import VOLUNTEER
from bot.domain.work import Work

AHEAD = timedelta(days=30)  # sign-ups for the dates of the next 30 days
FAILED_SINCE = timedelta(days=7)  # messages that could not be sent, the last 7 days
# Help request states (bot.helping.requests; the features above community are not imported).
_STILL_OPEN = ("open", "offered", "escalated", "accepted")


@dataclass(frozen=True, slots=True)
class CommunityFigures:
    id: int
    name: str
    slug: str
    timezone: str
    members: int  # people with a role in the community
    coming_dates: int
    signed_up: int  # seats taken (companions included) at the dates of the next 30 days
    open_requests: int  # help requests not done or cancelled
    volunteers: int
    last_activity: datetime | None  # a sign-up, a help request or a new date
    waiting: int  # messages to its chats not sent yet
    failed: int  # messages to its chats that could not be sent, the last 7 days


async def all_communities(work: Work) -> list[CommunityFigures]:
    """Every community of the deployment with its key figures, by number."""
    rows = (await work.session.scalars(select(Community).order_by(Community.id))).all()
    return [await _figures(work, community) for community in rows]


async def _count(work: Work, query: object) -> int:
    return int(await work.session.scalar(query) or 0)  # type: ignore[call-overload]


async def _figures(work: Work, community: Community) -> CommunityFigures:
    cid, now = community.id, work.now
    in_community = Role.community_id == cid
    coming = (Event.community_id == cid) & (Event.starts_at > now) & (Event.status != "cancelled")
    chats = select(Chat.id).where(Chat.community_id == cid)
    outbox = select(func.count()).where(OutboxMessage.chat_id.in_(chats))
    return CommunityFigures(
        id=cid,
        name=community.name,
        slug=community.slug,
        timezone=community.timezone,
        members=await _count(
            work, select(func.count(func.distinct(Role.person_id))).where(in_community)
        ),
        coming_dates=await _count(work, select(func.count()).where(coming)),
        signed_up=await _count(
            work,
            select(func.coalesce(func.sum(Rsvp.party_size), 0))
            .join(Event, Event.id == Rsvp.event_id)
            .where(coming, Event.starts_at <= now + AHEAD, Rsvp.status == "yes"),
        ),
        open_requests=await _count(
            work,
            select(func.count()).where(
                HelpRequest.community_id == cid, HelpRequest.status.in_(_STILL_OPEN)
            ),
        ),
        volunteers=await _count(
            work,
            select(func.count(func.distinct(Role.person_id))).where(
                in_community, Role.role == VOLUNTEER
            ),
        ),
        last_activity=await _last_activity(work, cid),
        waiting=await _count(work, outbox.where(OutboxMessage.status == "pending")),
        failed=await _count(
            work,
            outbox.where(
                OutboxMessage.status == "failed", OutboxMessage.created_at >= now - FAILED_SINCE
            ),
        ),
    )


async def _last_activity(work: Work, community_id: int) -> datetime | None:
    found = [
        await work.session.scalar(query)
        for query in (
            select(func.max(Rsvp.updated_at))
            .join(Event, Event.id == Rsvp.event_id)
            .where(Event.community_id == community_id),
            select(func.max(HelpRequest.updated_at)).where(
                HelpRequest.community_id == community_id
            ),
            select(func.max(Event.created_at)).where(Event.community_id == community_id),
        )
    ]
    moments = [moment for moment in found if moment is not None]
    return max(moments, default=None)
