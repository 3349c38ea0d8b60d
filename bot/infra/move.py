"""``lotsenbot move-to-postgres``: copy a stopped SQLite deployment into an empty PostgreSQL
database, the way Synapse's ``synapse_port_db`` does.

The target is migrated first (so it has exactly the schema this release expects), then
every table is copied in dependency order through the models' own column types, the
sequences are set past the copied ids, and the row counts of both sides are compared.
Everything lands in one transaction: a failed move leaves the target empty.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Integer, Table, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import Base
from bot.infra import migrate
from bot.infra.db import create_engine
from bot.infra.process_lock import AlreadyRunning, sqlite_lock

CHUNK = 1000


class MoveError(Exception):
    """The move cannot be done; the message is one line for the operator."""


def one_line(error: BaseException) -> str:
    """The driver's own words for a failure, first line only (never the URL's password:
    drivers do not repeat it)."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__


def target_url(url: str) -> str:
    """The target as SQLAlchemy's asyncpg URL (plain ``postgresql://`` is accepted too)."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    if not url.startswith("postgresql+asyncpg://"):
        raise MoveError("the target must be a PostgreSQL URL such as postgresql://user@host/db")
    return url


def move(source_url: str, target: str, say: Callable[[str], None] = print) -> dict[str, int]:
    """Copy the SQLite database at ``source_url`` into ``target``; returns rows per table."""
    import asyncio

    if make_url(source_url).get_backend_name() != "sqlite":
        raise MoveError("the configured database is not SQLite; nothing to move")
    database = Path(make_url(source_url).database or "")
    if not database.is_file():
        raise MoveError(f"{database}: database file not found")
    target = target_url(target)
    lock = sqlite_lock(source_url)
    try:
        if lock is not None:
            lock.acquire()  # held while copying: the bot cannot start meanwhile
    except AlreadyRunning as exc:
        raise MoveError(f"the bot is running: {exc}") from None
    try:
        # The bot would do the same at its next start.
        migrate.upgrade(source_url)
        asyncio.run(_refuse_foreign_tables(target))
        migrate.upgrade(target)
        return asyncio.run(_copy(source_url, target, say))
    finally:
        if lock is not None:
            lock.release()


async def _refuse_foreign_tables(target: str) -> None:
    engine = create_engine(target)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    except Exception as exc:  # refused, unknown host, wrong password, no such database
        raise MoveError(f"cannot reach the target database: {one_line(exc)}") from None
    finally:
        await engine.dispose()
    ours = set(Base.metadata.tables) | {"alembic_version"}
    foreign = sorted(set(names) - ours)
    if foreign:
        raise MoveError(f"the target database is not empty (it has the table {foreign[0]})")


async def _copy(source_url: str, target: str, say: Callable[[str], None]) -> dict[str, int]:
    tables = Base.metadata.sorted_tables
    source, destination = create_engine(source_url), create_engine(target)
    try:
        async with source.connect() as reader, destination.begin() as writer:
            for table in tables:
                if await _count(writer, table):
                    raise MoveError(f"the target database is not empty (table {table.name})")
            copied: dict[str, int] = {}
            for table in tables:
                copied[table.name] = await _copy_table(reader, writer, table)
                await _reset_sequence(writer, table)
            for table in tables:
                have = await _count(writer, table)
                if have != copied[table.name]:
                    raise MoveError(
                        f"{table.name}: {copied[table.name]} rows copied but {have} arrived"
                    )
                say(f"{table.name}: {have} rows")
            return copied
    finally:
        await source.dispose()
        await destination.dispose()


async def _count(connection: AsyncConnection, table: Table) -> int:
    return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


async def _copy_table(reader: AsyncConnection, writer: AsyncConnection, table: Table) -> int:
    total = 0
    order = list(table.primary_key.columns) or list(table.columns)
    result = await reader.stream(select(table).order_by(*order))
    async for rows in result.mappings().partitions(CHUNK):
        await writer.execute(table.insert(), [dict(row) for row in rows])
        total += len(rows)
    return total


async def _reset_sequence(writer: AsyncConnection, table: Table) -> None:
    """Set the id sequence past the copied ids (so new rows never collide with old ones)."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer):
        return
    column = keys[0].name
    sequence = await writer.scalar(
        text("SELECT pg_get_serial_sequence(:table, :column)"),
        {"table": table.name, "column": column},
    )
    if sequence is None:
        return
    await writer.execute(
        text(
            f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column}") FROM "{table.name}"), 0)'
            " + 1, false)"
        ),
        {"sequence": sequence},
    )
