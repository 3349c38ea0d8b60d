"""A Matrix message the bot cannot decrypt is kept, handled once its key comes, and its
sender is asked to send it again if the key never comes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import RoomMessageNotice
from sqlalchemy import func, select

from bot.domain.models import UndecryptedEvent
from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.fakes.matrix_peer import Peer, logged_in, send_keeping_key_back
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

ASK_AGAIN = "ich konnte Ihre letzte Nachricht nicht lesen. Bitte schicken Sie sie noch einmal."


def notice(contains: str):  # type: ignore[no-untyped-def]
    return lambda e: isinstance(e, RoomMessageNotice) and contains in e.body


@pytest.fixture
async def anna(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Peer]:
    user = await synapse.new_user_async("anna")
    async with logged_in(synapse, user, tmp_path / "anna-store") as peer:
        yield peer


async def _start(
    synapse: SynapseServer, url: str, data_dir: Path, notice_seconds: float
) -> RunningMatrixBot:
    running = RunningMatrixBot(
        synapse,
        await bot_account(synapse),
        url,
        data_dir,
        matrix={"undecryptable_notice_seconds": notice_seconds},
    )
    await running.start()
    return running


async def _encrypted_direct_room(peer: Peer, bot: RunningMatrixBot) -> str:
    created = await peer.client.room_create(
        invite=[bot.account.user_id],
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
    await peer.wait_for(room_id, notice("Hallo"))
    return room_id


async def _kept(bot: RunningMatrixBot) -> int:
    assert bot.app is not None
    async with bot.app.sessions() as session:
        return int(await session.scalar(select(func.count(UndecryptedEvent.id))) or 0)


async def _wait_kept(peer: Peer, bot: RunningMatrixBot, count: int) -> None:
    for _ in range(200):
        if await _kept(bot) == count:
            return
        await peer.sync_once()
    raise AssertionError(f"the bot does not keep {count} undecrypted messages")


async def test_a_late_key_opens_the_kept_message(synapse, anna, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bot = await _start(synapse, db_url, tmp_path, notice_seconds=3600)
    try:
        room_id = await _encrypted_direct_room(anna, bot)
        key = await send_keeping_key_back(anna, room_id, "!ich")
        await _wait_kept(anna, bot, 1)
        for message in key:
            await anna.client.to_device(message)
        answer = await anna.wait_for(room_id, notice("Ihre Nummer ist"), within=60)
        assert answer.decrypted
        await _wait_kept(anna, bot, 0)
        await anna.sync_once()
    finally:
        await bot.stop()
    bodies = [e.body for r, e in anna.events if r == room_id and isinstance(e, RoomMessageNotice)]
    assert sum(b.startswith("Ihre Nummer ist") for b in bodies) == 1
    assert not any(ASK_AGAIN in b for b in bodies)


async def test_a_key_that_never_comes_gets_one_polite_notice(
    synapse, anna, db_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    bot = await _start(synapse, db_url, tmp_path, notice_seconds=2)
    try:
        room_id = await _encrypted_direct_room(anna, bot)
        await send_keeping_key_back(anna, room_id, "!ich")
        asked = await anna.wait_for(room_id, notice(ASK_AGAIN), within=60)
        assert asked.decrypted
        await _wait_kept(anna, bot, 0)
        for _ in range(3):
            await anna.sync_once()
    finally:
        await bot.stop()
    bodies = [e.body for r, e in anna.events if r == room_id and isinstance(e, RoomMessageNotice)]
    assert sum(ASK_AGAIN in b for b in bodies) == 1
    assert not any(b.startswith("Ihre Nummer ist") for b in bodies)
