"""The calendar feed server on a migrated database: what is in the feed, and what is not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
from icalendar import Calendar
from multidict import CIMultiDict
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.dates import feed as dates_feed
from bot.dates.feed import public_events
from bot.domain.models import Community, Event, Person, Rsvp
from bot.domain.work import Work
from bot.infra.db import create_engine, session_factory
from bot.infra.web import CalendarFeed, FeedServer
from bot.language.i18n import Catalogs
from tests.fakes.clock import FakeClock


@dataclass
class Feed:
    server: FeedServer
    sessions: async_sessionmaker
    clock: FakeClock
    ids: dict[str, int]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"


def _calendar(sessions: async_sessionmaker, clock: FakeClock) -> CalendarFeed:
    """The feed use case as the composition root wires it: a session and the clock's now."""

    async def calendar(slug: str) -> bytes | None:
        async with sessions() as session:
            return await dates_feed.feed(Work(session, clock.now()), slug, host="lotsenbot")

    return calendar


@pytest.fixture
async def feed(db_url: str, clock: FakeClock) -> AsyncIterator[Feed]:
    """A community with dates of every kind, and the server started on a free port."""
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    now = clock.now()
    async with sessions.begin() as session:
        cafe = Community(
            slug="musterstadt",
            name="Digitalcafé Musterstadt",
            timezone="Europe/Berlin",
            locale="de",
            contact="Stadtbibliothek, Telefon 0123 456",
        )
        other = Community(slug="nachbarort", name="Digitalcafé Nachbarort")
        session.add_all([cafe, other])
        await session.flush()

        def date(title: str, days: float, **fields: object) -> Event:
            return Event(
                community_id=fields.pop("community_id", cafe.id),
                title=title,
                starts_at=now + timedelta(days=days),
                place="Stadtbibliothek, Raum 2",
                **fields,
            )

        events = {
            "next": date("Handy-Sprechstunde", 3, topic="WhatsApp"),
            "cancelled": date("Fotokurs", 10, status="cancelled"),
            "private": date("Teambesprechung", 5, public=False),
            "last_week": date("Rückblick", -7, status="done"),
            "long_ago": date("Sommerfest", -40, status="done"),
            "far_ahead": date("Jahresfeier", 400),
            "elsewhere": date("Nachbartreffen", 4, community_id=other.id),
        }
        session.add_all(events.values())
        await session.flush()
        person = Person(display_name="Erika Mustermann")
        session.add(person)
        await session.flush()
        session.add(Rsvp(event_id=events["next"].id, person_id=person.id, status="yes"))
        ids = {key: event.id for key, event in events.items()}
    server = FeedServer("127.0.0.1", 0, calendar=_calendar(sessions, clock))
    await server.start()
    try:
        yield Feed(server, sessions, clock, ids)
    finally:
        await server.stop()
        await engine.dispose()


