"""Benchmark: button presses through the real bot on Telegram, against a bare PTB bot.

The fake Bot API server (FakeTelegramServer on 127.0.0.1, 50 ms added to every API call)
runs in a process of its own, together with the load: it is a test double, so its CPU is
not charged to the bot, and it takes every timestamp itself. The bot under test runs in
this process.

Phase 1, the bot: the whole bot (``bootstrap.run``: TelegramAdapter in webhook or polling
mode, dispatcher, router, the ``lang.set`` handler, outbox, Sender) on an SQLite database
migrated in a temporary directory. Each of P people first sends /sprache and gets the
language keyboard (set-up, not measured). Then N presses of "Deutsch"/"English" (a pressed
button stays valid; each press stores the locale and queues a reply) are queued at the
server on a timer at R/s (open loop: the pace does not wait for the bot).

Phase 2, the baseline, in this process against a fresh server process with the same
latency and load: a minimal PTB bot that handles every callback in its own task with one
SQLite upsert (aiosqlite, committed) and ``answer_callback_query``. It receives updates the
same way as the bot: a tiny aiohttp handler that accepts each webhook POST at once
(``--mode webhook``, like PTB's own webhook server) or ``Bot.get_updates`` in a loop
(``--mode polling``).

Measured per press, by the server: from the moment the press is queued to the moment the
server performs answerCallbackQuery for that query id (its 50 ms latency included, as a
person would see the spinner stop). Goals: bot p99 <= 100 ms and <= 1.5 x bare p99, no
press left unanswered. The issue's goal is judged in webhook mode (the default): in polling
mode an update that arrives while the next getUpdates spends its 50 ms of latency waits for
it, so polling has a floor of about 100 ms (50 ms wait + 50 ms answer) in this setup.
The servers run with ``strict=False``: answerCallbackQuery is not flood-limited, the bot
paces its replies itself (30/s, 1/s per chat) in either case, and the baseline's keyboards
can be set up at once. Stops by itself: presses still unanswered 60 s after the last one
was offered count as lost.

With ``--button signup`` the press is "Ich komme" on a group's announcement instead: G
groups (``--groups``), each linked to a community of its own with one announced date
(capacity 10 x its members, so nobody waits: the waiting list is not exercised), and the
P people spread over them, each a member with a private chat (set up in the database before
the bot starts; the bot's own outbox posts the announcements). Each person presses "Ich
komme", then "Ich kann nicht", then "Ich komme" again, and so on (every press valid and
changing something): each press stores the sign-up, queues the private confirmation (with
its calendar file, or the "thank you" after a no), answers the press in the group and
refreshes the group post (one pending edit row per post). The person presses the button
the group post shows at that moment (the server's current keyboard). The baselines stay
the language-button bots.

    .venv/bin/python bench/telegram_updates.py --quick   # 500 presses from 100 people
    .venv/bin/python bench/telegram_updates.py --button signup --quick
    .venv/bin/python bench/telegram_updates.py           # 5,000 presses from 1,000 people
    .venv/bin/python bench/telegram_updates.py --mode polling
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import multiprocessing
import os
import resource
import socket
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.telegram_server import FakeTelegramServer

GRACE_S = 60.0  # after the last press was offered
SETUP_S = 60.0


class TimedServer(FakeTelegramServer):
    """The fake server, noting when each press is queued and when it is answered."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queued_at: dict[str, float] = {}
        self.answered_at: dict[str, float] = {}
        self.batches: list[int] = []  # sizes of non-empty getUpdates answers

    def press_button(self, *args: Any, **kwargs: Any) -> str:
        query_id = super().press_button(*args, **kwargs)
        self.queued_at[query_id] = time.monotonic()
        return query_id

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        result = await super()._m_answerCallbackQuery(params)
        self.answered_at.setdefault(str(params.get("callback_query_id")), time.monotonic())
        return result

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        updates = await super()._m_getUpdates(params)
        if updates:
            self.batches.append(len(updates))
        return updates


