"""Creating dates: single dates and series from an RRULE, made ahead; skip, move, cancel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates import announcements, jobs
from bot.dates.details import Details, copied
from bot.domain.models import Community, Event, Series
from bot.domain.when import When, occurrences

# Dates of an open-ended series exist this far ahead; a daily job keeps extending them.
HORIZON = timedelta(days=120)
# A date without an end time is shown and exported as lasting this long.
DEFAULT_DURATION = jobs.DEFAULT_LENGTH
MAX_COURSE_DATES = 52
DEFAULT_POLICY = jobs.ReminderPolicy()


async def create(
    session: AsyncSession,
    community: Community,
    when: When,
    details: Details,
    now: datetime,
    *,
    created_by: int | None = None,
    policy: jobs.ReminderPolicy = DEFAULT_POLICY,
) -> tuple[Series | None, list[Event]]:
    """Store a single date, or a series with its dates for the coming months."""
    duration = when.end - when.start if when.end is not None else None
    if when.rrule is None:
        event = _event_from(community, details, when.start, duration)
        session.add(event)
        await session.flush()
        await announcements.schedule_for_event(session, event, now)
        await jobs.schedule_for_event(session, event, community.timezone, policy, now)
        return None, [event]
    rule = when.rrule
    if details.course_dates:
        # A course has a fixed number of dates: COUNT replaces any end given in words.
        rule = re.sub(r";?(COUNT|UNTIL)=[^;]*", "", rule)
        rule += f";COUNT={min(details.course_dates, MAX_COURSE_DATES)}"
    series = Series(
        community_id=community.id,
        kind="course" if details.course_dates else details.kind,
        rrule=rule,
        starts_at=when.start,
        duration_minutes=int(duration.total_seconds() // 60) if duration else None,
        exdates=[],
        deadline_hours=details.deadline_hours,
        **copied(details),
        created_by=created_by,
        created_at=now,
    )
    session.add(series)
    await session.flush()
    return series, await extend(session, series, community, now, policy=policy)


def series_when(series: Series) -> When:
    assert series.starts_at is not None
    return When(series.starts_at, None, series.rrule, True)


async def extend(
    session: AsyncSession,
    series: Series,
    community: Community,
    now: datetime,
    *,
    policy: jobs.ReminderPolicy = DEFAULT_POLICY,
) -> list[Event]:
    """Create the series' dates up to the horizon that do not exist yet (idempotent)."""
    if series.status != "active" or series.starts_at is None:
        return []
    tz = ZoneInfo(community.timezone)
    known = set(
        (await session.scalars(select(Event.occurrence).where(Event.series_id == series.id))).all()
    )
    duration = timedelta(minutes=series.duration_minutes) if series.duration_minutes else None
    horizon = now + HORIZON
    # A course is made whole at once: one sign-up covers all its dates.
    wanted = MAX_COURSE_DATES if series.kind == "course" else 400
    made: list[Event] = []
    for start in occurrences(series_when(series), community.timezone, series.starts_at, wanted):
        if series.kind != "course" and start > horizon:
            break
        if start in known or start.astimezone(tz).date().isoformat() in series.exdates:
            continue
        if start < now:
            continue
        event = _event_from(community, series, start, duration)
        event.series_id, event.occurrence = series.id, start
        session.add(event)
        made.append(event)
    if not made and series.kind != "course":
        following = occurrences(series_when(series), community.timezone, now, 1)
        if not following:
            series.status = "ended"
    await session.flush()
    for event in made:
        await announcements.schedule_for_event(session, event, now)
        await jobs.schedule_for_event(session, event, community.timezone, policy, now)
    return made


def preview(community: Community, when: When, details: Details) -> Event:
    """The first date as it would be stored (not stored), for the summary before saving."""
    return _event_from(community, details, when.start, when.end - when.start if when.end else None)


def _event_from(
    community: Community, source: Details | Series, start: datetime, duration: timedelta | None
) -> Event:
    deadline_hours = source.deadline_hours
    return Event(
        community_id=community.id,
        starts_at=start,
        ends_at=start + duration if duration else None,
        signup_deadline=start - timedelta(hours=deadline_hours) if deadline_hours else None,
        **{**copied(source), "contact": source.contact or community.contact},
    )


async def course_dates(session: AsyncSession, event: Event) -> list[Event]:
    """All dates one sign-up covers: the whole course from this date on, else just this one."""
    if event.series_id is None:
        return [event]
    series = await session.get(Series, event.series_id)
    if series is None or series.kind != "course":
        return [event]
    return list(
        (
            await session.scalars(
                select(Event)
                .where(
                    Event.series_id == series.id,
                    Event.starts_at >= event.starts_at,
                    Event.status != "cancelled",
                )
                .order_by(Event.starts_at)
            )
        ).all()
    )


@dataclass(slots=True)
class Change:
    """A date before and after a change, for the notice to everyone affected."""

    event: Event
    old_start: datetime
    old_end: datetime | None
    old_place: str


async def move(
    session: AsyncSession,
    event: Event,
    start: datetime,
    end: datetime | None,
    place: str | None,
    now: datetime,
    *,
    policy: jobs.ReminderPolicy = DEFAULT_POLICY,
) -> Change:
    """Give a date a new time (and optionally place); sign-ups stay."""
    change = Change(event, event.starts_at, event.ends_at, event.place)
    length = event.ends_at - event.starts_at if event.ends_at else None
    event.starts_at = start
    event.ends_at = end if end is not None else (start + length if length else None)
    if place:
        event.place = place
    if event.signup_deadline is not None:
        event.signup_deadline = start - (change.old_start - event.signup_deadline)
    event.status = "changed"
    await session.flush()
    await announcements.reschedule_for_event(session, event, now)
    community = await session.get(Community, event.community_id)
    assert community is not None
    await jobs.reschedule_for_event(session, event, community.timezone, policy, now)
    return change


async def cancel(session: AsyncSession, event: Event, now: datetime) -> None:
    """Call a date off; its scheduled posts are dropped, the sign-ups are kept for the notice."""
    event.status = "cancelled"
    await announcements.drop_for_event(session, event.id)
    await jobs.drop_for_event(session, event.id)
    await session.flush()


async def skip(session: AsyncSession, event: Event, timezone: str, now: datetime) -> None:
    """Call off one date of a series as an exception (a holiday), so it is never made again."""
    if event.series_id is not None and event.occurrence is not None:
        series = await session.get(Series, event.series_id)
        if series is not None:
            day = event.occurrence.astimezone(ZoneInfo(timezone)).date().isoformat()
            if day not in series.exdates:
                # Reassign: a mutated JSON list is not seen as a change.
                series.exdates = [*series.exdates, day]
    await cancel(session, event, now)
