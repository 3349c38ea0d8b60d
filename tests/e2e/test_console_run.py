"""`lotsenbot run` as a person starts it: a real process, piped input, a fresh data directory."""

from __future__ import annotations

import os
import pty
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _lotsenbot(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=90,
    )


def test_piped_start_prints_the_german_answer_and_exits(tmp_path: Path) -> None:
    result = _lotsenbot(tmp_path, "run", stdin="/start\n/hilfe\n/befehle\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "Hallo Gast!\nIch bin der Lotsenbot von Digitalcafé Musterstadt."
    )
    assert "Der nächste Termin:\nDigitalcafé: Mittwoch" in result.stdout
    assert "Was möchten Sie tun?\n\n1 – Termine\n2 – Hilfe von einem Lotsen\n" in result.stdout
    assert "Das kann ich für Sie tun:" in result.stdout
    assert (tmp_path / "var" / "lotsenbot.db").exists()
    assert "No admin yet. The one-time admin code is in var/admin-code.txt" in result.stderr


def test_ende_quits_before_the_rest_and_state_persists(tmp_path: Path) -> None:
    first = _lotsenbot(tmp_path, "run", stdin="/sprache\n2\n/ende\n/start\n")
    assert first.returncode == 0, first.stderr
    assert "Thank you. I will write to you in English from now on." in first.stdout
    assert "Hello" not in first.stdout  # nothing after /ende was handled
    second = _lotsenbot(tmp_path, "run", stdin="/start\n")
    assert second.stdout.startswith("Hello Gast!")


@pytest.mark.parametrize("command", ["run", "migrate", "check-config"])
def test_every_command_has_help(tmp_path: Path, command: str) -> None:
    result = _lotsenbot(tmp_path, command, "--help")
    assert result.returncode == 0
    assert f"usage: lotsenbot {command}" in result.stdout
    assert "--config" in result.stdout


def test_invalid_config_stops_the_start_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[delivery]\nbatch_size = 0\n")
    result = _lotsenbot(tmp_path, "run", stdin="/start\n")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "lotsenbot: configuration error: config.toml: delivery.batch_size: "
        "Input should be greater than or equal to 1"
    ]


def test_migrate_then_check_config(tmp_path: Path) -> None:
    assert _lotsenbot(tmp_path, "migrate").returncode == 0
    assert (tmp_path / "var" / "lotsenbot.db").exists()
    shown = _lotsenbot(tmp_path, "check-config")
    assert '"default_locale": "de"' in shown.stdout


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): _mode(p) for p in [root, *root.rglob("*")]}


def test_data_is_private_from_the_start_and_the_admin_code_stays_out_of_the_log(
    tmp_path: Path,
) -> None:
    """Started with the common umask 022 and a data directory an earlier version left
    readable: while the bot runs, the directory is 0700 and every file in it (the database,
    SQLite's -wal and -shm, the admin code) 0600; the code is in its file, not in the log."""
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    os.chmod(var, 0o755)
    (var / "old-export.csv").write_text("Name\nErika Muster\n")
    os.chmod(var / "old-export.csv", 0o644)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
        preexec_fn=lambda: os.umask(0o022),
    ) as process:
        assert process.stdin is not None
        process.stdin.write("/start\n")
        process.stdin.flush()
        # While it runs: SQLite's side files exist only as long as the database is open.
        deadline = time.monotonic() + 60
        expected = [var / "lotsenbot.db-wal", var / "lotsenbot.db-shm", var / "admin-code.txt"]
        while not all(p.exists() for p in expected) and process.poll() is None:
            assert time.monotonic() < deadline, "the database never opened"
            time.sleep(0.05)
        running = _modes(var)
        out, err = process.communicate("/ende\n", timeout=60)
    assert process.returncode == 0, err
    assert {"lotsenbot.db", "lotsenbot.db-wal", "lotsenbot.db-shm", "admin-code.txt"} <= set(
        running
    )
    assert running == {name: 0o700 if name == "." else 0o600 for name in running}
    after = _modes(var)
    assert after == {name: 0o700 if name == "." else 0o600 for name in after}
    code = re.search(r"/admin (\S+)", (var / "admin-code.txt").read_text()).group(1)  # type: ignore[union-attr]
    assert code not in err and code not in out
    assert "one-time admin code is in var/admin-code.txt" in err


def test_the_admin_code_is_shown_on_a_terminal(tmp_path: Path) -> None:
    """Someone who starts the bot at a terminal sees the code there (stderr is a TTY)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    master, slave = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
        cwd=tmp_path,
        env=env,
    ) as process:
        os.close(slave)
        process.communicate("/ende\n", timeout=90)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the terminal's other side is closed and everything read
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    code = re.search(r"/admin (\S+)", (tmp_path / "var" / "admin-code.txt").read_text())
    assert code is not None
    assert f"Send '/admin {code.group(1)}' to the bot" in shown.decode()


def test_the_console_asks_to_write_never_to_tap(tmp_path: Path) -> None:
    """#18: the console shows no buttons, so no text says "tippen": a help request and the
    optional facts, answered by writing, with one answer that fits none of the choices."""
    typed = "/anfrage\n1\nFotos an die Enkel schicken\ndienstags nachmittags\nweiß nicht\n2\n"
    result = _lotsenbot(tmp_path, "run", stdin=typed + "/profil\n3\n")
    assert result.returncode == 0, result.stderr
    assert not re.search(r"\btipp(en|t)\b", result.stdout, re.IGNORECASE), result.stdout
    assert "Wobei brauchen Sie Hilfe?\n\n1 – Smartphone\n" in result.stdout
    assert "Wo soll die Hilfe sein?" in result.stdout
    assert "\nBitte schreiben Sie die Zahl einer Antwort.\n" in result.stdout
    assert "anrufen? Oder schreiben Sie: Lieber hier im Chat\n" in result.stdout
    assert "In welchem Ortsteil wohnen Sie? Oder schreiben Sie: Lieber nicht\n" in result.stdout
