"""A printable A4 poster for the notice board: one date or the next dates of a series.

Large type for people who read without glasses from a step away, a QR code to sign up
with the phone, and only the PDF base fonts, so no font files are needed on the server.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from bot.dates import details
from bot.domain.models import Community, Event
from bot.infra.pdf_text import printable
from bot.language.i18n import _, format_span, format_when, use_locale

MAX_DATES = 8
MARGIN = 48.0
# 7 cm with its white border, so the code itself is over 5 cm: a phone camera reads
# that from arm's length, without the person leaning close to the notice board.
QR_SIZE = 200.0
# "M" still scans when the printout is creased or a corner is covered by a pin.
QR_LEVEL = "M"
REGULAR, BOLD = "Helvetica", "Helvetica-Bold"
# (title, body) sizes in points, largest first; the first that fits the page is used.
SCALES = ((48.0, 28.0), (44.0, 26.0), (40.0, 24.0), (38.0, 22.0), (36.0, 20.0))
LEADING = 1.22


@dataclass(frozen=True)
class _Block:
    text: str
    kind: str  # header | title | strong | body


def poster_pdf(
    community: Community,
    events: Sequence[Event],
    *,
    sign_up_url: str | None,
    title: str | None = None,
) -> bytes:
    """An A4 PDF poster in the community's language for one date or the next dates."""
    if not events:
        raise ValueError("a poster needs at least one date")
    with use_locale(community.locale):
        if len(events) == 1:
            blocks = _single(community, events[0], title)
        else:
            blocks = _series(community, events, title)
        caption = _("Scan with your phone to sign up") if sign_up_url else ""
        heading = title or events[0].title
        return _render(community, blocks, sign_up_url, caption, heading)


def _single(community: Community, event: Event, title: str | None) -> list[_Block]:
    tz = community.timezone
    blocks = [_Block(community.name, "header")]
    if event.status == "cancelled":
        blocks.append(_Block(_("CANCELLED:"), "strong"))
    blocks.append(_Block(title or event.title, "title"))
    # Same wording as the announcement in the chat: "Dienstag, 9. Dezember 2025, 15:00 bis …".
    blocks.append(_Block(format_span(event.starts_at, event.ends_at, tz), "strong"))
    blocks += _details(event)
    blocks.append(_Block(_sign_up(event.contact or community.contact), "body"))
    if event.signup_deadline:
        when = format_when(event.signup_deadline, tz)
        blocks.append(_Block(_("Please sign up by {when}.").format(when=when), "body"))
    return blocks


def _series(community: Community, events: Sequence[Event], title: str | None) -> list[_Block]:
    tz = community.timezone
    ordered = sorted(events, key=lambda e: e.starts_at)
    shown = ordered[:MAX_DATES]
    blocks = [_Block(community.name, "header"), _Block(title or ordered[0].title, "title")]
    blocks.append(_Block(_("The next dates:"), "strong"))
    # What all dates share is said once; what differs goes next to each date.
    place = _common([e.place for e in shown])
    for event in shown:
        line = format_when(event.starts_at, tz)
        if place is None and event.place:
            line = f"{line}, {event.place}"
        if event.status == "cancelled":
            line = _("{date}: cancelled").format(date=line)
        blocks.append(_Block(line, "body"))
    if len(ordered) > MAX_DATES:
        blocks.append(_Block(_("More dates: in the chat"), "body"))
    blocks += _details(
        SimpleNamespace(
            **{name: _common([getattr(e, name) for e in shown]) or "" for name in details.SHOWN}
        )
    )
    blocks.append(
        _Block(_sign_up(_common([e.contact for e in shown]) or community.contact), "body")
    )
    return blocks


def _details(source: Any) -> list[_Block]:
    """The date's details; on paper a web address only helps when there is no place."""
    leave_out = ("online_link",) if source.place else ()
    return [_Block(line, "body") for line in details.lines(source, leave_out)]


def _sign_up(contact: str) -> str:
    if contact:
        return _("Sign up: in the chat or with {contact}").format(contact=contact)
    return _("Sign up: in the chat")


def _common(values: list[str]) -> str | None:
    """The value every date shares, or None when they differ."""
    return values[0] if len(set(values)) == 1 else None


def _render(
    community: Community, blocks: list[_Block], url: str | None, caption: str, heading: str
) -> bytes:
    buffer = io.BytesIO()
    # invariant: the same poster gives the same bytes (no creation time, fixed file id).
    canvas = Canvas(buffer, pagesize=A4, invariant=1, lang=community.locale or "de")
    canvas.setTitle(printable(heading))
    canvas.setAuthor(printable(community.name))
    canvas.setCreator("Lotsenbot")
    width, height = A4
    text_width = width - 2 * MARGIN
    bottom = MARGIN + (QR_SIZE + 24.0 if url else 0.0)
    lines = _fit(blocks, text_width, height - MARGIN - bottom)
    y = height - MARGIN
    for font, size, text, gap in lines:
        y -= gap + size
        if y < bottom:
            break
        canvas.setFont(font, size)
        canvas.drawString(MARGIN, y, text)
        y -= size * (LEADING - 1)
    if url:
        _draw_qr(canvas, url, caption, text_width)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _fit(blocks: list[_Block], width: float, room: float) -> list[tuple[str, float, str, float]]:
    """Lines as (font, size, text, space above), in the largest type that fits the room."""
    for title_size, body_size in SCALES:
        lines: list[tuple[str, float, str, float]] = []
        for index, block in enumerate(blocks):
            font = REGULAR if block.kind in ("header", "body") else BOLD
            size = title_size if block.kind == "title" else body_size
            # Headings stand apart from what is above them; items of a list less so.
            gap = 0.0 if index == 0 else body_size * (0.3 if block.kind == "body" else 0.6)
            for n, line in enumerate(simpleSplit(printable(block.text), font, size, width)):
                lines.append((font, size, line, gap if n == 0 else 0.0))
        used = sum(gap + size * LEADING for _f, size, _t, gap in lines)
        if used <= room:
            return lines
    # Even the smallest type does not fit: the render loop stops at the bottom edge.
    return lines


def _draw_qr(canvas: Canvas, url: str, caption: str, text_width: float) -> None:
    widget = QrCodeWidget(url, barLevel=QR_LEVEL, barWidth=QR_SIZE, barHeight=QR_SIZE)
    drawing = Drawing(QR_SIZE, QR_SIZE)
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, MARGIN, MARGIN)
    # The caption stands beside the code, vertically centred on it.
    left = MARGIN + QR_SIZE + 16.0
    size = SCALES[-1][1]
    lines = simpleSplit(printable(caption), BOLD, size, text_width - QR_SIZE - 16.0)
    y = MARGIN + QR_SIZE / 2 + (len(lines) * size * LEADING) / 2 - size
    canvas.setFont(BOLD, size)
    for line in lines:
        canvas.drawString(left, y, line)
        y -= size * LEADING
