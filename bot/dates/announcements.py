"""Scheduled posts to a community's chats: dates before they happen, and staff's own texts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.types import Outgoing
from bot.community import communities
from bot.dates.notices import tell_groups
from bot.domain.models import Announcement, Chat, Community, Event, Series
from bot.domain.when import When, occurrences
from bot.domain.work import Work

EVENT, EVENT_AGAIN, TEXT = "event", "event_again", "text"
SCHEDULED, DONE, CANCELLED = "scheduled", "done", "cancelled"
DEFAULT_DAYS, DEFAULT_AGAIN_DAYS = 7, 1
# Staff's same text again within this time is the same announcement (a double tap, a form
# sent twice after a slow answer, the command repeated): it is not posted twice.
AGAIN_WITHIN = timedelta(minutes=10)
_CHANGED = "schedule_changed"


def mark_changed(session: AsyncSession) -> None:
    """Note that something may now be due sooner, so the scheduler looks after the commit."""
    session.info[_CHANGED] = True


def schedule_changed(session: AsyncSession) -> bool:
    return bool(session.info.get(_CHANGED))


async def _offsets(session: AsyncSession, event: Event) -> tuple[int, int | None]:
    if event.series_id is not None:
        series = await session.get(Series, event.series_id)
        if series is not None:
            return series.announce_days, series.announce_again_days
    return DEFAULT_DAYS, DEFAULT_AGAIN_DAYS


async def schedule_for_event(session: AsyncSession, event: Event, now: datetime) -> None:
    """Post the date 7 days before (or at once when that is past) and again 1 day before."""
    mark_changed(session)
    first_days, again_days = await _offsets(session, event)
    first = max(event.starts_at - timedelta(days=first_days), now)
    session.add(
        Announcement(
            community_id=event.community_id,
            kind=EVENT,
            event_id=event.id,
            due_at=first,
            created_at=now,
        )
    )
    if again_days is not None:
        again = event.starts_at - timedelta(days=again_days)
        # Only when it is a real second reminder, not right after the first post.
        if again > first + timedelta(hours=12):
            session.add(
                Announcement(
                    community_id=event.community_id,
                    kind=EVENT_AGAIN,
                    event_id=event.id,
                    due_at=again,
                    created_at=now,
                )
            )
    await session.flush()


async def for_event(session: AsyncSession, event_id: int) -> list[Announcement]:
    return list(
        (
            await session.scalars(
                select(Announcement)
                .where(Announcement.event_id == event_id, Announcement.status == SCHEDULED)
                .order_by(Announcement.due_at)
            )
        ).all()
    )


async def reschedule_for_event(session: AsyncSession, event: Event, now: datetime) -> None:
    """After a move: the posts not yet made follow the new time."""
    mark_changed(session)
    pending = await for_event(session, event.id)
    first_days, again_days = await _offsets(session, event)
    for announcement in pending:
        days = first_days if announcement.kind == EVENT else again_days or DEFAULT_AGAIN_DAYS
        announcement.due_at = max(event.starts_at - timedelta(days=days), now)
    await session.flush()


async def drop_for_event(session: AsyncSession, event_id: int) -> None:
    for announcement in await for_event(session, event_id):
        announcement.status = CANCELLED
    await session.flush()


async def mark_first_posted(session: AsyncSession, event_id: int) -> None:
    """Staff posted the date by hand: the regular post 7 days before is not needed anymore."""
    for announcement in await for_event(session, event_id):
        if announcement.kind == EVENT:
            announcement.status = DONE


async def move(
    session: AsyncSession, announcement: Announcement, due_at: datetime, rrule: str | None
) -> None:
    """A new time for a scheduled post; a text may become a repeating one."""
    mark_changed(session)
    announcement.due_at = due_at
    if announcement.kind == TEXT and rrule:
        announcement.rrule = rrule


async def schedule_text(
    session: AsyncSession,
    community_id: int,
    text: str,
    due_at: datetime,
    rrule: str | None,
    chat_ids: list[int] | None,
    created_by: int | None,
    now: datetime,
) -> Announcement:
    mark_changed(session)
    announcement = Announcement(
        community_id=community_id,
        kind=TEXT,
        text=text,
        due_at=due_at,
        rrule=rrule,
        chat_ids=chat_ids,
        created_by=created_by,
        created_at=now,
    )
    session.add(announcement)
    await session.flush()
    return announcement


async def upcoming(session: AsyncSession, community_id: int) -> list[Announcement]:
    """The community's scheduled posts, soonest first."""
    return list(
        (
            await session.scalars(
                select(Announcement)
                .where(
                    Announcement.community_id == community_id,
                    Announcement.status == SCHEDULED,
                )
                .order_by(Announcement.due_at, Announcement.id)
            )
        ).all()
    )


async def due(session: AsyncSession, now: datetime, limit: int = 50) -> list[Announcement]:
    return list(
        (
            await session.scalars(
                select(Announcement)
                .where(Announcement.status == SCHEDULED, Announcement.due_at <= now)
                .order_by(Announcement.due_at, Announcement.id)
                .limit(limit)
            )
        ).all()
    )


async def next_due(session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(Announcement.due_at)
        .where(Announcement.status == SCHEDULED)
        .order_by(Announcement.due_at)
        .limit(1)
    )


def following(announcement: Announcement, timezone: str, now: datetime) -> datetime | None:
    """The next time a repeating text is due after now, in the community's wall time."""
    if not announcement.rrule:
        return None
    # Each due time is itself an occurrence, so it serves as DTSTART (and keeps 9:00 at 9:00).
    when = When(announcement.due_at, None, announcement.rrule, True)
    found = occurrences(when, timezone, now, 1, inclusive=False)
    return found[0] if found else None


