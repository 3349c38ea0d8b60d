"""Watching a running bot: one look at its parts (``look``) for GET /health, GET /metrics
and an admin's /status in chat, and the Prometheus counters the process keeps (``Metrics``).

What is looked at: the database (one cheap query, the outbox's due messages), each
platform's receiving (Telegram's getUpdates, Matrix's sync), the scheduler (its last round,
how long a wake-up waited for its round) and the outbox (messages waiting, and how long the
oldest due one has waited). Nothing here changes anything.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.receiving import short_reason
from bot.chat.types import Incoming
from bot.domain.models import OutboxMessage
from bot.domain.work import Work

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)

# Handler latency buckets (seconds): a dispatch is one transaction, usually a few ms.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class PlatformLook:
    name: str
    state: str  # running, stopped (another process receives), starting, retrying: …
    healthy: bool
    # Seconds since the platform last answered a receive request; None: not yet.
    last_ok_seconds: float | None


@dataclass(frozen=True)
class Look:
    """The bot's parts at one moment; ``problems`` is empty when all is well."""

    database: bool
    platforms: list[PlatformLook]
    leads: bool
    scheduler_last_round_seconds: float | None
    scheduler_lag_seconds: float
    scheduler_failing: str | None
    due_messages: int
    pending_messages: int
    oldest_due_seconds: float
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


async def look(app: App, work: Work | None = None) -> Look:
    """Look at every part once (the database with one query: in ``work``'s session when
    given, as in a chat command, whose transaction holds SQLite's only connection)."""
    now = app.clock.now()
    wall = time.time()
    platforms = [
        PlatformLook(
            name,
            status.state,
            status.healthy,
            None if status.last_ok is None else round(max(0.0, wall - status.last_ok), 1),
        )
        for name, status in sorted(app.receiving.items())
    ]
    problems: list[str] = []
    database, due, pending, waited = True, 0, 0, 0.0
    try:
        if work is not None:
            row = await _outbox(work.session, now)
        else:
            async with app.sessions() as session:
                row = await _outbox(session, now)
        due, pending = int(row[0]), int(row[2])
        waited = (now - row[1]).total_seconds() if row[1] is not None else 0.0
    except Exception as exc:
        log.warning("health check: database unavailable: %s", short_reason(exc))
        database = False
        problems.append("database unavailable")
    deaf = [p.name for p in platforms if not p.healthy]
    if deaf:
        problems.append(f"not receiving: {', '.join(deaf)}")
    if database and waited > app.settings.web.health_max_delay_seconds:
        problems.append("delivery stuck")
    scheduler = app.scheduler
    leads = app.cluster.is_leader
    if leads and scheduler.failing is not None:
        problems.append("scheduler failing")
    last = scheduler.last_round_at
    return Look(
        database=database,
        platforms=platforms,
        leads=leads,
        scheduler_last_round_seconds=None if last is None else (now - last).total_seconds(),
        scheduler_lag_seconds=scheduler.lag_seconds,
        scheduler_failing=scheduler.failing,
        due_messages=due,
        pending_messages=pending,
        oldest_due_seconds=round(waited, 1),
        problems=problems,
    )


async def _outbox(session: AsyncSession, now: datetime) -> Row[Any]:
    """Messages due now, the oldest due time, and all messages waiting."""
    due_now = (OutboxMessage.status == "pending") & (OutboxMessage.due_at <= now)
    query = select(
        func.count(OutboxMessage.id).filter(due_now),
        func.min(OutboxMessage.due_at).filter(due_now),
        func.count(OutboxMessage.id),
    ).where(OutboxMessage.status == "pending")
    return (await session.execute(query)).one()


