"""Two bot processes on one PostgreSQL database, SIGKILLed in turn while they deliver a full
outbox to Telegram and Matrix and while people write to the bot (issue #10).

Used by ``tests/e2e/test_two_processes.py`` (5,000 messages, 3 kills); ``bench/multiprocess.py``
uses its process and outbox helpers.

Setup: a prepared outbox of ``telegram_chats x per_telegram_chat`` messages to private
Telegram chats and ``matrix_rooms x per_matrix_room`` messages to Matrix rooms (Synapse),
each text unique ("Probe telegram 700012 #3"), so every copy the platforms received can be
counted. Both processes run the real bot (``python -m bot run``) with one config:
Telegram in webhook mode, both listening on the same port (``webhook_reuse_port``), so the
fake Bot API server's deliveries reach either; Matrix run by the leader.

The campaign: the first process starts and leads, the second joins. At evenly spread points
of the delivery one process is killed with SIGKILL (first the leader, then the other, in
turn) and started again at once. Right after the first kill a reminder for
``people_reminded`` people falls due (written to the database with a NOTIFY, as a handler
in the other process would): the new leader must send it. Meanwhile ``people_writing``
people each send "/start" on Telegram and must get exactly one greeting. In the end both
stop with SIGTERM, and the copies are counted: Telegram may repeat at most the one message
in flight per kill, Matrix nothing (transaction ids).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from sqlalchemy import func, select, text

from bot.chat.types import ChatRef, Outgoing
from bot.delivery.outbox import enqueue_reply
from bot.domain import people
from bot.domain.models import BotProcess, OutboxMessage
from bot.infra import migrate
from bot.infra.db import create_engine, session_factory
from tests.fakes.telegram_server import FakeTelegramServer
from tests.scenarios.reminder_platforms import SynapseCount, TelegramCount, api, matrix_people
from tests.scenarios.reminder_setup import TITLE, BotRun, Recipient, seed_reminder
from tests.servers.synapse import SynapseServer

MARKER = "Probe"
PROBE = re.compile(r"Probe (telegram|matrix) (\S+) #(\d+)")
API = "/_matrix/client/v3"
TELEGRAM_RATE = 200  # messages a second for the bot (config) and the fake server alike
FIRST_WRITER = 900_000
WEBHOOK_SECRET = "campaign-webhook-secret-0123456789abcdef"  # 32+ characters, as required
FIRST_REMINDED = 800_000


@dataclass
class ClusterResult:
    kills: list[str]
    expected: Counter[str]  # every probe text, once
    received: Counter[str]  # copies the platforms got
    replies: Counter[str]  # greetings per person who wrote
    writers: list[str]
    reminders: Counter[str]  # reminders per person with a place
    reminded: list[str]
    outbox: dict[str, int]
    elapsed_s: float
    count_429: int
    notes: list[str] = field(default_factory=list)

    def lost(self, platform: str) -> int:
        return sum(1 for text in self.expected if platform in text and not self.received[text])

    def duplicates(self, platform: str) -> int:
        return sum(
            self.received[text] - 1
            for text in self.expected
            if platform in text and self.received[text] > 1
        )

    @property
    def reminders_lost(self) -> int:
        return sum(1 for chat in self.reminded if not self.reminders[chat])

    @property
    def reminders_duplicated(self) -> int:
        return sum(max(0, self.reminders[chat] - 1) for chat in self.reminded)

    @property
    def replies_lost(self) -> int:
        return sum(1 for chat in self.writers if not self.replies[chat])

    @property
    def replies_duplicated(self) -> int:
        return sum(max(0, self.replies[chat] - 1) for chat in self.writers)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed_outbox(url: str, targets: list[tuple[str, str, int]]) -> Counter[str]:
    """Queue ``count`` probe messages for each (platform, chat id, count); returns the texts."""
    expected: Counter[str] = Counter()
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            for platform, chat_id, count in targets:
                chat = await people.get_or_create_chat(
                    session, ChatRef(platform, chat_id, "direct"), now
                )
                await session.flush()
                for n in range(count):
                    text = f"{MARKER} {platform} {chat_id} #{n}"
                    expected[text] = 1
                    await enqueue_reply(
                        session,
                        chat,
                        Outgoing(text),
                        dedup_key=f"probe:{platform}:{chat_id}:{n}",
                        now=now,
                    )
    finally:
        await engine.dispose()
    return expected


class Watch:
    """Reads the shared database: the outbox's progress and who leads."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.sessions = session_factory(self.engine)

    async def outbox(self) -> dict[str, int]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.dedup_key.like("probe:%"))
                .group_by(OutboxMessage.status)
            )
            return {str(status): int(count) for status, count in rows.all()}

    async def leader_pid(self) -> int | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(BotProcess.pid).where(BotProcess.leader, BotProcess.stopped_at.is_(None))
            )

    async def notify_schedule(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT pg_notify('lotsenbot', 'schedule')"))
            await connection.commit()

    async def close(self) -> None:
        await self.engine.dispose()


async def _room_probes(
    http: aiohttp.ClientSession, base_url: str, token: str, bot_id: str, rooms: list[str]
) -> Counter[str]:
    """Probe texts found in the rooms' histories, with their number of copies."""
    found: Counter[str] = Counter()
    only = json.dumps({"types": ["m.room.message"], "senders": [bot_id]})
    gate = asyncio.Semaphore(8)

    async def one(room_id: str) -> None:
        url = f"{base_url}{API}/rooms/{quote(room_id, safe='')}/messages"
        params = {"dir": "b", "limit": "500", "filter": only}
        async with gate:
            while True:
                page = await api(http, "GET", url, token, params=params)
                chunk = page.get("chunk", [])
                for event in chunk:
                    body = event.get("content", {}).get("body", "")
                    if PROBE.fullmatch(body):
                        found[body] += 1
                if not chunk or "end" not in page:
                    return
                params["from"] = page["end"]

    await asyncio.gather(*(one(room) for room in rooms))
    return found


def write_config(
    path: Path,
    workdir: Path,
    url: str,
    server: FakeTelegramServer,
    port: int,
    matrix: str,
    *,
    rate: int = TELEGRAM_RATE,
) -> Path:
    """One config for every process: webhooks on a shared port, JSON logs."""
    path.write_text(
        f'[bot]\ndata_dir = "{workdir}"\nadmins = ["console:nobody"]\n'
        f'[database]\nurl = "{url}"\n'
        f'[telegram]\ntoken = "{server.token}"\nbase_url = "{server.base_url}"\n'
        f'mode = "webhook"\nwebhook_port = {port}\n'
        f'webhook_url = "http://127.0.0.1:{port}/telegram"\n'
        f'webhook_secret = "{WEBHOOK_SECRET}"\n'
        f"webhook_reuse_port = true\nmessages_per_second = {rate}\n"
        f"{matrix}"
        '[console]\nenabled = "no"\n'
        "[demo]\nenabled = false\n"
        "[privacy]\nfirst_contact_note = false\n"
        "[cluster]\nheartbeat_seconds = 0.5\n"
        '[logging]\nlevel = "INFO"\nformat = "json"\n'
    )
    return path


async def run_campaign(
    url: str,
    synapse: SynapseServer,
    workdir: Path,
    *,
    telegram_chats: int,
    per_telegram_chat: int,
    matrix_rooms: int,
    per_matrix_room: int,
    people_writing: int,
    people_reminded: int,
    kills: int,
    finish_timeout: float,
    say: Callable[[str], None] = lambda _line: None,
) -> ClusterResult:
    """See the module's docstring. ``url`` is an empty PostgreSQL database."""
    await asyncio.to_thread(migrate.upgrade, url)
    server = FakeTelegramServer(strict=True, overall_limit=(TELEGRAM_RATE, 1.0))
    await server.start()
    watch = Watch(url)
    processes: list[BotRun] = []
    writing: asyncio.Task[None] | None = None
    began = time.monotonic()
    notes: list[str] = []
    kill_log: list[str] = []
    timeout = aiohttp.ClientTimeout(total=300)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            # -- the people and the outbox
            telegram_ids = []
            for n in range(telegram_chats):
                user_id = 700_000 + n
                server.private_chat(server.user(user_id, f"Person {n}"))
                telegram_ids.append(str(user_id))
            writers: dict[str, Any] = {}
            for n in range(people_writing):
                user = server.user(FIRST_WRITER + n, f"Schreiber {n}")
                server.private_chat(user)
                writers[str(FIRST_WRITER + n)] = user
            reminded = []
            for n in range(people_reminded):
                server.private_chat(server.user(FIRST_REMINDED + n, f"Gast {n}"))
                reminded.append(
                    Recipient(str(FIRST_REMINDED + n), str(FIRST_REMINDED + n), f"Gast {n}")
                )
            bot = await synapse.new_user_async("lotsenbot")
            admin = await synapse.new_user_async("admin", admin=True)
            await synapse.override_ratelimit_async(bot.user_id, admin.access_token)
            rooms = [r.chat_id for r in await matrix_people(synapse, http, bot, matrix_rooms)]
            expected = await seed_outbox(
                url,
                [("telegram", chat, per_telegram_chat) for chat in telegram_ids]
                + [("matrix", room, per_matrix_room) for room in rooms],
            )
            total = len(expected)
            say(f"  {total} messages queued, set up in {time.monotonic() - began:.1f} s")
            matrix = (
                f'[matrix]\nhomeserver = "{synapse.base_url}"\nuser_id = "{bot.user_id}"\n'
                f'password = "{bot.password}"\n'
            )
            config = write_config(
                workdir / "config.toml", workdir, url, server, free_port(), matrix
            )
            processes = [BotRun(name, config, workdir) for name in ("bot-a", "bot-b")]
            telegram_count = TelegramCount(server, MARKER)
            matrix_count = SynapseCount(synapse.log_path)

            def delivered() -> int:
                return telegram_count() + matrix_count()

            # -- start: the first leads, the second joins
            started = time.monotonic()
            processes[0].spawn()
            await _until(lambda: _leader_is(watch, processes[0]), 120, processes)
            processes[1].spawn()

            async def write() -> None:
                for chat, user in writers.items():
                    server.post_message(int(chat), user, "/start")
                    await asyncio.sleep(0.05)

            writing = asyncio.create_task(write())
            # -- the kills, spread over the delivery
            for number in range(1, kills + 1):
                target = total * number // (kills + 1)
                await _until_sync(lambda t=target: delivered() >= t, 300, processes)
                leader = await watch.leader_pid()
                victim = next(
                    (p for p in processes if (p.pid == leader) == (number % 2 == 1)), processes[0]
                )
                role = "leader" if victim.pid == leader else "follower"
                at = delivered()
                victim.kill()
                kill_log.append(
                    f"kill {number}: {victim.name} ({role}) at {at} of {total} delivered"
                )
                say(f"  {kill_log[-1]}")
                victim.spawn()
                if number == 1:
                    # The leader just died: a reminder falls due, queued as a handler in a
                    # follower would (NOTIFY included). The new leader must send it, once.
                    await seed_reminder(url, "telegram", reminded)
                    await watch.notify_schedule()
            await writing

            async def finished() -> bool:
                done = (await watch.outbox()).get("sent", 0) >= total
                answered = all(server.messages_to(int(chat)) for chat in writers)
                reminded_all = all(server.messages_to(int(r.chat_id)) for r in reminded)
                return done and answered and reminded_all

            if not await _until(finished, finish_timeout, processes):
                notes.append(f"not finished within {finish_timeout:.0f} s")
            elapsed = time.monotonic() - started
            for process in processes:
                await process.stop()
            processes = []
            received = _telegram_probes(server)
            received.update(
                await _room_probes(http, synapse.base_url, bot.access_token, bot.user_id, rooms)
            )
            replies = Counter({chat: len(server.messages_to(int(chat))) for chat in writers})
            reminders = Counter(
                {
                    r.chat_id: sum(
                        TITLE in (m.text or "") for m in server.messages_to(int(r.chat_id))
                    )
                    for r in reminded
                }
            )
            return ClusterResult(
                kills=kill_log,
                expected=expected,
                received=received,
                replies=replies,
                writers=list(writers),
                reminders=reminders,
                reminded=[r.chat_id for r in reminded],
                outbox=await watch.outbox(),
                elapsed_s=elapsed,
                count_429=server.count_429,
                notes=notes,
            )
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
        for process in processes:
            await process.stop()
        await watch.close()
        await server.stop()


def _telegram_probes(server: FakeTelegramServer) -> Counter[str]:
    """Probe texts the fake server accepted, with their number of copies."""
    return Counter(
        r.text
        for r in server.sent
        if r.method == "sendMessage" and r.text and PROBE.fullmatch(r.text)
    )


async def _leader_is(watch: Watch, process: BotRun) -> bool:
    return await watch.leader_pid() == process.pid


async def _until(condition: Callable[[], Any], seconds: float, processes: list[BotRun]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            process.check_alive()
        if await condition():
            return True
        await asyncio.sleep(0.1)
    return False


async def _until_sync(
    condition: Callable[[], bool], seconds: float, processes: list[BotRun]
) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            process.check_alive()
        if condition():
            return True
        await asyncio.sleep(0.005)
    raise RuntimeError("the delivery stalled:\n" + "\n".join(p.tail(2000) for p in processes))
