"""Benchmark: a fan-out through the real outbox, Sender and MatrixAdapter to a real Synapse.

Starts its own Synapse on 127.0.0.1 (tests/servers/synapse.py) and lifts the bot's message
limit with ``override_ratelimit``, as the README tells operators (``--no-override``: the
default, 0.2 messages/s per user after a burst of 10). The reader creates each room with the
bot invited and the bot joins by ``/join``, 8 rooms at a time, before the bot starts (the
adapter's auto-join would greet every room through the outbox and add messages). Creating
and joining rooms draws on the same per-user limiter, so both users have the override during
setup; ``--no-override`` deletes the bot's before the first send (full burst left).
The whole bot (``bootstrap.run``: Sender, MatrixAdapter) then delivers rooms x per_room rows
written with ``enqueue`` into a migrated SQLite outbox. The clock runs from the first
``sender.wake()`` until the reader's long-poll sync has seen the last message; each room's
``/messages`` history then counts lost and duplicated bodies. M_LIMIT_EXCEEDED = RetryLater
raised by the adapter's send, cross-checked with the 429s in Synapse's access log.

    .venv/bin/python bench/matrix_fanout.py --quick                # 20 rooms x 5
    .venv/bin/python bench/matrix_fanout.py                        # 200 rooms x 5
    .venv/bin/python bench/matrix_fanout.py --no-override --rooms 3 --per-room 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from sqlalchemy import func, select

from bot.bootstrap import App, build_app, run
from bot.chat.errors import RetryLater
from bot.chat.types import ChatRef, Outgoing
from bot.config import Settings
from bot.delivery.outbox import enqueue
from bot.domain import people
from bot.domain.models import OutboxMessage
from bot.infra import migrate
from tests.servers.synapse import MatrixUser, SynapseServer

API = "/_matrix/client/v3"
ENQUEUE_CHUNK = 500
SETUP_PARALLEL = 8  # 200 rooms: ~30 s; 1 or 32 at a time were slower
SEND_LOG = re.compile(r'Processed request: ([\d.]+)sec/.*B (\d{3}) "PUT \S+/send/m\.room\.message/')
NOTHING = {"types": []}


def text_of(room: int, k: int) -> str:
    return f"Nachricht {k} für Raum {room}: Das Digitalcafé ist am Dienstag offen."


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def proc_peak_rss_mb(pid: int) -> float:
    return int(re.findall(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())[0]) / 1024


async def api(http: aiohttp.ClientSession, method: str, url: str, token: str, **kw: Any) -> Any:
    async with http.request(method, url, headers={"Authorization": f"Bearer {token}"}, **kw) as r:
        data = await r.json(content_type=None)
        if r.status != 200:
            raise RuntimeError(f"{method} {url} answered {r.status}: {data}")
        return data


class Reader:
    """The person in every room: long-poll syncs, notes when each message first arrives."""

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str, bot_id: str) -> None:
        self.http, self.base, self.token, self.bot_id = http, f"{base}{API}", token, bot_id
        self.seen: dict[tuple[str, str], float] = {}
        self.since: str | None = None
        self.limit = 100  # Synapse sends 10 events per room and sync unless asked for more

    async def follow(self) -> None:
        while True:
            await self.sync(1000)

    async def sync(self, timeout_ms: int) -> None:
        room = {"timeline": {"limit": self.limit, "types": ["m.room.message"]}}
        room |= {"state": NOTHING, "ephemeral": NOTHING}
        params = {"timeout": str(timeout_ms), "filter": json.dumps({"room": room})}
        if self.since:
            params["since"] = self.since
        data = await api(self.http, "GET", f"{self.base}/sync", self.token, params=params)
        self.since, now = data["next_batch"], time.monotonic()
        for room_id, joined in data.get("rooms", {}).get("join", {}).items():
            for event in joined["timeline"]["events"]:
                if event["sender"] == self.bot_id:
                    self.seen.setdefault((room_id, event["content"].get("body", "")), now)

    async def history(self, room_id: str) -> list[tuple[str, str]]:
        """(room, body) of every message the bot sent there, from the server's timeline."""
        url = f"{self.base}/rooms/{quote(room_id, safe='')}/messages"
        only = {"types": ["m.room.message"], "senders": [self.bot_id]}
        params = {"dir": "b", "limit": "1000", "filter": json.dumps(only)}
        found: list[tuple[str, str]] = []
        while True:
            page = await api(self.http, "GET", url, self.token, params=params)
            chunk = page.get("chunk", [])
            found += [(room_id, event["content"].get("body", "")) for event in chunk]
            if not chunk or "end" not in page:
                return found
            params["from"] = page["end"]


