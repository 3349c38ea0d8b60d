"""Who hears what about a help request: offers to fitting volunteers in rounds, the hand-over
to staff when nobody takes it, the news to both sides, reminders before a meeting.

Used by the handlers and by the scheduler, in their transaction; every message goes through
the outbox with a dedup key, so a retry or a restart tells nobody twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.community import communities
from bot.dates import jobs
from bot.dates.notices import tell_person
from bot.domain.models import Community, HelpOffer, HelpRequest, Person
from bot.helping import matching, skills
from bot.helping import requests as help_requests
from bot.helping import texts as help_texts
from bot.helping.policy import MatchingPolicy
from bot.language.choosing import tap_a_face


def first_name(person: Person | None) -> str:
    return (person.display_name if person else "").split(" ")[0] or "?"


async def offer_round(
    session: AsyncSession,
    request: HelpRequest,
    community: Community,
    policy: MatchingPolicy,
    now: datetime,
) -> int:
    """Offer the request to the next best volunteers; returns how many were asked."""
    asked_before = await help_requests.offered_to(session, request.id)
    chosen = await matching.rank(session, request, now, exclude=asked_before, limit=policy.offer_to)
    skill = await skills.find(session, community, request.skill)
    for candidate in chosen:
        session.add(HelpOffer(request_id=request.id, volunteer_id=candidate.person_id, sent_at=now))
        await tell_person(
            session,
            candidate.person_id,
            community,
            lambda _prefix: help_texts.offer(request, skill, community),
            f"help-offer:{request.id}:{candidate.person_id}",
            now,
            buttons=lambda: help_texts.offer_buttons(request),
            about=parties(request),
        )
    pending = await session.scalar(
        select(HelpOffer.id)
        .where(HelpOffer.request_id == request.id, HelpOffer.answer == "")
        .limit(1)
    )
    if chosen or pending is not None:
        request.status = help_requests.OFFERED
    request.rounds += 1
    escalate_at = request.created_at + policy.escalate_after
    request.next_step_at = min(now + policy.widen_after, escalate_at)
    request.updated_at = now
    jobs.mark_changed(session)
    await session.flush()
    return len(chosen)


async def step(
    session: AsyncSession, request: HelpRequest, policy: MatchingPolicy, now: datetime
) -> None:
    """The scheduler's turn: ask more people, or hand the request to staff."""
    community = await session.get(Community, request.community_id)
    if community is None:
        help_requests.cancel(request, now)
        return
    if now >= request.created_at + policy.escalate_after:
        await escalate(session, request, community, now)
        return
    await offer_round(session, request, community, policy, now)


async def escalate(
    session: AsyncSession, request: HelpRequest, community: Community, now: datetime
) -> None:
    request.status, request.next_step_at, request.updated_at = (
        help_requests.ESCALATED,
        None,
        now,
    )
    requester = await session.get(Person, request.requester_id)
    skill = await skills.find(session, community, request.skill)
    for person_id in await communities.team_of(session, community.id):
        await tell_person(
            session,
            person_id,
            community,
            lambda _prefix: help_texts.escalated_staff(
                request, skill, community, _name(requester), request.phone
            ),
            f"help-escalated:{request.id}:{person_id}",
            now,
            about=parties(request),
        )
    await tell_person(
        session,
        request.requester_id,
        community,
        lambda _prefix: help_texts.escalated_requester(),
        f"help-escalated-requester:{request.id}",
        now,
        about=parties(request),
    )


async def accepted(
    session: AsyncSession, request: HelpRequest, community: Community, now: datetime
) -> None:
    """Both sides hear it: the volunteer the name and contact, the requester a first name."""
    assert request.volunteer_id is not None
    requester = await session.get(Person, request.requester_id)
    volunteer = await session.get(Person, request.volunteer_id)
    skill = await skills.find(session, community, request.skill)
    await tell_person(
        session,
        request.volunteer_id,
        community,
        lambda _prefix: help_texts.for_volunteer(
            request, skill, community, _name(requester), request.phone
        ),
        f"help-yours:{request.id}:{request.volunteer_id}:{now.isoformat()}",
        now,
        buttons=lambda: help_texts.volunteer_buttons(request),
        about=parties(request),
    )
    await tell_person(
        session,
        request.requester_id,
        community,
        lambda _prefix: help_texts.for_requester(first_name(volunteer)),
        f"help-found:{request.id}:{request.volunteer_id}",
        now,
        buttons=lambda: help_texts.requester_buttons(request),
        about=parties(request),
    )


async def finished(
    session: AsyncSession, request: HelpRequest, community: Community, now: datetime
) -> None:
    """Thanks to the volunteer (a special one at milestones); one question to the requester."""
    assert request.volunteer_id is not None
    done = await help_requests.done_count(session, request.volunteer_id)
    await tell_person(
        session,
        request.volunteer_id,
        community,
        lambda _prefix: help_texts.volunteer_thanks(done),
        f"help-thanks:{request.id}",
        now,
        about=parties(request),
    )
    await tell_person(
        session,
        request.requester_id,
        community,
        lambda _prefix: help_texts.feedback_question(),
        f"help-feedback:{request.id}",
        now,
        buttons=lambda: help_texts.rating_buttons(request),
        about=parties(request),
        tap_hint=tap_a_face,
    )


async def meeting_reminders(session: AsyncSession, now: datetime) -> int:
    """The day before an agreed meeting, at 10:00: a reminder to both."""
    rows = (
        await session.scalars(
            select(HelpRequest).where(
                HelpRequest.status == help_requests.ACCEPTED,
                HelpRequest.agreed_at > now,
                HelpRequest.reminded_at.is_(None),
            )
        )
    ).all()
    sent = 0
    for request in rows:
        community = await session.get(Community, request.community_id)
        if community is None or request.agreed_at is None:
            continue
        if jobs.reminder_due("1d@10:00", request.agreed_at, community.timezone) > now:
            continue
        request.reminded_at = now
        requester = await session.get(Person, request.requester_id)
        volunteer = await session.get(Person, request.volunteer_id)
        for person_id, other in (
            (request.requester_id, first_name(volunteer)),
            (request.volunteer_id, _name(requester)),
        ):
            if person_id is None:
                continue
            await tell_person(
                session,
                person_id,
                community,
                lambda _prefix, r=request, c=community, o=other: help_texts.meeting_reminder(
                    r, c, o
                ),
                f"help-meeting:{request.id}:{person_id}:{request.agreed_at.isoformat()}",
                now,
                about=parties(request),
            )
        sent += 1
    return sent


async def next_meeting_reminder(session: AsyncSession) -> datetime | None:
    """When the next reminder before an agreed meeting is due."""
    rows = (
        await session.execute(
            select(HelpRequest.agreed_at, Community.timezone)
            .join(Community, Community.id == HelpRequest.community_id)
            .where(
                HelpRequest.status == help_requests.ACCEPTED,
                HelpRequest.agreed_at.is_not(None),
                HelpRequest.reminded_at.is_(None),
            )
            .order_by(HelpRequest.agreed_at)
            .limit(20)
        )
    ).all()
    due = [jobs.reminder_due("1d@10:00", agreed, zone) for agreed, zone in rows if agreed]
    return min(due, default=None)


def _name(person: Person | None) -> str:
    return person.display_name if person else "?"


def parties(request: HelpRequest) -> tuple[int | None, ...]:
    """Every message about a help request carries the requester's data (what, where, the
    phone number) or names the volunteer: it is about both."""
    return (request.requester_id, request.volunteer_id)
