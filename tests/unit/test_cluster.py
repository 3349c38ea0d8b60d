"""Several bot processes on one PostgreSQL database (issue #10): one leader with fail-over,
a dead process's messages given back (a live one's never), and outbox claims that never
hand the same message or the same chat to two processes at once."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy import text as sql

from bot.adapters.base import Adapter
from bot.chat.types import ChatRef, Delivery, Outgoing
from bot.delivery.outbox import enqueue
from bot.delivery.sender import Sender
from bot.domain import people
from bot.domain.models import BotProcess, OutboxMessage
from bot.infra import migrate
from bot.infra.clock import SystemClock
from bot.infra.cluster import PostgresProcesses
from bot.infra.db import create_engine, session_factory

HEARTBEAT = 0.2


@pytest.fixture
async def pg_url(postgres_url: str) -> str:
    await asyncio.to_thread(migrate.upgrade, postgres_url)
    return postgres_url


@pytest.fixture
async def clusters(pg_url: str) -> AsyncIterator[list[PostgresProcesses]]:
    made: list[PostgresProcesses] = []
    yield made
    for cluster in made:
        await cluster.stop()


def _cluster(url: str, made: list[PostgresProcesses]) -> PostgresProcesses:
    cluster = PostgresProcesses(url, heartbeat=HEARTBEAT)
    made.append(cluster)
    return cluster


async def _die(cluster: PostgresProcesses, url: str) -> None:
    """As a SIGKILL would: no goodbye, the connection just goes away. Returns once the
    server has ended that backend (and so freed its locks), which a loaded machine takes a
    moment to do after the socket closes."""
    assert cluster._task is not None
    cluster._task.cancel()
    await asyncio.gather(cluster._task, return_exceptions=True)
    backend = cluster._conn.get_server_pid()
    cluster._conn.terminate()
    cluster._conn = None
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            for _attempt in range(500):
                query = sql("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
                if not await conn.scalar(query, {"pid": backend}):
                    return
                await asyncio.sleep(0.02)
        raise AssertionError(f"backend {backend} still there")
    finally:
        await engine.dispose()


async def _process_rows(url: str) -> dict[int, tuple[bool, bool]]:
    """Process id -> (leader, stopped) as the table says."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.scalars(select(BotProcess))
            return {r.id: (r.leader, r.stopped_at is not None) for r in rows}
    finally:
        await engine.dispose()


async def test_one_leader_and_another_takes_over_when_it_dies(
    pg_url: str, clusters: list[PostgresProcesses]
) -> None:
    first, second = _cluster(pg_url, clusters), _cluster(pg_url, clusters)
    await first.start()
    await second.start()
    await first.tick()
    assert first.is_leader and not second.is_leader
    assert (first.size, second.size) == (2, 2)
    assert {first.rank, second.rank} == {0, 1}
    clusters.remove(first)
    await _die(first, pg_url)
    await second.tick()  # the next heartbeat: the leader lock is free now
    assert second.is_leader
    assert second.size == 1
    rows = await _process_rows(pg_url)
    assert rows[first.process_id] == (False, True)  # type: ignore[index]
    assert rows[second.process_id] == (True, False)  # type: ignore[index]


async def test_an_orderly_stop_hands_leadership_on(
    pg_url: str, clusters: list[PostgresProcesses]
) -> None:
    first, second = _cluster(pg_url, clusters), _cluster(pg_url, clusters)
    await first.start()
    await second.start()
    clusters.remove(first)
    await first.stop()
    assert not first.is_leader
    await second.tick()
    assert second.is_leader and second.size == 1


async def test_only_a_dead_processes_messages_in_flight_are_given_back(
    pg_url: str, clusters: list[PostgresProcesses]
) -> None:
    leader, alive, dead = (_cluster(pg_url, clusters) for _ in range(3))
    for cluster in (leader, alive, dead):
        await cluster.start()
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    try:
        async with sessions.begin() as session:
            chat = await people.get_or_create_chat(session, ChatRef("telegram", "7", "direct"), now)
            await session.flush()
            for key, owner in (("alive", alive), ("dead", dead)):
                row = await enqueue(session, chat, Outgoing(key), dedup_key=key, now=now)
                assert row is not None
                row.status, row.claimed_by = "sending", owner.process_id
        clusters.remove(dead)
        await _die(dead, pg_url)
        await leader.tick()
        async with sessions() as session:
            statuses = dict(
                (await session.execute(select(OutboxMessage.dedup_key, OutboxMessage.status))).all()
            )
        assert statuses == {"alive": "sending", "dead": "pending"}
    finally:
        await engine.dispose()


async def test_a_notify_wakes_the_other_process(
    pg_url: str, clusters: list[PostgresProcesses]
) -> None:
    first, second = _cluster(pg_url, clusters), _cluster(pg_url, clusters)
    heard: asyncio.Queue[str] = asyncio.Queue()
    second.on_notify = heard.put_nowait
    await first.start()
    await second.start()
    await first.tick()  # now it knows there is someone to wake
    first.notify("schedule")
    assert await asyncio.wait_for(heard.get(), timeout=10) == "schedule"


