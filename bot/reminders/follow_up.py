"""Runs one due job of a date: a reminder to everyone signed up, or the date's end
(attendance and no-shows, thanks to helpers, the feedback question), or the one nudge.

Everything a job sends goes to the outbox in the job's own transaction, with a dedup key
per person, so a crash sends it all once or not at all, and a retry adds nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.community import communities
from bot.dates import jobs, rsvps
from bot.dates.notices import refresh_posts, tell_person
from bot.domain.models import (
    Attendance,
    Community,
    Event,
    EventHelper,
    Feedback,
    Job,
    Role,
)
from bot.domain.roles import ADMIN, COORDINATOR, STAFF, VOLUNTEER
from bot.language.choosing import tap_a_face
from bot.language.i18n import N_
from bot.reminders import texts

log = logging.getLogger(__name__)
HELPER_ROLES = (VOLUNTEER, STAFF, COORDINATOR, ADMIN)


async def run_job(
    session: AsyncSession, job: Job, policy: jobs.ReminderPolicy, now: datetime
) -> None:
    """Do one job (or mark it expired and tell staff); the caller commits."""
    job.status, job.done_at = jobs.DONE, now
    event = await session.get(Event, job.event_id)
    community = await session.get(Community, event.community_id) if event else None
    if event is None or community is None or event.status == "cancelled":
        job.status = jobs.CANCELLED
        return
    if job.kind == jobs.REMINDER:
        if now >= event.starts_at or now - job.due_at > policy.grace:
            await _expire(session, job, event, community, N_("the reminder"), now)
            return
        await remind(session, event, community, job.offset_spec, now)
    elif job.kind == jobs.END:
        await close_date(session, event, community, now)
        await refresh_posts(session, event, now)  # the posts say it is over, no buttons
        await thank_helpers(session, event, community, now)
        if now - job.due_at > policy.grace:
            await _expire(session, job, event, community, N_("the question how it was"), now)
            return
        await ask_feedback(session, event, community, now)
        jobs.add_nudge(session, event, policy, now)
    elif job.kind == jobs.NUDGE:
        if now - job.due_at > policy.grace:
            await _expire(session, job, event, community, N_("the second question"), now)
            return
        await nudge(session, event, community, now)


async def remind(
    session: AsyncSession, event: Event, community: Community, which: str, now: datetime
) -> int:
    """Everyone with a place now (not those who cancelled or still wait); returns how many."""
    sent = 0
    for rsvp in await rsvps.attending(session, event.id, rsvps.YES):
        # The start is part of the key: a moved date reminds again for its new time.
        key = f"remind:{event.id}:{which}:{event.starts_at:%Y%m%d%H%M}:{rsvp.person_id}"
        ok = await tell_person(
            session,
            rsvp.person_id,
            community,
            lambda _prefix: texts.reminder(event, community, now),
            key,
            now,
            buttons=lambda: texts.reminder_buttons(event),
            expires_at=event.starts_at,
            tap_hint=texts.tap_here,
        )
        sent += ok
    return sent


async def close_date(
    session: AsyncSession, event: Event, community: Community, now: datetime
) -> None:
    """The date is over: where attendance was taken, who came and who did not."""
    if event.status != "cancelled":
        event.status = "done"
    present = set(
        (
            await session.scalars(
                select(Attendance.person_id).where(Attendance.event_id == event.id)
            )
        ).all()
    )
    if not present and not event.walk_ins:
        return  # nobody took attendance: "did not come" would be a guess
    for rsvp in await rsvps.attending(session, event.id, rsvps.YES):
        rsvp.attended = rsvp.person_id in present


async def thank_helpers(
    session: AsyncSession, event: Event, community: Community, now: datetime
) -> None:
    """Volunteers and staff who were there (or took attendance) get a thank-you, with a
    special one at their 10th, 25th, … date."""
    helpers = set(
        (
            await session.scalars(
                select(Attendance.person_id)
                .join(Role, Role.person_id == Attendance.person_id)
                .where(
                    Attendance.event_id == event.id,
                    Role.community_id == community.id,
                    Role.role.in_(HELPER_ROLES),
                )
            )
        ).all()
    )
    helpers |= {
        by
        for by in (
            await session.scalars(
                select(Attendance.by_person_id).where(Attendance.event_id == event.id)
            )
        ).all()
        if by is not None
    }
    helpers |= set(
        (
            await session.scalars(
                select(EventHelper.person_id).where(EventHelper.event_id == event.id)
            )
        ).all()
    )
    for person_id in sorted(helpers):
        known = await session.scalar(
            select(EventHelper.id).where(
                EventHelper.event_id == event.id, EventHelper.person_id == person_id
            )
        )
        if known is None:
            session.add(EventHelper(event_id=event.id, person_id=person_id, created_at=now))
            await session.flush()
        served = await session.scalar(
            select(func.count(EventHelper.id)).where(EventHelper.person_id == person_id)
        )
        await tell_person(
            session,
            person_id,
            community,
            lambda _prefix, n=served or 1: texts.helper_thanks(event, n),
            f"thanks-helper:{event.id}:{person_id}",
            now,
        )


async def ask_feedback(
    session: AsyncSession, event: Event, community: Community, now: datetime
) -> int:
    """ "Wie war es?" to each attendee: those checked in, or, where nobody took attendance,
    everyone who had a place. Helpers are thanked instead."""
    present = (
        await session.scalars(select(Attendance.person_id).where(Attendance.event_id == event.id))
    ).all()
    if present or event.walk_ins:
        people = set(present)
    else:
        people = {r.person_id for r in await rsvps.attending(session, event.id, rsvps.YES)}
    people -= set(
        (
            await session.scalars(
                select(EventHelper.person_id).where(EventHelper.event_id == event.id)
            )
        ).all()
    )
    asked = 0
    for person_id in sorted(people):
        ok = await tell_person(
            session,
            person_id,
            community,
            lambda _prefix: texts.feedback_question(event, community),
            f"feedback:{event.id}:{person_id}",
            now,
            buttons=lambda: texts.rating_buttons(event),
            tap_hint=tap_a_face,
        )
        if ok:
            session.add(Feedback(event_id=event.id, person_id=person_id, asked_at=now))
            asked += 1
    await session.flush()
    return asked


async def nudge(session: AsyncSession, event: Event, community: Community, now: datetime) -> int:
    """One gentle second ask to those who did not answer; never more."""
    waiting = (
        await session.scalars(
            select(Feedback).where(
                Feedback.event_id == event.id,
                Feedback.rating.is_(None),
                Feedback.nudged_at.is_(None),
            )
        )
    ).all()
    for row in waiting:
        row.nudged_at = now
        await tell_person(
            session,
            row.person_id,
            community,
            lambda _prefix: texts.feedback_question(event, community, again=True),
            f"feedback-again:{event.id}:{row.person_id}",
            now,
            buttons=lambda: texts.rating_buttons(event),
            tap_hint=tap_a_face,
        )
    return len(waiting)


async def _expire(
    session: AsyncSession,
    job: Job,
    event: Event,
    community: Community,
    what: str,
    now: datetime,
) -> None:
    """Too late to be of use: marked expired, and staff are told what was not sent.

    ``what`` is a message id, translated for each reader."""
    job.status = jobs.EXPIRED
    log.warning("job %s (%s) for date %s expired", job.id, job.kind, event.id)
    staff = await communities.team_of(session, community.id)
    for person_id in staff:
        await tell_person(
            session,
            person_id,
            community,
            lambda _prefix: texts.expired_report(event, community, what),
            f"expired:{job.id}:{person_id}",
            now,
        )
