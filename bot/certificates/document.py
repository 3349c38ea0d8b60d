"""The Ehrenamtsnachweis: a volunteer's hours, help given and dates served, as an A4 PDF.

Volunteers ask for it when they apply for a job, a course or the Ehrenamtskarte; staff are
reminded each December that they can make one. The figures come only from what the bot
recorded: help requests marked done (with the minutes the volunteer gave) and the dates the
person helped at. Laid out with reportlab's flowables: page numbers, the signature block
kept together with the thanks above it, long lists summarised by month; fonts as for the
poster (every script a name may come in prints).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.community import communities
from bot.dates.notices import tell_person
from bot.domain.models import (
    Community,
    Event,
    EventHelper,
    HelpRequest,
    KeyValue,
    Person,
    Skill,
)
from bot.helping import requests as help_requests
from bot.helping.skills import DEFAULT_SKILLS
from bot.helping.skills import label as skill_label
from bot.infra.pdf_text import (
    BOLD,
    REGULAR,
    numbered_canvas,
    printable,
    register_fonts,
    visual,
)
from bot.language.i18n import (
    _,
    current_locale,
    format_day,
    format_long_day,
    format_month,
    ngettext,
    use_locale,
)

MARGIN = 56.0
TITLE_SIZE, HEAD_SIZE, BODY_SIZE = 28.0, 18.0, 15.0
LEADING = 1.3
# The yearly reminder goes out from 1 December, not in the night.
REMINDER_MONTH, REMINDER_HOUR = 12, 9
MAX_LISTED = 30  # volunteers named in the reminder; /lotsen shows everyone
# More help requests or dates than this are summarised by month on the certificate.
MAX_ITEMS = 12
_DEFAULT_LABELS = dict(DEFAULT_SKILLS)


@dataclass(frozen=True, slots=True)
class HelpGiven:
    done_at: datetime
    skill: str  # the label, in the community's language
    minutes: int


@dataclass(frozen=True, slots=True)
class DateServed:
    starts_at: datetime
    title: str


@dataclass(frozen=True, slots=True)
class Record:
    """What one person did for one community between ``since`` and ``until``."""

    person_id: int
    since: datetime
    until: datetime
    helps: tuple[HelpGiven, ...]
    dates: tuple[DateServed, ...]

    @property
    def minutes(self) -> int:
        return sum(h.minutes for h in self.helps)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of help, most frequent first."""
        counts = Counter(h.skill for h in self.helps)
        return tuple(sorted(counts, key=lambda k: (-counts[k], k)))

    @property
    def empty(self) -> bool:
        return not self.helps and not self.dates


async def volunteer_record(
    session: AsyncSession, person_id: int, community: Community, since: datetime, until: datetime
) -> Record:
    """Help requests done and dates served in ``[since, until)``, oldest first."""
    requests = (
        await session.scalars(
            select(HelpRequest)
            .where(
                HelpRequest.volunteer_id == person_id,
                HelpRequest.community_id == community.id,
                HelpRequest.status == help_requests.DONE,
                HelpRequest.done_at >= since,
                HelpRequest.done_at < until,
            )
            .order_by(HelpRequest.done_at, HelpRequest.id)
        )
    ).all()
    labels = await _skill_labels(session, community)
    with use_locale(community.locale):
        helps = tuple(
            HelpGiven(r.done_at, _label_for(r.skill, labels), r.minutes or 0)
            for r in requests
            if r.done_at is not None
        )
    served = (
        await session.execute(
            select(Event.starts_at, Event.title)
            .join(EventHelper, EventHelper.event_id == Event.id)
            .where(
                EventHelper.person_id == person_id,
                Event.community_id == community.id,
                Event.status != "cancelled",
                Event.starts_at >= since,
                Event.starts_at < until,
            )
            .order_by(Event.starts_at, Event.id)
        )
    ).all()
    dates = tuple(DateServed(start, title) for start, title in served)
    return Record(person_id, since, until, helps, dates)


async def _skill_labels(session: AsyncSession, community: Community) -> dict[str, str]:
    rows = (await session.scalars(select(Skill).where(Skill.community_id == community.id))).all()
    with use_locale(community.locale):
        return {row.key: skill_label(row, community) for row in rows}


def _label_for(key: str, labels: dict[str, str]) -> str:
    if key in labels:
        return labels[key]
    # A skill removed from the catalog since: its default label, or the key itself.
    return _(_DEFAULT_LABELS[key]) if key in _DEFAULT_LABELS else key


def last_twelve_months(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=365), now


