"""The A5 door sheet for checking in: "Sind Sie da?", the date, the QR code that checks a
person in, and the code to type for anyone without a camera app."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A5
from reportlab.pdfgen.canvas import Canvas

from bot.domain.models import Community, Event
from bot.infra.pdf_text import BOLD, REGULAR, draw_qr, printable, register_fonts, wrap
from bot.language.i18n import _, format_span, use_locale

MARGIN = 36.0
QR_SIZE = 220.0  # about 7.8 cm: read from arm's length at the door
HEAD_SIZE, TITLE_SIZE, BODY_SIZE, CODE_SIZE = 32.0, 20.0, 15.0, 36.0
LEADING = 1.25
FOOTER = 14.0  # the community's name at the foot


def door_sheet_pdf(
    community: Community, event: Event, code: str, link: str | None, command: str
) -> bytes:
    """An A5 page in the community's language; ``command`` is what to type before the code
    ("/hier"), ``link`` what the QR code opens (None: the code alone)."""
    with use_locale(community.locale):
        lines = [
            (BOLD, HEAD_SIZE, _("Are you here?")),
            (BOLD, TITLE_SIZE, event.title),
            (REGULAR, BODY_SIZE, format_span(event.starts_at, event.ends_at, community.timezone)),
        ]
        if link:
            lines.append((REGULAR, BODY_SIZE, _("Scan the code with your phone.")))
            after = [(REGULAR, BODY_SIZE, _("Or write this to the bot:"))]
        else:
            after = [(REGULAR, BODY_SIZE, _("Write this to the bot:"))]
        after.append((BOLD, CODE_SIZE, f"{command} {code}"))
        after.append((REGULAR, BODY_SIZE, _("Then we know you are here. Thank you!")))
        return _render(community, event, lines, after, link)


def _render(
    community: Community,
    event: Event,
    before: list[tuple[str, float, str]],
    after: list[tuple[str, float, str]],
    link: str | None,
) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=A5,
        invariant=1,
        lang=community.locale or "de",
        initialFontName=REGULAR,
    )
    canvas.setTitle(printable(f"{community.name}: {event.title}"))
    canvas.setAuthor(printable(community.name))
    canvas.setCreator("Lotsenbot")
    width, height = A5
    y = height - MARGIN
    y = _lines(canvas, before, y, width)
    if link:
        # As large as the room between the lines above and below allows.
        size = min(QR_SIZE, y - 24.0 - _height(after, width) - MARGIN - FOOTER)
        draw_qr(canvas, link, (width - size) / 2, y - 6.0 - size, size)
        y -= size + 18.0
    _lines(canvas, after, y, width)
    canvas.setFont(REGULAR, 10.0)
    canvas.drawCentredString(width / 2, MARGIN / 2, wrap(community.name, REGULAR, 10.0, width)[0])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _height(lines: list[tuple[str, float, str]], width: float) -> float:
    return sum(
        len(wrap(text, font, size, width - 2 * MARGIN)) * size * LEADING + size * 0.4
        for font, size, text in lines
    )


def _lines(canvas: Canvas, lines: list[tuple[str, float, str]], y: float, width: float) -> float:
    """Centred lines from ``y`` down; the y below them."""
    for font, size, text in lines:
        for line in wrap(text, font, size, width - 2 * MARGIN):
            y -= size
            canvas.setFont(font, size)
            canvas.drawCentredString(width / 2, y, line)
            y -= size * (LEADING - 1)
        y -= size * 0.4
    return y
