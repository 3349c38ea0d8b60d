"""A printable A4 poster for the notice board: one date or the next dates of a series.

Large type for people who read without glasses from a step away, where to sign up (the
app and the group by name, or a person by phone), a QR code to sign up with the phone, an
optional logo and a tear-off strip with the phone number at the bottom. The fonts print
every script a name may come in (bot/infra/pdf_text.py).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from bot.dates import details
from bot.domain.models import Community, Event
from bot.infra.pdf_text import BOLD, REGULAR, draw_qr, printable, register_fonts, wrap
from bot.language.i18n import _, format_span, format_when, use_locale

MAX_DATES = 8
MARGIN = 48.0
# 7 cm with its white border, so the code itself is over 5 cm: a phone camera reads
# that from arm's length, without the person leaning close to the notice board.
QR_SIZE = 200.0
# (title, body) sizes in points, largest first; the first that fits the page is used.
SCALES = (
    (60.0, 36.0),
    (56.0, 34.0),
    (52.0, 32.0),
    (48.0, 28.0),
    (44.0, 26.0),
    (40.0, 24.0),
    (38.0, 22.0),
    (36.0, 20.0),
)
LEADING = 1.22
# Tear-off strips along the bottom edge, each with the title and the contact.
STRIPS, STRIP_HEIGHT, STRIP_SIZE = 7, 150.0, 11.0
LOGO_WIDTH, LOGO_HEIGHT = 150.0, 90.0
# Space left over is spread between the blocks, at most this much each.
MAX_EXTRA_GAP = 60.0


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
    groups: Sequence[tuple[str, str]] = (),
    logo: Path | None = None,
) -> bytes:
    """An A4 PDF poster in the community's language for one date or the next dates.

    ``groups`` are (app, group name) pairs where people can sign up in a chat, such as
    ("Telegram", "Digitalcafé Musterstadt"); ``logo`` a PNG or JPEG for the top corner.
    """
    if not events:
        raise ValueError("a poster needs at least one date")
    with use_locale(community.locale):
        if len(events) == 1:
            blocks = _single(community, events[0], title, groups)
            contact = events[0].contact or community.contact
        else:
            blocks = _series(community, events, title, groups)
            contact = _common([e.contact for e in events]) or community.contact
        caption = _("Scan with your phone to sign up") if sign_up_url else ""
        heading = title or events[0].title
        page = _Page(community, heading, sign_up_url, caption, contact, logo)
        return _render(page, blocks)


@dataclass(frozen=True)
class _Page:
    community: Community
    heading: str
    url: str | None
    caption: str
    contact: str
    logo: Path | None


def _single(
    community: Community, event: Event, title: str | None, groups: Sequence[tuple[str, str]]
) -> list[_Block]:
    tz = community.timezone
    blocks = [_Block(community.name, "header")]
    if event.status == "cancelled":
        blocks.append(_Block(_("CANCELLED:"), "strong"))
    blocks.append(_Block(title or event.title, "title"))
    # Same wording as the announcement in the chat: "Dienstag, 9. Dezember 2025, 15:00 bis …".
    blocks.append(_Block(format_span(event.starts_at, event.ends_at, tz), "strong"))
    blocks += _details(event)
    blocks.append(_Block(_sign_up(event.contact or community.contact, groups), "strong"))
    if event.signup_deadline:
        when = format_when(event.signup_deadline, tz)
        blocks.append(_Block(_("Please sign up by {when}.").format(when=when), "body"))
    return blocks


def _series(
    community: Community,
    events: Sequence[Event],
    title: str | None,
    groups: Sequence[tuple[str, str]],
) -> list[_Block]:
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
    contact = _common([e.contact for e in shown]) or community.contact
    blocks.append(_Block(_sign_up(contact, groups), "strong"))
    return blocks


def _details(source: Any) -> list[_Block]:
    """The date's details; on paper a web address only helps when there is no place."""
    leave_out = ("online_link",) if source.place else ()
    return [_Block(line, "body") for line in details.lines(source, leave_out)]


def _sign_up(contact: str, groups: Sequence[tuple[str, str]]) -> str:
    """ "Anmelden: in Telegram, Gruppe »…«, oder bei Frau Müller, Tel. …"."""
    if groups:
        where = "; ".join(
            _("in {app}, group »{group}«").format(app=app, group=group) for app, group in groups
        )
        if contact:
            return _("Sign up: {where}, or with {contact}").format(where=where, contact=contact)
        return _("Sign up: {where}").format(where=where)
    if contact:
        return _("Sign up: in the chat or with {contact}").format(contact=contact)
    return _("Sign up: in the chat")


def _common(values: list[str]) -> str | None:
    """The value every date shares, or None when they differ."""
    return values[0] if len(set(values)) == 1 else None


