"""The composition root: builds every long-lived object once and passes it down."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapters.base import Adapter, cancel_and_wait
from bot.adapters.console import CHAT_ID, GROUP_ID, USER_ID, ConsoleAdapter
from bot.certificates import due as certificates_due
from bot.chat import platforms
from bot.chat.context import Services
from bot.chat.dispatcher import Dispatcher
from bot.chat.receiving import ReceiveStatus, supervise
from bot.chat.router import Router
from bot.chat.types import ChatRef, Incoming
from bot.chat.types import Sender as SenderInfo
from bot.community import communities
from bot.config import Settings
from bot.dates import due as dates_due
from bot.dates import feed as dates_feed
from bot.dates.jobs import ReminderPolicy
from bot.delivery.outbox import queued_chats
from bot.delivery.sender import Sender
from bot.domain import people
from bot.domain.models import Community
from bot.domain.work import Work
from bot.helping import due as helping_due
from bot.helping.policy import MatchingPolicy
from bot.infra import backup_daily
from bot.infra.clock import Clock, SystemClock
from bot.infra.cluster import HURRY, OUTBOX, PREPARE, SCHEDULE, Cluster, make_cluster
from bot.infra.db import create_engine, session_factory
from bot.infra.deployment import deployment
from bot.infra.failures import port_failure
from bot.infra.group_commit import GroupCommit
from bot.infra.keyvalue import StateStore
from bot.infra.logs import set_log_context
from bot.infra.package_data import installed_version
from bot.infra.private_files import private_dir, write_private
from bot.infra.scheduler import Round, Scheduler
from bot.language.i18n import Catalogs, _, install, use_locale
from bot.newsletter import due as newsletter_due
from bot.newsletter import pages as newsletter_pages
from bot.privacy import due as privacy_due
from bot.privacy import rights as privacy
from bot.reminders import due as reminders_due
from bot.watching import Metrics, health, look
from handlers import build_router
from web.app import PREFIX as STAFF_PREFIX
from web.app import build as build_staff_pages
from web.staff import StaffWeb

if TYPE_CHECKING:
    from aiohttp.web import Application

    from bot.delivery.email_links import EmailLinks
    from bot.infra.web import FeedServer

log = logging.getLogger(__name__)

# In the data directory while no admin exists: the one-time code that makes the first one.
ADMIN_CODE_FILE = "admin-code.txt"


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
    cluster: Cluster
    # Every configured platform; ``running`` holds those this process runs now (the sender
    # sends through them). They differ while another process leads: it runs Matrix.
    adapters: dict[str, Adapter] = field(default_factory=dict)
    running: dict[str, Adapter] = field(default_factory=dict)
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    # Per platform: whether it should receive here and whether it does (for /health).
    receiving: dict[str, ReceiveStatus] = field(default_factory=dict)
    # Per leader-only platform: the task that restarts it when its receiving loop ends.
    watchers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # Its own Prometheus registry (GET /metrics).
    metrics: Metrics = field(default_factory=Metrics)

    async def dispatch(self, incoming: Incoming) -> bool:
        started = time.perf_counter()
        try:
            return await self.dispatcher.dispatch(incoming)
        finally:
            self.metrics.handled(incoming, time.perf_counter() - started)

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
    catalogs = Catalogs.for_settings(settings)
    install(catalogs)
    router = build_router()
    policy = ReminderPolicy.from_settings(settings.reminders)
    matching = MatchingPolicy.from_settings(settings.volunteers)
    services = Services(
        settings=settings, router=router, now=clock.now, policy=policy, matching=matching
    )
    transports: dict[str, Adapter] = {}
    metrics = Metrics()
    cluster = make_cluster(settings.database_url, heartbeat=settings.cluster.heartbeat_seconds)
    sender = Sender(
        sessions,
        transports,
        clock,
        batch_size=settings.delivery.batch_size,
        max_backoff=settings.delivery.max_backoff_seconds,
        poll_seconds=settings.delivery.poll_seconds,
        cluster=cluster,
        observe=metrics.send_outcome,
    )
    retention = privacy.Retention.from_settings(settings.privacy)

    def queued(chats: Sequence[tuple[str, int]] | None = None) -> None:
        """Messages were committed to the outbox (for these chats, when known): wake the
        process that sends them, this one or another."""
        if chats is None:
            sender.wake()
            cluster.notify(OUTBOX)
            return
        ours = [chat_id for platform, chat_id in chats if sender.sends_to(platform, chat_id)]
        if ours:
            # Answers to someone who just wrote: ahead of a backlog (a restart, a fan-out).
            sender.hurry(ours)
        for platform, chat_id in chats:
            if not sender.sends_to(platform, chat_id):
                # Another process sends there: it puts the answer ahead of its backlog too.
                cluster.notify(f"{HURRY}{platform}:{chat_id}")

    def heard(topic: str) -> None:
        """Another process asked: send (a chat in a hurry first) or schedule."""
        if topic == OUTBOX:
            sender.wake()
        elif topic.startswith(HURRY):
            platform, _, chat_id = topic.removeprefix(HURRY).partition(":")
            if sender.sends_to(platform, int(chat_id)):  # not the process that asked
                sender.hurry([int(chat_id)])
        elif topic == SCHEDULE:
            scheduler.wake()

    def schedule_changed() -> None:
        scheduler.wake()
        if not cluster.is_leader:
            cluster.notify(SCHEDULE)

    daily = backup_daily.rounds(
        settings.backup, settings.database_url, settings.bot.data_dir, installed_version()
    )
    scheduler = Scheduler(
        sessions,
        clock,
        [*due_rounds(policy, matching, retention, settings.web.public_url), *daily],
        on_queued=lambda: queued(None),
        leads=lambda: cluster.is_leader,
        on_hurry=lambda session: queued(queued_chats(session)),
    )
    cluster.on_notify = heard

    dispatcher = Dispatcher(
        sessions,
        services,
        on_committed=queued,
        on_schedule_changed=schedule_changed,
        bot_usernames=lambda platform: (
            app.adapters[platform].bot_username() if platform in app.adapters else None
        ),
        answer_press=lambda incoming, text: _answer_press(app, incoming, text),
        group=(
            GroupCommit(
                engine,
                sessions,
                max_group=settings.database.group_max,
                wait_s=settings.database.group_wait_ms / 1000,
            )
            if _group_commit(settings, engine)
            else None
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
        cluster,
        running=transports,
        metrics=metrics,
    )
    chosen = adapters if adapters is not None else _configured_adapters(app, stdin, stdout)
    for adapter in chosen:
        app.adapters[adapter.platform] = app.running[adapter.platform] = adapter
        platforms.declare(
            adapter.platform,
            command_prefix=adapter.command_prefix,
            display_name=adapter.display_name,
            answers_presses=adapter.answers_presses,
            shows_buttons=adapter.shows_buttons,
            takes_messages=adapter.takes_messages,
        )
        # Telegram and Matrix keep their own (their loops know when a request fails); the
        # others' is kept here, from what starts and watches them.
        if adapter.platform == "email":
            # A bounce marks the address unreachable, like a refusal at sending.
            adapter.bounced = sender.bounced  # type: ignore[attr-defined]
        own = adapter.status
        app.receiving[adapter.platform] = (
            own if own is not None else ReceiveStatus(adapter.platform)
        )
    # The first platform with a link wins: Telegram's deep link opens the date directly,
    # Matrix's link can only open the chat.
    services.chat_link = lambda payload: _first_link(app, lambda a: a.chat_link(payload))
    services.deep_link = lambda payload: _first_link(app, lambda a: a.deep_link(payload))
    services.look = lambda work: look(app, work)
    return app


def _group_commit(settings: Settings, engine: AsyncEngine) -> bool:
    """Whether updates share transactions: as configured, else only on SQLite."""
    chosen = settings.database.group_commit
    return engine.dialect.name == "sqlite" if chosen == "auto" else bool(chosen)


async def _answer_press(app: App, incoming: Incoming, text: str) -> None:
    """Show a press's answer to the presser alone, through the adapter it came from."""
    adapter = app.adapters.get(incoming.chat.platform)
    if adapter is not None and adapter.answers_presses:
        await adapter.answer_press(incoming, text)


def _first_link(app: App, link: Callable[[Adapter], str | None]) -> str | None:
    return next((found for a in app.adapters.values() if (found := link(a))), None)


def _configured_adapters(app: App, stdin: TextIO | None, stdout: TextIO | None) -> list[Adapter]:
    settings = app.settings
    adapters: list[Adapter] = []
    if settings.telegram_enabled:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(
            TelegramAdapter(
                settings.telegram, commands=app.command_menu, languages=app.catalogs.locales
            )
        )
    if settings.matrix_enabled:
        from bot.adapters.matrix import MatrixAdapter

        adapters.append(
            MatrixAdapter(settings.matrix, settings.bot.data_dir, StateStore(app.sessions))
        )
    if settings.email_enabled:
        from bot.adapters.email import EmailAdapter
        from bot.delivery.email_links import link_maker, link_secret

        link = link_maker(link_secret(settings), settings.web.public_url)
        adapters.append(EmailAdapter(settings.email, link=link, locale=settings.bot.default_locale))
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


def due_rounds(
    reminders: ReminderPolicy,
    matching: MatchingPolicy,
    retention: privacy.Retention,
    web_address: str = "",
) -> list[Round]:
    """What each feature has due, in the order the scheduler does it every round."""
    return [
        *privacy_due.rounds(retention),
        *dates_due.rounds(reminders),
        *helping_due.rounds(matching),
        *certificates_due.rounds(),
        *reminders_due.rounds(reminders),
        *newsletter_due.rounds(web_address),
    ]


