"""Signing in to the staff web page through the chat: the one-time link, the session cookie,
its expiry and signing out; the headers every staff page carries."""

from __future__ import annotations

from sqlalchemy import func, select
from yarl import URL

from bot.community import web_access
from bot.domain.models import WebSession, WebSignIn
from bot.domain.work import Work
from bot.privacy import retention, rights
from tests.web.conftest import BEA, CARL, CSRF, GROUP, MIA, Site

SIGNED_OUT = "/staff/signed-out"


async def _sessions(site: Site) -> int:
    async with site.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(WebSession)) or 0)


async def test_the_link_arrives_in_the_private_chat_only_and_signs_in(site: Site) -> None:
    [group] = await site.chat.say(BEA, "/web", chat=site.chat.group(GROUP))
    assert group.text == "Bitte schreiben Sie mir das in einem privaten Chat."
    [member] = await site.chat.say(MIA, "/web")
    assert member.text == "Das dürfen hier leider nur die Verantwortlichen."
    [answer] = await site.chat.say(BEA, "/web")
    assert answer.text.startswith(
        "Hier ist Ihre Adresse zum Anmelden auf der Webseite für die Leitung:\n"
        + site.base
        + "/staff/sign-in/"
    )
    assert answer.text.endswith(
        "Sie gilt einmal, 10 Minuten lang, nur für Sie. Bitte geben Sie sie nicht weiter."
    )
    link = answer.text.splitlines()[1]

    async with site.browser() as browser:
        # Opening the link only shows the button: a link preview uses nothing up.
        async with browser.get(link) as page:
            assert page.status == 200
            assert "Jetzt anmelden" in await page.text()
        assert await _sessions(site) == 0
        async with browser.post(link, allow_redirects=False) as pressed:
            assert pressed.status == 303
            assert pressed.headers["Location"] == "/staff/"
            cookie = pressed.headers["Set-Cookie"]
        status, html = await site.page(browser, "/staff/")
    assert status == 200
    assert "Übersicht: Digitalcafé Musterstadt" in html
    assert "Angemeldet als Bea" in html
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/staff"):
        assert flag in cookie
    assert "Secure" not in cookie  # reached through http://
    assert await _sessions(site) == 1


async def test_the_cookie_is_secure_behind_https(site: Site) -> None:
    link = await site.link(BEA)
    site.app.settings.web.public_url = "https://termine.stadt.example"
    async with site.browser() as browser:
        pressed = await site.sign_in(browser, link)
    assert pressed.status == 303
    assert "Secure" in pressed.headers["Set-Cookie"]


async def test_staff_pages_carry_the_security_headers(site: Site) -> None:
    link = await site.link(BEA)
    async with site.browser() as browser:
        await site.sign_in(browser, link)
        for path in ("/staff/", SIGNED_OUT, "/staff/nowhere", "/staff/static/staff.css"):
            async with browser.get(site.base + path, allow_redirects=False) as response:
                headers = response.headers
                assert headers["Content-Security-Policy"].startswith(
                    "default-src 'self'; script-src 'self'; style-src 'self'; "
                    "frame-ancestors 'none'"
                ), path
                assert headers["X-Content-Type-Options"] == "nosniff"
                assert headers["Referrer-Policy"] == "no-referrer"
                assert headers["Cache-Control"] == "no-store"
        async with browser.get(site.base + "/staff/") as page:
            assert "<script" not in await page.text()
            assert " style=" not in await page.text()


async def test_a_used_link_does_not_work_again(site: Site) -> None:
    link = await site.link(BEA)
    async with site.browser() as browser:
        assert (await site.sign_in(browser, link)).status == 303
    async with site.browser() as other:
        again = await site.sign_in(other, link)
        assert again.status == 403
        status, _ = await site.page(other, "/staff/")
    assert status == 303
    assert await _sessions(site) == 1


async def test_an_expired_link_does_not_work(site: Site) -> None:
    link = await site.link(BEA)
    site.clock.advance(minutes=10, seconds=1)
    async with site.browser() as browser:
        async with browser.get(link) as page:
            assert page.status == 200
        async with browser.post(link) as pressed:
            assert pressed.status == 403
            assert "Diese Adresse gilt nicht mehr" in await pressed.text()
    assert await _sessions(site) == 0


async def test_a_link_from_another_site_is_refused(site: Site) -> None:
    link = await site.link(BEA)
    async with site.browser() as browser:
        async with browser.post(link, headers={"Sec-Fetch-Site": "cross-site"}) as pressed:
            assert pressed.status == 403
        # The link is still unused: the person can press the button themselves.
        assert (await site.sign_in(browser, link)).status == 303


