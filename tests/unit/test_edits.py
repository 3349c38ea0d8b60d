"""Editing sent messages through the outbox: one row per message, coalesced, never a new post."""

from __future__ import annotations

import asyncio
import io

from sqlalchemy import func, select

from bot.adapters.console import EDITED_MARK, ConsoleAdapter
from bot.chat.errors import PermanentError, TransientError
from bot.chat.types import Button, ChatRef, Delivery, Outgoing
from bot.delivery.outbox import edit_key, enqueue, enqueue_edit
from bot.domain import people
from bot.domain.models import ButtonToken, Chat, OutboxMessage

GROUP = ChatRef("console", "group-1", "group", "Digitalcafé")
COME = Button("Ich komme", "rsvp.yes", {"event": 1})


async def _post(app, key: str, text: str, *buttons: Button) -> None:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        now = app.clock.now()
        chat = await people.get_or_create_chat(session, GROUP, now)
        await enqueue(session, chat, Outgoing(text, buttons), dedup_key=key, now=now)


async def _edit(app, key: str, text: str, *buttons: Button) -> None:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        await enqueue_edit(session, key, Outgoing(text, buttons), app.clock.now())


async def _row(app, key: str) -> OutboxMessage | None:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        return await session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == key))


async def _count(app) -> int:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count(OutboxMessage.id))) or 0)


async def test_unknown_original_queues_nothing(app) -> None:  # type: ignore[no-untyped-def]
    await _edit(app, "nie-gesendet", "12 von 20 Plätzen frei")
    assert await _count(app) == 0


async def test_edits_while_pending_become_one_row_with_the_latest_text(app) -> None:  # type: ignore[no-untyped-def]
    adapter = app.adapters["console"]
    await _post(app, "ann-1", "Digitalcafé: 20 von 20 Plätzen frei")
    await app.sender.drain()
    await _edit(app, "ann-1", "19 von 20 Plätzen frei")
    await _edit(app, "ann-1", "18 von 20 Plätzen frei")
    assert await _count(app) == 2
    row = await _row(app, edit_key("ann-1"))
    assert row is not None and row.status == "pending"
    assert (row.content["text"], row.content["revision"]) == ("18 von 20 Plätzen frei", 2)
    await app.sender.drain()
    (original,) = adapter.to("group-1")
    assert [e.text for e in adapter.edits] == ["18 von 20 Plätzen frei"]
    assert adapter.current_text(original.message_id) == "18 von 20 Plätzen frei"
    row = await _row(app, edit_key("ann-1"))
    assert row is not None and (row.status, row.platform_message_id) == (
        "sent",
        original.message_id,
    )


async def test_an_edit_after_a_sent_edit_goes_out_again(app) -> None:  # type: ignore[no-untyped-def]
    adapter = app.adapters["console"]
    await _post(app, "ann-1", "20 frei")
    await app.sender.drain()
    for text in ("19 frei", "18 frei", "19 frei"):  # an earlier text again is a new edit too
        await _edit(app, "ann-1", text)
        await app.sender.drain()
    assert [e.text for e in adapter.edits] == ["19 frei", "18 frei", "19 frei"]
    assert len(adapter.shown) == 1
    assert await _count(app) == 2
    row = await _row(app, edit_key("ann-1"))
    assert row is not None and (row.status, row.content["revision"]) == ("sent", 3)


async def test_an_edit_queued_with_its_original_waits_for_it(app) -> None:  # type: ignore[no-untyped-def]
    adapter = app.adapters["console"]
    await _post(app, "ann-1", "20 frei")
    await _edit(app, "ann-1", "19 frei")
    await app.sender.drain()
    (original,) = adapter.shown
    assert original.text == "20 frei"
    assert adapter.current_text(original.message_id) == "19 frei"


async def test_an_edit_queued_while_the_last_one_is_out_is_sent_after_it(app) -> None:  # type: ignore[no-untyped-def]
    adapter = app.adapters["console"]
    await _post(app, "ann-1", "20 frei")
    await app.sender.drain()
    await _edit(app, "ann-1", "19 frei")

    async def sign_up_meanwhile(delivery: Delivery) -> None:
        adapter.during_send = None
        await _edit(app, "ann-1", "18 frei")  # another sign-up while "19" is on its way

    adapter.during_send = sign_up_meanwhile
    await app.sender.drain()
    assert [e.text for e in adapter.edits] == ["19 frei", "18 frei"]
    row = await _row(app, edit_key("ann-1"))
    assert row is not None and row.status == "sent"


