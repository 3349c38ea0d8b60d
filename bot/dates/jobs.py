"""What a date needs done later: reminders before it, and after its end the feedback
question, the thanks and one feedback nudge. Rows in ``jobs`` are the schedule.

Due times are computed in the community's wall time, so "the day before at 10:00" stays
10:00 across a change to or from summer time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates.announcements import mark_changed
from bot.domain.models import Event, Job, Series

if TYPE_CHECKING:
    from bot.config import RemindersSection

REMINDER, END, NUDGE = "reminder", "end", "nudge"
SCHEDULED, DONE, EXPIRED, CANCELLED = "scheduled", "done", "expired", "cancelled"
# An event without an end time is taken to last this long.
DEFAULT_LENGTH = timedelta(hours=2)

_DAYS_AT = re.compile(r"^(\d{1,2})d@(\d{1,2}):(\d{2})$")
_HOURS = re.compile(r"^(\d{1,3})h$")
_MINUTES = re.compile(r"^(\d{1,4})m$")


@dataclass(frozen=True)
class ReminderPolicy:
    """The deployment's rules for reminders and what follows a date ([reminders] config)."""

    default: tuple[str, ...] = ("1d@10:00", "2h")
    grace: timedelta = timedelta(minutes=120)
    feedback_after: timedelta = timedelta(minutes=30)
    nudge_after: timedelta = timedelta(hours=24)
    ask_wishes: bool = True

    @classmethod
    def from_settings(cls, section: RemindersSection) -> ReminderPolicy:
        """The rules as the [reminders] section sets them."""
        return cls(
            default=tuple(section.default),
            grace=timedelta(minutes=section.grace_minutes),
            feedback_after=timedelta(minutes=section.feedback_after_minutes),
            nudge_after=timedelta(hours=section.feedback_nudge_hours),
            ask_wishes=section.ask_wishes,
        )


def parse_offset(spec: str) -> tuple[int, time | None, timedelta]:
    """ "1d@10:00" → (1 day, 10:00, 0); "2h" → (0, None, 2 hours); "30m" likewise."""
    spec = spec.strip()
    if found := _DAYS_AT.match(spec):
        days, hour, minute = (int(g) for g in found.groups())
        if days > 30 or hour > 23 or minute > 59:
            raise ValueError(f"reminder {spec!r}: at most 30 days, a time like 10:00")
        return days, time(hour, minute), timedelta(0)
    if found := _HOURS.match(spec):
        return 0, None, timedelta(hours=int(found.group(1)))
    if found := _MINUTES.match(spec):
        return 0, None, timedelta(minutes=int(found.group(1)))
    raise ValueError(f"reminder {spec!r}: write it like '1d@10:00' or '2h'")


def reminder_due(spec: str, starts_at: datetime, timezone: str) -> datetime:
    days, at, before = parse_offset(spec)
    if at is None:
        return starts_at - before
    zone = ZoneInfo(timezone)
    day = starts_at.astimezone(zone).date() - timedelta(days=days)
    return datetime.combine(day, at, tzinfo=zone).astimezone(starts_at.tzinfo)


def ends_at(event: Event) -> datetime:
    return event.ends_at or event.starts_at + DEFAULT_LENGTH


async def reminder_specs(
    session: AsyncSession, event: Event, default: tuple[str, ...]
) -> list[str]:
    if event.series_id is not None:
        series = await session.get(Series, event.series_id)
        if series is not None and series.reminders is not None:
            return list(series.reminders)
    return list(default)


async def schedule_for_event(
    session: AsyncSession,
    event: Event,
    timezone: str,
    policy: ReminderPolicy,
    now: datetime,
    specs: list[str] | None = None,
) -> None:
    """The date's reminders still ahead, and its end (feedback and thanks)."""
    mark_changed(session)
    if specs is None:
        specs = await reminder_specs(session, event, policy.default)
    for spec in specs:
        due = reminder_due(spec, event.starts_at, timezone)
        if due > now and due < event.starts_at:
            session.add(
                Job(event_id=event.id, kind=REMINDER, offset_spec=spec, due_at=due, created_at=now)
            )
    session.add(
        Job(
            event_id=event.id,
            kind=END,
            offset_spec="",
            due_at=ends_at(event) + policy.feedback_after,
            created_at=now,
        )
    )
    await session.flush()


async def reschedule_for_event(
    session: AsyncSession,
    event: Event,
    timezone: str,
    policy: ReminderPolicy,
    now: datetime,
) -> None:
    """After a move: the reminders follow the new time (a reminder already sent for the old
    time goes out again for the new one when that is still ahead)."""
    own = (
        await session.scalars(
            select(Job.offset_spec).where(Job.event_id == event.id, Job.kind == REMINDER)
        )
    ).all()
    await session.execute(
        delete(Job).where(
            Job.event_id == event.id,
            Job.kind.in_((REMINDER, END)),
            Job.status.in_((SCHEDULED, DONE, EXPIRED)),
        )
    )
    # A date keeps the reminder times it had (set for it alone, or by its series).
    await schedule_for_event(session, event, timezone, policy, now, list(own) or None)


async def set_reminders(
    session: AsyncSession,
    event: Event,
    specs: list[str],
    timezone: str,
    now: datetime,
) -> None:
    """New reminder times for one date; those already sent stay sent."""
    await session.execute(
        delete(Job).where(Job.event_id == event.id, Job.kind == REMINDER, Job.status == SCHEDULED)
    )
    done = set(
        (
            await session.scalars(
                select(Job.offset_spec).where(Job.event_id == event.id, Job.kind == REMINDER)
            )
        ).all()
    )
    mark_changed(session)
    for spec in specs:
        due = reminder_due(spec, event.starts_at, timezone)
        if spec not in done and now < due < event.starts_at:
            session.add(
                Job(event_id=event.id, kind=REMINDER, offset_spec=spec, due_at=due, created_at=now)
            )
    await session.flush()


def describe(spec: str) -> tuple[int, int, int]:
    """(days, hour, minute) for "1d@10:00"; (0, -1, minutes) for "2h" or "30m"."""
    days, at, before = parse_offset(spec)
    if at is not None:
        return days, at.hour, at.minute
    return 0, -1, int(before.total_seconds() // 60)


async def drop_for_event(session: AsyncSession, event_id: int) -> None:
    """A called-off date reminds nobody and asks for no feedback."""
    await session.execute(
        update(Job)
        .where(Job.event_id == event_id, Job.status == SCHEDULED)
        .values(status=CANCELLED)
    )


async def due(session: AsyncSession, now: datetime, limit: int = 20) -> list[Job]:
    return list(
        (
            await session.scalars(
                select(Job)
                .where(Job.status == SCHEDULED, Job.due_at <= now)
                .order_by(Job.due_at, Job.id)
                .limit(limit)
                # PostgreSQL: a second bot process skips the job this one is doing.
                .with_for_update(skip_locked=True)
            )
        ).all()
    )


async def next_due(session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(Job.due_at).where(Job.status == SCHEDULED).order_by(Job.due_at).limit(1)
    )


def add_nudge(session: AsyncSession, event: Event, policy: ReminderPolicy, now: datetime) -> None:
    session.add(
        Job(
            event_id=event.id,
            kind=NUDGE,
            offset_spec="",
            due_at=now + policy.nudge_after,
            created_at=now,
        )
    )
    mark_changed(session)