async def _get(url: str, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
    async with aiohttp.ClientSession() as client, client.get(url, headers=headers) as response:
        return response.status, response.headers.copy(), await response.read()


def _uids(feed: Feed, *keys: str) -> list[str]:
    return [f"event-{feed.ids[key]}@lotsenbot" for key in keys]


async def test_feed_has_public_dates_of_the_window_in_order(feed: Feed) -> None:
    assert feed.server.port != 0
    status, headers, body = await _get(feed.url("/kalender/musterstadt.ics"))
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["Cache-Control"] == "max-age=300"
    calendar = Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == "Digitalcafé Musterstadt"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    vevents = calendar.walk("VEVENT")
    # Not the private date, not 40 days ago, not 400 days ahead, not the other community's.
    assert [str(v["UID"]) for v in vevents] == _uids(feed, "last_week", "next", "cancelled")
    by_uid = {str(v["UID"]): v for v in vevents}
    cancelled = by_uid[_uids(feed, "cancelled")[0]]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    nxt = by_uid[_uids(feed, "next")[0]]
    assert nxt.decoded("DTSTART") == feed.clock.now() + timedelta(days=3)
    assert str(nxt["LOCATION"]) == "Stadtbibliothek, Raum 2"


async def test_feed_names_nobody(feed: Feed) -> None:
    _status, _headers, body = await _get(feed.url("/kalender/musterstadt.ics"))
    assert b"Erika" not in body and b"Mustermann" not in body
    assert b"ATTENDEE" not in body and b"ORGANIZER" not in body
    assert b"Teambesprechung" not in body


async def test_english_address_gives_the_same_feed(feed: Feed) -> None:
    _s, _h, german = await _get(feed.url("/kalender/musterstadt.ics"))
    status, _h, english = await _get(feed.url("/calendar/musterstadt.ics"))
    assert status == 200
    assert Calendar.from_ical(english).walk("VEVENT") == Calendar.from_ical(german).walk("VEVENT")


async def test_unknown_community_is_not_found(feed: Feed) -> None:
    for path in ("/kalender/gibt-es-nicht.ics", "/kalender/musterstadt", "/kalender/.ics"):
        status, _headers, _body = await _get(feed.url(path))
        assert status == 404, path


async def test_unchanged_feed_answers_not_modified_until_a_date_changes(feed: Feed) -> None:
    url = feed.url("/kalender/musterstadt.ics")
    _s, first, _b = await _get(url)
    feed.clock.advance(minutes=1)  # DTSTAMP moves; the tag must not
    status, headers, body = await _get(url, **{"If-None-Match": first["ETag"]})
    assert (status, body) == (304, b"")
    assert headers["ETag"] == first["ETag"]

    async with feed.sessions.begin() as session:
        event = await session.get(Event, feed.ids["next"])
        assert event is not None
        event.status = "cancelled"
    status, headers, body = await _get(url, **{"If-None-Match": first["ETag"]})
    assert status == 200 and headers["ETag"] != first["ETag"]
    assert body.count(b"STATUS:CANCELLED") == 2


async def test_window_moves_with_the_clock(feed: Feed) -> None:
    async with feed.sessions() as session:
        event = await session.get(Event, feed.ids["next"])
        assert event is not None
        cafe_id = event.community_id
        now = feed.clock.now()
        assert [e.id for e in await public_events(session, cafe_id, now)] == [
            feed.ids[k] for k in ("last_week", "next", "cancelled")
        ]
        # 30 days later last week's date has dropped out and the next ones are past.
        later = now + timedelta(days=30)
        assert [e.id for e in await public_events(session, cafe_id, later)] == [
            feed.ids[k] for k in ("next", "cancelled")
        ]
        # 40 days ago the summer party was still in the feed; a year-old date never is.
        earlier = now - timedelta(days=36)
        assert feed.ids["long_ago"] in [
            e.id for e in await public_events(session, cafe_id, earlier)
        ]


async def test_stop_frees_the_port(feed: Feed) -> None:
    url = feed.url("/kalender/musterstadt.ics")
    await feed.server.stop()
    await feed.server.stop()  # twice is fine
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(url)


async def test_feed_is_in_the_community_language(feed: Feed) -> None:
    # The server gets the catalogs handed in: a request's task does not see install()
    # calls made elsewhere.
    german = FeedServer(
        "127.0.0.1", 0, catalogs=Catalogs.load(), calendar=_calendar(feed.sessions, feed.clock)
    )
    await german.start()
    try:
        _s, _h, body = await _get(f"http://127.0.0.1:{german.port}/kalender/musterstadt.ics")
    finally:
        await german.stop()
    assert "Thema: WhatsApp" in _description(body, _uids(feed, "next")[0])
    # The fixture's server has no catalogs: the English source text shows through.
    _s, _h, plain = await _get(feed.url("/kalender/musterstadt.ics"))
    assert "Topic: WhatsApp" in _description(plain, _uids(feed, "next")[0])


def _description(body: bytes, uid: str) -> str:
    (vevent,) = [v for v in Calendar.from_ical(body).walk("VEVENT") if str(v["UID"]) == uid]
    return str(vevent["DESCRIPTION"])


async def test_health_without_the_calendar(feed: Feed) -> None:
    """``[web] calendar = false``: /health for monitoring, no public feed."""

    async def healthy() -> tuple[int, dict[str, object]]:
        return 200, {"status": "ok"}

    server = FeedServer("127.0.0.1", 0, health=healthy, calendar=None)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{server.port}"
            async with http.get(f"{base}/kalender/musterstadt.ics") as response:
                assert response.status == 404
            async with http.get(f"{base}/health") as response:
                assert (response.status, await response.json()) == (200, {"status": "ok"})
    finally:
        await server.stop()