async def prepare(app: App) -> None:
    """First-run data: the demo community, the console chat linked to it, an admin code."""
    now = app.clock.now()
    code: str | None = None
    async with app.sessions.begin() as session:
        if app.cluster.distributed:
            # Processes starting together would each create the demo community.
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:a, :b)"), dict(zip("ab", PREPARE, strict=True))
            )
        # Made once, at the first start, before any date: calendar UIDs name it.
        made = await deployment(session)
        email = app.adapters.get("email")
        if email is not None:
            # Every e-mail's Message-ID names the deployment and its outbox row.
            email.deployment = made.id  # type: ignore[attr-defined]
        if app.settings.demo.enabled:
            demo = await communities.ensure_demo_community(
                session, app.settings.demo.community_name, app.settings.demo.timezone, now
            )
            if "console" in app.adapters:
                await _link_console(session, demo, app.settings.console.user_name, now)
        # bot.admins is the truth at every start: whoever was removed there is no admin now.
        for account in await communities.sync_config_admins(session, app.settings.bot.admins, now):
            log.warning("deployment admin revoked: %s is no longer in bot.admins", account)
        if not app.settings.bot.admins and not await communities.any_admin(session):
            code = await communities.new_admin_code(session, now)
    _hand_over_admin_code(app.settings.bot.data_dir, code)


def _hand_over_admin_code(data_dir: Path, code: str | None) -> None:
    """The one-time admin code goes to a 0600 file and, when someone watches, the terminal;
    never into the log stream, which is collected, shipped and kept elsewhere."""
    path = data_dir / ADMIN_CODE_FILE
    if code is None:
        # An admin exists: an old code (used or not) has no business lying around.
        path.unlink(missing_ok=True)
        return
    private_dir(data_dir)
    write_private(
        path, f"Send this to the bot in a private chat (once, within 7 days):\n/admin {code}\n"
    )
    if sys.stderr.isatty():
        print(f"No admin yet. Send '/admin {code}' to the bot in a private chat.", file=sys.stderr)
    log.warning(
        "No admin yet. The one-time admin code is in %s; send it to the bot in a private chat.",
        path,
    )


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
    await app.cluster.start()
    set_log_context(process=app.cluster.process_id)
    await app.sender.recover()
    for platform, adapter in app.adapters.items():
        if adapter.leader_only:
            # Not sent through until started below, once this process leads.
            app.running.pop(platform, None)
    # Start-up objects live as long as the process: keeping them out of the collector's
    # full passes avoids long pauses under load (BENCHMARKS.md, "Telegram button presses").
    gc.freeze()
    sender_task = asyncio.create_task(app.sender.run(), name="sender")
    scheduler_task = asyncio.create_task(app.scheduler.run(), name="scheduler")
    web = await _start_web(app)
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
        if adapter.leader_only:
            continue
        if adapter.receives_on_leader_only:
            await adapter.start(app.dispatch, receive=False)  # type: ignore[call-arg]
        else:
            await adapter.start(app.dispatch)
            _started(app, adapter)
        app.running[adapter.platform] = adapter
        log.info("%s adapter started", adapter.platform)
    # The first round is awaited, so a platform that cannot start stops the process as before.
    await _follow_cluster(app)
    follower = asyncio.create_task(_keep_following(app), name="cluster-follower")
    await app.stopped.wait()
    log.info("stopping")
    await cancel_and_wait(follower)
    for watcher in list(app.watchers.values()):
        await cancel_and_wait(watcher)
    app.watchers.clear()
    await cancel_and_wait(scheduler_task)
    if web is not None:
        await web.stop()
    # Nothing new comes in; what is due goes out while the platforms can still send; what
    # is left stays in the outbox for the next start (never half-sent, never backed off).
    for adapter in list(app.running.values()):
        await adapter.stop_receiving()
    await app.sender.drain(timeout=app.settings.bot.stop_seconds)
    app.sender.stop()
    await sender_task
    for adapter in list(app.running.values()):
        await adapter.stop()
    await app.cluster.stop()
    await app.close()


