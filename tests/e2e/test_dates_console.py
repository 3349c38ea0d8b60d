"""The monthly Digitalcafé from #5's acceptance, typed into the console chat: staff at the
terminal, and the terminal speaking for 18 residents in the console's group ("@Name: …")
and in their private chats ("@Name> …")."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import App, build_app, run
from bot.domain.models import Event, Rsvp, Series
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.terminal import Terminal


@pytest.fixture
async def console(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[App, Terminal]]:
    terminal = Terminal()
    settings = make_settings(
        sqlite_url, tmp_path, bot={"admins": ["console:local"]}, console={"enabled": "yes"}
    )
    app = build_app(settings, clock=FakeClock(), stdin=terminal, stdout=terminal)
    task = asyncio.create_task(run(app, handle_signals=False))
    yield app, terminal
    terminal.close()
    await asyncio.wait_for(task, timeout=30)


def _told(printed: str, beginning: str) -> list[str]:
    """Who got a private message starting with ``beginning``."""
    return re.findall(rf"^👤 (Person\d+): {re.escape(beginning)}", printed, re.MULTILINE)


async def test_monthly_cafe_in_the_console(console) -> None:  # type: ignore[no-untyped-def]
    app, terminal = console
    assert "Wie heißt der Termin?" in await terminal.type("/termin_neu")
    for answer in (
        "Digitalcafé",
        "jeden 1. Mittwoch 15 Uhr",
        "Fortlaufend",
        "Stadtbibliothek, Markt 1",
        "Überspringen",
        "Fotos vom Handy schicken",
        "15",
        "Frau Meier, Telefon 04542 1234",
        "Bis zum Beginn",
    ):
        await terminal.type(answer)
    preview = await terminal.type("Überspringen")
    assert "Mittwoch, 2. Dezember 2026, 15:00 Uhr" in preview
    posted = await terminal.type("Speichern und jetzt ankündigen")
    assert "👥 Digitalcafé\nMittwoch, 2. Dezember 2026, 15:00 Uhr\n" in posted
    assert "Noch 15 von 15 Plätzen frei." in posted and "1 – Ich komme\n" in posted

    # 18 residents in the group; the first brings a companion, the rest type "ja".
    question = await terminal.type("@Person0: Ich komme mit Begleitung")
    assert question.startswith("👥 Wie viele Personen bringen Sie mit?")
    confirmed = await terminal.type("@Person0: 1")
    assert "👤 Person0: Sie sind angemeldet, mit 1 Begleitperson." in confirmed
    assert "[termin-2026-12-02.ics]" in confirmed
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
    assert "Der Termin ist abgesagt." in await terminal.type(f"/ausfallen {second.id}")
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
