"""`lotsenbot backup`, `restore` and `move-to-postgres` as an operator types them: real
processes, one line for each thing that cannot be done (most of those through the same
`bot.cli.main` in this process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import InProcess

ROOT = Path(__file__).resolve().parents[2]


def _lotsenbot(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=90,
    )


def test_backup_and_restore_through_the_command(tmp_path: Path) -> None:
    town, spare = tmp_path / "town", tmp_path / "spare"
    town.mkdir()
    spare.mkdir()
    assert _lotsenbot(town, "run", stdin="/sprache\n2\n").returncode == 0
    before = _lotsenbot(town, "run", stdin="/start\n/termine\n")
    assert before.stdout.startswith("Hello Gast!")

    made = _lotsenbot(town, "backup", str(tmp_path / "town.tar.gz"))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"backup written: {tmp_path / 'town.tar.gz'} (sqlite, ")

    restored = _lotsenbot(spare, "restore", str(tmp_path / "town.tar.gz"))
    assert restored.returncode == 0, restored.stderr
    after = _lotsenbot(spare, "run", stdin="/start\n/termine\n")
    assert after.stdout == before.stdout


def test_what_cannot_be_done_is_one_line(tmp_path: Path, lotsenbot_in_process: InProcess) -> None:
    # In this process (a Python start costs seconds); the real process is proven above.
    def in_process(*args: str) -> tuple[int, list[str]]:
        code, _out, err = lotsenbot_in_process(*args)
        return code, err.splitlines()

    assert in_process("migrate")[0] == 0
    (tmp_path / "old.tar.gz").write_bytes(b"yesterday")
    cases = {
        ("backup", "missing/b.tar.gz"): "lotsenbot: missing: directory not found",
        ("backup", "old.tar.gz"): "lotsenbot: old.tar.gz: file exists; add --force to replace it",
        ("restore", "old.tar.gz"): "lotsenbot: old.tar.gz: not a Lotsenbot backup",
        ("restore", "none.tar.gz"): "lotsenbot: none.tar.gz: file not found",
        ("move-to-postgres", "mysql://x@y/z"): "lotsenbot: the target must be a PostgreSQL URL "
        "such as postgresql://user@host/db",
    }
    for args, line in cases.items():
        assert in_process(*args) == (1, [line]), args
    assert (tmp_path / "old.tar.gz").read_bytes() == b"yesterday"
    # One real process, for what only a whole run shows: nothing else on stderr up to the
    # interpreter's exit (an unclosed connection, a pending task), and the exit code.
    nobody = _lotsenbot(tmp_path, "move-to-postgres", "postgresql://lotsenbot@127.0.0.1:1/x")
    assert nobody.returncode == 1
    [line] = nobody.stderr.splitlines()
    assert line.startswith("lotsenbot: cannot reach the target database: ")
    assert in_process("backup", "b.tar.gz")[0] == 0
    assert in_process("restore", "b.tar.gz") == (
        1,
        ["lotsenbot: var: not empty; restore only into an empty data directory"],
    )


def test_a_wrong_backup_time_stops_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[backup]\ndir = "backups"\ntime = "3 Uhr"\n')
    result = _lotsenbot(tmp_path, "check-config")
    assert (result.returncode, result.stderr.splitlines()) == (
        2,
        [
            "lotsenbot: configuration error: config.toml: backup.time: "
            "Value error, must look like '03:00' (hours:minutes)"
        ],
    )
