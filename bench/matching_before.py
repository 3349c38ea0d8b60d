"""Who should be asked first to take a help request.

Only volunteers of the request's community who offer the skill, are not paused and are
below their own maximum of open requests are candidates. They are ranked by how well the
time, place, area and language fit, and then by fairness: fewer open and fewer recent
requests first, so the same few people are not asked every time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, and_, cast, exists, func, literal, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import HelpOffer, HelpRequest, Role, VolunteerProfile, VolunteerSkill
from bot.domain.roles import VOLUNTEER

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


# Values the LIKE test below can look for safely: no LIKE wildcards, no JSON escapes.
_PLAIN = re.compile(r"[a-z0-9-]{1,20}")


def _listed(column: Any, value: str) -> Any:
    """SQL: the JSON list in ``column`` holds the string ``value``. A LIKE on the JSON text
    works the same on SQLite and PostgreSQL (json.dumps writes the element as "value");
    SQLite's LIKE ignores case, which only lets a few more rows through to the exact check."""
    return cast(column, Text).like(f'%"{value}"%')


def _empty(column: Any) -> Any:
    """SQL: the JSON list in ``column`` holds no string (empty, or null)."""
    return cast(column, Text).not_like('%"%')


def _raw(column: Any) -> Any:
    """A JSON column without SQLAlchemy's decoding: text on SQLite, a list on PostgreSQL
    (asyncpg decodes json itself). Only the rows that can still win are decoded."""
    return type_coerce(column, Text)


def _decoded(value: Any) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value or []


async def rank(
    session: AsyncSession,
    request: HelpRequest,
    now: datetime,
    *,
    exclude: set[int] | frozenset[int] = frozenset(),
    limit: int = 3,
) -> list[Candidate]:
    """The best ``limit`` volunteers to offer the request to, best first .

    A score is at most ``bonus`` (time, area) + 1 (language) - the fairness penalty. The
    candidates are read in groups, best possible score first: volunteers who speak the
    language and have nothing open, recent or pending (penalty 0); those who speak it but are
    busy; then the same two without the language. The idle groups come in the index's order,
    so the database stops working when we stop reading; a group is skipped, and a group's
    reading stops, as soon as nobody in it can still beat the third best found. Typically a few
    dozen of thousands of candidates are looked at, and JSON is decoded only for those.
    """
    owner = VolunteerProfile.person_id
    busy = or_(
        exists().where(HelpRequest.volunteer_id == owner, HelpRequest.status.in_(OPEN_STATES)),
        exists().where(HelpRequest.volunteer_id == owner, HelpRequest.accepted_at >= now - RECENT),
        exists()
        .where(HelpOffer.volunteer_id == owner, HelpOffer.answer == "")
        .where(HelpRequest.id == HelpOffer.request_id, HelpRequest.status == "offered"),
    )
    base = [
        or_(VolunteerProfile.paused_until.is_(None), VolunteerProfile.paused_until <= now),
        owner != request.requester_id,
    ]
    if request.skill != ANY_SKILL:
        base.append(VolunteerSkill.skill == request.skill)
    if _PLAIN.fullmatch(request.place):
        base.append(
            or_(_listed(VolunteerProfile.places, request.place), _empty(VolunteerProfile.places))
        )
    area = request.area.casefold().strip()
    bonus = (2 if request.when_days or request.when_hours else 0) + (1 if area else 0)
    if _PLAIN.fullmatch(request.language):
        speaks = _listed(VolunteerProfile.languages, request.language)
        if request.language == "de":
            speaks = or_(speaks, _empty(VolunteerProfile.languages))
        groups = [
            (and_(speaks, ~busy), False, bonus + 1),
            (and_(speaks, busy), True, bonus + 1),
            (and_(~speaks, ~busy), False, bonus),
            (and_(~speaks, busy), True, bonus),
        ]
    else:
        groups = [(~busy, False, bonus + 1), (busy, True, bonus + 1)]
    ranked: list[Candidate] = []
    for condition, counted, top in groups:
        # A busy volunteer loses at least 0.5 (one recent or pending request).
        if len(ranked) == limit and ranked[-1].score > top - (0.5 if counted else 0):
            continue
        rows = await session.stream(_group_query(request, now, [*base, condition], counted))
        async for batch in rows.partitions(32):
            if not _read(request, batch, top, area, exclude, limit, ranked):
                break
        await rows.close()
    return ranked


