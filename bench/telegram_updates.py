"""Benchmark: button presses through the real bot on Telegram, against a bare PTB bot.

Phase 1, the bot: the whole bot (``bootstrap.run``: TelegramAdapter's own getUpdates loop,
dispatcher, router, the ``lang.set`` handler, outbox, Sender) on an SQLite database
migrated in a temporary directory, against FakeTelegramServer on 127.0.0.1 with 50 ms
latency added to every API call. Each of P people first sends /sprache and gets the
language keyboard (set-up, not measured). Then N presses of "Deutsch"/"English" (a
pressed button stays valid; each press stores the locale and queues a reply) are queued
at the server on a timer at R/s (open loop: the pace does not wait for the bot).

Phase 2, the baseline, in the same process against a fresh server with the same latency
and load: a minimal PTB bot, ``Bot.get_updates`` in a loop, every callback handled in its
own task with one SQLite upsert (aiosqlite) and ``answer_callback_query``.

Measured per press: from the moment the press is queued at the server to the moment the
server performs answerCallbackQuery for that query id (its 50 ms latency included, as a
person would see the spinner stop). Goals: bot p99 <= 100 ms and <= 1.5 x bare p99, no
press left unanswered. The servers run with ``strict=False``: answerCallbackQuery is not
flood-limited, the bot paces its replies itself (30/s, 1/s per chat) in either case, and
the baseline's keyboards can be set up at once. Stops by itself: presses still
unanswered 60 s after the last one was offered count as lost.

    .venv/bin/python bench/telegram_updates.py --quick   # 500 presses from 100 people
    .venv/bin/python bench/telegram_updates.py           # 5,000 presses from 1,000 people
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosqlite
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.request import HTTPXRequest

from bot import migrate
from bot.bootstrap import build_app, run
from bot.config import Settings
from tests.fakes.telegram_server import FakeTelegramServer

GRACE_S = 60.0  # after the last press was offered


class TimedServer(FakeTelegramServer):
    """The fake server, noting when each press is queued and when it is answered."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queued_at: dict[str, float] = {}
        self.answered_at: dict[str, float] = {}
        self.batches: list[int] = []  # sizes of non-empty getUpdates answers

    def press_button(self, *args: Any, **kwargs: Any) -> str:
        query_id = super().press_button(*args, **kwargs)
        self.queued_at[query_id] = time.perf_counter()
        return query_id

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        result = await super()._m_answerCallbackQuery(params)
        self.answered_at.setdefault(str(params.get("callback_query_id")), time.perf_counter())
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


async def new_server(args: argparse.Namespace) -> tuple[TimedServer, list[dict[str, Any]]]:
    server = TimedServer(strict=False, latency_ms=args.latency_ms)
    await server.start()
    users = [server.user(20_000 + n, f"Person {n}") for n in range(args.people)]
    for user in users:
        server.private_chat(user)
    return server, users


