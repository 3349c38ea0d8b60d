"""`make run` installs only what running needs; `make test` adds the test tools in one go,
and provisions the machine (PostgreSQL) before pytest, never during it.

Checked with ``make -n`` on a copy of the Makefile: the commands make would run, for each
state of ``.venv`` (none, installed for running, installed for testing, pyproject changed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN_ONLY = "-e '.'"
WITH_TESTS = "-e '.[test]'"
FIRST_LINE = "Installing Lotsenbot and its dependencies, about 3 minutes …"
UPDATING = "Updating Lotsenbot's dependencies …"
ADDING_TESTS = "Installing the test tools: about 2 minutes …"


def _project(tmp_path: Path, *stamps: str) -> Path:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    os.utime(tmp_path / "pyproject.toml", (1_000, 1_000))
    if stamps:
        (tmp_path / ".venv" / "bin").mkdir(parents=True)
        (tmp_path / ".venv" / "bin" / "python").touch()
    for stamp in stamps:
        (tmp_path / ".venv" / stamp).touch()
        os.utime(tmp_path / ".venv" / stamp, (2_000, 2_000))
    return tmp_path


def _installs(project: Path, goal: str) -> list[str]:
    """The pip install commands `make GOAL` would run, and the line it would print first."""
    words = (RUN_ONLY, WITH_TESTS, FIRST_LINE, UPDATING, ADDING_TESTS)
    planned = subprocess.run(
        ["make", "-n", "--no-print-directory", goal],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [word for line in planned.splitlines() for word in words if word in line]


def test_a_fresh_machine_installs_once_per_command(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert _installs(project, "run") == [FIRST_LINE, RUN_ONLY]
    assert _installs(project, "test") == [FIRST_LINE, WITH_TESTS]
    assert _installs(project, "lint") == [FIRST_LINE, WITH_TESTS]


def test_installed_for_running_then_testing_adds_only_the_test_tools(tmp_path: Path) -> None:
    project = _project(tmp_path, ".installed-run")
    assert _installs(project, "run") == []
    assert _installs(project, "test") == [ADDING_TESTS, WITH_TESTS]


def test_installed_for_testing_is_installed_for_running_too(tmp_path: Path) -> None:
    project = _project(tmp_path, ".installed-run", ".installed-test")
    assert _installs(project, "run") == []
    assert _installs(project, "test") == []


def test_a_changed_pyproject_installs_again(tmp_path: Path) -> None:
    project = _project(tmp_path, ".installed-run", ".installed-test")
    os.utime(project / "pyproject.toml", (3_000, 3_000))
    assert _installs(project, "run") == [UPDATING, RUN_ONLY]
    assert _installs(project, "test") == [UPDATING, WITH_TESTS]


def _planned(project: Path, goal: str) -> list[str]:
    return subprocess.run(
        ["make", "-n", "--no-print-directory", goal],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()


def test_make_test_provisions_the_machine_before_pytest(tmp_path: Path) -> None:
    project = _project(tmp_path, ".installed-run", ".installed-test")
    planned = _planned(project, "test")
    provision = [
        i for i, line in enumerate(planned) if "tests/servers/provision_postgres.py" in line
    ]
    pytest_runs = [i for i, line in enumerate(planned) if "-m pytest" in line]
    assert len(provision) == 1 and len(pytest_runs) == 1
    assert provision[0] < pytest_runs[0]


def test_make_run_provisions_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path, ".installed-run")
    assert not [line for line in _planned(project, "run") if "provision_postgres" in line]


def test_python_without_venv_gets_one_line_naming_the_package(tmp_path: Path) -> None:
    """Stock Debian/Ubuntu: python3 is there, its venv module (python3-venv) is not. Instead
    of Python's long ensurepip error, one line names the package, and nothing is created."""
    project = _project(tmp_path)
    stock_python = tmp_path / "python3"
    stock_python.write_text(
        "#!/bin/sh\n"
        'case "$*" in *ensurepip*|*"-m venv"*)\n'
        '  echo "No module named ensurepip" >&2; exit 1;;\nesac\n'
        f'exec {sys.executable} "$@"\n'
    )
    stock_python.chmod(0o755)
    done = subprocess.run(
        ["make", "--no-print-directory", "run", f"PYTHON={stock_python}"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert done.stdout == (
        "Python cannot make a virtual environment here: install python3-venv first "
        "(sudo apt install python3-venv)\n"
    )
    assert done.stderr.count("\n") <= 1  # make's own "Error 1" line at most
    assert not (project / ".venv").exists()
