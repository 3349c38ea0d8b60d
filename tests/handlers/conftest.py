"""A community on a memory platform that plays Telegram, with Ada as staff in its group."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
