"""The monthly Digitalcafé from #5's acceptance, typed into the console chat: staff at the
terminal, and the terminal speaking for 18 residents in the console's group ("@Name: …")
and in their private chats ("@Name> …"). It begins with the sign-up script
(tests/scenarios/sign_up_script.py) that every platform runs; then the crowd comes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import App
from bot.domain.models import Event, Rsvp, Series
from tests.e2e.console_bot import console_bot
from tests.fakes.clock import FakeClock
from tests.fakes.terminal import Terminal
from tests.scenarios.drivers import ConsoleDriver
from tests.scenarios.sign_up_script import ANNOUNCE, BRING_COMPANION, run_script


@pytest.fixture
async def console(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[App, Terminal]]:
    async with console_bot(sqlite_url, tmp_path, clock=FakeClock()) as running:
        yield running


def _told(printed: str, beginning: str) -> list[str]:
    """Who got a private message starting with ``beginning``."""
    return re.findall(rf"^👤 (Person\d+): {re.escape(beginning)}", printed, re.MULTILINE)


async def test_monthly_cafe_in_the_console(console) -> None:  # type: ignore[no-untyped-def]
    app, terminal = console
    # Staff announce the café; the first of 18 residents in the group brings a companion.
    await run_script(ConsoleDriver(terminal, member="Person0"), ANNOUNCE + BRING_COMPANION)
    # How the console shows it (the script checked the same, platform-neutral).
    assert "👥 Digitalcafé\nMittwoch, 2. Dezember 2026, 15:00 Uhr\n" in terminal.printed
    assert "1 – Ich komme\n" in terminal.printed
    assert "👤 Person0: Wie viele Personen bringen Sie mit?" in terminal.printed
    confirmed = terminal.printed[terminal.printed.index("👤 Person0: Sie sind angemeldet") :]
    assert confirmed.startswith("👤 Person0: Sie sind angemeldet, mit 1 Begleitperson.")
    assert "[termin-2026-12-02.ics]" in confirmed

    # The rest type "ja".
    answers = {n: await terminal.type(f"@Person{n}: ja") for n in range(1, 18)}
    waiting = [n for n, shown in answers.items() if f"👤 Person{n}: Alle Plätze" in shown]
    assert waiting == [14, 15, 16, 17]
    assert (
        "👤 Person15: Alle Plätze sind vergeben.\nSie sind Nummer 2 auf der Warteliste."
        in (answers[15])
    )
    assert "✎ 👥 Digitalcafé" in answers[17]
    assert "Alle Plätze sind vergeben. 4 Personen stehen auf der Warteliste." in answers[17]
    group_lines = [line for line in terminal.printed.splitlines() if not line.startswith("👤")]
    assert [line for line in group_lines if re.search(r"Person\d", line)] == []  # no names

    # Two cancel privately; the first two waiting move up and are told.
    cancelled = await terminal.type("@Person3> /abmelden")
    cancelled += await terminal.type("@Person5> /abmelden")
    assert _told(cancelled, "Sie sind abgemeldet von: Digitalcafé") == ["Person3", "Person5"]
    assert sorted(_told(cancelled, "Gute Nachricht")) == ["Person14", "Person15"]
    status = await terminal.type("@Person16> /termine")
    assert "Sie sind Nummer 1 auf der Warteliste." in status

    # Staff move the date by one hour: all 16 with a place or a waiting place are told.
    async with app.sessions() as session:
        ours = Event.place == "Stadtbibliothek, Markt 1"  # not the demo community's sample
        first, second, *_ = (
            await session.scalars(select(Event).where(ours).order_by(Event.starts_at))
        ).all()
    moved = await terminal.type(f"/verschieben {first.id}; 16 Uhr")
    assert "Der Termin ist verschoben.\n16 Personen haben eine persönliche Nachricht bekommen." in (
        moved
    )
    told = _told(moved, "Bitte beachten Sie")
    assert sorted(told) == sorted(f"Person{n}" for n in range(18) if n not in (3, 5))
    notice = moved[moved.index("👤 Person0: Bitte beachten Sie") :]
    assert "Bisher: Mittwoch, 2. Dezember 2026, 15:00 Uhr" in notice
    assert "Neu: Mittwoch, 2. Dezember 2026, 16:00 Uhr" in notice

    # January's date is skipped for a holiday and not made again.
    asked = await terminal.type(f"/ausfallen {second.id}")
    assert "Soll dieser Termin ausfallen?" in asked and "– Ja, ausfallen lassen" in asked
    assert "Der Termin fällt aus." in await terminal.type("1")
    await app.scheduler.extend_series(force=True)
    async with app.sessions() as session:
        january = (
            await session.scalars(select(Event.status).where(Event.occurrence == second.occurrence))
        ).all()
        exdates = await session.scalar(select(Series.exdates).where(Series.id == first.series_id))
        seats = (
            await session.execute(
                select(Rsvp.status, Rsvp.party_size).where(Rsvp.event_id == first.id)
            )
        ).all()
    assert list(january) == ["cancelled"] and exdates == ["2027-01-06"]
    assert sum(size for status, size in seats if status == "yes") == 15