def _render(page: _Page, blocks: list[_Block]) -> bytes:
    buffer = io.BytesIO()
    register_fonts()
    # invariant: the same poster gives the same bytes (no creation time, fixed file id).
    canvas = Canvas(
        buffer,
        pagesize=A4,
        invariant=1,
        lang=page.community.locale or "de",
        initialFontName=REGULAR,
    )
    canvas.setTitle(printable(page.heading))
    canvas.setAuthor(printable(page.community.name))
    canvas.setCreator("Lotsenbot")
    width, height = A4
    text_width = width - 2 * MARGIN
    top = height - MARGIN
    logo = _logo(page.logo)
    beside_logo = LOGO_WIDTH + 12.0 if logo else 0.0
    # The tear-off strips only when the text still fits in large type above them.
    for strip in (STRIP_HEIGHT, 0.0) if page.contact else (0.0,):
        bottom = strip + MARGIN + (QR_SIZE + 24.0 if page.url else 0.0)
        lines = _fit(blocks, text_width, top - bottom, beside_logo)
        if _used(lines) <= top - bottom:
            break
    if logo is not None:
        canvas.drawImage(
            logo,
            width - MARGIN - LOGO_WIDTH,
            top - LOGO_HEIGHT,
            LOGO_WIDTH,
            LOGO_HEIGHT,
            preserveAspectRatio=True,
            anchor="ne",
            mask="auto",
        )
    extra = _extra_gap(lines, top - bottom)
    y = top
    for font, size, text, gap in lines:
        y -= gap + (extra if gap else 0.0) + size
        if y < bottom:
            break
        canvas.setFont(font, size)
        canvas.drawString(MARGIN, y, text)
        y -= size * (LEADING - 1)
    if page.url:
        _draw_code(canvas, page.url, page.caption, text_width, strip + MARGIN)
    if strip:
        _tear_off(canvas, page.heading, page.contact, width)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _logo(path: Path | None) -> ImageReader | None:
    """The configured logo, or None when there is none or it cannot be read."""
    if path is None:
        return None
    try:
        return ImageReader(str(path))
    except OSError:
        return None


def _extra_gap(lines: list[tuple[str, float, str, float]], room: float) -> float:
    """Space to add above each block, so a short poster has no empty third."""
    used = _used(lines)
    gaps = sum(1 for *_rest, gap in lines if gap)
    if not gaps or used >= room:
        return 0.0
    return min(MAX_EXTRA_GAP, (room - used) / gaps)


def _used(lines: list[tuple[str, float, str, float]]) -> float:
    return sum(gap + size * LEADING for _f, size, _t, gap in lines)


def _fit(
    blocks: list[_Block], width: float, room: float, logo: float
) -> list[tuple[str, float, str, float]]:
    """Lines as (font, size, text, space above), in the largest type that fits the room;
    the first block (the community's name) leaves room for the logo beside it."""
    for title_size, body_size in SCALES:
        lines: list[tuple[str, float, str, float]] = []
        for index, block in enumerate(blocks):
            font = REGULAR if block.kind in ("header", "body") else BOLD
            size = title_size if block.kind == "title" else body_size
            # Headings stand apart from what is above them; items of a list less so.
            gap = 0.0 if index == 0 else body_size * (0.3 if block.kind == "body" else 0.6)
            room_x = width - (logo if index == 0 else 0.0)
            for n, line in enumerate(wrap(block.text, font, size, room_x)):
                lines.append((font, size, line, gap if n == 0 else 0.0))
        if _used(lines) <= room:
            return lines
    # Even the smallest type does not fit: the render loop stops at the bottom edge.
    return lines


def _draw_code(canvas: Canvas, url: str, caption: str, text_width: float, base: float) -> None:
    draw_qr(canvas, url, MARGIN, base, QR_SIZE)
    # The caption stands beside the code, vertically centred on it.
    left = MARGIN + QR_SIZE + 16.0
    size = SCALES[-1][1]
    lines = wrap(caption, BOLD, size, text_width - QR_SIZE - 16.0)
    y = base + QR_SIZE / 2 + (len(lines) * size * LEADING) / 2 - size
    canvas.setFont(BOLD, size)
    for line in lines:
        canvas.drawString(left, y, line)
        y -= size * LEADING


def _tear_off(canvas: Canvas, title: str, contact: str, width: float) -> None:
    """Strips to tear off along the bottom edge: the title and the contact, read upwards."""
    strip = width / STRIPS
    canvas.saveState()
    canvas.setDash(4, 3)
    canvas.setLineWidth(0.6)
    canvas.line(0, STRIP_HEIGHT, width, STRIP_HEIGHT)
    for n in range(1, STRIPS):
        canvas.line(n * strip, 0, n * strip, STRIP_HEIGHT)
    canvas.restoreState()
    room = STRIP_HEIGHT - 16.0
    first = wrap(title, BOLD, STRIP_SIZE, room)[:2]
    second = wrap(contact, REGULAR, STRIP_SIZE, room)[:2]
    for n in range(STRIPS):
        canvas.saveState()
        canvas.translate(n * strip + strip / 2 - STRIP_SIZE, 8.0)
        canvas.rotate(90)
        y = 0.0
        for font, text in [(BOLD, t) for t in first] + [(REGULAR, t) for t in second]:
            canvas.setFont(font, STRIP_SIZE)
            canvas.drawString(0, y, text)
            y -= STRIP_SIZE * LEADING
        canvas.restoreState()
