"""The announcements page (#20): staff write a text or pick a date, see the plain-language
tips (while typing through the JSON endpoint, and on the preview), see it as each chat app
will show it, then send it now or schedule it through the chat's own use cases. A member
and the team of another group are refused on every page and form (status code and an
unchanged database); a form without its CSRF token changes nothing."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.community import web_access
from bot.domain.models import Announcement, Chat, Event, OutboxMessage
from bot.domain.work import Work
from tests.fakes.memory import Conversation, matrix_like
from tests.fakes.memory import Person as Someone
from tests.web.conftest import BEA, CARL, CSRF, GROUP, MIA, Site, open_site

PAGE = "/staff/announcements"
ERIKA = Someone("300", "Erika")
MATRIX_ADA = Someone("@ada:stadt.example", "Ada")


async def _signed_in(site: Site, who: Someone) -> aiohttp.ClientSession:
    browser = site.browser()
    assert (await site.sign_in(browser, await site.link(who))).status == 303
    return browser


async def _token(site: Site, browser: aiohttp.ClientSession) -> str:
    _, page = await site.page(browser, "/staff/")
    [token] = set(CSRF.findall(page))
    return token


async def _post(
    site: Site, browser: aiohttp.ClientSession, path: str, form: dict[str, str] | list
) -> tuple[int, str]:
    async with browser.post(site.base + path, data=form, allow_redirects=False) as response:
        return response.status, await response.text()


def _text(page: str) -> str:
    """The page's words as a person reads them (tags gone, spaces squeezed)."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _block(page: str, platform: str) -> str:
    found = re.search(rf'<section class="app app-{platform}".*?</section>', page, re.S)
    assert found, platform
    return found.group(0)


async def _snapshot(site: Site) -> tuple[object, ...]:
    async with site.app.sessions() as session:
        posts = (await session.scalars(select(Announcement).order_by(Announcement.id))).all()
        groups = select(Chat.id).where(Chat.kind == "group")
        outbox = await session.scalar(select(func.count()).where(OutboxMessage.chat_id.in_(groups)))
        return tuple((p.id, p.status, p.due_at, p.text) for p in posts), outbox


async def test_write_see_tips_and_schedule_then_it_is_on_the_overview(site: Site) -> None:
    async with await _signed_in(site, BEA) as browser:
        status, page = await site.page(browser, f"{PAGE}?community=1")
        assert status == 200
        assert 'aria-live="polite"' in page and "/staff/static/suggest.js" in page
        token = await _token(site, browser)
        form = {
            "csrf": token,
            "community": "1",
            "text": "Das Event am Montag ist im Raum 2.\nInfos: https://stadt.example/cafe",
            "chats_shown": "yes",
            "chat": "1",
            "timing": "later",
            "when": "Montag 9 Uhr",
        }
        status, page = await _post(site, browser, f"{PAGE}/preview", form)
        assert status == 200
        telegram = _block(page, "telegram")
        assert "Das Event am Montag ist im Raum 2.<br>" in telegram
        assert '<a href="https://stadt.example/cafe"' in telegram
        shown = _text(page)
        assert "Tipps für einfache Sprache" in shown
        assert 'Schreiben Sie "Termin" statt "Event".' in shown
        assert "Es wird am Montag, 23. November 2026, 09:00 Uhr verschickt." in shown
        before = await _snapshot(site)
        [key] = re.findall(r'name="key" value="([^"]+)"', page)
        status, page = await _post(site, browser, f"{PAGE}/send", {**form, "key": key})
        assert status == 200
        assert "Gespeichert. Es wird geschickt am Montag, 23. November 2026, 09:00 Uhr." in _text(
            page
        )
        assert (await _snapshot(site))[1] == before[1]  # nothing sent yet
        _, overview = await site.page(browser, "/staff/?community=1")
        assert "Das Event am Montag ist im Raum 2." in overview
        _, listing = await site.page(browser, f"{PAGE}?community=1")
        assert "Das Event am Montag ist im Raum 2." in listing
    async with site.app.sessions() as session:
        [row] = (await session.scalars(select(Announcement))).all()
        assert row.kind == "text" and row.chat_ids == [1] and row.status == "scheduled"


async def test_send_a_text_now_reaches_the_group(site: Site) -> None:
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        form = {"csrf": token, "community": "1", "text": "Heute gibt es Kuchen.", "timing": "now"}
        status, page = await _post(site, browser, f"{PAGE}/preview", form)
        assert "Es wird jetzt verschickt." in _text(page)
        assert 'Schreiben Sie den Ort, zum Beispiel "Stadtbibliothek, Raum 2".' in _text(page)
        status, page = await _post(site, browser, f"{PAGE}/send", form)
        assert status == 200 and "Verschickt." in _text(page)
    await site.chat.flush()
    assert [s.text for s in site.chat.adapter.to(GROUP)][-1] == "Heute gibt es Kuchen."


