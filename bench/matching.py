"""Benchmark: rank and offer help requests among 10,000 Digitallotsen on SQLite.

Builds a region's pool in a temporary SQLite file (migrated like production): 10,000
volunteers, each with 2-5 of the 14 default skills, languages, 1-3 of 20 Ortsteile, 1-4
weekly windows, places and a maximum of open requests; some paused, some busy with accepted
requests, many with requests done in the last weeks. Then 1,000 new requests are ranked and
offered one after another, each in its own transaction as ``bot/helping.offer_round`` does it
(who was asked before, ``matching.rank``, one HelpOffer row per chosen volunteer, the
request's new state, commit), without the chat messages.

Three variants run on identical copies of the database, so each sees the same offers pile up:

* ``rank``         — ``bot.helping.matching.rank`` with the schema's indexes;
* ``old_indexes``  — the same function on the indexes before migration 0013 (no index on
                     offers by volunteer), to show what the indexes bring;
* ``baseline``     — the floor: one SQL statement that counts the candidates (same join
                     and filters, no Python scoring) plus the same offer rows and commit.
                     No ranking can be cheaper than finding its candidates once.

    .venv/bin/python bench/matching.py                  # 10,000 volunteers, 1,000 requests
    .venv/bin/python bench/matching.py --quick          # 2,000 / 200, a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
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

from sqlalchemy import and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench import matching_before
from bot.domain.models import (
    Community,
    HelpOffer,
    HelpRequest,
    Person,
    Role,
    VolunteerProfile,
    VolunteerSkill,
)
from bot.domain.roles import MEMBER, VOLUNTEER
from bot.helping import matching
from bot.helping import requests as help_requests
from bot.helping.matching import Candidate
from bot.helping.skills import DEFAULT_SKILLS
from bot.infra import migrate
from bot.infra.db import create_engine, session_factory

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
OFFER_TO = 3  # MatchingPolicy.offer_to
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


async def run_interleaved(
    urls: dict[str, str], request_ids: list[int], ranks: dict[str, Rank], profile: bool = False
) -> dict[str, dict[str, Any]]:
    """Offer every request with every variant, each on its own copy of the database. The
    variants take turns request by request (in a rotating order), so a busy minute of the
    shared machine falls on all of them alike."""
    engines = {name: create_engine(url) for name, url in urls.items()}
    sessions = {name: session_factory(engine) for name, engine in engines.items()}
    timings: dict[str, list[float]] = {name: [] for name in urls}
    cpu: dict[str, list[float]] = {name: [] for name in urls}
    profiler = cProfile.Profile() if profile else None
    names = list(urls)
    for n, request_id in enumerate(request_ids):
        now = NOW + timedelta(minutes=n)
        for name in names[n % len(names) :] + names[: n % len(names)]:
            if profiler is not None and name == "rank":
                profiler.enable()
            started, cpu_started = time.perf_counter(), time.process_time()
            async with sessions[name].begin() as session:
                request = await session.get(HelpRequest, request_id)
                assert request is not None
                await offer(session, request, now, ranks[name])
            timings[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - cpu_started) * 1000)
            if profiler is not None and name == "rank":
                profiler.disable()
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        offered: dict[int, list[int]] = {request_id: [] for request_id in request_ids}
        async with sessions[name]() as session:
            rows = (
                await session.execute(
                    select(HelpOffer.request_id, HelpOffer.volunteer_id).order_by(HelpOffer.id)
                )
            ).all()
        for request_id, volunteer_id in rows:
            offered.setdefault(request_id, []).append(volunteer_id)
        await engines[name].dispose()
        values = timings[name]
        results[name] = {
            "p50_ms": statistics.median(values),
            "p95_ms": percentile(values, 0.95),
            "p99_ms": percentile(values, 0.99),
            "max_ms": max(values),
            "cpu_p50_ms": statistics.median(cpu[name]),
            "cpu_p95_ms": percentile(cpu[name], 0.95),
            "offers": len(rows),
            "offered": offered,
        }
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
        print("profile of matching.rank + offer, by own time:")
        print("\n".join(line[:150] for line in out.getvalue().splitlines()[6:]))
    return results


async def run(url: str, request_ids: list[int], rank: Rank) -> dict[str, Any]:
    """One variant alone (tests/unit/test_matching_same_offers.py)."""
    return (await run_interleaved({"rank": url}, request_ids, {"rank": rank}))["rank"]


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


async def old_indexes(url: str) -> None:
    """The schema before migration 0013, to show what the two indexes bring."""
    engine = create_engine(url)
    async with engine.begin() as connection:
        for statement in (
            "DROP INDEX ix_help_offers_volunteer",
            "DROP INDEX ix_help_requests_volunteer",
            "CREATE INDEX ix_help_requests_volunteer ON help_requests (volunteer_id, status)",
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
    parser.add_argument("--profile", action="store_true", help="cProfile the rank variant")
    parser.add_argument(
        "--old-indexes", action="store_true", help="also rank on the indexes before 0013"
    )
    args = parser.parse_args()
    if args.quick:
        args.volunteers, args.requests = 2_000, 200
    load = os.getloadavg()
    variants: dict[str, Rank] = {
        "rank": matching.rank,
        "before": matching_before.rank,
        "baseline": count_candidates,
    }
    if args.old_indexes:
        variants["old_indexes"] = matching.rank
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        url = f"sqlite+aiosqlite:///{template}"
        migrate.upgrade(url)  # outside the event loop: Alembic runs its own
        started = time.perf_counter()
        request_ids = asyncio.run(populate(url, args.volunteers, args.requests, args.seed))
        build_s = time.perf_counter() - started
        candidates = asyncio.run(candidate_rows(url, request_ids))
        urls = {}
        for name in variants:
            copy = Path(tmp) / f"{name}.db"
            shutil.copyfile(template, copy)
            urls[name] = f"sqlite+aiosqlite:///{copy}"
            if name == "old_indexes":
                asyncio.run(old_indexes(urls[name]))
        results = asyncio.run(run_interleaved(urls, request_ids, variants, args.profile))
    same = results["rank"]["offered"] == results["before"]["offered"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    current, before, base = results["rank"], results["before"], results["baseline"]
    print(f"load average:           {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)")
    print(f"volunteers / requests:  {args.volunteers} / {args.requests} (built in {build_s:.1f} s)")
    print(f"candidates per request: {candidates:.0f} on average (skill, role, not the requester)")
    for name, label in (
        ("rank", "matching.rank + offer"),
        ("before", "ranking of 6 Dec + offer"),
        ("old_indexes", "same, indexes before 0013"),
        ("baseline", "baseline (count) + offer"),
    ):
        if name not in results:
            continue
        r = results[name]
        print(
            f"{label:26} p50 {r['p50_ms']:6.2f}  p95 {r['p95_ms']:6.2f}  "
            f"p99 {r['p99_ms']:6.2f}  max {r['max_ms']:6.2f} ms  CPU p50 {r['cpu_p50_ms']:5.2f}"
            f"  p95 {r['cpu_p95_ms']:5.2f} ms  ({r['offers']} offers)"
        )
    print(f"the same volunteers offered as by the ranking of 6 December: {same}")
    print(f"peak RSS:               {peak:.0f} MB")
    summary = {
        "volunteers": args.volunteers,
        "requests": args.requests,
        "load_average_1m": round(load[0], 2),
        "candidates_per_request": round(candidates, 1),
        "p50_ms": round(current["p50_ms"], 2),
        "p95_ms": round(current["p95_ms"], 2),
        "p99_ms": round(current["p99_ms"], 2),
        "cpu_p50_ms": round(current["cpu_p50_ms"], 2),
        "cpu_p95_ms": round(current["cpu_p95_ms"], 2),
        "before_p50_ms": round(before["p50_ms"], 2),
        "before_p95_ms": round(before["p95_ms"], 2),
        "before_p99_ms": round(before["p99_ms"], 2),
        "before_cpu_p50_ms": round(before["cpu_p50_ms"], 2),
        "before_cpu_p95_ms": round(before["cpu_p95_ms"], 2),
        "baseline_p50_ms": round(base["p50_ms"], 2),
        "baseline_p95_ms": round(base["p95_ms"], 2),
        "baseline_cpu_p95_ms": round(base["cpu_p95_ms"], 2),
        "same_offers": same,
        "p95_vs_before_ratio": round(current["p95_ms"] / before["p95_ms"], 2),
        "p95_vs_baseline_ratio": round(current["p95_ms"] / base["p95_ms"], 1),
        "goal_p95_ms": 10,
        "peak_rss_mb": round(peak, 1),
    }
    if "old_indexes" in results:
        summary["old_indexes_p95_ms"] = round(results["old_indexes"]["p95_ms"], 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
