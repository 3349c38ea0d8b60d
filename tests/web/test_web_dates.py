"""The dates pages (#20): the list, a new date or series from a rhythm in words, one date's
edit form with old and new side by side before the change, skipping and cancelling, ending
a series; the people affected hear it in chat. A member and the team of another group are
refused on every page and form (status code and an unchanged database)."""

from __future__ import annotations

import re

import aiohttp
from sqlalchemy import func, select

from bot.community import web_access
from bot.domain.models import Event, Rsvp, Series
from bot.domain.work import Work
from tests.fakes.memory import Person as Someone
from tests.web.conftest import BEA, CARL, CSRF, GROUP, MIA, Site

ERIKA = Someone("300", "Erika")
OTTO = Someone("301", "Otto")


async def _signed_in(site: Site, who: Someone) -> aiohttp.ClientSession:
    browser = site.browser()
    assert (await site.sign_in(browser, await site.link(who))).status == 303
    return browser


async def _token(site: Site, browser: aiohttp.ClientSession) -> str:
    _, html = await site.page(browser, "/staff/dates?community=1")
    [token] = set(CSRF.findall(html))
    return token


async def _post(
    site: Site, browser: aiohttp.ClientSession, path: str, **form: str
) -> tuple[int, str, str]:
    async with browser.post(site.base + path, data=form, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.get("Location", "")


async def _series(site: Site) -> list[Event]:
    """A fortnightly Handy-Treff made in chat and posted; Erika and Otto signed up for the
    first date."""
    chat = site.chat
    [preview] = await chat.say(
        BEA, "/termin_neu Handy-Treff; alle zwei Wochen dienstags 14 Uhr; Raum 2; 10"
    )
    await chat.press(BEA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in chat.adapter.to(GROUP) if s.buttons and "Handy-Treff" in s.text]
    for who in (ERIKA, OTTO):
        await chat.press(who, post, "Ich komme", chat=chat.group(GROUP))
    return await _dates(site, "Handy-Treff")


async def _dates(site: Site, title: str) -> list[Event]:
    async with site.app.sessions() as session:
        query = select(Event).where(Event.title == title).order_by(Event.starts_at)
        return list((await session.scalars(query)).all())


async def _snapshot(site: Site) -> tuple[object, ...]:
    """What the database holds about dates: to see that a refused form changed nothing."""
    async with site.app.sessions() as session:
        rows = (await session.scalars(select(Event).order_by(Event.id))).all()
        dates = tuple(
            (e.id, e.title, e.place, e.capacity, e.status, e.starts_at, e.topic) for e in rows
        )
        series = tuple(
            (s.id, s.rrule, s.status, s.capacity, s.place)
            for s in (await session.scalars(select(Series).order_by(Series.id))).all()
        )
        signed_up = await session.scalar(select(func.count()).select_from(Rsvp))
    return dates, series, signed_up


async def test_staff_make_a_fortnightly_series(site: Site) -> None:
    async with await _signed_in(site, BEA) as browser:
        status, html = await site.page(browser, "/staff/dates/new?community=1")
        assert status == 200
        assert '<label for="when">Wann</label>' in html
        token = await _token(site, browser)
        status, _, location = await _post(
            site,
            browser,
            "/staff/dates/new",
            csrf=token,
            community="1",
            title="Handy-Treff",
            when="alle zwei Wochen dienstags 15 Uhr",
            place="Stadtbibliothek, Raum 2",
            topic="Fotos verschicken",
            capacity="12",
            bring="",
            contact="Frau Meier",
        )
        assert status == 303
        dates = await _dates(site, "Handy-Treff")
        assert location == f"/staff/dates/{dates[0].id}?community=1"
        status, html = await site.page(browser, location)
        assert status == 200
        assert "<h1>Handy-Treff</h1>" in html and "Stadtbibliothek, Raum 2" in html
        _, listed = await site.page(browser, "/staff/dates?community=1")
    assert len(dates) > 3
    assert [(d.starts_at - dates[0].starts_at).days for d in dates[:3]] == [0, 14, 28]
    assert {(d.capacity, d.topic, d.contact) for d in dates} == {
        (12, "Fotos verschicken", "Frau Meier")
    }
    assert dates[0].starts_at.astimezone().weekday() == 1
    assert f'href="/staff/dates/{dates[1].id}?community=1">Handy-Treff</a>' in listed


async def test_a_date_not_understood_is_said_next_to_the_field(site: Site) -> None:
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        status, html, _ = await _post(
            site,
            browser,
            "/staff/dates/new",
            csrf=token,
            community="1",
            title="Handy-Treff",
            when="alle zwei Wochen 15 Uhr",
            place="Raum 2",
            capacity="viele",
        )
    assert status == 400
    assert 'id="when-error">Mir fehlt der Wochentag.' in html
    assert 'value="alle zwei Wochen 15 Uhr"' in html and 'value="Raum 2"' in html
    assert 'id="capacity-error">' in html and 'value="viele"' in html
    assert await _dates(site, "Handy-Treff") == []


async def test_one_dates_room_and_the_series_places_from_a_date_on(site: Site) -> None:
    first, second, *_ = await _series(site)
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        status, html = await site.page(browser, f"/staff/dates/{first.id}?community=1")
        assert status == 200 and 'value="Raum 2"' in html
        # One date's room: first old and new side by side, nothing changed yet.
        form = {"csrf": token, "community": "1", "scope": "one"}
        shown = {
            "title": "Handy-Treff",
            "time": "14:00",
            "place": "Raum 2",
            "topic": "",
            "capacity": "10",
            "bring": "",
            "contact": "",
        }
        status, html, _ = await _post(
            site, browser, f"/staff/dates/{first.id}/edit", **form, **{**shown, "place": "Raum 3"}
        )
        assert status == 200
        assert "Soll ich das so ändern?" in html
        assert re.search(
            r"<th scope=\"row\">Ort</th>\s*<td[^>]*>Raum 2</td>\s*<td[^>]*>Raum 3</td>", html
        )
        assert "2 Personen sind angemeldet oder warten. Sie bekommen eine Nachricht." in html
        assert (await _dates(site, "Handy-Treff"))[0].place == "Raum 2"
        assert not [s for s in site.chat.adapter.to(ERIKA.user_id) if "Raum 3" in s.text]
        status, html, _ = await _post(
            site, browser, f"/staff/dates/{first.id}/edit", **form, place="Raum 3", confirm="yes"
        )
        assert status == 200
        assert "2 Personen haben eine persönliche Nachricht bekommen." in html
        for wrong in ("viele", "0"):
            status, html, _ = await _post(
                site, browser, f"/staff/dates/{first.id}/edit", **form, capacity=wrong
            )
            assert status == 400 and 'id="capacity-error">' in html
            assert f'value="{wrong}"' in html
        # The series' places from the second date on.
        status, html, _ = await _post(
            site,
            browser,
            f"/staff/dates/{second.id}/edit",
            **{**form, "scope": "from"},
            capacity="20",
            confirm="yes",
        )
        assert status == 200
    await site.chat.flush()  # the outbox's messages go out
    [notice] = [s for s in site.chat.adapter.to(ERIKA.user_id) if "Raum 3" in s.text]
    assert "Neuer Ort: Raum 3 (bisher: Raum 2)" in notice.text
    dates = await _dates(site, "Handy-Treff")
    assert [d.place for d in dates[:3]] == ["Raum 3", "Raum 2", "Raum 2"]
    assert [d.capacity for d in dates[:3]] == [10, 20, 20]
    async with site.app.sessions() as session:
        [row] = (await session.scalars(select(Series).where(Series.title == "Handy-Treff"))).all()
    assert row.capacity == 20 and row.place == "Raum 2"


async def test_skip_cancel_and_end_ask_first_and_tell_the_people(site: Site) -> None:
    first, second, *_ = await _series(site)
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        form = {"csrf": token, "community": "1"}
        status, html, _ = await _post(
            site, browser, f"/staff/dates/{first.id}/call-off", **form, kind="skip"
        )
        assert status == 200
        assert "Handy-Treff" in html and "Raum 2" in html
        assert "2 Personen sind angemeldet oder warten. Sie bekommen eine Nachricht." in html
        assert (await _dates(site, "Handy-Treff"))[0].status != "cancelled"
        [version] = re.findall(r'name="version" value="([^"]+)"', html)
        status, html, _ = await _post(
            site,
            browser,
            f"/staff/dates/{first.id}/call-off",
            **form,
            kind="skip",
            version=version,
            confirm="yes",
        )
        assert status == 200 and "2 Personen haben eine persönliche Nachricht bekommen." in html
        status, html, _ = await _post(
            site,
            browser,
            f"/staff/dates/{second.id}/call-off",
            **form,
            kind="cancel",
            version="0" * 16,
            confirm="yes",
        )
        assert status == 400  # the page was for another version of the date
        status, html, _ = await _post(site, browser, f"/staff/dates/{second.id}/end", **form)
        assert status == 200 and "Handy-Treff" in html
        status, html, _ = await _post(
            site, browser, f"/staff/dates/{second.id}/end", **form, confirm="yes"
        )
        assert status == 200
    await site.chat.flush()
    assert [s for s in site.chat.adapter.to(ERIKA.user_id) if "fällt" in s.text]
    dates = await _dates(site, "Handy-Treff")
    assert [d.status for d in dates[:3]] == ["cancelled", "scheduled", "cancelled"]
    assert all(d.status == "cancelled" for d in dates[2:])


async def _every_form(
    site: Site, browser: aiohttp.ClientSession, token: str, event: int
) -> list[int]:
    """Each page and form of the dates pages for community 1, as this browser; the codes."""
    codes = []
    for path in (
        "/staff/dates?community=1",
        "/staff/dates/new?community=1",
        f"/staff/dates/{event}?community=1",
    ):
        codes.append((await site.page(browser, path))[0])
    form = {"csrf": token, "community": "1", "confirm": "yes"}
    posts = (
        ("/staff/dates/new", {"title": "Fremd", "when": "9.12. 15 Uhr", "place": "Keller"}),
        (f"/staff/dates/{event}/edit", {"place": "Keller", "scope": "from"}),
        (f"/staff/dates/{event}/call-off", {"kind": "cancel"}),
        (f"/staff/dates/{event}/end", {}),
        (f"/staff/dates/{event}/move", {"new_when": "26.11. 16 Uhr"}),
    )
    for path, fields in posts:
        codes.append((await _post(site, browser, path, **form, **fields))[0])
    return codes


async def test_a_member_and_another_groups_team_are_refused(site: Site) -> None:
    [first, *_] = await _series(site)
    before = await _snapshot(site)
    async with site.app.sessions() as session, session.begin():
        token = await web_access.new_link(
            Work(session, site.clock.now()), await site.person_id(MIA)
        )
    async with site.browser() as browser:
        assert (await site.sign_in(browser, f"{site.base}/staff/sign-in/{token}")).status == 303
        cookie = next(iter(browser.cookie_jar)).value
        codes = await _every_form(site, browser, web_access.csrf_token(cookie), first.id)
    assert codes == [403] * 8
    async with await _signed_in(site, CARL) as browser:
        _, html = await site.page(browser, "/staff/dates")
        [carls] = set(CSRF.findall(html))
        assert "Handy-Treff" not in html
        assert await _every_form(site, browser, carls, first.id) == [403] * 8
        # As his own group, Musterstadt's date is not found.
        status, _, _ = await _post(
            site,
            browser,
            f"/staff/dates/{first.id}/edit",
            csrf=carls,
            community="2",
            place="Keller",
            confirm="yes",
        )
        assert status == 404
    assert await _snapshot(site) == before


async def test_forms_without_the_token_change_nothing(site: Site) -> None:
    [first, *_] = await _series(site)
    before = await _snapshot(site)
    async with await _signed_in(site, BEA) as browser:
        codes = await _every_form(site, browser, "0" * 64, first.id)
        assert codes == [200, 200, 200, 403, 403, 403, 403, 403]
        status, _ = await site.page(browser, "/staff/dates/abc?community=1")
        assert status == 404
    async with site.browser() as stranger:
        status, _, location = await _post(
            site, stranger, f"/staff/dates/{first.id}/edit", community="1", place="Keller"
        )
        assert status == 303 and location == "/staff/signed-out"
    assert await _snapshot(site) == before


async def test_move_a_date_to_another_day(site: Site) -> None:
    first, *_ = await _series(site)
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        form = {"csrf": token, "community": "1"}
        path = f"/staff/dates/{first.id}/move"
        status, html, _ = await _post(site, browser, path, **form, new_when="31.2. 16 Uhr")
        assert status == 400
        assert 'id="new_when-error">Diesen Tag gibt es nicht.' in html
        assert 'value="31.2. 16 Uhr"' in html
        status, html, _ = await _post(site, browser, path, **form, new_when="26.11. 16 Uhr")
        assert status == 200
        assert "Donnerstag, 26. November 2026, 16:00 Uhr" in html
        assert "2 Personen sind angemeldet oder warten. Sie bekommen eine Nachricht." in html
        assert (await _dates(site, "Handy-Treff"))[0].starts_at == first.starts_at
        status, html, _ = await _post(
            site, browser, path, **form, new_when="26.11. 16 Uhr", confirm="yes"
        )
        assert status == 200
        assert "2 Personen haben eine persönliche Nachricht bekommen." in html
    await site.chat.flush()
    [notice] = [s for s in site.chat.adapter.to(ERIKA.user_id) if "26. November" in s.text]
    assert "24. November" in notice.text  # old and new side by side
    moved = [d for d in await _dates(site, "Handy-Treff") if d.id == first.id]
    assert moved[0].starts_at != first.starts_at


async def test_the_mistakes_are_said_in_the_visitors_language(site: Site) -> None:
    [choice] = await site.chat.say(BEA, "/sprache")
    await site.chat.press(BEA, choice, "English")
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        status, html, _ = await _post(
            site,
            browser,
            "/staff/dates/new",
            csrf=token,
            community="1",
            title="Handy-Treff",
            when="every two weeks 3 pm",
            place="",
            capacity="many",
        )
    assert status == 400
    assert '<html lang="en">' in html
    assert 'id="when-error">I did not understand the date.' in html
    assert 'id="place-error">Please write the place.' in html
    assert 'id="capacity-error">Please write a number, or leave it empty for no limit.' in html
    assert "Bitte" not in html and "Mir fehlt" not in html
    assert await _dates(site, "Handy-Treff") == []


async def test_one_dates_pages_speak_the_visitors_language(site: Site) -> None:
    first, second, *_ = await _series(site)
    [choice] = await site.chat.say(BEA, "/sprache")
    await site.chat.press(BEA, choice, "English")
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        form = {"csrf": token, "community": "1"}
        _, listed = await site.page(browser, "/staff/dates?community=1")
        assert "Tuesday" in listed and "Dienstag" not in listed
        path = f"/staff/dates/{first.id}"
        status, html, _ = await _post(site, browser, f"{path}/edit", **form, capacity="many")
        assert status == 400
        assert 'id="capacity-error">Please write a number, or leave it empty' in html
        status, html, _ = await _post(site, browser, f"{path}/move", **form, new_when="31.2. 4 pm")
        assert status == 400 and 'id="new_when-error">I did not understand the date.' in html
        status, html, _ = await _post(
            site, browser, f"{path}/call-off", **form, kind="skip", confirm="no"
        )
        assert "Tuesday" in html and "Dienstag" not in html
        status, html, _ = await _post(
            site, browser, f"/staff/dates/{second.id}/end", **form, confirm="yes"
        )
        assert status == 200 and html.count("Done.") == 1 and "Erledigt" not in html
