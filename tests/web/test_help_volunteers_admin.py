"""Help requests and Digitallotsen on the staff page, and the deployment admin's page.

The help page shows the requests by state (open, offered to whom, taken on by whom, handed
to the team, done) with the resident's words; its one form files a request for a caller
through the chat's /hilfe_fuer use case, so the Digitallotsen get the same offer as in
chat. The volunteers page shows topics, places, times, load and break. Members and the
team of another group are refused on every page and form (status and database); the
admin page is only for deployment admins.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.domain.models import HelpOffer, HelpRequest, Person
from tests.fakes.memory import Conversation, Shown
from tests.handlers.test_help_requests import VERA, VOLKER, WALTER, _volunteer, tap, to
from tests.web.conftest import ADA, BEA, CARL, CSRF, MIA, Site
from tests.web.test_door import plan, post, signed_in, token_of

HELP, VOLUNTEERS, ADMIN = "/staff/help", "/staff/volunteers", "/staff/admin"
CALLER = f"{HELP}/caller"


async def requests(site: Site) -> list[tuple[int, str, str, str | None]]:
    async with site.app.sessions() as session:
        rows = await session.execute(
            select(HelpRequest.id, HelpRequest.status, HelpRequest.description, Person.display_name)
            .join(Person, Person.id == HelpRequest.requester_id)
            .order_by(HelpRequest.id)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


async def offers_made(site: Site) -> int:
    async with site.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(HelpOffer)))


async def team(site: Site) -> None:
    """Vera (Smartphone, Fotos) and Volker (Smartphone); Walter (Drucker) is on a break."""
    chat: Conversation = site.chat
    await _volunteer(chat, VERA, ["Smartphone", "Fotos"], "dienstags nachmittags", BEA)
    await _volunteer(chat, VOLKER, ["Smartphone"], "dienstags 14-18 Uhr", BEA)
    await _volunteer(chat, WALTER, ["Drucker"], "donnerstags vormittags", BEA)
    await chat.say(WALTER, "/pause 15.1.")
    await chat.flush()


async def every_state(site: Site) -> list[Shown]:
    """Requests handed to the team, open (only Walter, on a break, knows printers), and
    two offered to Vera; her two offers."""
    chat = site.chat
    await chat.say(BEA, "/hilfe_fuer Emil Ernst; 0451 1; Drucker; Drucker druckt nicht")
    site.clock.advance(hours=25)
    await site.app.scheduler.run_due()
    await chat.say(BEA, "/hilfe_fuer Olga Ort; 0451 2; Drucker; Scanner einrichten")
    await chat.say(BEA, "/hilfe_fuer Fritz Foto; 0451 3; Fotos; Fotos an die Enkel")
    await chat.say(BEA, "/hilfe_fuer Doris Dorn; 0451 4; Fotos; Fotos ausdrucken")
    await chat.flush()
    offers = [s for s in to(chat.adapter.shown, VERA) if s.text.startswith("Jemand braucht")]
    return offers[-2:]


async def test_the_help_page_shows_every_state(site: Site) -> None:
    await team(site)
    chat = site.chat
    # Vera takes both photo requests and reports the second one done.
    first, second = await every_state(site)
    await tap(chat, VERA, first, "Ich übernehme")
    shown = await tap(chat, VERA, second, "Ich übernehme")
    [yours] = [s for s in to(shown, VERA) if s.buttons]
    await tap(chat, VERA, yours, "Erledigt")
    await chat.say(VERA, "45 Minuten")
    await chat.say(VERA, "nein")
    await chat.say(BEA, "/hilfe_fuer Sina Smart; 0451 5; Smartphone; WhatsApp einrichten")
    await chat.flush()
    states = [status for _, status, _, _ in await requests(site)]
    assert states == ["escalated", "open", "accepted", "done", "offered"]
    async with await signed_in(site, BEA) as browser:
        status, html = await site.page(browser, f"{HELP}?community=1")
    assert status == 200
    sections = html.split("<h2 id=")
    by_state = {part.split('"')[1]: part for part in sections[1:]}
    assert "Offen: noch niemand gefragt (1)" in by_state["state-open"]
    assert "“Scanner einrichten”" in by_state["state-open"]
    assert "Vera Voss, seit " in by_state["state-offered"]
    assert "Volker Vogt, seit " in by_state["state-offered"]
    assert "noch keine Antwort" in by_state["state-offered"]
    assert "WhatsApp einrichten" in by_state["state-offered"]
    assert "Übernommen von Vera Voss" in by_state["state-accepted"]
    assert "Fotos an die Enkel" in by_state["state-accepted"]
    assert "Drucker druckt nicht" in by_state["state-escalated"]
    assert "Erledigt von Vera Voss" in by_state["state-done"]
    assert "45 Minuten" in by_state["state-done"]
    # No phone numbers and no names of the people who asked.
    for private in ("0451", "Emil", "Olga", "Fritz", "Doris", "Sina"):
        assert private not in html


async def test_a_request_for_a_caller_is_offered_as_in_chat(site: Site) -> None:
    await team(site)
    async with await signed_in(site, BEA) as browser:
        status, html = await site.page(browser, f"{HELP}?community=1")
        assert status == 200
        assert "Hilfe für jemanden, der angerufen hat" in html
        [token] = set(CSRF.findall(html))
        form = {
            "csrf": token,
            "community": "1",
            "name": "Hanna Hand",
            "phone": "04542 777",
            "topic": "smartphone",
            "what": "Fotos verschicken",
            "when": "dienstags nachmittags",
            "where": "phone",
        }
        saved = await post(site, browser, CALLER, **form)
        assert saved.status == 303
        [(number, state, words, name)] = await requests(site)
        assert saved.headers["Location"] == f"{HELP}?community=1&saved={number}"
        status, html = await site.page(browser, saved.headers["Location"])
        assert f"Anfrage {number} ist gespeichert. Wir suchen jemanden." in html
    assert (state, words, name) == ("offered", "Fotos verschicken", "Hanna Hand")
    shown = await site.chat.flush()
    # Vera and Volker get the same offer as after /hilfe_fuer in chat; Walter is on a break.
    offers = [s for s in shown if s.text.startswith("Jemand braucht Hilfe.")]
    assert sorted(s.chat_id for s in offers) == [f"dm-{VERA.user_id}", f"dm-{VOLKER.user_id}"]
    assert offers[0].text.splitlines() == [
        "Jemand braucht Hilfe. Können Sie das übernehmen?",
        "Thema: Smartphone",
        "Wann: dienstags nachmittags",
        "Wo: am Telefon",
    ]
    # Volker takes it: Bea, who filed it, hears who has it (as after /hilfe_fuer).
    [volkers] = to(offers, VOLKER)
    shown = await tap(site.chat, VOLKER, volkers, "Ich übernehme")
    [told] = to(shown, BEA)
    assert told.text == (
        f"Volker hat die Anfrage {number} für Hanna Hand übernommen. Bitte sagen Sie es Hanna Hand."
    )


async def test_wrong_caller_forms_change_nothing(site: Site) -> None:
    await team(site)
    async with await signed_in(site, BEA) as browser:
        good = {"csrf": token_of(browser), "community": "1", "name": "Hanna", "topic": "smartphone"}
        for wrong in (
            {"name": ""},
            {"name": "x" * 101},
            {"topic": "astrologie"},
            {"topic": "other"},
            {"where": "mond"},
        ):
            answer = await post(site, browser, CALLER, **{**good, **wrong})
            assert answer.status == 400, wrong
        answer = await post(site, browser, CALLER, **{**good, "topic": "other", "what": "Fax"})
        assert answer.status == 303
    [(_, _, words, _)] = await requests(site)
    assert words == "Fax"


async def test_the_volunteers_page(site: Site) -> None:
    await team(site)
    await site.chat.say(BEA, "/hilfe_fuer Fritz Foto; 0451 3; Fotos; Fotos an die Enkel")
    async with await signed_in(site, BEA) as browser:
        status, html = await site.page(browser, f"{VOLUNTEERS}?community=1")
    assert status == 200
    rows = {
        row.split("</th>")[0].rsplit(">", 1)[-1]: row for row in html.split('<th scope="row">')[1:]
    }
    assert set(rows) == {"Vera Voss", "Volker Vogt", "Walter Wolf"}
    assert "Smartphone, Fotos" in rows["Vera Voss"]
    assert "Im Digitalcafé, Am Telefon" in rows["Vera Voss"]
    assert "Dienstag 13–18 Uhr" in rows["Vera Voss"]
    assert "Übernommen: 0. Angeboten: 1." in rows["Vera Voss"]
    assert "höchstens 2 gleichzeitig" in rows["Vera Voss"]
    assert "Übernommen: 0. Angeboten: 0." in rows["Volker Vogt"]
    assert "in Pause bis Freitag, 15. Januar 2027" in rows["Walter Wolf"]
    assert "0451" not in html


async def test_member_and_other_team_are_refused_everywhere(site: Site) -> None:
    await team(site)
    await site.chat.say(BEA, "/hilfe_fuer Fritz Foto; 0451 3; Fotos; Fotos an die Enkel")
    before = (await requests(site), await offers_made(site))
    for who in (MIA, CARL):
        async with await signed_in(site, who) as browser:
            for path in (HELP, VOLUNTEERS):
                for query in ("?community=1", "", "?community=x"):
                    status, html = await site.page(browser, path + query)
                    assert status == 403, (who, path, query)
                    assert "Fotos" not in html and "Vera" not in html
            status, _ = await site.page(browser, ADMIN)
            assert status == 403
            form = {"csrf": token_of(browser), "community": "1", "name": "X", "topic": "smartphone"}
            assert (await post(site, browser, CALLER, **form)).status == 403
    async with await signed_in(site, BEA) as browser:
        form = {"community": "1", "name": "X", "topic": "smartphone"}
        assert (await post(site, browser, CALLER, **form)).status == 403  # no CSRF token
    assert (await requests(site), await offers_made(site)) == before


async def test_the_admin_page_for_deployment_admins_only(site: Site) -> None:
    await plan(site)
    await team(site)
    await site.chat.say(BEA, "/hilfe_fuer Fritz Foto; 0451 3; Fotos; Fotos an die Enkel")
    async with await signed_in(site, BEA) as browser:
        status, html = await site.page(browser, ADMIN)
        assert status == 403
        assert "nur für die Verwaltung des ganzen Bots" in html
        status, html = await site.page(browser, "/staff/?community=1")
        assert 'href="/staff/admin"' not in html
    async with await signed_in(site, ADA) as browser:
        status, html = await site.page(browser, "/staff/?community=1")
        assert 'href="/staff/admin"' in html and 'href="/staff/help?community=1"' in html
        status, html = await site.page(browser, ADMIN)
    assert status == 200
    rows = {
        row.split("</a>")[0].rsplit(">", 1)[-1]: row for row in html.split('<th scope="row">')[1:]
    }
    assert set(rows) == {"Digitalcafé Musterstadt", "Lesecafé"}
    cells = [cell.split("</td>")[0] for cell in rows["Digitalcafé Musterstadt"].split('">')[2:]]
    # Members, coming dates (the demo date and the Sprechstunde), sign-ups in 30 days,
    # open help requests, Digitallotsen.
    assert cells[:5] == ["8", "2", "3", "1", "3"]
    assert "Nicht gesendet: 0. Fehlgeschlagen: 0." in cells[6]
    other = [cell.split("</td>")[0] for cell in rows["Lesecafé"].split('">')[2:]]
    assert other[:5] == ["2", "0", "0", "0", "0"]  # Ada and Carl
    assert "noch keine" in other[5]
