"""A matrix-nio client that plays a person in tests against the real Synapse."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    JoinResponse,
    LoginResponse,
    MatrixRoom,
    RoomCreateResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
    ToDeviceMessage,
)

from tests.servers.synapse import MatrixUser, SynapseServer

WAIT = 20.0  # seconds; generous for a loaded 2-core CI machine
# Synapse returns at most 10 timeline events per room and sync by default and
# marks the rest as a gap ("limited"); a client that falls behind must either
# ask for more per sync or back-fill with /messages. The tests ask for more.
SYNC_FILTER = {"room": {"timeline": {"limit": 100}}}
# A voice message as Element records it (m.audio with the voice marker), without the file's
# place: "url" in a plain room, "file" (encrypted) in an encrypted one.
VOICE_MESSAGE: dict[str, Any] = {
    "msgtype": "m.audio",
    "body": "Sprachnachricht.ogg",
    "info": {"mimetype": "audio/ogg", "duration": 4000},
    "org.matrix.msc1767.audio": {"duration": 4000},
    "org.matrix.msc3245.voice": {},
}


class Peer:
    """A logged-in nio client that records every room event it syncs.

    nio only hands events to callbacks during ``sync()``, so waiting for an
    event means "sync until the recorder has it"; the recorder keeps events
    from earlier syncs, so nothing is lost between two waits.
    """

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.events: list[tuple[str, Event]] = []
        # Event is the base of every room event type, UnknownEvent included.
        client.add_event_callback(self._record, Event)  # type: ignore[arg-type]

    async def _record(self, room: MatrixRoom, event: Event) -> None:
        self.events.append((room.room_id, event))

    async def sync_once(self, timeout_ms: int = 500) -> SyncResponse:
        """One sync plus the e2e housekeeping that sync_forever() would do.

        With manual sync() calls nio does not upload/query/claim keys or send
        queued to-device messages by itself; the adapter will need the same.
        """
        client = self.client
        response = await client.sync(
            timeout=timeout_ms, full_state=client.next_batch is None, sync_filter=SYNC_FILTER
        )
        assert isinstance(response, SyncResponse), response
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()
        return response

    async def wait_for(
        self, room_id: str, predicate: Callable[[Event], bool], within: float = WAIT
    ) -> Event:
        deadline = time.monotonic() + within
        while True:
            for seen_room, event in self.events:
                if seen_room == room_id and predicate(event):
                    return event
            if time.monotonic() > deadline:
                kinds = [type(event).__name__ for _, event in self.events]
                raise AssertionError(f"no matching event in {room_id} after {within}s: {kinds}")
            await self.sync_once()

    async def wait_until(self, condition: Callable[[], bool], within: float = WAIT) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met after {within}s")
            await self.sync_once()


@asynccontextmanager
async def logged_in(
    server: SynapseServer, user: MatrixUser, store: Path, max_limit_exceeded: int | None = None
) -> AsyncIterator[Peer]:
    """A password login with its own e2e store dir, as the bot will do it."""
    await asyncio.to_thread(store.mkdir, parents=True, exist_ok=True)
    config = AsyncClientConfig(
        encryption_enabled=True, store_sync_tokens=True, max_limit_exceeded=max_limit_exceeded
    )
    client = AsyncClient(server.base_url, user.user_id, store_path=str(store), config=config)
    try:
        response = await client.login(user.password, device_name="lotsenbot-test")
        assert isinstance(response, LoginResponse), response
        # Upload device keys right away: a peer can only share a megolm
        # session with devices whose keys are already on the server.
        if client.should_upload_keys:
            await client.keys_upload()
        yield Peer(client)
    finally:
        await client.close()


async def shared_room(alice: Peer, bob: Peer, **create: Any) -> str:
    """Alice creates a room and invites Bob; Bob joins; both have synced it."""
    bob_id = bob.client.user_id
    created = await alice.client.room_create(invite=[bob_id], **create)
    assert isinstance(created, RoomCreateResponse), created
    room_id = created.room_id
    await bob.wait_until(lambda: room_id in bob.client.invited_rooms)
    joined = await bob.client.join(room_id)
    assert isinstance(joined, JoinResponse), joined
    await bob.wait_until(lambda: room_id in bob.client.rooms)
    await alice.wait_until(
        lambda: room_id in alice.client.rooms and bob_id in alice.client.rooms[room_id].users
    )
    return room_id


async def say(peer: Peer, room_id: str, text: str, reply_to: str | None = None) -> str:
    """Send a text as a person types it (as a reply to ``reply_to``, the way Element sends
    one); returns its event id."""
    content: dict[str, Any] = {"msgtype": "m.text", "body": text}
    if reply_to is not None:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    sent = await peer.client.room_send(
        room_id, "m.room.message", content, ignore_unverified_devices=True
    )
    assert isinstance(sent, RoomSendResponse), sent
    return sent.event_id


def body_is(text: str) -> Callable[[Event], bool]:
    return lambda event: isinstance(event, RoomMessageText) and event.body == text


async def new_users(server: SynapseServer, *prefixes: str) -> list[MatrixUser]:
    return [await server.new_user_async(prefix) for prefix in prefixes]


async def send_keeping_key_back(peer: Peer, room_id: str, text: str) -> list[ToDeviceMessage]:
    """Send an encrypted message to a room whose room key the others do not get yet.

    The peer shares a new megolm session as nio would, but keeps the olm-encrypted key
    messages instead of sending them: the others see a message they cannot decrypt, as
    when a key is lost or late. Sending the returned messages later delivers the key.
    """
    client = peer.client
    assert client.olm is not None
    room = client.rooms[room_id]
    if client.should_query_keys:
        await client.keys_query()
    missing = client.get_missing_sessions(room_id)
    if missing:
        await client.keys_claim(missing)
    client.olm.create_outbound_group_session(room_id)
    shared_with, to_device = client.olm.share_group_session(
        room_id, list(room.users), ignore_unverified_devices=True
    )
    session = client.olm.outbound_group_sessions[room_id]
    session.users_shared_with.update(shared_with)
    session.shared = True  # so room_send does not share it again
    sent = await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": text})
    assert isinstance(sent, RoomSendResponse), sent
    return [
        ToDeviceMessage("m.room.encrypted", user_id, device_id, content)
        for user_id, devices in to_device["messages"].items()
        for device_id, content in devices.items()
    ]
