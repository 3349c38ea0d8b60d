"""The staff web page in a real Chromium: sign in through the link the bot sent in the suite's
Telegram server (PTB against the fake Bot API server), see the overview with the date; axe-core
finds nothing on the sign-in page, the overview (desk and upright tablet) and the signed-out
page; the whole sign-in and sign-out done with the keyboard."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Page

from tests.browser.conftest import DESK, IN_MODULE_LOOP, UPRIGHT, axe_violations, screenshot
from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_server import FakeTelegramServer

pytestmark = IN_MODULE_LOOP

GROUP_ID = -900
BOT = "@lotsen_test_bot"
# A browser set to German: the pages before signing in follow the browser's language.
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
LINK = re.compile(r"https?://\S+/staff/sign-in/[\w-]+")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _answer(server: FakeTelegramServer, chat_id: int, contains: str, start: int):  # type: ignore[no-untyped-def]
    return await server.wait_for(
        lambda r: r.chat_id == chat_id and contains in (r.text or ""), timeout=20, start=start
    )


class Desk:
    """The bot on Telegram with a date announced by Ada, who asks for sign-in links."""

    def __init__(self, server: FakeTelegramServer, bot: RunningBot) -> None:
        self.server, self.bot = server, bot
        self.ada = server.user(1, "Ada")

    async def link(self) -> str:
        mark = len(self.server.sent)
        self.server.post_message(self.server.private_chat(self.ada), self.ada, "/web")
        sent = await _answer(self.server, 1, "/staff/sign-in/", mark)
        [found] = LINK.findall(sent.text)
        return str(found)


@pytest_asyncio.fixture(loop_scope="module")
async def desk(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    port = _free_port()
    web = {"enabled": True, "staff": True, "port": port, "public_url": f"http://127.0.0.1:{port}"}
    async with fast_server() as server:
        bot = RunningBot(server, sqlite_url, tmp_path, clock=FakeClock(), web=web)
        await bot.start()
        try:
            ada = server.user(1, "Ada")
            group = server.group(GROUP_ID, "Digitalcafé")
            server.post_message(group, ada, f"/verbinden{BOT} 1")
            await _answer(server, GROUP_ID, "gehört jetzt zu", 0)
            mark = len(server.sent)
            line = "/termin_neu Handy-Sprechstunde; 9.12. 15 Uhr; Stadtbibliothek, Raum 2; 10"
            server.post_message(server.private_chat(ada), ada, line)
            preview = await _answer(server, 1, "Handy-Sprechstunde", mark)
            [save] = [
                b["callback_data"]
                for row in preview.reply_markup["inline_keyboard"]
                for b in row
                if b["text"] == "Speichern und jetzt ankündigen"
            ]
            mark = len(server.sent)
            server.press_button(1, ada, preview.message_id, save)
            await _answer(server, GROUP_ID, "Handy-Sprechstunde", mark)
            yield Desk(server, bot)
        finally:
            await bot.stop()
    assert server.internal_errors == []


async def test_sign_in_from_telegram_and_see_the_overview(
    desk: Desk, open_page: Callable[[dict[str, int]], Awaitable[Page]]
) -> None:
    page = await open_page(DESK)
    await page.set_extra_http_headers(GERMAN)
    await page.goto(await desk.link())
    assert await page.title() == "Anmelden – Lotsenbot"
    assert await axe_violations(page) == []
    await screenshot(page, "staff-sign-in-1280x800")
    await page.get_by_role("button", name="Jetzt anmelden").click()
    await page.wait_for_url("**/staff/")
    assert "sign-in" not in page.url  # the token left the address bar
    heading = page.get_by_role("heading", level=1)
    assert await heading.inner_text() == "Übersicht: Digitalcafé Musterstadt"
    row = page.get_by_role("row").filter(has_text="Handy-Sprechstunde")
    assert "Mittwoch, 9. Dezember 2026, 15:00 Uhr" in await row.inner_text()
    assert "Stadtbibliothek, Raum 2" in await row.inner_text()
    assert await axe_violations(page) == []
    await screenshot(page, "staff-overview-1280x800")

    await page.set_viewport_size(UPRIGHT)
    assert await axe_violations(page) == []
    await screenshot(page, "staff-overview-800x1280")

    await page.get_by_role("button", name="Abmelden").click()
    await page.wait_for_url("**/staff/signed-out")
    assert await axe_violations(page) == []
    assert "Sie sind nicht angemeldet" in await page.get_by_role("heading", level=1).inner_text()


async def test_sign_in_and_out_with_the_keyboard_alone(
    desk: Desk, open_page: Callable[[dict[str, int]], Awaitable[Page]]
) -> None:
    page = await open_page(UPRIGHT)
    await page.set_extra_http_headers(GERMAN)
    await page.goto(await desk.link())
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Zum Inhalt springen"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Jetzt anmelden"
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/staff/")
    focused = ""
    for _ in range(10):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.textContent")
        if focused == "Abmelden":
            break
    assert focused == "Abmelden"
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/staff/signed-out")
