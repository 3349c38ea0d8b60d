"""The Matrix adapter reads a voice message (Element's m.audio, plain or encrypted) as a
voice Incoming, not as empty text."""

from __future__ import annotations

from nio import MatrixRoom, RoomEncryptedAudio, RoomMessageAudio

from bot.adapters.matrix import translate

BOT = "@lotsenbot:stadt.example"
ANNA = "@anna:stadt.example"


def _room() -> MatrixRoom:
    room = MatrixRoom("!private:stadt.example", BOT)
    room.add_member(BOT, "Lotsenbot", None)
    room.add_member(ANNA, "Anna", None)
    return room


def _event(content: dict) -> dict:  # type: ignore[type-arg]
    return {
        "type": "m.room.message",
        "event_id": "$voice",
        "sender": ANNA,
        "origin_server_ts": 1,
        "content": content,
    }


def test_a_voice_message_is_read_as_voice() -> None:
    event = RoomMessageAudio.from_dict(
        _event(
            {
                "msgtype": "m.audio",
                "body": "Voice message.ogg",
                "url": "mxc://stadt.example/abc",
                "info": {"mimetype": "audio/ogg", "duration": 4000},
                "org.matrix.msc3245.voice": {},
            }
        )
    )
    assert isinstance(event, RoomMessageAudio)
    incoming = translate(_room(), event, BOT)
    assert incoming is not None
    assert (incoming.voice, incoming.text, incoming.chat.kind) == (True, "", "direct")


def test_an_encrypted_voice_message_is_read_as_voice() -> None:
    event = RoomEncryptedAudio.from_dict(
        _event(
            {
                "msgtype": "m.audio",
                "body": "Voice message.ogg",
                "file": {
                    "url": "mxc://stadt.example/abc",
                    "key": {"k": "key", "alg": "A256CTR", "ext": True, "kty": "oct"},
                    "iv": "iv",
                    "hashes": {"sha256": "hash"},
                    "v": "v2",
                },
                "info": {"mimetype": "audio/ogg"},
            }
        )
    )
    assert isinstance(event, RoomEncryptedAudio)
    incoming = translate(_room(), event, BOT)
    assert incoming is not None and incoming.voice