async def make_rooms(
    http: aiohttp.ClientSession, base: str, reader: MatrixUser, bot: MatrixUser, count: int
) -> list[str]:
    gate = asyncio.Semaphore(SETUP_PARALLEL)
    body = {"preset": "private_chat", "is_direct": True, "invite": [bot.user_id]}

    async def one() -> str:
        async with gate:
            url = f"{base}{API}/createRoom"
            room_id = (await api(http, "POST", url, reader.access_token, json=body))["room_id"]
            url = f"{base}{API}/join/{quote(room_id, safe='')}"
            await api(http, "POST", url, bot.access_token, json={})
            return str(room_id)

    return list(await asyncio.gather(*(one() for _ in range(count))))


def count_sends(app: App, figures: dict[str, Any]) -> list[float]:
    """Wrap the adapter's send: counts RetryLater, returns the list of successful send times."""
    adapter: Any = app.adapters["matrix"]
    original, times = adapter.send, []
    figures["limit_exceeded"] = 0

    async def send(delivery: Any) -> str:
        started = time.perf_counter()
        try:
            event_id = await original(delivery)
        except RetryLater:
            figures["limit_exceeded"] += 1
            raise
        times.append((time.perf_counter() - started) * 1000)
        return str(event_id)

    adapter.send = send
    return times


async def watch_lag(lags: list[float]) -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(0.05)
        lags.append((time.perf_counter() - started - 0.05) * 1000)


async def bench(args: Any, server: SynapseServer, tmp: str, began: float) -> dict[str, Any]:
    total = args.rooms * args.per_room
    figures: dict[str, Any] = {"rooms": args.rooms, "per_room": args.per_room, "messages": total}
    figures["override"], setup_began = not args.no_override, time.monotonic()
    bot, reader = await server.new_user_async("lotsenbot"), await server.new_user_async("reader")
    admin = await server.new_user_async("admin", admin=True)
    for user in (bot, reader):  # room creation and joins use the message limiter too
        await asyncio.to_thread(server.override_ratelimit, user.user_id, admin.access_token)
    synapse_pid = int(json.loads((server.data_dir / "owner.json").read_text())["server_pid"])
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        room_ids = await make_rooms(http, server.base_url, reader, bot, args.rooms)
        if args.no_override:
            path = f"/_synapse/admin/v1/users/{quote(bot.user_id, safe='')}/override_ratelimit"
            await asyncio.to_thread(server.request, "DELETE", path, None, admin.access_token)
        figures["rooms_setup_s"] = time.monotonic() - setup_began
        matrix = {"homeserver": server.base_url, "user_id": bot.user_id, "password": bot.password}
        settings = Settings(
            bot={"data_dir": tmp, "admins": [f"matrix:{reader.user_id}"]},
            database={"url": f"sqlite+aiosqlite:///{tmp}/fanout.db"},
            matrix=matrix,
            console={"enabled": "no"},
            demo={"enabled": False},
            delivery={"batch_size": args.batch_size},
        )
        app = build_app(settings)
        send_ms, lags = count_sends(app, figures), []
        bot_began = time.monotonic()
        running = asyncio.create_task(run(app, handle_signals=False), name="bot")
        follower = Reader(http, server.base_url, reader.access_token, bot.user_id)
        follower.limit = max(100, args.per_room)
        helpers: list[asyncio.Task[None]] = []
        try:
            while getattr(app.adapters["matrix"], "_task", None) is None:  # first sync stored
                if running.done() or time.monotonic() - bot_began > 60:
                    raise RuntimeError(f"the bot did not start: {running}")
                await asyncio.sleep(0.05)
            figures["bot_start_s"] = time.monotonic() - bot_began
            chats = []
            async with app.sessions.begin() as session:
                for room_id in room_ids:
                    ref = ChatRef("matrix", room_id, "direct")
                    chats.append(await people.get_or_create_chat(session, ref, app.clock.now()))
            await follower.sync(0)  # "since" is now: nothing before the run counts
            order = [(r, k) for k in range(args.per_room) for r in range(args.rooms)]
            if args.order == "room":
                order.sort()
            expected = {(room_ids[r], text_of(r, k)) for r, k in order}
            helpers = [asyncio.create_task(follower.follow()), asyncio.create_task(watch_lag(lags))]
            figures["setup_s"] = time.monotonic() - began
            cpu0, synapse_cpu0, t0 = time.process_time(), proc_cpu_s(synapse_pid), 0.0
            for first in range(0, total, ENQUEUE_CHUNK):
                async with app.sessions.begin() as session:
                    for r, k in order[first : first + ENQUEUE_CHUNK]:
                        outgoing, now = Outgoing(text_of(r, k)), app.clock.now()
                        await enqueue(session, chats[r], outgoing, dedup_key=f"m{r}-{k}", now=now)
                app.sender.wake()
                t0 = t0 or time.monotonic()
            figures["enqueue_s"] = time.monotonic() - t0
            while not expected <= follower.seen.keys() and time.monotonic() < t0 + args.deadline:
                if helpers[0].done():
                    helpers[0].result()  # the reader's sync failed: raise its error
                await asyncio.sleep(0.02)
            cpu1, synapse_cpu1 = time.process_time(), proc_cpu_s(synapse_pid)
            await asyncio.sleep(2.0)  # late duplicates would show up here
            async with app.sessions() as session:
                query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                statuses = dict((await session.execute(query)).all())
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            app.stopped.set()
            await asyncio.wait_for(running, timeout=60)
        arrivals = sorted(at for key, at in follower.seen.items() if key in expected)
        span = max((arrivals[-1] if arrivals else time.monotonic()) - t0, 1e-9)
        histories = await asyncio.gather(*(follower.history(room_id) for room_id in room_ids))
    bodies = Counter(pair for history in histories for pair in history)
    logged = [(m[2], float(m[1]) * 1000) for m in SEND_LOG.finditer(server.log_path.read_text())]
    server_ms = [ms for code, ms in logged if code == "200"]
    return figures | {
        "received": len(arrivals),
        "messages_per_s": len(arrivals) / span,
        "wall_s": span,
        "first_seen_ms": (arrivals[0] - t0) * 1000 if arrivals else -1.0,
        "synapse_429": sum(code == "429" for code, _ms in logged),
        "lost": len(expected - set(bodies)),
        "duplicates": sum(c - 1 for c in bodies.values() if c > 1),
        "outbox_not_sent": sum(v for k, v in statuses.items() if k != "sent"),
        "send_p50_ms": percentile(send_ms, 0.5),
        "send_p99_ms": percentile(send_ms, 0.99),
        "synapse_send_p50_ms": percentile(server_ms, 0.5),
        "synapse_send_p99_ms": percentile(server_ms, 0.99),
        "bot_cpu_s": cpu1 - cpu0,
        "synapse_cpu_s": synapse_cpu1 - synapse_cpu0,
        "loop_lag_p99_ms": percentile(lags, 0.99),
        "loop_lag_max_ms": max(lags, default=0.0),
        "synapse_peak_rss_mb": proc_peak_rss_mb(synapse_pid),
    }


