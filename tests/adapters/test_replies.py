"""Each adapter tells which message a reply replies to: Telegram's reply_to_message (PTB
reading the fake Bot API server's update) and Matrix's m.in_reply_to (nio reading the event
as Element sends it)."""

from __future__ import annotations

import telegram
from nio import MatrixRoom, RoomMemberEvent, RoomMessageText

from bot.adapters import matrix as matrix_adapter
from bot.adapters import telegram as telegram_adapter
from tests.fakes.telegram_server import FakeTelegramServer


async def test_telegram_reply_names_the_bots_message() -> None:
    async with FakeTelegramServer() as server:
        bot = telegram.Bot(
            server.token, base_url=server.base_url, base_file_url=server.base_file_url
        )
        await bot.initialize()
        try:
            cafe = server.group(-2001, "Digitalcafé")
            anna = server.user(100, "Anna")
            post = await bot.send_message(cafe["id"], "Digitalcafé, Dienstag, 3. Februar")
            update = server.post_message(cafe, anna, "nein", reply_to=post.message_id)
            incoming = telegram_adapter.translate(telegram.Update.de_json(update, bot), bot.id)
        finally:
            await bot.shutdown()
    assert incoming is not None
    assert incoming.text == "nein"
    assert incoming.reply_to == str(post.message_id)


def test_matrix_reply_names_the_bots_event() -> None:
    room = MatrixRoom("!cafe:stadt.example", "@lotsenbot:stadt.example")
    for user in ("@lotsenbot:stadt.example", "@anna:stadt.example", "@bert:stadt.example"):
        room.add_member(user, None, None)
    event = RoomMessageText.from_dict(
        {
            "type": "m.room.message",
            "event_id": "$answer",
            "sender": "@anna:stadt.example",
            "origin_server_ts": 1,
            "content": {
                "msgtype": "m.text",
                "body": "> <@lotsenbot:stadt.example> Digitalcafé, 3. Februar\n\nnein",
                "m.relates_to": {"m.in_reply_to": {"event_id": "$post"}},
            },
        }
    )
    incoming = matrix_adapter.translate(room, event, "@lotsenbot:stadt.example")
    assert incoming is not None
    assert incoming.text == "nein"
    assert incoming.reply_to == "$post"


def _room(*members: str) -> MatrixRoom:
    room = MatrixRoom("!cafe:stadt.example", "@lotsenbot:stadt.example")
    for user in ("@lotsenbot:stadt.example", *members):
        room.add_member(user, None, None)
    return room


def _member_event(user: str, membership: str, prev: str | None) -> RoomMemberEvent:
    event = RoomMemberEvent.from_dict(
        {
            "type": "m.room.member",
            "event_id": f"${user}-{membership}",
            "sender": user,
            "state_key": user,
            "origin_server_ts": 1,
            "content": {"membership": membership, "displayname": "Pia"},
            "unsigned": {"prev_content": {"membership": prev}} if prev else {},
        }
    )
    assert isinstance(event, RoomMemberEvent)
    return event


def test_matrix_someone_joining_a_group_is_a_member_joined() -> None:
    bot = "@lotsenbot:stadt.example"
    room = _room("@anna:stadt.example", "@pia:stadt.example")
    joined = matrix_adapter.translate(room, _member_event("@pia:stadt.example", "join", None), bot)
    assert joined is not None and joined.member_joined and joined.chat.kind == "group"
    assert joined.sender.external_id == "@pia:stadt.example"
    assert joined.sender.display_name == "Pia"
    # A name change is no new member; neither is someone accepting their private chat.
    renamed = _member_event("@pia:stadt.example", "join", "join")
    assert matrix_adapter.translate(room, renamed, bot) is None
    private = _room("@pia:stadt.example")
    accepted = _member_event("@pia:stadt.example", "join", "invite")
    assert matrix_adapter.translate(private, accepted, bot) is None
