"""A clean stop leaves no outbox row "sending" (issue #22, found by helper f4).

A chat task's writes of its rows' state (handing them back at a stop, releasing them after
a failure) are never cut by the stop's cancel: cut inside the transaction, the rows stayed
marked sending, and with several processes nobody gives a live process's rows back.

The ordering is forced with PostgreSQL's locks (one connection per waiter), so this test runs
on PostgreSQL only. On SQLite the sender's statements run inline on the loop with a single
connection: a transaction that has the connection runs to its end without yielding, so the
cancel could only land while the hand-back waits for the connection, and the pool hands the
connection to its waiters first come, first served, so the loop cannot be made to reach its
stop in that moment without reaching into the pool. A stop during a claim, the other way
rows were left sending, is tested on both databases in tests/unit/test_outbox.py.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.bootstrap import App
from bot.chat.types import Delivery
from bot.infra.db import create_engine
from tests.unit.test_outbox import _queue, _statuses


@pytest.fixture
def db_url(postgres_cluster, postgres_template) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app of these tests runs on PostgreSQL (see the module's note)."""
    name = f"lotsenbot_t_{uuid.uuid4().hex[:16]}"
    url = postgres_cluster.create_database(name, template=postgres_template)
    try:
        yield url
    finally:
        postgres_cluster.drop_database(name)


@pytest.fixture
async def other(db_url: str) -> AsyncIterator[list[AsyncConnection]]:
    """Three connections of the test's own, besides the app's."""
    engine = create_engine(db_url)
    made = [await engine.connect() for _ in range(3)]
    yield made
    for conn in made:
        await conn.close()
    await engine.dispose()


async def _until(condition) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(30):
        while not await condition():  # noqa: ASYNC110 - a state elsewhere, polled
            await asyncio.sleep(0.01)


async def _waiting(watch: AsyncConnection, statement: str) -> int:
    """How many of the app's statements beginning so wait for a lock now."""
    query = sql(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND query ILIKE :start AND pid <> pg_backend_pid()"
    )
    count = int(await watch.scalar(query, {"start": f"{statement}%"}) or 0)
    await watch.rollback()  # the next look sees the server as it is then
    return count


async def test_a_stop_during_a_hand_back_leaves_the_rows_waiting(
    app: App, other: list[AsyncConnection], caplog: pytest.LogCaptureFixture
) -> None:
    adapter = app.adapters["console"]
    gate, holding = asyncio.Event(), asyncio.Event()

    async def hold_eins(delivery: Delivery) -> None:
        if delivery.dedup_key == "a:eins":
            holding.set()
            await gate.wait()

    adapter.during_send = hold_eins  # type: ignore[attr-defined]
    await _queue(app, "a", "eins", "zwei")
    caplog.set_level(logging.INFO, logger="bot.delivery.sender")
    running = asyncio.create_task(app.sender.run())
    chats, row, watch = other
    try:
        async with asyncio.timeout(30):
            await holding.wait()  # "eins" is being sent, "zwei" claimed behind it
        # The run loop's next claim waits for the chats table ...
        await chats.begin()
        await chats.execute(sql("LOCK TABLE chats IN ACCESS EXCLUSIVE MODE"))
        # ... and writing "zwei" waits for this row lock.
        await row.begin()
        await row.execute(sql("SELECT id FROM outbox WHERE dedup_key = 'a:zwei' FOR UPDATE"))
        app.sender.wake()
        await _until(lambda: _waiting(watch, "SELECT"))
        app.sender.stop()
        gate.set()  # "eins" goes out; then the task sees the stop and hands "zwei" back
        await _until(lambda: _waiting(watch, "UPDATE outbox"))
        await chats.commit()  # the loop ends while the hand-back waits for the row

        async def loop_ended() -> bool:
            return running.done() or "sender stops" in caplog.text

        await _until(loop_ended)
        await row.commit()
        async with asyncio.timeout(30):
            await asyncio.gather(running, return_exceptions=True)
    finally:
        for conn in other:
            await conn.rollback()
        gate.set()
        app.sender.stop()
        await asyncio.gather(running, return_exceptions=True)
    assert [s.text for s in adapter.to("a")] == ["eins"]  # type: ignore[attr-defined]
    assert await _statuses(app) == {"a:eins": "sent", "a:zwei": "pending"}