async def health(app: App) -> tuple[int, dict[str, object]]:
    """For monitoring (GET /health): 200 when the database answers, every platform that
    should receive here does, the scheduler's last round worked and no due message waits
    too long; else 503, with the first problem as ``status``."""
    seen = await look(app)
    body: dict[str, object] = {
        "status": seen.problems[0] if seen.problems else "ok",
        **app.cluster.describe(),
        "platforms": sorted(app.running),
        "receiving": {p.name: p.state for p in seen.platforms},
        "last_received_seconds": {p.name: p.last_ok_seconds for p in seen.platforms},
        "database": "ok" if seen.database else "unavailable",
        "scheduler": {
            "leads": seen.leads,
            "last_round_seconds": seen.scheduler_last_round_seconds,
            "lag_seconds": round(seen.scheduler_lag_seconds, 3),
            "failing": seen.scheduler_failing,
        },
    }
    if seen.database:
        body.update(
            due_messages=seen.due_messages,
            oldest_due_seconds=seen.oldest_due_seconds,
            pending_messages=seen.pending_messages,
        )
    return (200 if seen.healthy else 503), body


def update_kind(incoming: Incoming) -> str:
    """What a person did, for the metrics: a button press, a reaction, a join, a message."""
    if incoming.button_key is not None:
        return "press"
    if incoming.reaction is not None:
        return "reaction"
    if incoming.joined or incoming.member_joined:
        return "join"
    return "message"


class Metrics:
    """The counters of one App in their own registry (nothing global, nothing at import)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "lotsenbot_updates_handled",
            "Updates (messages, presses, reactions, joins) handled, by platform and kind",
            ["platform", "kind"],
            registry=registry,
        )
        self.latency = Histogram(
            "lotsenbot_handler_seconds",
            "Time to handle one update, answer committed to the outbox",
            ["platform"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.sent = Counter(
            "lotsenbot_messages_sent", "Messages sent, by platform", ["platform"], registry=registry
        )
        self.failed = Counter(
            "lotsenbot_messages_failed",
            "Send attempts that failed (retried or given up), by platform",
            ["platform"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "lotsenbot_rate_limited",
            "Sends the platform refused with 429 (too many requests), by platform",
            ["platform"],
            registry=registry,
        )
        self.up = Gauge("lotsenbot_database_up", "1 when the database answers", registry=registry)
        self.receiving = Gauge(
            "lotsenbot_platform_receiving",
            "1 when the platform receives here or need not (another process does)",
            ["platform"],
            registry=registry,
        )
        self.due = Gauge(
            "lotsenbot_outbox_due_messages", "Messages due and not sent yet", registry=registry
        )
        self.pending = Gauge(
            "lotsenbot_outbox_pending_messages",
            "Messages waiting in the outbox, due or later",
            registry=registry,
        )
        self.oldest = Gauge(
            "lotsenbot_outbox_oldest_due_seconds",
            "How long the oldest due message has waited",
            registry=registry,
        )
        self.lag = Gauge(
            "lotsenbot_scheduler_lag_seconds",
            "How long the scheduler's last wake-up waited for its round",
            registry=registry,
        )

    def handled(self, incoming: Incoming, seconds: float) -> None:
        platform = incoming.chat.platform
        self.updates.labels(platform, update_kind(incoming)).inc()
        self.latency.labels(platform).observe(seconds)

    def send_outcome(self, platform: str, outcome: str) -> None:
        """The sender's report of one send: "sent", "failed" or "rate_limited"."""
        counter = {"sent": self.sent, "failed": self.failed}.get(outcome, self.rate_limited)
        counter.labels(platform).inc()

    async def exposition(self, app: App) -> bytes:
        """The Prometheus text format, with the gauges read now."""
        seen = await look(app)
        self.up.set(1 if seen.database else 0)
        for platform in seen.platforms:
            self.receiving.labels(platform.name).set(1 if platform.healthy else 0)
        self.due.set(seen.due_messages)
        self.pending.set(seen.pending_messages)
        self.oldest.set(seen.oldest_due_seconds)
        self.lag.set(seen.scheduler_lag_seconds)
        return generate_latest(self.registry)
