"""Planning dates, the staff side: create a date or series, move, skip or cancel one, and
who is coming.

Each use case takes a ``Work`` and plain arguments. A change is told privately to everyone
signed up or waiting; who has no chat with the bot (a caller signed up on the phone) is
returned for staff to call, and then the groups hear it too, without names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.chat.types import Button, Outgoing
from bot.dates import announcements, jobs, rsvps, series
from bot.dates.details import Details
from bot.dates.notices import (
    post_event,
    posted_chats,
    refresh_posts,
    tell_groups,
    tell_person,
)
from bot.dates.signup import ics_file
from bot.dates.texts import cancel_button, cancel_notice, change_notice
from bot.domain import people
from bot.domain.models import Community, Event, Person, Rsvp, Series
from bot.domain.when import When
from bot.domain.work import Work


@dataclass(frozen=True, slots=True)
class Created:
    """What was stored: the series (None for a single date) and its dates, soonest first;
    how many chats the first date was posted to now."""

    series: Series | None
    events: list[Event]
    posted: int = 0


@dataclass(frozen=True, slots=True)
class Unreachable:
    """Someone signed up who cannot be written to: staff call them."""

    person_id: int
    name: str
    phone: str


@dataclass(frozen=True, slots=True)
class Told:
    """How many people were told privately, and whom staff must call."""

    told: int
    unreachable: list[Unreachable]


CallOffRefused = Literal["already_cancelled", "not_in_series"]
# A confirmed call-off whose date changed after the question (moved, renamed, cancelled).
Changed = Literal["changed"]


@dataclass(frozen=True, slots=True)
class CallOffPreview:
    """What calling a date off would do: how many people hear it privately, how many staff
    must call (signed up by phone, no chat), and the date's version the confirmation must
    still find."""

    event: Event
    people: int
    version: str
    to_call: int = 0


@dataclass(frozen=True, slots=True)
class Attendee:
    """One sign-up as staff see it in the list."""

    person_id: int
    name: str
    party_size: int
    phone: str | None
    # Signed up by staff for someone who phoned in (they have no chat app).
    caller: bool = False


@dataclass(frozen=True, slots=True)
class Attendees:
    """Who has a place and who waits; ``taken`` counts the companions too."""

    seated: list[Attendee]
    waiting: list[Attendee]
    taken: int


async def create_date(
    work: Work,
    community: Community,
    when: When,
    details: Details,
    *,
    created_by: int | None,
    policy: jobs.ReminderPolicy,
    post_key: str | None = None,
) -> Created:
    """Store a single date or a series; with ``post_key``, post the first date in the groups
    now (the regular post 7 days before is then not needed). No dates: nothing is stored."""
    created_series, events = await series.create(
        work.session, community, when, details, work.now, created_by=created_by, policy=policy
    )
    posted = 0
    if events and post_key is not None:
        posted = await post_event(work.session, events[0], community, post_key, work.now)
        await announcements.mark_first_posted(work.session, events[0].id)
    return Created(created_series, events, posted)


async def move_date(
    work: Work,
    community: Community,
    event: Event,
    start: datetime,
    end: datetime | None,
    place: str | None,
    *,
    policy: jobs.ReminderPolicy,
    change_id: str,
) -> Told:
    """Give the date a new time (and place); everyone signed up hears old and new side by side.

    ``change_id`` tells this change apart from another move of the same date.
    """
    change = await series.move(work.session, event, start, end, place, work.now, policy=policy)
    told = await tell_all(
        work,
        community,
        event,
        lambda prefix: change_notice(
            event, community, change.old_start, change.old_end, change.old_place, prefix
        ),
        f"moved:{event.id}:{change_id}",
        by_link=(
            lambda: change_notice(
                event, community, change.old_start, change.old_end, change.old_place, tap=True
            ),
            lambda: cancel_button(event),
        ),
    )
    await refresh_posts(work.session, event, work.now)
    return told


async def people_to_tell(work: Work, event: Event) -> int:
    """How many people hear a change of the date: everyone signed up or waiting."""
    return len(await rsvps.attending(work.session, event.id))


def version(event: Event) -> str:
    """A short mark of what people were shown about the date: it differs once the date is
    moved, renamed, given another place or cancelled."""
    shown = "|".join(
        (
            event.title,
            event.starts_at.isoformat(),
            event.ends_at.isoformat() if event.ends_at else "",
            event.place,
            event.status,
        )
    )
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


async def call_off_preview(
    work: Work, event: Event, *, skip: bool
) -> CallOffPreview | CallOffRefused:
    """What ``call_off`` would do, changing nothing: staff confirm it first."""
    refused = _refused(event, skip)
    if refused is not None:
        return refused
    signed_up = await rsvps.attending(work.session, event.id)
    reached = [await people.reachable(work.session, rsvp.person_id) for rsvp in signed_up]
    return CallOffPreview(event, sum(reached), version(event), len(reached) - sum(reached))


def _refused(event: Event, skip: bool) -> CallOffRefused | None:
    if event.status == "cancelled":
        return "already_cancelled"
    if skip and event.series_id is None:
        return "not_in_series"
    return None


async def call_off(
    work: Work, community: Community, event: Event, *, skip: bool, expected: str | None = None
) -> Told | CallOffRefused | Changed:
    """Cancel the date (``skip``: one date of a series, never made again) and tell everyone
    signed up. ``expected``: the ``version`` staff confirmed; a date changed since then
    stays as it is."""
    refused = _refused(event, skip)
    if refused is not None:
        return refused
    if expected is not None and version(event) != expected:
        return "changed"
    if skip:
        await series.skip(work.session, event, community.timezone, work.now)
    else:
        await series.cancel(work.session, event, work.now)
    key = f"cancelled:{event.id}"
    told = await tell_all(
        work,
        community,
        event,
        lambda prefix: cancel_notice(event, community, skip),
        key,
        groups_too=False,  # they hear it below in any case
    )
    # The groups always hear it, where the date was announced (else where the community
    # announces its dates), even when nobody had signed up.
    posted = await posted_chats(work.session, event)
    await tell_groups(
        work.session,
        community,
        lambda prefix: Outgoing(cancel_notice(event, community, skip)),
        f"{key}:groups",
        work.now,
        chat_ids=posted or None,
    )
    await refresh_posts(work.session, event, work.now)
    return told


async def attendees(work: Work, event: Event) -> Attendees:
    """Who is signed up for the date and who waits, in the order they came."""
    seated = await rsvps.attending(work.session, event.id, rsvps.YES)
    waiting = await rsvps.attending(work.session, event.id, rsvps.WAITLIST)
    return Attendees(
        [await _attendee(work, rsvp) for rsvp in seated],
        [await _attendee(work, rsvp) for rsvp in waiting],
        sum(rsvp.party_size for rsvp in seated),
    )


async def _attendee(work: Work, rsvp: Rsvp) -> Attendee:
    person = await work.session.get(Person, rsvp.person_id)
    name = person.display_name if person else "?"
    return Attendee(
        rsvp.person_id, name, rsvp.party_size, rsvp.phone, caller=rsvp.added_by is not None
    )


async def tell_all(
    work: Work,
    community: Community,
    event: Event,
    build: Callable[[str], str],
    key: str,
    *,
    groups_too: bool = True,
    skip: set[int] | None = None,
    by_link: tuple[Callable[[], str], Callable[[], tuple[Button, ...]]] | None = None,
) -> Told:
    """Tell everyone with a place or on the waiting list (but the people in ``skip``); the
    rest go to staff's call list (and, with ``groups_too``, the groups hear it, without
    names). ``by_link``: see ``notices.tell_person``."""
    session, now = work.session, work.now
    told = 0
    unreachable: list[Unreachable] = []
    file = await ics_file(work, event, community)
    for rsvp in await rsvps.attending(session, event.id):
        if skip and rsvp.person_id in skip:
            continue
        ok = await tell_person(
            session,
            rsvp.person_id,
            community,
            build,
            f"{key}:{rsvp.person_id}",
            now,
            attachment=lambda: file,
            by_link=by_link,
        )
        if ok:
            told += 1
            continue
        person = await session.get(Person, rsvp.person_id)
        name = person.display_name if person else "?"
        unreachable.append(Unreachable(rsvp.person_id, name, rsvp.phone or ""))
    if unreachable and groups_too:
        # Some people cannot be written to privately: the groups hear it too, without names.
        await tell_groups(
            session, community, lambda prefix: Outgoing(build(prefix)), f"{key}:groups", now
        )
    return Told(told, unreachable)
