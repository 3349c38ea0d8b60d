"""What staff see of a community's help requests and Digitallotsen on the web page: the
requests by state (open, offered, taken on, handed to staff, done lately) and each
volunteer's topics, places, times, load and break.

Read only; call inside ``use_locale`` for the reader (topic labels are in their language).
No phone numbers and no requester names: the page shows what a request is about, as the
offers to volunteers do; who took it, as ``/lotsen`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.domain.models import (
    Community,
    HelpOffer,
    HelpRequest,
    Person,
    Role,
    VolunteerProfile,
    VolunteerSkill,
)
from bot.domain.roles import VOLUNTEER
from bot.domain.work import Work
from bot.helping import requests as help_requests
from bot.helping import skills
from bot.helping.texts import place_words, skill_words
from bot.helping.volunteering import PLACE_LABELS, time_words

DONE_LATELY = timedelta(days=30)
SHOWN_PER_STATE = 50
WORDS_SHOWN = 120  # the resident's words, shortened
STATES = (
    help_requests.OPEN,
    help_requests.OFFERED,
    help_requests.ACCEPTED,
    help_requests.ESCALATED,
    help_requests.DONE,
)


@dataclass(frozen=True, slots=True)
class Asked:
    """A volunteer a request was offered to, since when, and the answer so far."""

    name: str
    since: datetime
    answer: str  # "" (no answer yet) | declined | accepted | taken | returned


@dataclass(frozen=True, slots=True)
class RequestCard:
    id: int
    topic: str
    words: str  # what the resident asked, shortened
    where: str
    when_text: str  # when it suits them, in their words
    asked_at: datetime
    offered: list[Asked] = field(default_factory=list)
    helper: str | None = None  # who took it on
    taken_at: datetime | None = None
    meeting: datetime | None = None
    done_at: datetime | None = None
    minutes: int | None = None


@dataclass(frozen=True, slots=True)
class VolunteerCard:
    person_id: int
    name: str
    topics: list[str]
    places: list[str]  # message ids of PLACE_LABELS
    areas: list[str]
    times: list[str]  # in words
    max_open: int
    offered: int  # offers waiting for an answer
    taken: int  # requests taken on, not done yet
    break_until: datetime | None  # the last day of a break (its start), when on one
    profile: bool  # filled in


def shorten(text: str, most: int = WORDS_SHOWN) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


async def requests_by_state(work: Work, community: Community) -> dict[str, list[RequestCard]]:
    """The community's requests in each of STATES, oldest first; done ones of the last
    30 days, newest first."""
    board: dict[str, list[RequestCard]] = {}
    for state in STATES:
        query = select(HelpRequest).where(
            HelpRequest.community_id == community.id, HelpRequest.status == state
        )
        if state == help_requests.DONE:
            query = query.where(HelpRequest.done_at >= work.now - DONE_LATELY).order_by(
                HelpRequest.done_at.desc()
            )
        else:
            query = query.order_by(HelpRequest.created_at, HelpRequest.id)
        rows = (await work.session.scalars(query.limit(SHOWN_PER_STATE))).all()
        board[state] = [await _card(work, community, row) for row in rows]
    return board


async def _card(work: Work, community: Community, request: HelpRequest) -> RequestCard:
    skill = await skills.find(work.session, community, request.skill)
    offered = [
        Asked(name, sent, answer)
        for name, sent, answer in (
            await work.session.execute(
                select(Person.display_name, HelpOffer.sent_at, HelpOffer.answer)
                .join(Person, Person.id == HelpOffer.volunteer_id)
                .where(HelpOffer.request_id == request.id)
                .order_by(HelpOffer.sent_at, HelpOffer.id)
            )
        ).all()
    ]
    helper = await work.session.get(Person, request.volunteer_id) if request.volunteer_id else None
    return RequestCard(
        id=request.id,
        topic=skill_words(request, skill, community),
        words=shorten(request.description),
        where=place_words(request),
        when_text=request.when_text,
        asked_at=request.created_at,
        offered=offered,
        helper=helper.display_name if helper else None,
        taken_at=request.accepted_at,
        meeting=request.agreed_at,
        done_at=request.done_at,
        minutes=request.minutes,
    )


async def volunteers(work: Work, community: Community) -> list[VolunteerCard]:
    """Each Digitallotse of the community, by name."""
    people = (
        await work.session.scalars(
            select(Person)
            .join(Role, Role.person_id == Person.id)
            .where(Role.community_id == community.id, Role.role == VOLUNTEER)
            .order_by(Person.display_name, Person.id)
        )
    ).all()
    labels = {
        entry.key: skills.label(entry, community)
        for entry in await skills.catalog(work.session, community)
    }
    return [await _volunteer(work, community, person, labels) for person in people]


async def _volunteer(
    work: Work, community: Community, person: Person, labels: dict[str, str]
) -> VolunteerCard:
    row = await work.session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.person_id == person.id)
    )
    keys = (
        await work.session.scalars(
            select(VolunteerSkill.skill)
            .where(VolunteerSkill.person_id == person.id)
            .order_by(VolunteerSkill.id)
        )
    ).all()
    offered = await work.session.scalar(
        select(func.count())
        .select_from(HelpOffer)
        .join(HelpRequest, HelpRequest.id == HelpOffer.request_id)
        .where(
            HelpOffer.volunteer_id == person.id,
            HelpOffer.answer == "",
            HelpRequest.community_id == community.id,
            HelpRequest.status.in_(help_requests.WAITING),
        )
    )
    taken = await work.session.scalar(
        select(func.count()).where(
            HelpRequest.volunteer_id == person.id,
            HelpRequest.community_id == community.id,
            HelpRequest.status == help_requests.ACCEPTED,
        )
    )
    paused = row.paused_until if row is not None else None
    return VolunteerCard(
        person_id=person.id,
        name=person.display_name,
        topics=[labels[key] for key in keys if key in labels],
        places=[PLACE_LABELS[p] for p in (row.places if row else []) if p in PLACE_LABELS],
        areas=list(row.areas) if row else [],
        times=time_words(list(row.windows)) if row else [],
        max_open=row.max_open if row else 0,
        offered=int(offered or 0),
        taken=int(taken or 0),
        break_until=paused - timedelta(days=1)
        if paused is not None and paused > work.now
        else None,
        profile=row is not None,
    )
