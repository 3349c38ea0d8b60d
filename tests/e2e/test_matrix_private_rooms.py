"""A Matrix room is a person's private chat only while exactly they and the bot are in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import JoinResponse, RoomMessageNotice, RoomPreset
from sqlalchemy import select

from bot.chat.types import Outgoing
from bot.delivery.outbox import enqueue
from bot.domain import people
from bot.domain.models import Account, Chat
from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.e2e.test_matrix import notice
from tests.fakes.matrix_peer import Peer, logged_in
from tests.fakes.matrix_peer import say as _say
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

SECRET = "Nur für Anna: Paul ruft Sie an, Telefon 0176 5550123"


@pytest.fixture
async def matrix_bot(
    synapse: SynapseServer, db_url: str, tmp_path: Path
) -> AsyncIterator[RunningMatrixBot]:
    running = RunningMatrixBot(synapse, await bot_account(synapse), db_url, tmp_path)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def anna(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Peer]:
    user = await synapse.new_user_async("anna")
    async with logged_in(synapse, user, tmp_path / "anna-store") as peer:
        yield peer


@pytest.fixture
async def otto(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Peer]:
    user = await synapse.new_user_async("otto")
    async with logged_in(synapse, user, tmp_path / "otto-store") as peer:
        yield peer


async def _direct_room_with_a_guest(bot: RunningMatrixBot, anna: Peer, otto: Peer) -> str:
    """Anna's (unencrypted, so a leak would be readable) direct room with the bot, known to
    the bot as her private chat; then Anna invites Otto and he joins."""
    created = await anna.client.room_create(invite=[bot.account.user_id], is_direct=True)
    room_id = created.room_id  # type: ignore[union-attr]
    await anna.wait_for(room_id, notice("Hallo"))
    await _say(anna, room_id, "!ich")
    await anna.wait_for(room_id, notice("Ihre Nummer ist"))
    await anna.client.room_invite(room_id, otto.client.user_id)
    await otto.wait_until(lambda: room_id in otto.client.invited_rooms)
    await otto.client.join(room_id)
    await otto.wait_until(lambda: room_id in otto.client.rooms)
    adapter = bot.app.adapters["matrix"]  # type: ignore[union-attr]
    # The bot's own view of the room, as its next sync brings it.
    await anna.wait_until(lambda: otto.client.user_id in adapter.client.rooms[room_id].users)
    return room_id


async def _person_id(bot: RunningMatrixBot, user_id: str) -> int:
    assert bot.app is not None
    async with bot.app.sessions() as session:
        person_id = await session.scalar(
            select(Account.person_id).where(Account.external_id == user_id)
        )
    assert person_id is not None
    return person_id


async def test_private_message_never_reaches_a_guest_in_the_old_direct_room(
    matrix_bot, anna, otto
) -> None:  # type: ignore[no-untyped-def]
    room_id = await _direct_room_with_a_guest(matrix_bot, anna, otto)
    app = matrix_bot.app
    person_id = await _person_id(matrix_bot, anna.client.user_id)
    # A feature writes to Anna privately, as a reminder or a volunteer's contact would.
    async with app.sessions.begin() as session:
        chat = await people.private_chat(session, person_id, app.clock.now(), prefer="matrix")
        assert chat is not None
        await enqueue(session, chat, Outgoing(SECRET), dedup_key="secret", now=app.clock.now())
    app.sender.wake()

    # Anna gets it in a new, encrypted direct room of her own.
    await anna.wait_until(lambda: bool(set(anna.client.invited_rooms) - {room_id}), within=30)
    new_room = next(iter(set(anna.client.invited_rooms) - {room_id}))
    await anna.client.join(new_room)
    message = await anna.wait_for(new_room, notice(SECRET), within=30)
    assert message.decrypted
    assert set(anna.client.rooms[new_room].users) == {
        anna.client.user_id,
        app.adapters["matrix"].client.user_id,
    }

    # Otto, in the old room, never sees it.
    await otto.sync_once()
    await otto.sync_once()
    seen = [e.body for r, e in otto.events if r == room_id and isinstance(e, RoomMessageNotice)]
    assert seen and not any("0176" in body for body in seen)
    async with app.sessions() as session:
        old = await session.scalar(select(Chat).where(Chat.external_id == room_id))
        new = await session.scalar(select(Chat).where(Chat.external_id == new_room))
        again = await people.private_chat(session, person_id, app.clock.now(), prefer="matrix")
    assert old.kind == "group"  # never chosen as her private chat again
    assert new.kind == "direct" and new.person_id == person_id
    assert again is not None and again.external_id == new_room


async def test_a_room_with_a_guest_is_not_treated_as_private(matrix_bot, anna, otto) -> None:  # type: ignore[no-untyped-def]
    room_id = await _direct_room_with_a_guest(matrix_bot, anna, otto)
    # A private command asked in the room Otto is in gets no private answer there.
    await _say(anna, room_id, "!verknuepfen")
    await anna.wait_for(room_id, notice("Bitte schreiben Sie mir das in einem privaten Chat."))
    await otto.sync_once()
    bodies = [e.body for r, e in otto.events if r == room_id and isinstance(e, RoomMessageNotice)]
    assert not any("verknuepfen" in body and "Code" in body for body in bodies)

    # Nor when Anna leaves and Otto is alone with the bot: it is not his private chat.
    await anna.client.room_leave(room_id)
    adapter = matrix_bot.app.adapters["matrix"]
    await otto.wait_until(lambda: anna.client.user_id not in adapter.client.rooms[room_id].users)
    await _say(otto, room_id, "!verknuepfen")
    await otto.wait_for(room_id, notice("Bitte schreiben Sie mir das in einem privaten Chat."))


async def test_a_stranger_alone_in_a_former_direct_room_gets_nothing_private(
    matrix_bot, anna, otto
) -> None:  # type: ignore[no-untyped-def]
    # Anna's direct room is open to anyone with its id; she leaves and Otto joins, so it is
    # the bot and Otto, two again, but not Anna's.
    created = await anna.client.room_create(
        invite=[matrix_bot.account.user_id], is_direct=True, preset=RoomPreset.public_chat
    )
    room_id = created.room_id
    await anna.wait_for(room_id, notice("Hallo"))
    await _say(anna, room_id, "!ich")
    await anna.wait_for(room_id, notice("Ihre Nummer ist"))
    await anna.client.room_leave(room_id)
    joined = await otto.client.join(room_id)
    assert isinstance(joined, JoinResponse), joined
    adapter = matrix_bot.app.adapters["matrix"]
    await otto.wait_until(
        lambda: (
            set(adapter.client.rooms[room_id].users)
            == {otto.client.user_id, adapter.client.user_id}
        )
    )
    app = matrix_bot.app
    person_id = await _person_id(matrix_bot, anna.client.user_id)
    async with app.sessions.begin() as session:
        chat = await people.private_chat(session, person_id, app.clock.now(), prefer="matrix")
        assert chat is not None and chat.external_id == room_id  # as the bot last knew it
        await enqueue(session, chat, Outgoing(SECRET), dedup_key="secret", now=app.clock.now())
    app.sender.wake()

    await anna.wait_until(lambda: bool(set(anna.client.invited_rooms) - {room_id}), within=30)
    new_room = next(iter(set(anna.client.invited_rooms) - {room_id}))
    await anna.client.join(new_room)
    await anna.wait_for(new_room, notice(SECRET), within=30)
    await otto.sync_once()
    seen = [e.body for r, e in otto.events if r == room_id and isinstance(e, RoomMessageNotice)]
    assert not any("0176" in body for body in seen)
