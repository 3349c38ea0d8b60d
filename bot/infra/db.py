"""Engine and session factory; created by the composition root, never at import time."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from bot.infra import sqlite_inline
from bot.infra.column_limits import guard
from bot.infra.private_files import private_sqlite


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine with the settings each backend needs for concurrent use.

    ``hide_parameters``: a failing statement's error (and ``echo``) shows the SQL but never
    its parameters, which are names, phone numbers and help requests."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # Created 0600 before SQLite opens it (SQLite would create it 0644); its -wal and
            # -shm files take their mode from it.
            private_sqlite(Path(parsed.database))
        # One connection: writers queue in-process (FIFO, no busy-wait sleeps inside SQLite),
        # and its statements run inline on the loop (see bot/infra/sqlite_inline.py).
        engine = create_async_engine(
            url,
            echo=echo,
            # Failed statements are logged without their values (names, phone numbers).
            hide_parameters=True,
            async_creator=sqlite_inline.creator(parsed.database or ":memory:"),
            pool_size=1,
            max_overflow=0,
            pool_timeout=120,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
    )


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
    # SQLAlchemy's own session, also for the inline SQLite driver: its clean-up on leaving
    # a block runs in a task of its own, which yields to the loop. Ending sessions in the
    # calling task instead (tried) made every dispatch run to its commit without a pause
    # and delayed the callback answers queued behind it (BENCHMARKS.md, "Telegram button
    # presses").
    guard(CheckedSession)
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=CheckedSession)


class CheckedSession(Session):
    """Every flush checks text lengths against the columns (``bot.infra.column_limits``)."""
