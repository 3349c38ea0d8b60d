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
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import HelpRequest, Role, VolunteerProfile, VolunteerSkill
from bot.domain.roles import VOLUNTEER

RECENT = timedelta(days=30)
# "Something else": every volunteer may be asked, the description tells what it is about.
ANY_SKILL = "other"
# Open requests are the accepted ones (migration 0029 counts them into the profile).


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


def _listed(column: Any, pattern: Any) -> Any:
    """SQL: the JSON list in ``column`` holds the string of ``pattern`` ('%"value"%'). A LIKE
    on the JSON text works the same on SQLite and PostgreSQL (json.dumps writes the element
    as "value"); SQLite's LIKE ignores case, which only lets a few more rows through to the
    exact check."""
    return cast(column, Text).like(pattern)


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
    """The best ``limit`` volunteers to offer the request to, best first.

    A score is at most ``top`` (time 2, area 1, language 1, as far as the request asks for
    them) less what SQL can already tell is lost (no window on a wished day: at least 2; the
    area surely not listed: 1; the language not spoken: 1) less the fairness penalty. Two
    statements read the candidates best possible score first: those with nothing open,
    recent or pending (penalty 0), then the busy ones with their counts, the second only if
    one of them can still get in. Reading stops as soon as nobody further down can beat the
    last one chosen, and JSON is decoded only for the rows read (typically a few dozen of
    thousands of candidates). The statements are built once per shape of request (which
    tests it needs) with the request's values as parameters, and then only executed.
    """
    area = request.area.casefold().strip()
    shape = _shape(request, area)
    params = _params(request, now, area, shape)
    top = 1 + (2 if request.when_days or request.when_hours else 0) + (1 if area else 0)
    levels = _levels(shape)
    # Groups by what is surely lost, idle (penalty 0) or busy (at least 0.5 lost more):
    # best reachable score first, at a tie the idle ones first.
    groups = sorted(
        ((level, counted) for level in levels for counted in (False, True)),
        key=lambda group: (group[0] + (0.5 if group[1] else 0), group[1]),
    )
    ranked: list[Candidate] = []
    for level, counted in groups:
        best = top - level
        if len(ranked) == limit and ranked[-1].score > best - (0.5 if counted else 0):
            continue
        params["m_level"] = level
        rows = await session.stream(_statement(shape, counted), params)
        async for batch in rows.partitions(32):
            if not _read(request, batch, best, area, exclude, limit, ranked):
                break
        await rows.close()
    return ranked


# A volunteer's typed areas and weekly windows are stored as json.dumps writes them: non-ASCII
# letters escaped ("S\\u00fcd"), windows as {"day": 2, "from": 14, "to": 18}.
_ASCII_AREA = re.compile(r"[a-z0-9 .'-]+")


@dataclass(frozen=True, slots=True)
class _Shape:
    """Which tests a request's statements hold; requests of one shape share them."""

    skill: bool  # a skill other than "something else"
    place: bool  # the place is a plain word (LIKE-safe)
    area: str  # "" (none asked or SQL cannot tell), "ascii" or "other" (non-ASCII)
    home: bool  # a home visit: the Ortsteil test filters instead of scoring
    days: int  # wished days SQL can test (0: none)
    language: str  # "" (not tested), "plain" or "de" (an empty list counts as German)


def _shape(request: HelpRequest, area: str) -> _Shape:
    kind = ""
    if area and _ASCII_AREA.fullmatch(area):
        kind = "ascii"
    elif area and not area.isascii():
        kind = "other"  # only a non-ASCII entry can fold to a non-ASCII area
    days = request.when_days
    language = ""
    if _PLAIN.fullmatch(request.language):
        language = "de" if request.language == "de" else "plain"
    return _Shape(
        skill=request.skill != ANY_SKILL,
        place=bool(_PLAIN.fullmatch(request.place)),
        area=kind,
        home=request.place == "home" and kind != "",
        days=len(days) if days and all(type(day) is int for day in days) else 0,
        language=language,
    )


def _params(request: HelpRequest, now: datetime, area: str, shape: _Shape) -> dict[str, Any]:
    params: dict[str, Any] = {
        "m_now": now,
        "m_since": now - RECENT,
        "m_requester": request.requester_id,
        "m_community": request.community_id,
        "m_skill": request.skill,
        "m_place": f'%"{request.place}"%',
        "m_area": area,
        "m_language": f'%"{request.language}"%',
    }
    for n in range(shape.days):
        params[f"m_day{n}"] = f'%"day": {request.when_days[n]}%'
    return params


def _levels(shape: _Shape) -> list[int]:
    """The points a row can surely miss of the best score (see _surely_lost)."""
    levels = {0}
    if shape.days:
        levels |= {level + 2 for level in levels}
    if shape.area and not shape.home:
        levels |= {level + 1 for level in levels}
    if shape.language:
        levels |= {level + 1 for level in levels}
    return sorted(levels)


