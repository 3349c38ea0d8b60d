"""Every PDF the bot makes prints names and titles in every script a member's name may come
in, and reads well on paper: poster, door sheet, volunteer certificate, half-year report.

The text layer is read back with pypdf (tests/pdfs.py says how Arabic comes back); each
document's pages are kept as PNG under var/test-artifacts/pdf/ for a person to look at.
"""

from __future__ import annotations

import contextvars
import io
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest

from bot.certificates.document import (
    DateServed,
    HelpGiven,
    Record,
    calendar_year,
    certificate_pdf,
)
from bot.dates.door_sheet import door_sheet_pdf
from bot.dates.poster import poster_pdf
from bot.domain.models import Community, Event
from bot.exports import report
from bot.exports.choices import Period
from bot.exports.report_pdf import report_pdf
from bot.exports.tables import Scope
from bot.language import i18n
from tests.pdfs import (
    ARABIC,
    CYRILLIC,
    GERMAN,
    POLISH,
    SCRIPTS,
    TURKISH,
    expected_modules,
    filled_rects,
    keep_pages,
    pages_of,
    qr_modules,
    reader,
    text_of,
)

T = TypeVar("T")
START = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)
URL = "https://t.me/lotsenbot?start=termin_7"


def translated(make: Callable[[], T]) -> T:
    """Run ``make`` with the project's catalogs, without leaving them installed."""

    def run() -> T:
        i18n.install(i18n.Catalogs.load())
        return make()

    return contextvars.copy_context().run(run)


def _community(**changes: Any) -> Community:
    values: dict[str, Any] = {
        "id": 1,
        "slug": "musterstadt",
        "name": f"Digitalcafé {TURKISH}",
        "timezone": "Europe/Berlin",
        "locale": "de",
        "contact": f"{ARABIC}, Tel. 0123 456",
    }
    values.update(changes)
    return Community(**values)


def _event(**changes: Any) -> Event:
    values: dict[str, Any] = {
        "id": 7,
        "community_id": 1,
        "series_id": None,
        "title": CYRILLIC,
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "place": f"Bibliothek, {POLISH}",
        "online_link": "",
        "topic": GERMAN,
        "capacity": 12,
        "contact": "",
        "bring": "",
        "signup_deadline": None,
        "public": True,
        "status": "scheduled",
    }
    values.update(changes)
    return Event(**values)


def _all_scripts(pdf: bytes) -> None:
    text = text_of(pdf)
    for name in SCRIPTS:
        assert name in text, name


# --- every script prints ---------------------------------------------------------------


def test_the_poster_prints_every_script() -> None:
    pdf = translated(
        lambda: poster_pdf(_community(), [_event()], sign_up_url=URL, groups=[("Telegram", GERMAN)])
    )
    _all_scripts(pdf)
    assert "Anmelden: in Telegram, Gruppe »Jürgen Größe-Öztürk«, oder bei" in text_of(pdf)
    keep_pages(pdf, "poster")


def test_the_door_sheet_prints_every_script_the_question_and_the_code() -> None:
    pdf = translated(
        lambda: door_sheet_pdf(
            _community(name=f"{GERMAN} {POLISH} {ARABIC}"),
            _event(title=f"{CYRILLIC} · {TURKISH}"),
            "48213",
            "https://t.me/lotsenbot?start=hier_48213",
            "/hier",
        )
    )
    _all_scripts(pdf)
    page = reader(pdf).pages[0]
    # A5 portrait.
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
        (419.53, 595.28), abs=0.5
    )
    text = text_of(pdf)
    assert text.startswith("Sind Sie da?")
    assert "Mittwoch, 9. Dezember 2026, 15:00 bis 17:00 Uhr" in text
    assert "Scannen Sie den Code mit dem Handy." in text
    assert "Oder schreiben Sie dem Bot: /hier 48213" in text
    # The code checks the person in: it is the link, and over 5 cm wide.
    rects = filled_rects(pdf)
    assert qr_modules(rects) == expected_modules("https://t.me/lotsenbot?start=hier_48213")
    width = max(x + w for x, _y, w, _h in rects) - min(x for x, _y, _w, _h in rects)
    assert width >= 5 / 2.54 * 72
    keep_pages(pdf, "door-sheet")


