"""Benchmark: a fan-out through the real outbox, Sender and Telegram adapter at Telegram's limits.

N messages are written into the outbox (``enqueue``, the same call handlers use) of an
SQLite database migrated in a temporary directory, for P private chats and G groups. The
whole bot runs (``bootstrap.run``: Sender, TelegramAdapter with its ChatRateLimiter at
Telegram's real limits, python-telegram-bot unmodified) against FakeTelegramServer on
127.0.0.1 with ``strict=True`` and unshrunk windows: 30 sends/s overall, 1/s per private
chat, 20/min per group. Every 429 the server answers is counted.

Default split: a run of N messages at 30/s lasts at least N/30 s; a group may get 20 per
minute of that, and we give each group at most half of it (never more than 50), so the
group windows never decide the run's length. N=10,000 -> 333 s, 20*333/60/2 = 55 -> 50 per
group, 1,000 to 20 groups and 9,000 to 2,000 private chats (4 or 5 each).
``--order round`` (default) enqueues like a series of announcements: every chat's messages
spread evenly over the queue; ``--order chat`` enqueues each chat's messages back to back.
``--latency-ms`` adds that much to every API call (default 0: the server's own speed);
``--max-in-flight`` sets telegram.max_in_flight (default: the bot's own default).
``--fill before`` (default) fills the outbox (in transactions of 500 rows) before the bot
starts, so the rate measured is the Sender's; ``--fill during`` writes while it sends.

Figures: achieved sends/s from the server's first to last recorded send (and over the
middle 90%), the ratio to 30/s (goal >= 0.95; the limiter's 40 ms safety margin caps it
at 30/1.04 s = 0.96), 429s (goal 0), lost (enqueued, never received; goal 0), duplicates
(same dedup text received twice; goal 0), event-loop lag, peak RSS, wall time. Stops by
itself: after everything arrived, or at the deadline (3 x N/30 s, at least 90 s).

    .venv/bin/python bench/telegram_fanout.py --quick        # 600 messages, ~25 s
    .venv/bin/python bench/telegram_fanout.py                # 10,000 messages, ~6 min
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from bot.bootstrap import build_app, run
from bot.chat.types import ChatRef, Outgoing
from bot.config import Settings
from bot.delivery.outbox import enqueue
from bot.domain import people
from bot.domain.models import OutboxMessage
from bot.infra import migrate
from tests.fakes.telegram_server import FakeTelegramServer

ALLOWED_PER_S = 30.0  # Telegram's overall limit
GROUP_PER_MIN = 20
ENQUEUE_CHUNK = 500  # rows per transaction while filling the outbox
REPORT = [
    (
        "messages",
        "{messages} ({group_messages} to {groups} groups, the rest to {private_chats}"
        " private chats; order {order}; {latency_ms:.0f} ms API latency)",
    ),
    (
        "outbox filled",
        "{enqueue_s:.1f} s ({enqueue_per_s:.0f} rows/s), {fill} sending; first send"
        " {first_send_after_start_s:.2f} s after the bot started",
    ),
    (
        "achieved",
        "{achieved_per_s:.2f} msg/s first to last send over {send_span_s:.1f} s"
        " (middle 90%: {steady_per_s:.2f}; slowest 10 s: {slowest_10s_per_s:.1f})",
    ),
    ("allowed", "{allowed_per_s:.0f} msg/s; ratio {ratio_achieved_to_allowed:.3f} (goal >= 0.95)"),
    ("429 answers", "{count_429} (goal 0)"),
    (
        "lost / duplicates",
        "{lost} / {duplicates} (goal 0 / 0); outbox rows not sent:"
        " {outbox_not_sent}; most to one group: {per_group_received_max}",
    ),
    ("event-loop lag", "p99 {loop_lag_p99_ms:.1f} ms, max {loop_lag_max_ms:.1f} ms"),
    ("peak RSS", "{peak_rss_mb:.0f} MB"),
    ("wall", "{wall_s:.1f} s from the start of the bot ({total_wall_s:.1f} s in all)"),
]


def default_group_messages(total: int, groups: int) -> int:
    """Per group: half of what 20/min allows over the ideal run time N/30 s, at most 50."""
    if groups == 0:
        return 0
    ideal_seconds = total / ALLOWED_PER_S
    return max(1, min(50, int(GROUP_PER_MIN * ideal_seconds / 60 / 2), total // (2 * groups)))


def plan(total: int, private: int, groups: int, per_group: int, order: str) -> list[ChatRef]:
    """The chat of every message, in enqueue order."""
    counts: dict[ChatRef, int] = {}
    for g in range(groups):
        counts[ChatRef("telegram", str(-1_000_000 - g), "group", f"Gruppe {g}")] = per_group
    rest = total - per_group * groups
    for p in range(private):
        counts[ChatRef("telegram", str(10_000 + p), "direct")] = rest // private + (
            p < rest % private
        )
    slots = []
    for position, (chat, count) in enumerate(counts.items()):
        for k in range(count):
            # round: message k of a chat sits at (k + 0.5) / count of the queue.
            key = ((k + 0.5) / count, position) if order == "round" else (position, k)
            slots.append((key, chat))
    slots.sort(key=lambda item: item[0])
    return [chat for _key, chat in slots]


def text_of(n: int) -> str:
    return f"Rundbrief {n}: Das Digitalcafé ist am Dienstag offen."


async def watch_loop_lag(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.05)
        lags.append((time.perf_counter() - started - 0.05) * 1000)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench(args: argparse.Namespace, tmp: str, url: str) -> dict[str, float]:
    per_group = (
        args.group_messages
        if args.group_messages is not None
        else default_group_messages(args.messages, args.groups)
    )
    chats = plan(args.messages, args.private, args.groups, per_group, args.order)
    server = FakeTelegramServer(strict=True, latency_ms=args.latency_ms)  # real windows
    await server.start()
    for ref in dict.fromkeys(chats):
        if ref.kind == "group":
            server.group(int(ref.external_id), ref.title)
        else:
            server.private_chat(server.user(int(ref.external_id), f"Person {ref.external_id}"))
    settings = Settings(
        bot={"data_dir": tmp, "admins": ["telegram:1"]},
        database={"url": url},
        telegram={"token": server.token, "base_url": server.base_url, "poll_timeout": 1}
        | ({"max_in_flight": args.max_in_flight} if args.max_in_flight else {}),
        console={"enabled": "no"},
        demo={"enabled": False},
    )
    app = build_app(settings)
    lags: list[float] = []
    stop_watch = asyncio.Event()
    watcher = asyncio.create_task(watch_loop_lag(lags, stop_watch))

    async def fill() -> float:
        began = time.monotonic()
        rows: dict[ChatRef, Any] = {}
        async with app.sessions.begin() as session:
            for ref in dict.fromkeys(chats):
                rows[ref] = await people.get_or_create_chat(session, ref, app.clock.now())
        for first in range(0, len(chats), ENQUEUE_CHUNK):
            async with app.sessions.begin() as session:
                for n in range(first, min(first + ENQUEUE_CHUNK, len(chats))):
                    outgoing, now = Outgoing(text_of(n)), app.clock.now()
                    await enqueue(session, rows[chats[n]], outgoing, dedup_key=f"f{n}", now=now)
            app.sender.wake()
        return time.monotonic() - began

    if args.fill == "before":  # the Sender starts with a full outbox
        enqueued_s = await fill()
    started = time.monotonic()
    running = asyncio.create_task(run(app, handle_signals=False))
    if args.fill == "during":  # written while the bot runs and sends
        while server.requests["getUpdates"] == 0:  # noqa: ASYNC110 - the adapter has started
            await asyncio.sleep(0.01)
        enqueued_s = await fill()

    deadline = started + max(90.0, 3 * args.messages / ALLOWED_PER_S)
    try:
        await server.wait_until_sent(len(chats), timeout=deadline - time.monotonic())
    except TimeoutError:
        pass  # whatever is missing counts as lost
    await asyncio.sleep(2.0)  # late duplicates would show up here
    async with app.sessions() as session:
        statuses = dict(
            (
                await session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                )
            ).all()
        )
    stop_watch.set()
    await watcher
    app.stopped.set()
    await asyncio.wait_for(running, timeout=60)
    await server.stop()

    sends = [r for r in server.sent if r.method == "sendMessage"]
    texts = Counter(r.text for r in sends)
    expected = {text_of(n) for n in range(len(chats))}
    times = sorted(r.at for r in sends) or [started]
    span = max(times[-1] - times[0], 1e-9)
    lo, hi = int(0.05 * len(times)), max(int(0.95 * len(times)) - 1, 0)
    achieved = (len(times) - 1) / span
    steady = (hi - lo) / (times[hi] - times[lo]) if hi > lo else 0.0
    per_group_max = max(
        (len(server.messages_to(int(r.external_id))) for r in set(chats) if r.kind == "group"),
        default=0,
    )
    buckets = Counter(int((t - times[0]) // 10) for t in times)
    full_buckets = [buckets[b] / 10 for b in range(int(span // 10))]
    return {
        "messages": len(chats),
        "private_chats": args.private,
        "latency_ms": args.latency_ms,
        "groups": args.groups,
        "group_messages": per_group * args.groups,
        "per_group_received_max": per_group_max,
        "received": len(sends),
        "achieved_per_s": achieved,
        "steady_per_s": steady,
        "slowest_10s_per_s": min(full_buckets, default=achieved),
        "allowed_per_s": ALLOWED_PER_S,
        "ratio_achieved_to_allowed": achieved / ALLOWED_PER_S,
        "count_429": server.count_429,
        "lost": len(expected - set(texts)),
        "duplicates": sum(c - 1 for c in texts.values() if c > 1),
        "outbox_not_sent": sum(v for k, v in statuses.items() if k != "sent"),
        "enqueue_s": enqueued_s,
        "enqueue_per_s": len(chats) / enqueued_s,
        "first_send_after_start_s": times[0] - started,
        "send_span_s": span,
        "wall_s": time.monotonic() - started,
        "loop_lag_p99_ms": percentile(lags, 0.99),
        "loop_lag_max_ms": max(lags, default=0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--private", type=int, default=2_000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--group-messages", type=int, default=None, help="per group")
    parser.add_argument("--order", choices=("round", "chat"), default="round")
    parser.add_argument(
        "--fill",
        choices=("before", "during"),
        default="before",
        help="enqueue before/while sending",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every API call")
    parser.add_argument(
        "--max-in-flight", type=int, default=None, help="telegram.max_in_flight (bot default)"
    )
    parser.add_argument("--quick", action="store_true", help="600 messages, 120 chats, 20 groups")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.private = 600, 120
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/fanout.db"
        migrate.upgrade(url)
        wall = time.monotonic()
        figures = asyncio.run(bench(args, tmp, url))
        figures["total_wall_s"] = time.monotonic() - wall
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for label, line in REPORT:
        print(f"{label + ':':<21}" + line.format(order=args.order, fill=args.fill, **figures))
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
