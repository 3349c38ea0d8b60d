"""Help requests, Digitallotsen and the deployment admin's page in a real Chromium, signed in
through the link the bot sent in the suite's Telegram server: the help page with requests in
several states, one request filed for a caller (the Digitallotsen who fit are asked, as after
/hilfe_fuer), the volunteers page, the admin page; axe-core finds nothing on each page,
screenshots at 1280×800 and 800×1280."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page
from sqlalchemy import select

from bot.community import communities
from bot.domain.models import Community, HelpOffer, HelpRequest, Person
from bot.domain.roles import VOLUNTEER
from bot.domain.work import Work
from bot.helping import asking, taking, volunteering
from bot.helping.policy import MatchingPolicy
from tests.browser.conftest import DESK, IN_MODULE_LOOP, UPRIGHT, axe_violations, screenshot
from tests.browser.test_staff_overview import GERMAN, Desk
from tests.browser.test_staff_overview import desk as desk  # the same bot and date

pytestmark = IN_MODULE_LOOP


async def _team(desk: Desk) -> None:
    """Vera and Volker help with smartphones (Volker also with printers, but is on a break);
    a request Vera took on, one nobody could be asked for (printers)."""
    app = desk.bot.app
    async with app.sessions() as session, session.begin():
        work = Work(session, app.clock.now())
        community = await session.get(Community, 1)
        assert community is not None
        helpers = []
        for name, topics in (("Vera Voss", ["smartphone"]), ("Volker Vogt", ["printer"])):
            person = Person(display_name=name, created_at=work.now)
            session.add(person)
            await session.flush()
            await communities.grant_role(
                session, person.id, 1, VOLUNTEER, granted_by=None, now=work.now
            )
            for topic in topics:
                await volunteering.toggle_skill(work, person.id, topic)
            await volunteering.toggle_place(work, person.id, "phone")
            await volunteering.set_times(work, person.id, "dienstags nachmittags")
            await volunteering.finish_profile(work, community, person.id, 2)
            helpers.append(person.id)
        await volunteering.pause(work, community, helpers[1], None)
        policy = MatchingPolicy()
        taken = await asking.ask_for_caller(
            work,
            community,
            helpers[0],
            ["Fritz Foto", "1", "smartphone", "Fotos an die Enkel", "", "phone"],
            policy,
        )
        assert await taking.accept(work, taken.id, helpers[0]) == "accepted"
        await asking.ask_for_caller(
            work,
            community,
            helpers[0],
            ["Olga Ort", "2", "printer", "Scanner einrichten", "", "phone"],
            policy,
        )


async def _checks(page: Page, name: str) -> None:
    """axe at the desk size and upright, with a screenshot of each."""
    for size, label in ((DESK, "1280x800"), (UPRIGHT, "800x1280")):
        await page.set_viewport_size(size)
        assert await axe_violations(page) == [], label
        await screenshot(page, f"staff-{name}-{label}")
    await page.set_viewport_size(DESK)


async def _requests(desk: Desk) -> list[tuple[str, str, int]]:
    """Each request's state and words, and how many Digitallotsen were asked."""
    async with desk.bot.app.sessions() as session:
        rows = await session.execute(
            select(HelpRequest.status, HelpRequest.description, HelpRequest.id).order_by(
                HelpRequest.id
            )
        )
        found = []
        for status, words, number in rows.all():
            asked = await session.scalars(
                select(HelpOffer.id).where(HelpOffer.request_id == number)
            )
            found.append((status, words, len(asked.all())))
        return found


async def test_help_requests_volunteers_and_all_groups(
    desk: Desk, open_page: Callable[[dict[str, int]], Awaitable[Page]]
) -> None:
    await _team(desk)
    page = await open_page(DESK)
    await page.set_extra_http_headers(GERMAN)
    await page.goto(await desk.link())
    await page.get_by_role("button", name="Jetzt anmelden").click()
    await page.wait_for_url("**/staff/")

    pages = page.get_by_role("navigation", name="Seiten")
    await pages.get_by_role("link", name="Hilfe-Anfragen").click()
    await page.wait_for_url("**/staff/help?community=1")
    assert await page.get_by_role("heading", level=1).inner_text() == (
        "Hilfe-Anfragen: Digitalcafé Musterstadt"
    )
    still_open = page.get_by_role("region", name="Offen: noch niemand gefragt (1)")
    assert "Scanner einrichten" in await still_open.inner_text()
    taken = page.get_by_role("region", name="Übernommen (1)")
    assert "Übernommen von Vera Voss" in await taken.inner_text()
    await _checks(page, "help")

    await page.locator("#caller-name").fill("Hanna Hand")
    await page.locator("#caller-phone").fill("04542 777")
    await page.locator("#caller-topic").select_option(label="Smartphone")
    await page.locator("#caller-what").fill("WhatsApp einrichten")
    await page.get_by_label("Am Telefon").check()
    await page.get_by_role("button", name="Speichern und jemanden suchen").click()
    await page.wait_for_url("**/staff/help?community=1&saved=*")
    assert "ist gespeichert. Wir suchen jemanden." in await page.get_by_role("status").inner_text()
    offered = page.get_by_role("region", name="Angeboten: wartet auf Antwort (1)")
    assert "WhatsApp einrichten" in await offered.inner_text()
    assert "Vera Voss, seit" in await offered.inner_text()
    # Saved and offered to Vera, the one who fits (Volker is on a break).
    assert (await _requests(desk))[-1][:3] == ("offered", "WhatsApp einrichten", 1)

    await pages.get_by_role("link", name="Digitallotsen").click()
    await page.wait_for_url("**/staff/volunteers?community=1")
    vera = page.get_by_role("row").filter(has_text="Vera Voss")
    assert "Übernommen: 1. Angeboten: 1." in await vera.inner_text()
    volker = page.get_by_role("row").filter(has_text="Volker Vogt")
    assert "in Pause bis" in await volker.inner_text()
    await _checks(page, "volunteers")

    await (
        page.get_by_role("navigation", name="Seiten")
        .get_by_role("link", name="Alle Gruppen")
        .click()
    )
    await page.wait_for_url("**/staff/admin")
    assert await page.get_by_role("heading", level=1).inner_text() == "Alle Gruppen"
    row = page.get_by_role("row").filter(has_text="Digitalcafé Musterstadt")
    assert "Digitalcafé Musterstadt" in await row.inner_text()
    await _checks(page, "admin")
