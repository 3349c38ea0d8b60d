"""Runs the real bot (PTB unmodified) against the fake Bot API server, in this process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.bootstrap import App, build_app, run
from bot.delivery.limits import ChatRateLimiter
from bot.infra.clock import Clock
from tests.conftest import make_settings
from tests.fakes.telegram_server import FakeTelegramServer

# Windows shrunk for test speed; the fake server enforces the same ones strictly.
FAST_LIMITS: dict[str, tuple[int, float]] = {
    "overall_limit": (30, 1.0),
    "private_chat_limit": (1, 0.2),
    "group_chat_limit": (20, 4.0),
}


def fast_server(**kwargs: Any) -> FakeTelegramServer:
    return FakeTelegramServer(**{**FAST_LIMITS, **kwargs})


def limiter_for(server_kwargs: dict[str, tuple[int, float]] = FAST_LIMITS) -> ChatRateLimiter:
    return ChatRateLimiter(
        overall=server_kwargs["overall_limit"],
        private=server_kwargs["private_chat_limit"],
        group=server_kwargs["group_chat_limit"],
    )


async def settled(server: FakeTelegramServer, quiet_s: float = 0.6, app: App | None = None) -> None:
    """Until the bot has sent nothing for a moment (all queued deliveries went out).

    With the bot's ``app``, its outbox says when everything queued went out, and a much
    shorter moment without news is enough."""
    if app is None:
        seen = -1
        while seen != len(server.sent):
            seen = len(server.sent)
            await asyncio.sleep(quiet_s)
        return
    calm = 0
    while calm < 3:
        seen = len(server.sent)
        await asyncio.sleep(0.05)
        calm = calm + 1 if seen == len(server.sent) and await app.sender.quiet() else 0


def telegram_section(server: FakeTelegramServer) -> dict[str, Any]:
    """The settings' [telegram] section for a bot polling ``server``."""
    return {"token": server.token, "base_url": server.base_url, "poll_timeout": 1}


class RunningBot:
    """The whole bot with a Telegram adapter, started and stopped by a test."""

    def __init__(
        self,
        server: FakeTelegramServer,
        url: str,
        tmp_path: Path,
        clock: Clock | None = None,
        limits: dict[str, tuple[int, float]] = FAST_LIMITS,
        **sections: Any,
    ):
        self.limits = limits  # the server's, for the bot's own pacing
        telegram = telegram_section(server)
        telegram.update(sections.pop("telegram", {}))
        bot = {"admins": ["telegram:1"]}
        bot.update(sections.pop("bot", {}))
        self.settings = make_settings(url, tmp_path, telegram=telegram, bot=bot, **sections)
        self.clock = clock
        self.app: App | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> App:
        self.app = build_app(self.settings, clock=self.clock)
        self.app.adapters["telegram"].limiter = limiter_for(self.limits)  # type: ignore[attr-defined]
        self._task = asyncio.create_task(run(self.app, handle_signals=False))
        return self.app

    async def stop(self) -> None:
        assert self.app is not None and self._task is not None
        self.app.stopped.set()
        await asyncio.wait_for(self._task, timeout=30)
