"""The half-year report as one PDF, the document a coordinator attaches for the funder: the
key figures, the three charts and the public summary, with the community and the period at
the top and "Seite 1 von 3" at the foot of every page."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)

from bot.exports.report import Figures, period_words, public_summary, summary
from bot.exports.tables import Scope
from bot.infra.pdf_text import BOLD, REGULAR, numbered_canvas, printable, register_fonts, visual
from bot.language.i18n import _

MARGIN = 56.0
TITLE_SIZE, HEAD_SIZE, BODY_SIZE = 22.0, 15.0, 11.5


def report_pdf(scope: Scope, f: Figures, charts: list[bytes]) -> bytes:
    """An A4 PDF in the current language; ``charts`` are the report's PNG charts."""
    return _render(scope, f, charts)


def _text(text: str, style: ParagraphStyle) -> Paragraph:
    # Plain text, not markup: "<" and "&" in a name print as they are.
    escaped = visual(printable(text)).replace("&", "&amp;").replace("<", "&lt;")
    return Paragraph(escaped.replace(">", "&gt;"), style)


def _render(scope: Scope, f: Figures, charts: list[bytes]) -> bytes:
    register_fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.35)
    title = ParagraphStyle(
        "title", parent=body, fontName=BOLD, fontSize=TITLE_SIZE, leading=TITLE_SIZE * 1.25
    )
    head = ParagraphStyle(
        "head",
        parent=body,
        fontName=BOLD,
        fontSize=HEAD_SIZE,
        leading=HEAD_SIZE * 1.3,
        spaceBefore=10.0,
        spaceAfter=4.0,
    )
    item = ParagraphStyle("item", parent=body, leftIndent=14.0)
    first, period, _blank, *figures = summary(scope, f).splitlines()
    story: list[Flowable] = [_text(first, title), _text(period, body), Spacer(1, 8.0)]
    story.append(_text(_("Key figures"), head))
    story += [_text(line.strip(), item if line.startswith(" ") else body) for line in figures]
    width = A4[0] - 2 * MARGIN
    for png in charts:
        pixels_wide, pixels_high = ImageReader(io.BytesIO(png)).getSize()
        picture = Image(io.BytesIO(png), width, width * pixels_high / pixels_wide)
        story.append(KeepTogether([Spacer(1, 10.0), picture]))
    story.append(
        KeepTogether(
            [_text(_("For your groups and the press"), head)]
            + [_text(line, body) for line in public_summary(scope, f).splitlines()]
        )
    )
    buffer = io.BytesIO()
    place = f"{scope.community.name} · {period_words(scope)}"
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=printable(first),
        author=printable(scope.community.name),
        creator="Lotsenbot",
        lang=scope.community.locale or "de",
        invariant=1,
    )
    canvas = numbered_canvas(place, _("Page {page} of {pages}"), header=place, margin=MARGIN)
    document.build(story, canvasmaker=canvas)
    return buffer.getvalue()
