"""Changing dates without a chat (as a web form calls it), on both databases: one date, a
series from a date on, ending a series, refusals; and a rhythm in plain words (#20)."""

from __future__ import annotations

import contextvars
import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.chat.types import Sender
from bot.dates import editing, jobs, planning, rhythm, signup
from bot.dates.details import Details
from bot.domain import people
from bot.domain.models import Community, Event, OutboxMessage, Series
from bot.domain.when import When
from bot.domain.work import Work
from bot.language.i18n import Catalogs, install, use_locale
from tests.unit.work_world import demo_id, rows, work

BERLIN = ZoneInfo("Europe/Berlin")


async def _series(app, rrule: str = "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU") -> list[Event]:  # type: ignore[no-untyped-def]
    """A fortnightly series with 2 places at the demo community; its dates."""
    now = app.clock.now()
    local = (now + timedelta(days=3)).astimezone(BERLIN).replace(hour=14, minute=0)
    start = local.astimezone(UTC)
    community_id = await demo_id(app)
    async with work(app) as w:
        community = await w.session.get(Community, community_id)
        created = await planning.create_date(
            w,
            community,
            When(start, start + timedelta(hours=2), rrule, True),
            Details(title="Handy-Treff", place="Raum 2", capacity=2),
            created_by=None,
            policy=jobs.ReminderPolicy(),
        )
        return created.events


async def _member(app, name: str) -> int:  # type: ignore[no-untyped-def]
    async with work(app) as w:
        account = await people.get_or_create_account(
            w.session, "console", Sender(name, name), w.now
        )
        return account.person_id


async def _sign_up(app, event_id: int, person_id: int) -> None:  # type: ignore[no-untyped-def]
    community_id = await demo_id(app)
    async with work(app) as w:
        event = await w.session.get(Event, event_id)
        community = await w.session.get(Community, community_id)
        await signup.sign_up(w, community, event, person_id, 1)


async def test_one_date_a_new_place_is_told_and_the_rest_stay(app) -> None:  # type: ignore[no-untyped-def]
    dates = await _series(app)
    paula = await _member(app, "paula")
    await _sign_up(app, dates[0].id, paula)
    community_id = await demo_id(app)
    async with work(app) as w:
        result = await editing.edit_date(
            w, community_id, dates[0].id, editing.Changes(place="Raum 3")
        )
    assert isinstance(result, editing.Edited) and result.told == 1
    places = [e.place for e in await rows(app, Event, Event.title == "Handy-Treff")]
    assert places[0] == "Raum 3" and set(places[1:]) == {"Raum 2"}
    [notice] = [m for m in await rows(app, OutboxMessage) if "Neuer Ort" in str(m.content)]
    assert "Neuer Ort: Raum 3 (bisher: Raum 2)" in notice.content["text"]

    # The same again: nothing changed, nothing sent.
    before = len(await rows(app, OutboxMessage))
    async with work(app) as w:
        again = await editing.edit_date(
            w, community_id, dates[0].id, editing.Changes(place="Raum 3")
        )
    assert again == "unchanged"
    assert len(await rows(app, OutboxMessage)) == before


async def test_a_series_from_a_date_on_changes_later_dates_and_the_template(app) -> None:  # type: ignore[no-untyped-def]
    dates = await _series(app)
    community_id = await demo_id(app)
    second_day = dates[1].starts_at.astimezone(BERLIN).date()
    async with work(app) as w:
        result = await editing.edit_series(
            w,
            community_id,
            dates[0].series_id,
            second_day,
            editing.Changes(capacity=5, start_time=time(15)),
        )
    assert isinstance(result, editing.Edited) and len(result.dates) == len(dates) - 1
    after = await rows(app, Event, Event.title == "Handy-Treff")
    assert [e.capacity for e in after] == [2] + [5] * (len(dates) - 1)
    assert after[0].starts_at.astimezone(BERLIN).hour == 14
    assert {e.starts_at.astimezone(BERLIN).hour for e in after[1:]} == {15}
    # The later dates are made at 15 Uhr with 5 places, and none twice.
    app.clock.advance(days=60)
    await app.scheduler.extend_series(force=True)
    made = await rows(app, Event, Event.title == "Handy-Treff")
    later = [e for e in made if e.starts_at > after[-1].starts_at]
    assert later and {(e.starts_at.astimezone(BERLIN).hour, e.capacity) for e in later} == {(15, 5)}
    starts = [e.starts_at for e in made]
    assert len(starts) == len(set(starts))
    later_starts = [e.starts_at.astimezone(BERLIN).date() for e in made]
    assert all(b - a == timedelta(weeks=2) for a, b in itertools.pairwise(later_starts))


