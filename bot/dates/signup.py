"""Sign-up use cases: sign someone up (a course: all its dates), give a place back, and what
a person has signed up for.

Each takes a ``Work`` and plain arguments. Who moves up from the waiting list is told here,
privately, and the posted announcements are refreshed, so every caller (a member's button,
staff signing up a caller, erasure) has the same effects.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.chat.types import Attachment
from bot.community.communities import grant_role
from bot.dates import rsvps, series
from bot.dates.calendar import cancellation_ics, event_ics
from bot.dates.notices import refresh_posts, tell_person
from bot.dates.texts import cancel_button, confirmation, moved_up_notice, waitlist_notice
from bot.domain.models import Account, Community, Event, Person, Rsvp, Series
from bot.domain.roles import MEMBER
from bot.domain.work import Work
from bot.infra.deployment import deployment

# The platform of people who have only an e-mail address (bot/adapters/email.py).
EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Status:
    """A person's own place on a date: "yes", or "waitlist" with their position."""

    status: str
    position: int | None = None
    # Seats held, the person included ("mit 2 Begleitpersonen" is 3).
    party_size: int = 1


async def ics_file(work: Work, event: Event, community: Community) -> Attachment:
    """The date as a calendar file to attach to a confirmation."""
    return Attachment(
        filename=f"termin-{event.starts_at:%Y-%m-%d}.ics",
        data=event_ics(event, community, deployment=await deployment(work.session)),
        mime_type="text/calendar",
    )


async def cancellation_file(work: Work, event: Event, community: Community) -> Attachment:
    """The date's calendar cancellation, to attach when a person gives back their place; its
    UID is the confirmation's, so the calendar app knows which entry it cancels."""
    return Attachment(
        filename=f"termin-{event.starts_at:%Y-%m-%d}-abgesagt.ics",
        data=cancellation_ics(event, community, deployment=await deployment(work.session)),
        mime_type="text/calendar",
    )


async def sign_up(
    work: Work,
    community: Community,
    event: Event,
    person_id: int,
    party_size: int,
    *,
    added_by: int | None = None,
    phone: str | None = None,
) -> rsvps.SignUp:
    """Sign someone up for the date (a course: all its dates); the first date's result.

    ``added_by``: the staff member who signed up someone else (a caller on the phone).
    """
    session, now = work.session, work.now
    locked = await rsvps.lock(session, event.id)
    assert locked is not None
    dates = await series.course_dates(session, locked)
    results = []
    for date in dates:
        if date.id != locked.id:
            await rsvps.lock(session, date.id)
        results.append(
            await rsvps.sign_up(
                session, date, person_id, party_size, now, added_by=added_by, phone=phone
            )
        )
    told: set[int] = set()
    for date, each in zip(dates, results, strict=True):
        await tell_moved_up(work, community, date, each.moved_up, told)
        if each.changed:
            await refresh_posts(session, date, now)
    return results[0]


async def give_back(
    work: Work, community: Community, event: Event, person_id: int, *, decline: bool
) -> int:
    """Free the person's place (all dates of a course); the seats they had, companions
    included (0: none, a waiting-list place neither).

    ``decline``: "Ich kann nicht" (remembered as a no) rather than a cancelled sign-up.
    """
    session, now = work.session, work.now
    locked = await rsvps.lock(session, event.id)
    assert locked is not None
    seats = 0
    told: set[int] = set()
    for date in await series.course_dates(session, locked):
        if date.id != locked.id:
            await rsvps.lock(session, date.id)
        if decline:
            release = await rsvps.decline(session, date, person_id, now)
        else:
            release = await rsvps.cancel(session, date, person_id, now)
        seats = max(seats, release.seats)
        await tell_moved_up(work, community, date, release.moved_up, told)
        await refresh_posts(session, date, now)
    return seats


async def status(work: Work, event: Event, person_id: int) -> Status | None:
    """The person's place on the date, or None when they have none."""
    rsvp = await rsvps.find(work.session, event.id, person_id)
    if rsvp is None or rsvp.status not in (rsvps.YES, rsvps.WAITLIST):
        return None
    if rsvp.status == rsvps.WAITLIST:
        return Status(
            rsvps.WAITLIST, await rsvps.position(work.session, rsvp), rsvp.party_size or 1
        )
    return Status(rsvps.YES, party_size=rsvp.party_size or 1)


async def my_sign_ups(work: Work, person_id: int) -> list[Event]:
    """The person's coming dates; a course once, by its next date (one sign-up covers all)."""
    rows = (
        await work.session.execute(
            select(Event, Series.kind)
            .join(Rsvp, Rsvp.event_id == Event.id)
            .outerjoin(Series, Series.id == Event.series_id)
            .where(
                Rsvp.person_id == person_id,
                Rsvp.status.in_((rsvps.YES, rsvps.WAITLIST)),
                Event.starts_at > work.now,
                Event.status != "cancelled",
            )
            .order_by(Event.starts_at)
        )
    ).all()
    seen_courses: set[int] = set()
    mine = []
    for event, kind in rows:
        if kind == "course" and event.series_id is not None:
            if event.series_id in seen_courses:
                continue
            seen_courses.add(event.series_id)
        mine.append(event)
    return mine


