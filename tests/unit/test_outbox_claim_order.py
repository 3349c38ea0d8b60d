"""The sender takes rows in the order they fell due, and still sends each chat in id order."""

from __future__ import annotations

from datetime import timedelta

from bot.chat.types import ChatRef, Outgoing
from bot.delivery.outbox import enqueue
from bot.domain import people


async def test_a_newer_row_due_earlier_does_not_overtake_an_older_one(app) -> None:  # type: ignore[no-untyped-def]
    now = app.clock.now()
    async with app.sessions.begin() as session:
        chat = await people.get_or_create_chat(session, ChatRef("console", "a", "direct"), now)
        # The older row falls due later than the newer one; both are due once time has passed.
        await enqueue(
            session, chat, Outgoing("eins"), dedup_key="a:1", now=now, due_at=now + timedelta(1)
        )
        await enqueue(session, chat, Outgoing("zwei"), dedup_key="a:2", now=now)
    app.clock.advance(seconds=5)
    assert await app.sender.send_due() == 0
    assert [s.text for s in app.adapters["console"].to("a")] == []  # "eins" is not due yet
    app.clock.advance(days=2)
    await app.sender.drain()
    assert [s.text for s in app.adapters["console"].to("a")] == ["eins", "zwei"]


async def test_rows_of_other_chats_are_taken_in_due_order(app) -> None:  # type: ignore[no-untyped-def]
    now = app.clock.now()
    async with app.sessions.begin() as session:
        for name in ("a", "b", "c"):
            chat = await people.get_or_create_chat(session, ChatRef("console", name, "direct"), now)
            await enqueue(session, chat, Outgoing(f"an {name}"), dedup_key=name, now=now)
    await app.sender.drain()
    for name in ("a", "b", "c"):
        assert [s.text for s in app.adapters["console"].to(name)] == [f"an {name}"]
