"""The ranking offers the same volunteers as the ranking of 6 December (issue #22).

A seeded pool (bench/matching.py's generator, 1,500 Digitallotsen, 150 requests, some areas
typed in other cases, with spaces or as "Straße") gets its requests ranked and offered one
after another, as the benchmark does it. Who was offered each request is compared with
``data/matching_offers.json``, written once by the ranking before the speed-up
(``bench/matching_before.py``); on SQLite and on PostgreSQL. Any change of who is asked, or
in which order the rounds pile up, fails here.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from sqlalchemy import update

from bench import matching as bench
from bot.domain.models import VolunteerProfile
from bot.helping import matching
from bot.infra.db import create_engine, session_factory

EXPECTED = Path(__file__).parent / "data" / "matching_offers.json"
VOLUNTEERS, REQUESTS, SEED = 1_500, 150, 11
# Areas as people type them: the ranking compares them case- and space-blind.
TYPED = ("  LINDENHOF", "süd ", "SÜD", "Mühlenberg ", "Schloßberg", "Schlossberg", "K-Nord")


async def _pool(url: str) -> list[int]:
    request_ids = await bench.populate(url, VOLUNTEERS, REQUESTS, SEED)
    rng = random.Random(SEED)
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            for person_id in rng.sample(range(1, VOLUNTEERS + 1), 300):
                areas = rng.sample(TYPED, rng.randint(1, 2))
                windows = [] if rng.random() < 0.3 else None
                values = {"areas": areas} | ({"windows": windows} if windows is not None else {})
                await session.execute(
                    update(VolunteerProfile)
                    .where(VolunteerProfile.person_id == person_id)
                    .values(**values)
                )
    finally:
        await engine.dispose()
    return request_ids


async def offers_by_request(url: str, rank: bench.Rank) -> dict[str, list[int]]:
    request_ids = await _pool(url)
    result = await bench.run(url, request_ids, rank)
    return {str(r): sorted(v) for r, v in sorted(result["offered"].items())}


async def test_the_ranking_offers_the_same_volunteers_as_before(db_url: str) -> None:
    offered = await offers_by_request(db_url, matching.rank)
    assert sum(map(len, offered.values())) > 2 * REQUESTS
    assert offered == json.loads(EXPECTED.read_text())