def calendar_year(year: int, timezone: str) -> tuple[datetime, datetime]:
    """1 January to 1 January in the community's zone (the end is the first moment after)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(date(year, 1, 1), time(0), zone)
    end = datetime.combine(date(year + 1, 1, 1), time(0), zone)
    return start, end


def format_hours(minutes: int) -> str:
    """ "2,5" in German, "2.5" in English: hours with at most one decimal."""
    return format_decimal(round(minutes / 60, 1), format="#,##0.#", locale=current_locale())


# --- the PDF --------------------------------------------------------------------------------


def certificate_pdf(
    record: Record, community: Community, person_name: str, issued_on: date
) -> bytes:
    """An A4 PDF in the community's language, signed with its contact."""
    with use_locale(community.locale):
        lines = _lines(record, community, person_name, issued_on)
        title = _("Certificate of volunteer work")
        return _render(lines, community, title, person_name)


def period_line(record: Record, timezone: str) -> str:
    """ "Zeitraum: 1. Januar 2026 bis 31. Dezember 2026": the period ends on its last day."""
    zone = ZoneInfo(timezone)
    first = record.since.astimezone(zone)
    # ``until`` is the first moment after the period: at midnight the day before is the last.
    end = record.until.astimezone(zone)
    last = end.date() - timedelta(days=1) if end.time() == time(0) else end.date()
    return _("Period: {start} to {end}").format(
        start=format_long_day(first.date()), end=format_long_day(last)
    )


def _month(moment: datetime, timezone: str) -> str:
    return format_month(moment.astimezone(ZoneInfo(timezone)).date())


def _lines(
    record: Record, community: Community, name: str, issued_on: date
) -> list[tuple[str, str]]:
    """(kind, text) pairs: header, title, head, body, item, gap, thanks, sign."""
    tz = community.timezone
    lines = [
        ("header", community.name),
        ("title", _("Certificate of volunteer work")),
        ("body", _("{name} helped at {community} as a volunteer.").format(
            name=name, community=community.name
        )),
        ("body", period_line(record, tz)),
        ("gap", ""),
    ]  # fmt: skip
    if record.helps:
        hours = round(record.minutes / 60, 1)
        lines += [
            ("head", _("Personal help")),
            ("body", _("Help requests done: {count}").format(count=len(record.helps))),
            (
                "body",
                ngettext("Time: {hours} hour", "Time: {hours} hours", 1 if hours == 1 else 2)
                .format(hours=format_hours(record.minutes)),
            ),
            ("body", _("Topics: {topics}").format(topics=", ".join(record.kinds))),
        ]  # fmt: skip
        lines += [("item", line) for line in _help_items(record.helps, tz)]
        lines.append(("gap", ""))
    if record.dates:
        lines.append(("head", _("Helped at these dates")))
        lines += [("item", line) for line in _date_items(record.dates, tz)]
        lines.append(("gap", ""))
    if record.empty:
        lines.append(("body", _("No help is recorded for this time.")))
        lines.append(("gap", ""))
    lines.append(("thanks", _("Thank you very much for your help!")))
    issued = datetime.combine(issued_on, time(12), ZoneInfo(tz))
    lines.append(("thanks", _("Issued on {day}").format(day=format_day(issued, tz))))
    lines.append(("sign", community.contact or community.name))
    return lines


def _help_items(helps: tuple[HelpGiven, ...], tz: str) -> list[str]:
    """One line per request, or per month when there are many."""
    if len(helps) > MAX_ITEMS:
        months = Counter(_month(h.done_at, tz) for h in helps)
        return [
            ngettext(
                "{month}: {count} help request", "{month}: {count} help requests", count
            ).format(month=month, count=count)
            for month, count in months.items()
        ]
    lines = []
    for help_given in helps:
        minutes = ngettext(
            "{day}: {topic}, {minutes} minute",
            "{day}: {topic}, {minutes} minutes",
            help_given.minutes,
        )
        day = format_day(help_given.done_at, tz)
        lines.append(minutes.format(day=day, topic=help_given.skill, minutes=help_given.minutes))
    return lines


def _date_items(dates: tuple[DateServed, ...], tz: str) -> list[str]:
    """One line per date, or per month with the titles when there are many."""
    if len(dates) <= MAX_ITEMS:
        return [f"{format_day(served.starts_at, tz)}: {served.title}" for served in dates]
    months: dict[str, list[str]] = {}
    for served in dates:
        months.setdefault(_month(served.starts_at, tz), []).append(served.title)
    return [
        ngettext("{month}, {count} date: {titles}", "{month}, {count} dates: {titles}", len(t))
        .format(month=month, count=len(t), titles=", ".join(dict.fromkeys(t)))
        for month, t in months.items()
    ]  # fmt: skip


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=BODY_SIZE, leading=BODY_SIZE * LEADING)
    return {
        "header": ParagraphStyle("header", parent=body, spaceAfter=BODY_SIZE * 0.8),
        "title": ParagraphStyle(
            "title",
            parent=body,
            fontName=BOLD,
            fontSize=TITLE_SIZE,
            leading=TITLE_SIZE * LEADING,
            spaceAfter=BODY_SIZE * 0.8,
        ),
        "head": ParagraphStyle(
            "head", parent=body, fontName=BOLD, fontSize=HEAD_SIZE, leading=HEAD_SIZE * LEADING
        ),
        "body": body,
        "thanks": ParagraphStyle("thanks", parent=body, spaceAfter=BODY_SIZE * 0.6),
        "item": ParagraphStyle("item", parent=body, leftIndent=16.0),
    }


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    # Plain text, not markup: "<" and "&" in a name print as they are.
    escaped = visual(printable(text)).replace("&", "&amp;").replace("<", "&lt;")
    return Paragraph(escaped.replace(">", "&gt;"), style)


