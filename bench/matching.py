"""Benchmark: rank and offer help requests among 10,000 Digitallotsen on SQLite.

Builds a region's pool in a temporary SQLite file (migrated like production): 10,000
volunteers, each with 2-5 of the 14 default skills, languages, 1-3 of 20 Ortsteile, 1-4
weekly windows, places and a maximum of open requests; some paused, some busy with accepted
requests, many with requests done in the last weeks. Then 1,000 new requests are ranked and
offered one after another, each in its own transaction as ``bot/helping.offer_round`` does it
(who was asked before, ``matching.rank``, one HelpOffer row per chosen volunteer, the
request's new state, commit), without the chat messages.

Three variants run on identical copies of the database, so each sees the same offers pile up:

* ``rank``      — ``bot.domain.matching.rank`` as it is in the tree;
* ``fast``      — the alternative below (``fast_rank``): the same top three, reading the
                  candidates best possible score first and stopping early; its copy gets
                  the two indexes it needs (``add_indexes``) unless ``--no-indexes``;
* ``baseline``  — the floor: one SQL statement that counts the candidates (same join and
                  filters as rank's first query, no Python scoring) plus the same offer rows
                  and commit. No ranking can be cheaper than finding its candidates once.

    .venv/bin/python bench/matching.py                  # 10,000 volunteers, 1,000 requests
    .venv/bin/python bench/matching.py --quick          # 2,000 / 200, a smoke run
    .venv/bin/python bench/matching.py --no-indexes     # fast_rank on the schema as it is
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Text, and_, cast, exists, func, insert, literal, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot import migrate
from bot.db import create_engine, session_factory
from bot.domain import help_requests, matching
from bot.domain.matching import Candidate
from bot.domain.models import (
    Community,
    HelpOffer,
    HelpRequest,
    Person,
    Role,
    VolunteerProfile,
    VolunteerSkill,
)
from bot.domain.skills import DEFAULT_SKILLS
from bot.roles import MEMBER, VOLUNTEER

ORTSTEILE = (
    "Altstadt", "Nord", "Süd", "Ost", "West", "Bahnhofsviertel", "Hafen", "Neustadt",
    "Am Wald", "Rosenhof", "Kirchdorf", "Mühlenberg", "Seeufer", "Lindenhof", "Gartenstadt",
    "Schlossberg", "Heide", "Feldmark", "Brunnenviertel", "Oberdorf",
)  # fmt: skip
SKILL_KEYS = [key for key, _label in DEFAULT_SKILLS]
# What residents ask most: phones and chat apps far ahead of printers.
SKILL_WEIGHTS = [9, 5, 4, 4, 7, 4, 5, 3, 3, 3, 3, 3, 1, 2]
EXTRA_LANGUAGES = (("en", 0.12), ("tr", 0.05), ("ru", 0.04), ("ar", 0.03), ("uk", 0.03))
PLACES = ("cafe", "phone", "home")
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OFFER_TO = 3  # jobs.Policy.offer_to
Rank = Callable[..., Awaitable[list[Candidate]]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the database ---------------------------------------------------------------------------


def _weighted_sample(rng: random.Random, keys: list[str], weights: list[int], k: int) -> list[str]:
    chosen: list[str] = []
    while len(chosen) < k:
        key = rng.choices(keys, weights)[0]
        if key not in chosen:
            chosen.append(key)
    return chosen


def _volunteer(rng: random.Random, person_id: int) -> dict[str, Any]:
    languages = ["de"] + [code for code, share in EXTRA_LANGUAGES if rng.random() < share]
    windows = []
    for _n in range(rng.randint(1, 4)):
        start = rng.choice((9, 10, 13, 14, 15, 16, 17))
        windows.append({"day": rng.randint(0, 6), "from": start, "to": start + rng.randint(2, 4)})
    places = [p for p in PLACES if rng.random() < (0.8, 0.6, 0.35)[PLACES.index(p)]] or ["cafe"]
    paused = None
    roll = rng.random()
    if roll < 0.05:
        paused = NOW + timedelta(days=rng.randint(1, 60))  # on a break
    elif roll < 0.08:
        paused = NOW - timedelta(days=rng.randint(1, 60))  # back from one
    return {
        "person_id": person_id,
        "languages": languages,
        "areas": rng.sample(ORTSTEILE, rng.randint(1, 3)),
        "windows": windows,
        "places": places,
        "max_open": rng.randint(1, 3),
        "paused_until": paused,
        "created_at": NOW - timedelta(days=200),
        "updated_at": NOW - timedelta(days=rng.randint(0, 200)),
    }


def _request(rng: random.Random, request_id: int, community_id: int, requester: int) -> dict:  # type: ignore[type-arg]
    place = rng.choices(PLACES, (5, 3, 2))[0]
    days = sorted(rng.sample(range(7), rng.randint(1, 2))) if rng.random() < 0.6 else []
    hours = rng.choice(([9, 12], [14, 18], [10, 16])) if rng.random() < 0.6 else []
    return {
        "id": request_id,
        "community_id": community_id,
        "requester_id": requester,
        "skill": rng.choices(SKILL_KEYS, SKILL_WEIGHTS)[0],
        "description": "Wie schicke ich Fotos an meine Enkel?",
        "when_text": "dienstags nachmittags" if days else "",
        "when_days": days,
        "when_hours": hours,
        "place": place,
        "area": rng.choice(ORTSTEILE) if place == "home" or rng.random() < 0.5 else "",
        "language": "de" if rng.random() < 0.92 else rng.choice(("en", "tr", "ru", "ar", "uk")),
        "status": help_requests.OPEN,
        "rounds": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }


async def populate(url: str, volunteers: int, requests: int, seed: int) -> list[int]:
    """Fill the database; returns the ids of the new requests to rank and offer."""
    rng = random.Random(seed)
    engine = create_engine(url)
    sessions = session_factory(engine)
    members = max(2 * requests, 1000)
    async with sessions.begin() as session:
        session.add(Community(id=1, slug="region", name="Digitallotsen der Region", created_at=NOW))
        await session.flush()
        await session.execute(
            insert(Person),
            [
                {"id": n, "display_name": f"Person {n}", "created_at": NOW}
                for n in range(1, volunteers + members + 1)
            ],
        )
        vol_ids = list(range(1, volunteers + 1))
        member_ids = list(range(volunteers + 1, volunteers + members + 1))
        await session.execute(
            insert(Role),
            [
                {"person_id": p, "community_id": 1, "role": r, "created_at": NOW}
                for p in vol_ids
                for r in (MEMBER, VOLUNTEER)
            ]
            + [
                {"person_id": p, "community_id": 1, "role": MEMBER, "created_at": NOW}
                for p in member_ids
            ],
        )
        profiles = [_volunteer(rng, p) for p in vol_ids]
        await session.execute(insert(VolunteerProfile), profiles)
        await session.execute(
            insert(VolunteerSkill),
            [
                {"person_id": p, "skill": key}
                for p in vol_ids
                for key in _weighted_sample(rng, SKILL_KEYS, SKILL_WEIGHTS, rng.randint(2, 5))
            ],
        )
        # History: requests done in the last 90 days, and some accepted ones still open.
        history: list[dict[str, Any]] = []
        next_id = 1
        for profile in profiles:
            person = profile["person_id"]
            for _n in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
                accepted = NOW - timedelta(days=rng.uniform(1, 90))
                row = _request(rng, next_id, 1, rng.choice(member_ids))
                row.update(
                    status=help_requests.DONE,
                    volunteer_id=person,
                    accepted_at=accepted,
                    done_at=accepted + timedelta(days=2),
                    minutes=rng.choice((30, 45, 60, 90)),
                )
                history.append(row)
                next_id += 1
            if rng.random() < 0.2:
                for _n in range(rng.randint(1, profile["max_open"])):
                    row = _request(rng, next_id, 1, rng.choice(member_ids))
                    accepted = NOW - timedelta(days=rng.uniform(0, 10))
                    row.update(
                        status=help_requests.ACCEPTED, volunteer_id=person, accepted_at=accepted
                    )
                    history.append(row)
                    next_id += 1
        new = [_request(rng, next_id + n, 1, rng.choice(member_ids)) for n in range(requests)]
        await session.execute(insert(HelpRequest), history + new)
    async with engine.connect() as connection:
        await connection.exec_driver_sql("ANALYZE")
    await engine.dispose()
    return [row["id"] for row in new]


# --- rank and offer -------------------------------------------------------------------------


async def offer(session: AsyncSession, request: HelpRequest, now: datetime, rank: Rank) -> int:
    """``bot/helping.offer_round`` without the chat messages."""
    asked_before = await help_requests.offered_to(session, request.id)
    chosen = await rank(session, request, now, exclude=asked_before, limit=OFFER_TO)
    for candidate in chosen:
        session.add(HelpOffer(request_id=request.id, volunteer_id=candidate.person_id, sent_at=now))
    if chosen:
        request.status = help_requests.OFFERED
    request.rounds += 1
    request.next_step_at = now + timedelta(hours=4)
    request.updated_at = now
    await session.flush()
    return len(chosen)


async def count_candidates(
    session: AsyncSession,
    request: HelpRequest,
    now: datetime,
    *,
    exclude: set[int] | frozenset[int] = frozenset(),
    limit: int = 3,
) -> list[Candidate]:
    """Baseline: one COUNT over rank's candidate join; offers to the first ids it returns."""
    where = _candidate_filter(request, now)
    count = await session.scalar(
        select(func.count()).select_from(VolunteerSkill).join(*where[0]).where(*where[1])
    )
    if not count:
        return []
    ids = (
        await session.scalars(
            select(VolunteerSkill.person_id)
            .join(*where[0])
            .where(*where[1])
            .limit(limit + len(exclude))
        )
    ).all()
    return [Candidate(p, 0.0, 0, 0) for p in ids if p not in exclude][:limit]


