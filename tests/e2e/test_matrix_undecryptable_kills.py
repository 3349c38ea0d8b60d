"""SIGKILL the real bot process while it holds a Matrix message it cannot decrypt: after
the restart the message is handled once its key comes, or its sender is asked, once, to
send it again."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import RoomMessageNotice

from bot.infra import migrate
from tests.e2e.matrix_bot import bot_account
from tests.fakes.matrix_peer import Peer, logged_in, send_keeping_key_back
from tests.scenarios.reminder_setup import BotRun, write_config
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

ASK_AGAIN = "ich konnte Ihre letzte Nachricht nicht lesen. Bitte schicken Sie sie noch einmal."
# A process start and its first sync take a few seconds on a loaded machine.
STARTUP = 90.0


def notice(contains: str):  # type: ignore[no-untyped-def]
    return lambda e: isinstance(e, RoomMessageNotice) and contains in e.body


@pytest.fixture
async def anna(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Peer]:
    user = await synapse.new_user_async("anna")
    async with logged_in(synapse, user, tmp_path / "anna-store") as peer:
        yield peer


class Bot:
    """The bot as a process of its own, on a SQLite file the test reads between its writes."""

    def __init__(self, run: BotRun, user_id: str, db_path: Path) -> None:
        self.run, self.user_id, self.db_path = run, user_id, db_path

    def kept(self) -> int:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30) as db:
            (count,) = db.execute("SELECT count(*) FROM undecrypted_events").fetchone()
        return int(count)


@pytest.fixture
async def bot(synapse: SynapseServer, tmp_path: Path, request) -> AsyncIterator[Bot]:  # type: ignore[no-untyped-def]
    notice_seconds = request.param
    db_path = tmp_path / "bot.infra.db"
    await asyncio.to_thread(migrate.upgrade, f"sqlite+aiosqlite:///{db_path}")
    account = await bot_account(synapse)
    section = (
        f'[matrix]\nhomeserver = "{synapse.base_url}"\nuser_id = "{account.user_id}"\n'
        f'password = "{account.password}"\nundecryptable_notice_seconds = {notice_seconds}\n'
    )
    config = write_config(tmp_path / "config.toml", tmp_path, db_path, section)
    run = BotRun("bot", config, tmp_path)
    run.spawn()
    try:
        yield Bot(run, account.user_id, db_path)
    finally:
        await run.stop()


async def _direct_room_and_a_kept_message(anna: Peer, bot: Bot, text: str) -> tuple[str, list]:  # type: ignore[type-arg]
    created = await anna.client.room_create(
        invite=[bot.user_id],
        is_direct=True,
        initial_state=[
            {
                "type": "m.room.encryption",
                "state_key": "",
                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
            }
        ],
    )
    room_id = created.room_id  # type: ignore[union-attr]
    await anna.wait_for(room_id, notice("Hallo"), within=STARTUP)
    key = await send_keeping_key_back(anna, room_id, text)
    await anna.wait_until(lambda: bot.run.check_alive() or bot.kept() == 1)  # type: ignore[func-returns-value]
    return room_id, key


def _notices(anna: Peer, room_id: str) -> list[str]:
    return [e.body for r, e in anna.events if r == room_id and isinstance(e, RoomMessageNotice)]


@pytest.mark.parametrize("bot", [3600], indirect=True)
async def test_kept_message_is_handled_after_a_kill_once_its_key_comes(bot, anna) -> None:  # type: ignore[no-untyped-def]
    room_id, key = await _direct_room_and_a_kept_message(anna, bot, "!ich")
    bot.run.kill()
    for message in key:  # the key comes while the bot is down
        await anna.client.to_device(message)
    bot.run.spawn()
    answer = await anna.wait_for(room_id, notice("Ihre Nummer ist"), within=STARTUP)
    assert answer.decrypted
    await anna.wait_until(lambda: bot.kept() == 0)
    await anna.sync_once()
    bodies = _notices(anna, room_id)
    assert sum(b.startswith("Ihre Nummer ist") for b in bodies) == 1, bot.run.tail()
    assert not any(ASK_AGAIN in b for b in bodies)


@pytest.mark.parametrize("bot", [3], indirect=True)
async def test_after_a_kill_a_key_that_never_comes_gets_one_notice(bot, anna) -> None:  # type: ignore[no-untyped-def]
    room_id, _key = await _direct_room_and_a_kept_message(anna, bot, "!ich")
    bot.run.kill()
    bot.run.spawn()
    await anna.wait_for(room_id, notice(ASK_AGAIN), within=STARTUP)
    await anna.wait_until(lambda: bot.kept() == 0)
    await anna.sync_once()
    bodies = _notices(anna, room_id)
    assert sum(ASK_AGAIN in b for b in bodies) == 1, bot.run.tail()
    assert not any(b.startswith("Ihre Nummer ist") for b in bodies)
