"""A date's people, the door and the exports in a real Chromium, signed in through the link
the bot sent in the suite's Telegram server: add three phone callers, check them in on an
upright 10-inch tablet (800×1280) and see the database, download the tables and read them
back; axe-core finds nothing on each page, screenshots at 1280×800 and 800×1280."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable

import openpyxl
from playwright.async_api import Page
from sqlalchemy import select

from bot.domain.models import Attendance, Person, Rsvp
from tests.browser.conftest import DESK, IN_MODULE_LOOP, UPRIGHT, axe_violations, screenshot
from tests.browser.test_staff_overview import GERMAN, Desk
from tests.browser.test_staff_overview import desk as desk  # the same bot and date

pytestmark = IN_MODULE_LOOP

CALLERS = (("Erika Muster", "04542 1234"), ("Hans Berg", "04542 5678"), ("Olga Kühn", ""))


async def _signed_in(desk: Desk, page: Page) -> None:
    await page.set_extra_http_headers(GERMAN)
    await page.goto(await desk.link())
    await page.get_by_role("button", name="Jetzt anmelden").click()
    await page.wait_for_url("**/staff/")


async def _checks(page: Page, name: str) -> None:
    """axe at the desk size and upright, with a screenshot of each."""
    for size, label in ((DESK, "1280x800"), (UPRIGHT, "800x1280")):
        await page.set_viewport_size(size)
        assert await axe_violations(page) == [], label
        await screenshot(page, f"staff-{name}-{label}")


async def _database(desk: Desk) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The sign-ups (name, phone) and who is checked in (names)."""
    async with desk.bot.app.sessions() as session:
        signed = await session.execute(
            select(Person.display_name, Rsvp.phone)
            .join(Person, Person.id == Rsvp.person_id)
            .where(Rsvp.status == "yes")
            .order_by(Rsvp.id)
        )
        there = await session.scalars(
            select(Person.display_name)
            .join(Attendance, Attendance.person_id == Person.id)
            .order_by(Person.id)
        )
        return [(r[0], r[1]) for r in signed], list(there)


async def test_callers_then_the_door_on_an_upright_tablet(
    desk: Desk, open_page: Callable[[dict[str, int]], Awaitable[Page]]
) -> None:
    page = await open_page(DESK)
    await _signed_in(desk, page)
    await page.get_by_role("link", name=re.compile("^Personen Handy-Sprechstunde")).click()
    await page.wait_for_url("**/people")
    assert await page.get_by_role("heading", level=1).inner_text() == (
        "Personen: Handy-Sprechstunde"
    )
    for name, phone in CALLERS:
        await page.locator("#add-name").fill(name)
        await page.locator("#add-phone").fill(phone)
        await page.get_by_role("button", name="Anmelden", exact=True).click()
        await page.wait_for_url("**/people?saved=yes")
    status = page.get_by_role("status")
    assert await status.inner_text() == "Die Person ist angemeldet."
    calls = page.get_by_role("region", name="Anrufliste: Personen ohne Chat-App")
    assert "Erika Muster" in await calls.inner_text()
    assert "04542 5678" in await calls.inner_text()
    await _checks(page, "people")
    signed, there = await _database(desk)
    assert signed == [(name, phone or None) for name, phone in CALLERS] and there == []

    await page.set_viewport_size(UPRIGHT)
    await page.get_by_role("link", name="An der Tür").first.click()
    await page.wait_for_url("**/door")
    for name, _phone in CALLERS:
        async with page.expect_navigation():
            await page.get_by_role("button", name=re.compile(f"^{name}")).click()
    count = page.get_by_role("status")
    assert await count.inner_text() == "Da: 3. Angemeldet: 3. Gäste: 0."
    # one column of big buttons on the upright tablet, none wider than the screen
    boxes = [await b.bounding_box() for b in await page.locator(".door-button").all()]
    assert all(box is not None and box["width"] <= 800 and box["height"] >= 80 for box in boxes)
    await _checks(page, "door")
    _signed, there = await _database(desk)
    assert there == [name for name, _phone in CALLERS]


async def test_download_the_tables_and_read_them_back(
    desk: Desk, open_page: Callable[[dict[str, int]], Awaitable[Page]]
) -> None:
    page = await open_page(DESK)
    await _signed_in(desk, page)
    await page.get_by_role("link", name="Exporte: Tabellen und Halbjahresbericht").click()
    await page.wait_for_url("**/staff/exports?community=1")
    assert await page.get_by_role("radio", name="Dieses Halbjahr").is_checked()
    await _checks(page, "exports")
    await page.set_viewport_size(DESK)
    async with page.expect_download() as started:
        await page.get_by_role("button", name="Tabellen herunterladen (Excel)").click()
    download = await started.value
    assert download.suggested_filename == (
        "digitalcafe-musterstadt-tabellen-2026-07-01-2026-12-31.xlsx"
    )
    book = openpyxl.load_workbook(io.BytesIO((await download.path()).read_bytes()))
    cells = {str(c.value) for sheet in book for row in sheet.iter_rows() for c in row}
    assert "Handy-Sprechstunde" in cells
    async with page.expect_download() as started:
        await page.get_by_role("button", name="Halbjahresbericht herunterladen (PDF)").click()
    report = await started.value
    assert report.suggested_filename.endswith("-bericht-2026-07-01-2026-12-31.pdf")
    assert (await report.path()).read_bytes().startswith(b"%PDF")
