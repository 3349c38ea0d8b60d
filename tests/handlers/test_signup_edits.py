"""The group post's refresh after "Ich komme": one waiting edit, its button keys kept (#22)."""

from __future__ import annotations

from uuid import uuid4

from sqlalchemy import event, func, select

from bot.chat.types import Incoming
from bot.delivery.outbox import edit_key
from bot.domain.models import ButtonToken, OutboxMessage, Rsvp
from tests.fakes.memory import Conversation, Shown
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP


async def _announce(tg: Conversation) -> Shown:
    [preview] = await tg.say(ADA, "/termin_neu Sprechstunde; 9.12. 15 Uhr; Rathaus; 20")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    return post


async def _press_unsent(tg: Conversation, person: Someone, key: str) -> None:
    """A press in the group, its answers and the post's edit left waiting in the outbox."""
    incoming = Incoming(
        chat=tg.group(GROUP), sender=person.sender, button_key=key, event_id=uuid4().hex
    )
    await tg.app.dispatch(incoming)


async def _tokens(tg: Conversation) -> int:
    async with tg.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ButtonToken)) or 0)


async def _edit_row(tg: Conversation, post: Shown) -> OutboxMessage:
    async with tg.app.sessions() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedup_key == edit_key(post.dedup_key))
        )
    assert row is not None
    return row


async def test_presses_while_the_edit_waits_keep_its_keys_and_old_keys_still_work(
    tg: Conversation, flushed: list[str]
) -> None:
    post = await _announce(tg)
    coming = next(key for label, key in post.buttons if label == "Ich komme")
    people = [Someone(str(100 + n), f"Person {n}") for n in range(5)]
    await _press_unsent(tg, people[0], coming)
    first = await _edit_row(tg, post)
    tokens = await _tokens(tg)
    flushed.clear()
    for person in people[1:4]:
        # The group still shows the first post: everyone presses its (older) key.
        await _press_unsent(tg, person, coming)
    # Three more presses, one waiting edit with the same keys: no new button tokens.
    assert await _tokens(tg) == tokens
    waiting = await _edit_row(tg, post)
    assert (waiting.status, waiting.content["revision"]) == ("pending", 4)
    assert [b["key"] for b in waiting.content["buttons"]] == [
        b["key"] for b in first.content["buttons"]
    ]
    # Written with prepared statements: the unit of work neither wrote the edit nor tokens.
    assert "OutboxMessage" not in flushed and "ButtonToken" not in flushed
    await tg.flush()
    shown = tg.adapter.current(post.message_id)
    assert "Noch 16 von 20 Plätzen frei." in shown.text
    assert [key for _label, key in shown.buttons] == [b["key"] for b in first.content["buttons"]]
    # The first post's key still works after the edit went out, and so does the new one.
    [answer] = await tg.press(people[4], post, "Ich komme", chat=tg.group(GROUP))
    assert answer.text.startswith("Sie sind angemeldet.")
    [again] = await tg.press(people[0], shown, "Ich komme", chat=tg.group(GROUP))
    assert again.text.startswith("Sie sind schon angemeldet.")
    async with tg.app.sessions() as session:
        yes = await session.scalar(
            select(func.count()).select_from(Rsvp).where(Rsvp.status == "yes")
        )
    assert yes == 5
    assert "Noch 15 von 20 Plätzen frei." in tg.adapter.current(post.message_id).text


async def test_an_edit_after_the_last_one_went_out_gets_new_keys(tg: Conversation) -> None:
    post = await _announce(tg)
    await tg.press(Someone("100", "Anna"), post, "Ich komme", chat=tg.group(GROUP))
    first = tg.adapter.current(post.message_id)
    await tg.press(Someone("101", "Ben"), first, "Ich komme", chat=tg.group(GROUP))
    second = tg.adapter.current(post.message_id)
    # Shown keys are never handed to another text's buttons once that text is out.
    assert "Noch 18 von 20 Plätzen frei." in second.text
    assert {k for _l, k in second.buttons}.isdisjoint({k for _l, k in first.buttons})


async def _statements(tg: Conversation, person: Someone, key: str) -> list[str]:
    """The SQL statements one press runs (its answers and the post's edit left waiting)."""
    ran: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if not statement.startswith("BEGIN"):  # SQLite's, PostgreSQL has none
            ran.append(" ".join(statement.split())[:90])

    engine = tg.app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        await _press_unsent(tg, person, key)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return ran


async def test_a_sign_up_press_with_the_edit_waiting_runs_few_statements(
    tg: Conversation,
) -> None:
    post = await _announce(tg)
    coming = next(key for label, key in post.buttons if label == "Ich komme")
    anna = Someone("100", "Anna")
    cannot = next(key for label, key in post.buttons if label == "Ich kann nicht")
    await _press_unsent(tg, anna, coming)
    await _press_unsent(tg, anna, cannot)
    ran = await _statements(tg, anna, coming)
    # Signed up again: no new button tokens for the waiting edit (nor typed choices moved
    # to them), the post's two counts read in one statement, the seats and the next place
    # in the queue in another. 20 statements before (#22), 16 now.
    assert not [s for s in ran if "button_tokens" in s or s.startswith("UPDATE chats")]
    assert len(ran) <= 16, ran
    async with tg.app.sessions() as session:
        rsvp = await session.scalar(select(Rsvp).where(Rsvp.status == "yes"))
    assert rsvp is not None and (rsvp.seq, rsvp.party_size) == (2, 1)


async def test_a_no_press_with_nobody_waiting_runs_few_statements(tg: Conversation) -> None:
    post = await _announce(tg)
    coming = next(key for label, key in post.buttons if label == "Ich komme")
    cannot = next(key for label, key in post.buttons if label == "Ich kann nicht")
    anna = Someone("100", "Anna")
    await _press_unsent(tg, anna, coming)
    ran = await _statements(tg, anna, cannot)
    # Nobody waits: the seats are not counted for a move up that cannot happen; the post's
    # edit as after a sign-up. 19 statements before (#22), 16 now.
    assert not [s for s in ran if "button_tokens" in s or s.startswith("UPDATE chats")]
    assert len(ran) <= 16, ran
    async with tg.app.sessions() as session:
        rsvp = await session.scalar(select(Rsvp))
    assert rsvp is not None and rsvp.status == "no"
