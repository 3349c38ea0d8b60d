"""A date's people on the staff page: sign-ups with companions, the waiting list, phone
callers added, changed and removed with the chat's rules (capacity, moving up, people
told), the call list; a member and the team of another group are refused."""

from __future__ import annotations

import aiohttp
from sqlalchemy import select

from bot.domain.models import Event, Person, Rsvp
from tests.fakes.memory import Person as Someone
from tests.web.conftest import BEA, CARL, CSRF, GROUP, MIA, Site
from tests.web.test_door import post, signed_in, token_of

OTTO = Someone("301", "Otto")
GOOD_NEWS = "Gute Nachricht: Ein Platz ist frei geworden. Sie haben jetzt einen Platz!"


async def plan(site: Site, capacity: int) -> int:
    chat = site.chat
    [preview] = await chat.say(BEA, f"/termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; {capacity}")
    await chat.press(BEA, preview, "Speichern und jetzt ankündigen")
    async with site.app.sessions() as session:
        return int(await session.scalar(select(Event.id).where(Event.title == "Sprechstunde")))


async def otto_signs_up(site: Site) -> None:
    chat = site.chat
    [shown] = [s for s in chat.adapter.to(GROUP) if s.buttons and "Sprechstunde" in s.text]
    await chat.press(OTTO, shown, "Ich komme", chat=chat.group(GROUP))