def test_the_door_sheet_without_a_link_gives_the_code_alone() -> None:
    pdf = translated(lambda: door_sheet_pdf(_community(), _event(), "48213", None, "!hier"))
    text = text_of(pdf)
    assert "Scannen" not in text and "Schreiben Sie dem Bot: !hier 48213" in text
    assert reader(pdf).pages[0].get_contents().get_data().count(b" re f") == 0  # no code


def _record(helps: int = 2, dates: int = 1, year: int = 2026) -> Record:
    since, until = calendar_year(year, "Europe/Berlin")
    return Record(
        person_id=1,
        since=since,
        until=until,
        helps=tuple(
            HelpGiven(datetime(year, 1 + n % 12, 3, 10, tzinfo=UTC), POLISH, 45)
            for n in range(helps)
        ),
        dates=tuple(
            DateServed(datetime(year, 1 + n % 12, 5 + n // 12, 14, tzinfo=UTC), CYRILLIC)
            for n in range(dates)
        ),
    )


def test_the_certificate_prints_every_script_and_ends_the_year_on_its_last_day() -> None:
    community = _community(contact=f"{GERMAN}, {ARABIC}")
    pdf = translated(
        lambda: certificate_pdf(_record(), community, f"{TURKISH} {POLISH}", date(2026, 12, 7))
    )
    _all_scripts(pdf)
    text = text_of(pdf)
    assert "Zeitraum: 1. Januar 2026 bis 31. Dezember 2026" in text
    assert "1. Januar 2027" not in text
    assert "Seite 1 von 1" in text
    keep_pages(pdf, "certificate")


def test_a_long_certificate_has_page_numbers_and_keeps_the_signature_with_the_thanks() -> None:
    # Enough dates to fill most of a page without summarising, so the end is near the foot.
    for dates in range(6, 13):
        pdf = translated(
            lambda dates=dates: certificate_pdf(
                _record(helps=12, dates=dates), _community(), GERMAN, date(2026, 12, 7)
            )
        )
        pages = pages_of(pdf)
        for number, page in enumerate(pages, 1):
            assert f"Seite {number} von {len(pages)}" in page
        signer = next(p for p in pages if "Tel. 0123 456" in p)
        # The line to sign on never stands alone: the thanks and the date are on its page.
        assert "Vielen Dank für Ihre Hilfe!" in signer and "Ausgestellt am" in signer
    keep_pages(pdf, "certificate-long")


def test_many_dates_are_summarised_by_month() -> None:
    pdf = translated(
        lambda: certificate_pdf(
            _record(helps=30, dates=40), _community(), GERMAN, date(2026, 12, 7)
        )
    )
    text = text_of(pdf)
    assert "Januar 2026: 3 Hilfe-Anfragen" in text
    assert f"Januar 2026, 4 Termine: {CYRILLIC}" in text
    assert "Montag, 5. Januar 2026" not in text  # no single dates listed
    assert len(reader(pdf).pages) <= 2


# --- the half-year report ----------------------------------------------------------------


def _figures(days: list[tuple[date, int]]) -> report.Figures:
    f = report.Figures(dates=days)
    f.visits = sum(n for _d, n in days)
    f.ratings = Counter({5: 3, 4: 2})
    f.by_skill = Counter({POLISH: 2, CYRILLIC: 1})
    f.requests, f.requests_done = 3, 2
    return f


H2 = Period(date(2026, 7, 1), date(2026, 12, 31))


def test_the_report_is_one_pdf_with_community_and_period_on_every_page() -> None:
    scope = Scope(_community(name=f"Digitalcafé {CYRILLIC} {ARABIC}"), H2)
    days = [(date(2026, 7, 7) + timedelta(weeks=n), 5 + n % 4) for n in range(20)]
    f = _figures(days)

    def make() -> bytes:
        charts = [report.attendance_chart(f, scope), report.rating_chart(f, scope)]
        charts.append(report.skill_chart(f, scope))
        return report_pdf(scope, f, charts)

    pdf = translated(make)
    pages = pages_of(pdf)
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        # pypdf puts the Arabic back in reading order but drops the space after it.
        assert f"Digitalcafé {CYRILLIC} {ARABIC}" in page
        assert "· Im zweiten Halbjahr 2026" in page
        assert f"Seite {number} von {len(pages)}" in page
    whole = " ".join(pages)
    assert "Halbjahresbericht:" in whole and "Besuche: 130" in whole
    assert "Für Ihre Gruppen und die Presse" in whole
    assert sum(len(page.images) for page in reader(pdf).pages) == 3
    keep_pages(pdf, "report")


def _ticks(figure) -> tuple[list[date], list[str]]:  # type: ignore[no-untyped-def]
    import matplotlib.dates as mdates

    figure.canvas.draw()
    (axes,) = figure.axes
    low, high = axes.get_xlim()
    shown = [t for t in axes.get_xticks() if low <= t <= high]
    labels = [t.get_text() for t in axes.get_xticklabels() if t.get_text()]
    return [mdates.num2date(t).date() for t in shown], labels


@pytest.mark.parametrize("locale", ["de", "en"])
def test_chart_ticks_stay_inside_the_period_in_the_readers_date_format(locale: str) -> None:
    scope = Scope(_community(locale=locale), H2)
    days = [(date(2026, 7, 7) + timedelta(weeks=n), 6) for n in range(26)]

    def make():  # type: ignore[no-untyped-def]
        with i18n.use_locale(locale):
            return _ticks(report.attendance_figure(_figures(days), scope))

    ticks, labels = translated(make)
    assert ticks and all(H2.start <= t <= H2.end for t in ticks)
    if locale == "en":
        assert all(
            label.split()[-1] in ("Jul", "Aug", "Sep", "Oct", "Nov", "Dec") for label in labels
        )
    else:
        assert all(label.endswith(".") and label.count(".") == 2 for label in labels)


def test_a_chart_with_one_date_names_that_date() -> None:
    scope = Scope(_community(locale="en"), H2)

    def make():  # type: ignore[no-untyped-def]
        with i18n.use_locale("en"):
            figure = report.attendance_figure(_figures([(date(2026, 9, 15), 7)]), scope)
            return _ticks(figure), figure

    (ticks, labels), figure = translated(make)
    assert ticks == [date(2026, 9, 15)] and labels == ["15 Sep"]
    (axes,) = figure.axes
    # The count stands above the one bar (and no "no data" note).
    assert [t.get_text() for t in axes.texts] == ["7"]
    assert list(axes.containers[0].datavalues) == [7]


def test_charts_carry_community_period_counts_and_source_at_print_resolution() -> None:
    import PIL.Image

    scope = Scope(_community(locale="en", name="Digitalcafé Musterstadt"), H2)
    f = _figures([(date(2026, 9, 15), 7), (date(2026, 9, 22), 9)])

    def make():  # type: ignore[no-untyped-def]
        with i18n.use_locale("en"):
            figure = report.attendance_figure(f, scope)
            return (
                figure.get_suptitle(),
                figure._supxlabel.get_text(),
                report.attendance_chart(f, scope),
            )

    title, foot, png = translated(make)
    assert title == "Digitalcafé Musterstadt · In the second half of 2026"
    assert foot.startswith("16 visits, 2 dates. Source: Lotsenbot")
    picture = PIL.Image.open(io.BytesIO(png))
    assert picture.info["dpi"][0] == pytest.approx(200, abs=1)
    assert picture.width >= 1600
