"""Reminder calls for people who signed up by phone: staff mark who wants one; the day
before the date the team hears "Morgen bitte anrufen:" with names and numbers, and marks
each call done. ``tomorrow`` gives the same list to the staff web page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.chat.types import Button
from bot.community import communities
from bot.dates import rsvps
from bot.dates.notices import tell_person
from bot.domain.models import Community, Event, Person, Rsvp
from bot.domain.work import Work
from bot.language.i18n import _, format_span

# The list goes out the day before at this local time (or at once when marked later).
LIST_AT = time(9, 0)
DONE = "call.done"


@dataclass(frozen=True, slots=True)
class Call:
    """One caller of a date as staff see them."""

    rsvp_id: int
    person_id: int
    name: str
    phone: str
    wanted: bool
    done: bool


# toggle_wanted or mark_called, as a button calls them.
RsvpAction = Callable[["Work", "Community", int], Awaitable["Call | None"]]


@dataclass(frozen=True, slots=True)
class DateCalls:
    event: Event
    calls: list[Call]


async def callers(work: Work, event: Event) -> list[Call]:
    """Everyone staff signed up by phone for the date (with a place or waiting)."""
    found = await work.session.execute(
        select(Rsvp, Person)
        .join(Person, Person.id == Rsvp.person_id)
        .where(
            Rsvp.event_id == event.id,
            Rsvp.status.in_((rsvps.YES, rsvps.WAITLIST)),
            Rsvp.phone.is_not(None),
            Rsvp.phone != "",
        )
        .order_by(Rsvp.seq, Rsvp.id)
    )
    return [
        Call(
            rsvp.id,
            person.id,
            person.display_name,
            rsvp.phone or "",
            rsvp.call_wanted,
            rsvp.called_at is not None,
        )
        for rsvp, person in found.all()
    ]


async def _own_rsvp(work: Work, community: Community, rsvp_id: int) -> Rsvp | None:
    rsvp = await work.session.get(Rsvp, rsvp_id)
    if rsvp is None:
        return None
    event = await work.session.get(Event, rsvp.event_id)
    return rsvp if event is not None and event.community_id == community.id else None


async def toggle_wanted(work: Work, community: Community, rsvp_id: int) -> Call | None:
    """Staff tapped a caller: they want a reminder call now (or, tapped again, no longer)."""
    rsvp = await _own_rsvp(work, community, rsvp_id)
    if rsvp is None or not rsvp.phone:
        return None
    rsvp.call_wanted = not rsvp.call_wanted
    return await _call(work, rsvp)


async def mark_called(work: Work, community: Community, rsvp_id: int) -> Call | None:
    """The call is made (tapping again changes nothing)."""
    rsvp = await _own_rsvp(work, community, rsvp_id)
    if rsvp is None or not rsvp.call_wanted:
        return None
    if rsvp.called_at is None:
        rsvp.called_at = work.now
    return await _call(work, rsvp)


async def _call(work: Work, rsvp: Rsvp) -> Call:
    person = await work.session.get(Person, rsvp.person_id)
    name = person.display_name if person is not None else "?"
    return Call(
        rsvp.id,
        rsvp.person_id,
        name,
        rsvp.phone or "",
        rsvp.call_wanted,
        rsvp.called_at is not None,
    )


async def tomorrow(work: Work, community: Community) -> list[DateCalls]:
    """The calls to make for the community's dates tomorrow (the staff web page's list)."""
    tz = ZoneInfo(community.timezone)
    day = work.now.astimezone(tz).date() + timedelta(days=1)
    start = datetime.combine(day, time(), tz)
    found = await work.session.scalars(
        select(Event)
        .where(
            Event.community_id == community.id,
            Event.starts_at >= start,
            Event.starts_at < start + timedelta(days=1),
            Event.status != "cancelled",
        )
        .order_by(Event.starts_at)
    )
    lists = []
    for event in found.all():
        wanted = [call for call in await callers(work, event) if call.wanted]
        if wanted:
            lists.append(DateCalls(event, wanted))
    return lists


async def send_lists(work: Work) -> int:
    """The scheduler's chore: from LIST_AT the day before, each of the team hears once who
    to call (again when more callers were marked since)."""
    soon = await work.session.scalars(
        select(Event.community_id)
        .join(Rsvp, Rsvp.event_id == Event.id)
        .where(
            Rsvp.call_wanted.is_(True),
            Event.starts_at > work.now,
            Event.starts_at < work.now + timedelta(days=2),
            Event.status != "cancelled",
        )
        .distinct()
    )
    sent = 0
    for community_id in soon.all():
        community = await work.session.get(Community, community_id)
        if community is None:
            continue
        local = work.now.astimezone(ZoneInfo(community.timezone))
        if local.time() < LIST_AT:
            continue
        team = await communities.team_of(work.session, community.id)
        for day in await tomorrow(work, community):
            sent += await _tell_team(work, community, day, team)
    return sent


async def _tell_team(work: Work, community: Community, day: DateCalls, team: list[int]) -> int:
    event, calls = day.event, day.calls

    def text(_prefix: str) -> str:
        lines = [
            _("Please call tomorrow:"),
            f"{event.title}, {format_span(event.starts_at, event.ends_at, community.timezone)}",
            "",
        ]
        for n, call in enumerate(calls, 1):
            line = _("{n}. {name}, phone {phone}").format(n=n, name=call.name, phone=call.phone)
            if call.done:
                line += " – " + _("called")
            lines.append(line)
        return "\n".join(lines)

    def buttons() -> tuple[Button, ...]:
        return tuple(
            Button(_("{name}: called").format(name=call.name), DONE, {"rsvp": call.rsvp_id})
            for call in calls
        )

    told = 0
    for person_id in team:
        told += await tell_person(
            work.session,
            person_id,
            community,
            text,
            f"call-list:{event.id}:{person_id}:{len(calls)}",
            work.now,
            buttons=buttons,
            about=[call.person_id for call in calls],
            expires_at=event.starts_at,
        )
    return told
