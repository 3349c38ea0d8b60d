"""Receiving never dies silently (issue #16, item 11): when Telegram refuses getUpdates (401,
409) or the webhook registration fails or is lost, the bot keeps retrying with backoff, says
so in one log line, /health answers 503 with the platform's state, and once Telegram answers
normally again, updates arrive and /health is 200."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot

from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.telegram_server import FakeTelegramServer

SECRET = "receiving-test-webhook-secret-0123456789"


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _health(port: int) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/health") as response:
            return response.status, await response.json()


async def _health_until(
    port: int, check: Callable[[int, dict[str, object]], bool], within: float = 30
) -> tuple[int, dict[str, object]]:
    """Ask /health until ``check`` holds (the deadline only ends a test that hangs)."""
    deadline = time.monotonic() + within
    while True:
        try:
            status, body = await _health(port)
        except aiohttp.ClientConnectionError:
            status, body = 0, {}
        if status and check(status, body):
            return status, body
        if time.monotonic() > deadline:
            raise AssertionError(f"/health never got there; last answer {status} {body}")
        await asyncio.sleep(0.05)


def _telegram_state(body: dict[str, object]) -> str:
    receiving = body.get("receiving")
    return str(receiving.get("telegram", "")) if isinstance(receiving, dict) else ""


def _web(port: int) -> dict[str, object]:
    # /health alone, without the public calendar feed.
    return {"enabled": True, "port": port, "calendar": False}


async def test_polling_survives_401_and_409(
    server: FakeTelegramServer, sqlite_url: str, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    port = _free_port()
    server.inject("getUpdates", "401", times=None)  # the token was revoked, for a while
    running = RunningBot(server, sqlite_url, tmp_path, web=_web(port))
    await running.start()
    try:
        status, body = await _health_until(
            port, lambda _s, b: _telegram_state(b).startswith("retrying: InvalidToken")
        )
        assert (status, body["status"]) == (503, "not receiving: telegram")
        anna = server.user(1001, "Anna")
        server.post_message(server.private_chat(anna), anna, "/start")
        # Then another process polls with the same token: 409 Conflict.
        server.clear_faults()
        server.inject("getUpdates", "409", times=None)
        status, body = await _health_until(
            port, lambda _s, b: _telegram_state(b).startswith("retrying: Conflict")
        )
        assert status == 503
        assert server.messages_to(1001) == []
        # Telegram answers normally again: the waiting update arrives, /health is 200.
        server.clear_faults()
        await server.wait_for(
            lambda r: r.chat_id == 1001 and "Hallo Anna!" in (r.text or ""), timeout=60
        )
        status, body = await _health_until(port, lambda s, _b: s == 200)
        assert (body["status"], body["receiving"]) == ("ok", {"telegram": "running"})
        # No calendar here: only /health was switched on.
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/kalender/musterstadt.ics") as resp:
                assert resp.status == 404
    finally:
        await running.stop()
    failures = [r.getMessage() for r in caplog.records if "getUpdates failed" in r.getMessage()]
    assert failures, "the failures were not logged"
    assert all(line.count("\n") == 0 for line in failures)  # one line each, no traceback
    assert any(
        line.startswith("telegram: getUpdates failed (InvalidToken: Unauthorized)")
        and "next try in" in line
        for line in failures
    ), failures
    assert any("Conflict: terminated by other getUpdates request" in f for f in failures)
    assert not any(r.exc_info for r in caplog.records if "getUpdates" in r.getMessage())


async def test_webhook_registration_is_retried_and_kept(
    server: FakeTelegramServer, sqlite_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    port, hook_port = _free_port(), _free_port()
    hook_url = f"http://127.0.0.1:{hook_port}/telegram"
    server.inject("setWebhook", "401", times=None)
    running = RunningBot(
        server,
        sqlite_url,
        tmp_path,
        web=_web(port),
        telegram={
            "mode": "webhook",
            "webhook_port": hook_port,
            "webhook_url": hook_url,
            "webhook_secret": SECRET,
        },
    )
    app = await running.start()
    app.adapters["telegram"].webhook_check_seconds = 0.2  # type: ignore[attr-defined]
    try:
        status, body = await _health_until(
            port, lambda _s, b: _telegram_state(b).startswith("retrying: InvalidToken")
        )
        assert status == 503
        server.clear_faults()
        anna = server.user(1001, "Anna")
        server.post_message(server.private_chat(anna), anna, "/start")
        await server.wait_for(lambda r: "Hallo Anna!" in (r.text or ""), timeout=60)
        await _health_until(port, lambda s, _b: s == 200)
        # Someone deletes the webhook (a test run polling with the production token):
        # the bot notices and registers it again, so people are heard again.
        other = Bot(server.token, base_url=server.base_url)
        async with other:
            assert await other.delete_webhook()
        mark = len(server.sent)
        server.post_message(server.private_chat(anna), anna, "/hilfe")
        await server.wait_for(lambda r: r.chat_id == 1001, timeout=60, start=mark)
        async with other:
            assert (await other.get_webhook_info()).url == hook_url
        status, body = await _health_until(port, lambda s, _b: s == 200)
        assert body["receiving"] == {"telegram": "running"}
    finally:
        await running.stop()


async def test_webhook_telegram_cannot_reach_is_reported(
    server: FakeTelegramServer, sqlite_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The public address (a reverse proxy) is down: Telegram's failed deliveries show in
    /health; once the proxy works again, the waiting update arrives and /health is 200."""
    port, hook_port, proxy_port = _free_port(), _free_port(), _free_port()
    running = RunningBot(
        server,
        sqlite_url,
        tmp_path,
        web=_web(port),
        telegram={
            "mode": "webhook",
            "webhook_port": hook_port,
            "webhook_url": f"http://127.0.0.1:{proxy_port}/telegram",
            "webhook_secret": SECRET,
        },
    )
    app = await running.start()
    app.adapters["telegram"].webhook_check_seconds = 0.2  # type: ignore[attr-defined]
    proxy = None
    try:
        await _health_until(port, lambda s, _b: s == 200)  # registered
        anna = server.user(1001, "Anna")
        server.post_message(server.private_chat(anna), anna, "/start")
        status, body = await _health_until(
            port, lambda _s, b: _telegram_state(b).startswith("retrying: Telegram cannot deliver")
        )
        assert (status, body["status"]) == (503, "not receiving: telegram")
        assert server.messages_to(1001) == []
        proxy = await _forwarder(proxy_port, f"http://127.0.0.1:{hook_port}/telegram")
        await server.wait_for(lambda r: "Hallo Anna!" in (r.text or ""), timeout=60)
        status, body = await _health_until(port, lambda s, _b: s == 200)
        assert body["receiving"] == {"telegram": "running"}
    finally:
        await running.stop()
        if proxy is not None:
            await proxy.cleanup()


async def _forwarder(port: int, target: str) -> web.AppRunner:
    """A reverse proxy in front of the bot's webhook, as in production."""

    async def forward(request: web.Request) -> web.Response:
        headers = {
            key: request.headers[key]
            for key in ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")
            if key in request.headers
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(target, data=await request.read(), headers=headers) as resp:
                return web.Response(status=resp.status)

    app = web.Application()
    app.router.add_post("/telegram", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner
