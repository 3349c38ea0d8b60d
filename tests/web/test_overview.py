"""The overview page and its form: what staff see, and who is refused (status code and an
unchanged database): a member, the team of another group, a form without its CSRF token."""

from __future__ import annotations

import aiohttp
from sqlalchemy import select

from bot.community import web_access
from bot.domain.models import Announcement, Event
from bot.domain.work import Work
from tests.fakes.memory import Person as Someone
from tests.web.conftest import ADA, BEA, CARL, CSRF, GROUP, MIA, Site

ERIKA = Someone("300", "Erika")
OTTO = Someone("301", "Otto")
POST = "Am Montag, 7. Dezember, ist die Bibliothek geschlossen."


async def _plan(site: Site) -> int:
    """A date with 1 free place of 2 taken by Erika and Bea, Otto waiting; a request for
    help; a scheduled post. Returns the post's number."""
    chat = site.chat
    [preview] = await chat.say(BEA, "/termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; 3")
    await chat.press(BEA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in chat.adapter.to(GROUP) if s.buttons and "Sprechstunde" in s.text]
    for who in (ERIKA, BEA):
        await chat.press(who, post, "Ich komme", chat=chat.group(GROUP))
    await chat.say(BEA, "/hilfe_fuer Erika Muster; 04542 1234; Smartphone; Fotos verschicken")
    await chat.say(BEA, "/ankuendigung_neu")
    [tips] = await chat.say(BEA, POST)
    await chat.press(BEA, tips, "So verwenden")
    [where] = await chat.say(BEA, "5.12. 9 Uhr")
    await chat.press(BEA, where, "Alle Gruppen")
    async with site.app.sessions() as session:
        return int(await session.scalar(select(Announcement.id).where(Announcement.text == POST)))


async def _status(site: Site, post_id: int) -> str:
    async with site.app.sessions() as session:
        row = await session.get(Announcement, post_id)
        assert row is not None
        return row.status


async def _signed_in(site: Site, who: Someone) -> aiohttp.ClientSession:
    browser = site.browser()
    assert (await site.sign_in(browser, await site.link(who))).status == 303
    return browser


async def _cancel(
    site: Site, browser: aiohttp.ClientSession, post_id: int, **form: str
) -> aiohttp.ClientResponse:
    async with browser.post(
        f"{site.base}/staff/posts/{post_id}/cancel", data=form, allow_redirects=False
    ) as response:
        await response.read()
        return response


async def test_the_overview_shows_dates_requests_and_posts(site: Site) -> None:
    await _plan(site)
    async with await _signed_in(site, BEA) as browser:
        status, html = await site.page(browser, "/staff/")
    assert status == 200
    assert '<html lang="de">' in html
    assert "Die nächsten Termine" in html
    assert '<th scope="row">Sprechstunde</th>' in html
    assert "Mittwoch, 9. Dezember 2026, 10:00 Uhr" in html
    assert ">2 / 3</td>" in html  # signed up
    assert 'data-label="Freie Plätze">1</td>' in html
    assert 'data-label="Warteliste">0</td>' in html
    assert "Offene Anfragen nach Hilfe" in html and "Smartphone" in html
    assert "Geplante Ankündigungen" in html and POST in html
    assert "Ihre Gruppen" not in html  # Bea is in one team only


async def test_the_waiting_list_and_english(site: Site) -> None:
    await _plan(site)
    [choice] = await site.chat.say(BEA, "/sprache")
    await site.chat.press(BEA, choice, "English")
    [post] = [s for s in site.chat.adapter.to(GROUP) if s.buttons and "Sprechstunde" in s.text]
    async with site.app.sessions() as session, session.begin():
        event = await session.scalar(select(Event).where(Event.title == "Sprechstunde"))
        assert event is not None
        event.capacity = 2
    await site.chat.press(OTTO, post, "Ich komme", chat=site.chat.group(GROUP))
    async with await _signed_in(site, BEA) as browser:
        status, html = await site.page(browser, "/staff/")
    assert status == 200
    assert '<html lang="en">' in html
    assert "Next dates" in html
    assert 'data-label="Free places">0</td>' in html
    assert 'data-label="Waiting list">1</td>' in html