async def test_past_dates_never_change_and_other_communities_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    dates = await _series(app)
    community_id = await demo_id(app)
    async with work(app) as w:
        other = Community(slug="sued", name="Lesecafé Süd")
        w.session.add(other)
        await w.session.flush()
        other_id = other.id
    async with work(app) as w:
        refused = await editing.edit_date(w, other_id, dates[0].id, editing.Changes(title="X"))
    assert refused == "not_found"
    async with work(app) as w:
        series_id = dates[0].series_id
        refused = await editing.edit_series(
            w, other_id, series_id, w.now.date(), editing.Changes(title="X")
        )
    assert refused == "not_found"
    for bad in (
        editing.Changes(title=""),
        editing.Changes(place="x" * 301),
        editing.Changes(topic="a\x00b"),
        editing.Changes(capacity=-1),
        editing.Changes(place="", online_link=""),
    ):
        async with work(app) as w:
            assert isinstance(await editing.edit_date(w, community_id, dates[0].id, bad), str)
    app.clock.advance(days=5)
    async with work(app) as w:
        refused = await editing.edit_date(w, community_id, dates[0].id, editing.Changes(title="X"))
    assert refused == "past"
    assert {e.title for e in await rows(app, Event, Event.community_id == community_id)} >= {
        "Handy-Treff"
    }
    assert "X" not in {e.title for e in await rows(app, Event)}


async def test_ending_a_series_cancels_later_dates_and_makes_no_more(app) -> None:  # type: ignore[no-untyped-def]
    dates = await _series(app)
    paula = await _member(app, "paula")
    await _sign_up(app, dates[2].id, paula)
    community_id = await demo_id(app)
    after_day = dates[1].starts_at.astimezone(BERLIN).date()
    async with work(app) as w:
        told = await editing.end_series(w, community_id, dates[0].series_id, after_day)
    assert isinstance(told, planning.Told) and told.told == 1
    statuses = [e.status for e in await rows(app, Event, Event.title == "Handy-Treff")]
    assert statuses[:2] == ["scheduled", "scheduled"]
    assert set(statuses[2:]) == {"cancelled"}
    app.clock.advance(days=90)
    await app.scheduler.extend_series(force=True)
    assert len(await rows(app, Event, Event.title == "Handy-Treff")) == len(dates)
    async with app.sessions() as session:
        row = await session.scalar(select(Series).where(Series.title == "Handy-Treff"))
    assert row is not None and row.status == "ended"


@pytest.mark.parametrize(
    ("rrule", "hour", "minute", "german", "english"),
    [
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            14,
            0,
            "alle zwei Wochen am Dienstag, 14 Uhr",
            "every two weeks on Tuesday, 2:00\u202fPM",
        ),
        (
            "FREQ=MONTHLY;BYDAY=+2TU",
            15,
            30,
            "jeden 2. Dienstag im Monat, 15:30 Uhr",
            "every 2nd Tuesday of the month, 3:30\u202fPM",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            10,
            0,
            "jeden letzten Freitag im Monat, 10 Uhr",
            "every last Friday of the month, 10:00\u202fAM",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=15",
            10,
            0,
            "jeden 15. im Monat, 10 Uhr",
            "on the 15th of every month, 10:00\u202fAM",
        ),
        ("FREQ=WEEKLY;BYDAY=MO,TH", 9, 0, "jeden Montag und Donnerstag, 9 Uhr", None),
    ],
)
def test_a_rhythm_in_plain_words(
    rrule: str, hour: int, minute: int, german: str, english: str | None
) -> None:
    contextvars.copy_context().run(_rhythm_words, rrule, hour, minute, german, english)


def _rhythm_words(rrule: str, hour: int, minute: int, german: str, english: str | None) -> None:
    install(Catalogs.load())  # in a context of its own: it must not leak into later tests
    start = datetime(2026, 12, 8, hour, minute, tzinfo=BERLIN).astimezone(UTC)
    with use_locale("de"):
        assert rhythm.describe(rrule, start, "Europe/Berlin") == german
    if english is not None:
        with use_locale("en"):
            said = rhythm.describe(rrule, start, "Europe/Berlin")
            assert said in (english, english.replace("\u202f", " "))


def test_a_rule_we_cannot_say_is_not_guessed() -> None:
    start = datetime(2026, 12, 8, 14, tzinfo=UTC)
    assert rhythm.describe("FREQ=YEARLY", start, "Europe/Berlin") == ""
    assert rhythm.describe(None, start, "Europe/Berlin") == ""


def test_work_is_plain() -> None:
    # The web form builds Changes from its fields by name.
    assert editing.changes_from({"place": "Raum 3", "csrf": "x"}) == editing.Changes(place="Raum 3")
    assert Work  # imported for readers: every use case takes one
