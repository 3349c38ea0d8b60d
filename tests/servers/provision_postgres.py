"""Provision this machine for the PostgreSQL tests: the `make provision` step of `make test`.

Changing the machine is a step of its own, run by make before pytest, never a side effect of
a test run: the fixture in ``postgres.py`` only looks for the server binaries and starts its
own cluster on 127.0.0.1; when something is missing it stops with one line naming
`make test`.

What the tests need, and what this step does when it is missing:

* the server binaries (``initdb``, ``pg_ctl``, ``postgres``; any major version): as root,
  ``apt-get install postgresql`` (Debian/Ubuntu) without starting the system cluster; as
  another user, it says how to install them and fails;
* as root only, the unprivileged OS user ``lotsenbot-pg`` the test clusters run as, because
  ``initdb`` and ``postgres`` refuse to run as root;
* Debian's ``chromium`` (``/usr/bin/chromium``) for the real-browser tests in tests/browser,
  and ``systemd-analyze`` for the unit file's check.

Nothing is done when ``LOTSENBOT_TEST_POSTGRES_URL`` names a server to use instead, and
nothing is printed when everything is there. Standard library only, so it runs before (or
without) the project's virtual environment: ``python3 tests/servers/provision_postgres.py``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ENV_URL = "LOTSENBOT_TEST_POSTGRES_URL"
# initdb/postgres refuse to run as root, so as root the test clusters run as this user.
OS_USER = "lotsenbot-pg"
# The step that provisions, as the fixture names it when something is missing.
MAKE_STEP = "make test (its step `make provision`)"

_PG_LIB = Path("/usr/lib/postgresql")
_INSTALL_LOCK = Path("/tmp/lotsenbot-pg-install.lock")
_POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
_POLICY_MARKER = "lotsenbot-test-policy-rc.d"
_SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
INSTALLING = "Installing PostgreSQL for the tests (apt-get install postgresql), about 1 minute …"


def _version_key(path: Path) -> tuple[int, ...]:
    # Directory names are "15", "16", "9.6": compare numerically so 16 > 9.6.
    try:
        return tuple(int(part) for part in path.name.split("."))
    except ValueError:
        return (-1,)


def _has_server_binaries(bin_dir: Path) -> bool:
    # os.access follows symlinks, so a dangling link left behind after
    # `apt-get remove` (e.g. /usr/local/bin/pg_ctl) does not count.
    return all(os.access(bin_dir / name, os.X_OK) for name in _SERVER_BINARIES)


def find_pg_bin() -> Path | None:
    """Return a directory holding initdb, pg_ctl and postgres, or None.

    Debian keeps one directory per major version under /usr/lib/postgresql;
    the newest wins. PATH is the fallback for non-Debian setups; symlinks are
    resolved so a PATH entry that merely links into a version dir works.
    """
    if _PG_LIB.is_dir():
        for version_dir in sorted(_PG_LIB.iterdir(), key=_version_key, reverse=True):
            bin_dir = version_dir / "bin"
            if _has_server_binaries(bin_dir):
                return bin_dir
    found = shutil.which("pg_ctl")
    if found:
        bin_dir = Path(found).resolve().parent
        if _has_server_binaries(bin_dir):
            return bin_dir
    return None


def os_user() -> pwd.struct_passwd | None:
    """The OS user the clusters run as when the tests run as root (None: not there yet)."""
    try:
        return pwd.getpwnam(OS_USER)
    except KeyError:
        return None


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    # One lock file for everything that changes the machine (apt, useradd),
    # so two checkouts provisioning at once serialize.
    with open(_INSTALL_LOCK, "a+") as handle:
        with contextlib.suppress(OSError):
            # Let a later non-root run open the lock file a root run created.
            os.chmod(_INSTALL_LOCK, 0o666)
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def _services_not_started() -> Iterator[None]:
    """Keep package postinsts from starting services while we install.

    Debian's postgresql postinst creates a "main" cluster and starts it via
    invoke-rc.d (sysvinit) or deb-systemd-invoke (systemd). Both consult
    /usr/sbin/policy-rc.d, and exit code 101 means "not allowed": that is
    Debian's documented switch and works with or without systemd. (RUNLEVEL=1
    is not reliable: invoke-rc.d asks /sbin/runlevel, only some
    implementations honour the variable, and systemd's path ignores it.)

    The file is global, so we only create it when none exists, mark it, and
    remove it afterwards. A marked file left by a killed run is ours to remove.
    An existing foreign policy (e.g. Docker's "exit 101") is left as it is.
    A started system cluster would be harmless anyway: the tests never use 5432.
    """
    created = False
    try:
        if not _POLICY_RC_D.exists():
            _POLICY_RC_D.write_text(
                f"#!/bin/sh\n# {_POLICY_MARKER}: temporary, removed after apt-get install\n"
                "exit 101\n"
            )
            _POLICY_RC_D.chmod(0o755)
            created = True
        elif _POLICY_MARKER in _POLICY_RC_D.read_text(errors="replace"):
            created = True
    except OSError:
        # Not fatal: worst case the system cluster starts on 5432.
        created = False
    try:
        yield
    finally:
        if created:
            with contextlib.suppress(OSError):
                _POLICY_RC_D.unlink()


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(
        cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-4000:]
        raise RuntimeError(f"`{shlex.join(cmd)}` failed ({proc.returncode}):\n{tail}")


def _apt_get(args: list[str]) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Wait for a dpkg lock held by something else instead of failing at once.
    _run(["apt-get", "-o", "DPkg::Lock::Timeout=600", *args], env=env)


def install_postgres() -> Path:
    """Return the server bin dir, installing Debian's postgresql first if needed (root)."""
    found = find_pg_bin()
    if found is not None:
        return found
    if os.geteuid() != 0:
        raise RuntimeError(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found and "
            "only root can install them. Install them with "
            "`sudo apt-get install postgresql` (Debian/Ubuntu; any version works), put a "
            f"directory holding initdb and pg_ctl on PATH, or set {ENV_URL} to a "
            "postgresql+asyncpg:// URL of a server the tests may create databases on."
        )
    with _install_lock():
        # Another checkout may have installed it while we waited for the lock.
        found = find_pg_bin()
        if found is not None:
            return found
        print(INSTALLING, flush=True)
        with _services_not_started():
            _apt_get(["update"])
            _apt_get(
                [
                    "install",
                    "-y",
                    "--no-install-recommends",
                    # Keep existing conffiles (left by an earlier `remove`)
                    # without prompting.
                    "-o",
                    "Dpkg::Options::=--force-confdef",
                    "-o",
                    "Dpkg::Options::=--force-confold",
                    "postgresql",
                ]
            )
    found = find_pg_bin()
    if found is None:
        raise RuntimeError("apt-get install postgresql succeeded but initdb/pg_ctl are missing")
    return found


def create_os_user() -> pwd.struct_passwd:
    """Return the unprivileged OS user that owns the clusters, creating it once (root)."""
    existing = os_user()
    if existing is not None:
        return existing
    with _install_lock():
        existing = os_user()
        if existing is not None:
            return existing
        _run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--user-group",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                OS_USER,
            ]
        )
        created = os_user()
        assert created is not None, f"useradd {OS_USER} succeeded but the user is missing"
        return created


