"""Date/time input: German words, numbers in any language; one-off dates, series as RRULE,
DST, and garbage that must not crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.when import Reason, When, WhenError, occurrences, parse_when

BERLIN = ZoneInfo("Europe/Berlin")


def local(*args: int, tz: ZoneInfo = BERLIN) -> datetime:
    """A Berlin wall-clock time as an aware UTC datetime."""
    return datetime(*args, tzinfo=tz).astimezone(UTC)  # type: ignore[misc]


# Friday, 20 November 2026, 09:00 in Berlin (CET, UTC+1).
NOW = local(2026, 11, 20, 9, 0)


@pytest.mark.parametrize(
    ("text", "start", "end", "rrule"),
    [
        # Monthly series.
        ("jeden 2. Dienstag 15 Uhr", local(2026, 12, 8, 15), None, "FREQ=MONTHLY;BYDAY=+2TU"),
        ("jeden 1. Mittwoch 15 Uhr", local(2026, 12, 2, 15), None, "FREQ=MONTHLY;BYDAY=+1WE"),
        ("Jeden letzten Freitag 10 Uhr", local(2026, 11, 27, 10), None, "FREQ=MONTHLY;BYDAY=-1FR"),
        (
            "jeden ersten Mittwoch um 15 Uhr",
            local(2026, 12, 2, 15),
            None,
            "FREQ=MONTHLY;BYDAY=+1WE",
        ),
        ("2. Dienstag im Monat 15 Uhr", local(2026, 12, 8, 15), None, "FREQ=MONTHLY;BYDAY=+2TU"),
        (
            "jeden 2. und 4. Di 15.30",
            local(2026, 11, 24, 15, 30),
            None,
            "FREQ=MONTHLY;BYDAY=+2TU,+4TU",
        ),
        # Weekly and daily series.
        (
            "dienstags 10–12 Uhr",
            local(2026, 11, 24, 10),
            local(2026, 11, 24, 12),
            "FREQ=WEEKLY;BYDAY=TU",
        ),
        (
            "jeden Dienstag 10 bis 12 Uhr",
            local(2026, 11, 24, 10),
            local(2026, 11, 24, 12),
            "FREQ=WEEKLY;BYDAY=TU",
        ),
        ("montags und donnerstags 9 Uhr", local(2026, 11, 23, 9), None, "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("donnerstags, montags 9 Uhr", local(2026, 11, 23, 9), None, "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("freitags 10 Uhr", local(2026, 11, 20, 10), None, "FREQ=WEEKLY;BYDAY=FR"),
        ("freitags 8 Uhr", local(2026, 11, 27, 8), None, "FREQ=WEEKLY;BYDAY=FR"),
        ("werktags 8 Uhr", local(2026, 11, 23, 8), None, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("täglich 9 Uhr", NOW, None, "FREQ=DAILY"),  # exactly now counts
        ("taeglich 8 Uhr", local(2026, 11, 21, 8), None, "FREQ=DAILY"),
        ("jeden Tag 18:30", local(2026, 11, 20, 18, 30), None, "FREQ=DAILY"),
        ("dienstags 10 Uhr ab 1.12.", local(2026, 12, 1, 10), None, "FREQ=WEEKLY;BYDAY=TU"),
        # Dates.
        ("9.12. 15:00–17:00", local(2026, 12, 9, 15), local(2026, 12, 9, 17), None),
        ("9.12. 15:00-17:00", local(2026, 12, 9, 15), local(2026, 12, 9, 17), None),
        ("9.12.2026 15 Uhr", local(2026, 12, 9, 15), None, None),
        ("9.12.26 15 Uhr", local(2026, 12, 9, 15), None, None),
        ("09.12. 15 Uhr", local(2026, 12, 9, 15), None, None),
        ("9. Dezember 15 Uhr", local(2026, 12, 9, 15), None, None),
        ("9 Dez 15 Uhr", local(2026, 12, 9, 15), None, None),
        ("am 9. Dez. um 15 Uhr", local(2026, 12, 9, 15), None, None),
        ("Mittwoch, 9. Dezember, 15 Uhr", local(2026, 12, 9, 15), None, None),
        ("Mi., 9.12., 15.30 Uhr", local(2026, 12, 9, 15, 30), None, None),
        ("9.12. 15 Uhr 30", local(2026, 12, 9, 15, 30), None, None),
        ("15 Uhr, 9.12.", local(2026, 12, 9, 15), None, None),
        (
            "9.12. von 10 Uhr bis 12:30 Uhr",
            local(2026, 12, 9, 10),
            local(2026, 12, 9, 12, 30),
            None,
        ),
        ("2026-12-09 15 Uhr", local(2026, 12, 9, 15), None, None),
        ("3. Maerz 2027 um 10", local(2027, 3, 3, 10), None, None),
        ("3. März 10 Uhr", local(2027, 3, 3, 10), None, None),
        ("3. Sept 10 Uhr", local(2027, 9, 3, 10), None, None),
        ("1.1. 10 Uhr", local(2027, 1, 1, 10), None, None),  # next such date
        ("20.11. 18 Uhr", local(2026, 11, 20, 18), None, None),  # today still counts
        ("29.2. 10 Uhr", local(2028, 2, 29, 10), None, None),  # next leap year
        # Relative days.
        ("morgen 10 Uhr", local(2026, 11, 21, 10), None, None),
        ("übermorgen 14:30", local(2026, 11, 22, 14, 30), None, None),
        ("uebermorgen 14:30", local(2026, 11, 22, 14, 30), None, None),
        ("heute 18 Uhr", local(2026, 11, 20, 18), None, None),
        ("HEUTE   18  UHR", local(2026, 11, 20, 18), None, None),
        ("morgen, Samstag 10 Uhr", local(2026, 11, 21, 10), None, None),
        # Weekdays.
        ("nächsten Montag 10 Uhr", local(2026, 11, 23, 10), None, None),
        ("naechsten Montag 10 Uhr", local(2026, 11, 23, 10), None, None),
        ("am Montag 10 Uhr", local(2026, 11, 23, 10), None, None),
        ("Montag 10 Uhr", local(2026, 11, 23, 10), None, None),
        ("Mo 10", local(2026, 11, 23, 10), None, None),
        ("Freitag 10 Uhr", local(2026, 11, 20, 10), None, None),  # today, still ahead
        ("Freitag 8 Uhr", local(2026, 11, 27, 8), None, None),  # today, gone: next week
        ("nächsten Freitag 10 Uhr", local(2026, 11, 27, 10), None, None),  # never today
        ("Sonnabend 11 Uhr", local(2026, 11, 21, 11), None, None),
    ],
)
def test_forms_with_time(
    text: str, start: datetime, end: datetime | None, rrule: str | None
) -> None:
    assert parse_when(text, NOW) == When(start=start, end=end, rrule=rrule, has_time=True)


@pytest.mark.parametrize(
    ("text", "day", "rrule"),
    [
        ("nächsten Montag", (2026, 11, 23), None),
        ("Montag", (2026, 11, 23), None),
        ("Freitag", (2026, 11, 20), None),
        ("nächsten Freitag", (2026, 11, 27), None),
        ("heute", (2026, 11, 20), None),
        ("morgen", (2026, 11, 21), None),
        ("9.12.", (2026, 12, 9), None),
        ("dienstags", (2026, 11, 24), "FREQ=WEEKLY;BYDAY=TU"),
    ],
)
def test_forms_without_time(text: str, day: tuple[int, int, int], rrule: str | None) -> None:
    assert parse_when(text, NOW) == When(local(*day), None, rrule, has_time=False)
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW, require_time=True)
    assert caught.value.reason == "no_time"


@pytest.mark.parametrize(
    "text",
    [
        "24.12. 14:30",
        "24.12.2026 14:30",
        "24.12.26 14.30 Uhr",
        "2026-12-24 14:30",
        "24/12 14:30",
        "24/12/2026 14.30",
        "24/12/26 14:30",
        "14:30 24/12",
    ],
)
def test_numeric_forms_need_no_words(text: str) -> None:
    """Numbers alone, as people write them in any language (issue #21)."""
    assert parse_when(text, NOW).start == local(2026, 12, 24, 14, 30)


@pytest.mark.parametrize(
    ("text", "reason"), [("31/02 10:00", "impossible_date"), ("24/", "unknown")]
)
def test_numeric_forms_with_slashes_that_do_not_work(text: str, reason: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW)
    assert caught.value.reason == reason


def test_next_weekday_on_the_day_before_is_tomorrow() -> None:
    sunday = local(2026, 11, 22, 12)
    assert parse_when("nächsten Montag", sunday).start == local(2026, 11, 23)
    monday = local(2026, 11, 23, 12)
    assert parse_when("nächsten Montag", monday).start == local(2026, 11, 30)
    assert parse_when("Montag", monday).start == local(2026, 11, 23)


def test_weekday_matching_the_date_in_another_year() -> None:
    # 9 December 2025 is a Tuesday; in 2026 it is a Wednesday.
    now = local(2025, 11, 20, 9)
    when = parse_when("Dienstag, 9. Dezember, 15 Uhr", now)
    assert when.start == local(2025, 12, 9, 15)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("x" * 10_000, "too_long"),
        ("9.12. 15 Uhr " + " " * 200, "too_long"),
        ("31.2. 10 Uhr", "impossible_date"),
        ("31.4.2027 10 Uhr", "impossible_date"),
        ("32.1. 10 Uhr", "impossible_date"),
        ("1.13. 10 Uhr", "impossible_date"),
        ("Dienstag, 9. Dezember, 15 Uhr", "impossible_date"),
        ("morgen, Sonntag 10 Uhr", "impossible_date"),
        ("jeden 6. Dienstag 10 Uhr", "impossible_date"),
        ("9.12.2062 10 Uhr", "impossible_date"),
        ("morgen 25 Uhr", "impossible_time"),
        ("25 Uhr", "impossible_time"),
        ("morgen 10:75", "impossible_time"),
        ("morgen 12–10 Uhr", "impossible_time"),
        ("heute 8 Uhr", "past"),
        ("20.11. 8 Uhr", "past"),
        ("1.1.2026 10 Uhr", "past"),
        ("letzten Freitag", "past"),
        ("15 Uhr", "no_date"),
        ("um 15:30", "no_date"),
        ("hallo", "unknown"),
        ("Sept", "unknown"),
        ("irgendwann nächste Woche", "unknown"),
        ("morgen 10 Uhr 😀", "unknown"),
        ("😀😀😀", "unknown"),
        ("مرحبا غدا", "unknown"),
        ("\u202emorgen 10 Uhr", "unknown"),
        ("morgen\x00 10 Uhr", "unknown"),
        ("morgen 10 Uhr und 12 Uhr", "unknown"),
        ("morgen übermorgen 10 Uhr", "unknown"),
        ("9.12. 10.12. 10 Uhr", "unknown"),
        ("Montag und Donnerstag 9 Uhr", "unknown"),
        ("nächsten 9.12.", "unknown"),
        ("jeden 10 Uhr", "unknown"),
        ("täglich montags 9 Uhr", "unknown"),
        ("2. Dienstag 15 Uhr", "unknown"),
        ("morgen 10 bis", "unknown"),
        ("morgen 2026", "unknown"),
    ],
)
def test_bad_input(text: str, reason: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW)
    assert caught.value.reason == reason


