"""The composition root: builds every long-lived object once and passes it down."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapters.base import Adapter, cancel_and_wait
from bot.adapters.console import CHAT_ID, GROUP_ID, USER_ID, ConsoleAdapter
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import Services
from bot.db import create_engine, session_factory
from bot.delivery.sender import Sender
from bot.dispatcher import Dispatcher
from bot.domain import communities, jobs, people, privacy
from bot.domain.keyvalue import StateStore
from bot.domain.models import Community
from bot.i18n import Catalogs, _, install, use_locale
from bot.router import Router
from bot.scheduler import Scheduler
from bot.types import ChatRef, Incoming
from bot.types import Sender as SenderInfo
from handlers import register_all

log = logging.getLogger(__name__)


@dataclass
class App:
    """Everything one running bot consists of."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker
    catalogs: Catalogs
    router: Router
    services: Services
    sender: Sender
    dispatcher: Dispatcher
    scheduler: Scheduler
    adapters: dict[str, Adapter] = field(default_factory=dict)
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    async def dispatch(self, incoming: Incoming) -> bool:
        return await self.dispatcher.dispatch(incoming)

    def command_menu(self, locale: str) -> list[tuple[str, str]]:
        """Commands every member may use, for the platform's command menu."""
        with use_locale(locale):
            return [
                (cmd.display_name(locale), _(cmd.description))
                for cmd in self.router.available({"member"}, "direct")
                if not cmd.roles
            ]

    async def close(self) -> None:
        await self.engine.dispose()


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    adapters: list[Adapter] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> App:
    """Build the app; adapters default to what the settings configure."""
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url, echo=settings.database.echo)
    sessions = session_factory(engine)
    catalogs = Catalogs.load()
    install(catalogs)
    router = register_all(Router())
    policy = reminder_policy(settings)
    services = Services(settings=settings, router=router, now=clock.now, policy=policy)
    transports: dict[str, Adapter] = {}
    sender = Sender(
        sessions,
        transports,
        clock,
        batch_size=settings.delivery.batch_size,
        max_backoff=settings.delivery.max_backoff_seconds,
        poll_seconds=settings.delivery.poll_seconds,
    )
    section = settings.privacy
    retention = privacy.Retention(
        feedback_comments=timedelta(days=30 * section.feedback_comment_months),
        help_details=timedelta(days=30 * section.help_details_months),
        unreachable_accounts=timedelta(days=30 * section.unreachable_account_months),
        sent_messages=timedelta(days=section.sent_message_days),
    )
    scheduler = Scheduler(
        sessions, clock, on_queued=sender.wake, policy=policy, retention=retention
    )

    dispatcher = Dispatcher(
        sessions,
        services,
        on_committed=sender.wake,
        on_schedule_changed=scheduler.wake,
        bot_usernames=lambda platform: (
            transports[platform].bot_username() if platform in transports else None
        ),
    )
    app = App(
        settings,
        clock,
        engine,
        sessions,
        catalogs,
        router,
        services,
        sender,
        dispatcher,
        scheduler,
        transports,
    )
    chosen = adapters if adapters is not None else _configured_adapters(app, stdin, stdout)
    for adapter in chosen:
        transports[adapter.platform] = adapter
    services.chat_link = lambda payload: _chat_link(app, payload)
    return app


def _chat_link(app: App, payload: str) -> str | None:
    """Telegram's deep link opens the date directly; Matrix can only open the chat."""
    telegram = app.adapters.get("telegram")
    if telegram is not None and telegram.bot_username():
        return f"https://t.me/{telegram.bot_username()}?start={payload}"
    if app.settings.matrix_enabled:
        return f"https://matrix.to/#/{app.settings.matrix.user_id}"
    return None


