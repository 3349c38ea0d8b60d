"""A restarted Matrix bot answers without reading every joined room's state first.

The bot's account is in many rooms; after a restart it syncs on from its stored token and
reads a room's state only for the rooms it has to write in: the one it answers in and the
one the outbox sends to - encrypted both, which it must know before it writes. What the
restarted bot asked Synapse for is read from Synapse's access log (one line per request,
with its user).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import quote, unquote

from nio import RoomMessageNotice

from bot.chat.types import ChatRef, Outgoing
from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.e2e.queue import queue
from tests.fakes.matrix_peer import logged_in, say
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

ROOMS = 12
ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}
REQUEST = re.compile(r'\{(?P<user>[^}]*)\} Processed request: .*"(?P<method>[A-Z]+) (?P<path>\S+)')
ROOM_IN_PATH = re.compile(r"/rooms/([^/?]+)/(state|joined_members|members)\b")


def requests_of(server: SynapseServer, user_id: str, offset: int) -> list[str]:
    """The paths (with query) that ``user_id`` requested since ``offset`` in the log."""
    with open(server.log_path, encoding="utf8", errors="replace") as log:
        log.seek(offset)
        lines = log.read().splitlines()
    return [
        f"{m['method']} {m['path']}"
        for line in lines
        if (m := REQUEST.search(line)) and m["user"] == user_id
    ]


async def test_a_restart_reads_only_the_state_of_the_rooms_it_writes_in(
    synapse: SynapseServer, sqlite_url: str, tmp_path: Path
) -> None:
    account = await bot_account(synapse)
    anna_user = await synapse.new_user_async("anna")
    admin = await synapse.new_user_async("admin", admin=True)
    await synapse.override_ratelimit_async(anna_user.user_id, admin.access_token)
    async with logged_in(synapse, anna_user, tmp_path / "anna-store") as anna:
        rooms = []
        for n in range(ROOMS):
            created = await anna.client.room_create(
                invite=[account.user_id],
                is_direct=True,
                initial_state=[ENCRYPTION] if n < 2 else [],
            )
            room_id = created.room_id  # type: ignore[union-attr]
            path = f"/_matrix/client/v3/join/{quote(room_id, safe='')}"
            await asyncio.to_thread(synapse.request, "POST", path, {}, account.access_token)
            rooms.append(room_id)
        # Encrypted both: the restarted bot must learn that before it writes there.
        target, other = rooms[0], rooms[1]
        first = RunningMatrixBot(synapse, account, sqlite_url, tmp_path)
        await first.start()
        rooms_of = anna.client.rooms
        await anna.wait_until(
            lambda: all(account.user_id in getattr(rooms_of.get(r), "users", ()) for r in rooms[:2])
        )
        await first.stop()

        await say(anna, target, "!ich")  # written while the bot is down
        offset = synapse.log_path.stat().st_size
        again = RunningMatrixBot(synapse, account, sqlite_url, tmp_path)
        await again.start()
        try:
            answer = await anna.wait_for(
                target,
                lambda e: isinstance(e, RoomMessageNotice) and "Ihre Nummer ist" in e.body,
            )
            assert again.app is not None
            await queue(again.app, ChatRef("matrix", other, "direct"), ("lazy1", Outgoing("Hallo")))
            sent = await anna.wait_for(
                other, lambda e: isinstance(e, RoomMessageNotice) and e.body == "Hallo"
            )
        finally:
            await again.stop()
        # Both rooms' encryption was known before the bot wrote there.
        assert answer.decrypted and sent.decrypted

    asked = requests_of(synapse, account.user_id, offset)
    syncs = [path for path in asked if "/sync" in path]
    assert syncs, asked
    assert not [path for path in syncs if "full_state=true" in path]
    state_read = {unquote(m[1]) for path in asked if (m := ROOM_IN_PATH.search(path))}
    assert state_read == {target, other}
