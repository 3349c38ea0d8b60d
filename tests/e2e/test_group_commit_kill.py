"""SIGKILL the bot while a group of Telegram updates is being committed together (#22): after
a restart each update's effect is there exactly once, whether the kill came before the
group's commit (nothing confirmed: Telegram delivers the updates again) or right after it
(committed, perhaps not yet confirmed: delivered again, recognised, applied once).

The configuration widens the group's window (``database.group_wait_ms``), so that the kill
can land inside it; no code path exists for the test alone."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_telegram_kill import _greetings, _wait
from tests.fakes.telegram_server import FakeTelegramServer

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 60


def _start_bot(server: FakeTelegramServer, tmp_path: Path) -> subprocess.Popen[bytes]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\n'
        f'[telegram]\ntoken = "{server.token}"\nbase_url = "{server.base_url}"\npoll_timeout = 1\n'
        "[delivery]\npoll_seconds = 0.5\n"
        # Every group waits 1.5 s before it is taken: the kill lands in the window.
        "[database]\ngroup_commit = true\ngroup_wait_ms = 1500\ngroup_max = 25\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "bot.log").open("ab"),
    )


def _committed(tmp_path: Path) -> int:
    """How many updates the bot has committed (read beside it, as another process)."""
    path = tmp_path / "lotsenbot.db"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM processed_events").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not migrated yet


@pytest.mark.parametrize("kill", ["before_commit", "after_commit"])
async def test_sigkill_around_a_group_commit_applies_each_update_once(
    tmp_path: Path, kill: str
) -> None:
    async with FakeTelegramServer() as server:
        people = [server.user(5000 + n, f"Person {n}") for n in range(PEOPLE)]
        first = min(
            server.post_message(server.private_chat(person), person, "/start")["update_id"]
            for person in people[:40]
        )
        bot = _start_bot(server, tmp_path)
        log = tmp_path / "bot.log"
        try:
            if kill == "before_commit":
                # The bot fetched the updates; their group is still in its window.
                assert await _wait(lambda: server.requests["getUpdates"] >= 1, 60), log.read_text()
                await asyncio.sleep(0.5)
            else:
                # The first group has just been committed; its answers are not sent yet.
                assert await _wait(lambda: _committed(tmp_path) > 0, 60), log.read_text()
            bot.send_signal(signal.SIGKILL)
            bot.wait(timeout=10)
            committed = _committed(tmp_path)
            greeted = sum(_greetings(server).values())
            if kill == "before_commit":
                assert committed == 0, "the kill came after the commit"
                assert server.confirmed_offset <= first  # nothing was confirmed to Telegram
            else:
                assert 0 < committed < 40, "the kill came too late to prove anything"
            assert greeted < 40
            for person in people[40:]:
                server.post_message(server.private_chat(person), person, "/start")
            bot = _start_bot(server, tmp_path)
            assert await _wait(lambda: len(_greetings(server)) == PEOPLE, 90), log.read_text()[
                -3000:
            ]
            await asyncio.sleep(1.0)
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=30)
        greetings = _greetings(server)
        assert set(greetings) == {p["id"] for p in people}  # nothing lost
        assert sum(n - 1 for n in greetings.values()) <= 1  # at most the one in flight
        assert server.pending_updates() == 0
    with sqlite3.connect(tmp_path / "lotsenbot.db") as db:
        handled = db.execute("SELECT count(*) FROM processed_events").fetchone()[0]
        replies = db.execute(
            "SELECT count(*), count(DISTINCT chat_id) FROM outbox"
            " WHERE dedup_key NOT LIKE 'privacy-note:%'"
        ).fetchone()
    assert handled == PEOPLE  # every update recorded exactly once
    assert replies == (PEOPLE, PEOPLE)  # and its effect (the greeting queued) once
