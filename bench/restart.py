"""Benchmark: from SIGKILL to serving again, with 1,000 Matrix rooms and 10,000 pending rows.

The bot runs as a real process (``python -m bot --config FILE run``, SQLite) with two
platforms on 127.0.0.1:

* Telegram: the suite's FakeTelegramServer (tests/fakes/telegram_server.py) in this process;
  its rate windows are lifted (``--telegram-rate``, default 300 sends/s overall, 10/s per
  chat) so the drain shows the bot's own pace, not Telegram's 30/s.
* Matrix: a small fake homeserver in this process (``FakeHomeserver`` below, NOT Synapse):
  the bot's account has joined ``--rooms`` rooms (1,000), each a direct room with one person;
  the full-state /sync answers with all of them (create, join rules, power levels, both
  members), as Synapse would after a restart. It answers key uploads and queries, takes sends
  and records when each arrived. What it cannot show is Synapse's own time to build that
  response (a real Synapse with 1,000 rooms takes minutes to set up); the bot's side - the
  request, parsing 1,000 rooms into nio's state, the crypto store - is real.

The database holds ``--pending`` (10,000) pending outbox rows for 1,000 Telegram chats, due
now. The bot is started, shown to answer, SIGKILLed, and started again at once. Right after
the kill a person writes "/start" on Telegram and another one in a Matrix room; measured from
the kill: the first answer on each platform (``kill_to_serving_ms`` is the later of the two),
and the first outbox send. Then, while the backlog drains, a person writes every 0.5 s on
each platform for ``--drain-seconds``: the answers' latency (p50/p99) and the drain rate.

    .venv/bin/python bench/restart.py               # 1,000 rooms, 10,000 rows, three runs
    .venv/bin/python bench/restart.py --quick       # 200 rooms, 2,000 rows, one run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web
from sqlalchemy import insert

from bot.domain.models import Chat, OutboxMessage
from bot.infra import migrate
from bot.infra.db import create_engine, session_factory
from tests.fakes.telegram_server import FakeTelegramServer
from tests.scenarios.reminder_setup import BotRun, write_config

BOT_MXID = "@lotsenbot:fake.local"
DEVICE = "RESTARTBENCH"
TOKEN = "fake-matrix-token"
USERS = 1_000  # Telegram people the backlog goes to
ANSWER_WAIT = 60.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- a homeserver that has the rooms already ------------------------------------------------


class FakeHomeserver:
    """Just enough of the client-server API for the bot: sync, keys, send. Not Synapse."""

    def __init__(self, rooms: int) -> None:
        self.rooms = [f"!room{n:05d}:fake.local" for n in range(rooms)]
        # Every message ever said; a sync token is a position in it, so a sync cut off by
        # the kill loses nothing: the restarted bot asks again from its stored token.
        self._said: list[tuple[str, dict[str, Any]]] = []
        self._wake = asyncio.Event()
        self.sends: list[tuple[float, str, str]] = []  # (monotonic, room, body)
        self.full_syncs: list[float] = []  # seconds each full-state answer took to build
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def say(self, room: str, text: str) -> None:
        """The room's person writes ``text``; the bot sees it in its next sync."""
        n = len(self._said) + 1
        event = {
            "type": "m.room.message",
            "sender": _person(room),
            "event_id": f"$m{n}-{time.monotonic_ns()}",
            "origin_server_ts": int(time.time() * 1000),
            "content": {"msgtype": "m.text", "body": text},
        }
        self._said.append((room, event))
        self._wake.set()

    def answers_in(self, room: str, since: float) -> float | None:
        return next((at for at, r, _b in self.sends if r == room and at >= since), None)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.endswith("/sync"):
            return await self._sync(request)
        if "/send/" in path:
            room = path.split("/rooms/")[1].split("/")[0]
            body = (await request.json()).get("body", "")
            self.sends.append((time.monotonic(), room, body))
            return web.json_response({"event_id": f"$s{len(self.sends)}"})
        if path.endswith("/keys/upload"):
            return web.json_response({"one_time_key_counts": {"signed_curve25519": 50}})
        if path.endswith("/keys/query"):
            return web.json_response({"device_keys": {}, "failures": {}})
        if path.endswith("/keys/claim"):
            return web.json_response({"one_time_keys": {}, "failures": {}})
        if path.endswith("/account/whoami"):
            return web.json_response({"user_id": BOT_MXID, "device_id": DEVICE})
        if "/sendToDevice/" in path:
            return web.json_response({})
        if path.endswith("/joined_members"):
            room = path.split("/rooms/")[1].split("/")[0]
            members = {m: {"display_name": m} for m in (BOT_MXID, _person(room))}
            return web.json_response({"joined": members})
        return web.json_response({})

    async def _sync(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("full_state") == "true" or "since" not in query:
            began = time.perf_counter()
            join = {room: _full_room(room) for room in self.rooms}
            body = self._answer(join, len(self._said))
            self.full_syncs.append(time.perf_counter() - began)
            return body
        since = int(query["since"].lstrip("s"))
        timeout = min(int(query.get("timeout", "0")), 1_000) / 1000
        if len(self._said) <= since and timeout:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass
        join: dict[str, Any] = {}
        for room, event in self._said[since:]:
            join.setdefault(room, {"timeline": {"events": [], "limited": False}})
            join[room]["timeline"]["events"].append(event)
        return self._answer(join, len(self._said))

    def _answer(self, join: dict[str, Any], position: int) -> web.Response:
        return web.json_response(
            {
                "next_batch": f"s{position}",
                "rooms": {"join": join, "invite": {}, "leave": {}},
                "to_device": {"events": []},
                "device_lists": {"changed": [], "left": []},
                "device_one_time_keys_count": {"signed_curve25519": 50},
            }
        )


def _person(room: str) -> str:
    return "@p" + room[5:10] + ":fake.local"


def _state(kind: str, key: str, sender: str, content: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "type": kind,
        "state_key": key,
        "sender": sender,
        "content": content,
        "event_id": f"${kind}-{n}",
        "origin_server_ts": 1_700_000_000_000 + n,
    }


def _full_room(room: str) -> dict[str, Any]:
    person = _person(room)
    member = {"membership": "join"}
    events = [
        _state("m.room.create", "", person, {"creator": person, "room_version": "10"}, 1),
        _state("m.room.member", person, person, member | {"displayname": person[1:7]}, 2),
        _state("m.room.power_levels", "", person, {"users": {person: 100}}, 3),
        _state("m.room.join_rules", "", person, {"join_rule": "invite"}, 4),
        _state("m.room.member", BOT_MXID, BOT_MXID, member | {"displayname": "Lotsenbot"}, 5),
    ]
    return {
        "state": {"events": events},
        "timeline": {"events": [], "limited": False},
        "summary": {"m.joined_member_count": 2, "m.invited_member_count": 0},
    }


# --- the bot's world ------------------------------------------------------------------------


async def seed_outbox(url: str, pending: int) -> None:
    """1,000 Telegram private chats and ``pending`` rows for them, due now."""
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            await session.execute(
                insert(Chat),
                [
                    {"id": n, "platform": "telegram", "external_id": str(800_000 + n),
                     "kind": "direct", "title": "", "created_at": now}
                    for n in range(1, USERS + 1)
                ],
            )  # fmt: skip
            rows = [
                {"dedup_key": f"backlog:{n}", "chat_id": 1 + n % USERS,
                 "content": {"text": f"Rückstand {n}"}, "status": "pending", "due_at": now,
                 "attempts": 0, "last_error": "", "created_at": now}
                for n in range(pending)
            ]  # fmt: skip
            for start in range(0, len(rows), 5000):
                await session.execute(insert(OutboxMessage), rows[start : start + 5000])
    finally:
        await engine.dispose()


def write_credentials(data_dir: Path) -> None:
    """As after the bot's first login: restarts reuse the device (bot/adapters/matrix.py)."""
    folder = data_dir / "matrix"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / "credentials.json").write_text(
        json.dumps({"user_id": BOT_MXID, "device_id": DEVICE, "access_token": TOKEN})
    )
    os.chmod(folder / "credentials.json", 0o600)


class World:
    def __init__(self, workdir: Path, rooms: int, telegram_rate: int) -> None:
        self.workdir = workdir
        self.telegram = FakeTelegramServer(
            strict=True,
            overall_limit=(telegram_rate, 1.0),
            private_chat_limit=(10, 1.0),
        )
        self.matrix = FakeHomeserver(rooms)
        # When the bot first fetched each update (getUpdates), to tell intake from answer.
        self.fetched: dict[int, float] = {}
        polled = self.telegram._handlers["getUpdates"]

        async def traced(params: dict[str, Any]) -> list[dict[str, Any]]:
            updates = await polled(params)
            for update in updates:
                self.fetched[update["update_id"]] = time.monotonic()  # the last fetch counts
            return updates

        self.telegram._handlers["getUpdates"] = traced
        self.next_person = 0
        self.last_fetch_ms = 0.0
        self.bot: BotRun | None = None

    async def start(self, pending: int) -> None:
        await self.telegram.start()
        await self.matrix.start()
        for n in range(1, USERS + 1):
            self.telegram.private_chat(self.telegram.user(800_000 + n, f"Person {n}"))
        db = self.workdir / "bot.db"
        url = f"sqlite+aiosqlite:///{db}"
        await asyncio.to_thread(migrate.upgrade, url)
        await seed_outbox(url, pending)
        write_credentials(self.workdir)
        section = (
            f'[telegram]\ntoken = "{self.telegram.token}"\n'
            f'base_url = "{self.telegram.base_url}"\npoll_timeout = 1\n'
            f'[matrix]\nhomeserver = "{self.matrix.url}"\nuser_id = "{BOT_MXID}"\n'
            f'access_token = "{TOKEN}"\n'
        )
        self.config = write_config(self.workdir / "config.toml", self.workdir, db, section)
        self.bot = BotRun("bot", self.config, self.workdir)

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
        await self.telegram.stop()
        await self.matrix.stop()

    def backlog_sent(self) -> int:
        return sum(1 for r in self.telegram.sent if (r.text or "").startswith("Rückstand"))

    def first_backlog_at(self, since: float) -> float | None:
        return next(
            (
                r.at
                for r in self.telegram.sent
                if r.at >= since and (r.text or "").startswith("Rück")
            ),
            None,
        )

    async def telegram_answer(self, since: float) -> float:
        """A new person writes /start on Telegram; when the bot's answer arrived."""
        self.next_person += 1
        user = self.telegram.user(900_000 + self.next_person, f"Neu {self.next_person}")
        chat = self.telegram.private_chat(user)
        update = self.telegram.post_message(chat, user, "/start")
        at = await self._wait(lambda: _first(self.telegram.messages_to(chat["id"]), since))
        fetched = self.fetched.get(update["update_id"], at)
        self.last_fetch_ms = (fetched - since) * 1000
        return at

    async def matrix_answer(self, room: str, since: float) -> float:
        self.matrix.say(room, "!start")
        return await self._wait(lambda: self.matrix.answers_in(room, since))

    async def _wait(self, found: Any) -> float:
        deadline = time.monotonic() + ANSWER_WAIT
        while time.monotonic() < deadline:
            at = found()
            if at is not None:
                return float(at)
            assert self.bot is not None
            self.bot.check_alive()
            await asyncio.sleep(0.005)
        raise TimeoutError(
            f"no answer within {ANSWER_WAIT} s:\n{self.bot.tail() if self.bot else ''}"
        )


