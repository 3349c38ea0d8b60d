"""What the staff pages need from the bot, built once by the composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import WebSection
from bot.dates.jobs import ReminderPolicy
from bot.dates.series import DEFAULT_POLICY
from bot.domain.work import Work
from bot.helping.policy import MatchingPolicy
from bot.language.i18n import Catalogs, install


@dataclass(frozen=True, slots=True)
class StaffWeb:
    """What the staff pages need from the bot: built once by the composition root."""

    sessions: async_sessionmaker[AsyncSession]
    now: Callable[[], datetime]
    catalogs: Catalogs
    settings: WebSection
    policy: ReminderPolicy = DEFAULT_POLICY
    # How help requests filed on the page are offered ([volunteers], as in chat).
    matching: MatchingPolicy = field(default_factory=MatchingPolicy)

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.settings.staff_idle_minutes)

    @property
    def longest(self) -> timedelta:
        return timedelta(hours=self.settings.staff_session_hours)

    @property
    def secure(self) -> bool:
        """Cookies only over HTTPS when people reach the page through HTTPS."""
        return self.settings.public_url.startswith("https://")

    @asynccontextmanager
    async def work(self) -> AsyncIterator[Work]:
        """One transaction for one request, committed when the block ends."""
        install(self.catalogs)
        async with self.sessions() as session, session.begin():
            yield Work(session, self.now())


STAFF = web.AppKey("staff", StaffWeb)
