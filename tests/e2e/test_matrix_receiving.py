"""Matrix's sync loop never dies silently (issue #16, item 11): when it ends (here: the
database went away for a moment while it stored its sync token), the bot starts the adapter
again with backoff, /health shows the state meanwhile, and what people wrote in between is
answered once it runs again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.infra.db import create_engine
from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.e2e.test_matrix import _room_with_bot, _say, notice
from tests.e2e.test_telegram_receiving import _free_port, _health_until
from tests.fakes.matrix_peer import logged_in
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture


def _matrix_state(body: dict[str, object]) -> str:
    receiving = body.get("receiving")
    return str(receiving.get("matrix", "")) if isinstance(receiving, dict) else ""


def _unreachable_database() -> AsyncEngine:
    # A port nothing listens on: every connection attempt fails at once.
    return create_engine("postgresql+asyncpg://nobody:x@127.0.0.1:9/none")


async def test_matrix_sync_is_restarted_after_it_ended(
    synapse: SynapseServer, sqlite_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    running = RunningMatrixBot(
        synapse,
        await bot_account(synapse),
        sqlite_url,
        tmp_path,
        web={"enabled": True, "port": port, "calendar": False},
    )
    app = await running.start()
    user = await synapse.new_user_async("anna")
    broken = _unreachable_database()
    try:
        async with logged_in(synapse, user, tmp_path / "anna-store") as anna:
            room_id = await _room_with_bot(anna, running)
            await anna.wait_for(room_id, notice("Hallo"))
            status, body = await _health_until(port, lambda s, _b: s == 200)
            assert _matrix_state(body) == "running"
            # The database goes away: storing the next sync token fails, the loop ends.
            app.sessions.configure(bind=broken)
            status, body = await _health_until(
                port, lambda _s, b: _matrix_state(b).startswith("retrying:")
            )
            assert status == 503
            await _say(anna, room_id, "!ich")
            await asyncio.sleep(0.5)
            # Back again: the adapter is started anew and what Anna wrote is answered.
            app.sessions.configure(bind=app.engine)
            await anna.wait_for(room_id, notice("Ihre Nummer ist"), within=90)
            status, body = await _health_until(port, lambda s, _b: s == 200, within=60)
            assert _matrix_state(body) == "running"
    finally:
        app.sessions.configure(bind=app.engine)
        await running.stop()
        await broken.dispose()


async def test_a_revoked_matrix_token_shows_in_health(
    synapse: SynapseServer, sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Synapse refusing every sync (the bot's token was revoked) is not "running"."""
    port = _free_port()
    running = RunningMatrixBot(
        synapse,
        await bot_account(synapse),
        sqlite_url,
        tmp_path,
        web={"enabled": True, "port": port, "calendar": False},
    )
    app = await running.start()
    try:
        status, body = await _health_until(port, lambda s, _b: s == 200)
        assert _matrix_state(body) == "running"
        client = app.adapters["matrix"].client  # type: ignore[attr-defined]
        # Logged out elsewhere (an admin, or the account's owner in Element).
        async with aiohttp.ClientSession() as http:
            response = await http.post(
                f"{synapse.base_url}/_matrix/client/v3/logout",
                headers={"Authorization": f"Bearer {client.access_token}"},
                json={},
            )
            assert response.status == 200
        status, body = await _health_until(
            port, lambda _s, b: _matrix_state(b).startswith("retrying:")
        )
        assert status == 503
        assert "M_UNKNOWN_TOKEN" in _matrix_state(body)
        assert any(
            "matrix: sync failed" in r.getMessage() and "next try in" in r.getMessage()
            for r in caplog.records
        )
    finally:
        await running.stop()
