"""iCalendar output for one date and for a community's feed, read back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.dates.calendar import community_feed, event_ics
from bot.domain.models import Community, Event
from bot.infra.deployment import Deployment
from bot.language.i18n import current_locale

STAMP = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
DEPLOYMENT = Deployment("0b7e6a52-5d0c-4b8e-9d1a-2f6c1e0c9a11")
# 15:00 in Berlin (winter time).
START = datetime(2025, 12, 9, 14, 0, tzinfo=UTC)

# Every property a VEVENT may carry. Anything new (ATTENDEE, ORGANIZER, CONTACT with a
# person ...) must be added here on purpose, because the feed is public.
ALLOWED_EVENT_PROPERTIES = {
    "UID",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "SEQUENCE",
    "STATUS",
    "SUMMARY",
    "LOCATION",
    "DESCRIPTION",
    "URL",
}


def _community(**changes: Any) -> Community:
    values: dict[str, Any] = {
        "id": 1,
        "slug": "musterstadt",
        "name": "Digitalcafé Musterstadt",
        "timezone": "Europe/Berlin",
        "locale": "de",
        "contact": "Stadtbibliothek, Telefon 0123 456",
    }
    values.update(changes)
    return Community(**values)


def _event(**changes: Any) -> Event:
    values: dict[str, Any] = {
        "id": 7,
        "community_id": 1,
        "series_id": None,
        "title": "Digitalcafé",
        "starts_at": START,
        "ends_at": None,
        "place": "Stadtbibliothek, Raum 2; Erdgeschoss",
        "online_link": "",
        "topic": "Fotos an die Familie schicken",
        "capacity": 12,
        "contact": "",
        "bring": "Ihr Handy und das Ladekabel",
        "signup_deadline": None,
        "public": True,
        "status": "scheduled",
    }
    values.update(changes)
    return Event(**values)


def _only_event(data: bytes) -> Any:
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_one_date_has_times_place_and_details() -> None:
    data = event_ics(
        _event(), _community(), host="cafe.example", deployment=DEPLOYMENT, stamp=STAMP
    )
    calendar = Calendar.from_ical(data)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert "Lotsenbot" in str(calendar["PRODID"])

    vevent = _only_event(data)
    assert str(vevent["UID"]) == f"event-7-{DEPLOYMENT.id}@cafe.example"
    assert vevent.decoded("DTSTART") == START
    assert vevent.decoded("DTSTART").utcoffset() == timedelta(0)
    # No end stored: two hours are assumed.
    assert vevent.decoded("DTEND") == START + timedelta(hours=2)
    assert vevent.decoded("DTSTAMP") == STAMP
    assert b"DTSTART:20251209T140000Z" in data
    # Commas and semicolons in the place survive RFC 5545 escaping.
    assert str(vevent["LOCATION"]) == "Stadtbibliothek, Raum 2; Erdgeschoss"
    assert str(vevent["SUMMARY"]) == "Digitalcafé: Fotos an die Familie schicken"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    description = str(vevent["DESCRIPTION"]).splitlines()
    assert "Topic: Fotos an die Familie schicken" in description
    assert "Please bring: Ihr Handy und das Ladekabel" in description
    # The date has no contact of its own, so the community's is given.
    assert "Questions? Stadtbibliothek, Telefon 0123 456" in description
    assert "URL" not in vevent


def test_reminder_one_day_before_writes_the_date_out() -> None:
    vevent = _only_event(event_ics(_event(), _community(), deployment=DEPLOYMENT, stamp=STAMP))
    (alarm,) = vevent.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(days=-1)
    assert "Dienstag, 9. Dezember 2025, 15:00 Uhr" in str(alarm["DESCRIPTION"])


def test_end_time_contact_and_online_link_of_the_date_are_used() -> None:
    end = START + timedelta(minutes=90)
    event = _event(
        ends_at=end,
        place="",
        online_link="https://treffen.example/cafe",
        contact="Frau Lotsin, Telefon 0987",
        topic="",
        bring="",
    )
    vevent = _only_event(event_ics(event, _community(), deployment=DEPLOYMENT, stamp=STAMP))
    assert vevent.decoded("DTEND") == end
    assert str(vevent["LOCATION"]) == "https://treffen.example/cafe"
    assert str(vevent["URL"]) == "https://treffen.example/cafe"
    assert str(vevent["SUMMARY"]) == "Digitalcafé"
    description = str(vevent["DESCRIPTION"])
    assert "Questions? Frau Lotsin, Telefon 0987" in description
    assert "Stadtbibliothek" not in description
    assert "Online: https://treffen.example/cafe" in description


def test_summer_time_is_converted_to_utc() -> None:
    # 15:30 in Berlin in July is 13:30 UTC: an aware time in another zone comes out in UTC.
    berlin = datetime(2026, 7, 1, 15, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    data = event_ics(_event(starts_at=berlin), _community(), deployment=DEPLOYMENT, stamp=STAMP)
    assert b"DTSTART:20260701T133000Z" in data
    assert b"DTEND:20260701T153000Z" in data
    assert _only_event(data).decoded("DTSTART") == berlin


def test_cancelled_date_says_so_and_outranks_the_first_version() -> None:
    scheduled = _only_event(event_ics(_event(), _community(), deployment=DEPLOYMENT, stamp=STAMP))
    changed = _only_event(
        event_ics(_event(status="changed"), _community(), deployment=DEPLOYMENT, stamp=STAMP)
    )
    cancelled = _only_event(
        event_ics(_event(status="cancelled"), _community(), deployment=DEPLOYMENT, stamp=STAMP)
    )
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["UID"]) == str(scheduled["UID"])
    # Calendar apps replace the copy they have only when SEQUENCE goes up.
    assert int(scheduled["SEQUENCE"]) < int(changed["SEQUENCE"]) < int(cancelled["SEQUENCE"])
    assert str(cancelled["SUMMARY"]).startswith("CANCELLED:")
    # Nobody should be reminded of a date that does not take place.
    assert cancelled.walk("VALARM") == []


def test_uid_is_stable_and_only_the_stamp_changes() -> None:
    first = event_ics(_event(), _community(), deployment=DEPLOYMENT, stamp=STAMP)
    later = event_ics(
        _event(), _community(), deployment=DEPLOYMENT, stamp=STAMP + timedelta(days=3)
    )
    assert _only_event(first)["UID"] == _only_event(later)["UID"]
    differing = set(first.splitlines()) ^ set(later.splitlines())
    assert differing and all(line.startswith(b"DTSTAMP:") for line in differing)


def test_long_lines_are_folded_and_umlauts_kept() -> None:
    event = _event(bring="Ä" * 40 + " und ein sehr langer Text über Öffnungszeiten " * 3)
    data = event_ics(event, _community(), deployment=DEPLOYMENT, stamp=STAMP)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert "Ä" * 40 in str(_only_event(data)["DESCRIPTION"])


def test_feed_names_the_calendar_and_lists_every_date() -> None:
    community = _community()
    events = [
        _event(id=1),
        _event(id=2, starts_at=START + timedelta(days=7), status="changed"),
        _event(id=3, starts_at=START + timedelta(days=14), status="cancelled"),
    ]
    data = community_feed(
        community, events, host="cafe.example", deployment=DEPLOYMENT, stamp=STAMP
    )
    calendar = Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "Digitalcafé Musterstadt"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert str(calendar["METHOD"]) == "PUBLISH"
    vevents = calendar.walk("VEVENT")
    assert [str(v["UID"]) for v in vevents] == [
        f"event-{n}-{DEPLOYMENT.id}@cafe.example" for n in (1, 2, 3)
    ]
    assert [str(v["STATUS"]) for v in vevents] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert [v.decoded("DTSTART") for v in vevents] == [e.starts_at for e in events]


def test_feed_carries_no_attendees_or_organizer() -> None:
    data = community_feed(
        _community(), [_event(id=1), _event(id=2)], deployment=DEPLOYMENT, stamp=STAMP
    )
    for vevent in Calendar.from_ical(data).walk("VEVENT"):
        assert set(vevent.keys()) <= ALLOWED_EVENT_PROPERTIES
    # Also on the raw lines, so a property icalendar does not know would be caught too.
    for line in data.split(b"\r\n"):
        assert not line.startswith((b"ATTENDEE", b"ORGANIZER", b"CONTACT")), line
    assert b"mailto:" not in data.lower()


def test_feed_is_written_in_the_community_language() -> None:
    before = current_locale()
    data = community_feed(_community(locale="en"), [_event()], deployment=DEPLOYMENT, stamp=STAMP)
    (alarm,) = Calendar.from_ical(data).walk("VALARM")
    assert "Tuesday, 9 December 2025, 3:00 PM" in str(alarm["DESCRIPTION"])
    assert current_locale() == before


def test_empty_feed_is_still_a_valid_calendar() -> None:
    calendar = Calendar.from_ical(
        community_feed(_community(), [], deployment=DEPLOYMENT, stamp=STAMP)
    )
    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]) == "Digitalcafé Musterstadt"
