"""The notice-board poster: one A4 page, large type, the date written out, a working QR code.

The PDF is read back with a small parser for what reportlab writes (text with its font
size and position, filled rectangles), so the tests see what a printer would print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.dates.poster import MARGIN, QR_SIZE, STRIP_HEIGHT, poster_pdf
from bot.domain.models import Community, Event
from tests.pdfs import (
    ARABIC,
    CYRILLIC,
    GERMAN,
    POLISH,
    TURKISH,
    expected_modules,
    filled_rects,
    keep_pages,
    qr_modules,
    reader,
    text_of,
)

# 15:00 in Berlin (winter time).
START = datetime(2025, 12, 9, 14, 0, tzinfo=UTC)
URL = "https://t.me/lotsenbot?start=event-7"


@dataclass(frozen=True)
class Text:
    font: str
    size: float
    x: float
    y: float
    text: str
    upright: bool  # False for the tear-off strips, written upwards


@dataclass
class Page:
    texts: list[Text]
    rects: list[tuple[float, float, float, float]]

    @property
    def words(self) -> str:
        """All text in reading order, wrapped lines joined again."""
        return " ".join(t.text for t in self.texts)

    @property
    def main(self) -> list[Text]:
        """The text above the tear-off strips."""
        return [t for t in self.texts if t.upright]


def _page(pdf: bytes) -> Page:
    """What pypdf reads from the page: each drawn line with font, size and position."""
    page = reader(pdf).pages[0]
    texts: list[Text] = []

    def visit(text, cm, tm, font, size) -> None:  # type: ignore[no-untyped-def]
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        name = str(font.get("/BaseFont", "")) if font else ""
        texts.append(Text(name, size, x, y, text.strip(), cm[1] == 0))

    page.extract_text(visitor_text=visit)
    return Page(texts, filled_rects(pdf))


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
        "place": "Bürgerhaus Süd, Raum Ölberg",
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


def test_poster_is_one_a4_page() -> None:
    pdf = poster_pdf(_community(), [_event()], sign_up_url=URL)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 1
    (box,) = re.findall(rb"/MediaBox \[ ([\d. ]+) \]", pdf)
    x0, y0, width, height = (float(v) for v in box.split())
    assert (x0, y0) == (0, 0)
    assert width == pytest.approx(595.28, abs=0.5)
    assert height == pytest.approx(841.89, abs=0.5)


def test_same_input_gives_the_same_bytes() -> None:
    first = poster_pdf(_community(), [_event()], sign_up_url=URL)
    assert poster_pdf(_community(), [_event()], sign_up_url=URL) == first


def test_one_date_written_out_with_place_topic_and_sign_up() -> None:
    pdf = poster_pdf(_community(), [_event()], sign_up_url=None)
    # The fonts travel inside the file: the poster prints the same on any printer.
    fonts = re.findall(rb"/BaseFont /(\S+)", pdf)
    assert fonts and all(b"DejaVuSans" in name for name in fonts)
    assert b"/FontFile2" in pdf
    words = _page(pdf).words
    assert "Digitalcafé Musterstadt" in words
    assert "Dienstag, 9. Dezember 2025, 15:00 Uhr" in words
    assert "Bürgerhaus Süd, Raum Ölberg" in words
    assert "Fotos an die Familie schicken" in words
    assert "Ihr Handy und das Ladekabel" in words
    # No contact on the date: people are sent to the community's.
    assert "in the chat or with Stadtbibliothek, Telefon 0123 456" in words


def test_end_time_and_sign_up_deadline_are_shown() -> None:
    event = _event(
        ends_at=START + timedelta(hours=2),
        signup_deadline=datetime(2025, 12, 5, 17, 0, tzinfo=UTC),
        contact="Frau Lotsin, Telefon 0987",
    )
    words = _page(poster_pdf(_community(), [event], sign_up_url=None)).words
    assert "Dienstag, 9. Dezember 2025, 15:00" in words
    assert "17:00 Uhr" in words
    assert "Freitag, 5. Dezember 2025, 18:00 Uhr" in words
    assert "Frau Lotsin, Telefon 0987" in words
    assert "Stadtbibliothek" not in words


def test_type_is_large_enough_to_read_from_a_step_away() -> None:
    page = _page(poster_pdf(_community(), [_event(title="Handy-Sprechstunde")], sign_up_url=URL))
    title = [t for t in page.texts if "Handy-Sprechstunde" in t.text]
    assert title and all(t.size >= 36 for t in title if t.upright)
    assert min(t.size for t in page.main) >= 20
    # The title is the largest text on the page.
    assert max(t.size for t in page.texts) == title[0].size


def test_qr_code_encodes_the_sign_up_url() -> None:
    page = _page(poster_pdf(_community(), [_event()], sign_up_url=URL))
    drawn = qr_modules(page.rects)
    assert drawn == expected_modules(URL)
    # A different address gives a different code: the drawing is not a fixed picture.
    assert drawn != expected_modules(URL + "x")
    # The three finder squares are there (7 x 7 corners), so phones recognise a code.
    size = max(r for r, _c in drawn) + 1
    for row, col in ((0, 0), (0, size - 7), (size - 7, 0)):
        ring = {
            (row + i, col + j) for i in range(7) for j in range(7) if i in (0, 6) or j in (0, 6)
        }
        assert ring <= drawn
    # Big enough to scan from arm's length: at least 5 cm wide.
    module = min(h for *_rest, h in page.rects)
    assert size * module >= 5 / 2.54 * 72
    assert "Scan with your phone to sign up" in page.words


def test_text_stays_clear_of_the_qr_code_and_on_the_page() -> None:
    long = "sehr viel Text, " * 30
    event = _event(topic=long, bring=long, place=long, title="Langer Titel " * 10)
    pdf = poster_pdf(_community(), [event], sign_up_url=URL)
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 1
    page = _page(pdf)
    # Too much text for the tear-off strips: the code moves down to the margin.
    assert all(t.upright for t in page.texts)
    qr_top, qr_right = MARGIN + QR_SIZE, MARGIN + QR_SIZE
    assert max(y + h for _x, y, _w, h in page.rects) <= qr_top
    for text in page.main:
        assert MARGIN <= text.x and text.y >= MARGIN, text
        # Beside the code (the caption) or above it, never on it.
        assert text.x > qr_right or text.y > qr_top, text
    assert min(t.size for t in page.main) >= 20


def test_without_address_there_is_no_code_and_no_caption() -> None:
    page = _page(poster_pdf(_community(), [_event()], sign_up_url=None))
    assert page.rects == []
    assert "Scan with your phone" not in page.words


def test_series_lists_the_next_eight_dates_in_order() -> None:
    events = [
        _event(id=n, starts_at=START + timedelta(weeks=n), status="scheduled") for n in range(10)
    ]
    events[2].status = "cancelled"
    shuffled = events[5:] + events[:5]
    page = _page(
        poster_pdf(_community(), shuffled, sign_up_url=URL, title="Digitalcafé jeden Dienstag")
    )
    words = page.words
    assert "Digitalcafé jeden Dienstag" in words
    expected = [
        "Dienstag, 9. Dezember 2025, 15:00 Uhr",
        "Dienstag, 16. Dezember 2025, 15:00 Uhr",
        "Dienstag, 23. Dezember 2025, 15:00 Uhr: cancelled",
        "Dienstag, 30. Dezember 2025, 15:00 Uhr",
        "Dienstag, 6. Januar 2026, 15:00 Uhr",
        "Dienstag, 13. Januar 2026, 15:00 Uhr",
        "Dienstag, 20. Januar 2026, 15:00 Uhr",
        "Dienstag, 27. Januar 2026, 15:00 Uhr",
    ]
    positions = [words.index(line) for line in expected]
    assert positions == sorted(positions)
    assert "3. Februar 2026" not in words and "10. Februar 2026" not in words
    assert "More dates" in words
    # The place all dates share is said once, not eight times.
    assert words.count("Bürgerhaus Süd, Raum Ölberg") == 1
    assert min(t.size for t in page.main) >= 20


def test_series_with_different_places_names_each_place() -> None:
    events = [
        _event(id=1, place="Rathaus, Raum 1"),
        _event(id=2, starts_at=START + timedelta(weeks=1), place="Bücherei, Lesesaal"),
    ]
    words = _page(poster_pdf(_community(), events, sign_up_url=None)).words
    assert "Dienstag, 9. Dezember 2025, 15:00 Uhr, Rathaus, Raum 1" in words
    assert "Dienstag, 16. Dezember 2025, 15:00 Uhr, Bücherei, Lesesaal" in words
    assert "Digitalcafé" in words  # the first date's title when none is given


def test_cancelled_single_date_says_so() -> None:
    words = _page(poster_pdf(_community(), [_event(status="cancelled")], sign_up_url=None)).words
    assert words.index("CANCELLED") < words.index("Dienstag, 9. Dezember 2025")


def test_english_community_gets_english_dates() -> None:
    words = _page(poster_pdf(_community(locale="en"), [_event()], sign_up_url=None)).words
    assert "Tuesday, 9 December 2025, 3:00 PM" in words


def test_symbols_the_font_lacks_are_left_out_not_boxed() -> None:
    pdf = poster_pdf(_community(), [_event(title="Kaffee 📱 in Şişli")], sign_up_url=None)
    words = _page(pdf).words
    # The emoji goes; Turkish letters stay as they are.
    assert "Kaffee in Şişli" in words
    # ReportLab would otherwise fall back to a symbol font that prints black boxes.
    assert b"ZapfDingbats" not in pdf


def test_a_poster_needs_a_date() -> None:
    with pytest.raises(ValueError, match="at least one date"):
        poster_pdf(_community(), [], sign_up_url=URL)


def test_sign_up_names_the_app_the_group_and_the_person_to_call() -> None:
    event = _event(contact="Frau Müller, Tel. 0123 456")
    groups = [("Telegram", "Digitalcafé Musterstadt"), ("Element", "Café im Netz")]
    words = _page(poster_pdf(_community(), [event], sign_up_url=URL, groups=groups)).words
    assert (
        "Sign up: in Telegram, group »Digitalcafé Musterstadt«; in Element, group "
        "»Café im Netz«, or with Frau Müller, Tel. 0123 456"
    ) in words


def test_tear_off_strips_carry_the_title_and_the_phone_number() -> None:
    event = _event(title="Handy-Sprechstunde", contact="Frau Müller, Tel. 0123 456")
    page = _page(poster_pdf(_community(), [event], sign_up_url=URL))
    strips = [t for t in page.texts if not t.upright]
    assert [t.text for t in strips].count("Handy-Sprechstunde") >= 6
    # Below the code, on the page.
    assert all(0 <= t.x < 595.3 and 0 <= t.y < STRIP_HEIGHT for t in strips)
    assert min(y for _x, y, _w, _h in page.rects) >= STRIP_HEIGHT
    assert " ".join(t.text for t in strips).count("0123 456") >= 6
    # Without any contact there is nothing to tear off.
    alone = _page(poster_pdf(_community(contact=""), [_event()], sign_up_url=URL))
    assert all(t.upright for t in alone.texts)


def test_a_short_poster_fills_the_page(tmp_path: Path) -> None:
    """No empty third: the text reaches down to the code."""
    event = _event(place="", topic="", bring="")
    page = _page(poster_pdf(_community(), [event], sign_up_url=URL))
    lowest = min(t.y for t in page.main if t.x < MARGIN + QR_SIZE)
    qr_top = STRIP_HEIGHT + MARGIN + QR_SIZE
    assert lowest - qr_top < 841.89 / 6


def test_a_logo_is_printed_in_the_top_corner(tmp_path: Path) -> None:
    import PIL.Image

    logo = tmp_path / "logo.png"
    PIL.Image.new("RGB", (300, 180), (200, 30, 30)).save(logo)
    pdf = poster_pdf(_community(), [_event()], sign_up_url=URL, logo=logo)
    assert b"/Subtype /Image" in pdf
    # A logo that cannot be read leaves the poster as it is.
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    assert b"/Subtype /Image" not in poster_pdf(
        _community(), [_event()], sign_up_url=URL, logo=broken
    )


def test_every_script_prints_on_the_poster() -> None:
    event = _event(title=CYRILLIC, place=TURKISH, topic=POLISH, contact=f"{ARABIC}, Tel. 0123")
    pdf = poster_pdf(
        _community(name=GERMAN), [event], sign_up_url=URL, groups=[("Telegram", GERMAN)]
    )
    text = text_of(pdf)
    for name in (GERMAN, POLISH, TURKISH, CYRILLIC, ARABIC):
        assert name in text, name
    keep_pages(pdf, "poster")
