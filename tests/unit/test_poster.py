"""The notice-board poster: one A4 page, large type, the date written out, a working QR code.

The PDF is read back with a small parser for what reportlab writes (text with its font
size and position, filled rectangles), so the tests see what a printer would print.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from reportlab.graphics.barcode import qrencoder
from reportlab.pdfbase.pdfutils import asciiBase85Decode

from bot.dates.poster import MARGIN, QR_LEVEL, QR_SIZE, poster_pdf
from bot.domain.models import Community, Event

# 15:00 in Berlin (winter time).
START = datetime(2025, 12, 9, 14, 0, tzinfo=UTC)
URL = "https://t.me/lotsenbot?start=event-7"

_STREAM = re.compile(rb"<<([^<>]*)>>\s*stream\r?\n(.*?)endstream", re.S)
_OPS = re.compile(
    rb"/(F\d+) ([\d.]+) Tf"
    rb"|1 0 0 1 ([-\d.]+) ([-\d.]+) Tm \(((?:\\.|[^\\)])*)\) Tj"
    rb"|n ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re f\*"
)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


@dataclass(frozen=True)
class Text:
    font: str
    size: float
    x: float
    y: float
    text: str


@dataclass
class Page:
    texts: list[Text]
    rects: list[tuple[float, float, float, float]]

    @property
    def words(self) -> str:
        """All text in reading order, wrapped lines joined again."""
        return " ".join(t.text for t in self.texts)


def _pdf_string(raw: bytes) -> str:
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i : i + 1] == b"\\":
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(), 8))
                i += 1 + len(octal.group())
                continue
            nxt = raw[i + 1 : i + 2]
            out += _ESCAPES.get(nxt, nxt)
            i += 2
            continue
        out += raw[i : i + 1]
        i += 1
    # The fonts are declared with WinAnsiEncoding (checked below), i.e. Windows-1252.
    return out.decode("cp1252")


def _content(pdf: bytes) -> bytes:
    for header, data in _STREAM.findall(pdf):
        if b"/ASCII85Decode" in header:
            data = asciiBase85Decode(data.strip())
        if b"/FlateDecode" in header:
            data = zlib.decompress(data)
        if b" Tj" in data:
            return data
    raise AssertionError("no page content with text found")


def _page(pdf: bytes) -> Page:
    texts: list[Text] = []
    rects: list[tuple[float, float, float, float]] = []
    font, size = "", 0.0
    for m in _OPS.finditer(_content(pdf)):
        if m.group(1):
            font, size = m.group(1).decode(), float(m.group(2))
        elif m.group(5) is not None:
            x, y = float(m.group(3)), float(m.group(4))
            texts.append(Text(font, size, x, y, _pdf_string(m.group(5))))
        else:
            rects.append(tuple(float(m.group(n)) for n in range(6, 10)))  # type: ignore[arg-type]
    return Page(texts, rects)


def _qr_modules(rects: list[tuple[float, float, float, float]]) -> set[tuple[int, int]]:
    """Dark (row, column) cells from the drawn rectangles (runs of a row are merged)."""
    module = min(h for _x, _y, _w, h in rects)
    left = min(x for x, _y, _w, _h in rects)
    top = max(y + h for _x, y, _w, h in rects)
    cells = set()
    for x, y, w, h in rects:
        row = round((top - (y + h)) / module)
        col = round((x - left) / module)
        cells.update((row, col + n) for n in range(round(w / module)))
    return cells


def _expected_modules(url: str) -> set[tuple[int, int]]:
    code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, QR_LEVEL))
    code.addData(url)
    code.make()
    count = code.getModuleCount()
    return {(r, c) for r in range(count) for c in range(count) if code.isDark(r, c)}


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
    # Standard fonts in Windows-1252: umlauts print without embedding a font file.
    fonts = re.findall(rb"/BaseFont /(\S+) /Encoding /(\S+)", pdf)
    assert fonts and all(encoding == b"WinAnsiEncoding" for _name, encoding in fonts)
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
    assert title and all(t.size >= 36 for t in title)
    assert min(t.size for t in page.texts) >= 20
    # The title is the largest text on the page.
    assert max(t.size for t in page.texts) == title[0].size


def test_qr_code_encodes_the_sign_up_url() -> None:
    page = _page(poster_pdf(_community(), [_event()], sign_up_url=URL))
    drawn = _qr_modules(page.rects)
    assert drawn == _expected_modules(URL)
    # A different address gives a different code: the drawing is not a fixed picture.
    assert drawn != _expected_modules(URL + "x")
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
    qr_top, qr_right = MARGIN + QR_SIZE, MARGIN + QR_SIZE
    for text in page.texts:
        assert MARGIN <= text.x and text.y >= MARGIN, text
        # Beside the code (the caption) or above it, never on it.
        assert text.x > qr_right or text.y > qr_top, text
    assert min(t.size for t in page.texts) >= 20


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
    assert min(t.size for t in page.texts) >= 20


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


def test_symbols_the_base_fonts_lack_are_left_out_not_boxed() -> None:
    pdf = poster_pdf(_community(), [_event(title="Kaffee ☕ in Şişli")], sign_up_url=None)
    words = _page(pdf).words
    # The emoji goes; letters outside Windows-1252 keep their base letter.
    assert "Kaffee in Sisli" in words
    # ReportLab would otherwise fall back to a symbol font that prints black boxes.
    assert b"ZapfDingbats" not in pdf


def test_a_poster_needs_a_date() -> None:
    with pytest.raises(ValueError, match="at least one date"):
        poster_pdf(_community(), [], sign_up_url=URL)