def _group_query(request: HelpRequest, now: datetime, where: list[Any], counted: bool) -> Any:
    owner = VolunteerProfile.person_id
    columns = [
        owner.label("person_id"),
        VolunteerProfile.max_open,
        _raw(VolunteerProfile.languages).label("languages"),
        _raw(VolunteerProfile.areas).label("areas"),
        _raw(VolunteerProfile.windows).label("windows"),
        _raw(VolunteerProfile.places).label("places"),
    ]
    query = select(*columns)
    if request.skill != ANY_SKILL:
        query = query.join(VolunteerSkill, VolunteerSkill.person_id == owner)
    query = query.join(
        Role,
        and_(
            Role.person_id == owner,
            Role.community_id == request.community_id,
            Role.role == VOLUNTEER,
        ),
    ).where(*where)
    if not counted:
        # Nothing open, recent or pending: ties go by number, which is the index's order.
        return query.add_columns(
            literal(0).label("open_now"), literal(0).label("recent"), literal(0).label("pending")
        ).order_by(VolunteerSkill.person_id if request.skill != ANY_SKILL else owner)
    open_now = select(func.count()).where(
        HelpRequest.volunteer_id == owner, HelpRequest.status.in_(OPEN_STATES)
    )
    recent = select(func.count()).where(
        HelpRequest.volunteer_id == owner, HelpRequest.accepted_at >= now - RECENT
    )
    pending = (
        select(func.count())
        .select_from(HelpOffer)
        .join(HelpRequest, HelpRequest.id == HelpOffer.request_id)
        .where(
            HelpOffer.volunteer_id == owner,
            HelpOffer.answer == "",
            HelpRequest.status == "offered",
        )
    )
    inner = query.add_columns(
        open_now.scalar_subquery().label("open_now"),
        recent.scalar_subquery().label("recent"),
        pending.scalar_subquery().label("pending"),
    ).subquery()
    c = inner.c
    penalty = 1.5 * c.open_now + 0.5 * c.recent + 0.5 * c.pending
    return select(inner).order_by(penalty, c.open_now, c.recent, c.person_id)


def _read(
    request: HelpRequest,
    rows: Any,
    top: float,
    area: str,
    exclude: Any,
    limit: int,
    ranked: list[Candidate],
) -> bool:
    """Score rows into ``ranked`` (kept best first, at most ``limit``); False once no further
    row of this group can get in (rows come best possible score first, then tie order)."""
    for row in rows:
        best = top - (1.5 * row.open_now + 0.5 * row.recent + 0.5 * row.pending)
        if len(ranked) == limit:
            last = ranked[-1]
            if best < last.score or (
                best == last.score
                and (row.open_now, row.recent, row.person_id)
                > (last.open_requests, last.recent_requests, last.person_id)
            ):
                return False
        if row.open_now >= row.max_open:
            continue
        candidate = _score(request, row, area, exclude)
        if candidate is not None:
            ranked.append(candidate)
            ranked.sort(key=lambda c: (-c.score, c.open_requests, c.recent_requests, c.person_id))
            del ranked[limit:]
    return True


def _score(request: HelpRequest, row: Any, area: str, exclude: Any) -> Candidate | None:
    """matching.rank's filters and score for one row, with the counts from the row."""
    if row.person_id in exclude:
        return None
    places = _decoded(row.places)
    if places and request.place not in places:
        return None
    areas = [a.casefold().strip() for a in _decoded(row.areas)]
    if request.place == "home" and area and areas and area not in areas:
        return None
    score = 0.0
    fits = _fits_time(_decoded(row.windows), request.when_days, request.when_hours)
    if fits:
        score += 2
    elif fits is False:
        score -= 2
    if area and area in areas:
        score += 1
    if request.language in (_decoded(row.languages) or ["de"]):
        score += 1
    score -= 1.5 * row.open_now + 0.5 * row.recent + 0.5 * row.pending
    return Candidate(row.person_id, score, row.open_now, row.recent)
