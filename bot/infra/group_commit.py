"""Group commit: the work of several incoming updates committed in one transaction.

Each update's work otherwise pays for its own transaction: a connection from the pool,
BEGIN, the session's set-up and clean-up, and the COMMIT that writes the changed pages. Under
load, updates wait for the one SQLite connection anyway; here the ones that are waiting are
taken together: one connection, one BEGIN and one COMMIT for the group, each update's work in
a session of its own joined to the group's transaction, in the order they arrived.

- Each caller returns only after the group's COMMIT: an update is confirmed to its platform
  (the webhook's 200, the getUpdates offset) only once its work is durable, so a crash
  before or during the commit loses nothing that was confirmed; the platform delivers it
  again and the processed-events record (written in the same transaction) keeps it once.
- One update's failure does not cost the others their work: the group's transaction is
  rolled back and every update of it runs again alone, in a transaction of its own, where
  a failure surfaces exactly as without grouping (the dispatcher's handling of repeats,
  too-long texts and bugs is unchanged) and the others commit as they would have. Chosen
  over a SAVEPOINT per update, which would keep the rest of a group when one fails: the
  two statements per update cost more than the commits grouping saves (CPU per press
  without network, 20 at a time: 2.26 ms with the replay, 2.85 ms with savepoints,
  3.49 ms without grouping; BENCHMARKS.md). Failures are rare: a repeat delivery, a bug.
- If the group's COMMIT itself fails, nothing of it was written: every update of it runs
  again alone.
- Order within a chat is the caller's business (the dispatcher holds the chat's lock until
  its update is committed); the group keeps the order of arrival.

Natural batching: no update waits for others when the connection is free; the group is
whatever queued while the previous one ran (at most ``max_group``). ``wait_s`` (default 0)
adds a short window before a group is taken; it trades latency for larger groups.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.infra import db_errors

log = logging.getLogger(__name__)

Work = Callable[[AsyncSession], Awaitable[Any]]


class _Again:
    """The work could not be done in the group: run it alone."""


AGAIN = _Again()


class GroupCommit:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker,
        *,
        max_group: int = 32,
        wait_s: float = 0.0,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._max_group = max(1, max_group)
        self._wait_s = wait_s
        self._queue: deque[tuple[Work, asyncio.Future[Any]]] = deque()
        self._drainer: asyncio.Task[None] | None = None
        self.groups = 0  # committed groups, for figures
        self.grouped = 0  # works committed in them
        self.failed = 0  # groups rolled back and run again one by one

    @property
    def waiting(self) -> int:
        """Updates queued for the next group (the sender leaves the connection to them)."""
        return len(self._queue)

    async def run(self, work: Work) -> Any:
        """Do ``work(session)`` and commit it, together with the others queued now; return
        its result once committed. Its error, if any, comes from running it alone."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="group-commit")
            self._drainer.add_done_callback(self._drained)
        result = await future
        if result is AGAIN:
            return await self.alone(work)
        return result

    async def alone(self, work: Work) -> Any:
        """``work`` in a transaction of its own (as without grouping)."""
        async with self._sessions.begin() as session:
            return await work(session)

    async def _drain(self) -> None:
        while self._queue:
            # Let the updates that are ready to be queued join this group.
            await asyncio.sleep(self._wait_s)
            group = []
            while self._queue and len(group) < self._max_group:
                work, future = self._queue.popleft()
                if not future.done():  # its caller gave up waiting
                    group.append((work, future))
            if group:
                try:
                    await self._commit(group)
                except BaseException:
                    # Cancelled (shutting down): whoever still waits runs alone.
                    for _work, future in group:
                        if not future.done():
                            future.set_result(AGAIN)
                    raise

    def _drained(self, task: asyncio.Task[None]) -> None:
        """The drainer ended: whatever it left queued runs alone.

        A done-callback, not a ``finally`` in ``_drain``: a task cancelled before its first
        step (shutting down right after an update queued) never runs its body, and its
        ``finally`` with it; the updates it was made for then waited for ever, and so did
        every later one, since a drainer seemed to be running. ``run`` starts a new drainer
        when the last one is done, so this leaves a newer drainer's queue alone.
        """
        if self._drainer is not task:
            return
        self._drainer = None
        while self._queue:
            _work, future = self._queue.popleft()
            if not future.done():
                future.set_result(AGAIN)

    async def _commit(self, group: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        results: list[Any] = []
        try:
            async with self._engine.connect() as connection, connection.begin():
                for work, _future in group:
                    results.append(await self._one(connection, work))
        except Exception as exc:
            # Nothing of the group was written: each runs again alone.
            log.info("a group of %d updates was not committed (%s)", len(group), _kind(exc))
            results = [AGAIN] * len(group)
            self.failed += 1
        else:
            self.groups += 1
            self.grouped += len(group)
        for (_work, future), result in zip(group, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _one(self, connection: Any, work: Work) -> Any:
        """One update's work in the group's transaction. Its failure rolls the whole group
        back (and ends it): then each update of the group runs again alone."""
        session = self._sessions(bind=connection, join_transaction_mode="rollback_only")
        try:
            async with session.begin():
                return await work(session)
        finally:
            await session.close()


def _kind(exc: BaseException) -> str:
    return db_errors.kind(exc)
