"""One reading of days and weekday words: the check-in QR command and the export period
read a day with the date parser's rules, and volunteers' times use its weekday words."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import weekly
from bot.domain.when import WEEKDAY_WORDS, parse_day
from bot.exports.choices import Period, parse_period

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.12.2026", date(2026, 12, 9)),
        ("9.12.", date(2026, 12, 9)),
        ("2026-12-09", date(2026, 12, 9)),
        ("2027-1-5", date(2027, 1, 5)),
        ("29.2.2028", date(2028, 2, 29)),
        ("29.2.2027", None),
        ("9.12", None),  # a time, not a day
        ("9.12. 15 Uhr", None),
        ("morgen", None),
        ("", None),
    ],
)
def test_one_day_is_read_like_the_date_parser_reads_it(text: str, expected: date | None) -> None:
    assert parse_day(text, TODAY) == expected


def test_the_export_period_reads_its_days_the_same_way() -> None:
    assert parse_period("1.1.2026 - 30.6.2026", TODAY) == Period(
        date(2026, 1, 1), date(2026, 6, 30)
    )
    assert parse_period("2026-1-1 bis 2026-6-30", TODAY) == Period(
        date(2026, 1, 1), date(2026, 6, 30)
    )
    assert parse_period("1.1. - 31.1.", TODAY) == Period(date(2026, 1, 1), date(2026, 1, 31))


def test_weekly_times_know_every_weekday_word_of_the_date_parser() -> None:
    assert set(WEEKDAY_WORDS) <= set(weekly.DAYS)
    assert weekly.parse("sonnabends 10-12") == ([5], [10, 12])
    assert weekly.parse("Mo und Do nachmittags") == ([0, 3], [13, 18])
    assert weekly.parse("tuesdays evenings") == ([1], [17, 21])
