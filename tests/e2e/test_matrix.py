"""End to end on Matrix: the bot's nio adapter against a real Synapse, members as nio clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import MegolmEvent, RoomMessageFile, RoomMessageNotice
from sqlalchemy import func, select

from bot.chat.types import Attachment, ChatRef, Outgoing
from bot.delivery.outbox import enqueue, enqueue_edit
from bot.domain import people
from bot.domain.models import Account, Chat, OutboxMessage
from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.e2e.queue import queue
from tests.fakes.matrix_peer import Peer, logged_in
from tests.fakes.matrix_peer import say as _say
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture


def notice(contains: str):  # type: ignore[no-untyped-def]
    return lambda e: isinstance(e, RoomMessageNotice) and contains in e.body


def replaces(event_id: str, text: str | None = None):  # type: ignore[no-untyped-def]
    """An edit of ``event_id`` (with this new text, if given)."""

    def matches(event) -> bool:  # type: ignore[no-untyped-def]
        content = event.source.get("content", {})
        relates = content.get("m.relates_to", {})
        if relates.get("rel_type") != "m.replace" or relates.get("event_id") != event_id:
            return False
        return text is None or content.get("m.new_content", {}).get("body") == text

    return matches


@pytest.fixture
async def matrix_bot(
    synapse: SynapseServer, sqlite_url: str, tmp_path: Path
) -> AsyncIterator[RunningMatrixBot]:
    running = RunningMatrixBot(synapse, await bot_account(synapse), sqlite_url, tmp_path)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def anna(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Peer]:
    user = await synapse.new_user_async("anna")
    async with logged_in(synapse, user, tmp_path / "anna-store") as peer:
        yield peer


async def _room_with_bot(peer: Peer, bot: RunningMatrixBot, *, encrypted: bool = False) -> str:
    initial_state = []
    if encrypted:
        initial_state.append(
            {
                "type": "m.room.encryption",
                "state_key": "",
                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
            }
        )
    created = await peer.client.room_create(
        invite=[bot.account.user_id], is_direct=True, initial_state=initial_state
    )
    room_id = created.room_id  # type: ignore[union-attr]
    await peer.wait_until(
        lambda: (
            room_id in peer.client.rooms and bot.account.user_id in peer.client.rooms[room_id].users
        )
    )
    return room_id


async def test_invite_join_greeting_and_start(matrix_bot, anna) -> None:  # type: ignore[no-untyped-def]
    room_id = await _room_with_bot(anna, matrix_bot)
    greeting = await anna.wait_for(room_id, notice("Hallo"))
    assert "formatted_body" in greeting.source["content"]
    await _say(anna, room_id, "!hilfe")
    help_text = await anna.wait_for(room_id, notice("Das kann ich für Sie tun:"))
    assert "!sprache – Sprache wählen" in help_text.body


async def test_numbered_dialog_and_reaction(matrix_bot, anna) -> None:  # type: ignore[no-untyped-def]
    room_id = await _room_with_bot(anna, matrix_bot)
    await _say(anna, room_id, "!sprache")
    question = await anna.wait_for(room_id, notice("Welche Sprache"))
    assert question.body.endswith(
        "1 – Deutsch\n2 – English\n3 – Українська\nAntworten Sie mit 1, 2 oder 3."
    )
    await _say(anna, room_id, "2")
    await anna.wait_for(room_id, notice("I will write to you in English"))
    await _say(anna, room_id, "!sprache")
    again = await anna.wait_for(room_id, notice("Which language"))
    # A thumbs-up on a message with choices picks its first choice.
    await anna.client.room_send(
        room_id,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": again.event_id, "key": "👍"}},
    )
    await anna.wait_for(room_id, notice("Ich schreibe Ihnen ab jetzt auf Deutsch"))


async def test_edits_and_notices_do_not_run_commands(matrix_bot, anna) -> None:  # type: ignore[no-untyped-def]
    room_id = await _room_with_bot(anna, matrix_bot)
    await anna.wait_for(room_id, notice("Hallo"))
    original = await _say(anna, room_id, "Guten Tag")
    await anna.client.room_send(
        room_id,
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": "* !sprache",
            "m.new_content": {"msgtype": "m.text", "body": "!sprache"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original},
        },
    )
    await anna.client.room_send(
        room_id, "m.room.message", {"msgtype": "m.notice", "body": "!sprache"}
    )
    await _say(anna, room_id, "!ich")
    await anna.wait_for(room_id, notice("Ihre Nummer ist"))
    bodies = [e.body for _, e in anna.events if isinstance(e, RoomMessageNotice)]
    assert not any("Welche Sprache" in b for b in bodies)


async def test_file_is_uploaded(matrix_bot, anna) -> None:  # type: ignore[no-untyped-def]
    room_id = await _room_with_bot(anna, matrix_bot)
    await anna.wait_for(room_id, notice("Hallo"))
    app = matrix_bot.app
    report = Attachment("bericht.csv", b"a;b\n1;2\n", "text/csv")
    await queue(
        app,
        ChatRef("matrix", room_id, "direct"),
        ("f1", Outgoing("Ihr Bericht", attachment=report)),
    )
    file_event = await anna.wait_for(room_id, lambda e: isinstance(e, RoomMessageFile))
    assert file_event.body == "bericht.csv"
    downloaded = await anna.client.download(file_event.url)
    assert downloaded.body == b"a;b\n1;2\n"


async def test_encrypted_direct_room(matrix_bot, anna) -> None:  # type: ignore[no-untyped-def]
    room_id = await _room_with_bot(anna, matrix_bot, encrypted=True)
    greeting = await anna.wait_for(room_id, notice("Hallo"))
    assert greeting.decrypted  # the bot wrote encrypted
    await _say(anna, room_id, "!ich")
    answer = await anna.wait_for(room_id, notice("Ihre Nummer ist"))
    assert answer.decrypted
    assert not any(isinstance(e, MegolmEvent) for _, e in anna.events)


async def test_restart_neither_replays_nor_misses(
    matrix_bot, anna, synapse, sqlite_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    room_id = await _room_with_bot(anna, matrix_bot)
    await anna.wait_for(room_id, notice("Hallo"))
    await _say(anna, room_id, "!ich")
    await anna.wait_for(room_id, notice("Ihre Nummer ist"))
    await matrix_bot.stop()
    await _say(anna, room_id, "!hilfe")  # written while the bot is down
    again = RunningMatrixBot(synapse, matrix_bot.account, sqlite_url, tmp_path)
    await again.start()
    try:
        await anna.wait_for(room_id, notice("Das kann ich für Sie tun"))
        await _say(anna, room_id, "!sprache")
        await anna.wait_for(room_id, notice("Welche Sprache"))
    finally:
        await again.stop()
    await matrix_bot.start()  # the fixture stops it at the end
    bodies = [e.body.splitlines()[0] for _, e in anna.events if isinstance(e, RoomMessageNotice)]
    assert bodies.count("Ihre Nummer ist 1.") <= 1
    assert sum(b.startswith("Ihre Nummer") for b in bodies) == 1
    assert sum(b.startswith("Das kann ich") for b in bodies) == 1


async def test_synapse_restart_loses_nothing(matrix_bot, anna, synapse) -> None:  # type: ignore[no-untyped-def]
    room_id = await _room_with_bot(anna, matrix_bot)
    await anna.wait_for(room_id, notice("Hallo"))
    app = matrix_bot.app
    room = ChatRef("matrix", room_id, "direct")
    await queue(app, room, ("x1", Outgoing("Vor dem Neustart")))
    await anna.wait_for(room_id, notice("Vor dem Neustart"))
    await anna.client.close()
    synapse.restart()
    await queue(app, room, ("x2", Outgoing("Nach dem Neustart")))
    await anna.wait_for(room_id, notice("Nach dem Neustart"), within=60)
    await _say(anna, room_id, "!ich")
    await anna.wait_for(room_id, notice("Ihre Nummer ist"), within=60)
    # Anna may see the answer before its sent mark is committed (marks are written together).
    for _ in range(200):
        if await app.sender.quiet():
            break
        await asyncio.sleep(0.05)
    async with app.sessions() as session:
        pending = await session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status != "sent")
        )
    assert pending == 0


async def test_default_rate_limits_still_deliver_everything(
    synapse, anna, sqlite_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    running = RunningMatrixBot(
        synapse, await bot_account(synapse, override=False), sqlite_url, tmp_path
    )
    app = await running.start()
    try:
        room_id = await _room_with_bot(anna, running)
        await anna.wait_for(room_id, notice("Hallo"))
        await queue(
            app,
            ChatRef("matrix", room_id, "direct"),
            *((f"m{n}", Outgoing(f"Nachricht {n}")) for n in range(14)),
        )
        await anna.wait_until(
            lambda: (
                sum(
                    isinstance(e, RoomMessageNotice) and e.body.startswith("Nachricht")
                    for _, e in anna.events
                )
                >= 14
            ),
            within=120,
        )
    finally:
        await running.stop()
    received = [
        e.body
        for _, e in anna.events
        if isinstance(e, RoomMessageNotice) and e.body.startswith("Nachricht")
    ]
    assert received == [f"Nachricht {n}" for n in range(14)]  # in order, once each


async def test_private_message_opens_an_encrypted_direct_room(matrix_bot, anna, synapse) -> None:  # type: ignore[no-untyped-def]
    # Anna is known from a group room only; the bot must open a private room to reach her.
    other = await synapse.new_user_async("otto")
    async with logged_in(synapse, other, Path(anna.client.store_path + "-otto")) as otto:
        created = await anna.client.room_create(
            invite=[matrix_bot.account.user_id, otto.client.user_id]
        )
        group_id = created.room_id
        await otto.wait_until(lambda: group_id in otto.client.invited_rooms)
        await otto.client.join(group_id)
        await anna.wait_for(group_id, notice("Hallo"))
        await _say(anna, group_id, "Guten Tag")
        app = matrix_bot.app
        for _ in range(100):
            async with app.sessions() as session:
                person_id = await session.scalar(
                    select(Account.person_id).where(Account.external_id == anna.client.user_id)
                )
            if person_id:
                break
            await anna.sync_once()
        async with app.sessions.begin() as session:
            chat = await people.private_chat(session, person_id, app.clock.now())
            assert chat is not None and chat.external_id == anna.client.user_id
            await enqueue(
                session, chat, Outgoing("Nur für Sie"), dedup_key="p1", now=app.clock.now()
            )
        app.sender.wake()
        await anna.wait_until(lambda: len(anna.client.invited_rooms) > 0, within=30)
        room_id = next(iter(anna.client.invited_rooms))
        await anna.client.join(room_id)
        message = await anna.wait_for(room_id, notice("Nur für Sie"), within=30)
        assert message.decrypted
        async with app.sessions() as session:
            chat = await session.scalar(select(Chat).where(Chat.person_id == person_id))
        assert chat.external_id == room_id


async def test_a_repeated_send_is_shown_once(matrix_bot, anna) -> None:  # type: ignore[no-untyped-def]
    from bot.chat.types import Delivery

    room_id = await _room_with_bot(anna, matrix_bot)
    await anna.wait_for(room_id, notice("Hallo"))
    adapter = matrix_bot.app.adapters["matrix"]
    delivery = Delivery(
        id=0, dedup_key="reminder:42", chat=ChatRef("matrix", room_id, "direct"), text="Einmal"
    )
    first = await adapter.send(delivery)
    again = await adapter.send(delivery)  # as after a crash between sending and recording
    assert first == again
    await _say(anna, room_id, "!ich")
    await anna.wait_for(room_id, notice("Ihre Nummer ist"))
    assert sum(isinstance(e, RoomMessageNotice) and e.body == "Einmal" for _, e in anna.events) == 1


@pytest.mark.parametrize("encrypted", [False, True])
async def test_edit_replaces_the_text_in_place(matrix_bot, anna, encrypted) -> None:  # type: ignore[no-untyped-def]
    room_id = await _room_with_bot(anna, matrix_bot, encrypted=encrypted)
    await anna.wait_for(room_id, notice("Hallo"))
    app = matrix_bot.app
    await queue(app, ChatRef("matrix", room_id, "direct"), ("ann-1", Outgoing("20 von 20 frei")))
    original = await anna.wait_for(room_id, notice("20 von 20 frei"))
    texts = ["19 von 20 frei", "18 von 20 frei"]
    for text in texts:
        async with app.sessions.begin() as session:
            await enqueue_edit(session, "ann-1", Outgoing(text), app.clock.now())
        app.sender.wake()
        await anna.wait_for(room_id, replaces(original.event_id, text))
    edits = [e for _, e in anna.events if replaces(original.event_id)(e)]
    assert [e.source["content"]["m.new_content"]["body"] for e in edits] == texts
    assert [e.body for e in edits] == [f"* {t}" for t in texts]  # for clients without edits
    assert all(isinstance(e, RoomMessageNotice) and e.decrypted == encrypted for e in edits)
    is_edit = replaces(original.event_id)
    posted = [e for _, e in anna.events if notice("von 20")(e) and not is_edit(e)]
    assert posted == [original]
