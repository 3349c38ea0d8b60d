"""The staff overview (the web page's first page): the next dates with their places, the
help requests still open, and what is scheduled to be posted (which staff may stop)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.dates import announcements, events, rsvps
from bot.domain.models import Community, HelpRequest
from bot.domain.work import Work
from bot.exports.tables import HELP_STATUS
from bot.helping import skills
from bot.helping.requests import ACCEPTED, WAITING
from bot.helping.texts import place_words, skill_words
from bot.language.i18n import _, format_when
from bot.reminders import calls

DATES_SHOWN = 10
REQUESTS_SHOWN = 20
POSTS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class DateLine:
    id: int
    title: str
    when: str
    place: str
    signed_up: int  # seats taken, companions included
    capacity: int | None
    free: int | None  # None: no limit
    waiting: int


@dataclass(frozen=True, slots=True)
class RequestLine:
    id: int
    topic: str
    where: str
    status: str  # in words
    asked: str  # when it was asked, in words


@dataclass(frozen=True, slots=True)
class PostLine:
    id: int
    when: str
    what: str  # staff's text, or the title of the date it announces
    repeats: bool


@dataclass(frozen=True, slots=True)
class Overview:
    community_id: int
    community_name: str
    dates: list[DateLine]
    requests: list[RequestLine]
    posts: list[PostLine]
    calls_due: int = 0  # reminder calls for tomorrow not yet made


async def overview(work: Work, community: Community) -> Overview:
    """What staff see first: the next dates, open help requests, scheduled posts."""
    zone = community.timezone
    dates = []
    for event in await events.coming(work, community.id, DATES_SHOWN):
        taken, waiting = await events.places(work, event.id)
        dates.append(
            DateLine(
                event.id,
                event.title,
                format_when(event.starts_at, zone),
                event.place,
                taken,
                event.capacity,
                rsvps.free_seats(event, taken),
                waiting,
            )
        )
    return Overview(
        community.id,
        community.name,
        dates,
        await _requests(work, community),
        [
            PostLine(
                post.id,
                format_when(post.due_at, zone),
                post.text
                if post.kind == announcements.TEXT
                else _("The date “{title}” is announced.").format(title=post.title),
                post.repeats,
            )
            for post in await announcements.listed(work, community.id, POSTS_SHOWN)
        ],
        sum(not call.done for day in await calls.tomorrow(work, community) for call in day.calls),
    )


async def _requests(work: Work, community: Community) -> list[RequestLine]:
    rows = await work.session.scalars(
        select(HelpRequest)
        .where(
            HelpRequest.community_id == community.id,
            HelpRequest.status.in_((*WAITING, ACCEPTED)),
        )
        .order_by(HelpRequest.created_at)
        .limit(REQUESTS_SHOWN)
    )
    lines = []
    for request in rows:
        skill = await skills.find(work.session, community, request.skill)
        lines.append(
            RequestLine(
                request.id,
                skill_words(request, skill, community),
                place_words(request),
                _(HELP_STATUS.get(request.status, request.status)),
                format_when(request.created_at, community.timezone),
            )
        )
    return lines


async def cancel_post(work: Work, community_id: int, post_id: int) -> bool:
    """Staff's "do not post this" on the overview: False when the community has no such
    scheduled post (any more)."""
    post = await announcements.find_post(work, community_id, post_id)
    if post is None:
        return False
    await announcements.cancel_post(work, post)
    return True
