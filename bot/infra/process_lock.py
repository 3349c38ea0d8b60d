"""One process per SQLite file and per Matrix store: an OS file lock held while it runs.

Two processes on one SQLite file would both lead (resending each other's messages in
flight), and two on one Matrix store would share one device, which can leave encrypted
rooms unreadable for good. ``fcntl.flock`` is released by the kernel when the process
dies, even by SIGKILL, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url


class AlreadyRunning(Exception):
    """Another process holds the lock; the message is the one line to show."""


class ProcessLock:
    """An exclusive, non-blocking ``flock`` on ``path``, held until ``release``."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self._what = what
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise ``AlreadyRunning`` naming the lock file and its holder."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            by = f"process {holder}" if holder else "another process"
            raise AlreadyRunning(
                f"{self._what} is in use by {by} (lock file {self.path}); stop it first"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # The holder's pid, for the message a second start shows (not for locking).
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            # Closing drops the lock; the file stays (removing it would race a new holder).
            os.close(fd)


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""


def sqlite_lock(database_url: str) -> ProcessLock | None:
    """The lock for a SQLite database file (next to it); None for PostgreSQL or memory."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return ProcessLock(path.with_name(path.name + ".lock"), f"the database {path}")