async def test_staff_of_several_groups_switch_between_them(site: Site) -> None:
    async with await _signed_in(site, ADA) as browser:
        status, html = await site.page(browser, "/staff/")
        assert status == 200
        assert "Ihre Gruppen" in html
        assert 'href="/staff/?community=2"' in html
        status, html = await site.page(browser, "/staff/?community=2")
    assert status == 200
    assert "Übersicht: Lesecafé" in html


async def test_the_form_needs_its_csrf_token(site: Site) -> None:
    post_id = await _plan(site)
    async with await _signed_in(site, BEA) as browser:
        _, html = await site.page(browser, "/staff/")
        [token] = set(CSRF.findall(html))
        for form in ({"community": "1"}, {"community": "1", "csrf": "0" * 64}):
            refused = await _cancel(site, browser, post_id, **form)
            assert refused.status == 403
            assert await _status(site, post_id) == "scheduled"
        done = await _cancel(site, browser, post_id, community="1", csrf=token)
        assert done.status == 303
        assert done.headers["Location"] == "/staff/?community=1"
        assert await _status(site, post_id) == "cancelled"
        again = await _cancel(site, browser, post_id, community="1", csrf=token)
        assert again.status == 404
        _, html = await site.page(browser, "/staff/")
    assert POST not in html


async def test_a_member_is_refused_on_the_page_and_the_form(site: Site) -> None:
    post_id = await _plan(site)
    # The chat gives Mia no link (see test_sign_in); were she to hold one, the page
    # still checks her roles.
    async with site.app.sessions() as session, session.begin():
        token = await web_access.new_link(
            Work(session, site.clock.now()), await site.person_id(MIA)
        )
    async with site.browser() as browser:
        assert (await site.sign_in(browser, f"{site.base}/staff/sign-in/{token}")).status == 303
        for path in ("/staff/", "/staff/?community=1"):
            status, html = await site.page(browser, path)
            assert status == 403
            assert "Diese Seite ist nur für die Leitung dieser Gruppe." in html
        cookie = next(iter(browser.cookie_jar)).value
        form = {"community": "1", "csrf": web_access.csrf_token(cookie)}
        assert (await _cancel(site, browser, post_id, **form)).status == 403
    assert await _status(site, post_id) == "scheduled"


async def test_the_team_of_another_group_is_refused(site: Site) -> None:
    post_id = await _plan(site)
    async with await _signed_in(site, CARL) as browser:
        status, html = await site.page(browser, "/staff/")
        assert status == 200 and "Übersicht: Lesecafé" in html
        assert "Sprechstunde" not in html and POST not in html
        [token] = set(CSRF.findall(html))
        status, html = await site.page(browser, "/staff/?community=1")
        assert status == 403
        assert "Sprechstunde" not in html
        # Acting on Musterstadt's post: as Musterstadt (no role there), or as his own group.
        assert (await _cancel(site, browser, post_id, community="1", csrf=token)).status == 403
        assert (await _cancel(site, browser, post_id, community="2", csrf=token)).status == 404
    assert await _status(site, post_id) == "scheduled"


async def test_odd_addresses_get_a_short_answer(site: Site) -> None:
    post_id = await _plan(site)
    async with await _signed_in(site, BEA) as browser:
        _, html = await site.page(browser, "/staff/")
        [token] = set(CSRF.findall(html))
        for path in ("/staff/?community=abc", "/staff/?community=99", "/staff/?community=١"):
            status, html = await site.page(browser, path)
            assert status == 403, path
            assert "Diese Seite ist nur für die Leitung dieser Gruppe." in html
        for form in ({"csrf": token}, {"csrf": token, "community": "x"}):
            assert (await _cancel(site, browser, post_id, **form)).status == 403
        assert (await _cancel(site, browser, 10**12, community="1", csrf=token)).status == 404
        async with browser.get(f"{site.base}/staff/posts/{post_id}/cancel") as wrong_method:
            assert wrong_method.status == 405
    async with site.browser() as stranger:
        response = await _cancel(site, stranger, post_id, community="1", csrf=token)
        assert response.status == 303
        assert response.headers["Location"] == "/staff/signed-out"
    assert await _status(site, post_id) == "scheduled"