def install_systemd_analyze() -> None:
    """``systemd-analyze`` for tests/unit/test_deploy.py (it verifies deploy/lotsenbot.service);
    installed as root when missing, else named, never skipped."""
    if shutil.which("systemd-analyze") is not None:
        return
    if os.geteuid() != 0:
        raise RuntimeError("systemd-analyze is missing: `sudo apt-get install systemd`.")
    with _install_lock(), _services_not_started():
        if shutil.which("systemd-analyze") is None:
            print("Installing systemd-analyze for the tests (apt-get install systemd) …")
            _apt_get(["update"])
            _apt_get(["install", "-y", "--no-install-recommends", "systemd"])


CHROMIUM = Path("/usr/bin/chromium")


def install_chromium() -> None:
    """Debian's ``chromium`` for the real-browser tests (tests/browser: Playwright drives it
    through ``executable_path``; ``playwright install`` is never used); installed as root when
    missing, else named, never skipped."""
    if os.access(CHROMIUM, os.X_OK):
        return
    if os.geteuid() != 0:
        raise RuntimeError("Chromium is missing: `sudo apt-get install chromium`.")
    with _install_lock(), _services_not_started():
        if not os.access(CHROMIUM, os.X_OK):
            print("Installing Chromium for the browser tests (apt-get install chromium) …")
            _apt_get(["update"])
            _apt_get(["install", "-y", "--no-install-recommends", "chromium"])


def provision() -> None:
    """Everything the tests need on this machine beyond Python; nothing when it is there."""
    install_systemd_analyze()
    install_chromium()
    if os.environ.get(ENV_URL):
        return
    install_postgres()
    if os.geteuid() == 0:
        create_os_user()


def main() -> int:
    try:
        provision()
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
