"""Files only the bot's own user may read: the data directory, the database, credentials."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
# Everything the process creates from now on is private unless it says otherwise: also
# what libraries create (SQLite's -wal/-shm/-journal files, nio's crypto store).
UMASK = 0o077
# SQLite's companions of a database file; they hold the same rows as the file itself.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def restrict_umask() -> None:
    """Make files and directories this process creates private to its user.

    Called by the composition root (``lotsenbot run``, ``migrate``, ``export``), never at
    import time: the test suite and other callers keep their own umask."""
    os.umask(UMASK)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700, and narrow it to 0700 if it exists."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _narrow(path)
    return path


def secure_tree(root: Path) -> int:
    """Narrow ``root`` and everything below it to its owner (0700 dirs, 0600 files).

    Data directories written by earlier versions (0755 / 0644) become private at the next
    start; returns how many entries had to be narrowed."""
    if not root.exists():
        private_dir(root)
        return 0
    narrowed = int(_narrow(root))
    for current, dirs, files in os.walk(root):
        for name in dirs:
            narrowed += _narrow(Path(current, name))
        for name in files:
            narrowed += _narrow(Path(current, name))
    if narrowed:
        log.warning(
            "narrowed the permissions of %d entries under %s to the bot's user", narrowed, root
        )
    return narrowed


def private_file(path: Path) -> Path:
    """Create ``path`` empty as 0600 if missing (before a library opens it with 0644), and
    narrow it to 0600 if it exists."""
    if not path.parent.exists():
        private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    _narrow(path)
    return path


def private_sqlite(path: Path) -> None:
    """The database file and its WAL/SHM/journal companions, 0600 from the start."""
    private_file(path)
    for suffix in SQLITE_SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            _narrow(side)


def write_private(path: Path, data: str | bytes) -> None:
    """Write ``path`` atomically and 0600 from its first byte.

    A temporary file in the same directory is opened with mode 0600 (never wider, whatever
    the umask), written, flushed to disk and renamed over ``path``: a reader sees the old
    content or the new, never a half-written or briefly world-readable file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    # The rename itself survives a power cut only once the directory is on disk.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _narrow(path: Path) -> bool:
    """Take away every permission of group and others; True when something was taken away.

    Only group and other bits go: an executable the owner keeps in a data directory that is
    also a working directory stays executable for the owner. Entries of other users, which
    this process may not change, are left alone (logged)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    current = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode) or current & 0o077 == 0:
        return False
    try:
        os.chmod(path, current & ~0o077)
    except PermissionError:
        log.warning("cannot make %s private: it belongs to another user", path)
        return False
    return True
