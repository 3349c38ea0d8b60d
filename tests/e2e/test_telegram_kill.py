"""SIGKILL the bot process while Telegram updates are queued: after a restart nothing is lost
and nothing is handled twice (at most the one message in flight may be sent again)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.fakes.telegram_server import FakeTelegramServer

ROOT = Path(__file__).resolve().parents[2]


def _start_bot(server: FakeTelegramServer, tmp_path: Path) -> subprocess.Popen[bytes]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\n'
        f'[telegram]\ntoken = "{server.token}"\nbase_url = "{server.base_url}"\npoll_timeout = 1\n'
        "[delivery]\npoll_seconds = 0.5\n"
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


def _greetings(server: FakeTelegramServer) -> Counter[int]:
    return Counter(r.chat_id for r in server.sent if r.text and r.text.startswith("Hallo"))


async def _wait(condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_sigkill_with_updates_queued_loses_nothing(tmp_path: Path) -> None:
    async with FakeTelegramServer() as server:
        people = [server.user(5000 + n, f"Person {n}") for n in range(60)]
        for person in people[:40]:
            server.post_message(server.private_chat(person), person, "/start")
        bot = _start_bot(server, tmp_path)
        try:
            assert await _wait(lambda: sum(_greetings(server).values()) >= 5, 60), (
                tmp_path / "bot.log"
            ).read_text()
            bot.send_signal(signal.SIGKILL)
            bot.wait(timeout=10)
            handled_before = sum(_greetings(server).values())
            assert handled_before < 40, "the kill came too late to prove anything"
            for person in people[40:]:
                server.post_message(server.private_chat(person), person, "/start")
            bot = _start_bot(server, tmp_path)
            assert await _wait(lambda: len(_greetings(server)) == 60, 90), (
                tmp_path / "bot.log"
            ).read_text()[-3000:]
            await asyncio.sleep(1.0)
        finally:
            bot.send_signal(signal.SIGTERM)
            # Off the event loop: the fake server runs on it and must answer the bot's last
            # requests while it stops (a blocking wait made each of them time out).
            await asyncio.wait_for(asyncio.to_thread(bot.wait), timeout=30)
        greetings = _greetings(server)
        assert set(greetings) == {p["id"] for p in people}  # nothing lost
        duplicates = sum(n - 1 for n in greetings.values())
        assert duplicates <= 1  # at most the one message in flight at the kill
        assert server.pending_updates() == 0
    with sqlite3.connect(tmp_path / "lotsenbot.db") as db:
        handled = db.execute("SELECT count(*) FROM processed_events").fetchone()[0]
        replies = db.execute(
            "SELECT count(*), count(DISTINCT chat_id) FROM outbox"
            " WHERE dedup_key NOT LIKE 'privacy-note:%'"  # the note after a first message
        ).fetchone()
    assert handled == 60  # every update handled exactly once
    assert replies == (60, 60)
