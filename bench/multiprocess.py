"""Benchmark: throughput of one and two bot processes on PostgreSQL, and one on SQLite,
side by side (issue #10 point 4).

Each setup runs the real bot (``python -m bot run``) against a fresh database, with
Telegram in webhook mode on one shared port (``webhook_reuse_port``; with two processes the
system spreads the fake Bot API server's connections over both). The fake server runs in
this process, without flood control, so the bot's own pacing and work are what is measured
(``messages_per_second = 1000``, one message per chat):

* **inbound**: ``--updates`` people each send "/start" at once; measured from the moment
  they are queued at the server until the last greeting arrived there: updates per second,
  and p50/p99 per person (from queued to greeted).
* **outbound**: ``--messages`` messages to as many chats are written into the outbox in one
  transaction; measured until the server received the last: messages per second.

Peak RSS is read from each bot process (``VmHWM``) before it stops. The ratio compares two
PostgreSQL processes against one, in the same run.

    .venv/bin/python bench/multiprocess.py                     # 2,000 updates, 5,000 messages
    .venv/bin/python bench/multiprocess.py --updates 500 --messages 1000 --only pg-2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.processes import cpu_s, peak_rss_mb, postgres_cpu_s, start_bots, wait_until
from bot.infra import migrate
from tests.fakes.telegram_server import FakeTelegramServer
from tests.scenarios.cluster_campaign import BotRun, free_port, seed_outbox, write_config
from tests.servers.postgres import PostgresCluster

SETUPS = {"sqlite-1": ("sqlite", 1), "pg-1": ("postgresql", 1), "pg-2": ("postgresql", 2)}
FIRST_SENDER = 500_000
FIRST_RECIPIENT = 2_000_000


def _cpu(processes: list[BotRun]) -> tuple[float, float, float]:
    """CPU seconds so far: the bot processes, this process (the fake server), PostgreSQL."""
    return (sum(cpu_s(p.pid) for p in processes), _own_cpu_s(), postgres_cpu_s())


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _wait(condition: Any, seconds: float, processes: list[BotRun]) -> None:
    if not await wait_until(condition, seconds, processes, step=0.005):
        raise RuntimeError("timed out:\n" + "\n".join(p.tail(3000) for p in processes))


async def run_setup(
    name: str, url: str, workdir: Path, updates: int, messages: int, rate: float = 0.0
) -> dict[str, Any]:
    _backend, count = SETUPS[name]
    await asyncio.to_thread(migrate.upgrade, url)
    server = FakeTelegramServer(strict=False)
    await server.start()
    processes: list[BotRun] = []
    try:
        senders = []
        for n in range(updates):
            user = server.user(FIRST_SENDER + n, f"Person {n}")
            server.private_chat(user)
            senders.append(user)
        recipients = [str(FIRST_RECIPIENT + n) for n in range(messages)]
        for chat in recipients:
            server.private_chat(server.user(int(chat), "Empfänger"))
        config = write_config(
            workdir / "config.toml", workdir, url, server, free_port(), "", rate=1000
        )
        config.write_text(config.read_text() + "[delivery]\npoll_seconds = 0.2\nbatch_size = 200\n")
        # Each process knows the other before the clock starts (shares, rates).
        processes = await start_bots(config, workdir, count, prefix=name)
        await asyncio.sleep(1.0)

        # inbound
        sent_before = len(server.sent)
        cpu_before = _cpu(processes)
        each_before = [cpu_s(p.pid) for p in processes]
        queued_at: dict[int, float] = {}
        began = time.monotonic()
        for n, user in enumerate(senders):
            if rate:
                await asyncio.sleep(max(0.0, began + n / rate - time.monotonic()))
            server.post_message(user["id"], user, "/start")
            queued_at[user["id"]] = time.monotonic()
        await _wait(
            lambda: (
                len({r.chat_id for r in server.sent[sent_before:]} & queued_at.keys()) >= updates
            ),
            600,
            processes,
        )
        first_reply: dict[int, float] = {}
        for record in server.sent[sent_before:]:
            first_reply.setdefault(record.chat_id, record.at)
        inbound_s = max(first_reply[c] for c in queued_at) - began
        latencies = [(first_reply[c] - queued_at[c]) * 1000 for c in queued_at]
        each = [cpu_s(p.pid) - before for p, before in zip(processes, each_before, strict=True)]
        inbound_cpu = [
            (after - before) * 1000 / updates
            for before, after in zip(cpu_before, _cpu(processes), strict=True)
        ]

        # outbound
        seeded_at = time.monotonic()
        await seed_outbox(url, [("telegram", chat, 1) for chat in recipients])
        sent_before = len(server.sent)
        cpu_before = _cpu(processes)
        began = time.monotonic()
        await _wait(lambda: len(server.sent) - sent_before >= messages, 600, processes)
        outbound_s = max(r.at for r in server.sent[sent_before:]) - began
        outbound_cpu = [
            (after - before) * 1000 / messages
            for before, after in zip(cpu_before, _cpu(processes), strict=True)
        ]
        seed_s = began - seeded_at
        rss = [peak_rss_mb(p.pid) for p in processes]
    finally:
        for process in processes:
            await process.stop()
        await server.stop()
    return {
        "setup": name,
        "processes": count,
        "updates_per_s": round(updates / inbound_s, 1),
        "update_p50_ms": round(statistics.median(latencies), 1),
        "update_p99_ms": round(_percentile(latencies, 0.99), 1),
        "messages_per_s": round(messages / outbound_s, 1),
        "peak_rss_mb": round(max(rss), 1),
        # Where the CPU went, per update and per message: the bot processes, this process
        # (the fake server), PostgreSQL (0 for SQLite, which runs inside the bot).
        "update_bot_cpu_ms": round(inbound_cpu[0], 2),
        "update_server_cpu_ms": round(inbound_cpu[1], 2),
        "update_postgres_cpu_ms": round(inbound_cpu[2], 2),
        "message_bot_cpu_ms": round(outbound_cpu[0], 2),
        "message_server_cpu_ms": round(outbound_cpu[1], 2),
        "message_postgres_cpu_ms": round(outbound_cpu[2], 2),
        "seed_s": round(seed_s, 2),
        # How evenly the webhooks spread: the busiest process's part of the bots' CPU.
        "busiest_process_share": round(max(each) / sum(each), 2),
    }


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    chosen = args.only.split(",") if args.only else list(SETUPS)
    with tempfile.TemporaryDirectory(prefix="lotsenbot-multi-") as tmp:
        cluster = PostgresCluster.from_env() if any(c.startswith("pg") for c in chosen) else None
        if cluster is not None:
            cluster.start()
        try:
            for name in chosen:
                workdir = Path(tmp) / name
                workdir.mkdir()
                if SETUPS[name][0] == "sqlite":
                    url = f"sqlite+aiosqlite:///{workdir / 'bot.infra.db'}"
                else:
                    assert cluster is not None
                    url = cluster.create_database(f"lotsenbot_bench_{uuid.uuid4().hex[:8]}")
                print(f"{name}: running …", flush=True)
                result = await run_setup(name, url, workdir, args.updates, args.messages, args.rate)
                results.append(result)
                print(f"{name}: {result}", flush=True)
        finally:
            if cluster is not None:
                cluster.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="offer updates at this rate (0: all at once)"
    )
    parser.add_argument("--only", default="", help="comma-separated: sqlite-1,pg-1,pg-2")
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    print()
    header = ("setup", "updates/s", "p50 ms", "p99 ms", "messages/s", "peak RSS MB")
    print(f"{header[0]:10s} " + " ".join(f"{h:>11s}" for h in header[1:]))
    for r in results:
        print(
            f"{r['setup']:10s} {r['updates_per_s']:11.1f} {r['update_p50_ms']:11.1f} "
            f"{r['update_p99_ms']:11.1f} {r['messages_per_s']:11.1f} {r['peak_rss_mb']:11.1f}"
        )
    figures: dict[str, Any] = {}
    for r in results:
        key = r["setup"].replace("-", "_")
        for field in (
            "updates_per_s",
            "update_p50_ms",
            "update_p99_ms",
            "messages_per_s",
            "peak_rss_mb",
        ):
            figures[f"{key}_{field}"] = r[field]
    by = {r["setup"]: r for r in results}
    if "pg-1" in by and "pg-2" in by:
        figures["pg_2_vs_1_updates_ratio"] = round(
            by["pg-2"]["updates_per_s"] / by["pg-1"]["updates_per_s"], 2
        )
        figures["pg_2_vs_1_messages_ratio"] = round(
            by["pg-2"]["messages_per_s"] / by["pg-1"]["messages_per_s"], 2
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