Target = tuple[int, dict[str, Any], int, tuple[str, str]]  # chat, user, message id, keys


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class GcPauses:
    """The longest garbage collection while inside the block."""

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self._began = 0.0

    def _note(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - self._began) * 1000)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._note)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the server process ----------------------------------------------------------------


def serve(conn: Connection, options: dict[str, Any], kind: str) -> None:
    """Entry point of the server process: set up, offer the load, send back the figures."""
    logging.basicConfig(level=logging.ERROR)
    try:
        asyncio.run(_serve(conn, argparse.Namespace(**options), kind))
    except Exception as exc:  # the parent must not wait for ever
        conn.send({"error": repr(exc)})


async def _serve(conn: Connection, args: argparse.Namespace, kind: str) -> None:
    server = TimedServer(strict=False, latency_ms=args.latency_ms)
    await server.start()
    users = [server.user(20_000 + n, f"Person {n}") for n in range(args.people)]
    for user in users:
        server.private_chat(user)
    if kind == "bot" and args.button == "signup":
        for g in range(args.groups):
            server.group(group_id(g), f"Digitalcafé {g}")
    conn.send({"base_url": server.base_url, "token": server.token})
    deadline = time.monotonic() + SETUP_S
    while server.requests["getUpdates"] + server.requests["setWebhook"] == 0:
        if time.monotonic() > deadline:
            raise RuntimeError("the bot never asked for updates")
        await asyncio.sleep(0.01)
    if kind == "bot" and args.button == "signup":
        targets = await _announcements(server, users, args)
    else:
        targets = await _keyboards(server, users, args, kind)
    server.batches.clear()
    sent_before = len(server.sent)
    # The server keeps every request and update it saw, and a collection pauses the presses
    # of either bot alike: the set-up's garbage goes first and its objects are frozen, and
    # the longest pause while measuring is reported (the bot under test is not helped).
    gc.collect()
    gc.freeze()
    pauses = GcPauses()
    conn.send({"measuring": True})
    cpu_before = cpu_seconds()
    with pauses:
        figures = await offer_and_measure(server, targets, args)
    figures["server_cpu_s"] = cpu_seconds() - cpu_before
    figures["server_gc_pause_max_ms"] = pauses.longest_ms
    figures["replies_sent_during_run"] = len(server.sent) - sent_before
    conn.send(figures)
    await asyncio.to_thread(conn.recv)  # the bot has stopped
    await server.stop()


def group_id(n: int) -> int:
    return -100_000 - n


async def _announcements(
    server: TimedServer, users: list[dict[str, Any]], args: argparse.Namespace
) -> list[Target]:
    """The groups' announcements as the bot posted them: (group, person, message id)."""
    posts: dict[int, int] = {}
    deadline = time.monotonic() + SETUP_S
    while len(posts) < args.groups and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        for record in server.sent:
            if record.chat_id < 0 and len(record.callback_data) == 3:
                posts.setdefault(record.chat_id, record.message_id or 0)
    if len(posts) < args.groups:
        raise RuntimeError(f"set-up failed: {len(posts)} of {args.groups} announcements")
    return [
        (group_id(n % args.groups), user, posts[group_id(n % args.groups)], ("", ""))
        for n, user in enumerate(users)
    ]


async def _keyboards(
    server: TimedServer, users: list[dict[str, Any]], args: argparse.Namespace, kind: str
) -> list[Target]:
    """The language keyboards, one per person: (chat, person, message id, two keys)."""
    if kind == "bot":
        for user in users:
            server.post_message(user["id"], user, "/sprache")
    keyboards: dict[int, tuple[int, tuple[str, str]]] = {}
    deadline = time.monotonic() + SETUP_S + args.people / 20
    seen = 0
    while len(keyboards) < len(users) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        for record in server.sent[seen:]:
            # The language keyboard (Deutsch, English and any further language): its first
            # two buttons are pressed in turn.
            if len(record.callback_data) >= 2 and record.chat_id not in keyboards:
                keys = (record.callback_data[0], record.callback_data[1])
                keyboards[record.chat_id] = (record.message_id or 0, keys)
        seen = len(server.sent)
    if len(keyboards) < len(users):
        raise RuntimeError(
            f"set-up failed: {len(keyboards)} of {len(users)} keyboards arrived;"
            f" requests {dict(server.requests)}, pending {server.pending_updates()},"
            f" webhook error {server._webhook_error}, fake errors {server.internal_errors[:3]}"
        )
    return [(u["id"], u, *keyboards[u["id"]]) for u in users]  # type: ignore[misc]


