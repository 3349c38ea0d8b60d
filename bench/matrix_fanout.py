"""Benchmark: a fan-out through the real outbox, Sender and MatrixAdapter to a real Synapse.

Starts its own Synapse on 127.0.0.1 (``tests/fakes/synapse.py``), registers the bot, a
reader and an admin, and lifts the bot's message rate limit with ``override_ratelimit``,
as the README tells operators to (``--no-override`` keeps Synapse's default of 0.2
messages/s with a burst of 10, to show what a bot without the override gets).

Rooms: the reader creates each room (private, ``invite`` = bot) and the bot joins it with a
direct ``/join`` call, 8 rooms at a time, before the bot starts. The adapter's auto-join is
not used on purpose: it greets every new room through the outbox, which would add messages
to the measurement and costs one sync round trip per invite. Room creation and joins count
against Synapse's per-user message limiter, so during setup both users have the override;
with ``--no-override`` the bot's override is deleted again before the first send, which
leaves it the full default burst.

Then the whole bot runs (``bootstrap.run``: Sender and MatrixAdapter, unmodified) on an
SQLite outbox migrated in a temporary directory, and ``rooms x per_room`` messages are
written with ``enqueue`` (``--order round``: message k to every room, then k+1; ``room``:
each room's messages back to back) in transactions of 500 rows. The clock starts at the
first ``sender.wake()`` and stops when the reader's long-poll sync (timeline limit >= 100,
only m.room.message) has seen the last message. Afterwards each room's history is read
with ``/rooms/{id}/messages`` to count lost and duplicated bodies.

Figures: messages/s, M_LIMIT_EXCEEDED answers (RetryLater raised by the adapter's send,
cross-checked with the 429s in Synapse's access log), lost, duplicates, adapter send and
Synapse-side processing time per send, CPU seconds of this process (bot + reader) and of
Synapse over the measured span, event-loop lag, peak RSS of both, setup seconds. The
delivery wait is bounded (``--deadline``); Synapse is stopped at the end, also on errors.

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

from bot import migrate
from bot.bootstrap import build_app, run
from bot.config import Settings
from bot.delivery.outbox import enqueue
from bot.domain import people
from bot.domain.models import OutboxMessage
from bot.errors import RetryLater
from bot.types import ChatRef, Outgoing
from tests.fakes.synapse import MatrixUser, SynapseServer

API = "/_matrix/client/v3"
ENQUEUE_CHUNK = 500
SETUP_PARALLEL = 8
SEND_LOG = re.compile(r'Processed request: ([\d.]+)sec/.*B (\d{3}) "PUT \S+/send/m\.room\.message/')


def text_of(room: int, k: int) -> str:
    return f"Nachricht {k} für Raum {room}: Das Digitalcafé ist am Dienstag offen."


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def api(http: aiohttp.ClientSession, method: str, url: str, token: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    async with http.request(method, url, headers=headers, **kw) as resp:
        data = await resp.json(content_type=None)
        if resp.status != 200:
            raise RuntimeError(f"{method} {url} answered {resp.status}: {data}")
        return data


class Reader:
    """The person in every room: long-poll syncs, records when each message arrives."""

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str, bot_id: str) -> None:
        self.http, self.url, self.token, self.bot_id = http, f"{base}{API}/sync", token, bot_id
        self.seen: dict[tuple[str, str], float] = {}
        self.since: str | None = None

    async def sync(self, timeout_ms: int, limit: int) -> None:
        timeline = {"limit": limit, "types": ["m.room.message"]}
        nothing = {"types": []}
        sync_filter = {"room": {"timeline": timeline, "state": nothing, "ephemeral": nothing}}
        sync_filter |= {"presence": nothing, "account_data": nothing}
        params = {"timeout": str(timeout_ms), "filter": json.dumps(sync_filter)}
        if self.since:
            params["since"] = self.since
        data = await api(self.http, "GET", self.url, self.token, params=params)
        self.since, now = data["next_batch"], time.monotonic()
        for room_id, room in data.get("rooms", {}).get("join", {}).items():
            for event in room.get("timeline", {}).get("events", []):
                if event.get("sender") == self.bot_id:
                    self.seen.setdefault((room_id, event["content"].get("body", "")), now)

    async def history(self, room_id: str) -> list[tuple[str, str]]:
        """Every body the bot sent to the room, from the server's own timeline."""
        url = f"{self.url[: -len('/sync')]}/rooms/{quote(room_id, safe='')}/messages"
        params = {"dir": "b", "limit": "1000", "filter": json.dumps({"types": ["m.room.message"]})}
        bodies: list[tuple[str, str]] = []
        while True:
            page = await api(self.http, "GET", url, self.token, params=params)
            chunk = page.get("chunk", [])
            bodies += [
                (room_id, e["content"].get("body", "")) for e in chunk if e["sender"] == self.bot_id
            ]
            if not chunk or "end" not in page:
                return bodies
            params["from"] = page["end"]


