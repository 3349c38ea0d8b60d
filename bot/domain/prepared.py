"""Hot-path statements run below SQLAlchemy's execution machinery (#22), in a use case's
transaction (``Work.session``).

A press runs a handful of small Core statements; through ``AsyncConnection.execute`` each
pays about 0.1 ms of SQLAlchemy's own work (cache key, execution context, result set-up,
the greenlet hop) for a statement SQLite answers in microseconds. A ``Prepared`` statement
is compiled once per dialect (SQL text, parameter order, the types' bind processors: dates
and JSON are stored exactly as SQLAlchemy stores them) and run on the session's own
connection, inside the session's transaction:

- SQLite through ``bot.infra.sqlite_inline`` (the bot's engine): directly on the driver's
  ``sqlite3`` connection, whose transaction SQLAlchemy began. A driver error becomes the
  exception SQLAlchemy would have raised (``IntegrityError`` with the statement, …), so
  callers and ``db_errors`` see the same thing.
- Any other connection (PostgreSQL/asyncpg): ``AsyncConnection.execute`` as before. The
  asyncpg adapter starts its transaction, prepares and caches statements and translates
  errors itself; running around it would change those rules for little gain there.

Only for statements whose every value is given (no Python-side column defaults to compute,
checked when compiled) and whose results are a row count, an inserted id or plain rows
(``fetch``, SQLite only: the caller keeps its SQLAlchemy query for the other databases;
``loaded`` puts what a row holds into the session as the ORM's loading would).
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql import Executable

Params = dict[str, Any]


@dataclass(slots=True)
class Ran:
    """What a prepared statement did: rows changed, and a single insert's new id."""

    rowcount: int
    inserted_id: Any = None


@dataclass(slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]  # values written into the statement (``.values(status="pending")``)
    processors: dict[str, Callable[[Any], Any]]
    # (result column, the type's result processor) where the driver's value needs one.
    processed: tuple[tuple[int, Callable[[Any], Any]], ...] = ()


class Prepared:
    """A Core statement compiled once per dialect. ``keys``: the columns an ``insert(table)``
    without ``.values()`` is given (its parameters' names)."""

    def __init__(self, statement: Executable, keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self._keys = list(keys) if keys is not None else None
        # Per dialect object (an engine's carries its JSON serializer), forgotten with it.
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect)
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self._keys)
            if compiled.insert_prefetch or compiled.update_prefetch:
                raise ValueError(f"{self.statement}: give every column a value")
            names = tuple(compiled.positiontup or ())
            fixed = {
                name: bind.value
                for name, bind in compiled.binds.items()
                if not bind.required and name in names
            }
            results = tuple(
                (at, process)
                for at, column in enumerate(compiled._result_columns)
                if (process := column.type._cached_result_processor(dialect, None)) is not None
            )
            found = _Compiled(
                compiled.string, names, fixed, dict(compiled._bind_processors), results
            )
            self._compiled[dialect] = found
        return found

    def _values(self, compiled: _Compiled, params: Params) -> tuple[Any, ...]:
        fixed, processors = compiled.fixed, compiled.processors
        values = []
        for name in compiled.names:
            value = params[name] if name in params else fixed[name]
            processor = processors.get(name)
            values.append(value if processor is None else processor(value))
        return tuple(values)


def _sqlite(connection: AsyncConnection) -> sqlite3.Connection | None:
    """The driver's sqlite3 connection behind ``connection``, if it is the inline one."""
    driver = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    # bot.infra.sqlite_inline.InlineConnection (the shared model imports no infrastructure).
    raw = getattr(driver, "sqlite", None)
    return raw if isinstance(raw, sqlite3.Connection) else None


async def run(
    connection: AsyncConnection, prepared: Prepared, params: Params | list[Params]
) -> Ran:
    """Run ``prepared`` with ``params`` (a list: once per item) in the connection's
    transaction."""
    raw = _sqlite(connection)
    if raw is None:
        result = await connection.execute(prepared.statement, params)
        key = (
            result.inserted_primary_key
            if isinstance(params, dict) and result.context.isinsert
            else None
        )
        return Ran(result.rowcount, key[0] if key else None)
    compiled = prepared._for(connection.dialect)
    cursor = raw.cursor()
    try:
        if isinstance(params, dict):
            values: Any = prepared._values(compiled, params)
            cursor.execute(compiled.sql, values)
        else:
            values = [prepared._values(compiled, item) for item in params]
            cursor.executemany(compiled.sql, values)
        return Ran(cursor.rowcount, cursor.lastrowid)
    except sqlite3.Error as error:
        raise sa_exc.DBAPIError.instance(
            compiled.sql, values, error, sqlite3.Error, dialect=connection.dialect
        ) from error
    finally:
        cursor.close()


async def fetch(
    connection: AsyncConnection, prepared: Prepared, params: Params
) -> list[tuple[Any, ...]] | None:
    """The rows of a prepared query, each value as SQLAlchemy would return it; None where
    the connection is not the inline SQLite one (the caller runs its SQLAlchemy query)."""
    raw = _sqlite(connection)
    if raw is None:
        return None
    compiled = prepared._for(connection.dialect)
    values = prepared._values(compiled, params)
    try:
        rows = raw.execute(compiled.sql, values).fetchall()
    except sqlite3.Error as error:
        raise sa_exc.DBAPIError.instance(
            compiled.sql, values, error, sqlite3.Error, dialect=connection.dialect
        ) from error
    processed = compiled.processed
    if not processed:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for at, process in processed:
            if values[at] is not None:
                values[at] = process(values[at])
        converted.append(tuple(values))
    return converted


def attributes(model: type) -> list[tuple[str, Any]]:
    """A mapped class's column attributes: (attribute name, column), in the mapper's order."""
    return [(prop.key, prop.columns[0]) for prop in inspect(model).column_attrs]


def settled(session: AsyncSession) -> bool:
    """Whether the unit of work has nothing to write: a query's autoflush would do nothing,
    so ``fetch`` reads what a query through the session would."""
    return not (session.new or session.dirty or session.deleted)


_mapped: dict[type, tuple[Any, tuple[str, ...]]] = {}


def _mapping(model: type) -> tuple[Any, tuple[str, ...]]:
    """The class's mapper and its primary key's attribute names."""
    mapper = inspect(model)
    primary = tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
    _mapped[model] = (mapper, primary)
    return _mapped[model]


def loaded(session: AsyncSession, model: type, values: dict[str, Any]) -> Any:
    """An instance of ``model`` with ``values`` (every column attribute), in the session as
    if a query had loaded it: persistent, unchanged, in the identity map; relationships
    load lazily as after a query. The steps of SQLAlchemy's own loading of a new row
    (``orm.loading._instance``); ``session.add`` would cost as much again (cascades,
    events). The session must not hold that row already."""
    mapper, primary = _mapped.get(model) or _mapping(model)
    instance = mapper.class_manager.new_instance()
    state = instance_state(instance)
    state.dict.update(values)
    key = mapper.identity_key_from_primary_key([values[name] for name in primary])
    state.key = key
    state.identity_token = None
    sync = session.sync_session
    state.session_id = sync.hash_key
    sync.identity_map._add_unpresent(state, key)
    return instance