async def test_a_text_sent_twice_is_posted_once(site: Site) -> None:
    """The form sent again after a slow answer (a new key: the preview opened again), and
    the same text from the chat: posted once, and the person is told it was sent already."""
    text = "Heute gibt es Kuchen."
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        form = {"csrf": token, "community": "1", "text": text, "timing": "now"}
        status, page = await _post(site, browser, f"{PAGE}/send", {**form, "key": "a"})
        assert status == 200 and "Verschickt." in _text(page)
        status, page = await _post(site, browser, f"{PAGE}/send", {**form, "key": "b"})
        assert status == 200 and "Verschickt." not in _text(page)
        assert (
            "Ich habe diese Ankündigung schon vor ein paar Minuten verschickt. "
            "Ich schicke sie nicht noch einmal."
        ) in _text(page)
        later = {**form, "timing": "later", "when": "9.12. 9 Uhr"}
        status, page = await _post(site, browser, f"{PAGE}/send", later)
        assert status == 200 and "Gespeichert." in _text(page)
        status, page = await _post(site, browser, f"{PAGE}/send", later)
        assert "Diese Ankündigung habe ich schon gespeichert." in _text(page)
    shown = await site.chat.say(BEA, f"/ankuendigung_neu {text}")
    [tips] = [s for s in shown if s.buttons]
    [ask] = await site.chat.press(BEA, tips, "So verwenden")
    [where] = await site.chat.press(BEA, ask, "Jetzt schicken")
    shown = await site.chat.press(BEA, where, "Alle Gruppen")
    assert "Ich schicke sie nicht noch einmal." in shown[-1].text
    await site.chat.flush()
    assert [s.text for s in site.chat.adapter.to(GROUP)].count(text) == 1
    async with site.app.sessions() as session:
        rows = (await session.scalars(select(Announcement).order_by(Announcement.id))).all()
    assert [(r.text, r.status) for r in rows] == [(text, "done"), (text, "scheduled")]


async def test_a_date_is_previewed_with_its_buttons_and_posted_once(site: Site) -> None:
    chat = site.chat
    [preview] = await chat.say(BEA, "/termin_neu Handy-Treff; 9.12. 15 Uhr; Raum 2; 10")
    await chat.press(BEA, preview, "Speichern")
    async with site.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.title == "Handy-Treff"))
        assert event is not None
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        _, page = await site.page(browser, f"{PAGE}?community=1")
        assert f'<option value="{event.id}">Handy-Treff' in page
        form = {"csrf": token, "community": "1", "text": "", "date": str(event.id)}
        _, page = await _post(site, browser, f"{PAGE}/preview", form)
        telegram = _block(page, "telegram")
        assert "Handy-Treff" in telegram
        assert '<span class="chat-button">Ich komme</span>' in telegram
        [key] = re.findall(r'name="key" value="([^"]+)"', page)
        mark = len(chat.adapter.to(GROUP))
        for _ in range(2):  # pressed twice: posted once
            status, page = await _post(site, browser, f"{PAGE}/send", {**form, "key": key})
            assert status == 200 and "Verschickt." in _text(page)
    await chat.flush()
    posted = [s for s in chat.adapter.to(GROUP)[mark:] if "Handy-Treff" in s.text]
    assert len(posted) == 1 and "Ich komme" in [label for label, _ in posted[0].buttons]


async def test_mistakes_are_named_and_nothing_changes(site: Site) -> None:
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        before = await _snapshot(site)
        cases = [
            ({"text": "", "timing": "now"}, "höchstens 1500 Zeichen"),
            ({"text": "x" * 1501, "timing": "now"}, "höchstens 1500 Zeichen"),
            (
                {"text": "Hallo", "timing": "later", "when": "irgendwann"},
                "Datum habe ich nicht verstanden",
            ),
            ({"text": "Hallo", "chats_shown": "yes"}, "mindestens eine Gruppe"),
            ({"text": "Hallo", "chats_shown": "yes", "chat": "2"}, "mindestens eine Gruppe"),
            ({"text": "", "date": "999"}, "kann nicht mehr angekündigt werden"),
            ({"text": "", "date": "abc"}, "kann nicht mehr angekündigt werden"),
        ]
        for fields, expected in cases:
            form = {"csrf": token, "community": "1", **fields}
            for path in ("/preview", "/send"):
                status, page = await _post(site, browser, PAGE + path, form)
                assert status == 400, (fields, path)
                assert expected in _text(page), (fields, _text(page))
        assert await _snapshot(site) == before


