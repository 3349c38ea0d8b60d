"""The SQLite session factory: transactions commit or roll back, and never keep the one
connection across a turn of the event loop (other transactions would wait for it)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.db import create_engine, session_factory

INSERT = text(
    "INSERT INTO processed_events (platform, event_id, processed_at)"
    " VALUES ('test', :event, CURRENT_TIMESTAMP)"
)
COUNT = text("SELECT count(*) FROM processed_events WHERE platform = 'test'")


async def test_commit_hands_the_connection_back_at_once(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            await session.execute(INSERT, {"event": "1"})
        # No turn of the event loop in between: the next transaction can start at once.
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        async with sessions() as session:
            assert await session.scalar(COUNT) == 1
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_an_error_rolls_back_and_hands_the_connection_back(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    try:
        with pytest.raises(RuntimeError):
            async with sessions.begin() as session:
                await session.execute(INSERT, {"event": "1"})
                raise RuntimeError("the handler failed")
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        async with sessions.begin() as session:
            assert await session.scalar(COUNT) == 0
            await session.execute(INSERT, {"event": "1"})  # the same key is free again
        async with sessions() as session:
            assert await session.scalar(COUNT) == 1
    finally:
        await engine.dispose()


async def test_a_transaction_runs_without_handing_over_the_loop(sqlite_url: str) -> None:
    """SQLAlchemy's own session ends in tasks of its own: two turns of the loop per
    transaction with the connection checked out. Ours ends in the calling task."""
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    turns = 0

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    async with sessions() as session:  # the first connect may suspend; not measured
        await session.scalar(COUNT)
    spinner = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    try:
        before = turns
        for n in range(50):
            async with sessions.begin() as session:
                await session.execute(INSERT, {"event": str(n)})
            async with sessions() as session:
                assert await session.scalar(COUNT) == n + 1
        assert turns == before
    finally:
        spinner.cancel()
        await engine.dispose()