async def offer_and_measure(
    server: TimedServer, targets: list[Target], args: argparse.Namespace
) -> dict[str, Any]:
    """Queue the presses at ``args.rate`` per second, then wait for their answers."""
    started, behind = time.monotonic(), 0.0
    for n in range(args.presses):
        delay = started + n / args.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        behind = max(behind, -delay)
        chat_id, user, message_id, keys = targets[n % len(targets)]
        turn = (n // len(targets)) % 2
        if keys[0]:
            key = keys[turn]
        else:
            # The group post as it shows now: "Ich komme", then "Ich kann nicht", in turn.
            key = shown_keys(server, chat_id, message_id)[2 * turn]
        server.press_button(chat_id, user, message_id, key)
    offered = args.presses / (time.monotonic() - started)
    deadline = time.monotonic() + GRACE_S
    while len(server.answered_at) < args.presses and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    answered = [q for q in server.queued_at if q in server.answered_at]
    latencies = [(server.answered_at[q] - server.queued_at[q]) * 1000 for q in answered]
    batches = server.batches
    return {
        "offered_per_s": offered,
        "offer_behind_max_ms": behind * 1000,  # how late the timer queued a press at worst
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies, default=float("nan")),
        "lost": args.presses - len(answered),
        "batch_mean": sum(batches) / len(batches) if batches else None,
        "count_429": server.count_429,
    }


def shown_keys(server: TimedServer, chat_id: int, message_id: int) -> list[str]:
    message = server.message(chat_id, message_id) or {}
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [str(b["callback_data"]) for row in rows for b in row]


class ServerProcess:
    """The fake server and the load in a process of their own, driven through a pipe."""

    def __init__(self, args: argparse.Namespace, kind: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=serve, args=(child, vars(args), kind), name=f"fake-telegram-{kind}"
        )
        self._process.start()
        self.base_url = ""
        self.token = ""

    async def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = await asyncio.to_thread(self._conn.recv)
        if "error" in message:
            raise SystemExit(f"server process: {message['error']}")
        return message

    async def started(self) -> None:
        info = await self.receive()
        self.base_url, self.token = info["base_url"], info["token"]

    async def measure(self, profile: str | None = None) -> tuple[dict[str, Any], float]:
        """Wait for the set-up, then for the figures; also the CPU this process used."""
        await self.receive()
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        before = cpu_seconds()
        figures = await self.receive()
        cpu_s = cpu_seconds() - before
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        return figures, cpu_s

    async def stop(self) -> None:
        self._conn.send("stop")
        await asyncio.to_thread(self._process.join, 30)


# --- this process: the bot, then the baseline ----------------------------------------