def _candidate_filter(request: HelpRequest, now: datetime) -> tuple[tuple[Any, Any], list[Any]]:
    join = (
        Role,
        and_(
            Role.person_id == VolunteerSkill.person_id,
            Role.community_id == request.community_id,
            Role.role == VOLUNTEER,
        ),
    )
    return join, [
        VolunteerSkill.skill == request.skill,
        VolunteerSkill.person_id != request.requester_id,
    ]


# --- the proposed rank (to replace the body of bot/domain/matching.rank) --------------------

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


async def fast_rank(
    session: AsyncSession,
    request: HelpRequest,
    now: datetime,
    *,
    exclude: set[int] | frozenset[int] = frozenset(),
    limit: int = 3,
) -> list[Candidate]:
    """The best ``limit`` volunteers to offer the request to, best first (as matching.rank).

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
        exists().where(
            HelpRequest.volunteer_id == owner, HelpRequest.status.in_(matching.OPEN_STATES)
        ),
        exists().where(
            HelpRequest.volunteer_id == owner, HelpRequest.accepted_at >= now - matching.RECENT
        ),
        exists()
        .where(HelpOffer.volunteer_id == owner, HelpOffer.answer == "")
        .where(HelpRequest.id == HelpOffer.request_id, HelpRequest.status == "offered"),
    )
    base = [
        VolunteerSkill.skill == request.skill,
        or_(VolunteerProfile.paused_until.is_(None), VolunteerProfile.paused_until <= now),
        owner != request.requester_id,
    ]
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
    query = (
        select(*columns)
        .join(VolunteerSkill, VolunteerSkill.person_id == owner)
        .join(
            Role,
            and_(
                Role.person_id == owner,
                Role.community_id == request.community_id,
                Role.role == VOLUNTEER,
            ),
        )
        .where(*where)
    )
    if not counted:
        # Nothing open, recent or pending: ties go by number, which is the index's order.
        return query.add_columns(
            literal(0).label("open_now"), literal(0).label("recent"), literal(0).label("pending")
        ).order_by(VolunteerSkill.person_id)
    open_now = select(func.count()).where(
        HelpRequest.volunteer_id == owner, HelpRequest.status.in_(matching.OPEN_STATES)
    )
    recent = select(func.count()).where(
        HelpRequest.volunteer_id == owner, HelpRequest.accepted_at >= now - matching.RECENT
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
    fits = matching._fits_time(_decoded(row.windows), request.when_days, request.when_hours)
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


async def run(url: str, request_ids: list[int], rank: Rank) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    timings: list[float] = []
    offered: dict[int, list[int]] = {}
    for n, request_id in enumerate(request_ids):
        now = NOW + timedelta(minutes=n)
        started = time.perf_counter()
        async with sessions.begin() as session:
            request = await session.get(HelpRequest, request_id)
            assert request is not None
            await offer(session, request, now, rank)
        timings.append((time.perf_counter() - started) * 1000)
        offered[request_id] = []
    async with sessions() as session:
        rows = (await session.execute(select(HelpOffer.request_id, HelpOffer.volunteer_id))).all()
    for request_id, volunteer_id in rows:
        offered.setdefault(request_id, []).append(volunteer_id)
    await engine.dispose()
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 0.95),
        "p99_ms": percentile(timings, 0.99),
        "max_ms": max(timings),
        "offers": len(rows),
        "offered": offered,
    }


async def candidate_rows(url: str, request_ids: list[int]) -> float:
    """How many candidates a request has on average (what rank has to look at)."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    total = 0
    async with sessions() as session:
        for request_id in request_ids[:100]:
            request = await session.get(HelpRequest, request_id)
            assert request is not None
            where = _candidate_filter(request, NOW)
            total += (
                await session.scalar(
                    select(func.count())
                    .select_from(VolunteerSkill)
                    .join(*where[0])
                    .where(*where[1])
                )
            ) or 0
    await engine.dispose()
    return total / min(100, len(request_ids))