def _may_list(column: Any, shape: _Shape) -> Any | None:
    """SQL: the JSON list of typed areas in ``column`` may hold the casefolded area - true
    for every list that does, and for some more (Python decides on those).

    An ASCII area is in the JSON text as typed, in any case (ILIKE ignores ASCII case on
    both databases; its letters need no LIKE escape); a list with any non-ASCII letter
    (escaped as \\u...) may match anything ("Straße" for "strasse"). None when SQL cannot
    tell (other characters)."""
    text = cast(column, Text)
    escaped = text.contains("\\u", autoescape=True)
    if shape.area == "ascii":
        return or_(text.icontains(bindparam("m_area", type_=Text)), escaped)
    if shape.area == "other":
        return escaped
    return None


def _surely_lost(shape: _Shape, listed: Any | None) -> Any:
    """SQL: points a row surely misses of the best score (0 to 4, values: _levels)."""
    lost: Any = literal(0)
    if shape.days:
        # No window on a wished day: the time does not fit (-2) or was not said (0), not +2.
        windows = cast(VolunteerProfile.windows, Text)
        on_a_day = or_(*(windows.like(bindparam(f"m_day{n}")) for n in range(shape.days)))
        lost = lost + case((on_a_day, 0), else_=2)
    if listed is not None:
        lost = lost + case((listed, 0), else_=1)
    if shape.language:
        speaks = _listed(VolunteerProfile.languages, bindparam("m_language", type_=Text))
        if shape.language == "de":
            speaks = or_(speaks, _empty(VolunteerProfile.languages))
        lost = lost + case((speaks, 0), else_=1)
    return lost


@lru_cache(maxsize=256)
def _statement(shape: _Shape, counted: bool) -> Any:
    """The statement reading one group (idle or busy; ``m_level`` points surely lost)."""
    owner = VolunteerProfile.person_id
    now = bindparam("m_now", type_=VolunteerProfile.paused_until.type)
    recent_since = bindparam("m_since", type_=HelpRequest.accepted_at.type)
    # Open, recent or pending: the load migration 0029's triggers keep on the profile.
    profile = VolunteerProfile
    busy = or_(
        profile.open_requests > 0,
        profile.pending_offers > 0,
        profile.last_accepted_at >= recent_since,
    )
    idle = and_(
        profile.open_requests == 0,
        profile.pending_offers == 0,
        or_(profile.last_accepted_at.is_(None), profile.last_accepted_at < recent_since),
    )
    where = [
        or_(VolunteerProfile.paused_until.is_(None), VolunteerProfile.paused_until <= now),
        owner != bindparam("m_requester", type_=Integer),
    ]
    if shape.place:
        place = bindparam("m_place", type_=Text)
        where.append(or_(_listed(VolunteerProfile.places, place), _empty(VolunteerProfile.places)))
    listed = _may_list(VolunteerProfile.areas, shape)
    if shape.home and listed is not None:
        # Home visits only in the volunteer's own Ortsteile (none named: anywhere).
        where.append(or_(_empty(VolunteerProfile.areas), listed))
        listed = None  # every row left may have the area: no point is surely lost
    # The cheap tests first: SQLite evaluates them in this order, the subqueries last. The
    # busy test (three columns) before the level's LIKEs: more than half the rows fail it.
    if counted:
        where.append(busy)
    if len(_levels(shape)) > 1:
        where.append(_surely_lost(shape, listed) == bindparam("m_level", type_=Integer))
    if not counted:
        where.append(idle)
    return _query(shape, where, counted, recent_since)


def _query(shape: _Shape, where: list[Any], counted: bool, recent_since: Any) -> Any:
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
    if shape.skill:
        query = query.join(VolunteerSkill, VolunteerSkill.person_id == owner).where(
            VolunteerSkill.skill == bindparam("m_skill", type_=Text)
        )
    # A test, not a join: joined, SQLite may start from every role of the community (all its
    # members) instead of the skill's index, once the busy group's counts are around it.
    is_volunteer = exists().where(
        Role.person_id == owner,
        Role.community_id == bindparam("m_community", type_=Integer),
        Role.role == VOLUNTEER,
    )
    query = query.where(*where, is_volunteer)
    if not counted:
        # Nothing open, recent or pending: ties go by number.
        return query.add_columns(
            literal(0).label("open_now"), literal(0).label("recent"), literal(0).label("pending")
        ).order_by(VolunteerSkill.person_id if shape.skill else owner)
    recent = select(func.count()).where(
        HelpRequest.volunteer_id == owner, HelpRequest.accepted_at >= recent_since
    )
    inner = query.add_columns(
        VolunteerProfile.open_requests.label("open_now"),
        recent.scalar_subquery().label("recent"),
        VolunteerProfile.pending_offers.label("pending"),
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
