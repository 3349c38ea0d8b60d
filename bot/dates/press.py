"""Texts for the Amtsblatt and the local paper: one date, a series or a month, in plain
language (what, when, where, topic, how to sign up, contact), as .txt and .odt.

The editor copies the text as it is; the .odt (OpenDocument, written with odfpy) opens in
LibreOffice and Word alike and keeps the heading as a heading.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select

from bot.dates import details, events
from bot.domain.models import Community, Event
from bot.domain.work import Work
from bot.language.i18n import _, current_locale, format_span, format_when, use_locale

# A series' text names this many of its next dates.
SERIES_DATES = 8
_LOOKAHEAD = 400
# The staff web page offers this many next dates and months to choose from.
CHOICE_DATES = 40
CHOICE_MONTHS = 6
DATE, SERIES, MONTH = "date", "series", "month"
ODT, TXT = "odt", "txt"
MIME_TYPES = {ODT: "application/vnd.oasis.opendocument.text", TXT: "text/plain"}


@dataclass(frozen=True)
class PressText:
    """A heading and its paragraphs; ``name`` is the start of the file names."""

    heading: str
    paragraphs: list[str]
    name: str

    def as_txt(self) -> bytes:
        return ("\n\n".join([self.heading, *self.paragraphs]) + "\n").encode("utf-8")

    def as_file(self, kind: str) -> tuple[str, bytes, str]:
        """File name, content and MIME type of the .odt or the .txt (chat and web alike)."""
        data = self.as_odt() if kind == ODT else self.as_txt()
        return f"presse-{self.name}.{kind}", data, MIME_TYPES[kind]

    def as_odt(self) -> bytes:
        # Imported here: only a press text needs odfpy.
        from odf.opendocument import OpenDocumentText
        from odf.style import Style, TextProperties
        from odf.text import H, P

        document = OpenDocumentText()
        bold = Style(name="Heading 1", family="paragraph")
        bold.addElement(TextProperties(fontsize="16pt", fontweight="bold"))
        document.styles.addElement(bold)
        document.text.addElement(H(outlinelevel=1, stylename=bold, text=self.heading))
        for paragraph in self.paragraphs:
            for line in paragraph.split("\n"):
                document.text.addElement(P(text=line))
            document.text.addElement(P(text=""))
        buffer = io.BytesIO()
        document.write(buffer)
        return buffer.getvalue()


async def for_date(work: Work, community: Community, event: Event) -> PressText:
    """The text for one date."""
    with use_locale(community.locale):
        heading = _("{community} invites you: {title}").format(
            community=community.name, title=event.title
        )
        return PressText(heading, _date_paragraphs(community, event), f"{event.starts_at:%Y-%m-%d}")


async def for_series(work: Work, community: Community, event: Event) -> PressText:
    """The text for the series of ``event``: its next public dates from this one on."""
    if event.series_id is None:
        return await for_date(work, community, event)
    found = await work.session.scalars(
        select(Event)
        .where(
            Event.series_id == event.series_id,
            Event.starts_at >= event.starts_at,
            Event.status != "cancelled",
            Event.public.is_(True),
        )
        .order_by(Event.starts_at)
        .limit(SERIES_DATES)
    )
    dates = list(found.all()) or [event]
    tz = community.timezone
    with use_locale(community.locale):
        heading = _("{community} invites you: {title}").format(
            community=community.name, title=event.title
        )
        when = "\n".join(f"– {format_when(e.starts_at, tz)}" for e in dates)
        paragraphs = [_("The next dates:") + "\n" + when]
        shared = SimpleNamespace(
            **{name: common([getattr(e, name) for e in dates]) or "" for name in details.SHOWN}
        )
        paragraphs.append("\n".join(details.lines(shared)))
        contact = common([e.contact for e in dates]) or community.contact
        paragraphs.append(sign_up_text(community, contact))
        name = f"reihe-{dates[0].starts_at:%Y-%m-%d}"
        return PressText(heading, [p for p in paragraphs if p], name)


async def for_month(work: Work, community: Community, year: int, month: int) -> PressText | None:
    """The text for the community's public dates in this month; None when there are none."""
    tz = ZoneInfo(community.timezone)
    first = date(year, month, 1)
    after = (first + timedelta(days=32)).replace(day=1)
    found = await work.session.scalars(
        select(Event)
        .where(
            Event.community_id == community.id,
            Event.starts_at >= datetime.combine(first, time(), tz),
            Event.starts_at < datetime.combine(after, time(), tz),
            Event.status != "cancelled",
            Event.public.is_(True),
        )
        .order_by(Event.starts_at)
    )
    dates = list(found.all())
    if not dates:
        return None
    with use_locale(community.locale):
        heading = _("{community}: our dates in {month}").format(
            community=community.name, month=month_name(first)
        )
        paragraphs = []
        for event in dates:
            lines = [event.title, *_date_paragraphs(community, event, closing=False)]
            paragraphs.append("\n".join(lines))
        paragraphs.append(sign_up_text(community, _shared_contact(dates, community)))
        return PressText(heading, paragraphs, f"{first:%Y-%m}")


