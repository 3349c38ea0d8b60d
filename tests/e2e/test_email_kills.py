"""SIGKILL the bot three times while it sends 500 e-mails to a real SMTP server on loopback
(aiosmtpd), restarting it each time: nobody's e-mail is lost, and only the e-mail in flight at
each kill is sent again, recognisable by its Message-ID (made from its outbox row)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.chat.types import ChatRef, Outgoing
from bot.delivery.outbox import enqueue
from bot.domain import people
from bot.domain.models import OutboxMessage
from bot.infra.db import create_engine, session_factory
from tests.servers.smtp import SmtpServer, smtp_server  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 500
KILLS = 3


def _config(tmp_path: Path, smtp: SmtpServer) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\n'
        '[console]\nenabled = "no"\n'
        "[delivery]\npoll_seconds = 0.5\n"
        f'[email]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
        'sender_address = "termine@cafe.example"\nrate_per_minute = 100000\n'
    )
    return config


def _bot(config: Path, tmp_path: Path, command: str = "run") -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), command],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "bot.log").open("ab"),
    )


async def _fan_out(tmp_path: Path) -> None:
    """One message to each of 500 people who have only an e-mail address."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'lotsenbot.db'}")
    now = datetime.now(UTC)
    try:
        async with session_factory(engine).begin() as session:
            for n in range(PEOPLE):
                address = f"person{n}@example.org"
                chat = await people.get_or_create_chat(
                    session, ChatRef("email", address, "direct"), now
                )
                await enqueue(
                    session,
                    chat,
                    Outgoing(f"Der Termin ist verschoben.\n\nNachricht {n}"),
                    dedup_key=f"fan-out:{n}",
                    now=now,
                )
    finally:
        await engine.dispose()


async def _sent_rows(tmp_path: Path) -> int:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'lotsenbot.db'}")
    try:
        async with session_factory(engine)() as session:
            return int(
                await session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
                or 0
            )
    finally:
        await engine.dispose()


async def _until(condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_sigkills_during_an_email_fan_out_lose_none(
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    config = _config(tmp_path, smtp_server)
    assert _bot(config, tmp_path, "migrate").wait(timeout=120) == 0
    await _fan_out(tmp_path)
    log = tmp_path / "bot.log"
    kills: list[int] = []
    bot = _bot(config, tmp_path)
    try:
        for k in range(KILLS):
            # Kill somewhere inside the fan-out: after a few more e-mails arrived.
            target = len(smtp_server.messages()) + 40 + 30 * k
            assert await _until(lambda t=target: len(smtp_server.messages()) >= t, 90), (
                log.read_text()[-3000:]
            )
            bot.send_signal(signal.SIGKILL)
            bot.wait(timeout=10)
            kills.append(len(smtp_server.messages()))
            bot = _bot(config, tmp_path)
        assert kills[-1] < PEOPLE, "the kills came too late to prove anything"

        def all_arrived() -> bool:
            return len({m.message_id for m in smtp_server.messages()}) >= PEOPLE

        assert await _until(all_arrived, 120), log.read_text()[-3000:]
        await asyncio.sleep(1.0)
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(timeout=30)
    arrived = smtp_server.messages()
    ids = Counter(m.message_id for m in arrived)
    # Each row's own Message-ID, one per person: nobody lost.
    assert len(ids) == PEOPLE
    assert {m.recipients[0] for m in arrived} == {f"person{n}@example.org" for n in range(PEOPLE)}
    assert all(mid.startswith("<outbox-") and mid.endswith("@cafe.example>") for mid in ids)
    # At most the one e-mail in flight at each kill came twice, with the same Message-ID.
    duplicates = sum(n - 1 for n in ids.values())
    assert duplicates <= KILLS, (kills, ids.most_common(5))
    assert await _sent_rows(tmp_path) == PEOPLE
