"""Signing in to the staff web page from Telegram, with the whole bot running (PTB against
the suite's Bot API server, the web server on 127.0.0.1): /web in the private chat, the link
arrives there, the browser opens it and sees the overview with the date."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_server import FakeTelegramServer

GROUP_ID = -800
BOT = "@lotsen_test_bot"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def bot(server, sqlite_url, tmp_path) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    port = _free_port()
    web = {
        "enabled": True,
        "staff": True,
        "port": port,
        "public_url": f"http://127.0.0.1:{port}",
    }
    running = RunningBot(server, sqlite_url, tmp_path, clock=FakeClock(), web=web)
    await running.start()
    yield running
    await running.stop()


async def _answer(server: FakeTelegramServer, chat_id: int, contains: str, start: int):  # type: ignore[no-untyped-def]
    return await server.wait_for(
        lambda r: r.chat_id == chat_id and contains in (r.text or ""), timeout=20, start=start
    )


async def test_web_link_from_telegram_opens_the_overview(server, bot) -> None:  # type: ignore[no-untyped-def]
    ada = server.user(1, "Ada")
    group = server.group(GROUP_ID, "Digitalcafé")
    server.post_message(group, ada, f"/verbinden{BOT} 1")
    await _answer(server, GROUP_ID, "gehört jetzt zu", 0)
    mark = len(server.sent)
    server.post_message(
        server.private_chat(ada), ada, "/termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; 3"
    )
    preview = await _answer(server, 1, "Sprechstunde", mark)
    [save] = [
        b["callback_data"]
        for row in preview.reply_markup["inline_keyboard"]
        for b in row
        if b["text"] == "Speichern und jetzt ankündigen"
    ]
    mark = len(server.sent)
    server.press_button(1, ada, preview.message_id, save)
    await _answer(server, GROUP_ID, "Sprechstunde", mark)

    mark = len(server.sent)
    server.post_message(group, ada, f"/web{BOT}")
    await _answer(server, GROUP_ID, "Bitte schreiben Sie mir das in einem privaten Chat.", mark)
    mark = len(server.sent)
    server.post_message(server.private_chat(ada), ada, "/web")
    sent = await _answer(server, 1, "/staff/sign-in/", mark)
    [link] = re.findall(r"https?://\S+/staff/sign-in/[\w-]+", sent.text)
    assert link.startswith(bot.settings.web.public_url)

    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(link) as page:
            assert page.status == 200
            assert "Jetzt anmelden" in await page.text()
        async with browser.post(link) as overview:  # the button; the redirect followed
            html = await overview.text()
            assert overview.status == 200
            assert overview.url.path == "/staff/"
    assert "Übersicht: Digitalcafé Musterstadt" in html
    assert '<th scope="row">Sprechstunde</th>' in html
    assert "Mittwoch, 9. Dezember 2026, 10:00 Uhr" in html