class _Recording(Adapter):
    """A platform that records every send and notices two sends to one chat at once."""

    platform = "telegram"

    def __init__(self, log: list[tuple[str, str]], busy: set[str], overlaps: list[str]) -> None:
        self.log, self.busy, self.overlaps = log, busy, overlaps
        self._ids = itertools.count(1)

    async def send(self, delivery: Delivery) -> str:
        chat = delivery.chat.external_id
        if chat in self.busy:
            self.overlaps.append(chat)
        self.busy.add(chat)
        await asyncio.sleep(random.uniform(0, 0.002))
        self.busy.discard(chat)
        self.log.append((chat, delivery.text))
        return str(next(self._ids))


@pytest.mark.parametrize("shared_out", [False, True], ids=["every-chat", "chats-shared-out"])
async def test_three_senders_send_every_message_once_and_in_order(
    pg_url: str, clusters: list[PostgresProcesses], shared_out: bool
) -> None:
    """Three processes' senders on one outbox: each message once, each chat in order, never
    two sends to one chat at once. Without sharing out, all try every chat (as in the
    moments when processes come and go), which only the chat locks keep apart; few chats
    with many messages each make the claims collide."""
    chats, per_chat = 8, 30
    now = datetime.now(UTC)
    engines = [create_engine(pg_url) for _ in range(3)]
    log: list[tuple[str, str]] = []
    busy: set[str] = set()
    overlaps: list[str] = []
    try:
        async with session_factory(engines[0]).begin() as session:
            for c in range(chats):
                chat = await people.get_or_create_chat(
                    session, ChatRef("telegram", f"c{c}", "direct"), now
                )
                await session.flush()
                for n in range(per_chat):
                    await enqueue(
                        session, chat, Outgoing(f"{n:02d}"), dedup_key=f"c{c}:{n}", now=now
                    )
        senders = []
        for engine in engines:
            cluster = _cluster(pg_url, clusters)
            await cluster.start()
            senders.append(
                Sender(
                    session_factory(engine),
                    {"telegram": _Recording(log, busy, overlaps)},
                    SystemClock(),
                    batch_size=7,
                    cluster=cluster,
                )
            )
        for cluster in clusters:
            await cluster.tick()
            if not shared_out:
                cluster.size, cluster.rank = 1, 0

        async def drain(sender: Sender) -> None:
            while True:
                if not await sender.send_due() and not await sender._has_due():
                    return

        await asyncio.wait_for(asyncio.gather(*(drain(s) for s in senders)), timeout=120)
        async with session_factory(engines[0])() as session:
            statuses = set(await session.scalars(select(OutboxMessage.status)))
            owners = set(await session.scalars(select(OutboxMessage.claimed_by)))
    finally:
        for engine in engines:
            await engine.dispose()
    received: dict[str, list[str]] = defaultdict(list)
    for chat, text in log:
        received[chat].append(text)
    expected = [f"{n:02d}" for n in range(per_chat)]
    assert len(log) == chats * per_chat
    assert all(received[f"c{c}"] == expected for c in range(chats))
    assert overlaps == []
    assert statuses == {"sent"}
    assert owners == {c.process_id for c in clusters}  # each did its part


async def test_a_process_on_its_own_gives_back_what_it_left_sending(pg_url: str) -> None:
    """A single process restarting after a crash: it leads at once and sends again what its
    dead predecessor had in flight."""
    engine = create_engine(pg_url)
    now = datetime.now(UTC)
    try:
        sessions = session_factory(engine)
        old = PostgresProcesses(pg_url, heartbeat=HEARTBEAT)
        await old.start()
        async with sessions.begin() as session:
            chat = await people.get_or_create_chat(session, ChatRef("telegram", "9", "direct"), now)
            await session.flush()
            await enqueue(session, chat, Outgoing("hallo"), dedup_key="k", now=now)
            await session.execute(
                update(OutboxMessage).values(status="sending", claimed_by=old.process_id)
            )
        await _die(old, pg_url)
        new = PostgresProcesses(pg_url, heartbeat=HEARTBEAT)
        await new.start()
        try:
            assert new.is_leader
            async with sessions() as session:
                assert await session.scalar(select(OutboxMessage.status)) == "pending"
        finally:
            await new.stop()
    finally:
        await engine.dispose()


async def test_a_leader_that_loses_its_connection_registers_again(
    pg_url: str, clusters: list[PostgresProcesses], caplog: pytest.LogCaptureFixture
) -> None:
    """Its locks went with the connection: it stops leading, registers again as a new
    process, and exactly one of the two leads afterwards; the old registration is buried."""
    first, second = _cluster(pg_url, clusters), _cluster(pg_url, clusters)
    await first.start()
    await second.start()
    assert first.is_leader
    old_id = first.process_id
    engine = create_engine(pg_url)
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(
                f"SELECT pg_terminate_backend({first._conn.get_server_pid()})"
            )
        for _ in range(100):  # its own heartbeat notices (every 0.2 s)
            if first.process_id != old_id:
                break
            await asyncio.sleep(0.05)
        assert first.process_id != old_id
        assert "lost the cluster connection" in caplog.text
        await second.tick()
        await first.tick()
        assert [first.is_leader, second.is_leader].count(True) == 1
        rows = await _process_rows(pg_url)
        assert rows[old_id][1] is True  # type: ignore[index]  # buried by whoever leads
    finally:
        await engine.dispose()
