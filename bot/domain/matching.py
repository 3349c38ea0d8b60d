"""Who should be asked first to take a help request.

Only volunteers of the request's community who offer the skill, are not paused and are
below their own maximum of open requests are candidates. They are ranked by how well the
time, place, area and language fit, and then by fairness: fewer open and fewer recent
requests first, so the same few people are not asked every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import HelpOffer, HelpRequest, Role, VolunteerProfile, VolunteerSkill
from bot.roles import VOLUNTEER

RECENT = timedelta(days=30)
# "Something else": every volunteer may be asked, the description tells what it is about.
ANY_SKILL = "other"
OPEN_STATES = ("accepted",)


@dataclass(frozen=True, slots=True)
class Candidate:
    person_id: int
    score: float
    open_requests: int
    recent_requests: int


def _fits_time(windows: list[Any], days: list[Any], hours: list[Any]) -> bool | None:
    """True when a weekly window meets the wished time; None when either side said nothing."""
    if not windows or (not days and not hours):
        return None
    for window in windows:
        day_ok = not days or window.get("day") in days
        hours_ok = not hours or (
            window.get("from", 0) < hours[1] and hours[0] < window.get("to", 24)
        )
        if day_ok and hours_ok:
            return True
    return False


async def rank(
    session: AsyncSession,
    request: HelpRequest,
    now: datetime,
    *,
    exclude: set[int] | frozenset[int] = frozenset(),
    limit: int = 3,
) -> list[Candidate]:
    """The best ``limit`` volunteers to offer the request to, best first."""
    query = (
        select(
            VolunteerProfile.person_id,
            VolunteerProfile.languages,
            VolunteerProfile.areas,
            VolunteerProfile.windows,
            VolunteerProfile.places,
            VolunteerProfile.max_open,
        )
        .join(
            Role,
            and_(
                Role.person_id == VolunteerProfile.person_id,
                Role.community_id == request.community_id,
                Role.role == VOLUNTEER,
            ),
        )
        .where(
            or_(VolunteerProfile.paused_until.is_(None), VolunteerProfile.paused_until <= now),
            VolunteerProfile.person_id != request.requester_id,
        )
    )
    if request.skill != ANY_SKILL:
        query = query.join(
            VolunteerSkill, VolunteerSkill.person_id == VolunteerProfile.person_id
        ).where(VolunteerSkill.skill == request.skill)
    rows = (await session.execute(query)).all()
    rows = [row for row in rows if row.person_id not in exclude]
    if not rows:
        return []
    ids = [row.person_id for row in rows]
    open_counts = dict(
        (
            await session.execute(
                select(HelpRequest.volunteer_id, func.count())
                .where(HelpRequest.volunteer_id.in_(ids), HelpRequest.status.in_(OPEN_STATES))
                .group_by(HelpRequest.volunteer_id)
            )
        ).all()
    )
    recent_counts = dict(
        (
            await session.execute(
                select(HelpRequest.volunteer_id, func.count())
                .where(
                    HelpRequest.volunteer_id.in_(ids),
                    HelpRequest.accepted_at >= now - RECENT,
                )
                .group_by(HelpRequest.volunteer_id)
            )
        ).all()
    )
    # Offers still waiting for an answer weigh too: nobody gets a pile of questions.
    pending = dict(
        (
            await session.execute(
                select(HelpOffer.volunteer_id, func.count())
                .join(HelpRequest, HelpRequest.id == HelpOffer.request_id)
                .where(
                    HelpOffer.volunteer_id.in_(ids),
                    HelpOffer.answer == "",
                    HelpRequest.status == "offered",
                )
                .group_by(HelpOffer.volunteer_id)
            )
        ).all()
    )
    area = request.area.casefold().strip()
    ranked = []
    for row in rows:
        open_now = open_counts.get(row.person_id, 0)
        if open_now >= row.max_open:
            continue
        if row.places and request.place not in row.places:
            continue
        areas = [a.casefold().strip() for a in row.areas or []]
        if request.place == "home" and area and areas and area not in areas:
            continue  # a home visit only where the volunteer said they go
        score = 0.0
        fits = _fits_time(row.windows or [], request.when_days, request.when_hours)
        if fits:
            score += 2
        elif fits is False:
            score -= 2
        if area and area in areas:
            score += 1
        languages = row.languages or ["de"]
        if request.language in languages:
            score += 1
        recent = recent_counts.get(row.person_id, 0)
        score -= 1.5 * open_now + 0.5 * recent + 0.5 * pending.get(row.person_id, 0)
        ranked.append(Candidate(row.person_id, score, open_now, recent))
    ranked.sort(key=lambda c: (-c.score, c.open_requests, c.recent_requests, c.person_id))
    return ranked[:limit]
