"""Engine and session factory; created by the composition root, never at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot import sqlite_inline


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine with the settings each backend needs for concurrent use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection: writers queue in-process (FIFO, no busy-wait sleeps inside SQLite),
        # and its statements run inline on the loop (see bot/sqlite_inline.py).
        engine = create_async_engine(
            url,
            echo=echo,
            async_creator=sqlite_inline.creator(parsed.database or ":memory:"),
            pool_size=1,
            max_overflow=0,
            pool_timeout=120,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the sender read while a handler writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy, not the driver, emit BEGIN (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection) -> None:  # type: ignore[no-untyped-def]
    # Taking the write lock at BEGIN avoids SQLITE_BUSY when two transactions that read
    # first both try to write later (WAL snapshots cannot be upgraded); waiting is cheap here.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    if engine.dialect.name == "sqlite":
        return InlineSessions(engine, class_=InlineSession, expire_on_commit=False)
    return async_sessionmaker(engine, expire_on_commit=False)


# SQLAlchemy ends ``async with`` blocks of sessions in tasks of their own (commit, then
# close), so that a cancellation arriving meanwhile cannot abandon the clean-up halfway. With
# the inline SQLite driver nothing in a commit or close ever suspends, so nothing can arrive
# meanwhile; the tasks only cost turns of the event loop, during which the one connection
# stays checked out and every other transaction waits. Under load (200 button presses a
# second) that wait, not SQLite, was what held handlers up (BENCHMARKS.md, "Telegram button
# presses"). PostgreSQL keeps SQLAlchemy's own behaviour: its statements do suspend.


class InlineSession(AsyncSession):
    """An AsyncSession that closes in the calling task (SQLite inline driver only)."""

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.close()


class _InlineTransaction:
    """``sessions.begin()``: commit (or roll back) and close in the calling task."""

    __slots__ = ("session", "transaction")

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def __aenter__(self) -> AsyncSession:
        self.transaction = self.session.begin()
        await self.transaction.__aenter__()
        return self.session

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        try:
            await self.transaction.__aexit__(type_, value, traceback)
        finally:
            await self.session.close()


class InlineSessions(async_sessionmaker):
    """The session factory for SQLite: ``begin()`` ends without tasks of its own."""

    def begin(self) -> Any:  # the same use as async_sessionmaker.begin()
        return _InlineTransaction(self())
