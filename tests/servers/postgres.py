"""A private, throw-away PostgreSQL cluster on loopback for the test suite.

House rule: PostgreSQL (a Debian package) is tested beside SQLite. `make test`
provisions the machine first (``provision_postgres.py``: the server package and,
as root, the OS user the clusters run as); this module changes nothing on the
machine. It finds the binaries and starts its *own* cluster on a free 127.0.0.1
port, so tests never depend on (or disturb) a system cluster on 5432, and
parallel test processes never share state. When the binaries (or, as root, the
OS user) are missing, the fixture fails with one line naming `make test`.

Public API:

* ``PostgresCluster`` initdb's a temp data dir, starts it, hands out
  SQLAlchemy URLs and creates/drops databases; ``start()``/``stop()`` are sync
  because a session fixture drives them.
* ``postgres_cluster`` (session) and ``postgres_url`` (function, a fresh
  database per test) are pytest fixtures meant to be imported by a conftest or
  a test module.

Set ``LOTSENBOT_TEST_POSTGRES_URL`` (a ``postgresql+asyncpg://`` URL) to use an
existing server instead; then no cluster is started, and per-test
databases are created on that server.

``python tests/servers/postgres.py time`` prints how long a cold start takes.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.servers.processes import pid_alive
from tests.servers.provision_postgres import ENV_URL, MAKE_STEP, OS_USER, find_pg_bin, os_user

DEFAULT_DATABASE = "lotsenbot_test"
# The superuser role inside our cluster (initdb -U), independent of the OS user.
ROLE = "lotsenbot"
HOST = "127.0.0.1"

_TMP_PREFIX = "lotsenbot-pg-"
_OWNER_FILE = "owner.json"
_DB_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_T = TypeVar("_T")


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def _free_port() -> int:
    # The kernel picks an unused port; there is a small race until postgres
    # binds it, which start() covers by retrying with a new port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _clean_env() -> dict[str, str]:
    # PGDATA/PGPORT/PGHOST etc. from the developer's shell must not redirect
    # initdb/pg_ctl; LC_ALL=C gives stable, English error messages.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


def _run_in_thread(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion on a private event loop in a new thread.

    Fixtures and start() are sync, but may be called while pytest-asyncio
    already runs a loop in this thread; a fresh thread always works.
    """
    result: list[_T] = []
    error: list[BaseException] = []

    def runner() -> None:
        try:
            result.append(asyncio.run(factory()))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=runner, name="lotsenbot-pg-admin", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def _check_db_name(name: str) -> str:
    # Identifiers cannot be bound as parameters, so only allow safe names.
    if not _DB_NAME_RE.fullmatch(name):
        raise ValueError(f"unsafe database name {name!r}: use [a-z_][a-z0-9_]*, max 63 chars")
    return name


def _tmp_parent() -> str:
    # When we drop to OS_USER it must be able to traverse to the data dir; a
    # TMPDIR under /root would not allow that, /tmp always does.
    parent = Path(tempfile.gettempdir()).resolve()
    for part in (parent, *parent.parents):
        with contextlib.suppress(OSError):
            if not part.stat().st_mode & 0o001:
                return "/tmp"
    return str(parent)


def _kill_postmaster(data_dir: Path) -> None:
    """SIGQUIT (= immediate shutdown) the postmaster of data_dir, if alive."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return
    # Guard against PID reuse: only signal a postgres serving this data dir.
    if b"postgres" in cmdline and str(data_dir).encode() in cmdline:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGQUIT)


def _reap_stale_clusters() -> None:
    """Remove clusters whose owning test process died without teardown.

    A SIGKILLed pytest leaves a postmaster running and a temp dir behind;
    clean those up so repeated aborted runs do not pile up servers.
    """
    try:
        candidates = list(Path(_tmp_parent()).glob(f"{_TMP_PREFIX}*"))
    except OSError:
        return
    for base in candidates:
        try:
            owner = json.loads((base / _OWNER_FILE).read_text())["pid"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not isinstance(owner, int) or pid_alive(owner):
            continue
        _kill_postmaster(base / "data")
        shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------
# The cluster
# --------------------------------------------------------------------------


class PostgresMissing(RuntimeError):
    """This machine lacks what `make provision` sets up; the message is one line."""


def _provisioned() -> tuple[Path, pwd.struct_passwd | None]:
    """The server's bin dir and, as root, the OS user to run it as: found, never installed."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise PostgresMissing(
            f"PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: run {MAKE_STEP},"
            f" or set {ENV_URL} to a server the tests may create databases on."
        )
    if os.geteuid() != 0:
        return bin_dir, None
    user = os_user()
    if user is None:
        raise PostgresMissing(
            f"The OS user {OS_USER} that runs the test clusters (postgres refuses root) is"
            f" missing: run {MAKE_STEP}."
        )
    return bin_dir, user


