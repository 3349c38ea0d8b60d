"""Coordinator exports: what to export (kinds, period), pseudonyms, and the file formats.

Files are written for spreadsheets: XLSX through openpyxl's write-only mode (rows stream to
the file, so 100,000 rows stay small in memory) and CSV as UTF-8 with a byte order mark, so
Excel reads umlauts right. Text people typed can start a formula in a spreadsheet
(``=HYPERLINK(…)``): every text cell is neutralised before it is written.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import IO, Any

from bot.domain.when import parse_day
from bot.language.i18n import N_, _

# Kinds of table, in the order of the sheets of a full workbook.
DATES, ATTENDANCE, SERIES, FEEDBACK, WISHES, VOLUNTEERS, HELP, REACH = (
    "dates",
    "attendance",
    "series",
    "feedback",
    "wishes",
    "volunteers",
    "help",
    "reach",
)
KINDS = (DATES, ATTENDANCE, SERIES, FEEDBACK, WISHES, VOLUNTEERS, HELP, REACH)
XLSX, CSV, REPORT = "xlsx", "csv", "report"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What spreadsheets read as the start of a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
# Control characters XML 1.0 cannot hold (openpyxl refuses them).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(text: str) -> str:
    """A text a spreadsheet shows as text: a leading formula character gets a quote before it."""
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text.replace("\0", "")


@dataclass(frozen=True, slots=True)
class Column:
    title: str  # message id, translated when the file is written
    kind: str = "text"  # text | int | float | date | datetime
    width: int = 14


@dataclass(slots=True)
class Table:
    """One sheet (XLSX) or one file (CSV): translated column titles and plain values."""

    kind: str
    title: str  # message id of the sheet name
    columns: tuple[Column, ...]
    rows: Iterable[Sequence[Any]]
    count: int = 0  # rows written, set by the writers


@dataclass(frozen=True, slots=True)
class Period:
    """Whole days, both included, in the community's calendar."""

    start: date
    end: date

    def label(self) -> str:
        return f"{self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"

    def half_year(self) -> tuple[int, int] | None:
        """(year, 1 or 2) when the period is exactly one half of a year."""
        for half, (first, last) in enumerate(((1, 6), (7, 12)), start=1):
            if self.start == date(self.start.year, first, 1) and self.end == _month_end(
                self.start.year, last
            ):
                return self.start.year, half
        return None


@dataclass
class Pseudonyms:
    """Stable labels for people within one export: the same person, the same label in
    every sheet; a new export gets new labels, so two exports cannot be joined."""

    names: bool = False
    key: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    _given: dict[int, str] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)
    # Everyone who appears in the export, by name or label: the file is about them.
    seen: set[int] = field(default_factory=set)

    def __call__(self, person_id: int | None, name: str | None = None) -> str:
        if person_id is None:
            return ""
        self.seen.add(person_id)
        if self.names and name:
            return name
        label = self._given.get(person_id)
        if label is None:
            digest = hmac.new(self.key, str(person_id).encode(), hashlib.sha256).hexdigest()
            size = 6
            label = f"P-{digest[:size].upper()}"
            while label in self._taken:  # a clash: make this one longer
                size += 2
                label = f"P-{digest[:size].upper()}"
            self._given[person_id] = label
            self._taken.add(label)
        return label


# --- the period ------------------------------------------------------------------------

_DAY = r"(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.(?:\d{4})?)"
_RANGE = re.compile(rf"^{_DAY}\s*(?:-|–|bis|to|\.\.)\s*{_DAY}$")
_HALF = re.compile(r"^(?:([12])\.?\s*halbjahr|h([12])|([12])\.?\s*half(?:\s*year)?)\s*(\d{4})$")
_HALF_AFTER = re.compile(r"^(\d{4})\s*[-/]?\s*h([12])$")
MAX_SPAN_DAYS = 366 * 5


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def _half(year: int, half: int) -> Period:
    return (
        Period(date(year, 1, 1), date(year, 6, 30))
        if half == 1
        else Period(date(year, 7, 1), date(year, 12, 31))
    )


MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januar", "jan", "january"),
            ("februar", "feb", "february"),
            ("märz", "maerz", "mär", "march"),
            ("april", "apr"),
            ("mai", "may"),
            ("juni", "jun", "june"),
            ("juli", "jul", "july"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "october", "oct"),
            ("november", "nov"),
            ("dezember", "dez", "december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = re.compile(r"^([a-zä]+)\.?(?:\s+(\d{4}))?$")
_ORDINAL = {"erstes": "1.", "zweites": "2.", "first": "1.", "second": "2."}


def _month(words: str, today: date) -> Period | None:
    """ "Dezember 2026", "Dezember" (this year), "dieser Monat", "letzter Monat"."""
    if words in {"monat", "dieser monat", "diesen monat", "this month"}:
        return Period(today.replace(day=1), _month_end(today.year, today.month))
    if words in {"letzter monat", "letzten monat", "voriger monat", "vorigen monat", "last month"}:
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last)
    found = _MONTH.match(words)
    if found and found.group(1) in MONTHS:
        year = int(found.group(2) or today.year)
        month = MONTHS[found.group(1)]
        return Period(date(year, month, 1), _month_end(year, month))
    return None


