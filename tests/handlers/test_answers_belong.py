"""Answers belong where they were given: a follow-up question to the person who started it,
a reply to the post it replies to, and every confirmation names the date it changed."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.chat.types import ChatRef
from bot.domain.models import Account, Event, Rsvp
from tests.fakes.memory import Conversation, Shown
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

ANNA, BERT = Someone("100", "Anna"), Someone("101", "Bert")


def private(person: Someone) -> ChatRef:
    """Telegram's private chat: its id is the user id."""
    return ChatRef("telegram", person.user_id, "direct")


async def _post(
    tg: Conversation, line: str = "Digitalcafé; 9.12. 15–17 Uhr; Stadtbibliothek; 10"
) -> Shown:
    """A date announced in the group; returns its post."""
    [preview] = await tg.say(ADA, f"/termin_neu {line}")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    return [s for s in tg.adapter.to(GROUP) if s.buttons][-1]


async def _seats(tg: Conversation) -> dict[str, int]:
    """Title and place → seats taken, per person's user id."""
    async with tg.app.sessions() as session:
        rows = (
            await session.execute(
                select(Account.external_id, Event.title, Rsvp.party_size, Rsvp.status)
                .join(Rsvp, Rsvp.person_id == Account.person_id)
                .join(Event, Event.id == Rsvp.event_id)
            )
        ).all()
    return {f"{uid} {title}": size for uid, title, size, status in rows if status == "yes"}


async def test_a_follow_up_question_is_asked_privately(tg: Conversation) -> None:
    post = await _post(tg)
    group = tg.group(GROUP)
    [question] = await tg.press(ANNA, post, "Ich komme mit Begleitung", chat=group)
    assert question.chat_id == "100"  # Anna's private chat, not the group
    assert question.text.startswith("Wie viele Personen bringen Sie mit?")
    # Bert types "2" in the group: it answers nothing of Anna's.
    await tg.say(BERT, "2", chat=group)
    assert "100 Digitalcafé" not in await _seats(tg)
    [done] = await tg.press(ANNA, question, "2", chat=private(ANNA))
    assert done.text.startswith("Sie sind angemeldet, mit 2 Begleitpersonen.")
    assert (await _seats(tg))["100 Digitalcafé"] == 3


async def test_a_follow_up_in_the_group_names_the_person_and_is_theirs_alone(
    tg: Conversation,
) -> None:
    post = await _post(tg)
    group = tg.group(GROUP)
    await tg.press(ANNA, post, "Ich komme", chat=group)
    await tg.press(BERT, post, "Ich komme", chat=group)
    async with tg.app.sessions.begin() as session:
        # Anna cannot be written to privately (she blocked the bot).
        await session.execute(
            update(Account).where(Account.external_id == "100").values(unreachable=True)
        )
    [question] = [
        s
        for s in await tg.press(ANNA, post, "Ich komme mit Begleitung", chat=group)
        if s.chat_id == GROUP
    ]
    assert question.text.startswith("Anna, wie viele Personen bringen Sie mit?")
    [kind] = await tg.press(BERT, question, "2", chat=group)
    assert kind.chat_id == "101"  # Bert hears it privately
    assert kind.text == "Diese Frage ist für eine andere Person. Für Sie hat sich nichts geändert."
    assert await _seats(tg) == {"100 Digitalcafé": 1, "101 Digitalcafé": 1}
    await tg.press(ANNA, question, "2", chat=group)
    assert (await _seats(tg))["100 Digitalcafé"] == 3
