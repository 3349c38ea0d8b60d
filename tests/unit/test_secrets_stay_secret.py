"""The Telegram token and the Matrix password or access token never appear in a log line, in
a message to anyone, or in ``lotsenbot check-config``: not while API calls fail, not when a
handler crashes, not at DEBUG level with the libraries' own logging switched on too."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from bot.logs import setup_logging
from tests.e2e.telegram_bot import RunningBot, fast_server

TOKEN = "7412589630:AAHx-Sehr_Geheim-Token_0123456789abcd"
PASSWORD = "Matrix-Passwort-sehr-geheim-42"
ACCESS_TOKEN = "syt_bG90c2Vu_GeheimerZugang_0a1b2c"
SECRETS = (TOKEN, TOKEN.split(":", 1)[1], PASSWORD, ACCESS_TOKEN)
CHATTY = ("httpx", "httpcore", "telegram", "aiosqlite", "apscheduler", "bot")


@pytest.fixture
def log_output(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """What the bot's own logging setup writes, at DEBUG, libraries included."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in CHATTY}
    monkeypatch.setattr(sys, "stderr", stream)
    setup_logging("DEBUG")
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


async def test_telegram_session_with_failures_and_a_crash(
    sqlite_url: str, tmp_path: Path, log_output: io.StringIO
) -> None:
    async with fast_server(token=TOKEN) as server:
        bot = RunningBot(
            server,
            sqlite_url,
            tmp_path,
            matrix={"password": PASSWORD, "access_token": ACCESS_TOKEN},
        )
        app = await bot.start()

        async def broken(ctx):  # type: ignore[no-untyped-def]
            raise RuntimeError("a handler that crashes")

        app.router.command("kaputt", description="test", needs_community=False)(broken)
        try:
            ada, mia = server.user(1, "Ada"), server.user(2, "Mia")
            # Failing API calls: a server error, then a refusal, then a timeout.
            server.inject("sendMessage", "http500", times=1)
            server.post_message(server.private_chat(mia), mia, "/start")
            await server.wait_for(
                lambda r: r.chat_id == 2 and "Hallo" in (r.text or ""), timeout=15
            )
            server.inject("sendMessage", "403", times=1)
            server.post_message(server.private_chat(ada), ada, "/ich")
            mark = len(server.sent)
            # A handler that crashes, and a strange number that once made one crash.
            group = server.group(-500, "Digitalcafé")
            server.post_message(group, ada, "/verbinden 1")
            server.post_message(group, ada, "/absagen ²")
            server.post_message(group, ada, "/kaputt")
            server.post_message(server.private_chat(mia), mia, "/termine")
            await server.wait_for(lambda r: r.chat_id == 2, timeout=15, start=mark)
            await app.sender.drain(timeout=10)
        finally:
            await bot.stop()
        sent = "\n".join(json.dumps(r.__dict__, default=str) for r in server.sent)
    written = log_output.getvalue()
    # The failures were there to be logged: the crash with its traceback, the HTTP calls.
    assert "handler failed" in written and "Traceback" in written
    assert "HTTP Request" in written and "********" in written  # the URLs, token masked
    assert _leaks(written) == [], "a secret in the log output"
    assert _leaks(sent) == [], "a secret in a message"


def test_check_config_masks_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], log_output: io.StringIO
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\nwebhook_secret = "{PASSWORD}-hook"\n'
        f'[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@bot:example.org"\n'
        f'password = "{PASSWORD}"\naccess_token = "{ACCESS_TOKEN}"\n',
        encoding="utf-8",
    )
    assert cli.main(["--config", str(config), "check-config"]) == 0
    shown = capsys.readouterr()
    assert _leaks(shown.out + shown.err + log_output.getvalue()) == []
    data = json.loads(shown.out)
    assert data["telegram"]["token"] == "********"
    assert data["matrix"]["password"] == "********"
    assert data["matrix"]["access_token"] == "********"
