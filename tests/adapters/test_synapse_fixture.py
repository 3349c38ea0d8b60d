"""Proves tests/servers/synapse.py gives matrix-nio a working homeserver.

Everything here drives unmodified ``nio.AsyncClient``s against the real
Synapse from the session fixture, the way the Matrix adapter will: password
login, rooms, invites, text, reactions, media, end-to-end encryption, rate
limits and a server restart. Each test registers its own users, so the tests
stay independent although they share one server.
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
from pathlib import Path

import pytest
from nio import (
    EnableEncryptionBuilder,
    MegolmEvent,
    MemoryDownloadResponse,
    OlmUnverifiedDeviceError,
    ReactionEvent,
    RoomMessageFile,
    RoomMessageText,
    RoomPreset,
    RoomSendError,
    RoomSendResponse,
    UploadResponse,
)

# There is no tests/__init__.py, so make the repo root importable for
# `tests.fakes` however pytest was started.
_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.fakes.matrix_peer import (  # noqa: E402
    body_is,
    logged_in,
    new_users,
    shared_room,
)
from tests.servers.synapse import (  # noqa: E402
    SynapseError,
    SynapseServer,
    synapse_fixture,  # noqa: F401 - provides the `synapse` fixture
)


async def test_text_reaction_and_file(synapse: SynapseServer, tmp_path: Path) -> None:
    alice_user, bob_user = await new_users(synapse, "alice", "bob")
    async with (
        logged_in(synapse, alice_user, tmp_path / "alice") as alice,
        logged_in(synapse, bob_user, tmp_path / "bob") as bob,
    ):
        room_id = await shared_room(alice, bob, name="Digitalcafé")

        sent = await alice.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "Hallo Bob"}
        )
        assert isinstance(sent, RoomSendResponse), sent
        text = await bob.wait_for(room_id, body_is("Hallo Bob"))
        assert text.sender == alice_user.user_id
        assert text.event_id == sent.event_id

        reaction = {
            "m.relates_to": {"rel_type": "m.annotation", "event_id": sent.event_id, "key": "👍"}
        }
        await bob.client.room_send(room_id, "m.reaction", reaction)
        got = await alice.wait_for(room_id, lambda e: isinstance(e, ReactionEvent))
        assert isinstance(got, ReactionEvent)
        assert got.sender == bob_user.user_id
        assert (got.reacts_to, got.key) == (sent.event_id, "👍")

        payload = b"Kursplan\nMontag 10 Uhr\n" * 20
        upload, keys = await alice.client.upload(
            io.BytesIO(payload),
            content_type="text/plain",
            filename="kursplan.txt",
            filesize=len(payload),
        )
        assert isinstance(upload, UploadResponse), upload
        assert keys is None
        assert upload.content_uri.startswith(f"mxc://{synapse.server_name}/")
        content = {
            "msgtype": "m.file",
            "body": "kursplan.txt",
            "url": upload.content_uri,
            "info": {"mimetype": "text/plain", "size": len(payload)},
        }
        await alice.client.room_send(room_id, "m.room.message", content)
        file_event = await bob.wait_for(room_id, lambda e: isinstance(e, RoomMessageFile))
        assert file_event.url == upload.content_uri
        # nio downloads via the authenticated /_matrix/client/v1/media API,
        # which Synapse requires for new media by default.
        download = await bob.client.download(file_event.url)
        assert isinstance(download, MemoryDownloadResponse), download
        assert download.body == payload


async def test_encrypted_direct_room(synapse: SynapseServer, tmp_path: Path) -> None:
    alice_user, bob_user = await new_users(synapse, "alice", "bob")
    async with (
        logged_in(synapse, alice_user, tmp_path / "alice") as alice,
        logged_in(synapse, bob_user, tmp_path / "bob") as bob,
    ):
        assert alice.client.olm is not None, "matrix-nio[e2e] is not installed"
        room_id = await shared_room(
            alice,
            bob,
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            initial_state=[EnableEncryptionBuilder().as_dict()],
        )
        assert alice.client.rooms[room_id].encrypted
        assert bob.client.rooms[room_id].encrypted

        # Nothing is verified, so nio refuses to share the room key unless told
        # to. The bot has no way to verify users, so it will send like this:
        with pytest.raises(OlmUnverifiedDeviceError):
            await alice.client.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": "refused"}
            )
        sent = await alice.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": "Geheim: Treffen um 10"},
            ignore_unverified_devices=True,
        )
        assert isinstance(sent, RoomSendResponse), sent

        got = await bob.wait_for(room_id, lambda e: getattr(e, "event_id", None) == sent.event_id)
        assert not isinstance(got, MegolmEvent), "Bob could not decrypt Alice's message"
        assert isinstance(got, RoomMessageText)
        assert got.body == "Geheim: Treffen um 10"
        assert got.decrypted

        # And the other way round, with Bob's client trusting Alice's device
        # explicitly instead of ignoring verification.
        for device in bob.client.device_store.active_user_devices(alice_user.user_id):
            bob.client.verify_device(device)
        reply = await bob.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "Bin dabei"}
        )
        assert isinstance(reply, RoomSendResponse), reply
        answer = await alice.wait_for(room_id, body_is("Bin dabei"))
        assert isinstance(answer, RoomMessageText) and answer.decrypted


async def test_override_ratelimit_allows_bursts(synapse: SynapseServer, tmp_path: Path) -> None:
    sender, reader = await new_users(synapse, "burst", "reader")
    admin = await synapse.new_user_async("admin", admin=True)
    await synapse.override_ratelimit_async(sender.user_id, admin.access_token)
    async with (
        logged_in(synapse, sender, tmp_path / "sender") as fast,
        logged_in(synapse, reader, tmp_path / "reader") as slow,
    ):
        room_id = await shared_room(fast, slow)
        started = time.monotonic()
        for number in range(50):
            result = await fast.client.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": f"Nachricht {number}"}
            )
            assert isinstance(result, RoomSendResponse), (number, result)
        # With Synapse's default rc_message (0.2/s, burst 10) this would take
        # minutes; nio would retry 429s silently, so the time is the proof.
        assert time.monotonic() - started < 15
        await slow.wait_for(room_id, body_is("Nachricht 49"))
        bodies = [e.body for _, e in slow.events if isinstance(e, RoomMessageText)]
        assert bodies == [f"Nachricht {n}" for n in range(50)]


async def test_default_ratelimit_answers_429(synapse: SynapseServer, tmp_path: Path) -> None:
    sender, reader = await new_users(synapse, "limited", "reader")
    async with (
        # nio retries 429s forever by default (sleeping retry_after_ms), which
        # would hide the limit; max_limit_exceeded=0 makes it return the error.
        logged_in(synapse, sender, tmp_path / "sender", max_limit_exceeded=0) as limited,
        logged_in(synapse, reader, tmp_path / "reader") as other,
    ):
        room_id = await shared_room(limited, other)
        results = []
        # Synapse holds each rejected send for 0.5 s before answering 429, so
        # a few past the burst of 10 are enough.
        for number in range(12):
            results.append(
                await limited.client.room_send(
                    room_id, "m.room.message", {"msgtype": "m.text", "body": str(number)}
                )
            )
        assert isinstance(results[0], RoomSendResponse)
        errors = [r for r in results if isinstance(r, RoomSendError)]
        assert errors, "Synapse's default rc_message (burst 10) should have answered 429"
        assert errors[0].status_code == "M_LIMIT_EXCEEDED"
        assert errors[0].retry_after_ms and errors[0].retry_after_ms > 0


async def test_restart_keeps_users_and_rooms(synapse: SynapseServer, tmp_path: Path) -> None:
    alice_user, bob_user = await new_users(synapse, "alice", "bob")
    async with (
        logged_in(synapse, alice_user, tmp_path / "alice") as alice,
        logged_in(synapse, bob_user, tmp_path / "bob") as bob,
    ):
        room_id = await shared_room(alice, bob)
        await alice.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "vor dem Neustart"}
        )
        await bob.wait_for(room_id, body_is("vor dem Neustart"))

    await asyncio.to_thread(synapse.restart)

    async with (
        logged_in(synapse, alice_user, tmp_path / "alice2") as alice,
        logged_in(synapse, bob_user, tmp_path / "bob2") as bob,
    ):
        await alice.wait_until(lambda: room_id in alice.client.rooms)
        assert bob_user.user_id in alice.client.rooms[room_id].users
        await alice.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "nach dem Neustart"}
        )
        await bob.wait_for(room_id, body_is("nach dem Neustart"))
        # The access token from registration survived the restart too.
        whoami = await asyncio.to_thread(
            synapse.request,
            "GET",
            "/_matrix/client/v3/account/whoami",
            None,
            alice_user.access_token,
        )
        assert whoami["user_id"] == alice_user.user_id


def test_register_rejects_bad_mac(synapse: SynapseServer) -> None:
    nonce = synapse.request("GET", "/_synapse/admin/v1/register")["nonce"]
    with pytest.raises(SynapseError) as caught:
        synapse.request(
            "POST",
            "/_synapse/admin/v1/register",
            {"nonce": nonce, "username": "mallory", "password": "x", "mac": "00" * 20},
        )
    assert caught.value.status == 403


def test_unique_users_do_not_clash(synapse: SynapseServer) -> None:
    first = synapse.new_user("Gleicher Name!")
    second = synapse.new_user("Gleicher Name!")
    assert first.user_id != second.user_id
    assert first.user_id.endswith(f":{synapse.server_name}")
    assert first.localpart.startswith("gleicher-name-")