async def add_indexes(url: str) -> None:
    """The indexes fast_rank's counts need (proposed for migration 0010): offers by volunteer,
    and the accepted time in the volunteer index, so both counts read only the index."""
    engine = create_engine(url)
    async with engine.begin() as connection:
        for statement in (
            "CREATE INDEX ix_help_offers_volunteer ON help_offers (volunteer_id, answer)",
            "DROP INDEX ix_help_requests_volunteer",
            "CREATE INDEX ix_help_requests_volunteer"
            " ON help_requests (volunteer_id, status, accepted_at)",
            "ANALYZE",
        ):
            await connection.exec_driver_sql(statement)
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2,000 volunteers, 200 requests")
    parser.add_argument(
        "--no-indexes", action="store_true", help="fast_rank without the proposed indexes"
    )
    args = parser.parse_args()
    if args.quick:
        args.volunteers, args.requests = 2_000, 200
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        url = f"sqlite+aiosqlite:///{template}"
        migrate.upgrade(url)  # outside the event loop: Alembic runs its own
        started = time.perf_counter()
        request_ids = asyncio.run(populate(url, args.volunteers, args.requests, args.seed))
        build_s = time.perf_counter() - started
        candidates = asyncio.run(candidate_rows(url, request_ids))
        for name, rank in (
            ("rank", matching.rank),
            ("fast", fast_rank),
            ("baseline", count_candidates),
        ):
            copy = Path(tmp) / f"{name}.db"
            shutil.copyfile(template, copy)
            if name == "fast" and not args.no_indexes:
                asyncio.run(add_indexes(f"sqlite+aiosqlite:///{copy}"))
            results[name] = asyncio.run(run(f"sqlite+aiosqlite:///{copy}", request_ids, rank))
    same = results["rank"]["offered"] == results["fast"]["offered"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    current, fast, base = results["rank"], results["fast"], results["baseline"]
    print(f"volunteers / requests:  {args.volunteers} / {args.requests} (built in {build_s:.1f} s)")
    print(f"candidates per request: {candidates:.0f} on average (skill, role, not the requester)")
    for name, label in (
        ("rank", "matching.rank + offer"),
        ("fast", "fast_rank + offer"),
        ("baseline", "baseline (count) + offer"),
    ):
        r = results[name]
        print(
            f"{label:26} p50 {r['p50_ms']:6.2f}  p95 {r['p95_ms']:6.2f}  "
            f"p99 {r['p99_ms']:6.2f}  max {r['max_ms']:6.2f} ms  ({r['offers']} offers)"
        )
    print(f"fast_rank offers the same volunteers as rank: {same}")
    print(f"peak RSS:               {peak:.0f} MB")
    summary = {
        "volunteers": args.volunteers,
        "requests": args.requests,
        "candidates_per_request": round(candidates, 1),
        "p50_ms": round(current["p50_ms"], 2),
        "p95_ms": round(current["p95_ms"], 2),
        "p99_ms": round(current["p99_ms"], 2),
        "fast_p50_ms": round(fast["p50_ms"], 2),
        "fast_p95_ms": round(fast["p95_ms"], 2),
        "fast_p99_ms": round(fast["p99_ms"], 2),
        "baseline_p50_ms": round(base["p50_ms"], 2),
        "baseline_p95_ms": round(base["p95_ms"], 2),
        "fast_same_offers": same,
        "goal_p95_ms": 20,
        "peak_rss_mb": round(peak, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