def test_whitespace_and_control_separators_are_tolerated() -> None:
    assert parse_when(" morgen\n10\tUhr ", NOW).start == local(2026, 11, 21, 10)


def test_dst_monthly_series_keeps_local_time() -> None:
    when = parse_when("jeden 2. Dienstag 15 Uhr", NOW)
    starts = occurrences(when, "Europe/Berlin", NOW, 6)
    assert [s.astimezone(BERLIN).hour for s in starts] == [15] * 6
    # Winter (UTC+1) until the last Sunday of March 2027, summer (UTC+2) after.
    assert [(s.month, s.day, s.hour) for s in starts] == [
        (12, 8, 14),
        (1, 12, 14),
        (2, 9, 14),
        (3, 9, 14),
        (4, 13, 13),
        (5, 11, 13),
    ]


def test_dst_weekly_series_across_last_sunday_of_october() -> None:
    now = local(2026, 10, 15, 9)
    when = parse_when("sonntags 15 Uhr", now)
    starts = occurrences(when, "Europe/Berlin", now, 3)
    # 25 October 2026 is the last Sunday of October: clocks go back at 03:00.
    assert starts == [
        datetime(2026, 10, 18, 13, tzinfo=UTC),
        datetime(2026, 10, 25, 14, tzinfo=UTC),
        datetime(2026, 11, 1, 14, tzinfo=UTC),
    ]