REPORT = [
    ("messages", "{messages} ({rooms} rooms x {per_room}), override {override}"),
    ("setup", "{setup_s:.1f} s (Synapse {synapse_start_s:.1f}, users+rooms {rooms_setup_s:.1f},"
     " bot start {bot_start_s:.1f}); enqueue {enqueue_s:.2f} s"),
    ("delivered", "{received} in {wall_s:.2f} s: {messages_per_s:.1f} msg/s"
     " (first seen after {first_seen_ms:.0f} ms)"),
    ("M_LIMIT_EXCEEDED", "{limit_exceeded} (Synapse log: {synapse_429} answers 429)"),
    ("lost / duplicates", "{lost} / {duplicates}; outbox rows not sent: {outbox_not_sent}"),
    ("send p50 / p99", "{send_p50_ms:.0f} / {send_p99_ms:.0f} ms in the adapter,"
     " {synapse_send_p50_ms:.0f} / {synapse_send_p99_ms:.0f} ms inside Synapse"),
    ("CPU in the span", "bot+reader {bot_cpu_s:.1f} s, Synapse {synapse_cpu_s:.1f} s"),
    ("event-loop lag", "p99 {loop_lag_p99_ms:.1f} ms, max {loop_lag_max_ms:.1f} ms"),
    ("peak RSS", "{peak_rss_mb:.0f} MB bench process, {synapse_peak_rss_mb:.0f} MB Synapse"),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--per-room", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="20 rooms x 5 messages")
    parser.add_argument("--no-override", action="store_true", help="Synapse's default limit")
    parser.add_argument("--order", choices=("round", "room"), default="round")
    parser.add_argument("--batch-size", type=int, default=50, help="delivery.batch_size")
    parser.add_argument("--deadline", type=float, default=None, help="seconds for delivery")
    args = parser.parse_args()
    if args.quick:
        args.rooms, args.per_room = 20, 5
    if min(args.rooms, args.per_room) < 1:
        parser.error("--rooms and --per-room must be at least 1")
    if args.deadline is None:  # the default limit allows 0.2 messages/s after a burst of 10
        args.deadline = 60 + args.rooms * args.per_room * (5.5 if args.no_override else 0.2)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("nio").setLevel(logging.ERROR)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `timeout` too stops Synapse
    server = SynapseServer()
    try:
        began = time.monotonic()
        server.start()
        synapse_start_s = time.monotonic() - began
        with tempfile.TemporaryDirectory() as tmp:
            migrate.upgrade(f"sqlite+aiosqlite:///{tmp}/fanout.db")
            figures = asyncio.run(bench(args, server, tmp, began))
    finally:
        server.stop()
    figures["synapse_start_s"] = synapse_start_s
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for label, line in REPORT:
        print(f"{label + ':':<19}" + line.format(**figures))
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
