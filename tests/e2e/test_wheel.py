"""The built wheel runs on its own: installed into a fresh environment, started elsewhere.

The build and the install need no network: the wheel is built without build isolation with
the test environment's setuptools and Babel, and the fresh virtual environment sees the
test environment's installed dependencies through a .pth file (only ``lotsenbot`` itself
comes from the wheel).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Not part of the build: the developer's environment, data, outputs and the tests.
_NOT_SOURCE_TOP = {".git", ".venv", "var", "build", "dist", "tests", "bench", "config.toml"}
_NOT_SOURCE_ANYWHERE = ("__pycache__", "*.egg-info", "*.mo", "*.py[co]")
_PIP = (sys.executable, "-m", "pip")
# Only what is on this machine: no index, no dependencies resolved.
_OFFLINE = ("--no-deps", "--no-index", "--disable-pip-version-check", "--quiet")


def _ignore(directory: str, names: list[str]) -> set[str]:
    ignored = set(shutil.ignore_patterns(*_NOT_SOURCE_ANYWHERE)(directory, names))
    if Path(directory) == ROOT:
        ignored |= _NOT_SOURCE_TOP & set(names)
    return ignored


def _run(args: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    # Nothing may come from the checkout: no PYTHONPATH, no settings from the environment.
    env = {
        k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("LOTSENBOT_")
    }
    return subprocess.run(
        args, input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=180
    )


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=_ignore)
    dist = tmp_path / "dist"
    built = _run(
        [*_PIP, "wheel", ".", *_OFFLINE, "--no-build-isolation", "-w", str(dist)],
        cwd=source,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("lotsenbot-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    own = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path
    )
    shared = sysconfig.get_paths()["purelib"]
    (Path(own.stdout.strip()) / "lotsenbot_test_dependencies.pth").write_text(shared + "\n")
    installed = _run(
        [*_PIP, "--python", str(python), "install", *_OFFLINE, str(wheel)],
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stderr
    return venv


def test_the_installed_wheel_migrates_and_greets_from_an_empty_directory(tmp_path: Path) -> None:
    venv = _fresh_venv(tmp_path, _build_wheel(tmp_path))
    python, lotsenbot = str(venv / "bin" / "python"), str(venv / "bin" / "lotsenbot")
    empty = tmp_path / "elsewhere"
    empty.mkdir()

    where = _run([python, "-c", "import bot; print(bot.__file__)"], empty)
    # The package comes from the wheel, not from the checkout.
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    shown = _run([lotsenbot, "--version"], empty)
    assert shown.stdout == f"lotsenbot {version}\n", shown.stderr

    migrated = _run([lotsenbot, "migrate"], empty)
    assert migrated.returncode == 0, migrated.stderr
    assert (empty / "var" / "lotsenbot.db").is_file()

    started = _run([lotsenbot, "run"], empty, stdin="/start\n")
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith(
        "Hallo Gast!\nIch bin der Lotsenbot von Digitalcafé Musterstadt."
    ), started.stdout + started.stderr
    # The alembic command works with the ini the package carries, and sees the migrated file.
    ini = _run(
        [python, "-c", "from bot.infra.package_data import ALEMBIC_INI; print(ALEMBIC_INI)"], empty
    )
    assert ini.stdout.startswith(str(venv)), ini.stdout + ini.stderr
    current = _run([python, "-m", "alembic", "-c", ini.stdout.strip(), "current"], empty)
    assert current.stdout.endswith(" (head)\n"), current.stdout + current.stderr

    # Everything it wrote is under the data directory of the folder it was started in.
    assert sorted(p.name for p in empty.iterdir()) == ["var"]

    # The catalogs and migrations it used are the wheel's own.
    shipped = _run(
        [
            python,
            "-c",
            "from bot.infra.package_data import LOCALES_DIR, MIGRATIONS_DIR; "
            "print(LOCALES_DIR); print(MIGRATIONS_DIR)",
        ],
        empty,
    )
    locales, migrations = shipped.stdout.split()
    assert locales.startswith(str(venv)) and migrations.startswith(str(venv)), shipped.stdout
    assert (Path(locales) / "de" / "LC_MESSAGES" / "messages.mo").is_file()
    assert not list(Path(locales).rglob("*.po"))  # compiled at build time, never at run time

    # A new database without "migrate" first: "run" migrates it on its own.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    started = _run([lotsenbot, "run"], fresh, stdin="/start\n")
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("Hallo Gast!"), started.stdout + started.stderr
    current = _run([python, "-m", "alembic", "-c", ini.stdout.strip(), "current"], fresh)
    assert current.stdout.endswith(" (head)\n"), current.stdout + current.stderr