def test_dst_one_off_dates_use_the_offset_of_that_day() -> None:
    now = local(2027, 3, 26, 9)
    assert parse_when("Montag 10 Uhr", now).start == datetime(2027, 3, 29, 8, tzinfo=UTC)
    assert parse_when("morgen 10 Uhr", now).start == datetime(2027, 3, 27, 9, tzinfo=UTC)


def test_dst_gap_time_moves_one_hour_later() -> None:
    # 02:30 does not exist on 28 March 2027; fold=0 reads it with the winter offset.
    now = local(2027, 3, 20, 9)
    starts = occurrences(parse_when("sonntags 2:30", now), "Europe/Berlin", now, 3)
    assert [s.astimezone(BERLIN).strftime("%d %H:%M") for s in starts] == [
        "21 02:30",
        "28 03:30",
        "04 02:30",
    ]


def test_occurrences_window_and_one_off() -> None:
    when = parse_when("dienstags 10–12 Uhr", NOW)
    later = local(2026, 12, 1, 10)
    assert occurrences(when, "Europe/Berlin", later, 2) == [later, local(2026, 12, 8, 10)]
    assert occurrences(when, "Europe/Berlin", later, 1, inclusive=False) == [local(2026, 12, 8, 10)]
    assert occurrences(when, "Europe/Berlin", later, 0) == []
    single = parse_when("9.12. 15 Uhr", NOW)
    assert occurrences(single, "Europe/Berlin", NOW, 5) == [single.start]
    assert occurrences(single, "Europe/Berlin", local(2026, 12, 10), 5) == []