# Staff's own announcements: the use cases behind /ankuendigung_neu and /ankuendigungen.


@dataclass(frozen=True, slots=True)
class Listed:
    """A scheduled post as staff see it listed: its text, or the title of its date."""

    id: int
    due_at: datetime
    kind: str
    text: str
    repeats: bool
    title: str  # the date's title for a date's post; "?" when the date is gone


async def post_chats(work: Work, community_id: int) -> list[Chat]:
    """The group chats a staff announcement can go to."""
    return await communities.group_chats(work.session, community_id)


@dataclass(frozen=True, slots=True)
class Scheduled:
    """Staff's text as stored: ``sent`` when it went out now; ``next_at`` when it is due
    (again) later, None when it is done."""

    sent: bool
    next_at: datetime | None
    again: bool = False  # the same post was made a few minutes ago: nothing new was stored


async def schedule_post(
    work: Work,
    community_id: int,
    text: str,
    start: datetime,
    rrule: str | None,
    chat_ids: list[int] | None,
    created_by: int | None,
) -> Scheduled:
    """Schedule staff's own text (repeating with ``rrule``) for all groups or the chosen ones;
    a start not in the future is sent at once (a repeating one then waits for its next time).
    The same post from the same person a few minutes ago (a double tap, a form sent again)
    is not stored or sent again: ``again``."""
    same = await _same_post(work, community_id, text, start, rrule, chat_ids, created_by)
    if same is not None:
        return Scheduled(False, same.due_at if same.status == SCHEDULED else None, again=True)
    row = await schedule_text(
        work.session,
        community_id,
        text,
        max(start, work.now),
        rrule,
        chat_ids,
        created_by,
        work.now,
    )
    community = await work.session.get(Community, community_id)
    if row.due_at > work.now or community is None:
        return Scheduled(False, row.due_at)
    await post_text(work, row, community)
    return Scheduled(True, row.due_at if row.status == SCHEDULED else None)


async def _same_post(
    work: Work,
    community_id: int,
    text: str,
    start: datetime,
    rrule: str | None,
    chat_ids: list[int] | None,
    created_by: int | None,
) -> Announcement | None:
    """The same text to the same groups by the same person within ``AGAIN_WITHIN``, not
    cancelled: sent now, the one posted in that time; for later, the one waiting for the same
    time; repeating, the one with the same rule (it would post twice every time)."""
    if created_by is None:
        return None
    since = work.now - AGAIN_WITHIN
    rows = await work.session.scalars(
        select(Announcement)
        .where(
            Announcement.community_id == community_id,
            Announcement.kind == TEXT,
            Announcement.created_by == created_by,
            Announcement.status != CANCELLED,
            Announcement.created_at >= since,
            Announcement.text == text,
        )
        .order_by(Announcement.id.desc())
    )
    wanted = sorted(chat_ids) if chat_ids is not None else None
    for row in rows:
        chats = sorted(row.chat_ids) if row.chat_ids is not None else None
        if chats != wanted or (row.rrule or None) != (rrule or None):
            continue
        if rrule:
            return row
        if start > work.now and row.status == SCHEDULED and row.due_at == start:
            return row
        if start <= work.now and row.status == DONE and row.due_at >= since:
            return row
    return None


async def post_text(work: Work, announcement: Announcement, community: Community) -> None:
    """Post staff's text to the groups (all, or the chosen ones); a repeating one waits for
    its next time, any other is done."""
    key = f"ann:{announcement.id}:{announcement.due_at.isoformat()}"
    text = announcement.text
    await tell_groups(
        work.session,
        community,
        lambda _prefix: Outgoing(text),
        key,
        work.now,
        chat_ids=announcement.chat_ids,
    )
    next_at = following(announcement, community.timezone, work.now)
    if next_at is not None:
        announcement.due_at = next_at
    else:
        announcement.status = DONE


async def listed(work: Work, community_id: int, limit: int) -> list[Listed]:
    """The community's scheduled posts, soonest first, at most ``limit``."""
    shown = []
    for row in (await upcoming(work.session, community_id))[:limit]:
        event = await work.session.get(Event, row.event_id) if row.event_id else None
        title = event.title if event else "?"
        shown.append(Listed(row.id, row.due_at, row.kind, row.text, bool(row.rrule), title))
    return shown


async def find_post(
    work: Work, community_id: int, announcement_id: int, *, scheduled: bool = True
) -> Announcement | None:
    """The community's post with this id (only while still scheduled, unless told)."""
    row = await work.session.get(Announcement, announcement_id)
    if row is None or row.community_id != community_id:
        return None
    if scheduled and row.status != SCHEDULED:
        return None
    return row


async def cancel_post(work: Work, announcement: Announcement) -> None:
    """Cancel a scheduled post: it is not posted."""
    announcement.status = CANCELLED


async def move_post(
    work: Work, announcement: Announcement, due_at: datetime, rrule: str | None
) -> None:
    """A new time for a scheduled post; a text may become a repeating one."""
    await move(work.session, announcement, due_at, rrule)


async def schedule_event_post(work: Work, event: Event, due_at: datetime) -> None:
    """Post the date to all groups at a time staff chose, as its regular post is posted."""
    mark_changed(work.session)
    work.session.add(
        Announcement(
            community_id=event.community_id,
            kind=EVENT,
            event_id=event.id,
            due_at=due_at,
            created_at=work.now,
        )
    )
    await work.session.flush()
