"""Start failures an operator can fix: each stops the start with one line on stderr that
names the setting and what to check (``lotsenbot --verbose`` adds the traceback).

Exit codes (README, "When it does not start"): 2 the configuration, 3 the database, 4 a chat
platform refused the bot's login, 5 a port is in use; 1 anything else.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

CONFIGURATION = 2
DATABASE = 3
PLATFORM_LOGIN = 4
PORT_IN_USE = 5


class CannotStart(Exception):
    """The bot cannot start until ``setting`` is fixed; ``str()`` is the operator's line."""

    def __init__(self, setting: str, problem: str, check: str, code: int) -> None:
        super().__init__(f"{setting}: {problem}; {check}")
        self.setting, self.code = setting, code


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what caused it, outermost first (each once)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def database_failure(exc: BaseException, url: str) -> CannotStart | None:
    """What keeps the bot from its database, as one line; None when it is something else."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # the URL was checked when the settings were read
        return None
    if parsed.get_backend_name() == "sqlite":
        return None
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    for cause in causes(exc):
        name = type(cause).__name__
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return CannotStart(
                "database.url",
                f"the database at {where} refused user '{parsed.username}' ({_first_line(cause)})",
                "check the user and password in database.url (or database.password)",
                DATABASE,
            )
        if name == "InvalidCatalogNameError":
            return CannotStart(
                "database.url",
                f"there is no database '{parsed.database}' at {where}",
                "create it (createdb) or correct the name in database.url",
                DATABASE,
            )
        if isinstance(cause, ConnectionRefusedError | socket.gaierror | TimeoutError) or (
            isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH)
        ):
            return CannotStart(
                "database.url",
                f"cannot reach the database at {where} ({_reason(cause)})",
                "check that PostgreSQL is running and the host and port in database.url",
                DATABASE,
            )
    return None


def port_failure(exc: BaseException, setting: str, host: str, port: int) -> CannotStart | None:
    """A port another program holds, or one the bot may not bind, as one line."""
    for cause in causes(exc):
        if isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE:
            return CannotStart(
                setting,
                f"{host}:{port} is already in use by another program",
                f"choose another {setting} or stop the other program",
                PORT_IN_USE,
            )
        if isinstance(cause, OSError) and cause.errno in (errno.EACCES, errno.EADDRNOTAVAIL):
            return CannotStart(
                setting,
                f"cannot listen on {host}:{port} ({_reason(cause)})",
                f"check {setting} and the host next to it",
                PORT_IN_USE,
            )
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return _first_line(exc) or type(exc).__name__


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else ""
