"""Runs the real bot with its console adapter in this process, typed into through a Terminal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.bootstrap import App, build_app, run
from bot.infra.clock import Clock
from tests.conftest import make_settings
from tests.fakes.terminal import Terminal


@asynccontextmanager
async def console_bot(
    url: str, tmp_path: Path, clock: Clock | None = None, **sections: Any
) -> AsyncIterator[tuple[App, Terminal]]:
    """The bot with the console enabled; the person at the terminal is the deployment admin."""
    terminal = Terminal()
    settings = make_settings(
        url, tmp_path, bot={"admins": ["console:local"]}, console={"enabled": "yes"}, **sections
    )
    app = build_app(settings, clock=clock, stdin=terminal, stdout=terminal)
    task = asyncio.create_task(run(app, handle_signals=False))
    try:
        yield app, terminal
    finally:
        terminal.close()
        await asyncio.wait_for(task, timeout=30)
