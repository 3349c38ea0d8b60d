"""When a date reminds the people signed up: the reminder times staff see and set.

A date of a series takes its series' times; setting them on such a date sets them for the
series and all its coming dates. Times are specs as ``jobs.parse_offset`` reads them
("1d@10:00", "2h", "30m").
"""

from __future__ import annotations

from sqlalchemy import select

from bot.dates import jobs
from bot.domain.models import Community, Event, Job, Series
from bot.domain.work import Work


async def reminder_times(work: Work, event: Event, default: tuple[str, ...]) -> list[str]:
    """The date's reminder times: those set for it, else its series' or the default."""
    own = (
        await work.session.scalars(
            select(Job.offset_spec).where(Job.event_id == event.id, Job.kind == jobs.REMINDER)
        )
    ).all()
    return list(own) or await jobs.reminder_specs(work.session, event, default)


async def set_reminder_times(
    work: Work, community: Community, event: Event, specs: list[str]
) -> int | None:
    """New reminder times for the date, or for its whole series (its coming dates); how many
    dates of the series now have them, None for a single date. Reminders sent stay sent."""
    series = await work.session.get(Series, event.series_id) if event.series_id else None
    dates = [event]
    if series is not None:
        series.reminders = specs
        dates = list(
            (
                await work.session.scalars(
                    select(Event).where(
                        Event.series_id == series.id,
                        Event.starts_at > work.now,
                        Event.status != "cancelled",
                    )
                )
            ).all()
        )
    for date in dates:
        await jobs.set_reminders(work.session, date, specs, community.timezone, work.now)
    return len(dates) if series is not None else None