def common(values: list[str]) -> str | None:
    """The value every date shares, or None when they differ."""
    return values[0] if len(set(values)) == 1 else None


def month_name(day: date) -> str:
    """ "Dezember 2026" in the current language."""
    return format_date(day, "LLLL yyyy", locale=current_locale())


def _shared_contact(dates: Sequence[Event], community: Community) -> str:
    return common([e.contact for e in dates]) or community.contact


def _date_paragraphs(community: Community, event: Event, *, closing: bool = True) -> list[str]:
    when = _("When: {when}").format(
        when=format_span(event.starts_at, event.ends_at, community.timezone)
    )
    lines = [when, *details.lines(event)]
    if event.signup_deadline:
        deadline = format_when(event.signup_deadline, community.timezone)
        lines.append(_("Please sign up by {when}.").format(when=deadline))
    paragraphs = ["\n".join(lines)]
    if closing:
        paragraphs.append(sign_up_text(community, event.contact or community.contact))
    return paragraphs


def sign_up_text(community: Community, contact: str) -> str:
    """How a reader who is not in the chat yet signs up: the group's name, and the contact."""
    if contact:
        return _("To sign up: in the chat group »{group}« or with {contact}.").format(
            group=community.name, contact=contact
        )
    return _("To sign up: in the chat group »{group}«.").format(group=community.name)


@dataclass(frozen=True)
class Choices:
    """What the staff web page offers: the next dates (number and words) and months
    ("2026-12" and "Dezember 2026")."""

    dates: list[tuple[int, str]]
    months: list[tuple[str, str]]


async def choices(work: Work, community: Community) -> Choices:
    """The next dates and months to write a press text for, in the current language."""
    found = await events.coming(work, community.id, CHOICE_DATES)
    dates = [(e.id, f"{e.title} – {format_when(e.starts_at, community.timezone)}") for e in found]
    today = work.now.astimezone(ZoneInfo(community.timezone)).date()
    months, first = [], today.replace(day=1)
    for _n in range(CHOICE_MONTHS):
        months.append((f"{first:%Y-%m}", month_name(first)))
        first = (first + timedelta(days=32)).replace(day=1)
    return Choices(dates, months)


async def chosen(
    work: Work, community: Community, what: str, event_id: int | None, month: str
) -> PressText | None:
    """The text staff chose on the web page (a date, its series, or a month "2026-12"),
    made as the chat's /presse makes it; None for a choice that names nothing."""
    if what == MONTH:
        year, _dash, number = month.partition("-")
        if not (year.isdigit() and number.isdigit() and len(year) == 4 and 1 <= int(number) <= 12):
            return None
        return await for_month(work, community, int(year), int(number))
    event = await events.in_community(work, community.id, event_id) if event_id else None
    if event is None:
        return None
    if what == SERIES:
        return await for_series(work, community, event)
    return await for_date(work, community, event) if what == DATE else None
