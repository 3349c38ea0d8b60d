"""Runs the real bot with its Matrix adapter against the suite's Synapse, in this process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.bootstrap import App, build_app, run
from bot.infra.clock import Clock
from tests.conftest import make_settings
from tests.e2e.telegram_bot import limiter_for, telegram_section
from tests.fakes.telegram_server import FakeTelegramServer
from tests.servers.synapse import MatrixUser, SynapseServer


async def bot_account(server: SynapseServer, *, override: bool = True) -> MatrixUser:
    """A fresh bot user; with ``override`` its message rate limit is lifted, as the README says."""
    bot = await server.new_user_async("lotsenbot")
    if override:
        admin = await server.new_user_async("admin", admin=True)
        await server.override_ratelimit_async(bot.user_id, admin.access_token)
    return bot


class RunningMatrixBot:
    """The whole bot with a Matrix adapter, started and stopped by a test; with
    ``telegram`` (the fake Bot API server) the same bot serves Telegram too."""

    def __init__(
        self,
        server: SynapseServer,
        account: MatrixUser,
        url: str,
        data_dir: Path,
        *,
        matrix: dict[str, Any] | None = None,
        clock: Clock | None = None,
        telegram: FakeTelegramServer | None = None,
        **sections: Any,
    ) -> None:
        matrix = {
            "homeserver": server.base_url,
            "user_id": account.user_id,
            "password": account.password,
            **(matrix or {}),
        }
        if telegram is not None:
            sections["telegram"] = telegram_section(telegram)
        self.account = account
        self.clock = clock
        self.settings = make_settings(url, data_dir, matrix=matrix, **sections)
        self.app: App | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> App:
        self.app = build_app(self.settings, clock=self.clock)
        self.app.adapters["matrix"]._sync_timeout = 1000  # type: ignore[attr-defined]
        if "telegram" in self.app.adapters:
            self.app.adapters["telegram"].limiter = limiter_for()  # type: ignore[attr-defined]
        self._task = asyncio.create_task(run(self.app, handle_signals=False))
        # The adapter is ready once its first sync is stored.
        for _ in range(200):
            if getattr(self.app.adapters["matrix"], "_task", None) is not None:
                break
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.05)
        return self.app

    async def stop(self) -> None:
        assert self.app is not None and self._task is not None
        self.app.stopped.set()
        await asyncio.wait_for(self._task, timeout=30)
