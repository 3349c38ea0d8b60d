"""A slow leader-only start (Matrix reads every joined room) does not keep the polling
platforms (Telegram) from receiving (issue #22, restart to serving)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from bot.adapters.base import Dispatch
from bot.bootstrap import build_app, run
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import MemoryAdapter


@dataclass
class ManyRooms(MemoryAdapter):
    """Plays Matrix: its start returns only when ``opened`` is set."""

    leader_only = True
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    started: bool = False

    async def start(self, dispatch: Dispatch) -> None:
        await self.opened.wait()
        self.started = True
        await super().start(dispatch)


@dataclass
class Polling(MemoryAdapter):
    """Plays Telegram: every process sends, the leader polls."""

    receives_on_leader_only = True
    polling: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, dispatch: Dispatch, receive: bool = True) -> None:
        await super().start(dispatch)

    async def set_receiving(self, on: bool) -> None:
        if on:
            self.polling.set()


async def test_polling_starts_while_the_matrix_rooms_are_still_read(
    sqlite_url: str, tmp_path: Path
) -> None:
    rooms = ManyRooms(platform="matrix", command_prefix="!")
    telegram = Polling(platform="telegram")
    app = build_app(
        make_settings(sqlite_url, tmp_path), clock=FakeClock(), adapters=[rooms, telegram]
    )
    running = asyncio.create_task(run(app, handle_signals=False))
    try:
        async with asyncio.timeout(30):
            await telegram.polling.wait()
        assert not rooms.started  # Telegram receives before the Matrix start is over
        rooms.opened.set()
    finally:
        rooms.opened.set()
        app.stopped.set()
        await running
    assert rooms.started
