"""Watching a running bot (issue #19): /health tells the truth about the database, each
platform's receiving, the scheduler and the outbox, turning 503 while Telegram polling
fails or the database refuses connections and 200 again after; /metrics is the Prometheus
text format, parsed with Prometheus's own parser after real traffic."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.e2e.test_telegram_receiving import _free_port, _health_until, _telegram_state
from tests.fakes.telegram_server import FakeTelegramServer
from tests.servers.postgres import PostgresCluster


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


def _web(port: int) -> dict[str, object]:
    # /health and /metrics without the public calendar feed.
    return {"enabled": True, "port": port, "calendar": False, "metrics": True}


async def _metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_health_follows_telegram_polling_and_metrics_count_the_traffic(
    server: FakeTelegramServer, sqlite_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    server.inject("getUpdates", "401", times=None)
    running = RunningBot(server, sqlite_url, tmp_path, web=_web(port))
    await running.start()
    try:
        status, body = await _health_until(
            port, lambda _s, b: _telegram_state(b).startswith("retrying: InvalidToken")
        )
        assert (status, body["status"], body["database"]) == (503, "not receiving: telegram", "ok")
        # Telegram never answered a getUpdates yet.
        assert body["last_received_seconds"] == {"telegram": None}
        server.clear_faults()
        anna = server.user(1001, "Anna")
        server.inject("sendMessage", "429", times=1)  # one send refused: too many requests
        server.post_message(server.private_chat(anna), anna, "/start")
        await server.wait_for(
            lambda r: r.chat_id == 1001 and "Hallo Anna!" in (r.text or ""), timeout=60
        )
        status, body = await _health_until(port, lambda s, _b: s == 200)
        assert (body["status"], body["database"]) == ("ok", "ok")
        last = body["last_received_seconds"]
        assert isinstance(last, dict) and isinstance(last["telegram"], float)
        scheduler = body["scheduler"]
        assert isinstance(scheduler, dict) and scheduler["leads"] is True
        assert scheduler["failing"] is None
        assert isinstance(scheduler["last_round_seconds"], float)
        assert (body["due_messages"], body["oldest_due_seconds"]) == (0, 0.0)

        seen = await _metrics(port)
        telegram = (("platform", "telegram"),)
        assert seen[("lotsenbot_updates_handled_total", (("kind", "message"), *telegram))] == 1
        assert seen[("lotsenbot_handler_seconds_count", telegram)] == 1
        assert seen[("lotsenbot_messages_sent_total", telegram)] >= 1
        assert seen[("lotsenbot_rate_limited_total", telegram)] == 1
        assert seen[("lotsenbot_platform_receiving", telegram)] == 1
        assert seen[("lotsenbot_database_up", ())] == 1
        assert seen[("lotsenbot_outbox_due_messages", ())] == 0
        assert seen[("lotsenbot_outbox_oldest_due_seconds", ())] == 0
        assert ("lotsenbot_scheduler_lag_seconds", ()) in seen
    finally:
        await running.stop()


async def test_health_turns_503_while_the_database_refuses_and_200_after(
    server: FakeTelegramServer,
    postgres_cluster: PostgresCluster,
    postgres_template: str,
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    name = f"lotsenbot_t_{uuid.uuid4().hex[:16]}"
    url = postgres_cluster.create_database(name, template=postgres_template)
    port = _free_port()
    running = RunningBot(server, url, tmp_path, web=_web(port))
    await running.start()
    try:
        _, body = await _health_until(port, lambda s, _b: s == 200)
        assert body["database"] == "ok"
        # The database stops taking connections and drops those it has.
        await postgres_cluster._admin(
            [
                f"ALTER DATABASE {name} ALLOW_CONNECTIONS false",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()",
            ]
        )
        _status, body = await _health_until(port, lambda s, _b: s == 503)
        assert (body["status"], body["database"]) == ("database unavailable", "unavailable")
        assert "due_messages" not in body  # nothing is claimed that was not read
        seen = await _metrics(port)
        assert seen[("lotsenbot_database_up", ())] == 0
        await postgres_cluster._admin([f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"])
        _, body = await _health_until(port, lambda s, _b: s == 200, within=60)
        assert (body["status"], body["database"]) == ("ok", "ok")
    finally:
        await running.stop()
        postgres_cluster.drop_database(name)