async def run_bot(args: argparse.Namespace, tmp: str, url: str) -> dict[str, Any]:
    from bot.bootstrap import build_app, run
    from bot.config import Settings

    server = ServerProcess(args, "bot")
    await server.started()
    telegram: dict[str, Any] = {
        "token": server.token,
        "base_url": server.base_url,
        "poll_timeout": 10,
        "mode": args.mode,
    }
    if args.mode == "webhook":
        port = free_port()
        telegram.update(
            webhook_port=port,
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            webhook_secret="bench-webhook-secret-0123456789abcdef",
        )
    settings = Settings(
        bot={"data_dir": tmp, "admins": ["telegram:1"]},
        database={"url": url},
        telegram=telegram,
        console={"enabled": "no"},
        demo={"enabled": False},
    )
    app = build_app(settings)
    if args.button == "signup":
        await seed_announcements(app, args)
    handled_ms: list[float] = []
    dispatch = app.dispatcher.dispatch

    async def timed_dispatch(incoming: Any) -> bool:  # instrumentation only
        began = time.perf_counter()
        try:
            return await dispatch(incoming)
        finally:
            if incoming.button_key is not None:
                handled_ms.append((time.perf_counter() - began) * 1000)

    app.dispatcher.dispatch = timed_dispatch  # type: ignore[method-assign]
    running = asyncio.create_task(run(app, handle_signals=False))
    try:
        figures, cpu_s = await server.measure(args.profile)
    except BaseException:
        app.stopped.set()  # the server process failed: stop the bot rather than hang
        raise
    handled_ms[:] = handled_ms[-args.presses :]  # the measured presses, not the set-up
    figures["dispatch_p50_ms"] = percentile(handled_ms, 0.50)
    figures["dispatch_p99_ms"] = percentile(handled_ms, 0.99)
    figures["cpu_ms_per_press"] = cpu_s * 1000 / args.presses
    app.stopped.set()
    try:
        await asyncio.wait_for(running, timeout=30)  # the reply backlog is not waited for
    except TimeoutError:
        await app.close()
    await server.stop()
    return figures


