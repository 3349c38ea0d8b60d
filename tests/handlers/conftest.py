"""A community on a memory platform that plays Telegram, with Ada as staff in its group."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.bootstrap import build_app, prepare
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, telegram_like
from tests.fakes.memory import Person as Someone

ADA = Someone("1", "Ada")  # staff
GROUP = "-10"


@pytest.fixture
async def tg(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    adapter = telegram_like()
    settings = make_settings(db_url, tmp_path, bot={"admins": ["telegram:1"]})
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    conversation = Conversation(app, adapter)
    await conversation.say(ADA, "/verbinden 1", chat=conversation.group(GROUP))
    await conversation.say(ADA, "/start", chat=conversation.group(GROUP))  # now a member there
    yield conversation
    await app.close()


@pytest.fixture
def flushed() -> Iterator[list[str]]:
    """The kinds of rows any session's unit of work writes while the test runs."""
    written: list[str] = []

    def note(session: Session, _context: Any, _instances: Any) -> None:
        written.extend(type(obj).__name__ for obj in (*session.new, *session.dirty))

    event.listen(Session, "before_flush", note)
    try:
        yield written
    finally:
        event.remove(Session, "before_flush", note)
