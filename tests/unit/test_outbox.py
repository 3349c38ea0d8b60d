"""The outbox and sender: dedup, per-chat order, waiting, retrying, never dropping."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.chat.errors import ChatMoved, RetryLater, TransientError, Unreachable
from bot.chat.types import Attachment, ChatRef, Delivery, Incoming, Outgoing, Sender
from bot.delivery import reach
from bot.delivery.outbox import enqueue
from bot.domain import people
from bot.domain.models import Account, Chat, OutboxMessage


async def _queue(app, chat_id: str, *texts: str, kind: str = "direct") -> None:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        now = app.clock.now()
        chat = await people.get_or_create_chat(session, ChatRef("console", chat_id, kind), now)
        for text in texts:
            await enqueue(session, chat, Outgoing(text), dedup_key=f"{chat_id}:{text}", now=now)


async def _statuses(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        rows = (await session.execute(select(OutboxMessage.dedup_key, OutboxMessage.status))).all()
    return dict(rows)


def _texts(app, chat_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.text for s in app.adapters["console"].to(chat_id)]


async def test_same_dedup_key_is_queued_once(app) -> None:
    await _queue(app, "a", "eins")
    await _queue(app, "a", "eins")
    async with app.sessions() as session:
        assert await session.scalar(select(func.count(OutboxMessage.id))) == 1
    await app.sender.drain()
    assert _texts(app, "a") == ["eins"]


async def test_transient_failure_keeps_order_and_retries(app) -> None:
    adapter = app.adapters["console"]
    await _queue(app, "a", "eins", "zwei")
    await _queue(app, "b", "drei")
    adapter.fail_next.append(TransientError("502 Bad Gateway"))
    await app.sender.send_due()
    # "eins" failed; "zwei" must not overtake it. Chat b is not held up.
    assert _texts(app, "a") == [] and _texts(app, "b") == ["drei"]
    assert (await _statuses(app))["a:zwei"] == "pending"
    app.clock.advance(seconds=10)
    await app.sender.drain()
    assert _texts(app, "a") == ["eins", "zwei"]


async def test_retry_after_waits_for_that_chat_only(app) -> None:
    adapter = app.adapters["console"]
    await _queue(app, "a", "eins")
    adapter.fail_next.append(RetryLater(30))
    await app.sender.send_due()
    assert _texts(app, "a") == []
    app.clock.advance(seconds=29)
    await app.sender.send_due()
    assert _texts(app, "a") == []
    app.clock.advance(seconds=2)
    await app.sender.send_due()
    assert _texts(app, "a") == ["eins"]


async def test_unreachable_person_is_marked_and_the_row_kept(app) -> None:
    adapter = app.adapters["console"]
    async with app.sessions.begin() as session:
        await people.get_or_create_account(
            session, "console", Sender("p1", "Paula"), app.clock.now()
        )
    await _queue(app, "p1", "Hallo")
    adapter.fail_next.append(Unreachable("Forbidden: bot was blocked by the user"))
    await app.sender.drain()
    assert (await _statuses(app))["p1:Hallo"] == "failed"
    async with app.sessions() as session:
        assert await session.scalar(select(Account.unreachable).where(Account.external_id == "p1"))


async def test_moved_chat_is_followed(app) -> None:
    adapter = app.adapters["console"]
    await _queue(app, "-100", "Neuigkeit", kind="group")
    adapter.fail_next.append(ChatMoved("-100999"))
    await app.sender.drain()
    assert _texts(app, "-100999") == ["Neuigkeit"]
    async with app.sessions() as session:
        assert await session.scalar(select(Chat.id).where(Chat.external_id == "-100")) is None


async def test_unexpected_error_does_not_drop_the_message(app) -> None:
    adapter = app.adapters["console"]
    await _queue(app, "a", "eins")
    adapter.fail_next.append(ValueError("adapter bug"))  # type: ignore[arg-type]
    await app.sender.send_due()
    assert (await _statuses(app))["a:eins"] == "pending"
    app.clock.advance(seconds=10)
    await app.sender.drain()
    assert _texts(app, "a") == ["eins"]


async def test_rows_in_flight_at_a_crash_are_sent_after_restart(app) -> None:
    await _queue(app, "a", "eins")
    async with app.sessions.begin() as session:
        row = await session.scalar(select(OutboxMessage))
        row.status = "sending"  # as left behind by a killed process
    await app.sender.drain()
    assert _texts(app, "a") == []
    # As at start-up: on PostgreSQL the process registers and, leading, gives back rows
    # nobody alive owns; on SQLite recover() gives back every row marked sending.
    await app.cluster.start()
    await app.sender.recover()
    await app.sender.drain()
    await app.cluster.stop()
    assert _texts(app, "a") == ["eins"]
    assert (await _statuses(app))["a:eins"] == "sent"


async def _queue_file(app, chat_id: str, name: str, **extra) -> None:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        now = app.clock.now()
        chat = await people.get_or_create_chat(session, ChatRef("console", chat_id, "direct"), now)
        file = Attachment(name, b'{"display_name": "J\\u00fcrgen M\\u00fc\\u00dfig"}', "text/json")
        await enqueue(session, chat, Outgoing("Ihre Datei", attachment=file), dedup_key=name,
                      now=now, **extra)  # fmt: skip


async def _files(app) -> dict[str, bytes | None]:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        rows = await session.execute(select(OutboxMessage.dedup_key, OutboxMessage.attachment))
    return dict(rows.all())


async def test_a_files_bytes_are_purged_once_delivered_or_of_no_use(app) -> None:
    """An export or a data copy does not linger in the outbox: the bytes go once the file
    is delivered (or expired); a file for a person we cannot reach yet waits for them."""
    adapter = app.adapters["console"]
    async with app.sessions.begin() as session:
        await people.get_or_create_account(
            session, "console", Sender("p1", "Paula"), app.clock.now()
        )
    await _queue_file(app, "a", "export.xlsx")
    await _queue_file(app, "b", "late.json", expires_at=app.clock.now())
    await _queue_file(app, "p1", "meine-daten.json")

    async def blocked_by_paula(delivery: Delivery) -> None:
        if delivery.chat.external_id == "p1":
            raise Unreachable("Forbidden: bot was blocked by the user")

    adapter.during_send = blocked_by_paula
    await app.sender.drain()
    adapter.during_send = None
    assert [s.attachment.filename for s in adapter.to("a")] == ["export.xlsx"]
    files = await _files(app)
    assert (files["export.xlsx"], files["late.json"]) == (None, None)
    assert files["meine-daten.json"] is not None  # still to be delivered
    assert (await _statuses(app))["meine-daten.json"] == "failed"
    # Paula writes: the file goes out, and then its bytes go too.
    async with app.sessions.begin() as session:
        chat = await session.scalar(select(Chat).where(Chat.external_id == "p1"))
        await reach.requeue_after_contact(session, chat, app.clock.now())
    await app.sender.drain()
    assert [s.attachment.filename for s in adapter.to("p1")] == ["meine-daten.json"]
    assert (await _files(app))["meine-daten.json"] is None


async def test_an_answer_does_not_wait_behind_a_backlog(app) -> None:
    """After a restart with thousands of rows waiting, someone who writes now is answered
    while the backlog is still going out, not after it (issue #22, restart to serving)."""
    adapter = app.adapters["console"]
    gate = asyncio.Event()

    async def hold_the_backlog(delivery: Delivery) -> None:
        if delivery.dedup_key.startswith("backlog"):
            await gate.wait()

    adapter.during_send = hold_the_backlog
    now = app.clock.now()
    async with app.sessions.begin() as session:
        # More chats than the sender sends to at once (200), every one of them slow.
        for n in range(250):
            chat = await people.get_or_create_chat(
                session, ChatRef("console", f"b{n}", "direct"), now
            )
            for k in range(2):
                await enqueue(
                    session, chat, Outgoing(f"Rückstand {k}"), dedup_key=f"backlog:{n}:{k}", now=now
                )
    sending = asyncio.create_task(app.sender.run())
    try:
        async with asyncio.timeout(10):
            while await _count(app, "sending") < 200:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        await app.dispatch(
            Incoming(
                chat=ChatRef("console", "erika", "direct"),
                sender=Sender("erika", "Erika"),
                text="/start",
                event_id="ev-erika",
            )
        )
        async with asyncio.timeout(10):
            while not adapter.to("erika"):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert not any(s.chat_id.startswith("b") for s in adapter.shown)  # still held up
        answers = len(adapter.to("erika"))
        gate.set()
        async with asyncio.timeout(30):
            while len(adapter.shown) < 500 + answers:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        gate.set()
        app.sender.stop()
        await sending
    # Nothing lost, nothing twice, and each chat's messages in order.
    assert len(adapter.shown) == 500 + answers
    assert [s.text for s in adapter.to("b7")] == ["Rückstand 0", "Rückstand 1"]


async def _count(app, status: str) -> int:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        query = select(func.count()).where(OutboxMessage.status == status)
        return int(await session.scalar(query) or 0)


async def test_marks_of_many_chats_share_a_commit_and_a_chat_waits_for_its_mark(app) -> None:  # type: ignore[no-untyped-def]
    """#22: the rows sent in one round are marked sent in one transaction, not one each; a
    chat's next message still goes out only once its previous one is recorded as sent (so
    a crash repeats at most the one message in flight per chat)."""
    from sqlalchemy import event

    adapter = app.adapters["console"]
    chats = [f"c{n}" for n in range(10)]
    for chat in chats:
        await _queue(app, chat, "eins", "zwei")
    before_second: dict[str, str] = {}
    send = adapter.send

    async def send_and_look(delivery: Delivery) -> str:
        if delivery.text == "zwei":
            statuses = await _statuses(app)
            before_second[delivery.chat.external_id] = statuses[f"{delivery.chat.external_id}:eins"]
        return await send(delivery)

    adapter.send = send_and_look
    commits: list[int] = []
    event.listen(app.engine.sync_engine, "commit", lambda _c: commits.append(1))
    assert await app.sender.send_due() == 20
    assert set((await _statuses(app)).values()) == {"sent"}
    assert before_second == dict.fromkeys(chats, "sent")
    # The claim, then a few transactions for the marks of the sends that finished together:
    # not one for each of the 20 messages (21 commits before).
    assert len(commits) <= 10
    async with app.sessions() as session:
        ids = (await session.scalars(select(OutboxMessage.platform_message_id))).all()
    assert len(set(ids)) == 20 and None not in ids


async def test_a_stop_during_a_claim_gives_the_claimed_rows_back(app) -> None:  # type: ignore[no-untyped-def]
    """The sender stops while it claims a whole batch: the chats claimed then are given
    back unsent too, not left marked sending (their tasks were cancelled before they began;
    issue #22). The rows stopped inside a hand-back: tests/unit/test_outbox_stop.py."""
    from sqlalchemy import event

    batch = app.settings.delivery.batch_size
    for n in range(batch):
        await _queue(app, f"c{n}", "Hallo")

    def stop_while_claiming(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        values = parameters.values() if isinstance(parameters, dict) else parameters
        if statement.startswith("UPDATE outbox SET status") and "sending" in tuple(values):
            app.sender.stop()

    event.listen(app.engine.sync_engine, "before_cursor_execute", stop_while_claiming)
    try:
        async with asyncio.timeout(30):
            await app.sender.run()
    finally:
        event.remove(app.engine.sync_engine, "before_cursor_execute", stop_while_claiming)
    assert app.adapters["console"].shown == []
    assert set((await _statuses(app)).values()) == {"pending"}
    async with app.sessions() as session:
        attempts = await session.scalars(select(OutboxMessage.attempts))
        assert set(attempts) == {0}  # a claim given back is not counted as an attempt
