"""Benchmark: the sender's claim query on SQLite with a backlog, against its earlier form.

An SQLite file (migrated) holds C chats with H sent messages each (history), R chats with a
row in flight, and P pending rows spread over the chats, all due. Each round runs the
sender's due query (``Sender._due_query``, the statement a claim starts with) with the
in-flight chats excluded, as the running sender does, and then the same query in the form
it had before migration 0015 (due-time index, the older-row check as an OR) as the baseline,
in the same process. Both must return the same rows; the figures are milliseconds per query,
ORM loading of the rows included (what the sender pays).

    .venv/bin/python bench/outbox_claim.py                      # 1,000 chats, 10 sent each
    .venv/bin/python bench/outbox_claim.py --sent-per-chat 100  # a longer history
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import and_, exists, insert, or_, select
from sqlalchemy.orm import aliased

from bot.delivery.sender import PENDING, SENDING, Sender
from bot.domain.models import Chat, OutboxMessage
from bot.infra import migrate
from bot.infra.db import create_engine, session_factory
from tests.fakes.clock import FakeClock
from tests.fakes.memory import MemoryAdapter


def earlier_form(sender: Sender, now: datetime, exclude: set[int], batch: int) -> Any:
    """The claim's due query as it was before migration 0015 (the baseline)."""
    earlier = aliased(OutboxMessage)
    blocked_by_earlier = exists().where(
        earlier.chat_id == OutboxMessage.chat_id,
        earlier.id < OutboxMessage.id,
        or_(earlier.status == SENDING, and_(earlier.status == PENDING, earlier.due_at > now)),
    )
    return (
        select(OutboxMessage, Chat)
        .join(Chat, Chat.id == OutboxMessage.chat_id)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.due_at <= now,
            sender._ours(),
            ~blocked_by_earlier,
            OutboxMessage.chat_id.not_in(exclude),
        )
        .order_by(OutboxMessage.id)
        .limit(batch)
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench(args: argparse.Namespace, url: str) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    clock = FakeClock()
    now = clock.now()
    rows: list[dict[str, Any]] = []

    def row(chat: int, status: str, due: datetime) -> None:
        n = len(rows) + 1
        rows.append(
            dict(
                id=n, dedup_key=f"k{n}", chat_id=chat, content={"text": "x"}, status=status,
                due_at=due, attempts=0, last_error="", created_at=now,
            )
        )  # fmt: skip

    for n in range(args.sent_per_chat * args.chats):
        row(1 + n % args.chats, "sent", now - timedelta(minutes=5))
    in_flight = list(range(1, args.in_flight + 1))
    for chat in in_flight:
        row(chat, SENDING, now - timedelta(seconds=10))
    for n in range(args.pending):
        row(1 + n % args.chats, PENDING, now - timedelta(seconds=5) + timedelta(milliseconds=n))
    async with sessions.begin() as session:
        await session.execute(
            insert(Chat),
            [
                dict(id=c, platform="console", external_id=f"c{c}", kind="direct", title="",
                     created_at=now)
                for c in range(1, args.chats + 1)
            ],
        )  # fmt: skip
        for start in range(0, len(rows), 5000):
            await session.execute(insert(OutboxMessage), rows[start : start + 5000])
    sender = Sender(sessions, {"console": MemoryAdapter(platform="console")}, clock)
    exclude = set(in_flight)
    ours_ms: list[float] = []
    baseline_ms: list[float] = []
    same = True
    rows.clear()
    gc.collect()  # the set-up's garbage, not the claim's
    for round_ in range(args.rounds + 1):  # the first round compiles and warms up: not counted
        async with sessions() as session:
            began = time.perf_counter()
            ours = (await session.execute(sender._due_query(now, exclude))).all()
            ours_ms.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            query = earlier_form(sender, now, exclude, sender._batch_size)
            theirs = (await session.execute(query)).all()
            baseline_ms.append((time.perf_counter() - began) * 1000)
        same = same and [m.id for m, _c in ours] == [m.id for m, _c in theirs]
        if round_ == 0:
            ours_ms.clear()
            baseline_ms.clear()
    await engine.dispose()
    return {
        "chats": args.chats,
        "sent_rows": args.sent_per_chat * args.chats,
        "pending_rows": args.pending,
        "in_flight_chats": args.in_flight,
        "rows_per_claim": len(ours),
        "claim_p50_ms": percentile(ours_ms, 0.5),
        "claim_p99_ms": percentile(ours_ms, 0.99),
        "baseline_p50_ms": percentile(baseline_ms, 0.5),
        "baseline_p99_ms": percentile(baseline_ms, 0.99),
        "ratio_baseline_to_claim": percentile(baseline_ms, 0.5) / percentile(ours_ms, 0.5),
        "same_rows": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1_000)
    parser.add_argument("--sent-per-chat", type=int, default=10)
    parser.add_argument("--pending", type=int, default=4_000)
    parser.add_argument("--in-flight", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/claim.db"
        migrate.upgrade(url)
        figures = asyncio.run(bench(args, url))
    print(
        f"{figures['pending_rows']} pending rows in {figures['chats']} chats"
        f" ({figures['in_flight_chats']} in flight), {figures['sent_rows']} sent before;"
        f" {figures['rows_per_claim']} rows per claim"
    )
    print(
        f"claim query:  p50 {figures['claim_p50_ms']:.2f} ms, p99 {figures['claim_p99_ms']:.2f} ms"
    )
    print(
        f"earlier form: p50 {figures['baseline_p50_ms']:.2f} ms,"
        f" p99 {figures['baseline_p99_ms']:.2f} ms"
        f" ({figures['ratio_baseline_to_claim']:.0f} x); same rows: {figures['same_rows']}"
    )
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