async def seed_announcements(app: Any, args: argparse.Namespace) -> None:
    """One community per group, its group chat linked, one date announced there (the post
    queued in the outbox, the bot sends it when it starts), and every person a member with
    a private chat."""
    from datetime import timedelta

    from bot.chat.types import ChatRef, Sender
    from bot.community import communities
    from bot.dates.notices import post_event
    from bot.domain import people
    from bot.domain.models import Event

    now = app.clock.now()
    members = -(-args.people // args.groups)
    async with app.sessions.begin() as session:
        groups = []
        for g in range(args.groups):
            community = await communities.create_community(session, f"Digitalcafé {g}", now=now)
            ref = ChatRef("telegram", str(group_id(g)), "group", f"Digitalcafé {g}")
            chat = await people.get_or_create_chat(session, ref, now)
            chat.community_id = community.id
            event = Event(
                community_id=community.id,
                title="Digitalcafé: Fragen rund ums Handy",
                starts_at=now + timedelta(days=7),
                ends_at=now + timedelta(days=7, hours=2),
                place="Stadtbibliothek, Raum 2",
                capacity=10 * members,
                created_at=now,
            )
            session.add(event)
            await session.flush()
            groups.append((community, event))
        for n in range(args.people):
            user_id = 20_000 + n
            sender = Sender(str(user_id), f"Person {n}", None)
            account = await people.get_or_create_account(session, "telegram", sender, now)
            chat = await people.get_or_create_chat(
                session, ChatRef("telegram", str(user_id), "direct"), now
            )
            chat.person_id = account.person_id
            await communities.add_member(
                session, account.person_id, groups[n % args.groups][0].id, now
            )
        for community, event in groups:
            await post_event(session, event, community, f"announce:{event.id}", now)


async def _bare_db(path: str) -> Any:
    """The bare bots' database: one aiosqlite connection, one table, WAL."""
    import aiosqlite

    db = await aiosqlite.connect(path)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=NORMAL")
    await db.execute("CREATE TABLE people (user_id INTEGER PRIMARY KEY, locale TEXT)")
    return db


UPSERT = (
    "INSERT INTO people (user_id, locale) VALUES (?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET locale = excluded.locale"
)
KEYS = ("lang:de", "lang:en")


async def _webhook(on_post: Any) -> tuple[Any, str]:
    """A tiny aiohttp server that hands each POST to ``on_post``; the runner and its URL."""
    from aiohttp import web

    web_app = web.Application()
    web_app.router.add_post("/telegram", on_post)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/telegram"


class Spawner:
    """Each update in a task of its own, as the bare bots do (unbounded)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()

    def __call__(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def run_bare(args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    import httpx
    from aiohttp import web
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.request import HTTPXRequest

    server = ServerProcess(args, "bare")
    await server.started()
    # The same HTTP client settings as the bot's adapter: with httpx, a pool of hundreds
    # of connections costs more CPU per request than the whole bare bot does otherwise.
    request = HTTPXRequest(
        connection_pool_size=32,
        read_timeout=20,
        pool_timeout=60,
        httpx_kwargs={"limits": httpx.Limits(max_connections=32, max_keepalive_connections=8)},
    )
    polling = HTTPXRequest(connection_pool_size=2, read_timeout=20)
    bot = Bot(server.token, base_url=server.base_url, request=request, get_updates_request=polling)
    await bot.initialize()
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=k)]
            for label, k in zip(("Deutsch", "English"), KEYS, strict=True)
        ]
    )
    people = [20_000 + n for n in range(args.people)]
    for start in range(0, len(people), 100):
        await asyncio.gather(
            *(
                bot.send_message(p, "Welche Sprache möchten Sie?", reply_markup=markup)
                for p in people[start : start + 100]
            )
        )
    db = await _bare_db(f"{tmp}/bare.db")
    spawn = Spawner()

    async def handle(update: Update) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        await db.execute(UPSERT, (query.from_user.id, query.data.split(":")[1]))
        await db.commit()
        await query.answer()

    async def poll() -> None:
        offset = None
        while True:
            updates = await bot.get_updates(
                offset=offset, timeout=10, allowed_updates=["callback_query"]
            )
            for update in updates:
                spawn(handle(update))
            if updates:
                offset = updates[-1].update_id + 1

    async def on_webhook(request: web.Request) -> web.Response:
        spawn(handle(Update.de_json(await request.json(), bot)))
        return web.Response()

    poller, runner = None, None
    if args.mode == "webhook":
        runner, url = await _webhook(on_webhook)
        await bot.set_webhook(url, allowed_updates=["callback_query"])
    else:
        poller = asyncio.create_task(poll())
    figures, cpu_s = await server.measure()
    figures["cpu_ms_per_press"] = cpu_s * 1000 / args.presses
    if poller is not None:
        poller.cancel()
    if runner is not None:
        await runner.cleanup()
    await asyncio.gather(*(t for t in (poller,) if t), *spawn.tasks, return_exceptions=True)
    await bot.shutdown()
    await db.close()
    await server.stop()
    return figures


async def run_aiogram(args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    """The leanest Python stack: a bare aiogram 3 bot doing the bare PTB bot's work (the
    same upsert and commit, ``answer()`` over the same server, the same webhook intake or
    getUpdates loop). aiogram's own aiohttp session, limited to 32 connections like the
    other bots' pools."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from aiohttp import web

    server = ServerProcess(args, "bare")
    await server.started()
    api = TelegramAPIServer.from_base(server.base_url.removesuffix("/bot"))
    bot = Bot(server.token, session=AiohttpSession(api=api, limit=32))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=k)]
            for label, k in zip(("Deutsch", "English"), KEYS, strict=True)
        ]
    )
    people = [20_000 + n for n in range(args.people)]
    for start in range(0, len(people), 100):
        await asyncio.gather(
            *(
                bot.send_message(chat_id=p, text="Welche Sprache möchten Sie?", reply_markup=markup)
                for p in people[start : start + 100]
            )
        )
    db = await _bare_db(f"{tmp}/aiogram.db")
    spawn = Spawner()

    async def handle(update: Update) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        await db.execute(UPSERT, (query.from_user.id, query.data.split(":")[1]))
        await db.commit()
        await query.answer()

    async def poll() -> None:
        offset = None
        while True:
            updates = await bot.get_updates(
                offset=offset, timeout=10, allowed_updates=["callback_query"]
            )
            for update in updates:
                spawn(handle(update))
            if updates:
                offset = updates[-1].update_id + 1

    async def on_webhook(request: web.Request) -> web.Response:
        spawn(handle(Update.model_validate(await request.json(), context={"bot": bot})))
        return web.Response()

    poller, runner = None, None
    if args.mode == "webhook":
        runner, url = await _webhook(on_webhook)
        await bot.set_webhook(url=url, allowed_updates=["callback_query"])
    else:
        poller = asyncio.create_task(poll())
    figures, cpu_s = await server.measure()
    figures["cpu_ms_per_press"] = cpu_s * 1000 / args.presses
    if poller is not None:
        poller.cancel()
    if runner is not None:
        await runner.cleanup()
    await asyncio.gather(*(t for t in (poller,) if t), *spawn.tasks, return_exceptions=True)
    await bot.session.close()
    await db.close()
    await server.stop()
    return figures


