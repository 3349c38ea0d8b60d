"""Export files read back: CSV with BOM and separators, XLSX with real dates and widths,
formulas in people's text neutralised, periods, pseudonyms, small groups suppressed."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

from bot.exports.choices import (
    Column,
    Period,
    Pseudonyms,
    Table,
    neutralise,
    parse_period,
    write_csv,
    write_xlsx,
)
from bot.exports.tables import _suppressed

HOSTILE = [
    '=HYPERLINK("http://evil.example","Klick")',
    "+SUM(A1:A9)",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "\0=1+1",
    "=cmd|' /C calc'!A0",
]


def _table(rows: list[tuple]) -> Table:  # type: ignore[type-arg]
    return Table(
        "feedback",
        "Ratings",
        (
            Column("Date", "datetime", 17),
            Column("Day", "date", 12),
            Column("Person", "text", 18),
            Column("Rating (1 to 5)", "int", 12),
            Column("Hours until taken on", "float", 14),
            Column("Comment", "text", 60),
        ),
        rows,
    )


ROWS = [
    (datetime(2026, 12, 9, 15, 0), date(2026, 12, 9), name, 5, 2.5, comment)
    for name, comment in zip(HOSTILE, reversed(HOSTILE), strict=True)
]


def test_neutralise_quotes_every_formula_start_and_leaves_plain_text() -> None:
    for text in HOSTILE:
        safe = neutralise(text)
        assert safe.startswith("'") and "\0" not in safe
    assert neutralise("Sehr geduldig erklärt!") == "Sehr geduldig erklärt!"
    assert neutralise("Preis: -5 €") == "Preis: -5 €"


def test_csv_has_a_bom_and_neutralised_cells_with_either_separator() -> None:
    for separator in (",", ";"):
        out = io.BytesIO()
        table = _table(ROWS)
        write_csv(table, out, separator)
        raw = out.getvalue()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=separator))
        assert rows[0] == [
            "Date",
            "Day",
            "Person",
            "Rating (1 to 5)",
            "Hours until taken on",
            "Comment",
        ]
        assert table.count == len(HOSTILE) == len(rows) - 1
        for row in rows[1:]:
            assert row[0] == "2026-12-09 15:00" and row[1] == "2026-12-09"
            assert row[3] == "5"
            assert row[4] == ("2,5" if separator == ";" else "2.5")
            for cell in (row[2], row[5]):
                assert cell.startswith("'"), cell
                assert "\0" not in cell
        assert rows[1][2] == "'" + HOSTILE[0]


def test_xlsx_has_bold_header_widths_real_dates_and_no_formulas() -> None:
    out = io.BytesIO()
    write_xlsx([_table(ROWS)], out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book["Ratings"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == [
        "Date",
        "Day",
        "Person",
        "Rating (1 to 5)",
        "Hours until taken on",
        "Comment",
    ]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.column_dimensions["F"].width == 60
    assert sheet.max_row == len(HOSTILE) + 1
    for row in sheet.iter_rows(min_row=2):
        when, day, person, rating, hours, comment = row
        assert when.value == datetime(2026, 12, 9, 15, 0) and when.is_date
        assert when.number_format == "DD.MM.YYYY HH:MM"
        assert day.is_date and day.number_format == "DD.MM.YYYY"
        assert rating.value == 5 and rating.data_type == "n"
        assert hours.value == 2.5
        for cell in (person, comment):
            assert cell.data_type == "s", cell.value
            assert str(cell.value).startswith("'")
    assert sheet["C2"].value == "'" + HOSTILE[0]
    assert sheet["C8"].value == "'=1+1"  # the NUL is gone, the formula still quoted


def test_large_tables_stream_in_write_only_mode() -> None:
    rows = (
        (datetime(2026, 1, 1, 15), date(2026, 1, 1), f"P-{n}", n % 5 + 1, None, "")
        for n in range(5000)
    )
    table = _table(rows)  # type: ignore[arg-type]
    out = io.BytesIO()
    write_xlsx([table], out)
    assert table.count == 5000
    sheet = load_workbook(io.BytesIO(out.getvalue()), read_only=True)["Ratings"]
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == 5000


def test_periods() -> None:
    today = date(2026, 11, 22)
    assert parse_period("dieses Halbjahr", today) == Period(date(2026, 7, 1), date(2026, 12, 31))
    assert parse_period("letztes Halbjahr", today) == Period(date(2026, 1, 1), date(2026, 6, 30))
    assert parse_period("1. Halbjahr 2026", today) == Period(date(2026, 1, 1), date(2026, 6, 30))
    assert parse_period("H2 2025", today) == Period(date(2025, 7, 1), date(2025, 12, 31))
    assert parse_period("2025", today) == Period(date(2025, 1, 1), date(2025, 12, 31))
    assert parse_period("1.3.2026 - 31.5.2026", today) == Period(
        date(2026, 3, 1), date(2026, 5, 31)
    )
    assert parse_period("2026-03-01..2026-05-31", today) == Period(
        date(2026, 3, 1), date(2026, 5, 31)
    )
    assert parse_period("1.3. bis 31.5.", today) == Period(date(2026, 3, 1), date(2026, 5, 31))
    assert parse_period("31.5.2026 - 1.3.2026", today) is None
    assert parse_period("im Sommer", today) is None
    assert parse_period("30.2.2026 - 1.3.2026", today) is None
    assert Period(date(2026, 1, 1), date(2026, 6, 30)).half_year() == (2026, 1)
    assert Period(date(2026, 1, 1), date(2026, 6, 29)).half_year() is None


def test_pseudonyms_are_stable_within_one_export_and_differ_between_exports() -> None:
    first, second = Pseudonyms(), Pseudonyms()
    labels = {first(n, f"Name {n}") for n in range(500)}
    assert len(labels) == 500 and all(label.startswith("P-") for label in labels)
    assert first(7, "Anna") == first(7, "Anna")
    assert first(7, "Anna") != second(7, "Anna")
    assert Pseudonyms(names=True)(7, "Anna") == "Anna"
    assert first(None) == ""


def test_groups_under_five_are_merged_or_left_out() -> None:
    assert _suppressed(["70-79"] * 5 + ["80+"] * 4) == [("70-79", 5)]
    assert _suppressed(["70-79"] * 6 + ["80+"] * 3 + ["60-69"] * 2) == [
        ("70-79", 6),
        ("other", 5),
    ]
    assert _suppressed(["Altstadt"] * 4) == []
