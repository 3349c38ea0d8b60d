"""GET /health for monitoring (issue #10): 200 with the process's figures while all is well,
503 when a due message has waited too long, the database does not answer, or a platform that
should receive here does not (issue #16)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.bootstrap import App, health
from bot.chat.types import ChatRef, Outgoing
from bot.delivery.outbox import enqueue
from bot.domain import people
from bot.domain.work import Work
from bot.infra.scheduler import Chore, Scheduler
from bot.infra.web import FeedServer


@pytest.fixture
async def server(app: App) -> AsyncIterator[str]:
    await app.cluster.start()  # on PostgreSQL: registered, and leading (nobody else is there)
    feed = FeedServer("127.0.0.1", 0, health=lambda: health(app))
    await feed.start()
    yield f"http://127.0.0.1:{feed.port}/health"
    await feed.stop()
    await app.cluster.stop()


async def _get(url: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


async def test_all_well(app: App, server: str) -> None:
    status, body = await _get(server)
    assert status == 200
    assert body["status"] == "ok"
    assert body["leader"] is True  # alone on its database
    assert body["platforms"] == ["console"]
    assert body["due_messages"] == 0
    assert body["processes"] == 1


async def test_a_message_waiting_too_long_is_reported(app: App, server: str) -> None:
    now = app.clock.now()
    async with app.sessions.begin() as session:
        chat = await people.get_or_create_chat(session, ChatRef("console", "a", "direct"), now)
        await session.flush()
        await enqueue(session, chat, Outgoing("hallo"), dedup_key="h", now=now)
    app.clock.advance(seconds=60)
    status, body = await _get(server)
    assert (status, body["status"], body["due_messages"]) == (200, "ok", 1)
    app.clock.advance(seconds=app.settings.web.health_max_delay_seconds)
    status, body = await _get(server)
    assert (status, body["status"]) == (503, "delivery stuck")
    assert body["oldest_due_seconds"] == 60 + app.settings.web.health_max_delay_seconds
    await app.sender.drain()
    status, body = await _get(server)
    assert (status, body["due_messages"]) == (200, 0)


async def test_a_platform_not_receiving_is_reported(app: App, server: str) -> None:
    status = app.receiving["console"]
    status.starting()
    reason = "Conflict: terminated by other getUpdates request"
    status.retrying("getUpdates", reason, 4.0)
    code, body = await _get(server)
    assert (code, body["status"]) == (503, "not receiving: console")
    assert body["receiving"] == {"console": f"retrying: {reason}"}
    status.running()
    code, body = await _get(server)
    assert (code, body["status"], body["receiving"]) == (200, "ok", {"console": "running"})
    # Another process receives (it leads): nothing missing here.
    status.stopped()
    code, body = await _get(server)
    assert (code, body["receiving"]) == (200, {"console": "stopped"})


async def test_no_database_is_reported(app: App, server: str) -> None:
    await app.engine.dispose()
    app.sessions.configure(bind=_broken_engine())
    status, body = await _get(server)
    assert (status, body["status"]) == (503, "database unavailable")


def _broken_engine():  # type: ignore[no-untyped-def]
    from bot.infra.db import create_engine

    # A port nothing listens on: every connection attempt fails at once.
    return create_engine("postgresql+asyncpg://nobody:x@127.0.0.1:9/none")


async def test_a_failing_scheduler_round_is_reported_until_one_works(app: App, server: str) -> None:
    broken = True

    async def chore(_work: Work) -> int:
        if broken:
            raise RuntimeError("the table is locked")
        return 0

    app.scheduler = Scheduler(app.sessions, app.clock, [Chore("test", chore)])
    running = asyncio.create_task(app.scheduler.run())
    try:
        status, body = await _get_until(server, lambda s, _b: s == 503)
        assert (status, body["status"]) == (503, "scheduler failing")
        assert body["scheduler"]["failing"] == "RuntimeError"  # type: ignore[index]
        broken = False
        app.clock.advance(seconds=90)
        app.scheduler.wake()
        status, body = await _get_until(server, lambda s, _b: s == 200)
        assert (status, body["status"]) == (200, "ok")
        assert body["scheduler"] == {  # type: ignore[comparison-overlap]
            "leads": True,
            "last_round_seconds": 0.0,
            "lag_seconds": 0.0,
            "failing": None,
        }
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def _get_until(url: str, check, within: float = 30):  # type: ignore[no-untyped-def]
    """Ask until ``check`` holds (the deadline only ends a test that hangs)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        status, body = await _get(url)
        if check(status, body) or asyncio.get_running_loop().time() > deadline:
            return status, body
        await asyncio.sleep(0.02)
