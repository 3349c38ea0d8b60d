"""The staff web page on the bot's own web server (127.0.0.1, a free port), with the chat
stack on a memory platform that plays Telegram.

Ada is a deployment admin; Bea is in the team of Digitalcafé Musterstadt (community 1);
Carl is in the team of the Lesecafé only; Mia is a member of community 1.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.bootstrap import App, build_app, prepare, public_pages, staff_pages
from bot.community import communities
from bot.domain.models import Account
from bot.domain.roles import STAFF
from bot.infra.web import FeedServer
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, MemoryAdapter, telegram_like
from tests.fakes.memory import Person as Someone

ADA = Someone("1", "Ada")
BEA = Someone("2", "Bea")
CARL = Someone("3", "Carl")
MIA = Someone("4", "Mia")
GROUP, OTHER_GROUP = "-10", "-20"
LINK = re.compile(r"(https?://\S+/staff/sign-in/\S+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    app: App
    chat: Conversation
    clock: FakeClock
    base: str  # http://127.0.0.1:<port>

    async def person_id(self, who: Someone) -> int:
        async with self.app.sessions() as session:
            account = await session.scalar(
                select(Account).where(Account.external_id == who.user_id)
            )
            assert account is not None
            return account.person_id

    async def link(self, who: Someone) -> str:
        """Ask for a sign-in link in the private chat; the address the bot sent."""
        [answer] = await self.chat.say(who, "/web")
        found = LINK.search(answer.text)
        assert found, answer.text
        return found.group(1)

    def browser(self) -> aiohttp.ClientSession:
        # unsafe: cookies from an IP address (the test server is 127.0.0.1).
        return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def sign_in(self, browser: aiohttp.ClientSession, link: str) -> aiohttp.ClientResponse:
        """Open the link and press its button, as a person would; the answer to the press."""
        async with browser.get(link) as page:
            assert page.status == 200
        async with browser.post(link, allow_redirects=False) as pressed:
            await pressed.read()
            return pressed

    async def page(self, browser: aiohttp.ClientSession, path: str) -> tuple[int, str]:
        async with browser.get(self.base + path, allow_redirects=False) as response:
            return response.status, await response.text()


@asynccontextmanager
async def open_site(
    db_url: str,
    tmp_path: Path,
    *more: MemoryAdapter,
    public: bool = False,
    admins: tuple[str, ...] = (),
    **bot: Any,
) -> AsyncIterator[Site]:
    """The staff web page (and with ``public`` the public calendar page) of a bot with the
    teams above; ``more``: further platforms beside the Telegram one; ``bot`` adds to the
    ``[bot]`` settings (e.g. ``locales_dir``)."""
    adapter = telegram_like()
    settings = make_settings(
        db_url,
        tmp_path,
        bot={"admins": ["telegram:1", *admins], **bot},
        web={"enabled": True, "staff": True, "host": "127.0.0.1", "port": 0},
    )
    clock = FakeClock()
    app = build_app(settings, clock=clock, adapters=[adapter, *more])
    await prepare(app)
    chat = Conversation(app, adapter)
    await chat.say(ADA, "/verbinden 1", chat=chat.group(GROUP))
    await chat.say(ADA, "/gruppe_neu Lesecafé")
    await chat.say(ADA, "/verbinden lesecafe", chat=chat.group(OTHER_GROUP, "Lesecafé"))
    for who, group in ((BEA, GROUP), (MIA, GROUP), (CARL, OTHER_GROUP)):
        await chat.say(who, "/start", chat=chat.group(group))
    mounts = {**staff_pages(app), **(public_pages(app) if public else {})}
    server = FeedServer("127.0.0.1", 0, mounts=mounts)
    await server.start()
    base = f"http://127.0.0.1:{server.port}"
    app.settings.web.public_url = base
    result = Site(app, chat, clock, base)
    bea, carl = await result.person_id(BEA), await result.person_id(CARL)
    async with app.sessions() as session, session.begin():
        lesecafe = await communities.find_community(session, "lesecafe")
        assert lesecafe is not None
        for person_id, community_id in ((bea, 1), (carl, lesecafe.id)):
            await communities.grant_role(
                session, person_id, community_id, STAFF, granted_by=None, now=clock.now()
            )
    await chat.flush()
    try:
        yield result
    finally:
        await server.stop()
        await app.close()


@pytest.fixture
async def site(db_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async with open_site(db_url, tmp_path) as opened:
        yield opened
