"""Press texts and reminder calls on the staff web page: the same texts as the chat's
/presse (read back from the .odt and the .txt), the list "Morgen bitte anrufen" with a
button per person, a call marked done on the web shows as done in chat and the reverse; a
member and the team of another group are refused (status and an unchanged database)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from odf import teletype
from odf.opendocument import load
from odf.text import H, P
from sqlalchemy import select

from bot.domain.models import Event, Person, Rsvp
from tests.fakes.memory import Shown
from tests.web.conftest import BEA, CARL, MIA, Site
from tests.web.test_door import post, signed_in, token_of

PRESS, CALLS = "/staff/press", "/staff/calls"


def odt_lines(data: bytes) -> list[str]:
    document = load(io.BytesIO(data))
    return [teletype.extractText(e) for e in document.getElementsByType(H)] + [
        teletype.extractText(e) for e in document.getElementsByType(P)
    ]


async def plan_series(site: Site) -> int:
    """A weekly series from 25 November; the number of its first date."""
    [preview] = await site.chat.say(
        BEA, "/termin_neu Digitalcafé; jeden Mittwoch 15 Uhr; Bibliothek; 10"
    )
    await site.chat.press(BEA, preview, "Speichern und jetzt ankündigen")
    async with site.app.sessions() as session:
        return int(
            await session.scalar(
                select(Event.id).order_by(Event.series_id.desc(), Event.starts_at).limit(1)
            )
        )


async def chat_press(site: Site, words: str) -> tuple[Shown, Shown]:
    odt, txt = await site.chat.say(BEA, f"/presse {words}")
    assert odt.attachment is not None and txt.attachment is not None
    return odt, txt


async def test_press_texts_are_the_chats(site: Site) -> None:
    event_id = await plan_series(site)
    async with await signed_in(site, BEA) as browser:
        status, html = await site.page(browser, "/staff/?community=1")
        assert f'href="{PRESS}?community=1"' in html
        status, html = await site.page(browser, f"{PRESS}?community=1")
        assert status == 200
        assert "Texte für das Amtsblatt und die Zeitung: Digitalcafé Musterstadt" in html
        assert (
            f'<option value="{event_id}">Digitalcafé – Mittwoch, 25. November 2026, 15:00 Uhr'
            "</option>" in html
        )
        assert '<option value="2026-12">Dezember 2026</option>' in html
        for query, words in (
            (f"what=date&event={event_id}", str(event_id)),
            (f"what=series&event={event_id}", f"reihe {event_id}"),
            ("what=month&month=2026-12", "Dezember"),
        ):
            odt, txt = await chat_press(site, words)
            for kind, shown in (("odt", odt), ("txt", txt)):
                address = f"{site.base}{PRESS}/file?community=1&{query}&format={kind}"
                async with browser.get(address) as got:
                    assert got.status == 200, query
                    disposition = got.headers["Content-Disposition"]
                    data = await got.read()
                assert shown.attachment is not None
                assert disposition == f'attachment; filename="{shown.attachment.filename}"'
                if kind == "txt":
                    assert data == shown.attachment.data
                else:
                    assert odt_lines(data) == odt_lines(shown.attachment.data)
        async with browser.get(
            f"{site.base}{PRESS}/file?community=1&what=month&month=2026-12&format=odt"
        ) as got:
            lines = odt_lines(await got.read())
        assert lines[0] == "Digitalcafé Musterstadt: unsere Termine im Dezember 2026"
        for wrong in (
            "what=month&month=2026-13&format=odt",
            "what=month&month=2027-05&format=odt",  # no dates then
            f"what=date&event={event_id}&format=pdf",
            "what=date&event=999&format=odt",
            f"what=everything&event={event_id}&format=odt",
        ):
            async with browser.get(f"{site.base}{PRESS}/file?community=1&{wrong}") as got:
                assert got.status == 400, wrong
                assert "Bitte wählen Sie einen Termin oder einen Monat" in await got.text()


async def test_press_refused_for_member_and_other_team(site: Site) -> None:
    event_id = await plan_series(site)
    for who in (MIA, CARL):
        async with await signed_in(site, who) as browser:
            for path in (
                f"{PRESS}?community=1",
                PRESS,
                f"{PRESS}/file?community=1&what=date&event={event_id}&format=txt",
                f"{PRESS}/file?community=1&what=month&month=2026-12&format=odt",
            ):
                status, html = await site.page(browser, path)
                assert status == 403, path
                assert "Digitalcafé" not in html
    # the other team's own community does not open this community's date either
    async with await signed_in(site, CARL) as browser:
        status, _html = await site.page(
            browser, f"{PRESS}/file?community=2&what=date&event={event_id}&format=txt"
        )
        assert status == 400


async def callers(site: Site) -> int:
    """Bea signs up two callers by phone for a date tomorrow and marks both for a call."""
    [preview] = await site.chat.say(BEA, "/termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; 10")
    await site.chat.press(BEA, preview, "Speichern und jetzt ankündigen")
    async with site.app.sessions() as session:
        event_id = int(await session.scalar(select(Event.id).where(Event.title == "Sprechstunde")))
    await site.chat.say(BEA, f"/anmelden_fuer {event_id}; Erika Muster; 04542 1234")
    await site.chat.say(BEA, f"/anmelden_fuer {event_id}; Hans Alt; 04542 9876")
    [listing] = await site.chat.say(BEA, f"/anrufe {event_id}")
    await site.chat.press(BEA, listing, "Erika Muster")
    await site.chat.press(BEA, listing, "Hans Alt")
    site.clock.set(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))  # the day before
    return event_id


async def called(site: Site) -> dict[str, bool]:
    async with site.app.sessions() as session:
        rows = await session.execute(
            select(Person.display_name, Rsvp.called_at).join(Rsvp, Rsvp.person_id == Person.id)
        )
        return {name: at is not None for name, at in rows.all()}


async def rsvp_of(site: Site, name: str) -> int:
    async with site.app.sessions() as session:
        return int(
            await session.scalar(
                select(Rsvp.id)
                .join(Person, Person.id == Rsvp.person_id)
                .where(Person.display_name == name)
            )
        )


async def test_calls_marked_done_on_the_web_and_in_chat(site: Site) -> None:
    event_id = await callers(site)
    erika, hans = await rsvp_of(site, "Erika Muster"), await rsvp_of(site, "Hans Alt")
    async with await signed_in(site, BEA) as browser:
        status, html = await site.page(browser, "/staff/?community=1")
        assert f'href="{CALLS}?community=1">Morgen bitte anrufen: 2 Personen</a>' in html
        status, html = await site.page(browser, f"{CALLS}?community=1")
        assert status == 200
        assert "Morgen bitte anrufen: Digitalcafé Musterstadt" in html
        assert "Mittwoch, 9. Dezember 2026, 10:00 Uhr" in html
        assert "<strong>Erika Muster</strong>, Telefon" in html
        assert ">04542 9876</a>" in html
        assert html.count(">Erledigt<") == 2
        done = await post(
            site, browser, f"{CALLS}/{erika}/done", csrf=token_of(browser), community="1"
        )
        assert done.status == 303
        assert done.headers["Location"] == f"{CALLS}?community=1#call-{erika}"
        assert await called(site) == {"Erika Muster": True, "Hans Alt": False}
        # done on the web: the chat's list shows it
        [listing] = await site.chat.say(BEA, f"/anrufe {event_id}")
        assert "1. Erika Muster, Telefon 04542 1234: angerufen" in listing.text
        assert "2. Hans Alt, Telefon 04542 9876: möchte einen Anruf" in listing.text
        # and the reverse: the chat's button, then the web page
        await site.app.scheduler.run_due()
        [told] = [s for s in await site.chat.flush() if s.text.startswith("Morgen bitte anrufen")]
        await site.chat.press(BEA, told, "Hans Alt: angerufen")
        assert await called(site) == {"Erika Muster": True, "Hans Alt": True}
        status, html = await site.page(browser, f"{CALLS}?community=1")
        assert html.count("✓ angerufen") == 2
        assert ">Erledigt<" not in html
        status, html = await site.page(browser, "/staff/?community=1")
        assert "Morgen bitte anrufen" not in html
        # pressing again changes nothing; a stranger number is a short answer
        again = await post(
            site, browser, f"{CALLS}/{erika}/done", csrf=token_of(browser), community="1"
        )
        assert again.status == 303
        for wrong in ("999", "x"):
            got = await post(
                site, browser, f"{CALLS}/{wrong}/done", csrf=token_of(browser), community="1"
            )
            assert got.status == 404
    assert hans != erika


async def test_calls_refused_for_member_and_other_team(site: Site) -> None:
    await callers(site)
    erika = await rsvp_of(site, "Erika Muster")
    for who in (MIA, CARL):
        async with await signed_in(site, who) as browser:
            for path in (f"{CALLS}?community=1", CALLS):
                status, html = await site.page(browser, path)
                assert status == 403, path
                assert "Erika" not in html
            token = token_of(browser)
            for community in ("1", "2", ""):
                got = await post(
                    site, browser, f"{CALLS}/{erika}/done", csrf=token, community=community
                )
                assert got.status in (403, 404), community
    async with await signed_in(site, BEA) as browser:
        got = await post(site, browser, f"{CALLS}/{erika}/done", community="1")
        assert got.status == 403  # no CSRF token
    async with site.browser() as nobody:  # not signed in: to the page that says how
        for path in (f"{CALLS}?community=1", f"{PRESS}?community=1", f"{PRESS}/file?community=1"):
            status, _html = await site.page(nobody, path)
            assert status == 303, path
        got = await post(site, nobody, f"{CALLS}/{erika}/done", community="1")
        assert got.status == 303
        assert got.headers["Location"] == "/staff/signed-out"
    assert await called(site) == {"Erika Muster": False, "Hans Alt": False}