async def _start_web(app: App) -> FeedServer | None:
    """The calendar feed, /health, /metrics and the staff web page, when switched on; a port
    in use is one clear line."""
    section = app.settings.web
    links = email_links(app)
    wanted = section.calendar or section.health or section.metrics or section.staff
    if not (section.enabled and (wanted or links is not None)):
        return None
    from bot.infra.web import FeedServer

    web = FeedServer(
        section.host,
        section.port,
        catalogs=app.catalogs,
        health=(lambda: health(app)) if section.health else None,
        calendar=(lambda slug: calendar_feed(app, slug)) if section.calendar else None,
        metrics=(lambda: app.metrics.exposition(app)) if section.metrics else None,
        mounts={**(public_pages(app) if section.calendar else {}), **staff_pages(app)},
        routes=[
            *(links.routes() if links is not None else ()),
            *newsletter_pages.routes(app.sessions, app.clock, app.catalogs),
        ],
    )
    try:
        await web.start()
    except OSError as exc:
        failure = port_failure(exc, "web.port", section.host, section.port)
        if failure is None:
            raise
        raise failure from exc
    return web


def email_links(app: App) -> EmailLinks | None:
    """The web pages behind the links in e-mails, when e-mail is on."""
    if "email" not in app.adapters:
        return None
    from bot.delivery.email_links import EmailLinks, link_secret

    return EmailLinks(
        app.sessions,
        app.dispatch,
        app.clock.now,
        link_secret(app.settings),
        locale=app.settings.bot.default_locale,
        catalogs=app.catalogs,
    )


async def _follow_cluster(app: App) -> None:
    """Do what this process's place in the cluster asks: as leader run the leader-only
    platforms and receive by polling; share the overall sending rate with the others."""
    cluster = app.cluster
    cluster.changed.clear()
    leads = cluster.is_leader
    set_log_context(process=cluster.process_id, leader=leads)
    # Polling first: a leader-only start can take long (Matrix's first start reads every joined
    # room), and people writing on the other platforms need not wait for it.
    for adapter in app.adapters.values():
        if not adapter.leader_only and adapter.receives_on_leader_only:
            await adapter.set_receiving(leads)
    for platform, adapter in app.adapters.items():
        if adapter.leader_only:
            status = app.receiving[platform]
            # Once started, the adapter belongs to its watcher, which restarts it when its
            # receiving ends (it is out of ``running`` meanwhile).
            if leads and platform not in app.watchers:
                status.starting()  # a start that fails shows in /health until one works
                await adapter.start(app.dispatch)
                app.running[platform] = adapter
                _started(app, adapter)
                app.watchers[platform] = asyncio.create_task(
                    _keep_receiving(app, adapter), name=f"{platform}-supervisor"
                )
                log.info("%s adapter started (this process leads)", platform)
            elif not leads and (platform in app.watchers or status.wanted):
                await cancel_and_wait(app.watchers.pop(platform, None))
                app.running.pop(platform, None)
                try:
                    await adapter.stop()
                except Exception as exc:
                    log.warning("%s: stopping failed: %r", platform, exc)
                status.stopped()
                log.info("%s adapter stopped (another process leads)", platform)
        adapter.share_rate(cluster.size)
    app.scheduler.wake()
    app.sender.wake()