async def test_a_failed_edit_is_retried_once_and_shown_once(app) -> None:  # type: ignore[no-untyped-def]
    adapter = app.adapters["console"]
    await _post(app, "ann-1", "20 frei")
    await app.sender.drain()
    await _edit(app, "ann-1", "19 frei")
    adapter.fail_next.append(TransientError("502 Bad Gateway"))
    await app.sender.send_due()
    assert adapter.edits == []
    await _edit(app, "ann-1", "18 frei")  # coalesced into the waiting retry
    app.clock.advance(seconds=10)
    await app.sender.drain()
    assert [e.text for e in adapter.edits] == ["18 frei"]


async def test_edit_of_an_undelivered_message_is_dropped(app) -> None:  # type: ignore[no-untyped-def]
    adapter = app.adapters["console"]
    await _post(app, "ann-1", "20 frei")
    adapter.fail_next.append(PermanentError("Bad Request: can't parse entities"))
    await app.sender.drain()
    await _edit(app, "ann-1", "19 frei")
    await app.sender.drain()
    assert adapter.shown == [] and adapter.edits == []
    row = await _row(app, edit_key("ann-1"))
    assert row is not None and row.status == "sent"
    assert row.last_error.startswith("dropped:")


async def test_a_platform_without_edits_drops_them_instead_of_posting_again(app) -> None:  # type: ignore[no-untyped-def]
    adapter = app.adapters["console"]
    adapter.supports_edit = False
    await _post(app, "ann-1", "20 frei")
    await _edit(app, "ann-1", "19 frei")
    await app.sender.drain()
    assert [s.text for s in adapter.shown] == ["20 frei"] and adapter.edits == []
    row = await _row(app, edit_key("ann-1"))
    assert row is not None and row.status == "sent"


async def test_edited_buttons_are_keyed_for_the_chat_and_typed_numbers_follow(app) -> None:  # type: ignore[no-untyped-def]
    adapter = app.adapters["console"]
    await _post(app, "ann-1", "20 frei", COME)
    await app.sender.drain()
    await _edit(app, "ann-1", "19 frei", COME)
    await app.sender.drain()
    (edit,) = adapter.edits
    (old_key,) = [key for _label, key in adapter.shown[0].buttons]
    (new_key,) = [key for _label, key in edit.buttons]
    assert new_key != old_key
    assert edit.rendered.endswith("1 – Ich komme\nAntworten Sie mit 1.")
    async with app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.external_id == "group-1"))
        token = await session.get(ButtonToken, new_key)
        assert chat is not None and token is not None
        assert (token.chat_id, token.action, token.args) == (chat.id, "rsvp.yes", {"event": 1})
        # "1" typed in the group now means the button the message shows.
        assert chat.choices == [new_key]
    # A newer question owns the typed numbers: editing the announcement leaves them alone.
    await _post(app, "frage-1", "Welche Sprache?", Button("Deutsch", "lang.set"))
    await app.sender.drain()
    await _edit(app, "ann-1", "18 frei", COME)
    async with app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.external_id == "group-1"))
        assert chat is not None and chat.choices == [adapter.to("group-1")[-1].buttons[0][1]]


async def test_simultaneous_first_edits_share_one_row(app) -> None:  # type: ignore[no-untyped-def]
    await _post(app, "ann-1", "20 frei")
    await app.sender.drain()
    async with app.sessions.begin() as first:
        await enqueue_edit(first, "ann-1", Outgoing("19 frei"), app.clock.now())
        await first.flush()
        # A second sign-up's transaction runs while the first has not committed yet.
        second = asyncio.create_task(_edit(app, "ann-1", "18 frei"))
        await asyncio.sleep(0.2)
    await second
    row = await _row(app, edit_key("ann-1"))
    assert row is not None and (row.content["text"], row.content["revision"]) == ("18 frei", 2)
    assert await _count(app) == 2


async def test_long_keys_get_a_hashed_edit_key() -> None:
    long_key = "announce:" + "x" * 250
    key = edit_key(long_key)
    assert len(key) <= 200 and key == edit_key(long_key) != edit_key(long_key + "y")
    assert edit_key("ann-1") == "edit:ann-1"


async def test_console_prints_an_edit_again_with_a_mark() -> None:
    out = io.StringIO()
    console = ConsoleAdapter(stdin=io.StringIO(), stdout=out)
    chat = ChatRef("console", "console", "direct")
    first = await console.send(Delivery(id=1, dedup_key="a", chat=chat, text="20 frei"))
    again = await console.send(
        Delivery(id=2, dedup_key="edit:a", chat=chat, text="19 frei", edit_message_id=first)
    )
    assert again == first
    assert out.getvalue() == f"20 frei\n\n{EDITED_MARK}19 frei\n\n"
