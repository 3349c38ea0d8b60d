"""Changing a date, or a series from one of its dates on, after it was made: title, topic,
place, online address, time and length, places, what to bring, contact; and ending a series.

Each use case takes a ``Work`` and plain arguments (a web form calls them as the chat does)
and returns a plain result or the reason it changed nothing. Everyone signed up or waiting
for a changed date hears old and new side by side, with the calendar file; the groups' posts
follow. Dates that are over never change. Nothing changed, nothing is sent.

Decisions: fewer places than people signed up keeps everyone signed up (nobody loses a
place they were given; the date shows as full); more places move people up from the waiting
list, and they hear it as when a place becomes free. The number of places alone is not told
to the people signed up (it does not change their date).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.dates import announcements, events, jobs, rsvps, series
from bot.dates.details import TEXT_FIELDS
from bot.dates.notices import refresh_posts
from bot.dates.planning import Told, Unreachable, call_off, tell_all
from bot.dates.signup import tell_moved_up
from bot.dates.texts import edit_notice
from bot.domain.models import Community, Event, Series
from bot.domain.when import occurrences
from bot.domain.work import Work
from bot.infra.column_limits import column_length

# ``Changes.capacity`` for "no limit", ``Changes.duration_minutes`` for "no end time".
NO_LIMIT = 0
NO_END = 0
MAX_CAPACITY = 10_000
MAX_MINUTES = 24 * 60
# Fields a member's notice names; the number of places is not among them.
TOLD = (*TEXT_FIELDS, "starts_at", "ends_at")

Refused = Literal[
    "not_found",  # no such date or series in this community
    "past",  # the date is over, or the series has no coming dates from then
    "cancelled",  # the date is cancelled
    "ended",  # the series has ended
    "not_in_series",  # a single date has no series to change
    "unchanged",  # the new values are the old ones
    "empty",  # a title, or both place and online address, would be empty
    "too_long",  # a text is longer than its column
    "bad_value",  # places, time or length out of range, or a control character
]


@dataclass(frozen=True, slots=True)
class Changes:
    """What staff change; ``None`` leaves a detail as it is. Texts may be "" to remove them
    (not the title). ``capacity``: ``NO_LIMIT`` for no limit. ``start_time``: the new time of
    day, each date keeps its day. ``duration_minutes``: ``NO_END`` for no end time."""

    title: str | None = None
    topic: str | None = None
    place: str | None = None
    online_link: str | None = None
    bring: str | None = None
    contact: str | None = None
    capacity: int | None = None
    start_time: time | None = None
    duration_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class Edited:
    """What changed: the dates, who was told, who staff must call, who moved up, and how
    many people hold a place beyond the new number of places (they keep it)."""

    dates: list[Event]
    told: int
    unreachable: list[Unreachable]
    moved_up: int
    over_capacity: int


@dataclass(frozen=True, slots=True)
class Preview:
    """What an edit would change, changing nothing: the dates and how many people hear it."""

    dates: list[Event]
    people: int


def check(changes: Changes) -> Refused | None:
    """Whether the values can be stored at all, before any date is looked at."""
    for name in TEXT_FIELDS:
        value = getattr(changes, name)
        if value is None:
            continue
        if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", value):
            return "bad_value"
        if len(value.strip()) > column_length(Event, name):
            return "too_long"
    if changes.title is not None and not changes.title.strip():
        return "empty"
    if changes.capacity is not None and not 0 <= changes.capacity <= MAX_CAPACITY:
        return "bad_value"
    if changes.duration_minutes is not None and not 0 <= changes.duration_minutes <= MAX_MINUTES:
        return "bad_value"
    return None


async def preview(
    work: Work, community_id: int, event_id: int, changes: Changes, *, whole_series: bool
) -> Preview | Refused:
    """The dates ``edit_date`` (or ``edit_series`` from this date on) would change."""
    found = await _targets(work, community_id, event_id, changes, whole_series)
    if isinstance(found, str):
        return found
    community, dates, _series = found
    if not any(_differences(d, changes, community.timezone) for d in dates):
        return "unchanged"
    people = {r.person_id for d in dates for r in await rsvps.attending(work.session, d.id)}
    return Preview(dates, len(people))


async def edit_date(
    work: Work,
    community_id: int,
    event_id: int,
    changes: Changes,
    *,
    policy: jobs.ReminderPolicy = series.DEFAULT_POLICY,
) -> Edited | Refused:
    """Change one date (of a series too: the others stay) and tell everyone on it."""
    found = await _targets(work, community_id, event_id, changes, whole_series=False)
    if isinstance(found, str):
        return found
    community, dates, _series = found
    return await _apply(work, community, dates, changes, policy)


async def edit_series(
    work: Work,
    community_id: int,
    series_id: int,
    from_date: date,
    changes: Changes,
    *,
    policy: jobs.ReminderPolicy = series.DEFAULT_POLICY,
) -> Edited | Refused:
    """Change a series from ``from_date`` on: its dates made ahead from then (past dates
    never) and what its later dates are made from."""
    community = await work.session.get(Community, community_id)
    row = await work.session.get(Series, series_id)
    if community is None or row is None or row.community_id != community_id:
        return "not_found"
    refused = check(changes) or ("ended" if row.status != "active" else None)
    if refused is not None:
        return refused
    dates = await _series_dates(work, row, community, from_date)
    if not dates:
        return "past"
    if _empties(dates, changes):
        return "empty"
    if not any(_differences(d, changes, community.timezone) for d in dates):
        return "unchanged"
    await _change_template(work, row, community, dates, changes)
    return await _apply(work, community, dates, changes, policy)


async def end_series(work: Work, community_id: int, series_id: int, after: date) -> Told | Refused:
    """End a series after the day ``after``: no date is made after it, and its dates made
    ahead after it are cancelled (everyone signed up hears it)."""
    community = await work.session.get(Community, community_id)
    row = await work.session.get(Series, series_id)
    if community is None or row is None or row.community_id != community_id:
        return "not_found"
    if row.status != "active":
        return "ended"
    _limit(row, community, after + timedelta(days=1))
    later = await _series_dates(work, row, community, after + timedelta(days=1))
    told, unreachable = 0, []
    for event in later:
        result = await call_off(work, community, event, skip=False)
        if isinstance(result, Told):
            told += result.told
            unreachable += result.unreachable
    following = occurrences(series.series_when(row), community.timezone, work.now, 1)
    if not following:
        row.status = "ended"
    await work.session.flush()
    return Told(told, unreachable)


async def _targets(
    work: Work, community_id: int, event_id: int, changes: Changes, whole_series: bool
) -> tuple[Community, list[Event], Series | None] | Refused:
    community = await work.session.get(Community, community_id)
    event = await events.in_community(work, community_id, event_id)
    if community is None or event is None:
        return "not_found"
    refused = check(changes)
    if refused is None and event.status == "cancelled":
        refused = "cancelled"
    if refused is None and event.starts_at < work.now:
        refused = "past"
    if refused is not None:
        return refused
    if not whole_series:
        return community, [event], None
    row = await work.session.get(Series, event.series_id) if event.series_id else None
    if row is None:
        return "not_in_series"
    if row.status != "active":
        return "ended"
    day = event.starts_at.astimezone(ZoneInfo(community.timezone)).date()
    return community, await _series_dates(work, row, community, day), row


async def _series_dates(
    work: Work, row: Series, community: Community, from_date: date
) -> list[Event]:
    """The series' coming dates from the start of ``from_date`` on, not cancelled."""
    start = datetime.combine(from_date, time(0), tzinfo=ZoneInfo(community.timezone))
    query = (
        select(Event)
        .where(
            Event.series_id == row.id,
            Event.starts_at >= max(start, work.now),
            Event.status != "cancelled",
        )
        .order_by(Event.starts_at)
    )
    return list((await work.session.scalars(query)).all())


