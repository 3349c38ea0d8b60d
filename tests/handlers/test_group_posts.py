"""A date's group post follows the date: it says what to tap where there are buttons, it
offers the waiting list once full, it loses its buttons when the date is over, and calling
a date off is always told where it was announced (#18, points 6 and 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.domain.models import Event
from tests.fakes.memory import Conversation, Shown
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP
from tests.handlers.test_presses import mx  # noqa: F401  (the Matrix-like fixture)

ANNA = Someone("100", "Anna")
START = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
END = START + timedelta(hours=2)


async def _post(conversation: Conversation, spec: str, prefix: str = "/") -> Shown:
    """Ada plans a date and announces it now; the group's post."""
    [preview] = await conversation.say(ADA, f"{prefix}termin_neu {spec}")
    await conversation.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in conversation.adapter.to(GROUP) if s.buttons]
    return post


async def _event(conversation: Conversation, title: str) -> Event:
    async with conversation.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.title == title))
    assert event is not None
    return event


async def test_a_post_says_what_to_tap_and_offers_the_waiting_list_once_full(
    tg: Conversation,
) -> None:
    post = await _post(tg, "Lesecafé; 9.12. 15–17 Uhr; Stadtbibliothek; 1")
    assert post.text.splitlines()[-1] == "Tippen Sie auf „Ich komme“."
    assert post.buttons[0][0] == "Ich komme"
    await tg.press(ANNA, post, "Ich komme", chat=tg.group(GROUP))
    full = tg.adapter.current(post.message_id)
    assert full.text.splitlines()[-2:] == [
        "Alle Plätze sind vergeben. Sie können auf die Warteliste.",
        "Tippen Sie auf „Auf die Warteliste“.",
    ]
    assert [label for label, _key in full.buttons] == [
        "Auf die Warteliste",
        "Mit Begleitung auf die Warteliste",
        "Ich kann nicht",
    ]


async def test_on_a_platform_without_buttons_the_post_keeps_its_numbers(
    mx: Conversation,  # noqa: F811
) -> None:
    post = await _post(mx, "Lesecafé; 9.12. 15–17 Uhr; Stadtbibliothek; 10", "!")
    assert "Tippen Sie" not in post.rendered
    assert post.rendered.splitlines()[-4:] == [
        "1 – Ich komme",
        "2 – Ich komme mit Begleitung",
        "3 – Ich kann nicht",
        "Antworten Sie mit 1, 2 oder 3.",
    ]


async def test_when_the_date_is_over_its_post_says_so_without_buttons(tg: Conversation) -> None:
    post = await _post(tg, "Lesecafé; 9.12. 15–17 Uhr; Stadtbibliothek; 10")
    await tg.press(ANNA, post, "Ich komme", chat=tg.group(GROUP))
    tg.app.clock.set(END + timedelta(minutes=35))  # the end job runs  # type: ignore[attr-defined]
    await tg.app.scheduler.run_due()
    await tg.flush()
    over = tg.adapter.current(post.message_id)
    assert over.buttons == []
    assert over.text.splitlines()[-1] == "Dieser Termin ist vorbei."
    assert "Plätze" not in over.text


async def test_skipping_a_date_nobody_signed_up_for_tells_the_group(tg: Conversation) -> None:
    post = await _post(tg, "Lesecafé; 9.12. 15–17 Uhr; Stadtbibliothek; 10")
    event = await _event(tg, "Lesecafé")
    [asked] = await tg.say(ADA, f"/absagen {event.id}")
    shown = await tg.press(ADA, asked, "Ja, absagen")
    [told] = [s for s in shown if s.chat_id == GROUP]
    assert told.text.startswith("Leider fällt dieser Termin aus:")
    assert "Mittwoch, 9. Dezember 2026, 15:00 bis 17:00 Uhr" in told.text
    cancelled = tg.adapter.current(post.message_id)
    assert cancelled.buttons == []
    assert cancelled.text.startswith("FÄLLT AUS:")
    assert [s.chat_id for s in tg.adapter.shown if s.text.startswith("Leider")] == [GROUP]