def _first(records: list[Any], since: float) -> float | None:
    return next((r.at for r in records if r.at >= since), None)


async def one_run(args: argparse.Namespace, run: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="restart-bench-"))
    world = World(workdir, args.rooms, args.telegram_rate)
    try:
        await world.start(args.pending)
        assert world.bot is not None
        began = time.monotonic()
        world.bot.spawn()
        # The first start: both platforms answer (the backlog starts to go out meanwhile).
        await world.telegram_answer(began)
        await world.matrix_answer(world.matrix.rooms[0], began)
        first_start_s = time.monotonic() - began
        await asyncio.sleep(1.0)
        sent_before_kill = world.backlog_sent()
        killed = time.monotonic()
        world.bot.kill()
        world.bot.spawn()
        telegram_at, matrix_at = await asyncio.gather(
            world.telegram_answer(killed), world.matrix_answer(world.matrix.rooms[1], killed)
        )
        telegram_fetched_ms = world.last_fetch_ms
        first_send = world.first_backlog_at(killed)
        # The drain: people keep writing on both platforms while the backlog goes out.
        latencies: dict[str, list[float]] = {"telegram": [], "matrix": []}
        drain_from, sent_from = time.monotonic(), world.backlog_sent()

        async def keep_writing(platform: str) -> None:
            n = 2
            while time.monotonic() - drain_from < args.drain_seconds:
                asked = time.monotonic()
                if platform == "telegram":
                    at = await world.telegram_answer(asked)
                else:
                    n += 1
                    at = await world.matrix_answer(world.matrix.rooms[n % args.rooms], asked)
                latencies[platform].append((at - asked) * 1000)
                await asyncio.sleep(max(0.0, 0.5 - (time.monotonic() - asked)))

        await asyncio.gather(keep_writing("telegram"), keep_writing("matrix"))
        drained_s = time.monotonic() - drain_from
        drained = world.backlog_sent() - sent_from
    finally:
        await world.stop()
        if args.keep:
            print(f"  kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    every = latencies["telegram"] + latencies["matrix"]
    figures = {
        "run": run,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "first_start_s": round(first_start_s, 2),
        "kill_to_serving_ms": round((max(telegram_at, matrix_at) - killed) * 1000, 1),
        "kill_to_telegram_answer_ms": round((telegram_at - killed) * 1000, 1),
        "kill_to_telegram_update_fetched_ms": round(telegram_fetched_ms, 1),
        "kill_to_matrix_answer_ms": round((matrix_at - killed) * 1000, 1),
        "kill_to_first_send_ms": round((first_send - killed) * 1000, 1) if first_send else None,
        "backlog_sent_before_kill": sent_before_kill,
        "drain_rate_per_s": round(drained / drained_s, 1),
        "answers_during_drain": len(every),
        "answer_p50_ms": round(statistics.median(every), 1),
        "answer_p99_ms": round(percentile(every, 0.99), 1),
        "telegram_answer_p99_ms": round(percentile(latencies["telegram"], 0.99), 1),
        "matrix_answer_p99_ms": round(percentile(latencies["matrix"], 0.99), 1),
        "full_sync_build_ms": round(1000 * statistics.median(world.matrix.full_syncs), 1),
    }
    return figures


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    runs = []
    for run in range(1, args.runs + 1):
        figures = await one_run(args, run)
        runs.append(figures)
        print(
            f"run {run} (load {figures['load_average_1m']}): kill -> serving"
            f" {figures['kill_to_serving_ms']:.0f} ms (Telegram"
            f" {figures['kill_to_telegram_answer_ms']:.0f}, Matrix"
            f" {figures['kill_to_matrix_answer_ms']:.0f}), first backlog send"
            f" {figures['kill_to_first_send_ms']} ms; drain {figures['drain_rate_per_s']}/s,"
            f" answers meanwhile p50 {figures['answer_p50_ms']:.0f} p99"
            f" {figures['answer_p99_ms']:.0f} ms ({figures['answers_during_drain']});"
            f" first start {figures['first_start_s']} s",
            flush=True,
        )
    worst = max(r["kill_to_serving_ms"] for r in runs)
    return {
        "rooms": args.rooms,
        "pending": args.pending,
        "runs": runs,
        "kill_to_serving_ms_max": worst,
        "kill_to_serving_ms_median": statistics.median(r["kill_to_serving_ms"] for r in runs),
        "answer_p99_ms_max": max(r["answer_p99_ms"] for r in runs),
        "goal_kill_to_serving_ms": 5000,
        "goal_met": worst <= 5000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=1_000)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--drain-seconds", type=float, default=15.0)
    parser.add_argument("--telegram-rate", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the bot's folder and log")
    parser.add_argument("--quick", action="store_true", help="200 rooms, 2,000 rows, one run")
    args = parser.parse_args()
    if args.quick:
        args.rooms, args.pending, args.runs, args.drain_seconds = 200, 2_000, 1, 5.0
    load = os.getloadavg()
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.rooms} Matrix rooms,"
        f" {args.pending} pending rows; the homeserver is a fake (see the docstring)"
    )
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
