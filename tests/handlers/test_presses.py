"""Button presses in a group are answered to the presser alone: a stale or forged button,
and the short sign that a press worked, never appear in the group (#18, points 2 and 3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.bootstrap import build_app, prepare
from bot.domain.models import Chat, OutboxMessage, Rsvp
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, Shown, matrix_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

MIA = Someone("20", "Mia")
GONE = "Dieser Knopf geht nicht mehr.\nBitte schreiben Sie /start."


async def _post(conversation: Conversation, prefix: str = "/") -> Shown:
    """Ada plans a date and announces it; the group's post with its buttons."""
    [preview] = await conversation.say(
        ADA, f"{prefix}termin_neu Digitalcafé; 9.12. 15–17 Uhr; Rathaus; 10"
    )
    await conversation.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in conversation.adapter.to(GROUP) if s.buttons]
    return post


async def _group_rows(conversation: Conversation) -> int:
    async with conversation.app.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .join(Chat, Chat.id == OutboxMessage.chat_id)
                .where(Chat.external_id == GROUP)
            )
            or 0
        )


async def test_forged_presses_in_a_group_answer_the_presser_alone(tg: Conversation) -> None:
    post = await _post(tg)
    rows_before = await _group_rows(tg)
    group = tg.group(GROUP)
    for n in range(25):
        shown = await tg.say(MIA, chat=group, button_key=f"forged-{n}")
        assert shown == []
    # Mia saw the note on her own screen each time; the group saw nothing and its quota
    # (its outbox) was not touched.
    assert tg.adapter.press_answers[-1] == (GROUP, MIA.user_id, GONE)
    assert len([a for a in tg.adapter.press_answers if a[2] == GONE]) == 25
    assert await _group_rows(tg) == rows_before
    assert post.buttons


async def test_a_sign_up_in_the_group_is_confirmed_to_the_presser(tg: Conversation) -> None:
    post = await _post(tg)
    await tg.say(MIA, "/start")  # Mia has a private chat with the bot
    group = tg.group(GROUP)
    [private] = await tg.press(MIA, post, "Ich komme", chat=group)
    assert private.chat_id == f"dm-{MIA.user_id}"
    assert private.text.startswith("Sie sind angemeldet")
    assert tg.adapter.press_answers[-1] == (
        GROUP,
        MIA.user_id,
        "Sie sind angemeldet. Mehr im privaten Chat.",
    )
    [thanks] = await tg.press(MIA, post, "Ich kann nicht", chat=group)
    assert thanks.chat_id == f"dm-{MIA.user_id}"
    assert tg.adapter.press_answers[-1][2] == ("Danke für Ihre Antwort. Mehr im privaten Chat.")
    async with tg.app.sessions() as session:
        statuses = (await session.scalars(select(Rsvp.status))).all()
    assert statuses == ["no"]


@pytest.fixture
async def mx(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    adapter = matrix_like()
    settings = make_settings(db_url, tmp_path, bot={"admins": ["matrix:1"]})
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    conversation = Conversation(app, adapter)
    await conversation.say(ADA, "!verbinden 1", chat=conversation.group(GROUP))
    yield conversation
    await app.close()


async def test_on_matrix_a_stale_button_is_answered_in_the_private_room(
    mx: Conversation,
) -> None:
    await _post(mx, "!")
    group = mx.group(GROUP)
    # Matrix has no notice for a press: the note goes to Mia's private room, made for it.
    [note] = await mx.say(MIA, chat=group, button_key="forged")
    assert note.chat_id == MIA.user_id
    assert note.text == "Dieser Knopf geht nicht mehr.\nBitte schreiben Sie !start."
    assert mx.adapter.press_answers == []
