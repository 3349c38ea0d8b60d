"""Several bot processes on one PostgreSQL database: who is alive, who leads, waking others.

Every process registers a row in ``bot_processes`` and holds a session advisory lock on its
id for as long as its database connection lives; when the process dies, PostgreSQL drops
the connection and with it the lock. One process also holds the leader lock. The leader
runs the schedule (reminders, announcements, housekeeping), receives from Telegram by long
polling and runs Matrix; every process handles Telegram webhooks and sends Telegram
messages for its share of the chats. The leader notices a dead process by taking its lock
and gives that process's messages in flight back to the outbox; when the leader itself
dies, another process gets the leader lock at its next heartbeat.

Processes wake each other with LISTEN/NOTIFY: a message queued by one process for a chat
another one sends to, or a schedule changed outside the leader.

With SQLite there is one process, and it leads (``SoloProcess``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

# Advisory lock keys, in the two-int form (class, object); "Lots" in ASCII as the class.
LOCK_CLASS = 0x4C6F7473
LEADER = (LOCK_CLASS, 0)
MIGRATION = (LOCK_CLASS, 1)
PREPARE = (LOCK_CLASS, 2)  # first-run data at start-up
PROCESS_CLASS = LOCK_CLASS + 1  # (PROCESS_CLASS, bot_processes.id): held while alive
CHAT_CLASS = LOCK_CLASS + 2  # (CHAT_CLASS, chats.id): held while claiming a chat's messages
CHANNEL = "lotsenbot"
OUTBOX, SCHEDULE = "outbox", "schedule"
# "hurry:<platform>:<chat id>": an answer for that chat was queued; its sender sends it next.
HURRY = "hurry:"
# The outbox statuses of bot.delivery.sender (which imports this module).
PENDING, SENDING = "pending", "sending"


class SoloProcess:
    """One process alone on its database (SQLite): it always leads."""

    distributed = False
    process_id: int | None = None
    is_leader = True
    size = 1
    rank = 0

    def __init__(self) -> None:
        self.changed = asyncio.Event()
        self.on_notify: Callable[[str], None] = lambda _topic: None

    async def start(self) -> None:
        """Nothing to register."""

    async def stop(self) -> None:
        """Nothing to release."""

    def notify(self, topic: str) -> None:
        """No other process to wake."""

    def describe(self) -> dict[str, Any]:
        return {"process": None, "leader": True, "processes": 1}


class PostgresProcesses:
    """This process among others on one PostgreSQL database."""

    distributed = True

    def __init__(
        self,
        url: str,
        *,
        heartbeat: float = 2.0,
    ) -> None:
        parsed = make_url(url)
        # asyncpg itself: one connection of our own that lives as long as the process,
        # outside SQLAlchemy's pool (a pooled connection could be recycled, taking the
        # locks with it).
        self._dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self._heartbeat = heartbeat
        # What a NOTIFY from another process (or a buried one's messages) should wake.
        self.on_notify: Callable[[str], None] = lambda _topic: None
        self._conn: Any = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection
        self._task: asyncio.Task[None] | None = None
        self._notifying: asyncio.Task[None] | None = None
        self._pending: set[str] = set()
        self.changed = asyncio.Event()
        self.process_id: int | None = None
        self.is_leader = False
        self.size = 1
        self.rank = 0

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Register, then look once: a process alone on the database leads at once."""
        await self._connect()
        await self.tick()
        self._task = asyncio.create_task(self._beat(), name="cluster-heartbeat")

    async def stop(self) -> None:
        """Say goodbye: the row is marked stopped and the locks are given up."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._notifying is not None:
            await asyncio.gather(self._notifying, return_exceptions=True)
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            async with self._lock:
                await conn.execute(
                    "UPDATE bot_processes SET stopped_at = now(), leader = false WHERE id = $1",
                    self.process_id,
                )
        except Exception as exc:
            log.warning("could not mark process %s stopped: %r", self.process_id, exc)
        finally:
            await conn.close(timeout=5)
        self._set_leader(False)

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self._dsn, timeout=self._heartbeat * 5)
        async with conn.transaction():
            # Inserted and locked in one transaction: nobody sees the row before its lock is
            # held, so the leader cannot take a starting process for a dead one.
            process_id = await conn.fetchval(
                "INSERT INTO bot_processes (host, pid, started_at, seen_at, leader)"
                " VALUES ($1, $2, now(), now(), false) RETURNING id",
                socket.gethostname()[:255],
                os.getpid(),
            )
            await conn.execute("SELECT pg_advisory_lock($1, $2)", PROCESS_CLASS, process_id)
        await conn.add_listener(CHANNEL, self._heard)
        self._conn = conn
        self.process_id = int(process_id)
        log.info("registered as bot process %s", self.process_id)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                # A database that stopped answering must not leave us leading: another
                # process may already hold the lock our dead connection held.
                async with asyncio.timeout(self._heartbeat * 5):
                    await self.tick()
            except Exception as exc:
                await self._connection_lost(exc)

    async def _connection_lost(self, exc: BaseException) -> None:
        """Without our connection the locks are gone: stop leading at once, then register
        again (as a new process: the old one may be cleaned up meanwhile)."""
        log.error("lost the cluster connection: %r", exc)
        self._set_leader(False)
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()
        try:
            await self._connect()
        except Exception as again:
            log.warning("cannot register again yet: %r", again)

    # -- the heartbeat -------------------------------------------------------------------

    async def tick(self) -> None:
        """Say we are alive, try to lead, and as leader clean up after dead processes."""
        if self._conn is None:
            await self._connect()
        async with self._lock:
            conn = self._conn
            await conn.execute(
                "UPDATE bot_processes SET seen_at = now() WHERE id = $1", self.process_id
            )
            if not self.is_leader:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", *LEADER):
                    await conn.execute(
                        "UPDATE bot_processes SET leader = (id = $1) WHERE leader OR id = $1",
                        self.process_id,
                    )
                    log.info("process %s is now the leader", self.process_id)
                    self._set_leader(True)
            if self.is_leader:
                await self._bury_the_dead(conn)
            rows = await conn.fetch(
                "SELECT id FROM bot_processes WHERE stopped_at IS NULL"
                " AND seen_at > now() - make_interval(secs => $1) ORDER BY id",
                self._heartbeat * 3,
            )
        alive = [int(row["id"]) for row in rows]
        if self.process_id not in alive:  # a slow heartbeat: count ourselves anyway
            alive = sorted([*alive, self.process_id])  # type: ignore[list-item]
        size, rank = len(alive), alive.index(self.process_id)  # type: ignore[arg-type]
        if (size, rank) != (self.size, self.rank):
            log.info("%d bot processes; this one is number %d", size, rank + 1)
            self.size, self.rank = size, rank
            self.changed.set()

    async def _bury_the_dead(self, conn: Any) -> None:
        """Processes whose lock is free are gone: their messages in flight go back to the
        outbox (Matrix shows a repeat once; on Telegram at most the one in flight repeats)."""
        others = await conn.fetch(
            "SELECT id FROM bot_processes WHERE stopped_at IS NULL AND id <> $1",
            self.process_id,
        )
        owners = await conn.fetch(
            "SELECT DISTINCT claimed_by FROM outbox WHERE status = $1"
            " AND (claimed_by IS NULL OR claimed_by <> $2)",
            SENDING,
            self.process_id,
        )
        suspects = {int(r["id"]) for r in others} | {
            int(r["claimed_by"]) for r in owners if r["claimed_by"] is not None
        }
        buried = False
        for process_id in sorted(suspects):
            if not await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", PROCESS_CLASS, process_id
            ):
                continue  # alive
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", PROCESS_CLASS, process_id)
            given_back = await conn.execute(
                "UPDATE outbox SET status = $1, claimed_by = NULL"
                " WHERE status = $2 AND claimed_by = $3",
                PENDING,
                SENDING,
                process_id,
            )
            await conn.execute(
                "UPDATE bot_processes SET stopped_at = now(), leader = false"
                " WHERE id = $1 AND stopped_at IS NULL",
                process_id,
            )
            log.warning(
                "bot process %s is gone; its messages in flight are queued again (%s)",
                process_id,
                given_back,
            )
            buried = True
        # Gone for a week: no longer of interest for monitoring.
        await conn.execute("DELETE FROM bot_processes WHERE stopped_at < now() - interval '7 days'")
        if any(r["claimed_by"] is None for r in owners):
            # Marked sending before processes were tracked (an upgrade): nobody owns them.
            await conn.execute(
                "UPDATE outbox SET status = $1 WHERE status = $2 AND claimed_by IS NULL",
                PENDING,
                SENDING,
            )
        if buried:
            self.on_notify(OUTBOX)  # our own sender
            self.notify(OUTBOX)  # and the others

    def _set_leader(self, leader: bool) -> None:
        if leader != self.is_leader:
            self.is_leader = leader
            self.changed.set()

    # -- waking other processes ----------------------------------------------------------

    def notify(self, topic: str) -> None:
        """Tell the other processes (at most one NOTIFY under way; topics are merged)."""
        if self.size <= 1 or self._conn is None:
            return
        self._pending.add(topic)
        if self._notifying is None or self._notifying.done():
            self._notifying = asyncio.create_task(self._send_notifications())

    async def _send_notifications(self) -> None:
        while self._pending and self._conn is not None:
            topics, self._pending = self._pending, set()
            try:
                async with self._lock:
                    for topic in sorted(topics):
                        await self._conn.execute("SELECT pg_notify($1, $2)", CHANNEL, topic)
            except Exception as exc:  # the heartbeat notices a lost connection
                log.warning("NOTIFY failed: %r", exc)
                return

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.on_notify(payload)

    def describe(self) -> dict[str, Any]:
        return {"process": self.process_id, "leader": self.is_leader, "processes": self.size}


Cluster = SoloProcess | PostgresProcesses


def make_cluster(url: str, *, heartbeat: float) -> Cluster:
    """PostgreSQL allows several processes; SQLite one."""
    if make_url(url).get_backend_name() == "postgresql":
        return PostgresProcesses(url, heartbeat=heartbeat)
    return SoloProcess()
