"""Text for the PDFs the bot makes (poster, door sheet, certificate, half-year report).

Every script a member's name may come in prints: Latin with Polish and Turkish letters,
Cyrillic and Arabic. The font is DejaVu Sans, which covers all of them in one file (so no
per-script fallback is needed) and which matplotlib ships in its package data: it comes
with the project's own dependencies, never from the machine. It is embedded as a subset,
so a PDF shows the same on any printer.

Arabic (and Hebrew) is written right to left with letters joined: reportlab draws glyphs
left to right as given, so such lines are shaped into Arabic presentation forms
(``arabic-reshaper``) and put into visual order (``python-bidi``) before drawing. ReportLab's
own route (``uharfbuzz`` plus ``rlbidi``) needs ``rlbidi``, which is not on the package
index this project installs from. Extracted from the PDF, such a line reads in visual order
with presentation forms: reversed and NFKC-normalised it is the name again.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from functools import cache
from pathlib import Path

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR, BOLD = "LotsenSans", "LotsenSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_RTL = frozenset(("R", "AL", "RLE", "RLO", "RLI"))


def font_dir() -> Path:
    """Where matplotlib's package keeps its TrueType fonts (without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:  # pragma: no cover - a declared dependency
        raise RuntimeError("matplotlib is not installed: it ships the PDF fonts")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


@cache
def register_fonts() -> tuple[str, str]:
    """Register the regular and bold font with reportlab once; their names."""
    for name, file in _FILES.items():
        # Not shapable: Arabic is shaped by arabic-reshaper, and reportlab's own shaping
        # would need uharfbuzz.
        pdfmetrics.registerFont(TTFont(name, str(font_dir() / file), shapable=False))
    return REGULAR, BOLD


@cache
def _covered() -> frozenset[int]:
    register_fonts()
    font = pdfmetrics.getFont(REGULAR)
    return frozenset(font.face.charToGlyph)


def printable(text: str) -> str:
    """The text in logical order with only characters the font has, spaces collapsed.

    Emoji and other symbols the font lacks are left out rather than printed as boxes;
    an accented letter the font lacks keeps its base letter.
    """
    covered = _covered()
    kept: list[str] = []
    for char in text:
        if ord(char) in covered or char.isspace():
            kept.append(char)
            continue
        kept.extend(c for c in unicodedata.normalize("NFKD", char) if ord(c) in covered)
    return " ".join("".join(kept).split())


def visual(line: str) -> str:
    """One line as it is drawn: right-to-left parts shaped and reversed."""
    if not any(unicodedata.bidirectional(c) in _RTL for c in line):
        return line
    from arabic_reshaper import reshape
    from bidi import get_display

    # The pages are laid out left to right (German, English): a right-to-left name inside
    # a German sentence stays where the sentence puts it.
    return get_display(reshape(line), base_dir="L")


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """The text broken into lines that fit ``width``, each ready to draw."""
    return [visual(line) for line in simpleSplit(printable(text), font, size, width)]


def draw_line(canvas, x: float, y: float, text: str) -> None:  # type: ignore[no-untyped-def]
    """Draw one line of logical text at (x, y) in the canvas's current font."""
    canvas.drawString(x, y, visual(printable(text)))


def draw_qr(canvas, content: str, x: float, y: float, size: float) -> None:  # type: ignore[no-untyped-def]
    """A QR code (segno, level M) with its white border, ``size`` points square, drawn as
    filled rectangles (one per run of dark modules in a row) so it prints sharp."""
    import segno

    # "M" still scans when the printout is creased or a corner is covered by a pin.
    code = segno.make(content, error="m", boost_error=False)
    rows = code.matrix
    module = size / (len(rows) + 8)  # four modules of white border on each side
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        top = y + size - (4 + r) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            canvas.rect(x + (4 + start) * module, top - module, (c - start) * module, module, 0, 1)
    canvas.restoreState()


def numbered_canvas(footer: str, page_words: str, header: str = "", margin: float = 56.0):  # type: ignore[no-untyped-def]
    """A canvas class for ``SimpleDocTemplate.build`` that writes ``header`` at the top and
    ``footer`` with "Seite 1 von 2" (``page_words`` with {page} and {pages}) at the foot of
    every page, once the number of pages is known."""
    from reportlab.pdfgen.canvas import Canvas

    size = 10.0

    class Numbered(Canvas):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            kwargs.setdefault("initialFontName", REGULAR)
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []  # type: ignore[type-arg]

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            width, height = self._pagesize
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self.setFont(REGULAR, size)
                if header:
                    self.drawString(margin, height - margin / 2, visual(printable(header)))
                self.drawString(margin, margin / 2, visual(printable(footer)))
                words = page_words.format(page=number, pages=total)
                self.drawRightString(width - margin, margin / 2, words)
                super().showPage()
            super().save()

    return Numbered
