"""The public calendar page (#20) in a real Chromium: what a visitor of the town's website sees,
at a desk (1280×800) and on a tablet held upright (800×1280), by mouse and by keyboard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import ClientSession, web
from playwright.async_api import Page
from sqlalchemy import select, update

from bot.adapters.email import EmailAdapter
from bot.bootstrap import build_app, calendar_feed, prepare, public_pages
from bot.delivery.email_links import link_maker, link_secret
from bot.domain.models import Community, Event
from bot.infra import migrate
from bot.infra.web import FeedServer
from tests.browser.conftest import DESK, IN_MODULE_LOOP, UPRIGHT, axe_violations, screenshot
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, telegram_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP
from tests.servers.smtp import SmtpServer, free_port

pytestmark = IN_MODULE_LOOP

# Nobody's name may reach the public page; this one would stand out.
ZACHARIAS = Someone("100", "Zacharias Quenstedt")
PHONE = "0421 123 456"


@dataclass
class Town:
    """The bot with two announced dates (one called off) and its web server."""

    tg: Conversation
    base: str  # http://127.0.0.1:<port>
    slug: str
    smtp: SmtpServer

    @property
    def page(self) -> str:
        return f"{self.base}/termine/{self.slug}"


async def _announce(tg: Conversation, line: str) -> int:
    [preview] = await tg.say(ADA, f"/termin_neu {line}")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    async with tg.app.sessions() as session:
        return int(await session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)))


@pytest.fixture(scope="module")
def town_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database in a folder of its own, once per module."""
    data = tmp_path_factory.mktemp("town")
    migrate.upgrade(f"sqlite+aiosqlite:///{data / 'bot.db'}")
    return data


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def town(town_data: Path) -> AsyncIterator[Town]:
    """Once per module, like the browser: the tests only read, or put back what they change."""
    data, url = town_data, f"sqlite+aiosqlite:///{town_data / 'bot.db'}"
    adapter = telegram_like()
    # E-mail on: the page offers its sign-up and newsletter forms (#21).
    smtp, port = SmtpServer(), free_port()
    smtp.start()
    base = f"http://127.0.0.1:{port}"
    email = {"host": "127.0.0.1", "port": smtp.port, "security": "none"}
    settings = make_settings(
        url,
        data,
        bot={"admins": ["telegram:1"]},
        email={**email, "sender_address": "termine@cafe.example"},
        web={"public_url": base},
    )
    mailer = EmailAdapter(settings.email, link=link_maker(link_secret(settings), base))
    app = build_app(settings, clock=FakeClock(), adapters=[adapter, mailer])
    await prepare(app)
    tg = Conversation(app, adapter)
    await tg.say(ADA, "/verbinden 1", chat=tg.group(GROUP))
    await tg.say(ADA, "/start", chat=tg.group(GROUP))
    await _announce(tg, "Digitalcafé; 9.12. 15–17 Uhr; Stadtbibliothek, Raum 2; 10; Fotos schicken")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    await tg.press(ZACHARIAS, post, "Ich komme", chat=tg.group(GROUP))
    called_off = await _announce(tg, "Sprechstunde; 10.12. 10 Uhr; Rathaus, Saal 1; 3")
    [asked] = [s for s in await tg.say(ADA, f"/absagen {called_off}") if s.chat_id == "dm-1"]
    await tg.press(ADA, asked, "Ja, absagen")
    async with app.sessions.begin() as session:
        # The group's phone number, as the deployment admin stored it.
        await session.execute(update(Community).values(contact=PHONE))
        slug = str(await session.scalar(select(Community.slug)))
    server = FeedServer(
        "127.0.0.1",
        port,
        catalogs=app.catalogs,
        calendar=lambda s: calendar_feed(app, s),
        mounts=public_pages(app),
    )
    await server.start()
    try:
        yield Town(tg, base, slug, smtp)
    finally:
        await server.stop()
        await app.close()
        smtp.stop()


@pytest.mark.parametrize("viewport", [DESK, UPRIGHT], ids=["1280x800", "800x1280"])
async def test_the_page_shows_the_coming_dates_and_nobody(
    town: Town, open_page: Callable[[dict[str, int]], Awaitable[Page]], viewport: dict[str, int]
) -> None:
    page = await open_page(viewport)
    answer = await page.goto(town.page)
    assert answer is not None and answer.status == 200
    blocks = page.locator("li.date")
    # The community's first date (made with it) comes first, then the two of this test.
    assert await blocks.count() == 3
    ours = blocks.filter(has_text="9. Dezember")
    cafe = await ours.inner_text()
    for seen in (
        "Mittwoch, 9. Dezember 2026, 15:00 bis 17:00 Uhr",
        "Digitalcafé",
        "Ort: Stadtbibliothek, Raum 2",
        "Thema: Fotos schicken",
        "So melden Sie sich an:",
        "In Telegram anmelden",
        f"Oder rufen Sie uns an: {PHONE}",
    ):
        assert seen in cafe
    link = ours.get_by_role("link", name="In Telegram anmelden")
    event_id = (await ours.locator("h2").get_attribute("id") or "").removeprefix("date-")
    assert await link.get_attribute("href") == f"https://t.me/lotsen_bot?start=termin_{event_id}"
    called_off = await blocks.filter(has_text="10. Dezember").inner_text()
    assert "Donnerstag, 10. Dezember 2026, 10:00 Uhr" in called_off
    assert "Fällt aus" in called_off
    assert "anmelden" not in called_off  # nobody is asked to sign up for it
    html = await page.content()
    assert "Zacharias" not in html and "Quenstedt" not in html
    assert "Plätze" not in html and "Platz" not in html  # no counts unless the group allows
    assert "Ada" not in html
    size = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 20
    assert await axe_violations(page) == []
    name = f"public-page-{viewport['width']}x{viewport['height']}"
    assert (await screenshot(page, name)).stat().st_size > 0


