"""Reminders before a date: to everyone with a place, once, with a way to cancel; what the
bot missed while it was off is sent within the grace period, else reported to staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.chat.types import ChatRef
from bot.dates import jobs
from bot.domain.models import Event, Job
from tests.fakes.memory import Conversation, Shown
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

ANNA, BERT, CARL = Someone("100", "Anna"), Someone("101", "Bert"), Someone("102", "Carl")


async def _date_with_three(tg: Conversation, line: str) -> tuple[Event, Shown]:
    """A date with 2 places: Anna and Bert have one, Carl waits."""
    [preview] = await tg.say(ADA, f"/termin_neu {line}")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    for person in (ANNA, BERT, CARL):
        await tg.press(person, post, "Ich komme", chat=tg.group(GROUP))
    async with tg.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.title == line.split(";")[0]))
    assert event is not None
    return event, post


async def _at(tg: Conversation, moment: datetime) -> list[Shown]:
    tg.app.clock.set(moment)  # type: ignore[attr-defined]
    await tg.app.scheduler.run_due()
    return await tg.flush()


def _reminded(shown: list[Shown]) -> list[str]:
    return sorted(s.chat_id for s in shown if s.text.startswith("Erinnerung"))


async def test_reminders_go_to_people_with_a_place_and_follow_the_waiting_list(tg) -> None:  # type: ignore[no-untyped-def]
    _event, _post = await _date_with_three(tg, "Sprechstunde; 9.12. 15 Uhr; Rathaus; 2")
    # The day before at 10:00 Berlin time (09:00 UTC in winter).
    assert await _at(tg, datetime(2026, 12, 8, 8, 59, tzinfo=UTC)) == []
    shown = await _at(tg, datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    assert _reminded(shown) == ["100", "101"]  # not Carl, who is waiting
    anna = next(s for s in shown if s.chat_id == "100")
    assert anna.text.splitlines()[:4] == [
        "Erinnerung für morgen: Sprechstunde",
        "",
        "Mittwoch, 9. Dezember 2026, 15:00 Uhr",
        "Ort: Rathaus",
    ]
    assert anna.text.endswith("Sie können nicht? Dann tippen Sie hier.")
    assert [label for label, _key in anna.buttons] == ["Ich kann nicht"]
    # Anna cannot come: one tap frees her place, Carl moves up and is told.
    private = ChatRef("telegram", "100", "direct")  # where the reminder went
    shown = await tg.press(ANNA, anna, "Ich kann nicht", chat=private)
    assert any(s.chat_id == "102" and s.text.startswith("Gute Nachricht") for s in shown)
    # Nothing twice; two hours before, the people with a place now are reminded.
    assert _reminded(await _at(tg, datetime(2026, 12, 8, 9, 30, tzinfo=UTC))) == []
    shown = await _at(tg, datetime(2026, 12, 9, 12, 0, tzinfo=UTC))
    assert _reminded(shown) == ["101", "102"]
    assert shown[0].text.startswith("Erinnerung für heute: Sprechstunde\n")
    async with tg.app.sessions() as session:
        states = (await session.scalars(select(Job.status).where(Job.kind == "reminder"))).all()
    assert sorted(states) == ["done", "done"]


async def test_missed_reminders_are_sent_late_or_reported(tg) -> None:  # type: ignore[no-untyped-def]
    [me] = await tg.say(ADA, "/ich")
    number = me.text.split()[3].rstrip(".")  # "Ihre Nummer ist 1."
    [granted] = await tg.say(ADA, f"/rolle_geben {number} team", chat=tg.group(GROUP))
    assert "Team" in granted.text
    await _date_with_three(tg, "Sprechstunde; 9.12. 15 Uhr; Rathaus; 2")
    # The bot was off over the day-before reminder, for longer than the grace period.
    shown = await _at(tg, datetime(2026, 12, 8, 11, 1, tzinfo=UTC))
    assert _reminded(shown) == []
    # (In December staff also hear about the volunteers' certificates.)
    [report] = [s for s in shown if s.chat_id == "dm-1" and s.text.startswith("Der Bot war")]
    assert report.text.splitlines()[:3] == [
        "Der Bot war eine Zeit lang aus. Das wurde nicht geschickt, weil es zu spät war:",
        "die Erinnerung",
        "Sprechstunde, Mittwoch, 9. Dezember 2026, 15:00 Uhr",
    ]
    # Off again over the 2-hour reminder, but back within the grace period: sent late.
    shown = await _at(tg, datetime(2026, 12, 9, 13, 30, tzinfo=UTC))
    assert _reminded(shown) == ["100", "101"]
    async with tg.app.sessions() as session:
        query = select(Job.offset_spec, Job.status).where(Job.kind == "reminder")
        states = {spec: status for spec, status in (await session.execute(query)).all()}
    assert states == {"1d@10:00": "expired", "2h": "done"}


async def test_a_moved_date_reminds_for_its_new_time(tg) -> None:  # type: ignore[no-untyped-def]
    event, _post = await _date_with_three(tg, "Sprechstunde; 9.12. 15 Uhr; Rathaus; 2")
    assert _reminded(await _at(tg, datetime(2026, 12, 8, 9, 0, tzinfo=UTC))) == ["100", "101"]
    await tg.say(ADA, f"/verschieben {event.id}; 16.12. 15 Uhr")
    await tg.flush()
    shown = await _at(tg, datetime(2026, 12, 15, 9, 0, tzinfo=UTC))
    assert _reminded(shown) == ["100", "101"]
    assert "Mittwoch, 16. Dezember 2026, 15:00 Uhr" in shown[0].text


async def test_a_cancelled_date_reminds_nobody(tg) -> None:  # type: ignore[no-untyped-def]
    event, _post = await _date_with_three(tg, "Sprechstunde; 9.12. 15 Uhr; Rathaus; 2")
    await tg.say(ADA, f"/absagen {event.id}")
    await tg.say(ADA, "ja")
    assert _reminded(await _at(tg, datetime(2026, 12, 9, 13, 0, tzinfo=UTC))) == []


def test_reminder_times_keep_the_wall_clock_across_summer_time() -> None:
    berlin = "Europe/Berlin"
    # Summer time starts on Sunday, 28 March 2027.
    sunday = datetime(2027, 3, 28, 13, 0, tzinfo=UTC)  # 15:00 summer time
    monday = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)  # 10:00 summer time
    assert jobs.reminder_due("1d@10:00", sunday, berlin) == datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
    assert jobs.reminder_due("1d@10:00", monday, berlin) == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    assert jobs.reminder_due("2h", sunday, berlin) == sunday - timedelta(hours=2)
    # And back to winter time on 31 October 2027.
    sunday_autumn = datetime(2027, 10, 31, 14, 0, tzinfo=UTC)  # 15:00 winter time
    assert jobs.reminder_due("1d@10:00", sunday_autumn, berlin) == datetime(
        2027, 10, 30, 8, 0, tzinfo=UTC
    )


def test_offsets_are_checked() -> None:
    for bad in ("morgen", "1d", "1d@25:00", "99d@10:00", ""):
        try:
            jobs.parse_offset(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


async def test_staff_set_the_reminder_times_of_a_series(tg) -> None:  # type: ignore[no-untyped-def]
    [preview] = await tg.say(ADA, "/termin_neu Digitalcafé; jeden Mittwoch 15 Uhr; Rathaus; 5")
    await tg.press(ADA, preview, "Speichern")
    async with tg.app.sessions() as session:
        first = await session.scalar(
            select(Event).order_by(Event.starts_at).where(Event.place == "Rathaus")
        )
    assert first is not None
    [shown] = await tg.say(ADA, f"/erinnerungen {first.id}")
    assert shown.text == "Digitalcafé\nErinnerungen: am Vortag um 10:00 Uhr, 2 Stunden vorher"
    [saved] = await tg.say(
        ADA, f"/erinnerungen {first.id}; 3 Tage vorher 18 Uhr; 30 Minuten vorher"
    )
    assert saved.text.startswith(
        "Gespeichert. Erinnerungen: 3 Tage vorher um 18:00 Uhr, 30 Minuten vorher"
    )
    [wrong] = await tg.say(ADA, f"/erinnerungen {first.id}; übermorgen irgendwann")
    assert wrong.text.startswith("Bitte schreiben Sie es so:")
    async with tg.app.sessions() as session:
        specs = (
            await session.scalars(
                select(Job.offset_spec).where(Job.event_id == first.id, Job.kind == "reminder")
            )
        ).all()
        # Dates made later follow the series' times too.
        later = await session.scalar(
            select(Event).order_by(Event.starts_at.desc()).where(Event.place == "Rathaus")
        )
    assert sorted(specs) == ["30m", "3d@18:00"]
    assert later is not None
    tg.app.clock.set(later.starts_at - timedelta(days=10))  # type: ignore[attr-defined]
    await tg.app.scheduler.extend_series(force=True)
    async with tg.app.sessions() as session:
        newest = await session.scalar(
            select(Event).order_by(Event.starts_at.desc()).where(Event.place == "Rathaus")
        )
        assert newest is not None and newest.id != later.id
        specs = (
            await session.scalars(
                select(Job.offset_spec).where(Job.event_id == newest.id, Job.kind == "reminder")
            )
        ).all()
    assert sorted(specs) == ["30m", "3d@18:00"]