class PostgresCluster:
    """A private PostgreSQL cluster on 127.0.0.1, or an external server.

    ``PostgresCluster()`` manages its own cluster; ``PostgresCluster(url)``
    (or ``from_env()`` with LOTSENBOT_TEST_POSTGRES_URL set) only hands out
    URLs for an existing server and starts/stops nothing.
    """

    def __init__(self, external_url: str | None = None, *, database: str = DEFAULT_DATABASE):
        self.external_url = external_url or None
        self.database = _check_db_name(database)
        self.host = HOST
        self.port: int | None = None
        self.user = ROLE
        self.bin_dir: Path | None = None
        self.base_dir: Path | None = None
        self.timings: dict[str, float] = {}
        self._run_as: pwd.struct_passwd | None = None
        self._started = False

    @classmethod
    def from_env(cls) -> PostgresCluster:
        return cls(os.environ.get(ENV_URL) or None)

    # -- paths ---------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None, "cluster not started"
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.base_dir is not None, "cluster not started"
        return self.base_dir / "sock"

    @property
    def log_path(self) -> Path:
        assert self.base_dir is not None, "cluster not started"
        return self.base_dir / "postgres.log"

    @property
    def is_external(self) -> bool:
        return self.external_url is not None

    # -- URLs ----------------------------------------------------------------

    def url_for(self, database: str) -> str:
        """SQLAlchemy (asyncpg) URL of ``database`` on this server."""
        _check_db_name(database)
        if self.external_url is not None:
            from sqlalchemy.engine import make_url

            return (
                make_url(self.external_url)
                .set(database=database)
                .render_as_string(hide_password=False)
            )
        if self.port is None:
            raise RuntimeError("PostgresCluster.start() has not been called")
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"

    @property
    def url(self) -> str:
        """URL of the default test database (lotsenbot_test, or the override's)."""
        if self.external_url is not None:
            return self.external_url
        return self.url_for(self.database)

    def _connect_kwargs(self, database: str | None) -> dict[str, Any]:
        # asyncpg wants plain keyword arguments, not a SQLAlchemy URL.
        if self.external_url is not None:
            from sqlalchemy.engine import make_url

            parsed = make_url(self.external_url)
            kwargs: dict[str, Any] = {
                "host": parsed.host or HOST,
                "port": parsed.port or 5432,
                "user": parsed.username,
                "password": parsed.password,
                "database": database or parsed.database or "postgres",
            }
            return {key: value for key, value in kwargs.items() if value is not None}
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "database": database or "postgres",
        }

    async def _admin(self, statements: list[str], database: str | None = None) -> None:
        import asyncpg

        conn = await asyncpg.connect(timeout=10, **self._connect_kwargs(database))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    # -- databases -----------------------------------------------------------

    def create_database(self, name: str, template: str = "template0") -> str:
        """Create database ``name`` (a copy of ``template``) and return its SQLAlchemy URL."""
        _check_db_name(name)
        _check_db_name(template)
        # template0 never has connections, so parallel CREATE DATABASE calls
        # cannot fail with "source database is being accessed by other users".
        statement = f'CREATE DATABASE "{name}" TEMPLATE "{template}" ENCODING \'UTF8\''
        _run_in_thread(lambda: self._admin([statement]))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting leftover sessions (e.g. unclosed engines)."""
        _check_db_name(name)
        statement = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        _run_in_thread(lambda: self._admin([statement]))

    # -- lifecycle -----------------------------------------------------------

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        user = self._run_as
        return subprocess.run(
            args,
            env=_clean_env(),
            cwd=self.base_dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            # initdb and postgres refuse to run as root: drop privileges in the
            # child (subprocess does setgroups/setgid/setuid, no preexec_fn).
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )

    def _chown(self, path: Path) -> None:
        if self._run_as is not None:
            os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)

    def _log_tail(self, limit: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return "(no server log)"

    def start(self) -> PostgresCluster:
        """initdb + start on a free loopback port + create the test database."""
        if self._started:
            return self
        if self.external_url is not None:
            # Only prove the server is reachable; create nothing.
            _run_in_thread(lambda: self._admin(["SELECT 1"], database=None))
            self._started = True
            return self

        self.bin_dir, self._run_as = _provisioned()
        _reap_stale_clusters()

        self.base_dir = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=_tmp_parent()))
        atexit.register(self.stop)
        try:
            (self.base_dir / _OWNER_FILE).write_text(json.dumps({"pid": os.getpid()}))
            self._chown(self.base_dir)
            self.socket_dir.mkdir(mode=0o700)
            self._chown(self.socket_dir)
            self._initdb()
            self._start_server()
            t1 = time.perf_counter()
            self._wait_ready()
            self.create_database(self.database)
            self.timings["ready_and_createdb"] = time.perf_counter() - t1
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def _initdb(self) -> None:
        assert self.bin_dir is not None
        t0 = time.perf_counter()
        proc = self._run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                ROLE,
                "-A",
                "trust",
                "--auth-host=trust",
                "--auth-local=trust",
                "-E",
                "UTF8",
                "--locale=C",
                # Nothing here must survive a crash: skip the final fsync pass.
                "--no-sync",
                "--no-instructions",
            ]
        )
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        self.timings["initdb"] = time.perf_counter() - t0

    def _start_server(self, attempts: int = 5) -> None:
        assert self.bin_dir is not None
        last_error = ""
        for _ in range(attempts):
            port = _free_port()
            # Durability is pointless for throw-away data; these make the
            # suite faster. -k keeps the Unix socket in our private dir, away
            # from /var/run/postgresql and any system cluster.
            options = " ".join(
                [
                    f"-p {port}",
                    f"-k {shlex.quote(str(self.socket_dir))}",
                    f"-c listen_addresses={HOST}",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c max_connections=200",
                ]
            )
            t0 = time.perf_counter()
            proc = self._run(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_path),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                timeout=90,
            )
            if proc.returncode == 0:
                self.port = port
                self.timings["pg_ctl_start"] = time.perf_counter() - t0
                return
            last_error = f"{proc.stdout}{proc.stderr}\n--- server log ---\n{self._log_tail()}"
            # A port grabbed by someone else between _free_port() and bind is
            # the only failure worth retrying.
            if "could not bind" not in last_error and "already in use" not in last_error:
                break
            _kill_postmaster(self.data_dir)
        raise RuntimeError(f"pg_ctl start failed:\n{last_error}")

    def _wait_ready(self, timeout: float = 30.0) -> None:
        # pg_ctl -w already waits for "ready" in postmaster.pid; a real
        # connection over TCP proves the port and trust auth work too.
        deadline = time.monotonic() + timeout
        while True:
            try:
                _run_in_thread(lambda: self._admin(["SELECT 1"]))
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL on {self.host}:{self.port} not ready after {timeout}s: "
                        f"{exc!r}\n{self._log_tail()}"
                    ) from exc
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server immediately (no checkpoint) and delete its files."""
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        self._started = False
        if self.external_url is not None or self.base_dir is None:
            return
        if self.bin_dir is not None and (self.data_dir / "postmaster.pid").exists():
            try:
                self._run(
                    [
                        str(self.bin_dir / "pg_ctl"),
                        "-D",
                        str(self.data_dir),
                        "-m",
                        "immediate",
                        "-w",
                        "-t",
                        "30",
                        "stop",
                    ],
                    timeout=60,
                )
            except (OSError, subprocess.SubprocessError):
                pass
            # If pg_ctl could not do it, signal the postmaster ourselves.
            _kill_postmaster(self.data_dir)
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None
        self.port = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# --------------------------------------------------------------------------
# pytest fixtures (import them into a conftest or a test module)
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One started cluster (or the LOTSENBOT_TEST_POSTGRES_URL server) per session."""
    cluster = PostgresCluster.from_env()
    try:
        cluster.start()
    except PostgresMissing as missing:
        pytest.fail(str(missing), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty database, dropped after the test."""
    name = f"lotsenbot_t_{uuid.uuid4().hex[:16]}"
    url = postgres_cluster.create_database(name)
    try:
        yield url
    finally:
        postgres_cluster.drop_database(name)


def main(argv: list[str] | None = None) -> int:
    """`time`: measure a cold start (initdb + start + createdb) and stop again."""
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["time"]):
        print("usage: postgres.py [time]", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    with PostgresCluster() as cluster:
        total = time.perf_counter() - t0
        print(f"url={cluster.url} total={total:.3f}s")
        for key, value in cluster.timings.items():
            print(f"  {key}={value:.3f}s")
    print(f"stop={time.perf_counter() - t0 - total:.3f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