BOTS = ("bot", "bare", "aiogram")


async def bench(args: argparse.Namespace, tmp: str, url: str) -> dict[str, Any]:
    ours = await run_bot(args, tmp, url) if "bot" in args.bots else {}
    bot_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    bare = await run_bare(args, tmp) if "bare" in args.bots else {}
    lean = await run_aiogram(args, tmp) if "aiogram" in args.bots else {}
    figures = (
        {f"bot_{k}": v for k, v in ours.items()}
        | {f"bare_{k}": v for k, v in bare.items()}
        | {f"aiogram_{k}": v for k, v in lean.items()}
    )
    for name, other in (("bare", bare), ("aiogram", lean)):
        if ours and other:
            figures[f"p99_ratio_bot_to_{name}"] = ours["p99_ms"] / other["p99_ms"]
            figures[f"cpu_ratio_bot_to_{name}"] = (
                ours["cpu_ms_per_press"] / other["cpu_ms_per_press"]
            )
    if ours and bare:
        figures["goal_met"] = (
            ours["p99_ms"] <= 100 and figures["p99_ratio_bot_to_bare"] <= 1.5 and not ours["lost"]
        )
        figures["cpu_goal_met"] = ours["cpu_ms_per_press"] <= bare["cpu_ms_per_press"]
    figures["bot_peak_rss_mb"] = bot_rss
    return figures


REPORT = [
    (
        "load",
        "{presses} presses from {people} people, offered at {rate:.0f}/s, {latency_ms:.0f} ms"
        " API latency",
    ),
    ("mode", "{mode} (all bots; the issue's goal is judged in webhook mode)"),
    ("bot's button", "{button}{groups_note} (the baselines: the language button)"),
    (
        "bot press→answer",
        "p50 {bot_p50_ms:.1f} ms, p99 {bot_p99_ms:.1f} ms, max {bot_max_ms:.1f} ms;"
        " timer at worst {bot_offer_behind_max_ms:.0f} ms late",
    ),
    (
        "bare PTB",
        "p50 {bare_p50_ms:.1f} ms, p99 {bare_p99_ms:.1f} ms, max {bare_max_ms:.1f} ms;"
        " timer at worst {bare_offer_behind_max_ms:.0f} ms late",
    ),
    (
        "bare aiogram",
        "p50 {aiogram_p50_ms:.1f} ms, p99 {aiogram_p99_ms:.1f} ms, max {aiogram_max_ms:.1f} ms;"
        " timer at worst {aiogram_offer_behind_max_ms:.0f} ms late",
    ),
    ("p99 bot / bare", "{p99_ratio_bot_to_bare:.2f} (goal: bot p99 <= 100 ms and ratio <= 1.5)"),
    ("p99 bot / aiogram", "{p99_ratio_bot_to_aiogram:.2f}"),
    ("goal met", "p99 {goal_met}; CPU at or below the bare PTB bot's {cpu_goal_met}"),
    ("lost presses (bot)", "{bot_lost} (goal 0)"),
    ("lost presses (bare)", "PTB {bare_lost}"),
    ("lost (aiogram)", "{aiogram_lost}"),
    ("CPU per press (bot)", "{bot_cpu_ms_per_press:.2f} ms"),
    (
        "CPU per press",
        "bare PTB {bare_cpu_ms_per_press:.2f} ms (bot / PTB {cpu_ratio_bot_to_bare:.2f})",
    ),
    (
        "CPU per press",
        "bare aiogram {aiogram_cpu_ms_per_press:.2f} ms (bot / aiogram"
        " {cpu_ratio_bot_to_aiogram:.2f})",
    ),
    (
        "bot dispatch",
        "p50 {bot_dispatch_p50_ms:.1f} ms, p99 {bot_dispatch_p99_ms:.1f} ms per press;"
        " {bot_batch_mean} updates per getUpdates",
    ),
    (
        "bot replies",
        "{bot_replies_sent_during_run} sent while measuring (paced at 30/s); 429s {bot_count_429}",
    ),
    ("peak RSS", "{peak_rss_mb:.0f} MB ({bot_peak_rss_mb:.0f} MB after the bot phase)"),
    ("wall", "{wall_s:.1f} s"),
    # The machine's other work decides much of the p99: CPU per press is the steadier figure.
    ("load average", "{load_before} at the start, {load_after} at the end (1/5/15 min)"),
]


