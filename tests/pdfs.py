"""Reading back the PDFs the bot makes, as a person (or a screen reader) would.

``text_of`` extracts the text layer with pypdf. Arabic is drawn shaped (presentation forms)
in visual order; pypdf puts right-to-left runs back into logical order, and NFKC turns the
presentation forms into the letters that were typed, so "فاطمة الزهراء" is found as typed.

``keep_pages`` renders pages to PNG with pypdfium2 (from PyPI, no system package) into the
git-ignored ``var/test-artifacts/pdf/``, for a person to look at after a test run;
``make docs-images`` copies small versions to ``docs/images/`` for the README.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pypdf

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts" / "pdf"

# One name or title in each script the documents must print.
GERMAN = "Jürgen Größe-Öztürk"
POLISH = "Łucja Wąsowska"
TURKISH = "Ayşe Yılmaz / İstanbul"
CYRILLIC = "Олена Шевченко"
ARABIC = "فاطمة الزهراء"
SCRIPTS = (GERMAN, POLISH, TURKISH, CYRILLIC, ARABIC)


def reader(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def pages_of(pdf: bytes) -> list[str]:
    """Each page's text, NFKC-normalised, with runs of white space as one space."""
    return [
        " ".join(unicodedata.normalize("NFKC", page.extract_text()).split())
        for page in reader(pdf).pages
    ]


def text_of(pdf: bytes) -> str:
    return " ".join(pages_of(pdf))


_RECT = re.compile(rb"n ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re f\*")


def filled_rects(pdf: bytes, page: int = 0) -> list[tuple[float, float, float, float]]:
    """The filled rectangles (x, y, width, height) drawn on a page: the QR code's modules."""
    content = reader(pdf).pages[page].get_contents().get_data()  # type: ignore[union-attr]
    return [tuple(float(v) for v in m.groups()) for m in _RECT.finditer(content)]  # type: ignore[misc]


def qr_modules(rects: list[tuple[float, float, float, float]]) -> set[tuple[int, int]]:
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


def expected_modules(url: str) -> set[tuple[int, int]]:
    """The dark cells of the QR code (level M) a phone would read as ``url``."""
    import segno

    code = segno.make(url, error="m", boost_error=False)
    return {(r, c) for r, row in enumerate(code.matrix) for c, dark in enumerate(row) if dark}


def keep_pages(pdf: bytes, name: str, scale: float = 150 / 72) -> list[Path]:
    """Render every page to ``ARTIFACTS/<name>-<n>.png`` (150 dpi); the files written."""
    import pypdfium2

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    written = []
    try:
        for index in range(len(document)):
            page = document[index]
            path = ARTIFACTS / f"{name}-{index + 1}.png"
            page.render(scale=scale).to_pil().save(path)
            page.close()
            written.append(path)
    finally:
        document.close()
    return written


DOCS_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
# The first page of each, as the README shows them.
DOCS_PAGES = {
    "poster": "poster-1.png",
    "door-sheet": "door-sheet-1.png",
    "certificate": "certificate-1.png",
    "report": "report-1.png",
}


def docs_images(width: int = 360) -> list[Path]:
    """Small copies of the kept pages for the README (``make docs-images``)."""
    from PIL import Image

    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    written = []
    for name, page in DOCS_PAGES.items():
        with Image.open(ARTIFACTS / page) as picture:
            height = round(picture.height * width / picture.width)
            small = picture.convert("L").resize((width, height), Image.Resampling.LANCZOS)
            target = DOCS_IMAGES / f"{name}.png"
            small.save(target, optimize=True)
            written.append(target)
    return written


if __name__ == "__main__":
    for path in docs_images():
        print(path)
