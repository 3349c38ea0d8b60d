"""Runs what is due. The features say what that is: each registers its due work (rows
taken in batches: posts, reminders, help-request rounds) and its chores (done every round
or at most so often: making series dates ahead, retention) in the composition root; this
loop knows none of them.

The tables are the schedule. APScheduler only wakes this loop, at the next due time and
every few minutes besides; the loop then takes what is due in its own transaction and
writes the messages to the outbox there, so a crash sends a batch's messages once or not
at all. Nothing lives in APScheduler's job store, so a restart loses nothing: the loop
finds what fell due while the process was down (and sends it if still useful, see
``follow_up.run_job``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.work import Work
from bot.infra.clock import Clock

log = logging.getLogger(__name__)

# Wake at least this often, so a changed clock or a missed wake-up costs little.
MAX_SLEEP = timedelta(minutes=15)
BATCH = 20
# A failed round (the database away, say) is tried again this soon.
RETRY = timedelta(seconds=30)


@dataclass(frozen=True)
class DueWork:
    """Rows a feature has due: ``due`` takes up to ``batch`` of them (locking them on
    PostgreSQL, so another process skips them), ``run`` does one. Each batch is one
    transaction; batches follow, taking turns with the other due work, until one comes
    back short. ``next_due`` tells when the
    next row falls due, so the loop wakes then."""

    name: str
    due: Callable[[AsyncSession, datetime, int], Awaitable[Sequence[Any]]]
    run: Callable[[Work, Any], Awaitable[object]]
    next_due: Callable[[AsyncSession], Awaitable[datetime | None]] | None = None
    batch: int = BATCH
    # Its messages go out ahead of a backlog (``on_hurry``): a group's post, an offer of
    # help, not behind thousands of private reminders queued before them.
    hurry: bool = False


@dataclass(frozen=True)
class Chore:
    """Work a feature does in one transaction every round, or at most once per ``every``.
    ``run`` returns how many messages it queued (or None for none); ``next_due`` as for
    ``DueWork``."""

    name: str
    run: Callable[[Work], Awaitable[int | None]]
    every: timedelta = timedelta(0)
    next_due: Callable[[AsyncSession], Awaitable[datetime | None]] | None = None


Round = DueWork | Chore


class Scheduler:
    """Takes due work from the tables; one instance per process (one leader on PostgreSQL).

    ``rounds`` run in the order given, every time the loop wakes (the due work then
    takes turns, see ``run_due``)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        rounds: Iterable[Round] = (),
        on_queued: Callable[[], None] | None = None,
        leads: Callable[[], bool] = lambda: True,
        on_hurry: Callable[[AsyncSession], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._rounds = list(rounds)
        self._wake = asyncio.Event()
        self._on_queued = on_queued
        # Told the committed session of a ``hurry`` batch: its chats' messages go next.
        self._on_hurry = on_hurry
        # When each chore last ran, in memory: after a restart one extra pass costs little.
        self._done_at: dict[str, datetime] = {}
        self._alarm: AsyncIOScheduler | None = None
        # With several processes only the leader works through the tables.
        self._leads = leads
        # For /health, /metrics and /status: when the last round ended, how long the last
        # wake-up waited for its round, and why the last round failed (None: it did not).
        self.last_round_at: datetime | None = None
        self.lag_seconds = 0.0
        self.failing: str | None = None
        self._woken_at: datetime | None = None

    def wake(self) -> None:
        """Something was scheduled or changed: look again now."""
        if self._woken_at is None:
            self._woken_at = self._clock.now()
        self._wake.set()

    async def run(self) -> None:
        # A job that fires late still only wakes us (misfire_grace_time=None: never dropped).
        self._alarm = AsyncIOScheduler(timezone=UTC, job_defaults={"misfire_grace_time": None})
        self._alarm.add_job(self.wake, IntervalTrigger(seconds=MAX_SLEEP.total_seconds()))
        self._alarm.start()
        try:
            while True:
                self._wake.clear()
                woken, self._woken_at = self._woken_at, None
                try:
                    if self._leads():
                        if woken is not None:
                            self.lag_seconds = (self._clock.now() - woken).total_seconds()
                        await self.run_due()
                        await self._set_alarm()
                    self.failing = None
                except Exception as exc:
                    self.failing = type(exc).__name__
                    log.exception("scheduler round failed; trying again in %.0f s", RETRY.seconds)
                    # Soon, not only at the next wake-up: /health shows the failure until then.
                    at = datetime.now(UTC) + RETRY
                    self._alarm.add_job(
                        self.wake, DateTrigger(run_date=at), id="retry", replace_existing=True
                    )
                await self._wake.wait()
        finally:
            self._alarm.shutdown(wait=False)

    async def _set_alarm(self) -> None:
        """Ask APScheduler to wake us at the next due time in the tables."""
        async with self._sessions() as session:
            candidates = [
                await item.next_due(session) for item in self._rounds if item.next_due is not None
            ]
        due = min((c for c in candidates if c is not None), default=None)
        if due is None or self._alarm is None:
            return
        now = self._clock.now()
        at = datetime.now(UTC) + max(due - now, timedelta(milliseconds=50))
        self._alarm.add_job(self.wake, DateTrigger(run_date=at), id="next", replace_existing=True)

    async def run_due(self) -> int:
        """Do everything due now, in the registered order; returns how many rows were
        handled and messages chores queued.

        The chores run once. The due work takes turns, one batch each per pass (a
        ``hurry`` one all it has), until a pass finds no full batch: a long fan-out
        (20,000 reminders, a job at a time) does not hold back a post or a help request
        due at the same time or falling due meanwhile; each is taken within one batch of
        every other due work."""
        handled, more = await self._pass(self._rounds)
        works = [item for item in self._rounds if isinstance(item, DueWork)]
        while more:
            done, more = await self._pass(works)
            handled += done
        self.last_round_at = self._clock.now()
        return handled

    async def _pass(self, rounds: Iterable[Round]) -> tuple[int, bool]:
        """Each chore given, one batch of each due work (all of a ``hurry`` one: the few
        posts of a minute go out together); whether a batch was full (then another pass
        follows, taking every due work again: rows may have fallen due)."""
        handled, full = 0, False
        for item in rounds:
            if isinstance(item, Chore):
                handled += await self._chore(item)
                continue
            done = await self._batch(item)
            while item.hurry and done >= item.batch:
                handled += done
                done = await self._batch(item)
            handled += done
            full = full or done >= item.batch
        return handled, full

    async def run_chores(self, *names: str, force: bool = False) -> None:
        """Run the named chores now (when their time has come, or at once with ``force``)."""
        for item in self._rounds:
            if isinstance(item, Chore) and item.name in names:
                await self._chore(item, force=force)

    async def extend_series(self, force: bool = False) -> None:
        """Make the next months' dates of every active series (the "series" chore)."""
        await self.run_chores("series", force=force)

    async def housekeeping(self) -> None:
        """Chats of erased people go once their goodbye is out; retention once a day."""
        await self.run_chores("erased chats", "retention")

    async def _chore(self, chore: Chore, *, force: bool = False) -> int:
        now = self._clock.now()
        last = self._done_at.get(chore.name)
        if not force and last is not None and now - last < chore.every:
            return 0
        async with self._sessions.begin() as session:
            queued = await chore.run(Work(session, now)) or 0
        self._done_at[chore.name] = now
        if queued:
            self._queued()
        return queued

    async def _batch(self, work: DueWork) -> int:
        """One batch of ``work`` in one transaction; how many rows were done."""
        async with self._sessions.begin() as session:
            now = self._clock.now()
            batch = await work.due(session, now, work.batch)
            for row in batch:
                await work.run(Work(session, now), row)
        if batch and work.hurry and self._on_hurry is not None:
            self._on_hurry(session)
        elif batch:
            self._queued()
        return len(batch)

    def _queued(self) -> None:
        if self._on_queued is not None:
            self._on_queued()