def one_rate(args: argparse.Namespace) -> dict[str, Any]:
    """All the chosen bots at ``args.rate``, each on a fresh database; the figures."""
    started = time.monotonic()
    load_before = "/".join(f"{x:.2f}" for x in os.getloadavg())
    from bot.infra import migrate

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/updates.db"
        migrate.upgrade(url)
        figures: dict[str, Any] = asyncio.run(bench(args, tmp, url))
    figures.update(
        mode=args.mode,
        button=args.button,
        groups_note=f" in {args.groups} groups" if args.button == "signup" else "",
        presses=args.presses,
        people=args.people,
        latency_ms=args.latency_ms,
        rate=args.rate,
    )
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["wall_s"] = time.monotonic() - started
    figures["load_before"] = load_before
    figures["load_after"] = "/".join(f"{x:.2f}" for x in os.getloadavg())
    for label, line in REPORT:
        try:
            print(f"{label + ':':<21}" + line.format(**figures))
        except KeyError:
            pass  # a bot that did not run
    del figures["groups_note"]  # for the report only
    return figures


def rounded(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=5_000)
    parser.add_argument("--people", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=200.0, help="presses offered per second")
    parser.add_argument(
        "--sweep", metavar="RATES", help="comma-separated rates, e.g. 200,300,400: one run each"
    )
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--mode", choices=("webhook", "polling"), default="webhook")
    parser.add_argument("--quick", action="store_true", help="500 presses from 100 people")
    parser.add_argument(
        "--button",
        choices=("lang", "signup"),
        default="lang",
        help="the bot's press: the language button, or \"Ich komme\" on a group's announcement",
    )
    parser.add_argument("--groups", type=int, default=10, help="--button signup: groups")
    parser.add_argument(
        "--bots", default=",".join(BOTS), help="which of bot,bare,aiogram run (default: all)"
    )
    parser.add_argument("--only", choices=BOTS, help="run one of the phases (= --bots X)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the bot while measuring")
    args = parser.parse_args()
    if args.quick:
        args.presses, args.people = 500, 100
    args.bots = [args.only] if args.only else args.bots.split(",")
    logging.basicConfig(level=logging.ERROR)
    if not args.sweep:
        print(json.dumps(rounded(one_rate(args))))
        return
    runs: dict[str, dict[str, Any]] = {}
    for rate in (float(r) for r in args.sweep.split(",")):
        args.rate = rate
        print(f"--- {rate:.0f} presses/s")
        runs[f"{rate:g}"] = rounded(one_rate(args))
    # Where each bot's p99 first leaves 100 ms (None: at none of the rates swept).
    leaves = {
        f"{name}_p99_over_100_ms_from_rate": next(
            (float(r) for r, f in runs.items() if f.get(f"{name}_p99_ms", 0) > 100), None
        )
        for name in args.bots
    }
    for key, value in leaves.items():
        print(f"{key}: {value}")
    print(json.dumps({"rates": list(runs), **leaves, "runs": runs}))


if __name__ == "__main__":
    main()