def parse_period(text: str, today: date) -> Period | None:
    """ "dieses Halbjahr", "letztes Halbjahr", "1. Halbjahr 2026", "2026", "dieses Jahr",
    "Dezember 2026", "letzter Monat", "1.1.2026 - 30.6.2026" (and the English words);
    None when it is none of these."""
    words = " ".join(_ORDINAL.get(word, word) for word in text.casefold().split())
    if re.fullmatch(r"[12]\.? ?halbjahr", words):  # "1. Halbjahr": of this year
        words = f"{words} {today.year}"
    month = _month(words, today)
    if month is not None:
        return month
    this_half = 1 if today.month <= 6 else 2
    if words in {"halbjahr", "dieses halbjahr", "this half year", "half year"}:
        return _half(today.year, this_half)
    if words in {"letztes halbjahr", "voriges halbjahr", "last half year"}:
        return _half(today.year, 1) if this_half == 2 else _half(today.year - 1, 2)
    if words in {"jahr", "dieses jahr", "this year", "year"}:
        return Period(date(today.year, 1, 1), date(today.year, 12, 31))
    if words in {"letztes jahr", "voriges jahr", "last year"}:
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    if re.fullmatch(r"\d{4}", words) and 2000 <= int(words) <= 2100:
        return Period(date(int(words), 1, 1), date(int(words), 12, 31))
    found = _HALF.match(words)
    if found:
        half = int(found.group(1) or found.group(2) or found.group(3))
        return _half(int(found.group(4)), half)
    found = _HALF_AFTER.match(words)
    if found:
        return _half(int(found.group(1)), int(found.group(2)))
    found = _RANGE.match(words)
    if found:
        start, end = parse_day(found.group(1), today), parse_day(found.group(2), today)
        if start and end and start <= end and (end - start).days <= MAX_SPAN_DAYS:
            return Period(start, end)
    return None


# --- writing ---------------------------------------------------------------------------


def _header(table: Table) -> list[str]:
    return [_(column.title) for column in table.columns]


def _counted(table: Table) -> Iterator[Sequence[Any]]:
    table.count = 0
    for row in table.rows:
        table.count += 1
        yield row


def write_csv(table: Table, target: IO[bytes], separator: str = ",") -> None:
    """UTF-8 with BOM; ISO dates (every Excel reads them); a decimal comma with ";"."""
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, delimiter=separator, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(_header(table))
    comma = separator == ";"
    for row in _counted(table):
        writer.writerow([_csv_value(value, comma) for value in row])
    text.flush()
    text.detach()


def _csv_value(value: Any, comma: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        shown = f"{value:.2f}".rstrip("0").rstrip(".")
        return shown.replace(".", ",") if comma else shown
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def write_xlsx(tables: Sequence[Table], target: IO[bytes]) -> None:
    """One sheet per table, header in bold and frozen, widths per column, real dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(_sheet_name(_(table.title)))
        sheet.freeze_panes = "A2"
        for n, column in enumerate(table.columns):
            sheet.column_dimensions[_letter(n)].width = column.width
        header = []
        for title in _header(table):
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        formats = [_FORMATS.get(column.kind) for column in table.columns]
        for row in _counted(table):
            sheet.append(
                [_xlsx_value(sheet, value, fmt) for value, fmt in zip(row, formats, strict=True)]
            )
    book.save(target)


_FORMATS = {"date": "DD.MM.YYYY", "datetime": "DD.MM.YYYY HH:MM", "float": "0.0"}


def _xlsx_value(sheet: Any, value: Any, fmt: str | None) -> Any:
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", neutralise(value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if fmt is not None and value is not None:
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = fmt
        return cell
    return value


def _letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n + 1)


def _sheet_name(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Tabelle"


# Words a coordinator types after /export, German and English.
KIND_WORDS = {
    "termine": DATES,
    "dates": DATES,
    "anwesenheit": ATTENDANCE,
    "attendance": ATTENDANCE,
    "reihen": SERIES,
    "series": SERIES,
    "rückmeldungen": FEEDBACK,
    "rueckmeldungen": FEEDBACK,
    "feedback": FEEDBACK,
    "wünsche": WISHES,
    "wuensche": WISHES,
    "themenwünsche": WISHES,
    "wishes": WISHES,
    "lotsen": VOLUNTEERS,
    "digitallotsen": VOLUNTEERS,
    "volunteers": VOLUNTEERS,
    "hilfe": HELP,
    "anfragen": HELP,
    "help": HELP,
    "reichweite": REACH,
    "reach": REACH,
    "alles": "all",
    "all": "all",
    "tabellen": "all",
    "bericht": REPORT,
    "halbjahresbericht": REPORT,
    "report": REPORT,
}
# File names of single tables: German, the way the sheets are called.
FILE_PARTS = {
    DATES: "termine",
    ATTENDANCE: "anwesenheit",
    SERIES: "reihen",
    FEEDBACK: "rueckmeldungen",
    WISHES: "themenwuensche",
    VOLUNTEERS: "digitallotsen",
    HELP: "hilfe-anfragen",
    REACH: "reichweite",
}
# Tables that hold people (the others show no one, so names make no difference).
WITH_PEOPLE = (ATTENDANCE, FEEDBACK, WISHES, VOLUNTEERS, HELP, "all")
SHEET_TITLES = {
    DATES: N_("Dates"),
    ATTENDANCE: N_("Attendance"),
    SERIES: N_("Series"),
    FEEDBACK: N_("Ratings"),
    WISHES: N_("Topic wishes"),
    VOLUNTEERS: N_("Digitallotsen"),
    HELP: N_("Help requests"),
    REACH: N_("Who we reach"),
}