async def offer_and_measure(
    server: TimedServer, targets: list[Target], args: argparse.Namespace
) -> dict[str, float]:
    """Queue the presses at ``args.rate`` per second, then wait for their answers."""
    started, behind = time.perf_counter(), 0.0
    for n in range(args.presses):
        delay = started + n / args.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        behind = max(behind, -delay)
        chat_id, user, message_id, keys = targets[n % len(targets)]
        server.press_button(chat_id, user, message_id, keys[(n // len(targets)) % 2])
    offered = args.presses / (time.perf_counter() - started)
    deadline = time.perf_counter() + GRACE_S
    while len(server.answered_at) < args.presses and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    answered = [q for q in server.queued_at if q in server.answered_at]
    latencies = [(server.answered_at[q] - server.queued_at[q]) * 1000 for q in answered]
    return {
        "offered_per_s": offered,
        "offer_behind_max_ms": behind * 1000,  # how late the timer queued a press at worst
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies, default=float("nan")),
        "lost": args.presses - len(answered),
        "batch_mean": sum(server.batches) / max(len(server.batches), 1),
        "count_429": server.count_429,
    }


async def run_bot(args: argparse.Namespace, tmp: str, url: str) -> dict[str, float]:
    server, users = await new_server(args)
    settings = Settings(
        bot={"data_dir": tmp, "admins": ["telegram:1"]},
        database={"url": url},
        telegram={"token": server.token, "base_url": server.base_url, "poll_timeout": 10},
        console={"enabled": "no"},
        demo={"enabled": False},
    )
    app = build_app(settings)
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
    while server.requests["getUpdates"] == 0:  # noqa: ASYNC110 - the adapter has started
        await asyncio.sleep(0.01)
    for user in users:
        server.post_message(user["id"], user, "/sprache")
    keyboards: dict[int, tuple[int, tuple[str, str]]] = {}
    deadline = time.perf_counter() + 60 + args.people / 20
    while len(keyboards) < len(users) and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
        for record in server.sent:
            if len(record.callback_data) == 2:
                keyboards[record.chat_id] = (record.message_id or 0, tuple(record.callback_data))  # type: ignore[assignment]
    if len(keyboards) < len(users):
        raise SystemExit(f"set-up failed: {len(keyboards)} of {len(users)} keyboards arrived")
    targets = [(u["id"], u, *keyboards[u["id"]]) for u in users]
    server.batches.clear()
    figures = await offer_and_measure(server, targets, args)  # type: ignore[arg-type]
    figures["dispatch_p50_ms"] = percentile(handled_ms, 0.50)
    figures["dispatch_p99_ms"] = percentile(handled_ms, 0.99)
    figures["replies_sent_during_run"] = len(server.sent) - len(users)
    app.stopped.set()
    try:
        await asyncio.wait_for(running, timeout=30)  # the reply backlog is not waited for
    except TimeoutError:
        await app.close()
    await server.stop()
    return figures


async def run_bare(args: argparse.Namespace, tmp: str) -> dict[str, float]:
    server, users = await new_server(args)
    request = HTTPXRequest(connection_pool_size=256, read_timeout=20, pool_timeout=60)
    polling = HTTPXRequest(connection_pool_size=2, read_timeout=20)
    bot = Bot(server.token, base_url=server.base_url, request=request, get_updates_request=polling)
    await bot.initialize()
    keys = ("lang:de", "lang:en")
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=k)]
            for label, k in zip(("Deutsch", "English"), keys, strict=True)
        ]
    )
    sent = await asyncio.gather(
        *(
            bot.send_message(u["id"], "Welche Sprache möchten Sie?", reply_markup=markup)
            for u in users
        )
    )
    targets = [(u["id"], u, m.message_id, keys) for u, m in zip(users, sent, strict=True)]
    db = await aiosqlite.connect(f"{tmp}/bare.db")
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=NORMAL")
    await db.execute("CREATE TABLE people (user_id INTEGER PRIMARY KEY, locale TEXT)")
    tasks: set[asyncio.Task[None]] = set()

    async def handle(update: Update) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        await db.execute(
            "INSERT INTO people (user_id, locale) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET locale = excluded.locale",
            (query.from_user.id, query.data.split(":")[1]),
        )
        await db.commit()
        await query.answer()

    async def poll() -> None:
        offset = None
        while True:
            updates = await bot.get_updates(
                offset=offset, timeout=10, allowed_updates=["callback_query"]
            )
            for update in updates:
                task = asyncio.create_task(handle(update))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if updates:
                offset = updates[-1].update_id + 1

    poller = asyncio.create_task(poll())
    figures = await offer_and_measure(server, targets, args)
    poller.cancel()
    await asyncio.gather(poller, *tasks, return_exceptions=True)
    await bot.shutdown()
    await db.close()
    await server.stop()
    return figures


async def bench(args: argparse.Namespace, tmp: str, url: str) -> dict[str, float]:
    ours = await run_bot(args, tmp, url)
    bot_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    bare = await run_bare(args, tmp)
    figures = {f"bot_{k}": v for k, v in ours.items()} | {f"bare_{k}": v for k, v in bare.items()}
    figures["p99_ratio_bot_to_bare"] = ours["p99_ms"] / bare["p99_ms"]
    figures["bot_peak_rss_mb"] = bot_rss
    return figures


REPORT = [
    (
        "load",
        "{presses} presses from {people} people, offered at {bot_offered_per_s:.0f}/s (bot)"
        " and {bare_offered_per_s:.0f}/s (bare), {latency_ms:.0f} ms API latency; timer at"
        " worst {bot_offer_behind_max_ms:.0f} / {bare_offer_behind_max_ms:.0f} ms late",
    ),
    (
        "bot press→answer",
        "p50 {bot_p50_ms:.1f} ms, p99 {bot_p99_ms:.1f} ms, max {bot_max_ms:.1f} ms",
    ),
    (
        "bare press→answer",
        "p50 {bare_p50_ms:.1f} ms, p99 {bare_p99_ms:.1f} ms, max {bare_max_ms:.1f} ms",
    ),
    ("p99 bot / bare", "{p99_ratio_bot_to_bare:.2f} (goal: bot p99 <= 100 ms and ratio <= 1.5)"),
    ("lost presses", "bot {bot_lost}, bare {bare_lost} (goal 0)"),
    (
        "bot dispatch",
        "p50 {bot_dispatch_p50_ms:.1f} ms, p99 {bot_dispatch_p99_ms:.1f} ms per press;"
        " {bot_batch_mean:.1f} updates per getUpdates (bare {bare_batch_mean:.1f})",
    ),
    (
        "bot replies",
        "{bot_replies_sent_during_run} sent while measuring (paced at 30/s); 429s {bot_count_429}",
    ),
    ("peak RSS", "{peak_rss_mb:.0f} MB ({bot_peak_rss_mb:.0f} MB after the bot phase)"),
    ("wall", "{wall_s:.1f} s"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=5_000)
    parser.add_argument("--people", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=200.0, help="presses offered per second")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--quick", action="store_true", help="500 presses from 100 people")
    args = parser.parse_args()
    if args.quick:
        args.presses, args.people = 500, 100
    logging.basicConfig(level=logging.ERROR)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/updates.db"
        migrate.upgrade(url)
        figures: dict[str, Any] = asyncio.run(bench(args, tmp, url))
    figures.update(presses=args.presses, people=args.people, latency_ms=args.latency_ms)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["wall_s"] = time.monotonic() - started
    for label, line in REPORT:
        print(f"{label + ':':<21}" + line.format(**figures))
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
