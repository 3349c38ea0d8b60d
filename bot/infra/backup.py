"""Backup and restore of one deployment: the database and the files in the data directory
(the Matrix keys and store above all) in one ``.tar.gz`` with a small manifest.

SQLite is copied with SQLite's online backup API while the bot may be running: the copy is
one consistent snapshot (what was committed when it began, also what is still only in the
``-wal`` file), never a torn file. PostgreSQL is copied by ``pg_dump`` in its custom format
and restored by ``pg_restore``.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.infra.private_files import FILE_MODE, SQLITE_SIDE_FILES, private_dir

MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/lotsenbot.db"
POSTGRES_MEMBER = "database/postgresql.dump"
DATA_PREFIX = "data/"
FORMAT = 1
_T = TypeVar("_T")
# Never worth keeping: the process locks (a restored one would name a dead process).
_SKIPPED_SUFFIXES = (".lock",)


class BackupError(Exception):
    """The backup or restore cannot be done; the message is one line for the operator."""


@dataclass(frozen=True)
class Manifest:
    format: int
    version: str
    migration: str | None
    created_at: str
    database: str

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=2).encode()


def database_kind(database_url: str) -> str:
    return "sqlite" if make_url(database_url).get_backend_name() == "sqlite" else "postgresql"


def sqlite_path(database_url: str) -> Path | None:
    database = make_url(database_url).database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def backup(
    database_url: str,
    data_dir: Path,
    target: Path,
    *,
    force: bool = False,
    version: str = "unknown",
    pg_dump: str = "pg_dump",
    now: datetime | None = None,
) -> Manifest:
    """Write the deployment into ``target``; refuses to replace a file unless ``force``."""
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: directory not found")
    if target.is_dir():
        raise BackupError(
            f"{target}: is a directory; name a file such as {target}/lotsenbot.tar.gz"
        )
    if target.exists() and not force:
        raise BackupError(f"{target}: file exists; add --force to replace it")
    kind = database_kind(database_url)
    database = sqlite_path(database_url) if kind == "sqlite" else None
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".lotsenbot-backup-") as tmp:
        work = Path(tmp)
        if kind == "sqlite":
            if database is None or not database.exists():
                raise BackupError(f"{database}: database file not found")
            dumped = _sqlite_copy(database, work / "lotsenbot.db")
            migration = _sqlite_revision(dumped)
            member = SQLITE_MEMBER
        else:
            dumped = work / "postgresql.dump"
            migration = _pg_dump(database_url, dumped, pg_dump)
            member = POSTGRES_MEMBER
        manifest = Manifest(
            format=FORMAT,
            version=version,
            migration=migration,
            created_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
            database=kind,
        )
        partial = work / "backup.tar.gz"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            _add_bytes(archive, MANIFEST, manifest.to_json())
            archive.add(dumped, member)
            skip = {database.resolve()} if database is not None else set()
            skip.add(target.resolve())
            for path, name in _data_files(data_dir, skip, work.resolve()):
                _add_data_file(archive, path, name, work)
        os.replace(partial, target)
    return manifest


def _add_data_file(archive: tarfile.TarFile, path: Path, name: str, work: Path) -> None:
    if path.is_file() and _is_sqlite(path):
        # The Matrix store (nio's keys) is SQLite too: copied the same safe way.
        path = _sqlite_copy(path, work / "copies" / name)
    try:
        archive.add(path, DATA_PREFIX + name, recursive=False)
    except FileNotFoundError:
        pass  # a temporary file that went away meanwhile


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = FILE_MODE
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


def _data_files(data_dir: Path, skip: set[Path], work: Path) -> Iterator[tuple[Path, str]]:
    """Every file and directory under the data directory that belongs in a backup: not the
    database (copied on its own), its side files, locks, or backups lying there."""
    if not data_dir.is_dir():
        return
    root = data_dir.resolve()
    side = {Path(f"{p}{suffix}") for p in skip for suffix in SQLITE_SIDE_FILES}
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if (here / d) != work and not d.startswith(".lotsenbot-"))
        for name in dirs:
            yield here / name, str((here / name).relative_to(root))
        for name in sorted(files):
            path = here / name
            if path in skip or path in side or name.endswith(_SKIPPED_SUFFIXES):
                continue
            if name.endswith(SQLITE_SIDE_FILES) and _is_sqlite(_main_file(path)):
                continue  # its database is copied through SQLite, with what it holds
            if name.endswith(".tar.gz") and _is_backup(path):
                continue
            yield path, str(path.relative_to(root))


def _main_file(side: Path) -> Path:
    for suffix in SQLITE_SIDE_FILES:
        if side.name.endswith(suffix):
            return side.with_name(side.name.removesuffix(suffix))
    return side


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _is_backup(path: Path) -> bool:
    try:
        with tarfile.open(path, "r:gz") as archive:
            return archive.getmember(MANIFEST) is not None
    except (tarfile.TarError, KeyError, OSError):
        return False


def _sqlite_copy(database: Path, target: Path) -> Path:
    """A consistent copy through SQLite's online backup API, in one step (so a write meanwhile
    never restarts it); the copy is one self-contained file (no ``-wal``)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
    except sqlite3.Error as exc:
        raise BackupError(f"{database}: cannot be read: {exc}") from None
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"{database}: cannot be copied: {exc}") from None
    finally:
        copy.close()
        source.close()
    return target


