"""The announcements page in a real Chromium (#20): signed in through the link the bot sent
in the suite's Telegram server, staff write an announcement and see the plain-language tip
appear while typing (static/suggest.js, a live region), preview it as Telegram and Matrix
will show it, schedule it and find it on the overview; then send one now and see it arrive
in the Telegram group. axe-core finds nothing on each page, desk and upright tablet; a
screenshot of each. The keyboard-only task is run here too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from bot.domain.models import Chat
from tests.browser.conftest import DESK, IN_MODULE_LOOP, UPRIGHT, axe_violations, screenshot
from tests.browser.test_staff_overview import (  # noqa: F401 (the fixture)
    GERMAN,
    GROUP_ID,
    Desk,
    desk,
)

pytestmark = IN_MODULE_LOOP

JARGON = "Das Event ist am Montag um 15 Uhr im Raum 2."
TIP = 'Schreiben Sie "Termin" statt "Event".'


async def _checked(page: Page, name: str) -> None:
    """axe-core finds nothing, at the desk and on an upright tablet; a screenshot of each."""
    for size, label in ((DESK, "1280x800"), (UPRIGHT, "800x1280")):
        await page.set_viewport_size(size)
        assert await axe_violations(page) == [], page.url
        await screenshot(page, f"staff-{name}-{label}")
    await page.set_viewport_size(DESK)


async def _matrix_room(at: Desk) -> None:
    """A Matrix room linked to the same group (this bot runs Telegram only: the room is
    where the preview's Matrix block comes from; nothing is sent to it here)."""
    app = at.bot.app
    assert app is not None
    async with app.sessions() as session, session.begin():
        session.add(
            Chat(
                platform="matrix",
                external_id="!cafe:stadt.example",
                kind="group",
                title="Café-Raum",
                community_id=1,
            )
        )


async def test_write_preview_schedule_and_send(
    desk: Desk,  # noqa: F811 (the fixture imported above)
    open_page: Callable[[dict[str, int]], Awaitable[Page]],
) -> None:
    await _matrix_room(desk)
    page = await open_page(DESK)
    await page.set_extra_http_headers(GERMAN)
    await page.goto(await desk.link())
    await page.get_by_role("button", name="Jetzt anmelden").click()
    await page.wait_for_url("**/staff/")
    await page.get_by_role("link", name="Eine Ankündigung schreiben").click()
    await page.wait_for_url("**/staff/announcements?community=1")
    await _checked(page, "announcements")

    # The tip appears while typing, before anything is sent.
    await page.get_by_label("Ihr Text").press_sequentially(JARGON)
    await expect(page.locator("#tips")).to_contain_text(TIP)
    await _checked(page, "announcement-tips")
    await page.get_by_label("Später, zu dieser Zeit:").check()
    await page.get_by_label("Tag und Uhrzeit").fill("Montag 9 Uhr")
    await page.get_by_role("button", name="Zeigen, wie es aussieht").click()
    await page.wait_for_url("**/staff/announcements/preview")
    telegram = page.get_by_role("region", name="Telegram")
    matrix = page.get_by_role("region", name="Matrix")
    assert JARGON in await telegram.locator(".bubble").inner_text()
    assert JARGON in await matrix.locator(".bubble").inner_text()
    assert "Café-Raum" in await matrix.inner_text()
    assert TIP in await page.get_by_role("region", name="Tipps für einfache Sprache").inner_text()
    await _checked(page, "announcement-preview")
    await page.get_by_role("button", name="Ja, so planen").click()
    assert "Gespeichert." in await page.get_by_role("status").inner_text()
    await _checked(page, "announcement-done")
    await page.get_by_role("link", name="Zurück zur Übersicht").click()
    posts = page.get_by_role("region", name="Geplante Ankündigungen")
    assert JARGON in await posts.inner_text()

    # One sent now, to the Telegram group only: it arrives there.
    await page.get_by_role("link", name="Eine Ankündigung schreiben").click()
    now = "Heute um 15 Uhr gibt es Kuchen im Raum 2. Alle sind willkommen."
    await page.get_by_label("Ihr Text").fill(now)
    await page.get_by_label("Café-Raum (Matrix)").uncheck()
    await page.get_by_role("button", name="Zeigen, wie es aussieht").click()
    assert await page.get_by_role("region", name="Matrix").count() == 0
    mark = len(desk.server.sent)
    await page.get_by_role("button", name="Ja, jetzt verschicken").click()
    assert "Verschickt." in await page.get_by_role("status").inner_text()
    arrived = await desk.server.wait_for(
        lambda r: r.chat_id == GROUP_ID and now in (r.text or ""), timeout=20, start=mark
    )
    assert arrived.text == now