def test_occurrences_honours_utc_until() -> None:
    when = When(local(2026, 11, 24, 10), None, "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261208T090000Z", True)
    starts = occurrences(when, "Europe/Berlin", NOW, 10)
    assert starts == [local(2026, 11, 24, 10), local(2026, 12, 1, 10), local(2026, 12, 8, 10)]


def test_other_time_zone() -> None:
    now = local(2026, 11, 20, 9, tz=ZoneInfo("America/New_York"))
    when = parse_when("morgen 10 Uhr", now, "America/New_York")
    assert when.start == datetime(2026, 11, 21, 15, tzinfo=UTC)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("morgen 10 Uhr", datetime(2026, 11, 20, 9))


def _check(text: str, now: datetime, timezone: str = "Europe/Berlin") -> None:
    try:
        when = parse_when(text, now, timezone)
    except WhenError as error:
        assert error.reason in get_args(Reason)
        return
    assert when.start.tzinfo is UTC
    assert when.start >= now - timedelta(days=1)
    assert when.end is None or when.start < when.end < when.start + timedelta(days=1)
    if when.rrule is not None:
        assert occurrences(when, timezone, when.start, 1) == [when.start]


_VOCAB = [
    "jeden", "2.", "letzten", "Dienstag", "di", "montags", "und", "täglich", "werktags", "Tag",
    "9.12.", "31.2.", "29.2.", "9.12.2026", "1.1.1999", "0.", "9.", "Dezember", "Maerz",
    "2030", "morgen", "heute", "übermorgen", "nächsten", "am", "um", "15", "15:30", "25",
    "10:75", "Uhr", "–", "-", "bis", "von", "im", "Monat", ",", "ab", "00", "23:59", "0:00",
    "9999", "2026-02-30", "😀", "\u202e", "\x00", "  ",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=10_000))
def test_arbitrary_text_never_crashes(text: str) -> None:
    _check(text, NOW)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_VOCAB), max_size=8).map(" ".join),
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2090, 12, 31),
        timezones=st.just(UTC),
    ),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
)
def test_near_valid_text_never_crashes(text: str, now: datetime, timezone: str) -> None:
    _check(text, now, timezone)


def test_series_from_a_date_already_gone_starts_today() -> None:
    assert parse_when("dienstags ab 1.1.2026", NOW).start == local(2026, 11, 24)


