"""At the door on a tablet: a button per person toggles check-in, guests by name or
counted; a member and the team of another group are refused (status and database)."""

from __future__ import annotations

import aiohttp
from sqlalchemy import func, select

from bot.community import web_access
from bot.domain.models import Attendance, Event
from bot.domain.work import Work
from tests.fakes.memory import Person as Someone
from tests.web.conftest import BEA, CARL, CSRF, GROUP, MIA, Site

ERIKA, OTTO, JAN = Someone("300", "Erika"), Someone("301", "Otto"), Someone("302", "Jan")


async def plan(site: Site, people: tuple[Someone, ...] = (ERIKA, OTTO, JAN)) -> int:
    """A date with these people signed up; its number."""
    chat = site.chat
    [preview] = await chat.say(BEA, "/termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; 10")
    await chat.press(BEA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in chat.adapter.to(GROUP) if s.buttons and "Sprechstunde" in s.text]
    for who in people:
        await chat.press(who, post, "Ich komme", chat=chat.group(GROUP))
    async with site.app.sessions() as session:
        return int(await session.scalar(select(Event.id).where(Event.title == "Sprechstunde")))


async def signed_in(site: Site, who: Someone) -> aiohttp.ClientSession:
    """A browser signed in as ``who`` (a link made directly: the chat gives members none)."""
    async with site.app.sessions() as session, session.begin():
        token = await web_access.new_link(
            Work(session, site.clock.now()), await site.person_id(who)
        )
    browser = site.browser()
    assert (await site.sign_in(browser, f"{site.base}/staff/sign-in/{token}")).status == 303
    return browser


def token_of(browser: aiohttp.ClientSession) -> str:
    return web_access.csrf_token(next(iter(browser.cookie_jar)).value)


async def post(
    site: Site, browser: aiohttp.ClientSession, path: str, **form: str
) -> aiohttp.ClientResponse:
    async with browser.post(site.base + path, data=form, allow_redirects=False) as response:
        await response.read()
        return response


async def present(site: Site, event_id: int) -> list[tuple[int, str]]:
    async with site.app.sessions() as session:
        rows = await session.execute(
            select(Attendance.person_id, Attendance.how)
            .where(Attendance.event_id == event_id)
            .order_by(Attendance.person_id)
        )
        return [(row[0], row[1]) for row in rows]


async def walk_ins(site: Site, event_id: int) -> int:
    async with site.app.sessions() as session:
        return int(await session.scalar(select(Event.walk_ins).where(Event.id == event_id)))


async def test_three_people_checked_in_and_one_undone(site: Site) -> None:
    event_id = await plan(site)
    door = f"/staff/dates/{event_id}/door"
    people = [await site.person_id(who) for who in (ERIKA, OTTO, JAN)]
    async with await signed_in(site, BEA) as browser:
        status, html = await site.page(browser, door)
        assert status == 200
        assert "An der Tür: Sprechstunde" in html
        assert "Da: 0. Angemeldet: 3. Gäste: 0." in html
        [token] = set(CSRF.findall(html))
        for person_id in people:
            pressed = await post(site, browser, f"{door}/{person_id}", csrf=token)
            assert pressed.status == 303
            assert pressed.headers["Location"] == f"{door}#person-{person_id}"
        status, html = await site.page(browser, door)
        assert "Da: 3. Angemeldet: 3. Gäste: 0." in html
        assert html.count("✓ ist da") == 3
        assert await present(site, event_id) == [(p, "staff") for p in people]
        await post(site, browser, f"{door}/{people[1]}", csrf=token)
        _, html = await site.page(browser, door)
    assert "Da: 2. Angemeldet: 3. Gäste: 0." in html
    assert await present(site, event_id) == [(people[0], "staff"), (people[2], "staff")]


async def test_guests_by_name_and_counted(site: Site) -> None:
    event_id = await plan(site, (ERIKA,))
    door = f"/staff/dates/{event_id}/door"
    async with await signed_in(site, BEA) as browser:
        token = token_of(browser)
        added = await post(site, browser, f"{door}/guests", csrf=token, name="Frau Kühn")
        assert added.headers["Location"] == f"{door}?saved=guest#guests"
        counted = await post(site, browser, f"{door}/guests", csrf=token, count="2")
        assert counted.headers["Location"] == f"{door}?saved=count#guests"
        for wrong in ({"name": " "}, {"count": "0"}, {"count": "101"}, {"name": "x" * 101}):
            assert (await post(site, browser, f"{door}/guests", csrf=token, **wrong)).status == 400
        # someone not signed up for this date cannot be pressed in
        stranger = await site.person_id(MIA)
        assert (await post(site, browser, f"{door}/{stranger}", csrf=token)).status == 400
        status, html = await site.page(browser, f"{door}?saved=count")
    assert status == 200
    assert "Da: 0. Angemeldet: 1. Gäste: 3." in html
    assert [method for _, method in await present(site, event_id)] == ["guest"]
    assert await walk_ins(site, event_id) == 2


async def test_member_and_other_team_are_refused(site: Site) -> None:
    event_id = await plan(site)
    door = f"/staff/dates/{event_id}/door"
    erika = await site.person_id(ERIKA)
    for who in (MIA, CARL):
        async with await signed_in(site, who) as browser:
            token = token_of(browser)
            status, html = await site.page(browser, door)
            assert status == 403 and "Erika" not in html
            assert (await post(site, browser, f"{door}/{erika}", csrf=token)).status == 403
            refused = await post(site, browser, f"{door}/guests", csrf=token, count="5")
            assert refused.status == 403
    async with await signed_in(site, BEA) as browser:
        assert (await post(site, browser, f"{door}/{erika}")).status == 403  # no CSRF token
        status, _ = await site.page(browser, "/staff/dates/999/door")
        assert status == 403
    assert await present(site, event_id) == []
    assert await walk_ins(site, event_id) == 0
    async with site.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Attendance)) == 0