async def test_suggestions_while_typing(site: Site) -> None:
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        form = {"csrf": token, "community": "1", "text": "Das Event ist am Montag im Raum 2."}
        async with browser.post(site.base + f"{PAGE}/suggestions", data=form) as response:
            assert response.status == 200
            answer = await response.json()
        assert {"excerpt": "Event", "suggestion": 'Schreiben Sie "Termin" statt "Event".'} in (
            answer["tips"]
        )
        form["csrf"] = "wrong"
        async with browser.post(
            site.base + f"{PAGE}/suggestions", data=form, allow_redirects=False
        ) as response:
            assert response.status == 403
    async with site.browser() as nobody:
        async with nobody.post(
            site.base + f"{PAGE}/suggestions", data=form, allow_redirects=False
        ) as response:
            assert response.status == 303


async def test_members_and_other_teams_are_refused_everywhere(site: Site) -> None:
    before = await _snapshot(site)
    async with site.app.sessions() as session, session.begin():
        link = await web_access.new_link(Work(session, site.clock.now()), await site.person_id(MIA))
    mia = site.browser()
    assert (await site.sign_in(mia, f"{site.base}/staff/sign-in/{link}")).status == 303
    mias = web_access.csrf_token(next(iter(mia.cookie_jar)).value)
    carl = await _signed_in(site, CARL)
    carls = await _token(site, carl)
    for browser, token in ((mia, mias), (carl, carls)):
        async with browser:
            status, _ = await site.page(browser, f"{PAGE}?community=1")
            assert status == 403
            form = {"csrf": token, "community": "1", "text": "Hallo", "timing": "now"}
            for path in ("", "/preview", "/send", "/suggestions"):
                status, _ = await _post(site, browser, PAGE + path, form)
                assert status == 403, path
    without_token = {"community": "1", "text": "Hallo", "timing": "now"}
    async with await _signed_in(site, BEA) as browser:
        status, _ = await _post(site, browser, f"{PAGE}/send", without_token)
        assert status == 403
    assert await _snapshot(site) == before


@pytest.fixture
async def two_apps(db_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    """The group of community 1 on Telegram, and a Matrix room linked to it too."""
    matrix = matrix_like()
    async with open_site(db_url, tmp_path, matrix, admins=(f"matrix:{MATRIX_ADA.user_id}",)) as s:
        room = Conversation(s.app, matrix)
        await room.say(MATRIX_ADA, "!verbinden 1", chat=room.group("!cafe:stadt.example", "Café"))
        yield s


async def test_the_preview_shows_each_app_the_group_uses(two_apps: Site) -> None:
    site = two_apps
    chat = site.chat
    [preview] = await chat.say(BEA, "/termin_neu Handy-Treff; 9.12. 15 Uhr; Raum 2; 10")
    await chat.press(BEA, preview, "Speichern")
    async with site.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.title == "Handy-Treff"))
        assert event is not None
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        form = {"csrf": token, "community": "1", "text": "", "date": str(event.id)}
        _, page = await _post(site, browser, f"{PAGE}/preview", form)
    telegram, matrix = _block(page, "telegram"), _block(page, "matrix")
    assert "<h2" in telegram and ">Telegram</h2>" in telegram
    assert ">Matrix</h2>" in matrix
    # Matrix shows no buttons: the numbered lines and the hint instead, as the adapter writes.
    assert "chat-button" not in matrix
    assert "1 – Ich komme<br>" in matrix
    assert "Antworten Sie mit" in matrix
    assert "Café" in matrix


async def test_do_not_send_from_the_announcements_page(site: Site) -> None:
    async with await _signed_in(site, BEA) as browser:
        token = await _token(site, browser)
        form = {
            "csrf": token,
            "community": "1",
            "text": "Am Montag um 9 Uhr ist das Café im Raum 2 offen.",
            "timing": "later",
            "when": "Montag 9 Uhr",
        }
        status, _ = await _post(site, browser, f"{PAGE}/send", form)
        assert status == 200
        _, listing = await site.page(browser, f"{PAGE}?community=1")
        [post_id] = re.findall(r'action="/staff/posts/(\d+)/cancel"', listing)
        cancel = {"csrf": token, "community": "1", "back": "announcements"}
        async with browser.post(
            f"{site.base}/staff/posts/{post_id}/cancel", data=cancel, allow_redirects=False
        ) as response:
            assert response.status == 303
            assert response.headers["Location"] == f"{PAGE}?community=1"
        _, listing = await site.page(browser, f"{PAGE}?community=1")
        assert "Es ist nichts geplant." in _text(listing)
    async with site.app.sessions() as session:
        [row] = (await session.scalars(select(Announcement))).all()
        assert row.status == "cancelled"