def new_times(
    event: Event, changes: Changes, timezone: str
) -> tuple[datetime, datetime | None] | None:
    """The date's new start and end when the time or length changes; None otherwise."""
    if changes.start_time is None and changes.duration_minutes is None:
        return None
    tz = ZoneInfo(timezone)
    start = event.starts_at
    if changes.start_time is not None:
        day = start.astimezone(tz).date()
        start = _utc(day, changes.start_time, tz)
    length = event.ends_at - event.starts_at if event.ends_at else None
    if changes.duration_minutes is not None:
        length = timedelta(minutes=changes.duration_minutes) if changes.duration_minutes else None
    return start, (start + length if length else None)


def _differences(event: Event, changes: Changes, timezone: str) -> dict[str, Any]:
    """The changed fields with their old values."""
    old: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = getattr(changes, name)
        if value is not None and value.strip() != getattr(event, name):
            old[name] = getattr(event, name)
    if changes.capacity is not None and (changes.capacity or None) != event.capacity:
        old["capacity"] = event.capacity
    times = new_times(event, changes, timezone)
    if times is not None and times != (event.starts_at, event.ends_at):
        old["starts_at"], old["ends_at"] = event.starts_at, event.ends_at
    return old


def _empties(dates: list[Event], changes: Changes) -> bool:
    """Whether a date would be left without a place and without an online address."""

    def new(event: Event, name: str) -> str:
        value = getattr(changes, name)
        return getattr(event, name) if value is None else value.strip()

    return any(not (new(e, "place") or new(e, "online_link")) for e in dates)