def _started(app: App, adapter: Adapter) -> None:
    """An adapter without its own status receives once started."""
    status = app.receiving[adapter.platform]
    if adapter.status is not status:
        status.starting()
        status.running()


async def _keep_receiving(app: App, adapter: Adapter) -> None:
    """Watch a started leader-only adapter's receiving loop (Matrix's sync); when it ends
    or fails, stop the adapter, and start it again with backoff until it runs."""
    platform = adapter.platform
    status = app.receiving[platform]
    first = True

    async def once() -> None:
        nonlocal first
        if not first:
            try:
                await adapter.start(app.dispatch)
            except Exception:
                with contextlib.suppress(Exception):
                    await adapter.stop()  # a half-done start (logged in, no sync) is undone
                raise
            app.running[platform] = adapter
            status.running()
            app.sender.wake()  # what waited for it goes out now
        first = False
        task = adapter.receiving_task
        if task is None:
            await asyncio.Event().wait()  # nothing to watch: it runs until it is stopped
            return
        await asyncio.wait({task})
        # Not sent through while it is down: the outbox waits instead of failing.
        app.running.pop(platform, None)
        error = None if task.cancelled() else task.exception()
        try:
            await adapter.stop()
        except Exception as exc:
            log.warning("%s: stopping after the failure failed too: %r", platform, exc)
        if error is not None:
            raise error

    await supervise(status, "receiving", once, stopping=lambda: not status.wanted)


async def _keep_following(app: App) -> None:
    while True:
        await app.cluster.changed.wait()
        try:
            await _follow_cluster(app)
        except Exception:
            log.exception("taking up this process's part failed; trying again shortly")
            await asyncio.sleep(5)
            app.cluster.changed.set()


def staff_pages(app: App) -> dict[str, Application]:
    """The staff web page under /staff when switched on ([web] staff = true)."""
    if not app.settings.web.staff:
        return {}
    staff = StaffWeb(
        app.sessions,
        app.clock.now,
        app.catalogs,
        app.settings.web,
        app.services.policy,
        app.services.matching,
    )
    return {STAFF_PREFIX: build_staff_pages(staff)}


def public_pages(app: App) -> dict[str, Application]:
    """The public calendar page of each community, German at /termine/<slug> and English at
    /dates/<slug>; served with the calendar feed ([web] calendar = true)."""
    from web.public import PREFIXES, PublicWeb, build
    from web.public_forms import PublicMail

    mail = None
    if "email" in app.adapters and app.settings.web.public_url:
        # The e-mail forms (sign-up, newsletter): the confirm links need the public address.
        from bot.delivery.email_links import link_secret

        mail = PublicMail(link_secret(app.settings), app.settings.web.public_url)
    public = PublicWeb(
        app.sessions,
        app.clock.now,
        app.catalogs,
        links=lambda payload: sign_up_links(app, payload),
        mail=mail,
    )
    return {prefix: build(public, locale) for prefix, locale in PREFIXES.items()}


def sign_up_links(app: App, payload: str) -> list[tuple[str, str]]:
    """Each platform's link that opens the chat with the bot (with ``payload`` where the
    platform carries one), as (the app's name, address)."""
    found = ((a.display_name or a.platform, a.chat_link(payload)) for a in app.adapters.values())
    return [(name, link) for name, link in found if link]


async def calendar_feed(app: App, slug: str) -> bytes | None:
    """The community's calendar feed as .ics for the web server; None for an unknown slug."""
    async with app.sessions.begin() as session:
        # UIDs must never change, or subscribed apps would show every date twice; the
        # transaction keeps a deployment id made here (normally made at start already).
        return await dates_feed.feed(Work(session, app.clock.now()), slug, host="lotsenbot")