async def make_rooms(
    http: aiohttp.ClientSession, base: str, reader: MatrixUser, bot: MatrixUser, count: int
) -> list[str]:
    gate = asyncio.Semaphore(SETUP_PARALLEL)

    async def one() -> str:
        async with gate:
            body = {"preset": "private_chat", "is_direct": True, "invite": [bot.user_id]}
            room_id = (
                await api(http, "POST", f"{base}{API}/createRoom", reader.access_token, json=body)
            )["room_id"]
            url = f"{base}{API}/join/{quote(room_id, safe='')}"
            await api(http, "POST", url, bot.access_token, json={})
            return room_id

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def bench(
    args: argparse.Namespace, server: SynapseServer, tmp: str, began: float
) -> dict[str, Any]:
    figures: dict[str, Any] = {"rooms": args.rooms, "per_room": args.per_room}
    figures["messages"] = total = args.rooms * args.per_room
    figures["override"] = not args.no_override
    users_began = time.monotonic()
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
        figures["rooms_setup_s"] = time.monotonic() - users_began
        settings = Settings(
            bot={"data_dir": tmp, "admins": [f"matrix:{reader.user_id}"]},
            database={"url": f"sqlite+aiosqlite:///{tmp}/fanout.db"},
            matrix={
                "homeserver": server.base_url,
                "user_id": bot.user_id,
                "password": bot.password,
            },
            console={"enabled": "no"},
            demo={"enabled": False},
            delivery={"batch_size": args.batch_size},
        )
        app = build_app(settings)
        adapter: Any = app.adapters["matrix"]
        send_ms: list[float] = []
        limited = [0]
        original_send = adapter.send

        async def counted_send(delivery: Any) -> str:
            started = time.perf_counter()
            try:
                return await original_send(delivery)
            except RetryLater:
                limited[0] += 1
                raise
            finally:
                send_ms.append((time.perf_counter() - started) * 1000)

        adapter.send = counted_send
        bot_began = time.monotonic()
        running = asyncio.create_task(run(app, handle_signals=False), name="bot")
        while getattr(adapter, "_task", None) is None:  # ready once its first sync is stored
            if running.done():
                running.result()
                raise RuntimeError("the bot stopped during start")
            if time.monotonic() - bot_began > 60:
                raise TimeoutError("the Matrix adapter did not start within 60 s")
            await asyncio.sleep(0.05)
        figures["bot_start_s"] = time.monotonic() - bot_began
        chats: list[Any] = []
        async with app.sessions.begin() as session:
            for room_id in room_ids:
                ref = ChatRef("matrix", room_id, "direct")
                chats.append(await people.get_or_create_chat(session, ref, app.clock.now()))
        follower = Reader(http, server.base_url, reader.access_token, bot.user_id)
        limit = max(100, args.per_room)
        await follower.sync(0, limit)  # "since" is now: nothing before the run counts
        figures["setup_s"] = time.monotonic() - began
        order = [(r, k) for k in range(args.per_room) for r in range(args.rooms)]
        if args.order == "room":
            order.sort()
        expected = {(room_ids[r], text_of(r, k)) for r, k in order}

        async def follow() -> None:
            while True:
                await follower.sync(1000, limit)

        lags: list[float] = []

        async def watch_lag() -> None:
            while True:
                started = time.perf_counter()
                await asyncio.sleep(0.05)
                lags.append((time.perf_counter() - started - 0.05) * 1000)

        helpers = [asyncio.create_task(follow()), asyncio.create_task(watch_lag())]
        cpu0, synapse_cpu0 = time.process_time(), proc_cpu_s(synapse_pid)
        t0: float | None = None
        try:
            for first in range(0, total, ENQUEUE_CHUNK):
                async with app.sessions.begin() as session:
                    for r, k in order[first : first + ENQUEUE_CHUNK]:
                        await enqueue(
                            session,
                            chats[r],
                            Outgoing(text_of(r, k)),
                            dedup_key=f"m{r}-{k}",
                            now=app.clock.now(),
                        )
                app.sender.wake()
                t0 = t0 or time.monotonic()
            figures["enqueue_s"] = time.monotonic() - (t0 or 0.0)
            deadline = (t0 or 0.0) + args.deadline
            while not expected <= follower.seen.keys() and time.monotonic() < deadline:
                if any(h.done() for h in helpers):
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
        assert t0 is not None
        span = max((arrivals[-1] if arrivals else time.monotonic()) - t0, 1e-9)
        histories = await asyncio.gather(*(follower.history(room_id) for room_id in room_ids))
    bodies = Counter(pair for history in histories for pair in history)
    server_ms, server_429 = [], 0
    for match in SEND_LOG.finditer(server.log_path.read_text(errors="replace")):
        server_429 += match[2] == "429"
        if match[2] == "200":
            server_ms.append(float(match[1]) * 1000)
    figures |= {
        "received": len(arrivals),
        "messages_per_s": len(arrivals) / span,
        "wall_s": span,
        "first_seen_ms": (arrivals[0] - t0) * 1000 if arrivals else -1.0,
        "limit_exceeded": limited[0],
        "synapse_429": server_429,
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
    return figures


REPORT = [
    ("messages", "{messages} ({rooms} rooms x {per_room}), override {override}"),
    ("setup", "{setup_s:.1f} s (Synapse {synapse_start_s:.1f}, users+rooms {rooms_setup_s:.1f},"
     " bot start {bot_start_s:.1f}); enqueue {enqueue_s:.2f} s"),
    ("delivered", "{received} in {wall_s:.2f} s: {messages_per_s:.1f} msg/s"
     " (first seen after {first_seen_ms:.0f} ms)"),
    ("M_LIMIT_EXCEEDED", "{limit_exceeded} (Synapse log: {synapse_429} answers 429)"),
    ("lost / duplicates", "{lost} / {duplicates}; outbox rows not sent: {outbox_not_sent}"),
    ("send p50 / p99", "{send_p50_ms:.1f} / {send_p99_ms:.1f} ms in the adapter,"
     " {synapse_send_p50_ms:.1f} / {synapse_send_p99_ms:.1f} ms inside Synapse"),
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
    if args.deadline is None:  # the default limit allows 0.2 messages/s after a burst of 10
        args.deadline = 60 + args.rooms * args.per_room * (5.5 if args.no_override else 0.2)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("nio").setLevel(logging.ERROR)
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
