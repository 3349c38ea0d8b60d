"""A language the code has never seen, on real Telegram machinery (PTB against the fake Bot
API server): a temporary ``locales/tr`` and one configuration line give Telegram apps set to
Turkish a Turkish command menu (setMyCommands with language_code "tr") and Turkish answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.telegram_server import FakeTelegramServer
from tests.languages import TURKISH, locales_with


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


async def test_a_turkish_app_gets_a_turkish_menu_and_answers(
    server: FakeTelegramServer, sqlite_url: str, tmp_path: Path
) -> None:
    folder = locales_with(tmp_path, "tr", TURKISH)
    bot = {"locales_dir": str(folder), "languages": ["de", "en", "uk", "tr"]}
    running = RunningBot(server, sqlite_url, tmp_path, bot=bot)
    await running.start()
    try:
        ayse = server.user(1004, "Ayşe", language_code="tr")
        server.post_message(server.private_chat(ayse), ayse, "/start")
        reply = await server.wait_for(
            lambda r: r.chat_id == 1004 and "Merhaba Ayşe!" in (r.text or ""), timeout=15
        )
        assert reply.text.startswith("Merhaba Ayşe!")
        menu = {c["command"]: c["description"] for c in server.commands(None, "tr")}
        assert list(menu)[:3] == ["start", "help", "language"]
        assert menu["language"] == "Dil seçin"
        # Each language its own menu; apps in any other language get the default's.
        assert server.commands(None, "uk")[2]["description"] == "Вибрати мову"
        assert [c["command"] for c in server.commands(None, "")][:3] == [
            "start",
            "hilfe",
            "sprache",
        ]
    finally:
        await running.stop()
