"""Which failures are worth trying again, and how to name one without the data in it.

A transient failure (the database went away, a deadlock, a serialization conflict, a lock
wait that timed out, a busy SQLite file) may succeed when the platform delivers the update
again. Anything else (a value the database refuses, a bug) fails the same way every time:
retrying it would block the chat, and with Telegram's offset every chat, for good.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from sqlalchemy import exc as sa_exc

# PostgreSQL SQLSTATEs that may pass on a second try: the whole class 08 (connection),
# 40001 serialization failure, 40P01 deadlock, 55P03 lock not available, 57014 statement
# or lock timeout, 57P01-57P05 shutdown and restart, 53 insufficient resources, 58 I/O.
_TRANSIENT_CLASSES = ("08", "53", "58")
_TRANSIENT_STATES = {"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "57P05"}
# SQLite's primary result codes that mean "not now", not "never".
_TRANSIENT_SQLITE = {
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_IOERR",
    "SQLITE_FULL",
    "SQLITE_CANTOPEN",
    "SQLITE_PROTOCOL",
    "SQLITE_NOMEM",
}


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what SQLAlchemy wrapped (``orig``) and what caused each, once each."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]


def sqlstate(error: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of the error, if it has one."""
    for current in _chain(error):
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(code, str) and code:
            return code
    return None


def _sqlite_code(error: BaseException) -> str | None:
    for current in _chain(error):
        name = getattr(current, "sqlite_errorname", None)
        if isinstance(name, str) and name:
            return name
    return None


def is_transient(error: BaseException) -> bool:
    """True when the same work may succeed if tried again."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True  # the pool had no connection to give, or one broke
    state = sqlstate(error)
    if state is not None:
        return state[:2] in _TRANSIENT_CLASSES or state in _TRANSIENT_STATES
    code = _sqlite_code(error)
    if code is not None:
        return "_".join(code.split("_")[:2]) in _TRANSIENT_SQLITE  # e.g. SQLITE_BUSY_SNAPSHOT
    for current in _chain(error):
        if isinstance(current, ConnectionError | TimeoutError | asyncio.TimeoutError):
            return True
        made = type(current)
        if made.__module__.startswith("asyncpg") and "Connection" in made.__name__:
            return True  # asyncpg's own "connection was closed" errors have no SQLSTATE
        if isinstance(current, sa_exc.OperationalError) and "database is locked" in str(
            current.orig
        ):
            return True
    return False


def kind(error: BaseException) -> str:
    """A name for the error that holds no values: the class and the SQLSTATE or SQLite
    code, e.g. ``DataError/22021`` (invalid byte sequence)."""
    name = type(error).__name__
    code = sqlstate(error) or _sqlite_code(error)
    return f"{name}/{code}"[:64] if code else name[:64]
