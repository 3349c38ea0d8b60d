"""A real, throw-away Synapse homeserver on loopback for the Matrix tests.

Why a real server instead of a fake: Matrix semantics that matter to the bot
(sync tokens, room membership, rate limits answering 429, media, and above all
end-to-end encryption key exchange) are too subtle to re-implement. Synapse is
a pure PyPI install (``matrix-synapse``, binary wheels), starts in seconds on
SQLite and needs no network beyond 127.0.0.1.

Public API:

* ``SynapseServer`` writes a config into its own temp dir, runs
  ``python -m synapse.app.homeserver -c homeserver.yaml`` as a subprocess on a
  free 127.0.0.1 port and offers ``start()``/``stop()``/``restart()`` (sync,
  because a session fixture drives them), ``base_url``, ``server_name``,
  ``register()`` (shared-secret admin registration), ``new_user()`` and
  ``override_ratelimit()``.
* ``unique_user(prefix)`` returns a fresh localpart so tests never share users.
* ``synapse`` is a session-scoped pytest fixture meant to be imported by a
  test module or conftest (``from tests.servers.synapse import synapse_fixture``;
  the function has another name so test parameters called ``synapse`` do
  not shadow an imported name).

Which Python runs Synapse: ``$LOTSENBOT_SYNAPSE_PYTHON`` if set, else the test
interpreter when ``matrix-synapse`` is installed in it (the ``test`` extra
installs it), else a separate venv under the user cache dir that is created on
first use (``python tests/servers/synapse.py install`` does that ahead of time,
e.g. in CI, so the slow pip install does not count against a test timeout).
``python tests/servers/synapse.py time`` prints how long a cold start takes.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import fcntl
import hashlib
import hmac
import importlib.metadata
import itertools
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers.processes import pid_alive

log = logging.getLogger(__name__)

ENV_PYTHON = "LOTSENBOT_SYNAPSE_PYTHON"
ENV_VENV = "LOTSENBOT_SYNAPSE_VENV"
# Used only for the fallback venv; the project's `test` extra carries its own pin.
SYNAPSE_REQUIREMENT = "matrix-synapse>=1.120,<2"
HOST = "127.0.0.1"
SERVER_NAME = "localhost"
DEFAULT_PASSWORD = "correct-horse-battery-staple"

_TMP_PREFIX = "lotsenbot-synapse-"
_OWNER_FILE = "owner.json"
_CONFIG_FILE = "homeserver.yaml"
_STARTUP_TIMEOUT = 60.0
_STOP_TIMEOUT = 15.0
_LOCALPART_RE = re.compile(r"[^a-z0-9._=/-]+")
_counter = itertools.count(1)
# The server is on loopback: never send its requests through an http_proxy
# that a developer's or CI's environment may set.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SynapseError(RuntimeError):
    """An HTTP error answer from Synapse, with the Matrix errcode if any."""

    def __init__(self, status: int, body: str, url: str) -> None:
        self.status = status
        self.body = body
        try:
            self.errcode: str | None = json.loads(body).get("errcode")
        except (ValueError, AttributeError):
            self.errcode = None
        super().__init__(f"{url} answered {status}: {body[:500]}")


@dataclass(frozen=True)
class MatrixUser:
    """A registered account; the password allows a real password login."""

    user_id: str
    localpart: str
    password: str
    access_token: str


def unique_user(prefix: str = "user") -> str:
    """Return a localpart that no other test (or earlier run) has used.

    Tests share one session-scoped server, so independence comes from fresh
    accounts. Localparts must be lowercase [a-z0-9._=/-], hence the cleanup.
    """
    clean = _LOCALPART_RE.sub("-", prefix.lower()).strip("-") or "user"
    return f"{clean}-{os.getpid()}-{next(_counter)}-{secrets.token_hex(3)}"


# --------------------------------------------------------------------------
# Finding a Python that can run Synapse
# --------------------------------------------------------------------------


def _synapse_installed_here() -> bool:
    # Metadata lookup instead of importing: importing synapse pulls in Twisted
    # and we only need it in the child process.
    try:
        importlib.metadata.version("matrix-synapse")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _fallback_venv() -> Path:
    if os.environ.get(ENV_VENV):
        return Path(os.environ[ENV_VENV])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    return cache / "lotsenbot" / f"synapse-venv-{tag}"


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _venv_ready(venv: Path) -> bool:
    python = _venv_python(venv)
    if not python.exists():
        return False
    probe = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; m.version('matrix-synapse')"],
        capture_output=True,
        timeout=60,
    )
    return probe.returncode == 0


def ensure_synapse_python() -> str:
    """Return an interpreter that can run ``synapse.app.homeserver``.

    The separate venv exists so Synapse's many dependencies can never clash
    with the bot's own pins; it is only built when the test interpreter lacks
    Synapse. A file lock serializes parallel test processes building it.
    """
    override = os.environ.get(ENV_PYTHON)
    if override:
        return override
    if _synapse_installed_here():
        return sys.executable
    venv = _fallback_venv()
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if not _venv_ready(venv):
            started = time.monotonic()
            log.info("creating Synapse venv in %s", venv)
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
            pip = [str(_venv_python(venv)), "-m", "pip", "install", "--quiet"]
            proc = subprocess.run(
                [*pip, SYNAPSE_REQUIREMENT], capture_output=True, text=True, timeout=1800
            )
            if proc.returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                raise RuntimeError(
                    f"installing {SYNAPSE_REQUIREMENT} into {venv} failed:\n"
                    f"{(proc.stdout + proc.stderr)[-4000:]}"
                )
            log.info("Synapse venv ready after %.1f s", time.monotonic() - started)
    return str(_venv_python(venv))


# --------------------------------------------------------------------------
# Leftovers of killed runs
# --------------------------------------------------------------------------


def _is_our_synapse(pid: int, config_path: Path) -> bool:
    # Guard against PID reuse: only a process whose command line names this
    # very config file is the Synapse we started.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(config_path).encode() in cmdline


def _sweep_stale_dirs() -> None:
    """Remove temp dirs (and orphaned servers) of test runs that were killed.

    A SIGKILLed pytest cannot run its finalizers, so its Synapse keeps running
    as an orphan and its temp dir stays. The owner file says which test
    process created the dir; if that process is gone, both are leftovers.
    """
    for path in Path(tempfile.gettempdir()).glob(f"{_TMP_PREFIX}*"):
        try:
            owner = json.loads((path / _OWNER_FILE).read_text())
            owner_pid = int(owner["owner_pid"])
            server_pid = owner.get("server_pid")
        except (OSError, ValueError, KeyError, TypeError):
            # No readable owner file: maybe being created right now; if it is
            # older than a day it is surely stale.
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime > 86400:
                    shutil.rmtree(path, ignore_errors=True)
            continue
        if owner_pid == os.getpid() or pid_alive(owner_pid):
            continue
        if isinstance(server_pid, int) and _is_our_synapse(server_pid, path / _CONFIG_FILE):
            with contextlib.suppress(OSError):
                os.kill(server_pid, signal.SIGKILL)
        shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class SynapseServer:
    """One Synapse process with its own config, SQLite database and media store.

    The data dir and port survive ``restart()``, so tests can check that the
    bot copes with the homeserver going away and coming back with the same
    users, rooms and access tokens.
    """

    def __init__(self, server_name: str = SERVER_NAME, python: str | None = None) -> None:
        self._server_name = server_name
        self._python = python
        self._dir: Path | None = None
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_handle: Any = None
        self._shared_secret = secrets.token_urlsafe(32)
        self._lock = threading.Lock()
        #: Seconds each start took until /_matrix/client/versions answered.
        self.startup_seconds: list[float] = []

    # -- properties ---------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("SynapseServer was never started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def server_name(self) -> str:
        return self._server_name

    @property
    def data_dir(self) -> Path:
        if self._dir is None:
            raise RuntimeError("SynapseServer was never started")
        return self._dir

    @property
    def log_path(self) -> Path:
        return self.data_dir / "homeserver.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        """Start Synapse (first call: create config and data dir) and wait for it."""
        with self._lock:
            if self.running:
                return
            if self._dir is None:
                _sweep_stale_dirs()
                if self._python is None:
                    self._python = ensure_synapse_python()
                self._dir = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX))
                self._port = _free_port()
                self._write_owner(None)
                self._write_config()
                # Finalizers may not run (e.g. pytest interrupted twice), but
                # a normal interpreter exit still must not leave a server behind.
                atexit.register(self.stop)
            self._spawn()

    def stop(self) -> None:
        """Stop Synapse and delete its data dir; safe to call more than once."""
        with self._lock:
            self._terminate()
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None
            with contextlib.suppress(Exception):
                atexit.unregister(self.stop)

    def restart(self) -> None:
        """Stop and start again on the same port with the same data.

        Synapse sets SO_REUSEADDR, so the port is free again immediately even
        with connections of the old process still in TIME_WAIT.
        """
        with self._lock:
            if self._dir is None:
                raise RuntimeError("restart() before start()")
            self._terminate()
            self._spawn()

    def kill(self) -> None:
        """SIGKILL Synapse without cleanup, as a crash would; start() revives it."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait(timeout=_STOP_TIMEOUT)

    def _spawn(self) -> None:
        assert self._dir is not None and self._python is not None
        config = self._dir / _CONFIG_FILE
        # Synapse's own stdout/stderr (startup banners, tracebacks before the
        # logging config is loaded) go to a file so a full pipe can never
        # block the server and a failed start can show what went wrong.
        self._log_handle = open(self._dir / "stdout.log", "ab")
        started = time.monotonic()
        self._proc = subprocess.Popen(
            [self._python, "-m", "synapse.app.homeserver", "-c", str(config)],
            cwd=self._dir,
            stdin=subprocess.DEVNULL,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            # Own session: a Ctrl-C in the terminal goes to pytest only, and
            # pytest decides when Synapse stops.
            start_new_session=True,
        )
        self._write_owner(self._proc.pid)
        try:
            self._wait_ready(started)
        except BaseException:
            self._terminate()
            raise
        elapsed = time.monotonic() - started
        self.startup_seconds.append(elapsed)
        log.info("Synapse on %s ready after %.2f s", self.base_url, elapsed)

    def _wait_ready(self, started: float) -> None:
        url = f"{self.base_url}/_matrix/client/versions"
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"Synapse exited with {self._proc.returncode} during startup:\n{self._tail()}"
                )
            with contextlib.suppress(OSError):
                with _OPENER.open(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            if time.monotonic() - started > _STARTUP_TIMEOUT:
                raise TimeoutError(
                    f"Synapse did not answer {url} within {_STARTUP_TIMEOUT:.0f} s:\n{self._tail()}"
                )
            time.sleep(0.1)

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            # SIGTERM lets Synapse close SQLite cleanly; SIGKILL only if it hangs.
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log.warning("Synapse ignored SIGTERM for %.0f s, killing it", _STOP_TIMEOUT)
                proc.kill()
                proc.wait(timeout=_STOP_TIMEOUT)
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def _tail(self, chars: int = 4000) -> str:
        parts = []
        for name in ("stdout.log", "homeserver.log"):
            with contextlib.suppress(OSError):
                text = (self.data_dir / name).read_text(errors="replace")
                parts.append(f"--- {name} ---\n{text[-chars:]}")
        return "\n".join(parts)

    def _write_owner(self, server_pid: int | None) -> None:
        owner = {"owner_pid": os.getpid(), "server_pid": server_pid}
        (self.data_dir / _OWNER_FILE).write_text(json.dumps(owner))

    def _write_config(self) -> None:
        data = self.data_dir
        log_config = {
            "version": 1,
            "formatters": {
                "precise": {
                    "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - "
                    "%(request)s - %(message)s"
                }
            },
            "handlers": {
                # Unbuffered on purpose: a test that fails wants the log up to
                # the very last request, not up to the last flush.
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(data / "homeserver.log"),
                    "encoding": "utf8",
                }
            },
            "loggers": {
                "synapse.storage.SQL": {"level": "WARNING"},
                # One line per HTTP request is what makes a failing test debuggable.
                "synapse.access.http": {"level": "INFO"},
            },
            "root": {"level": "INFO", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        # Raise only what test *setup* hits (logins, registrations, joins and
        # invites of freshly made users). rc_message and the other limits stay
        # at Synapse's defaults, so tests see the 429s a real server sends;
        # use override_ratelimit() for a user that must send fast.
        generous = {"per_second": 1000, "burst_count": 1000}
        config: dict[str, Any] = {
            "server_name": self._server_name,
            "public_baseurl": f"{self.base_url}/",
            "pid_file": str(data / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": [HOST],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(data / "homeserver.db")}},
            "log_config": str(data / "log_config.yaml"),
            "media_store_path": str(data / "media_store"),
            "max_upload_size": "10M",
            "signing_key_path": str(data / "signing.key"),
            "registration_shared_secret": self._shared_secret,
            # Synapse's own test suite uses 4 rounds: the default 12 costs a
            # quarter second per registration and per password login.
            "bcrypt_rounds": 4,
            "macaroon_secret_key": secrets.token_urlsafe(32),
            "form_secret": secrets.token_urlsafe(32),
            "enable_registration": False,
            "report_stats": False,
            "enable_metrics": False,
            "url_preview_enabled": False,
            # No federation: no key servers, no outbound federation, no peers.
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "rc_login": {
                "address": generous,
                "account": generous,
                "failed_attempts": generous,
            },
            "rc_registration": generous,
            "rc_joins": {"local": generous, "remote": generous},
            "rc_invites": {"per_room": generous, "per_user": generous, "per_issuer": generous},
            "rc_room_creation": generous,
        }
        # JSON is valid YAML, so the test process needs no YAML library.
        (data / "log_config.yaml").write_text(json.dumps(log_config, indent=2))
        (data / _CONFIG_FILE).write_text(json.dumps(config, indent=2))

    # -- admin API ------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        access_token: str | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Send one JSON request to Synapse and return the decoded answer.

        Plain urllib keeps this usable from sync fixtures and adds no
        dependency; async tests call the ``*_async`` wrappers instead so the
        event loop keeps running other clients meanwhile.
        """
        url = f"{self.base_url}{path}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if access_token:
            req.add_header("Authorization", f"Bearer {access_token}")
        try:
            with _OPENER.open(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise SynapseError(exc.code, exc.read().decode(errors="replace"), url) from None
        return json.loads(raw) if raw else {}

    def register(self, localpart: str, password: str, admin: bool = False) -> tuple[str, str]:
        """Create an account via the shared-secret admin API; return (user_id, access_token).

        ``enable_registration`` is off (as on a real deployment), so this is
        the only way in. The MAC is HMAC-SHA1 over nonce, user, password and
        admin flag, NUL-separated, keyed with ``registration_shared_secret``.
        """
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self._shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode())
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        answer = self.request(
            "POST",
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return answer["user_id"], answer["access_token"]

    def new_user(
        self, prefix: str = "user", admin: bool = False, password: str = DEFAULT_PASSWORD
    ) -> MatrixUser:
        """Register a fresh, unique account."""
        localpart = unique_user(prefix)
        user_id, token = self.register(localpart, password, admin=admin)
        return MatrixUser(user_id, localpart, password, token)

    def override_ratelimit(
        self, user_id: str, admin_token: str, messages_per_second: int = 0, burst_count: int = 0
    ) -> None:
        """Lift the per-user rate limit (0/0 means unlimited); needs an admin token."""
        quoted = urllib.parse.quote(user_id, safe="")
        self.request(
            "POST",
            f"/_synapse/admin/v1/users/{quoted}/override_ratelimit",
            {"messages_per_second": messages_per_second, "burst_count": burst_count},
            access_token=admin_token,
        )

    async def new_user_async(
        self, prefix: str = "user", admin: bool = False, password: str = DEFAULT_PASSWORD
    ) -> MatrixUser:
        return await asyncio.to_thread(self.new_user, prefix, admin, password)

    async def override_ratelimit_async(self, user_id: str, admin_token: str) -> None:
        await asyncio.to_thread(self.override_ratelimit, user_id, admin_token)


@pytest.fixture(scope="session", name="synapse")
def synapse_fixture() -> Iterator[SynapseServer]:
    """One Synapse for the whole session; tests make their own users with new_user()."""
    server = SynapseServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    command = argv[1] if len(argv) > 1 else "time"
    if command == "install":
        print(ensure_synapse_python())
        return 0
    if command == "time":
        server = SynapseServer()
        try:
            server.start()
            server.restart()
            print(
                f"first start {server.startup_seconds[0]:.2f} s, "
                f"restart {server.startup_seconds[1]:.2f} s"
            )
        finally:
            server.stop()
        return 0
    print(f"usage: {argv[0]} [install|time]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
