"""Runs what is due: scheduled announcements, reminders and what follows a date, and making
series dates ahead.

The tables are the schedule. APScheduler only wakes this loop, at the next due time and
every few minutes besides; the loop then takes what is due in its own transaction and
writes the messages to the outbox there, so a crash sends a job's messages once or not at
all. Nothing lives in APScheduler's job store, so a restart loses nothing: the loop finds
what fell due while the process was down (and sends it if still useful, see
``follow_up.run_job``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.certificates import document as certificate
from bot.chat.types import Outgoing
from bot.dates import announcements, rsvps, series
from bot.dates.notices import post_event, tell_groups
from bot.domain.models import Announcement, Community, Event, EventPost, Series
from bot.helping import offers as helping
from bot.helping import requests as help_requests
from bot.infra.clock import Clock
from bot.privacy import rights as privacy
from bot.reminders import jobs
from bot.reminders.follow_up import run_job

log = logging.getLogger(__name__)

# Wake at least this often, so a changed clock or a missed wake-up costs little.
MAX_SLEEP = timedelta(minutes=15)
EXTEND_EVERY = timedelta(hours=12)
RETAIN_EVERY = timedelta(hours=24)
# The post the day before is left out when the date was posted this recently anyway.
AGAIN_NOT_WITHIN = timedelta(hours=12)
BATCH = 20


class Scheduler:
    """Takes due work from the tables; one instance per process (one leader on PostgreSQL)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        on_queued: Callable[[], None] | None = None,
        policy: jobs.Policy | None = None,
        retention: privacy.Retention | None = None,
        leads: Callable[[], bool] = lambda: True,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._wake = asyncio.Event()
        self._on_queued = on_queued
        self._policy = policy or jobs.Policy()
        self._extended_at: datetime | None = None
        self._retention = retention or privacy.Retention()
        self._retained_at: datetime | None = None
        self._alarm: AsyncIOScheduler | None = None
        # With several processes only the leader works through the tables.
        self._leads = leads

    def wake(self) -> None:
        """Something was scheduled or changed: look again now."""
        self._wake.set()

    async def run(self) -> None:
        # A job that fires late still only wakes us (misfire_grace_time=None: never dropped).
        self._alarm = AsyncIOScheduler(timezone=UTC, job_defaults={"misfire_grace_time": None})
        self._alarm.add_job(self.wake, IntervalTrigger(seconds=MAX_SLEEP.total_seconds()))
        self._alarm.start()
        try:
            while True:
                self._wake.clear()
                try:
                    if self._leads():
                        await self.run_due()
                        await self._set_alarm()
                except Exception:
                    log.exception("scheduler round failed; trying again at the next wake-up")
                await self._wake.wait()
        finally:
            self._alarm.shutdown(wait=False)

    async def _set_alarm(self) -> None:
        """Ask APScheduler to wake us at the next due time in the tables."""
        async with self._sessions() as session:
            candidates = [
                await announcements.next_due(session),
                await jobs.next_due(session),
                await help_requests.next_step(session),
                await helping.next_meeting_reminder(session),
            ]
        due = min((c for c in candidates if c is not None), default=None)
        if due is None or self._alarm is None:
            return
        now = self._clock.now()
        at = datetime.now(UTC) + max(due - now, timedelta(milliseconds=50))
        self._alarm.add_job(self.wake, DateTrigger(run_date=at), id="next", replace_existing=True)

    async def run_due(self) -> int:
        """Do everything due now; returns how many announcements and jobs were handled."""
        await self.extend_series()
        await self.housekeeping()
        handled = 0
        while True:
            async with self._sessions.begin() as session:
                now = self._clock.now()
                batch = await announcements.due(session, now, limit=BATCH)
                for announcement in batch:
                    await self._post(session, announcement, now)
            handled += len(batch)
            if batch and self._on_queued is not None:
                self._on_queued()
            if len(batch) < BATCH:
                break
        while True:
            async with self._sessions.begin() as session:
                now = self._clock.now()
                steps = await help_requests.due_steps(session, now)
                for request in steps:
                    await helping.step(session, request, self._policy, now)
                met = await helping.meeting_reminders(session, now)
            if steps or met:
                handled += len(steps) + met
                if self._on_queued is not None:
                    self._on_queued()
            if len(steps) < BATCH:
                break
        async with self._sessions.begin() as session:
            # In December, once a year: staff hear that certificates can be made.
            if await certificate.yearly_reminder(session, self._clock.now()):
                if self._on_queued is not None:
                    self._on_queued()
        while True:
            # One job per transaction: a reminder may fan out to many people.
            async with self._sessions.begin() as session:
                now = self._clock.now()
                due = await jobs.due(session, now, limit=1)
                for job in due:
                    await run_job(session, job, self._policy, now)
            if not due:
                return handled
            handled += 1
            if self._on_queued is not None:
                self._on_queued()

    async def housekeeping(self) -> None:
        """Chats of erased people go once their goodbye is out; retention once a day."""
        async with self._sessions.begin() as session:
            now = self._clock.now()
            await privacy.purge_erased_chats(session)
            if self._retained_at is None or now - self._retained_at >= RETAIN_EVERY:
                await privacy.apply_retention(session, self._retention, now)
                self._retained_at = now

    async def extend_series(self, force: bool = False) -> None:
        """Make the next months' dates of every active series (twice a day is plenty).

        Kept in memory: after a restart one extra pass costs little, as it is idempotent.
        """
        now = self._clock.now()
        if not force and self._extended_at and now - self._extended_at < EXTEND_EVERY:
            return
        async with self._sessions.begin() as session:
            rows = (
                await session.execute(
                    select(Series, Community)
                    .join(Community, Community.id == Series.community_id)
                    .where(Series.status == "active", Series.starts_at.is_not(None))
                )
            ).all()
            for item, community in rows:
                await series.extend(session, item, community, now, policy=self._policy)
        self._extended_at = now

    async def _post(self, session: AsyncSession, announcement: Announcement, now: datetime) -> None:
        community = await session.get(Community, announcement.community_id)
        if community is None:
            announcement.status = announcements.CANCELLED
            return
        if announcement.kind == announcements.TEXT:
            key = f"ann:{announcement.id}:{announcement.due_at.isoformat()}"
            text = announcement.text
            await tell_groups(
                session,
                community,
                lambda _prefix: Outgoing(text),
                key,
                now,
                chat_ids=announcement.chat_ids,
            )
            following = announcements.following(announcement, community.timezone, now)
            if following is not None:
                announcement.due_at = following
            else:
                announcement.status = announcements.DONE
            return
        announcement.status = announcements.DONE
        event = await session.get(Event, announcement.event_id) if announcement.event_id else None
        if event is None or not _worth_posting(event, now):
            return
        if announcement.kind == announcements.EVENT_AGAIN:
            taken = await rsvps.seats_taken(session, event.id)
            if event.capacity is not None and taken >= event.capacity:
                return  # full: a second post would only disappoint
            if await _posted_since(session, event.id, now - AGAIN_NOT_WITHIN):
                return  # e.g. created late, so the first post went out just now
        await post_event(session, event, community, f"ann:{announcement.id}", now)


async def _posted_since(session: AsyncSession, event_id: int, since: datetime) -> bool:
    found = await session.scalar(
        select(EventPost.id)
        .where(EventPost.event_id == event_id, EventPost.created_at >= since)
        .limit(1)
    )
    return found is not None


def _worth_posting(event: Event, now: datetime) -> bool:
    """No post for a date that is over, called off or closed for sign-up."""
    return rsvps.open_for_sign_up(event, now) is None