async def tell_moved_up(
    work: Work, community: Community, event: Event, moved: list[Rsvp], told: set[int]
) -> None:
    """Tell everyone who got a place from the waiting list; ``told`` holds who already
    heard it (a course moves a person up on each of its dates, and one notice is enough)."""
    if not moved:
        return
    file = await ics_file(work, event, community)
    for rsvp in moved:
        if rsvp.person_id in told:
            continue
        told.add(rsvp.person_id)
        await tell_person(
            work.session,
            rsvp.person_id,
            community,
            lambda prefix: moved_up_notice(event, community, prefix),
            f"moved-up:{event.id}:{rsvp.id}:{rsvp.updated_at.isoformat()}",
            work.now,
            attachment=lambda: file,
            by_link=(
                lambda: moved_up_notice(event, community, tap=True),
                lambda: cancel_button(event),
            ),
        )


async def give_back_all(work: Work, person_id: int) -> int:
    """Give back every coming place of the person (erasure); how many dates they had.

    Each date's own community words the notices to whoever moves up.
    """
    mine = await my_sign_ups(work, person_id)
    for event in mine:
        community = await work.session.get(Community, event.community_id)
        assert community is not None
        await give_back(work, community, event, person_id, decline=False)
    return len(mine)


@dataclass(frozen=True, slots=True)
class CallerSignUp:
    """A caller signed up by staff: the new person (no chat account) and their place."""

    person_id: int
    result: rsvps.SignUp


async def sign_up_caller(
    work: Work,
    community: Community,
    event: Event,
    name: str,
    phone: str | None,
    party_size: int,
    staff_id: int | None,
    email: str | None = None,
    locale: str | None = None,
) -> CallerSignUp:
    """Sign up someone who phoned in; they become a person without a chat account.

    With an ``email`` address they hear by e-mail what a member hears in the chat: the
    confirmation with its calendar file here, then reminders, changes, a place from the
    waiting list and the feedback question (the address is their account on the "email"
    platform; a known address is the same person again). Staff took the sign-up on the
    phone, which is the consent, as for every caller (``Rsvp.added_by``).

    The public page's self sign-up (``web_signup.confirm``) calls this with
    ``staff_id=None`` once the person confirmed their address (double opt-in).
    ``locale``: the language the person uses (the page's); without it they hear the
    community's language.

    The name is stored as typed (a name starting with "=" stays text; exports neutralise it).
    """
    person_id = await _caller(work, community, name, email)
    person = await work.session.get(Person, person_id)
    if locale and person is not None:
        person.locale = locale
    result = await sign_up(
        work, community, event, person_id, party_size, added_by=staff_id, phone=phone
    )
    if email and result.changed:
        await _confirm_by_email(work, community, event, person_id, result, party_size)
    return CallerSignUp(person_id, result)


async def _caller(work: Work, community: Community, name: str, email: str | None) -> int:
    session = work.session
    if email:
        account = await session.scalar(
            select(Account).where(Account.platform == EMAIL, Account.external_id == email)
        )
        if account is not None:
            # Staff gave the address again, so it is right now: write to it again.
            account.unreachable = False
            return account.person_id
    person = Person(display_name=name, created_at=work.now)
    session.add(person)
    await session.flush()
    if email:
        session.add(
            Account(
                person_id=person.id,
                platform=EMAIL,
                external_id=email,
                display_name=name,
                created_at=work.now,
            )
        )
        # A member of the community, so the links in their e-mails act for it.
        await grant_role(session, person.id, community.id, MEMBER, granted_by=None, now=work.now)
        await session.flush()
    return person.id


async def _confirm_by_email(
    work: Work,
    community: Community,
    event: Event,
    person_id: int,
    result: rsvps.SignUp,
    party_size: int,
) -> None:
    key = f"caller-confirm:{event.id}:{person_id}:{work.now.isoformat()}"
    if result.outcome == rsvps.YES:
        file = await ics_file(work, event, community)
        await tell_person(
            work.session,
            person_id,
            community,
            lambda _prefix: confirmation(event, community, party_size, tap=True),
            key,
            work.now,
            attachment=lambda: file,
            buttons=lambda: cancel_button(event),
        )
    elif result.outcome == rsvps.WAITLIST and result.position is not None:
        position = result.position
        await tell_person(
            work.session,
            person_id,
            community,
            lambda _prefix: waitlist_notice(event, community, position),
            key,
            work.now,
            buttons=lambda: cancel_button(event),
        )


async def _caller_rsvp(work: Work, event: Event, person_id: int) -> Rsvp | None:
    """The sign-up (a place or the waiting list) staff made for a caller; None otherwise."""
    rsvp = await rsvps.find(work.session, event.id, person_id)
    if rsvp is None or rsvp.added_by is None or rsvp.status not in (rsvps.YES, rsvps.WAITLIST):
        return None
    return rsvp


async def change_caller(
    work: Work,
    community: Community,
    event: Event,
    person_id: int,
    name: str,
    phone: str | None,
    party_size: int,
) -> rsvps.SignUp | None:
    """Staff change a caller's name, phone number or number of people, with the same rules
    as any sign-up (capacity; people moved up from the waiting list are told). None when
    the person is no caller signed up for this date."""
    rsvp = await _caller_rsvp(work, event, person_id)
    person = await work.session.get(Person, person_id)
    if rsvp is None or person is None:
        return None
    person.display_name, rsvp.phone = name, phone
    return await sign_up(work, community, event, person_id, party_size)


async def remove_caller(work: Work, community: Community, event: Event, person_id: int) -> bool:
    """Staff take a caller off the date (who waits moves up and is told); False when the
    person is no caller signed up for this date."""
    if await _caller_rsvp(work, event, person_id) is None:
        return False
    await give_back(work, community, event, person_id, decline=False)
    return True
