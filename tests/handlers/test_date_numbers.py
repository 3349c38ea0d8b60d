"""One number per date, everywhere (#18, point 13): /termine, its buttons, the numbered
lines of a platform without buttons, a typed number and the staff commands all use the
date's own number ("Nr. 12"), never its place in the list."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.models import Event
from tests.fakes.memory import Conversation
from tests.handlers.conftest import ADA
from tests.handlers.test_presses import mx  # noqa: F401  (the Matrix-like fixture)


async def _plan(conversation: Conversation, prefix: str = "/") -> dict[str, int]:
    """Two dates planned in the opposite order of their days: their numbers are not their
    places in the list. Returns title -> number."""
    for spec in (
        "Lesecafé; 20.12. 15–17 Uhr; Rathaus; 10",
        "Handycafé; 10.12. 15–17 Uhr; Rathaus; 10",
    ):
        [preview] = await conversation.say(ADA, f"{prefix}termin_neu {spec}")
        await conversation.press(ADA, preview, "Speichern")
    async with conversation.app.sessions() as session:
        rows = (await session.execute(select(Event.title, Event.id))).all()
    return {title: number for title, number in rows}


async def test_the_list_buttons_typing_and_commands_share_one_number(tg: Conversation) -> None:
    numbers = await _plan(tg)
    late, early = numbers["Lesecafé"], numbers["Handycafé"]
    [listing] = await tg.say(ADA, "/termine")
    lines = listing.text.splitlines()
    assert f"Nr. {early}: Handycafé, Donnerstag, 10. Dezember 2026, 15:00 bis 17:00 Uhr" in lines
    assert f"Nr. {late}: Lesecafé, Sonntag, 20. Dezember 2026, 15:00 bis 17:00 Uhr" in lines
    assert not any(line.startswith(("1.", "2.", "3.")) or "(Nr." in line for line in lines)
    labels = [label for label, _key in listing.buttons]
    assert f"Nr. {early}: Handycafé, Donnerstag, 10. Dezember 2026, 15:00 Uhr" in labels
    # The later date is third in the list; typing its number shows it, not the second.
    assert labels.index(next(label for label in labels if "Lesecafé" in label)) == 2
    [shown] = await tg.say(ADA, str(late))
    assert shown.text.startswith("Lesecafé\nSonntag, 20. Dezember 2026")
    # A staff command takes the same number.
    [attendees] = await tg.say(ADA, f"/teilnehmer {late}")
    assert "Lesecafé" in attendees.text


SPAN = "15:00 bis 17:00 Uhr"


async def test_numbered_lines_show_the_dates_number_once(mx: Conversation) -> None:  # noqa: F811
    numbers = await _plan(mx, "!")
    [listing] = await mx.say(ADA, "!termine")
    choices = listing.rendered.splitlines()[-4:]
    assert choices[1:3] == [
        f"Nr. {numbers['Handycafé']}: Handycafé, Donnerstag, 10. Dezember 2026, {SPAN}",
        f"Nr. {numbers['Lesecafé']}: Lesecafé, Sonntag, 20. Dezember 2026, {SPAN}",
    ]
    first = choices[0].split(":")[0].removeprefix("Nr. ")
    assert choices[3] == (
        f"Antworten Sie mit {first}, {numbers['Handycafé']} oder {numbers['Lesecafé']}."
    )
    assert " – " not in "\n".join(choices)