class _SignatureLine(Flowable):
    """A line to sign on."""

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 240.0, BODY_SIZE * 3

    def draw(self) -> None:
        self.canv.setLineWidth(0.8)
        self.canv.line(0, 0, 240.0, 0)


def _render(lines: list[tuple[str, str]], community: Community, title: str, name: str) -> bytes:
    buffer = io.BytesIO()
    styles = _styles()
    story: list[Flowable] = []
    closing: list[Flowable] = []
    for kind, text in lines:
        if kind == "gap":
            story.append(Spacer(1, BODY_SIZE * 0.6))
        elif kind == "thanks":
            closing.append(_paragraph(text, styles["thanks"]))
        elif kind == "sign":
            closing += [_SignatureLine(), _paragraph(text[:80], styles["body"])]
        else:
            story.append(_paragraph(text, styles[kind]))
    # The thanks, the date and the line to sign on never stand apart on a page.
    story.append(KeepTogether(closing))
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=printable(f"{title}: {name}"),
        author=printable(community.name),
        creator="Lotsenbot",
        lang=community.locale or "de",
        invariant=1,
        pageCompression=0,
    )
    document.build(story, canvasmaker=numbered_canvas(community.name, _("Page {page} of {pages}")))
    return buffer.getvalue()


# --- the reminder to staff in December ------------------------------------------------------


async def yearly_reminder(session: AsyncSession, now: datetime) -> int:
    """Once a year, in December, tell each community's team that certificates can be made;
    returns how many people were told. Remembered per community and year in key_values."""
    if now.month not in (REMINDER_MONTH - 1, REMINDER_MONTH, 1):
        return 0  # no zone is more than a day from UTC: no need to look
    told = 0
    for community in (await session.scalars(select(Community).order_by(Community.id))).all():
        local = now.astimezone(ZoneInfo(community.timezone))
        if local.month != REMINDER_MONTH or local.hour < REMINDER_HOUR:
            continue
        key = f"certificate-reminder:{community.id}:{local.year}"
        if await session.get(KeyValue, key) is not None:
            continue
        session.add(KeyValue(key=key, value=now.isoformat(), updated_at=now))
        helpers = await _active_people(session, community, local.year)
        team = await communities.team_of(session, community.id)
        for person_id in team:
            ok = await tell_person(
                session,
                person_id,
                community,
                partial(_reminder_text, community, helpers, local.year),
                f"{key}:{person_id}",
                now,
                about=[helper_id for helper_id, _name in helpers],
            )
            told += ok
        await session.flush()
    return told


async def _active_people(
    session: AsyncSession, community: Community, year: int
) -> list[tuple[int, str]]:
    """Who helped this year (a help request done, or a date served), by name."""
    since, until = calendar_year(year, community.timezone)
    helped = select(HelpRequest.volunteer_id.label("person_id")).where(
        HelpRequest.community_id == community.id,
        HelpRequest.status == help_requests.DONE,
        HelpRequest.done_at >= since,
        HelpRequest.done_at < until,
    )
    served = (
        select(EventHelper.person_id.label("person_id"))
        .join(Event, Event.id == EventHelper.event_id)
        .where(
            Event.community_id == community.id,
            Event.status != "cancelled",
            Event.starts_at >= since,
            Event.starts_at < until,
        )
    )
    ids = helped.union(served).subquery()
    rows = await session.execute(
        select(Person.id, Person.display_name)
        .where(Person.id.in_(select(ids.c.person_id)))
        .order_by(Person.display_name, Person.id)
    )
    return [(person_id, name) for person_id, name in rows.all()]


def _reminder_text(
    community: Community, helpers: Iterable[tuple[int, str]], year: int, prefix: str
) -> str:
    helpers = list(helpers)
    lines = [
        _("The year is ending. Your Digitallotsen can get a certificate of their volunteer work."),
        _("Write {prefix}nachweis with the number of the person and the year.").format(
            prefix=prefix
        ),
        _("For example: {prefix}nachweis 12 {year}").format(prefix=prefix, year=year),
    ]
    if helpers:
        lines += ["", _("They helped this year:")]
        lines += [
            f"{prefix}nachweis {person_id} {year} – {name}"
            for person_id, name in helpers[:MAX_LISTED]
        ]
        if len(helpers) > MAX_LISTED:
            lines.append(_("All numbers: {prefix}lotsen").format(prefix=prefix))
    else:
        lines.append(_("All numbers: {prefix}lotsen").format(prefix=prefix))
    return "\n".join(lines)
