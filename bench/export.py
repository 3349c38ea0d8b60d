"""Benchmark: 100,000 attendance rows exported to XLSX and to CSV.

Fills an SQLite file with one community, 1,000 dates and 100 people checked in at each,
then runs the attendance export (database read, pseudonyms, file) once as XLSX and once as
CSV, each in a fresh process so its peak RSS is its own. Prints figures; the last line is
one JSON object.

    .venv/bin/python bench/export.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bot.domain.models import Attendance, Base, Community, Event, Person, Rsvp
from bot.infra.db import create_engine, session_factory

PER_DATE = 100
START = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


async def seed(url: str, rows: int) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.execute(
            insert(Community), [{"id": 1, "slug": "bench", "name": "Digitalcafé Bench"}]
        )
        people = [{"id": n, "display_name": f"Person {n}"} for n in range(1, 2 * PER_DATE + 1)]
        await connection.execute(insert(Person), people)
        dates = rows // PER_DATE
        await connection.execute(
            insert(Event),
            [
                {
                    "id": n + 1,
                    "community_id": 1,
                    "title": "Digitalcafé",
                    "starts_at": START + timedelta(hours=n * 4),
                    "status": "done",
                }
                for n in range(dates)
            ],
        )
        for event in range(1, dates + 1):
            chosen = [(event + k) % (2 * PER_DATE) + 1 for k in range(PER_DATE)]
            await connection.execute(
                insert(Attendance),
                [{"event_id": event, "person_id": p, "how": "staff"} for p in chosen],
            )
            await connection.execute(
                insert(Rsvp),
                [{"event_id": event, "person_id": p, "status": "yes"} for p in chosen[::2]],
            )
    await engine.dispose()


async def export(url: str, fmt: str, separator: str) -> dict[str, float]:
    from bot.exports.choices import ATTENDANCE, Period
    from bot.exports.files import Request, build
    from bot.language.i18n import Catalogs, install

    install(Catalogs.load())
    engine = create_engine(url)
    sessions = session_factory(engine)
    began = time.perf_counter()
    async with sessions.begin() as session:
        community = await session.get(Community, 1)
        assert community is not None
        request = Request(
            community, Period(date(2026, 1, 1), date(2026, 12, 31)), ATTENDANCE, fmt, separator
        )
        result = await build(session, request, actor_id=None, now=datetime.now(UTC), via="bench")
    seconds = time.perf_counter() - began
    await engine.dispose()
    return {
        "seconds": round(seconds, 2),
        "rows": result.rows,
        "bytes": len(result.files[0].data),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def child(url: str, fmt: str, separator: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", fmt, "--separator", separator, "--url", url],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", choices=("xlsx", "csv"), help=argparse.SUPPRESS)
    parser.add_argument("--separator", default=",", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(export(args.url, args.child, args.separator))))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        began = time.perf_counter()
        asyncio.run(seed(url, args.rows))
        print(f"seeded {args.rows} attendance rows in {time.perf_counter() - began:.1f} s")
        xlsx = child(url, "xlsx", ",")
        print(
            f"XLSX: {xlsx['rows']} rows in {xlsx['seconds']} s, {xlsx['bytes'] / 1e6:.1f} MB, "
            f"peak RSS {xlsx['peak_rss_mb']} MB"
        )
        csv = child(url, "csv", ";")
        print(
            f"CSV:  {csv['rows']} rows in {csv['seconds']} s, {csv['bytes'] / 1e6:.1f} MB, "
            f"peak RSS {csv['peak_rss_mb']} MB"
        )
    print(
        json.dumps(
            {
                "rows": args.rows,
                "xlsx_s": xlsx["seconds"],
                "xlsx_peak_rss_mb": xlsx["peak_rss_mb"],
                "xlsx_mb": round(xlsx["bytes"] / 1e6, 2),
                "csv_s": csv["seconds"],
                "csv_peak_rss_mb": csv["peak_rss_mb"],
                "csv_mb": round(csv["bytes"] / 1e6, 2),
                "peak_rss_mb": max(xlsx["peak_rss_mb"], csv["peak_rss_mb"]),
            }
        )
    )


if __name__ == "__main__":
    main()