def _configured_adapters(app: App, stdin: TextIO | None, stdout: TextIO | None) -> list[Adapter]:
    settings = app.settings
    adapters: list[Adapter] = []
    if settings.telegram_enabled:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(settings.telegram, commands=app.command_menu))
    if settings.matrix_enabled:
        from bot.adapters.matrix import MatrixAdapter

        adapters.append(
            MatrixAdapter(settings.matrix, settings.bot.data_dir, StateStore(app.sessions))
        )
    if settings.console_enabled:
        adapters.append(
            ConsoleAdapter(
                user_name=settings.console.user_name,
                stdin=stdin,
                stdout=stdout,
                settle=app.sender.drain,
                on_finished=app.stopped.set,
            )
        )
    return adapters


def reminder_policy(settings: Settings) -> jobs.Policy:
    """The [reminders] and [volunteers] sections as the rules the scheduler and handlers
    apply."""
    section = settings.reminders
    return jobs.Policy(
        default=tuple(section.default),
        grace=timedelta(minutes=section.grace_minutes),
        feedback_after=timedelta(minutes=section.feedback_after_minutes),
        nudge_after=timedelta(hours=section.feedback_nudge_hours),
        ask_wishes=section.ask_wishes,
        offer_to=settings.volunteers.offer_to,
        widen_after=timedelta(hours=settings.volunteers.widen_after_hours),
        escalate_after=timedelta(hours=settings.volunteers.escalate_after_hours),
    )


async def prepare(app: App) -> None:
    """First-run data: the demo community, the console chat linked to it, an admin code."""
    now = app.clock.now()
    async with app.sessions.begin() as session:
        if app.settings.demo.enabled:
            demo = await communities.ensure_demo_community(
                session, app.settings.demo.community_name, app.settings.demo.timezone, now
            )
            if "console" in app.adapters:
                await _link_console(session, demo, app.settings.console.user_name, now)
        if not app.settings.bot.admins and not await communities.any_admin(session):
            code = await communities.new_admin_code(session, now)
            log.warning("No admin yet. Send '/admin %s' to the bot in a private chat.", code)


async def _link_console(
    session: AsyncSession, demo: Community, user_name: str, now: datetime
) -> None:
    """The person at the terminal is a member of the demo community, in a linked chat; the
    console's group (where the terminal can speak for residents) belongs to it too."""
    chat = await people.get_or_create_chat(session, ChatRef("console", CHAT_ID, "direct"), now)
    group = await people.get_or_create_chat(session, ChatRef("console", GROUP_ID, "group"), now)
    for linked in (chat, group):
        if linked.community_id is None:
            linked.community_id = demo.id
    account = await people.get_or_create_account(
        session, "console", SenderInfo(USER_ID, user_name), now
    )
    await session.flush()
    chat.person_id = account.person_id
    await communities.add_member(session, account.person_id, demo.id, now)


async def run(app: App, *, handle_signals: bool = True) -> None:
    """Start the sender and the adapters, run until stopped, then shut down cleanly."""
    await prepare(app)
    await app.sender.recover()
    # Start-up objects live as long as the process: keeping them out of the collector's
    # full passes avoids pauses of 100 ms and more under load.
    gc.freeze()
    sender_task = asyncio.create_task(app.sender.run(), name="sender")
    scheduler_task = asyncio.create_task(app.scheduler.run(), name="scheduler")
    feed = None
    if app.settings.web.enabled:
        from bot.web import FeedServer

        feed = FeedServer(
            app.sessions,
            app.settings.web.host,
            app.settings.web.port,
            app.clock.now,
            catalogs=app.catalogs,
        )
        await feed.start()
        log.info("calendar feed on %s:%s", app.settings.web.host, feed.port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM) if handle_signals else ():
        try:
            loop.add_signal_handler(sig, app.stopped.set)
        except (NotImplementedError, RuntimeError):
            pass
    if not app.adapters:
        log.error("no chat platform configured and the console is switched off")
        app.stopped.set()
    for adapter in app.adapters.values():
        await adapter.start(app.dispatch)
        log.info("%s adapter started", adapter.platform)
    await app.stopped.wait()
    log.info("stopping")
    await cancel_and_wait(scheduler_task)
    if feed is not None:
        await feed.stop()
    for adapter in app.adapters.values():
        await adapter.stop()
    await app.sender.drain(timeout=10)
    app.sender.stop()
    await sender_task
    await app.close()
