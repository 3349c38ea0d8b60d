"""The reminder kill campaign on each platform: setup, counting, results.

Used by ``bench/reminder_kills.py`` (1,000 people, 20 kills) and
``tests/e2e/test_reminder_kills.py`` (a few dozen, 3 kills); see ``reminder_setup.py`` for
the campaign itself.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.infra import migrate
from tests.fakes.telegram_server import FakeTelegramServer
from tests.scenarios.reminder_setup import (
    TITLE,
    CampaignResult,
    KillCampaign,
    Recipient,
    seed_reminder,
    write_config,
)
from tests.servers.synapse import MatrixUser, SynapseServer

API = "/_matrix/client/v3"
SETUP_PARALLEL = 8
SEND_OK = re.compile(rb'B 200 "PUT \S+/send/m\.room\.message/')


# --------------------------------------------------------------------------- Telegram


class TelegramCount:
    """Messages with the marker (the reminder's title) the fake server accepted, counted
    incrementally."""

    def __init__(self, server: FakeTelegramServer, marker: str = TITLE) -> None:
        self.server, self.marker, self.seen, self.count = server, marker, 0, 0

    def __call__(self) -> int:
        sent = self.server.sent
        for record in sent[self.seen :]:
            self.count += record.method == "sendMessage" and self.marker in (record.text or "")
        self.seen = len(sent)
        return self.count

    async def per_chat(self) -> Counter[str]:
        return Counter(
            str(r.chat_id)
            for r in self.server.sent
            if r.method == "sendMessage" and self.marker in (r.text or "")
        )


async def telegram_campaign(
    workdir: Path,
    *,
    reminders: int,
    kills: int,
    seed: int,
    finish_timeout: float,
    say: Callable[[str], None] = lambda _line: None,
    limits: dict[str, Any] | None = None,
) -> tuple[CampaignResult, dict[str, Any]]:
    db_path = workdir / "bot.infra.db"
    await asyncio.to_thread(migrate.upgrade, f"sqlite+aiosqlite:///{db_path}")
    server = FakeTelegramServer(strict=True, **(limits or {}))  # Telegram's windows unless given
    await server.start()
    try:
        recipients = []
        for n in range(reminders):
            user_id = 700_000 + n
            server.private_chat(server.user(user_id, f"Person {n}"))
            recipients.append(Recipient(str(user_id), str(user_id), f"Person {n}"))
        began = time.monotonic()
        event_id = await seed_reminder(f"sqlite+aiosqlite:///{db_path}", "telegram", recipients)
        setup_s = time.monotonic() - began
        section = (
            f'[telegram]\ntoken = "{server.token}"\nbase_url = "{server.base_url}"\n'
            "poll_timeout = 1\n"
        )
        config = write_config(workdir / "config.toml", workdir, db_path, section)
        count = TelegramCount(server)
        campaign = KillCampaign(
            config=config,
            workdir=workdir,
            db_path=db_path,
            event_id=event_id,
            recipients=[r.chat_id for r in recipients],
            delivered=count,
            received=count.per_chat,
            rng=random.Random(seed),
            log=say,
        )
        result = await campaign.run(kills, finish_timeout=finish_timeout)
        extra = {"setup_s": setup_s, "count_429": server.count_429}
    finally:
        await server.stop()
    return result, extra


# ----------------------------------------------------------------------------- Matrix


async def api(http: aiohttp.ClientSession, method: str, url: str, token: str, **kw: Any) -> Any:
    for attempt in range(20):
        async with http.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, **kw
        ) as response:
            data = await response.json(content_type=None)
            if response.status == 429 and attempt < 19:
                await asyncio.sleep(data.get("retry_after_ms", 500) / 1000)
                continue
            if response.status != 200:
                raise RuntimeError(f"{method} {url} answered {response.status}: {data}")
            return data
    raise AssertionError("unreachable")


class SynapseCount:
    """Successful message sends in Synapse's access log since the campaign began."""

    def __init__(self, log_path: Path) -> None:
        self.path = log_path
        self.offset = log_path.stat().st_size
        self.count = 0
        self.rest = b""

    def __call__(self) -> int:
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = self.rest + handle.read()
        self.offset += len(chunk) - len(self.rest)
        complete, _, self.rest = chunk.rpartition(b"\n")
        self.count += len(SEND_OK.findall(complete))
        return self.count


async def matrix_people(
    server: SynapseServer, http: aiohttp.ClientSession, bot: MatrixUser, count: int
) -> list[Recipient]:
    """``count`` accounts, each with a direct room to the bot that the bot has joined."""
    gate = asyncio.Semaphore(SETUP_PARALLEL)
    base = f"{server.base_url}{API}"

    async def one(n: int) -> Recipient:
        async with gate:
            user = await server.new_user_async(f"p{n}")
            body = {"preset": "private_chat", "is_direct": True, "invite": [bot.user_id]}
            room = await api(http, "POST", f"{base}/createRoom", user.access_token, json=body)
            room_id = str(room["room_id"])
            await api(
                http, "POST", f"{base}/join/{quote(room_id, safe='')}", bot.access_token, json={}
            )
            return Recipient(user.user_id, room_id, f"Person {n}")

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def room_copies(
    http: aiohttp.ClientSession, base_url: str, bot: MatrixUser, rooms: list[str]
) -> Counter[str]:
    """Reminders the bot sent into each room, from the room's history on the server."""
    gate = asyncio.Semaphore(SETUP_PARALLEL)
    only = json.dumps({"types": ["m.room.message"], "senders": [bot.user_id]})

    async def one(room_id: str) -> tuple[str, int]:
        url = f"{base_url}{API}/rooms/{quote(room_id, safe='')}/messages"
        params = {"dir": "b", "limit": "100", "filter": only}
        found = 0
        async with gate:
            while True:
                page = await api(http, "GET", url, bot.access_token, params=params)
                chunk = page.get("chunk", [])
                found += sum(TITLE in e.get("content", {}).get("body", "") for e in chunk)
                if not chunk or "end" not in page:
                    return room_id, found
                params["from"] = page["end"]

    return Counter(dict(await asyncio.gather(*(one(room) for room in rooms))))


async def matrix_campaign(
    server: SynapseServer,
    workdir: Path,
    *,
    reminders: int,
    kills: int,
    seed: int,
    finish_timeout: float,
    say: Callable[[str], None] = lambda _line: None,
) -> tuple[CampaignResult, dict[str, Any]]:
    db_path = workdir / "bot.infra.db"
    await asyncio.to_thread(migrate.upgrade, f"sqlite+aiosqlite:///{db_path}")
    began = time.monotonic()
    bot = await server.new_user_async("lotsenbot")
    admin = await server.new_user_async("admin", admin=True)
    await server.override_ratelimit_async(bot.user_id, admin.access_token)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        recipients = await matrix_people(server, http, bot, reminders)
        event_id = await seed_reminder(f"sqlite+aiosqlite:///{db_path}", "matrix", recipients)
        setup_s = time.monotonic() - began
        say(f"  {len(recipients)} accounts and direct rooms made in {setup_s:.1f} s")
        section = (
            f'[matrix]\nhomeserver = "{server.base_url}"\nuser_id = "{bot.user_id}"\n'
            f'password = "{bot.password}"\n'
        )
        config = write_config(workdir / "config.toml", workdir, db_path, section)
        rooms = [r.chat_id for r in recipients]
        campaign = KillCampaign(
            config=config,
            workdir=workdir,
            db_path=db_path,
            event_id=event_id,
            recipients=rooms,
            delivered=SynapseCount(server.log_path),
            received=lambda: room_copies(http, server.base_url, bot, rooms),
            rng=random.Random(seed),
            log=say,
        )
        result = await campaign.run(kills, finish_timeout=finish_timeout)
    return result, {"setup_s": setup_s}
