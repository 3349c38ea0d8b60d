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
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot import cli
from bot.bootstrap import App, build_app
from bot.config import load_settings, secret_values
from bot.infra.logs import set_secrets, setup_logging
from tests.conftest import make_settings
from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.memory import Conversation
from tests.fakes.memory import Person as Someone

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
        set_secrets(())
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


DB_PASSWORD = "Datenbank-Passwort/geheim@7"
# A Matrix token of no known shape (not "syt_"): only its configured value can catch it.
OPAQUE_TOKEN = "ZugangOhneMuster0123456789abcdef"
HOOK_SECRET = "Webhook-Geheimnis-0123456789-abcdefghij"
PHONE = "0151 2345678"


def _config(tmp_path: Path) -> Path:
    url = "postgresql+asyncpg://lotse:" + quote(DB_PASSWORD, safe="") + "@127.0.0.1:1/lotsen"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n'
        f'[telegram]\ntoken = "{TOKEN}"\nwebhook_secret = "{HOOK_SECRET}"\n'
        f'[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@bot:example.org"\n'
        f'access_token = "{OPAQUE_TOKEN}"\n',
        encoding="utf-8",
    )
    return config


def _configured_leaks(text: str) -> list[str]:
    secrets = (DB_PASSWORD, quote(DB_PASSWORD, safe=""), OPAQUE_TOKEN, HOOK_SECRET, *SECRETS)
    return [secret for secret in secrets if secret in text]


def test_check_config_masks_the_database_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], log_output: io.StringIO
) -> None:
    assert cli.main(["--config", str(_config(tmp_path)), "check-config"]) == 0
    shown = capsys.readouterr()
    assert _configured_leaks(shown.out + shown.err + log_output.getvalue()) == []
    data = json.loads(shown.out)
    assert data["database"]["url"] == "postgresql+asyncpg://lotse:***@127.0.0.1:1/lotsen"
    assert data["matrix"]["access_token"] == "********"
    assert data["telegram"]["webhook_secret"] == "********"


def test_configured_secrets_are_masked_in_every_log_line(
    tmp_path: Path, log_output: io.StringIO
) -> None:
    """Whatever shape a configured secret has and however it is written (in a URL, encoded,
    in JSON, in an exception), the log shows stars."""
    settings = load_settings(_config(tmp_path), explicit=True)
    set_secrets(secret_values(settings))  # as `lotsenbot` does when it sets up logging
    log = logging.getLogger("bot.test")
    log.info("connecting to %s", settings.database.url)
    log.info("connecting to %s", settings.database.url.replace("lotse:", "admin:"))
    log.warning("sync failed: %s", json.dumps({"access_token": OPAQUE_TOKEN, "x": 1}))
    log.warning("GET /sync?since=s1&access_token=%s", OPAQUE_TOKEN)
    log.info("webhook header %r", {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET})
    log.info("odd password %s and %s", DB_PASSWORD, quote_plus(DB_PASSWORD))
    try:
        raise RuntimeError(f"login refused for token {OPAQUE_TOKEN}")
    except RuntimeError:
        log.exception("Matrix login failed")
    # An access token of another shape, and one of the Matrix authentication service.
    log.info("Authorization: Bearer %s", "abcDEF.ghi-jkl_mno")
    log.info("token mct_0123456789abcdefABCDEF_xyz")
    written = log_output.getvalue()
    assert _configured_leaks(written) == [], written
    assert "abcDEF.ghi-jkl_mno" not in written and "mct_0123456789" not in written
    assert "postgresql+asyncpg://lotse:***@127.0.0.1:1/lotsen" in written
    assert "Matrix login failed" in written and "Traceback" in written


async def test_failing_statements_log_no_phone_number(
    db_url: str, tmp_path: Path, log_output: io.StringIO
) -> None:
    """A statement that fails with a phone number as parameter, or in the row it tried to
    write, is logged (as the bot's loops log what fails: with its traceback) without it:
    the engine hides parameters, PostgreSQL's DETAIL line is masked."""
    app = build_app(make_settings(db_url, tmp_path), adapters=[])
    log = logging.getLogger("bot.infra.scheduler")
    failing = (
        ("UPDATE rsvps SET phone = :phone WHERE no_such_column = 1", {"phone": PHONE}),
        # NOT NULL: PostgreSQL quotes the whole row it refused, phone number included.
        ("INSERT INTO persons (display_name, created_at) VALUES (:name, NULL)", {"name": PHONE}),
    )
    try:
        for statement, parameters in failing:
            try:
                async with app.sessions.begin() as session:
                    await session.execute(text(statement), parameters)
            except DBAPIError:
                log.exception("scheduler round failed; trying again at the next wake-up")
            else:
                raise AssertionError(f"{statement} did not fail")
    finally:
        await app.close()
    written = log_output.getvalue()
    assert written.count("scheduler round failed") == 2 and "no_such_column" in written
    assert PHONE not in written, written


async def test_a_crashing_command_logs_the_command_not_what_was_typed(
    app: App, conversation: Conversation, log_output: io.StringIO
) -> None:
    async def broken(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("a handler that crashes")

    app.router.command("kaputt", description="test", needs_community=False)(broken)
    [sorry] = await conversation.say(Someone("7", "Erika"), f"/kaputt Erika Muster; {PHONE}")
    assert sorry.text  # the person is told something went wrong
    written = log_output.getvalue()
    assert "handler failed (RuntimeError) for /kaputt" in written
    assert PHONE not in written and "Muster" not in written