async def test_a_link_opened_in_someone_elses_browser_becomes_the_link_owners_session(
    site: Site,
) -> None:
    async with site.browser() as browser:
        await site.sign_in(browser, await site.link(BEA))
        beas_cookie = browser.cookie_jar.filter_cookies(URL(site.base + "/staff/"))[
            "lotsenbot_staff"
        ]
        await site.sign_in(browser, await site.link(CARL))
        status, html = await site.page(browser, "/staff/")
    assert status == 200
    assert "Angemeldet als Carl" in html
    assert "Übersicht: Lesecafé" in html
    assert "Bea" not in html
    # Bea's session in that browser ended: nothing of hers lives on under Carl's.
    async with site.browser() as stale:
        stale.cookie_jar.update_cookies({"lotsenbot_staff": beas_cookie.value})
        status, _ = await site.page(stale, "/staff/")
    assert status == 303
    assert await _sessions(site) == 1


async def test_sign_out_everywhere_from_the_chat(site: Site) -> None:
    async with site.browser() as pc, site.browser() as tablet:
        await site.sign_in(pc, await site.link(BEA))
        await site.sign_in(tablet, await site.link(BEA))
        assert (await site.page(pc, "/staff/"))[0] == 200
        [answer] = await site.chat.say(BEA, "/web_abmelden")
        assert answer.text == (
            "Sie sind jetzt auf allen Geräten von der Webseite für die Leitung abgemeldet."
        )
        for browser in (pc, tablet):
            status, _ = await site.page(browser, "/staff/")
            assert status == 303
        async with pc.get(site.base + "/staff/") as page:
            assert page.url.path == SIGNED_OUT
            assert page.status == 401
            assert "Bitte schreiben Sie dem Bot /web in einem privaten Chat" in await page.text()
    assert await _sessions(site) == 0


async def test_the_sign_out_form_ends_this_browser_only(site: Site) -> None:
    async with site.browser() as pc, site.browser() as tablet:
        await site.sign_in(pc, await site.link(BEA))
        await site.sign_in(tablet, await site.link(BEA))
        _, html = await site.page(pc, "/staff/")
        async with pc.post(site.base + "/staff/sign-out", data={"csrf": "wrong"}) as refused:
            assert refused.status == 403
        assert (await site.page(pc, "/staff/"))[0] == 200
        [token] = CSRF.findall(html)[:1]
        async with pc.post(
            site.base + "/staff/sign-out", data={"csrf": token}, allow_redirects=False
        ) as done:
            assert done.status == 303
            assert done.headers["Location"] == SIGNED_OUT
        assert (await site.page(pc, "/staff/"))[0] == 303
        assert (await site.page(tablet, "/staff/"))[0] == 200


async def test_sessions_end_after_inactivity_and_in_any_case_after_twelve_hours(
    site: Site,
) -> None:
    async with site.browser() as browser:
        await site.sign_in(browser, await site.link(BEA))
        site.clock.advance(minutes=29)
        assert (await site.page(browser, "/staff/"))[0] == 200  # each page counts as use
        site.clock.advance(minutes=30)
        assert (await site.page(browser, "/staff/"))[0] == 303
    async with site.browser() as browser:
        await site.sign_in(browser, await site.link(BEA))
        for _ in range(24):  # 24 × 29 minutes: busy, but more than 11½ hours
            site.clock.advance(minutes=29)
            assert (await site.page(browser, "/staff/"))[0] == 200
        site.clock.advance(minutes=29)
        assert (await site.page(browser, "/staff/"))[0] == 303
    assert await _sessions(site) == 0


async def test_erasure_signs_the_person_out(site: Site) -> None:
    async with site.browser() as browser:
        await site.sign_in(browser, await site.link(BEA))
        await site.link(BEA)  # an unused link too
        bea = await site.person_id(BEA)
        async with site.app.sessions() as session, session.begin():
            work = Work(session, site.clock.now())
            report = await rights.access_report(work, bea)
            assert len(report["web_sessions"]) == 1
            await rights.erase_person(work, bea)
        async with site.app.sessions() as session:
            for model in (WebSession, WebSignIn):
                count = select(func.count()).select_from(model).where(model.person_id == bea)
                assert await session.scalar(count) == 0
        assert (await site.page(browser, "/staff/"))[0] == 303


async def test_links_and_sessions_are_stored_hashed(site: Site) -> None:
    link = await site.link(BEA)
    token = link.rsplit("/", 1)[1]
    async with site.browser() as browser:
        await site.sign_in(browser, link)
        cookie = browser.cookie_jar.filter_cookies(URL(site.base + "/staff/"))[
            "lotsenbot_staff"
        ].value
    async with site.app.sessions() as session:
        stored = [*(await session.scalars(select(WebSignIn.token_hash))).all()]
        stored += (await session.scalars(select(WebSession.id_hash))).all()
    assert token not in stored and cookie not in stored
    assert len(web_access.csrf_token(cookie)) == 64


async def test_retention_removes_expired_links_and_ended_sessions(site: Site) -> None:
    async with site.browser() as browser:
        await site.sign_in(browser, await site.link(BEA))
    await site.link(BEA)  # never used
    site.clock.advance(days=1, minutes=1)
    async with site.app.sessions() as session, session.begin():
        done = await retention.apply(session, retention.Retention(), site.clock.now())
    assert done["expired_web_sign_ins"] == 2  # the used link and the unused one
    assert done["ended_web_sessions"] == 1
    assert await _sessions(site) == 0
