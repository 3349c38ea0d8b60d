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
    # Bert alone hears it, as his press's own notice: nothing in the group.
    assert await tg.press(BERT, question, "2", chat=group) == []
    assert tg.adapter.press_answers[-1] == (
        GROUP,
        "101",
        "Diese Frage ist für eine andere Person. Für Sie hat sich nichts geändert.",
    )
    assert await _seats(tg) == {"100 Digitalcafé": 1, "101 Digitalcafé": 1}
    await tg.press(ANNA, question, "2", chat=group)
    assert (await _seats(tg))["100 Digitalcafé"] == 3


async def test_a_reply_answers_the_post_it_replies_to(tg: Conversation) -> None:
    january = await _post(tg, "Digitalcafé; 6.1. 15 Uhr; Stadtbibliothek; 10")
    february = await _post(tg, "Digitalcafé; 3.2. 15 Uhr; Rathaus; 10")
    group = tg.group(GROUP)
    await tg.press(ANNA, january, "Ich komme", chat=group)
    await tg.press(ANNA, february, "Ich komme", chat=group)
    # Anna replies "nein" to the January post; the February one was posted last.
    [answer] = await tg.say(ANNA, "nein", chat=group, reply_to=january)
    assert answer.chat_id == "100"
    assert answer.text.splitlines() == [
        "Danke für Ihre Nachricht. Ihr Platz ist jetzt für andere frei.",
        "",
        "Digitalcafé",
        "Mittwoch, 6. Januar 2027, 15:00 Uhr",
        "Ort: Stadtbibliothek",
    ]
    # With it comes the calendar cancellation for the date she imported.
    assert answer.attachment is not None
    ics = answer.attachment.data.decode()
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics
    async with tg.app.sessions() as session:
        kept = (
            await session.scalars(
                select(Event.place)
                .join(Rsvp, Rsvp.event_id == Event.id)
                .join(Account, Account.person_id == Rsvp.person_id)
                .where(Account.external_id == "100", Rsvp.status == "yes")
            )
        ).all()
    assert kept == ["Rathaus"]
    # "ja" in reply to the February post: she has her place already, and hears which date.
    [again] = await tg.say(ANNA, "ja", chat=group, reply_to=february)
    assert again.text.splitlines()[0] == "Sie sind schon angemeldet. Bis bald!"
    assert "Mittwoch, 3. Februar 2027, 15:00 Uhr" in again.text


async def test_saying_no_counts_the_companions_places_given_back(tg: Conversation) -> None:
    post = await _post(tg)
    await tg.press(ANNA, post, "Ich komme mit Begleitung", chat=tg.group(GROUP))
    await tg.say(ANNA, "2", chat=private(ANNA))
    [answer] = await tg.say(ANNA, "nein", chat=tg.group(GROUP), reply_to=post)
    # Not "Ihr Platz": she should not think her two companions are still expected.
    assert answer.text.splitlines()[0] == (
        "Danke für Ihre Nachricht. Sie und Ihre Begleitung sind abgemeldet. "
        "3 Plätze sind jetzt für andere frei."
    )
    assert await _seats(tg) == {}


async def test_yes_or_no_without_an_open_question_gets_a_kind_answer(tg: Conversation) -> None:
    [answer] = await tg.say(ANNA, "ja")
    assert answer.text == (
        "Gerade ist keine Frage an Sie offen.\nDie nächsten Termine sehen Sie mit /termine."
    )
    # In a group whose messages are passed on to the other chats, it still is.
    await tg.say(ADA, "/verbinden 1", chat=tg.group("-20"))
    await tg.say(ADA, "/weiterleiten an", chat=tg.group(GROUP))
    shown = await tg.say(BERT, "Nein", chat=tg.group(GROUP))
    [answer] = [s for s in shown if s.chat_id == "101"]  # privately, not in the group
    assert answer.text.startswith("Gerade ist keine Frage an Sie offen.")
    assert [s.text for s in shown if s.chat_id == "-20"] == ["Bert (Telegram): Nein"]


async def test_signing_off_names_the_date_and_cancels_it_in_the_calendar(
    tg: Conversation,
) -> None:
    post = await _post(tg)
    await tg.press(ANNA, post, "Ich komme", chat=tg.group(GROUP))
    [done] = await tg.say(ANNA, "/abmelden", chat=private(ANNA))
    assert done.text.splitlines() == [
        "Sie sind abgemeldet von: Digitalcafé, Mittwoch, 9. Dezember 2026, 15:00 bis 17:00 "
        "Uhr. Danke für Ihre Nachricht.",
        "Ort: Stadtbibliothek",
    ]
    assert done.attachment is not None and b"METHOD:CANCEL" in done.attachment.data


async def test_the_waiting_list_answer_names_the_place_too(tg: Conversation) -> None:
    post = await _post(tg, "Sprechstunde; 9.12. 15 Uhr; Rathaus; 1")
    await tg.press(ANNA, post, "Ich komme", chat=tg.group(GROUP))
    [waiting] = await tg.press(BERT, post, "Ich komme", chat=tg.group(GROUP))
    assert waiting.text.splitlines()[-3:] == [
        "Sprechstunde",
        "Mittwoch, 9. Dezember 2026, 15:00 Uhr",
        "Ort: Rathaus",
    ]
