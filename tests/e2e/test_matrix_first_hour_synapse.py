"""A parent's first hour in an encrypted Matrix group, against the real Synapse: greeted
with the next date on joining, a reply answers the post it replies to, "/termine" works and
the group never reads one person's status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import RoomMessageNotice
from sqlalchemy import select

from bot.domain.models import Account, Rsvp
from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.fakes.matrix_peer import Peer, logged_in
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture


def notice(contains: str):  # type: ignore[no-untyped-def]
    return lambda e: isinstance(e, RoomMessageNotice) and contains in e.body


@pytest.fixture
async def staff(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Peer]:
    user = await synapse.new_user_async("ada")
    async with logged_in(synapse, user, tmp_path / "ada-store") as peer:
        yield peer


@pytest.fixture
async def matrix_bot(
    synapse: SynapseServer, sqlite_url: str, tmp_path: Path, staff: Peer
) -> AsyncIterator[RunningMatrixBot]:
    admins = [f"matrix:{staff.client.user_id}"]
    running = RunningMatrixBot(
        synapse, await bot_account(synapse), sqlite_url, tmp_path, bot={"admins": admins}
    )
    await running.start()
    yield running
    await running.stop()


async def _say(peer: Peer, room_id: str, text: str, reply_to: str | None = None) -> None:
    content: dict[str, object] = {"msgtype": "m.text", "body": text}
    if reply_to is not None:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    await peer.client.room_send(room_id, "m.room.message", content, ignore_unverified_devices=True)


async def test_a_parent_joins_an_encrypted_group_and_replies_to_the_date(  # type: ignore[no-untyped-def]
    synapse, matrix_bot, staff, tmp_path
) -> None:
    app = matrix_bot.app
    bot_id = matrix_bot.account.user_id
    encrypted = {
        "type": "m.room.encryption",
        "state_key": "",
        "content": {"algorithm": "m.megolm.v1.aes-sha2"},
    }
    # Pia, a parent, is invited; she has not joined yet.
    user = await synapse.new_user_async("pia")
    async with logged_in(synapse, user, tmp_path / "pia-store") as pia:
        created = await staff.client.room_create(
            invite=[bot_id, pia.client.user_id], initial_state=[encrypted]
        )
        room_id = created.room_id  # type: ignore[union-attr]
        await staff.wait_until(
            lambda: room_id in staff.client.rooms and bot_id in staff.client.rooms[room_id].users
        )
        await _say(staff, room_id, "!verbinden 1")
        await staff.wait_for(room_id, notice("Fertig."), within=30)
        # She joins: the posts before are not readable for her, so the bot greets her.
        await pia.wait_until(lambda: room_id in pia.client.invited_rooms)
        await pia.client.join(room_id)
        welcome = await pia.wait_for(room_id, notice("Willkommen, pia"), within=30)
        assert welcome.decrypted  # type: ignore[attr-defined]
        assert "Digitalcafé" in welcome.body and "1 – Ich komme" in welcome.body
        # Staff post the date list after it: a plain "ja" would no longer reach the welcome.
        await _say(staff, room_id, "!termine")
        first_list = await pia.wait_for(room_id, notice("Die nächsten Termine:"), within=30)
        # She answers "ja" as a reply to the welcome post: it signs her up for that date.
        await _say(pia, room_id, "ja", reply_to=welcome.event_id)
        for _ in range(100):
            async with app.sessions() as session:
                seats = (
                    await session.scalars(
                        select(Rsvp.status)
                        .join(Account, Account.person_id == Rsvp.person_id)
                        .where(Account.external_id == pia.client.user_id)
                    )
                ).all()
            if seats:
                break
            await pia.sync_once()
        assert seats == ["yes"]
        # "/termine" typed in Element works; the group list names nobody's status.
        await _say(pia, room_id, "/termine")
        listing = await pia.wait_for(
            room_id,
            lambda e: notice("Die nächsten Termine:")(e) and e.event_id != first_list.event_id,
            within=30,
        )
        assert "angemeldet" not in listing.body
