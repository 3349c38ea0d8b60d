"""The Ehrenamtsnachweis: a volunteer's hours, help given and dates served, as an A4 PDF.

Volunteers ask for it when they apply for a job, a course or the Ehrenamtskarte; staff are
reminded each December that they can make one. The figures come only from what the bot
recorded: help requests marked done (with the minutes the volunteer gave) and the dates the
person helped at. Only the PDF base fonts are used, as for the poster.
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
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
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
from bot.infra.pdf_text import printable
from bot.language.i18n import _, current_locale, format_day, ngettext, use_locale

MARGIN = 56.0
REGULAR, BOLD = "Helvetica", "Helvetica-Bold"
TITLE_SIZE, HEAD_SIZE, BODY_SIZE = 28.0, 18.0, 15.0
LEADING = 1.3
# The yearly reminder goes out from 1 December, not in the night.
REMINDER_MONTH, REMINDER_HOUR = 12, 9
MAX_LISTED = 30  # volunteers named in the reminder; /lotsen shows everyone
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
    """1 January to 1 January in the community's zone."""
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


def _lines(
    record: Record, community: Community, name: str, issued_on: date
) -> list[tuple[str, str]]:
    """(kind, text) pairs: header, title, head, body, item, gap, sign."""
    tz = community.timezone
    until = record.until - timedelta(microseconds=1)  # the period ends before ``until``
    period = _("Period: {start} to {end}").format(
        start=format_day(record.since, tz), end=format_day(until, tz)
    )
    lines = [
        ("header", community.name),
        ("title", _("Certificate of volunteer work")),
        ("body", _("{name} helped at {community} as a volunteer.").format(
            name=name, community=community.name
        )),
        ("body", period),
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
        for help_given in record.helps:
            minutes = ngettext(
                "{day}: {topic}, {minutes} minute",
                "{day}: {topic}, {minutes} minutes",
                help_given.minutes,
            )
            day = format_day(help_given.done_at, tz)
            lines.append(
                (
                    "item",
                    minutes.format(day=day, topic=help_given.skill, minutes=help_given.minutes),
                )
            )
        lines.append(("gap", ""))
    if record.dates:
        lines.append(("head", _("Helped at these dates")))
        for served in record.dates:
            day = format_day(served.starts_at, tz)
            lines.append(("item", f"{day}: {served.title}"))
        lines.append(("gap", ""))
    if record.empty:
        lines.append(("body", _("No help is recorded for this time.")))
        lines.append(("gap", ""))
    lines.append(("body", _("Thank you very much for your help!")))
    lines.append(("gap", ""))
    issued = datetime.combine(issued_on, time(12), ZoneInfo(tz))
    lines.append(("body", _("Issued on {day}").format(day=format_day(issued, tz))))
    lines.append(("sign", community.contact or community.name))
    return lines


def _render(lines: list[tuple[str, str]], community: Community, title: str, name: str) -> bytes:
    buffer = io.BytesIO()
    # Uncompressed: the file stays small (text only) and its text can be searched and checked.
    canvas = Canvas(
        buffer, pagesize=A4, invariant=1, pageCompression=0, lang=community.locale or "de"
    )
    canvas.setTitle(printable(f"{title}: {name}"))
    canvas.setAuthor(printable(community.name))
    canvas.setCreator("Lotsenbot")
    width, height = A4
    text_width = width - 2 * MARGIN
    y = height - MARGIN
    for kind, text in lines:
        if kind == "gap":
            y -= BODY_SIZE * 0.6
            continue
        if kind == "sign":
            y = _signature(canvas, text, y, height)
            continue
        font = BOLD if kind in ("title", "head") else REGULAR
        size = {"title": TITLE_SIZE, "head": HEAD_SIZE}.get(kind, BODY_SIZE)
        indent = 16.0 if kind == "item" else 0.0
        for line in simpleSplit(printable(text), font, size, text_width - indent):
            if y - size < MARGIN:
                canvas.showPage()
                y = height - MARGIN
            y -= size
            canvas.setFont(font, size)
            canvas.drawString(MARGIN + indent, y, line)
            y -= size * (LEADING - 1)
        if kind in ("header", "title"):
            y -= BODY_SIZE * 0.8
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _signature(canvas: Canvas, signer: str, y: float, height: float) -> float:
    """A line to sign on, with the community's contact below it."""
    room = BODY_SIZE * 5
    if y - room < MARGIN:
        canvas.showPage()
        y = height - MARGIN
    y -= BODY_SIZE * 3
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, y, MARGIN + 240.0, y)
    y -= BODY_SIZE * 1.2
    canvas.setFont(REGULAR, BODY_SIZE)
    canvas.drawString(MARGIN, y, printable(signer)[:80])
    return y - BODY_SIZE


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