# Rhythms (#20): fortnightly, monthly by weekday and by day; RRULE and the next three dates.
@pytest.mark.parametrize(
    ("text", "rrule", "days"),
    [
        ("alle zwei Wochen dienstags 14 Uhr", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (24, 8, 22)),
        ("alle 2 Wochen am Dienstag 14 Uhr", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (24, 8, 22)),
        ("14-tägig dienstags 14 Uhr", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (24, 8, 22)),
        ("14tägig Dienstag 14 Uhr", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (24, 8, 22)),
        ("vierzehntägig dienstags 14 Uhr", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (24, 8, 22)),
        ("jede zweite Woche Dienstag 14 Uhr", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (24, 8, 22)),
        ("alle 14 Tage dienstags 14 Uhr", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (24, 8, 22)),
        ("every two weeks on Tuesday 14:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (24, 8, 22)),
        ("fortnightly on Tuesday 14:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (24, 8, 22)),
        ("every other week, Tuesday 14:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (24, 8, 22)),
        ("14-tägig ab 1.12. 15 Uhr", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (1, 15, 29)),
        ("jeden 2. Dienstag 14 Uhr", "FREQ=MONTHLY;BYDAY=+2TU", (8, 12, 9)),
        ("jeden zweiten Dienstag im Monat 14 Uhr", "FREQ=MONTHLY;BYDAY=+2TU", (8, 12, 9)),
        ("jeden letzten Freitag 14 Uhr", "FREQ=MONTHLY;BYDAY=-1FR", (27, 25, 29)),
        ("every 2nd Tuesday 14:00", "FREQ=MONTHLY;BYDAY=+2TU", (8, 12, 9)),
        ("last Friday of the month 14:00", "FREQ=MONTHLY;BYDAY=-1FR", (27, 25, 29)),
        ("jeden 15. 14 Uhr", "FREQ=MONTHLY;BYMONTHDAY=15", (15, 15, 15)),
        ("am 15. jedes Monats um 14 Uhr", "FREQ=MONTHLY;BYMONTHDAY=15", (15, 15, 15)),
        ("monthly on the 15th 14:00", "FREQ=MONTHLY;BYMONTHDAY=15", (15, 15, 15)),
    ],
)
def test_rhythms(text: str, rrule: str, days: tuple[int, int, int]) -> None:
    when = parse_when(text, NOW)
    assert when.rrule == rrule
    found = occurrences(when, "Europe/Berlin", when.start, 3)
    local_days = [start.astimezone(BERLIN) for start in found]
    assert tuple(day.day for day in local_days) == days
    assert all(day.hour == 14 or "15 Uhr" in text for day in local_days)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("alle zwei Wochen 14 Uhr", "no_weekday"),
        ("alle 9 Wochen dienstags 10 Uhr", "impossible_date"),
        ("jeden 32. 10 Uhr", "impossible_date"),
        ("alle zwei Wochen täglich 10 Uhr", "unknown"),
        ("alle zwei Wochen jeden 2. Dienstag 10 Uhr", "unknown"),
        ("nächste Woche", "unknown"),
        ("am 15. 10 Uhr", "unknown"),
        ("zwei", "unknown"),
    ],
)
def test_bad_rhythms(text: str, reason: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW)
    assert caught.value.reason == reason


# --- the person's own language: weekdays, months and "tomorrow" from Babel's CLDR data --


@pytest.mark.parametrize(
    ("language", "text", "start"),
    [
        ("uk", "вівторок, 15 грудня 15:00", local(2026, 12, 15, 15)),
        ("uk", "15 грудень 2026 15:00", local(2026, 12, 15, 15)),
        ("uk", "Вт 15:00", local(2026, 11, 24, 15)),
        ("uk", "п'ятниця 10:00", local(2026, 11, 20, 10)),
        ("uk", "пʼятниця 10:00", local(2026, 11, 20, 10)),
        ("uk", "завтра 15:00", local(2026, 11, 21, 15)),
        ("uk", "15 груд. 15:00", local(2026, 12, 15, 15)),
        ("en", "Tuesday, 15 December 2026, 15:00", local(2026, 12, 15, 15)),
        ("en", "tomorrow 15:00", local(2026, 11, 21, 15)),
        ("tr", "Salı 15:00", local(2026, 11, 24, 15)),
        ("tr", "15 Aralık 15:00", local(2026, 12, 15, 15)),
        ("tr", "yarın 15:00", local(2026, 11, 21, 15)),
        ("ar", "الثلاثاء 15:00", local(2026, 11, 24, 15)),
        ("pl", "wtorek 15 grudnia 15:00", local(2026, 12, 15, 15)),
        # German and English words stay understood in every language.
        ("uk", "Dienstag 15 Uhr", local(2026, 11, 24, 15)),
        ("de", "15. Dezember 15 Uhr", local(2026, 12, 15, 15)),
    ],
)
def test_day_and_month_words_come_from_the_persons_language(
    language: str, text: str, start: datetime
) -> None:
    assert parse_when(text, NOW, language=language).start == start


@pytest.mark.parametrize(
    ("language", "text", "reason"),
    [
        # A language's own word for "Tuesday" only counts for its speakers.
        (None, "вівторок 15:00", "unknown"),
        ("de", "Salı 15:00", "unknown"),
        ("uk", "31 лютого 15:00", "impossible_date"),
        ("uk", "учора 15:00", "past"),
        ("uk", "колись 15:00", "unknown"),
        # A code Babel does not know: numbers and German words only.
        ("xx", "вівторок 15:00", "unknown"),
    ],
)
def test_words_of_another_language_or_wrong_days_get_a_reason(
    language: str | None, text: str, reason: str
) -> None:
    with pytest.raises(WhenError) as raised:
        parse_when(text, NOW, language=language)
    assert raised.value.reason == reason


def test_in_turkish_sa_is_tuesday_for_german_speakers_saturday() -> None:
    """Where two languages share a short word, the person's own language decides."""
    assert parse_when("Sa 15:00", NOW, language="tr").start == local(2026, 11, 24, 15)
    assert parse_when("Sa 15:00", NOW, language="de").start == local(2026, 11, 21, 15)
