"""Benchmark: messages through the whole core (dispatcher, router, handler, outbox, sender).

Plays N people typing /start in their private chats on the in-memory platform against an
SQLite file, and compares with a baseline in the same run: one bare SQLAlchemy insert and
commit per message on the same kind of database; with ``--ungrouped`` also against the bot
with group commit switched off (``database.group_commit = false``). Prints figures and the
load average; the last line is JSON.

    .venv/bin/python bench/dispatch.py --messages 2000 --ungrouped
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, text

from bot.bootstrap import build_app, prepare
from bot.chat.types import ChatRef, Incoming, Sender
from bot.config import Settings
from bot.infra import migrate
from bot.infra.db import create_engine
from tests.fakes.memory import MemoryAdapter


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_bot(
    url: str, messages: int, people: int, concurrency: int, group: bool = True
) -> dict[str, float]:
    adapter = MemoryAdapter(platform="console")
    settings = Settings(
        database={"url": url, "group_commit": group}, delivery={"poll_seconds": 0.05}
    )
    app = build_app(settings, adapters=[adapter])
    await prepare(app)
    sender = asyncio.create_task(app.sender.run())
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(messages):
        queue.put_nowait(n)

    async def person_worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            user = str(n % people)
            incoming = Incoming(
                chat=ChatRef("console", f"dm-{user}", "direct"),
                sender=Sender(user, f"Person {user}", "de"),
                text="/start",
                event_id=f"bench-{n}",
            )
            started = time.perf_counter()
            await app.dispatch(incoming)
            latencies.append((time.perf_counter() - started) * 1000)

    commits: list[int] = []
    event.listen(app.engine.sync_engine, "commit", lambda _c: commits.append(1))
    cpu_started = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(person_worker() for _ in range(concurrency)))
    handled = time.perf_counter() - started
    while len(adapter.shown) < messages:  # noqa: ASYNC110 - polling a plain list
        await asyncio.sleep(0.01)
    delivered = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    app.sender.stop()
    await sender
    await app.close()
    group = app.dispatcher._group  # None with group commit switched off
    grouping = (
        {
            "groups": group.groups,
            "updates_per_group": group.grouped / max(1, group.groups),
            "groups_failed": group.failed,
        }
        if group is not None
        else {}
    )
    return grouping | {
        "handled_per_s": messages / handled,
        "delivered_per_s": messages / delivered,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "delivered": len(adapter.shown),
        # Until everything was delivered: dispatch, sending and the sender's marks.
        "cpu_per_msg_ms": cpu * 1000 / messages,
        "commits_per_msg": len(commits) / messages,
    }


async def run_baseline(url: str, messages: int) -> float:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE bench (id INTEGER PRIMARY KEY, body TEXT)"))
    started = time.perf_counter()
    for n in range(messages):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO bench (body) VALUES (:b)"), {"b": str(n)})
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return messages / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="500 messages (under a minute)")
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--ungrouped",
        action="store_true",
        help="also run the bot with group commit switched off, on a database of its own",
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile of the bot's run to FILE")
    args = parser.parse_args()
    if args.quick:
        args.messages = min(args.messages, 500)
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        figures = asyncio.run(run_bot(url, args.messages, args.people, args.concurrency))
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
            pstats.Stats(args.profile).sort_stats("tottime").print_stats(15)
        if args.ungrouped:
            alone_url = f"sqlite+aiosqlite:///{tmp}/alone.db"
            migrate.upgrade(alone_url)
            alone = asyncio.run(
                run_bot(alone_url, args.messages, args.people, args.concurrency, group=False)
            )
            figures["ungrouped_handled_per_s"] = alone["handled_per_s"]
            figures["ungrouped_p99_ms"] = alone["p99_ms"]
            figures["ungrouped_cpu_per_msg_ms"] = alone["cpu_per_msg_ms"]
            figures["ratio_to_ungrouped"] = figures["handled_per_s"] / alone["handled_per_s"]
        baseline = asyncio.run(run_baseline(f"sqlite+aiosqlite:///{tmp}/base.db", args.messages))
    figures["baseline_commits_per_s"] = baseline
    figures["ratio_to_baseline"] = figures["handled_per_s"] / baseline
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["messages"] = args.messages
    print(f"messages handled:     {args.messages} from {args.people} people")
    print(f"handled:              {figures['handled_per_s']:.0f} msg/s")
    print(f"delivered:            {figures['delivered_per_s']:.0f} msg/s")
    print(f"dispatch p50 / p99:   {figures['p50_ms']:.1f} / {figures['p99_ms']:.1f} ms")
    print(
        f"CPU per message:      {figures['cpu_per_msg_ms']:.2f} ms;"
        f" commits per message {figures['commits_per_msg']:.2f}"
    )
    print(
        f"baseline (1 commit):  {baseline:.0f} commits/s; ratio {figures['ratio_to_baseline']:.2f}"
    )
    if args.ungrouped:
        print(
            f"group commit off:     {figures['ungrouped_handled_per_s']:.0f} msg/s,"
            f" p99 {figures['ungrouped_p99_ms']:.1f} ms; grouped / off"
            f" {figures['ratio_to_ungrouped']:.2f}"
        )
    print(f"load average:         {load}")
    print(f"peak RSS:             {figures['peak_rss_mb']:.0f} MB")
    print(json.dumps({k: round(v, 2) for k, v in figures.items()} | {"load_average": load}))


if __name__ == "__main__":
    main()
