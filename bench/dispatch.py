"""Benchmark: messages through the whole core (dispatcher, router, handler, outbox, sender).

Plays N people typing /start in their private chats on the in-memory platform against an
SQLite file, and compares with a baseline in the same run: one bare SQLAlchemy insert and
commit per message on the same kind of database; with ``--ungrouped`` also against the bot
with group commit switched off (``database.group_commit = false``). Prints figures and the
load average; the last line is JSON.

What is delivered is more than the messages: every /start is answered once, and every new
person also gets the privacy note once in their private chat (``handlers/privacy.py``), so
2,000 /start from 500 new people deliver 2,500 messages. The run waits until the outbox is
empty and prints the breakdown read from the outbox table (answers, notes, anything else,
and what was not sent).

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

from sqlalchemy import event, select, text

from bot.bootstrap import App, build_app, prepare
from bot.chat.types import ChatRef, Incoming, Sender
from bot.config import Settings
from bot.domain.models import Chat, OutboxMessage
from bot.infra import migrate
from bot.infra.db import create_engine
from tests.fakes.memory import MemoryAdapter


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


EVENT_PREFIX = "bench-"
NOTE_PREFIX = "privacy-note:"


async def breakdown(app: App, messages: int, people: int) -> dict[str, int]:
    """What the outbox holds after the run, by kind: answers to the benchmark's messages
    (keyed by their event), privacy notes (keyed by the person), and anything else; which
    messages were answered other than once, which people got no note or more than one, and
    how many rows were not sent."""
    answers: dict[str, int] = {}
    noted: dict[str, int] = {}
    notes = other = unsent = 0
    async with app.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.dedup_key, OutboxMessage.status, Chat.external_id).join(
                Chat, Chat.id == OutboxMessage.chat_id
            )
        )
        for key, status, chat in rows:
            unsent += status != "sent"
            event_id = key.split(":")[2] if key.startswith("in:") else ""
            if event_id.startswith(EVENT_PREFIX):
                answers[event_id] = answers.get(event_id, 0) + 1
            elif key.startswith(NOTE_PREFIX):
                notes += 1
                noted[chat] = noted.get(chat, 0) + 1
            else:
                other += 1
    return {
        "answers": sum(answers.values()),
        "unanswered": messages - len(answers),
        "answered_more_than_once": sum(n > 1 for n in answers.values()),
        "notes": notes,
        "people_not_noted": people - len(noted),
        "people_noted_more_than_once": sum(n > 1 for n in noted.values()),
        "other": other,
        "not_sent": unsent,
    }


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
                event_id=f"{EVENT_PREFIX}{n}",
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
    # Every /start is answered, and each new person also gets the privacy note: wait for
    # all of them (a shortfall is found by asking whether the outbox is empty; rows stuck
    # in sending for a minute are counted as not sent instead of waited for).
    newcomers = min(people, messages)
    expected = messages + newcomers
    polls = 0
    while len(adapter.shown) < expected and polls < 6000:
        polls += 1
        if polls % 50 == 0 and await app.sender.quiet():
            break
        await asyncio.sleep(0.01)
    delivered = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    app.sender.stop()
    await sender
    kinds = await breakdown(app, messages, newcomers)
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
    return (
        grouping
        | kinds
        | {
            "handled_per_s": messages / handled,
            "delivered_per_s": messages / delivered,
            "p50_ms": statistics.median(latencies),
            "p99_ms": percentile(latencies, 0.99),
            # Answers and notes: until every one of them was shown.
            "delivered": len(adapter.shown),
            # Until everything was delivered: dispatch, sending and the sender's marks.
            "cpu_per_msg_ms": cpu * 1000 / messages,
            "commits_per_msg": len(commits) / messages,
        }
    )


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
    print(
        f"delivered:            {figures['delivered']} = {figures['answers']} answers"
        f" + {figures['notes']} privacy notes + {figures['other']} other;"
        f" {figures['delivered_per_s']:.0f} incoming msg/s until all were delivered"
    )
    print(
        f"checks:               unanswered {figures['unanswered']}, answered twice"
        f" {figures['answered_more_than_once']}, not noted {figures['people_not_noted']},"
        f" noted twice"
        f" {figures['people_noted_more_than_once']}, not sent {figures['not_sent']}"
    )
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