async def test_tab_reaches_every_link_in_order_with_a_visible_focus(town: Town, page: Page) -> None:
    await page.goto(town.page)
    links = await page.eval_on_selector_all("a[href]", "all => all.map(a => a.outerHTML)")
    assert len(links) >= 3  # language, the sign-up, the calendar feed
    for expected in links:
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            """() => {
                const a = document.activeElement, s = getComputedStyle(a);
                return [a.outerHTML, s.outlineStyle, parseFloat(s.outlineWidth)];
            }"""
        )
        assert focused[0] == expected
        assert focused[1] != "none" and focused[2] >= 2


async def test_sign_up_with_email_by_keyboard_alone(town: Town, page: Page) -> None:
    """From the date's block to the form, filled in and sent with the keyboard; the form and
    the thank-you page pass axe."""
    await page.goto(town.page)
    cafe = page.locator("li.date").filter(has_text="9. Dezember")
    await cafe.get_by_role("link", name="Mit E-Mail anmelden").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/anmelden/**")
    assert await page.locator("h1").inner_text() == "Mit E-Mail anmelden"
    assert await axe_violations(page) == []
    await screenshot(page, "public-sign-up-form")
    await page.keyboard.press("Tab")  # "Zurück zu allen Terminen"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "name"
    await page.keyboard.type("Erika Muster")
    await page.keyboard.press("Tab")
    await page.keyboard.type("erika.muster@example.org")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "companions"
    await page.keyboard.press("ArrowDown")  # 1 companion
    await page.keyboard.press("Tab")  # the field nobody sees is skipped
    assert await page.evaluate("document.activeElement.tagName") == "BUTTON"
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await page.locator("h1").inner_text() == "Wir haben Ihnen eine E-Mail geschickt"
    assert await axe_violations(page) == []
    await screenshot(page, "public-sign-up-sent")
    await town.tg.flush()
    [asked] = town.smtp.to("erika.muster@example.org")
    assert asked.message["Subject"] == "Bitte bestätigen Sie Ihre Anmeldung"


async def test_english_at_lang_en_and_at_dates(town: Town, page: Page) -> None:
    await page.goto(f"{town.page}?lang=en")
    text = await page.locator("main").inner_text()
    assert "Wednesday, 9 December 2026" in text
    assert "Sign up in Telegram" in text and "Cancelled" in text
    assert await page.get_attribute("html", "lang") == "en"
    await page.goto(f"{town.base}/dates/{town.slug}")
    assert "Sign up in Telegram" in await page.locator("main").inner_text()
    assert await axe_violations(page) == []


async def test_the_embeddable_form_shows_inside_another_sites_frame(town: Town, page: Page) -> None:
    embed = f"{town.page}/einbetten"
    snippet = f'<iframe src="{embed}" title="Termine" width="700" height="900"></iframe>'
    html = f'<!DOCTYPE html><html lang="de"><head><title>Stadt</title></head><body>{snippet}'

    async def town_site(_request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    site = web.Application()
    site.router.add_get("/", town_site)
    runner = web.AppRunner(site)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await page.goto(f"http://127.0.0.1:{runner.addresses[0][1]}/")
        frame = page.frame_locator("iframe")
        await frame.locator("li.date").first.wait_for()
        inside = await frame.locator("main").inner_text()
        assert "Digitalcafé" in inside and "Fällt aus" in inside
        assert await frame.locator("h1").count() == 0  # no page chrome
        await screenshot(page, "public-embed-in-town-site")
    finally:
        await runner.cleanup()
    # The full page refuses to be framed; the embeddable form allows it.
    async with ClientSession() as client:
        async with client.get(town.page) as full:
            assert "frame-ancestors 'none'" in full.headers["Content-Security-Policy"]
        async with client.get(embed) as framed:
            assert "frame-ancestors *" in framed.headers["Content-Security-Policy"]
            assert "script-src" not in framed.headers["Content-Security-Policy"]
            assert framed.headers["Cache-Control"] == "max-age=300"


@pytest.mark.parametrize(
    "slug", ["gibt-es-nicht", "Gro%C3%9Fe%20Gruppe", "a'%3Cscript%3E", "%00", "..%2F..%2Fetc"]
)
async def test_an_unknown_or_odd_address_is_a_friendly_page_in_german(
    town: Town, page: Page, slug: str
) -> None:
    answer = await page.goto(f"{town.base}/termine/{slug}")
    assert answer is not None and answer.status == 404
    assert await page.locator("h1").inner_text() == "Diese Seite gibt es nicht"
    assert await axe_violations(page) == []


async def test_free_places_show_once_the_group_allows_them(town: Town, page: Page) -> None:
    await town.tg.say(ADA, "/webseite plätze an")
    try:
        await page.goto(town.page)
        cafe = await page.locator("li.date").filter(has_text="9. Dezember").inner_text()
        assert "9 von 10 Plätzen frei." in cafe  # Zacharias took one: a count, never his name
        assert "Zacharias" not in await page.content()
        assert await axe_violations(page) == []
    finally:
        await town.tg.say(ADA, "/webseite plätze aus")