def _sqlite_revision(database: Path) -> str | None:
    connection = sqlite3.connect(database)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        connection.close()
    return row[0] if row else None


def libpq_url(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL for PostgreSQL's own programs, and the password for their environment."""
    url = make_url(database_url)
    env = {"PGPASSWORD": url.password} if url.password else {}
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_run(args: list[str], env_extra: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(
            args, capture_output=True, text=True, env={**os.environ, **env_extra}, check=False
        )
    except FileNotFoundError:
        raise BackupError(
            f"{args[0]}: program not found; install the PostgreSQL client or set "
            f"[backup] {what} to its path"
        ) from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BackupError(f"{what} failed: {lines[0] if lines else result.returncode}")


def _pg_dump(database_url: str, target: Path, program: str) -> str | None:
    url, env = libpq_url(database_url)
    _pg_run([program, "--format=custom", "--no-owner", f"--file={target}", url], env, "pg_dump")
    return _pg_revision(database_url)


def _pg_revision(database_url: str) -> str | None:
    from bot.infra.migrate import database_revision

    return _on_database(database_url, database_revision)


def _pg_tables(database_url: str) -> list[str]:
    async def names(engine: AsyncEngine) -> list[str]:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: inspect(sync).get_table_names())

    return _on_database(database_url, names)


def _pg_tables_or_fail(database_url: str) -> list[str]:
    from bot.infra.move import one_line

    try:
        return _pg_tables(database_url)
    except Exception as exc:
        raise BackupError(f"cannot reach the database: {one_line(exc)}") from None


def _on_database(database_url: str, read: Callable[[AsyncEngine], Awaitable[_T]]) -> _T:
    """``read`` with an engine of its own, from synchronous code (the commands, a thread)."""
    from bot.infra.db import create_engine

    async def run() -> _T:
        engine = create_engine(database_url)
        try:
            return await read(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def read_manifest(source: Path) -> Manifest:
    if not source.is_file():
        raise BackupError(f"{source}: file not found")
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            data = json.loads(member.read()) if member is not None else None
    except (tarfile.TarError, KeyError, OSError, ValueError):
        data = None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{source}: not a Lotsenbot backup")
    return Manifest(**{key: data.get(key) for key in Manifest.__dataclass_fields__})  # type: ignore[arg-type]


def restore(
    source: Path, database_url: str, data_dir: Path, *, pg_restore: str = "pg_restore"
) -> Manifest:
    """Put a backup back into an empty data directory (and an empty database)."""
    from bot.infra.migrate import known_revision

    manifest = read_manifest(source)
    if manifest.migration and not known_revision(manifest.migration):
        raise BackupError(
            f"{source}: made by a newer Lotsenbot ({manifest.version}, migration "
            f"{manifest.migration}); install that version or a later one first"
        )
    kind = database_kind(database_url)
    if manifest.database != kind:
        raise BackupError(
            f"{source}: holds a {manifest.database} database but the configuration uses {kind}"
        )
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir}: not empty; restore only into an empty data directory")
    database = sqlite_path(database_url) if kind == "sqlite" else None
    if kind == "sqlite" and (database is None or database.exists()):
        raise BackupError(f"{database}: exists; restore only where no database is yet")
    if kind == "postgresql" and _pg_tables_or_fail(database_url):
        raise BackupError("the database is not empty; restore only into an empty one")
    private_dir(data_dir)
    with tempfile.TemporaryDirectory(dir=data_dir.parent, prefix=".lotsenbot-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(source, "r:gz") as archive:
            _extract(archive, work)
        if database is not None:
            private_dir(database.parent)
            os.replace(work / SQLITE_MEMBER, database)
            os.chmod(database, FILE_MODE)
        else:
            url, env = libpq_url(database_url)
            _pg_run(
                [
                    pg_restore,
                    "--no-owner",
                    "--exit-on-error",
                    f"--dbname={url}",
                    str(work / POSTGRES_MEMBER),
                ],
                env,
                "pg_restore",
            )
        files = work / DATA_PREFIX.rstrip("/")
        if files.is_dir():
            for entry in sorted(files.iterdir()):
                os.replace(entry, data_dir / entry.name)
    return manifest


def _extract(archive: tarfile.TarFile, target: Path) -> None:
    for member in archive.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"{member.name}: unexpected entry in the backup")
    archive.extractall(target, filter="data")