async def sign_ups(site: Site, event_id: int) -> list[tuple[str, str, int, str | None]]:
    """(name, status, people, phone) of every sign-up, in order."""
    async with site.app.sessions() as session:
        rows = await session.execute(
            select(Person.display_name, Rsvp.status, Rsvp.party_size, Rsvp.phone)
            .join(Person, Person.id == Rsvp.person_id)
            .where(Rsvp.event_id == event_id)
            .order_by(Rsvp.id)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


async def caller_id(site: Site, name: str) -> int:
    async with site.app.sessions() as session:
        return int(await session.scalar(select(Person.id).where(Person.display_name == name)))


async def add(site: Site, browser: aiohttp.ClientSession, event_id: int, **form: str):  # type: ignore[no-untyped-def]
    path = f"/staff/dates/{event_id}/people/add"
    return await post(site, browser, path, csrf=token_of(browser), **form)


async def test_add_a_caller_then_the_waiting_list(site: Site) -> None:
    event_id = await plan(site, 3)
    people = f"/staff/dates/{event_id}/people"
    async with await signed_in(site, BEA) as browser:
        status, html = await site.page(browser, people)
        assert status == 200 and "Personen: Sprechstunde" in html
        assert len(set(CSRF.findall(html))) == 1
        added = await add(
            site, browser, event_id, name="Erika Muster", phone="04542 1234", size="2"
        )
        assert added.headers["Location"] == f"{people}?saved=yes"
        waiting = await add(site, browser, event_id, name="Hans Berg", phone="", size="2")
        assert waiting.headers["Location"] == f"{people}?saved=waiting"
        status, html = await site.page(browser, f"{people}?saved=waiting")
    assert "Die Person steht auf der Warteliste." in html
    assert "Belegte Plätze: 2 von 3" in html
    assert "Erika Muster (am Telefon)" in html
    assert 'data-label="Telefon">04542 1234</td>' in html
    assert "Anrufliste: Personen ohne Chat-App" in html
    assert "@media print" not in html  # the print rules live in the stylesheet
    assert await sign_ups(site, event_id) == [
        ("Erika Muster", "yes", 2, "04542 1234"),
        ("Hans Berg", "waitlist", 2, None),
    ]


async def test_change_and_remove_a_caller_moves_up_and_tells(site: Site) -> None:
    event_id = await plan(site, 2)
    people = f"/staff/dates/{event_id}/people"
    async with await signed_in(site, BEA) as browser:
        await add(site, browser, event_id, name="Erika Muster", phone="04542 1234", size="2")
        await otto_signs_up(site)
        erika = await caller_id(site, "Erika Muster")
        token = token_of(browser)
        changed = await post(
            site,
            browser,
            f"{people}/{erika}/change",
            csrf=token,
            name="Erika Mustermann",
            phone="04542 9999",
            size="1",
        )
        assert changed.headers["Location"] == f"{people}?saved=changed"
        await site.chat.flush()
        told = [s for s in site.chat.adapter.to(OTTO.user_id) if s.text.startswith(GOOD_NEWS)]
        assert len(told) == 1
        assert await sign_ups(site, event_id) == [
            ("Erika Mustermann", "yes", 1, "04542 9999"),
            ("Otto", "yes", 1, None),
        ]
        # more people than places: name and phone saved, the number of people not
        too_many = await post(
            site, browser, f"{people}/{erika}/change", csrf=token, name="Erika M.", size="3"
        )
        assert too_many.headers["Location"] == f"{people}?saved=no_room"
        assert (await sign_ups(site, event_id))[0] == ("Erika M.", "yes", 1, None)
        removed = await post(site, browser, f"{people}/{erika}/remove", csrf=token)
        assert removed.headers["Location"] == f"{people}?saved=removed"
        _, html = await site.page(browser, f"{people}?saved=removed")
    assert "Die Person ist nicht mehr angemeldet." in html
    assert [(n, s) for n, s, *_ in await sign_ups(site, event_id)] == [
        ("Erika M.", "cancelled"),
        ("Otto", "yes"),
    ]


async def test_wrong_input_changes_nothing(site: Site) -> None:
    event_id = await plan(site, 3)
    people = f"/staff/dates/{event_id}/people"
    await otto_signs_up(site)
    otto = await site.person_id(OTTO)
    async with await signed_in(site, BEA) as browser:
        for wrong in (
            {"name": ""},
            {"name": "A", "size": "6"},
            {"name": "A", "size": "x"},
            {"name": "x" * 101},
        ):
            got = await add(site, browser, event_id, **wrong)
            assert got.status == 400
        token = token_of(browser)
        # Otto signed up himself in chat: no caller, staff do not change him here
        for action in ("change", "remove"):
            got = await post(site, browser, f"{people}/{otto}/{action}", csrf=token, name="X")
            assert got.status == 400
            assert "Bitte schreiben Sie einen Namen" in await got.text()
    assert await sign_ups(site, event_id) == [("Otto", "yes", 1, None)]


async def test_a_callers_language_is_chosen_when_signing_up(site: Site) -> None:
    """The group's language is chosen first; another one is stored with the person (their
    e-mails and letters use it); a language the bot does not offer changes nothing."""
    event_id = await plan(site, 3)
    async with await signed_in(site, BEA) as browser:
        status, html = await site.page(browser, f"/staff/dates/{event_id}/people")
        assert status == 200
        assert '<option value="de" selected lang="de">Deutsch</option>' in html
        assert '<option value="uk" lang="uk">Українська</option>' in html
        got = await add(site, browser, event_id, name="Erika", size="1", language="xx")
        assert got.status == 400
        assert await sign_ups(site, event_id) == []
        got = await add(site, browser, event_id, name="Erika", size="1", language="uk")
        assert got.status == 303
        got = await add(site, browser, event_id, name="Karl", size="1", language="de")
        assert got.status == 303
    async with site.app.sessions() as session:
        rows = await session.execute(select(Person.display_name, Person.locale).order_by(Person.id))
        assert [tuple(r) for r in rows if r[0] in ("Erika", "Karl")] == [
            ("Erika", "uk"),
            ("Karl", "de"),
        ]


async def test_member_and_other_team_are_refused(site: Site) -> None:
    event_id = await plan(site, 3)
    people = f"/staff/dates/{event_id}/people"
    async with await signed_in(site, BEA) as browser:
        await add(site, browser, event_id, name="Erika Muster", phone="04542 1234", size="1")
    erika = await caller_id(site, "Erika Muster")
    before = await sign_ups(site, event_id)
    for who in (MIA, CARL):
        async with await signed_in(site, who) as browser:
            token = token_of(browser)
            status, html = await site.page(browser, people)
            assert status == 403 and "04542" not in html
            form = {"csrf": token, "name": "Eve", "size": "1"}
            for path in ("add", f"{erika}/change", f"{erika}/remove"):
                assert (await post(site, browser, f"{people}/{path}", **form)).status == 403
    async with await signed_in(site, BEA) as browser:
        got = await post(site, browser, f"{people}/add", name="Eve", size="1")
        assert got.status == 403  # no CSRF token
    assert await sign_ups(site, event_id) == before
