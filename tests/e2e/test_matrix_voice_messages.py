"""On Matrix against a real Synapse: a voice message (Element's m.audio with the voice
marker), in a plain and in an encrypted private room, gets the kind note instead of "nicht
verstanden"."""

from __future__ import annotations

import pytest

from tests.e2e.test_matrix import _room_with_bot, anna, matrix_bot, notice  # noqa: F401
from tests.fakes.matrix_peer import VOICE_MESSAGE as VOICE
from tests.servers.synapse import synapse_fixture  # noqa: F401 - fixture

# In an encrypted room the file is encrypted too: "file" instead of "url".
ENCRYPTED_FILE = {
    "url": "mxc://localhost/voice",
    "key": {
        "kty": "oct",
        "key_ops": ["encrypt", "decrypt"],
        "alg": "A256CTR",
        "k": "a2V5",
        "ext": True,
    },
    "iv": "aXY",
    "hashes": {"sha256": "aGFzaA"},
    "v": "v2",
}


@pytest.mark.parametrize("encrypted", [False, True])
async def test_a_voice_message_gets_a_kind_note(matrix_bot, anna, encrypted) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    room_id = await _room_with_bot(anna, matrix_bot, encrypted=encrypted)
    await anna.wait_for(room_id, notice("Hallo"))
    where = {"file": ENCRYPTED_FILE} if encrypted else {"url": "mxc://localhost/voice"}
    await anna.client.room_send(
        room_id, "m.room.message", {**VOICE, **where}, ignore_unverified_devices=True
    )
    note = await anna.wait_for(room_id, notice("Sprachnachrichten"))
    assert note.body.startswith(
        "Sprachnachrichten kann ich leider noch nicht anhören.\n"
        "Bitte schreiben Sie mir stattdessen einen kurzen Text."
    )