async def _change_template(
    work: Work, row: Series, community: Community, dates: list[Event], changes: Changes
) -> None:
    """The series' later dates are made with the new details. A new time starts a new
    series from the first changed date (the old one ends the day before), so the dates
    made ahead are found again and never made twice."""
    for name in TEXT_FIELDS:
        if getattr(changes, name) is not None:
            setattr(row, name, getattr(changes, name).strip())
    if changes.capacity is not None:
        row.capacity = changes.capacity or None
    if changes.duration_minutes is not None:
        row.duration_minutes = changes.duration_minutes or None
    tz = ZoneInfo(community.timezone)
    assert row.starts_at is not None
    same_time = changes.start_time == row.starts_at.astimezone(tz).time()
    if changes.start_time is None or same_time or row.kind == "course":
        # A course's dates are all made at once: nothing is made later.
        return
    first_day = (dates[0].occurrence or dates[0].starts_at).astimezone(tz).date()
    follower = Series(
        **{
            f.name: getattr(row, f.name)
            for f in Series.__table__.columns  # type: ignore[attr-defined]
            if f.name not in ("id", "starts_at", "status")
        }
    )
    follower.starts_at = _utc(first_day, changes.start_time, tz)
    follower.exdates = list(row.exdates or [])
    _limit(row, community, first_day)
    work.session.add(follower)
    await work.session.flush()
    for event in dates:
        day = (event.occurrence or event.starts_at).astimezone(tz).date()
        event.series_id = follower.id
        event.occurrence = _utc(day, changes.start_time, tz)
    await work.session.flush()


def _utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def _limit(row: Series, community: Community, first_day_not: date) -> None:
    """The series makes no date from ``first_day_not`` on (UNTIL just before it)."""
    tz = ZoneInfo(community.timezone)
    until = datetime.combine(first_day_not, time(0), tzinfo=tz) - timedelta(seconds=1)
    stamp = until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    rule = re.sub(r";?(COUNT|UNTIL)=[^;]*", "", row.rrule or "")
    row.rrule = f"{rule};UNTIL={stamp}"


async def _apply(
    work: Work,
    community: Community,
    dates: list[Event],
    changes: Changes,
    policy: jobs.ReminderPolicy,
) -> Edited | Refused:
    """Change each date, then tell its people and refresh its posts."""
    if _empties(dates, changes):
        return "empty"
    changed: list[tuple[Event, dict[str, Any]]] = []
    for event in dates:
        old = _differences(event, changes, community.timezone)
        if old:
            _set(event, changes, old, community.timezone)
            changed.append((event, old))
    if not changed:
        return "unchanged"
    await work.session.flush()
    told, moved, over, unreachable = 0, 0, 0, []
    for event, old in changed:
        result, moved_up = await _after(work, community, event, old, policy)
        told += result.told
        unreachable += result.unreachable
        moved += moved_up
        taken = await rsvps.seats_taken(work.session, event.id)
        over = max(over, taken - event.capacity if event.capacity is not None else 0)
    return Edited([e for e, _old in changed], told, unreachable, moved, over)


def _set(event: Event, changes: Changes, old: dict[str, Any], timezone: str) -> None:
    for name in TEXT_FIELDS:
        if name in old:
            setattr(event, name, getattr(changes, name).strip())
    if "capacity" in old:
        event.capacity = changes.capacity or None
    if "starts_at" in old:
        times = new_times(event, changes, timezone)
        assert times is not None
        if event.signup_deadline is not None:
            event.signup_deadline = times[0] - (event.starts_at - event.signup_deadline)
        event.starts_at, event.ends_at = times
    # Calendar apps take the copy with the higher SEQUENCE: a changed date counts higher.
    if event.status == "scheduled" and any(name in old for name in TOLD):
        event.status = "changed"


async def _after(
    work: Work, community: Community, event: Event, old: dict[str, Any], policy: Any
) -> tuple[Told, int]:
    """Tell the date's people (those moved up hear that instead) and refresh its posts."""
    if "starts_at" in old:
        await announcements.reschedule_for_event(work.session, event, work.now)
        await jobs.reschedule_for_event(work.session, event, community.timezone, policy, work.now)
    moved = await rsvps.move_up(work.session, event, work.now) if "capacity" in old else []
    told_old = {name: value for name, value in old.items() if name in TOLD}
    result = Told(0, [])
    if told_old:
        result = await tell_all(
            work,
            community,
            event,
            _notice(event, community, told_old),
            f"edited:{event.id}:{_fingerprint(event, told_old)}",
            skip={rsvp.person_id for rsvp in moved},
        )
    await tell_moved_up(work, community, event, moved, set())
    await refresh_posts(work.session, event, work.now)
    return result, len(moved)


def _notice(event: Event, community: Community, old: dict[str, Any]) -> Callable[[str], str]:
    return lambda prefix: edit_notice(event, community, old, prefix)


def _fingerprint(event: Event, old: dict[str, Any]) -> str:
    """The same change made twice (a retry) is told once; another change is told again."""
    shown = repr(sorted((name, str(old[name]), str(getattr(event, name))) for name in old))
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def changes_from(values: dict[str, Any]) -> Changes:
    """``Changes`` from a form's or a dialog's values by name; other names are ignored."""
    names = {f.name for f in fields(Changes)}
    return replace(Changes(), **{k: v for k, v in values.items() if k in names})
