"""One process per SQLite file and per Matrix store: a second `lotsenbot run` refuses with
one line and the first keeps running."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.scenarios.reminder_setup import BotRun, write_config
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _until(condition: Callable[[], bool], what: str, proc: subprocess.Popen, timeout: float = 90):  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the first process exited with {proc.returncode}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _second(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "run"],
        input="/start\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=90,
    )


def test_a_second_process_on_one_sqlite_file_refuses(tmp_path: Path) -> None:
    first = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=_env(),
    )
    try:
        assert first.stdin is not None and first.stdout is not None
        first.stdin.write("/start\n")
        first.stdin.flush()
        # Its first answer: it runs (and, before answering, took the lock).
        assert first.stdout.readline().startswith("Hallo Gast!")
        second = _second(tmp_path)
        assert second.returncode == 1
        assert second.stdout == ""  # it answered nobody
        assert second.stderr.strip().splitlines() == [
            f"lotsenbot: the database var/lotsenbot.db is in use by process {first.pid} "
            "(lock file var/lotsenbot.db.lock); stop it first"
        ]
        # The first one is untouched: it still answers, then ends normally.
        assert first.poll() is None
        out, err = first.communicate("/start\n", timeout=90)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    assert "Hallo Gast!" in out
    # Once it ended, the file is free again.
    third = _second(tmp_path)
    assert third.returncode == 0, third.stderr
    assert third.stdout.startswith("Hallo Gast!")


async def test_a_second_process_on_one_matrix_store_refuses(
    tmp_path: Path,
    synapse: SynapseServer,
) -> None:
    bot = await synapse.new_user_async("lotsenbot")
    section = (
        f'[matrix]\nhomeserver = "{synapse.base_url}"\nuser_id = "{bot.user_id}"\n'
        f'password = "{bot.password}"\n'
    )
    # Two databases (as two PostgreSQL-less deployments would have), one Matrix data_dir.
    first_config = write_config(tmp_path / "a.toml", tmp_path, tmp_path / "a.db", section)
    second_config = write_config(tmp_path / "b.toml", tmp_path, tmp_path / "b.db", section)
    first = BotRun("first", first_config, tmp_path)
    first.spawn()
    try:
        assert first.proc is not None
        _until(lambda: "matrix adapter started" in first.tail(), "Matrix to start", first.proc)
        second = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot", "--config", str(second_config), "run"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=_env(),
            timeout=120,
        )
        assert second.returncode == 1
        refusals = [line for line in second.stderr.splitlines() if "is in use by" in line]
        assert refusals == [
            f"lotsenbot: the Matrix store {tmp_path / 'matrix'} is in use by process "
            f"{first.pid} (lock file {tmp_path / 'matrix' / 'lotsenbot.lock'}); stop it first"
        ]
        first.check_alive()
    finally:
        await first.stop()
    assert first.proc is not None and first.proc.returncode == 0, first.tail()
