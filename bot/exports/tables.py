"""The rows of each export table, read from the database for one community and period.

Queries select plain columns, not ORM objects, so a large export costs tuples only. Times
become the community's wall time without a zone (spreadsheets know no zones).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import (
    Attendance,
    Community,
    Event,
    EventHelper,
    Feedback,
    HelpRequest,
    Person,
    Role,
    Rsvp,
    Series,
)
from bot.domain.roles import VOLUNTEER
from bot.exports.choices import (
    ATTENDANCE,
    DATES,
    FEEDBACK,
    HELP,
    REACH,
    SERIES,
    SHEET_TITLES,
    VOLUNTEERS,
    WISHES,
    Column,
    Period,
    Pseudonyms,
    Table,
)
from bot.helping import skills
from bot.language.i18n import N_, _

# Groups smaller than this are not shown on their own ("who we reach").
MIN_GROUP = 5

SERIES_KINDS = {
    "cafe": N_("Digitalcafé"),
    "course": N_("Course"),
    "office_hours": N_("Help hours"),
    "other": N_("Other"),
}
EVENT_STATUS = {
    "scheduled": N_("planned"),
    "changed": N_("changed"),
    "cancelled": N_("cancelled"),
    "done": N_("took place"),
}
HOW = {
    "staff": N_("by staff"),
    "self": N_("self"),
    "all": N_("by staff"),
    "guest": N_("guest"),
}
HELP_STATUS = {
    "open": N_("open"),
    "offered": N_("offered"),
    "accepted": N_("taken on"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
    "escalated": N_("handed to staff"),
    "expired": N_("expired"),
}
PLACES = {"cafe": N_("Digitalcafé"), "phone": N_("by phone"), "home": N_("at home")}


@dataclass(frozen=True, slots=True)
class Scope:
    community: Community
    period: Period

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.community.timezone)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.period.start, time(0), tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.period.end + timedelta(days=1), time(0), tzinfo=self.zone)

    def local(self, moment: datetime | None) -> datetime | None:
        if moment is None:
            return None
        return moment.astimezone(self.zone).replace(tzinfo=None, second=0, microsecond=0)

    def events(self) -> Any:
        return and_(
            Event.community_id == self.community.id,
            Event.starts_at >= self.start,
            Event.starts_at < self.end,
        )


def _tr(mapping: dict[str, str], key: str | None) -> str:
    message = mapping.get(key or "")
    return _(message) if message else (key or "")


@dataclass(frozen=True, slots=True)
class DateFigures:
    """One date's counts."""

    event_id: int
    series_id: int | None
    title: str
    starts_at: datetime
    status: str
    capacity: int | None
    signed_up: int
    came: int  # attendance rows (people checked in, guests by name)
    walk_ins: int  # only counted at the door
    without_sign_up: int  # checked in without a "yes", plus walk-ins
    no_shows: int

    @property
    def visits(self) -> int:
        return self.came + self.walk_ins


async def date_figures(session: AsyncSession, scope: Scope) -> list[DateFigures]:
    events = (
        await session.execute(
            select(
                Event.id,
                Event.series_id,
                Event.title,
                Event.starts_at,
                Event.status,
                Event.capacity,
                Event.walk_ins,
            )
            .where(scope.events())
            .order_by(Event.starts_at, Event.id)
        )
    ).all()
    ids = [row.id for row in events]
    if not ids:
        return []
    yes = dict(
        (
            await session.execute(
                select(Rsvp.event_id, func.count())
                .where(Rsvp.event_id.in_(ids), Rsvp.status == "yes")
                .group_by(Rsvp.event_id)
            )
        ).all()
    )
    no_shows = dict(
        (
            await session.execute(
                select(Rsvp.event_id, func.count())
                .where(Rsvp.event_id.in_(ids), Rsvp.status == "yes", Rsvp.attended.is_(False))
                .group_by(Rsvp.event_id)
            )
        ).all()
    )
    came = dict(
        (
            await session.execute(
                select(Attendance.event_id, func.count())
                .where(Attendance.event_id.in_(ids))
                .group_by(Attendance.event_id)
            )
        ).all()
    )
    signed = and_(
        Rsvp.event_id == Attendance.event_id,
        Rsvp.person_id == Attendance.person_id,
        Rsvp.status == "yes",
    )
    unsigned = dict(
        (
            await session.execute(
                select(Attendance.event_id, func.count())
                .where(Attendance.event_id.in_(ids), ~select(Rsvp.id).where(signed).exists())
                .group_by(Attendance.event_id)
            )
        ).all()
    )
    return [
        DateFigures(
            e.id,
            e.series_id,
            e.title,
            e.starts_at,
            e.status,
            e.capacity,
            yes.get(e.id, 0),
            came.get(e.id, 0),
            e.walk_ins,
            unsigned.get(e.id, 0) + e.walk_ins,
            no_shows.get(e.id, 0),
        )
        for e in events
    ]


async def dates_table(session: AsyncSession, scope: Scope) -> Table:
    figures = await date_figures(session, scope)
    return Table(
        DATES,
        SHEET_TITLES[DATES],
        (
            Column(N_("Date"), "datetime", 17),
            Column(N_("Title"), "text", 28),
            Column(N_("Status"), "text", 14),
            Column(N_("Places"), "int", 9),
            Column(N_("Signed up"), "int", 12),
            Column(N_("Came"), "int", 9),
            Column(N_("Of them without sign-up"), "int", 14),
            Column(N_("Did not come"), "int", 14),
        ),
        [
            (
                scope.local(f.starts_at),
                f.title,
                _tr(EVENT_STATUS, f.status),
                f.capacity,
                f.signed_up,
                f.visits,
                f.without_sign_up,
                f.no_shows,
            )
            for f in figures
        ],
    )


async def series_table(session: AsyncSession, scope: Scope) -> Table:
    figures = [f for f in await date_figures(session, scope) if f.status != "cancelled"]
    series = {
        row.id: row
        for row in (
            await session.execute(
                select(Series.id, Series.title, Series.kind).where(
                    Series.community_id == scope.community.id
                )
            )
        ).all()
    }
    grouped: dict[int | None, list[DateFigures]] = defaultdict(list)
    for f in figures:
        grouped[f.series_id].append(f)
    rows = []
    for series_id, dates in grouped.items():
        found = series.get(series_id) if series_id is not None else None
        signed_up = sum(f.signed_up for f in dates)
        no_shows = sum(f.no_shows for f in dates)
        rows.append(
            (
                found.title if found else _("Single dates"),
                _tr(SERIES_KINDS, found.kind) if found else "",
                len(dates),
                signed_up,
                sum(f.visits for f in dates),
                sum(f.without_sign_up for f in dates),
                no_shows,
                round(100 * no_shows / signed_up, 1) if signed_up else None,
            )
        )
    return Table(
        SERIES,
        SHEET_TITLES[SERIES],
        (
            Column(N_("Series"), "text", 28),
            Column(N_("Kind"), "text", 14),
            Column(N_("Dates"), "int", 9),
            Column(N_("Signed up"), "int", 12),
            Column(N_("Came"), "int", 9),
            Column(N_("Of them without sign-up"), "int", 14),
            Column(N_("Did not come"), "int", 14),
            Column(N_("Did not come (%)"), "float", 14),
        ),
        rows,
    )


async def attendance_table(session: AsyncSession, scope: Scope, who: Pseudonyms) -> Table:
    signed = (
        select(Rsvp.id)
        .where(
            Rsvp.event_id == Attendance.event_id,
            Rsvp.person_id == Attendance.person_id,
            Rsvp.status == "yes",
        )
        .exists()
    )
    result = await session.stream(
        select(
            Event.starts_at,
            Event.title,
            Attendance.person_id,
            Person.display_name,
            Attendance.how,
            signed,
        )
        .join(Event, Event.id == Attendance.event_id)
        .join(Person, Person.id == Attendance.person_id)
        .where(scope.events())
        .order_by(Event.starts_at, Event.id, Attendance.id)
        .execution_options(yield_per=2000)
    )
    rows = [
        (scope.local(start), title, who(pid, name), _tr(HOW, how), bool(was_signed))
        async for start, title, pid, name, how, was_signed in result
    ]
    return Table(
        ATTENDANCE,
        SHEET_TITLES[ATTENDANCE],
        (
            Column(N_("Date"), "datetime", 17),
            Column(N_("Title"), "text", 28),
            Column(N_("Person"), "text", 18),
            Column(N_("Checked in"), "text", 14),
            Column(N_("Signed up"), "text", 12),
        ),
        rows,
    )


async def feedback_table(session: AsyncSession, scope: Scope, who: Pseudonyms) -> Table:
    rows = (
        await session.execute(
            select(
                Event.starts_at,
                Event.title,
                Feedback.person_id,
                Person.display_name,
                Feedback.rating,
                Feedback.comment,
            )
            .join(Event, Event.id == Feedback.event_id)
            .join(Person, Person.id == Feedback.person_id)
            .where(scope.events(), (Feedback.rating.is_not(None)) | (Feedback.comment != ""))
            .order_by(Event.starts_at, Feedback.id)
        )
    ).all()
    return Table(
        FEEDBACK,
        SHEET_TITLES[FEEDBACK],
        (
            Column(N_("Date"), "datetime", 17),
            Column(N_("Title"), "text", 28),
            Column(N_("Person"), "text", 18),
            Column(N_("Rating (1 to 5)"), "int", 12),
            Column(N_("Comment"), "text", 60),
        ),
        [
            (scope.local(start), title, who(pid, name), rating, comment)
            for start, title, pid, name, rating, comment in rows
        ],
    )


async def wishes_table(session: AsyncSession, scope: Scope, who: Pseudonyms) -> Table:
    rows = (
        await session.execute(
            select(
                Event.starts_at, Event.title, Feedback.person_id, Person.display_name, Feedback.wish
            )
            .join(Event, Event.id == Feedback.event_id)
            .join(Person, Person.id == Feedback.person_id)
            .where(scope.events(), Feedback.wish != "")
            .order_by(Event.starts_at, Feedback.id)
        )
    ).all()
    return Table(
        WISHES,
        SHEET_TITLES[WISHES],
        (
            Column(N_("Date"), "datetime", 17),
            Column(N_("Title"), "text", 28),
            Column(N_("Person"), "text", 18),
            Column(N_("Topic wish"), "text", 60),
        ),
        [
            (scope.local(start), title, who(pid, name), wish)
            for start, title, pid, name, wish in rows
        ],
    )


async def help_rows(session: AsyncSession, scope: Scope) -> list[Any]:
    return list(
        (
            await session.execute(
                select(HelpRequest, Person.display_name)
                .outerjoin(Person, Person.id == HelpRequest.volunteer_id)
                .where(
                    HelpRequest.community_id == scope.community.id,
                    HelpRequest.created_at >= scope.start,
                    HelpRequest.created_at < scope.end,
                )
                .order_by(HelpRequest.created_at, HelpRequest.id)
            )
        ).all()
    )


async def skill_labels(session: AsyncSession, community: Community) -> dict[str, str]:
    return {s.key: skills.label(s, community) for s in await skills.catalog(session, community)}


def hours_to_accept(request: HelpRequest) -> float | None:
    if request.accepted_at is None:
        return None
    return round((request.accepted_at - request.created_at).total_seconds() / 3600, 1)


async def help_table(session: AsyncSession, scope: Scope, who: Pseudonyms) -> Table:
    labels = await skill_labels(session, scope.community)
    return Table(
        HELP,
        SHEET_TITLES[HELP],
        (
            Column(N_("Number"), "int", 9),
            Column(N_("Asked on"), "datetime", 17),
            Column(N_("Topic"), "text", 26),
            Column(N_("Where"), "text", 14),
            Column(N_("Outcome"), "text", 16),
            Column(N_("Hours until taken on"), "float", 14),
            Column(N_("Digitallotse"), "text", 18),
            Column(N_("Done on"), "datetime", 17),
            Column(N_("Minutes"), "int", 10),
            Column(N_("Rating (1 to 5)"), "int", 12),
        ),
        [
            (
                r.id,
                scope.local(r.created_at),
                labels.get(r.skill, r.skill),
                _tr(PLACES, r.place),
                _tr(HELP_STATUS, r.status),
                hours_to_accept(r),
                who(r.volunteer_id, name),
                scope.local(r.done_at),
                r.minutes,
                r.rating,
            )
            for r, name in await help_rows(session, scope)
        ],
    )


def served_as_volunteer(scope: Scope) -> Any:
    """Of the people who served at a date (EventHelper), the Digitallotsen: staff who only
    took attendance are not volunteers."""
    return EventHelper.person_id.in_(
        select(Role.person_id).where(
            Role.community_id == scope.community.id, Role.role == VOLUNTEER
        )
    )


async def volunteers_table(session: AsyncSession, scope: Scope, who: Pseudonyms) -> Table:
    served: dict[int, list[date]] = defaultdict(list)
    names: dict[int, str] = {}
    for pid, name, start in (
        await session.execute(
            select(EventHelper.person_id, Person.display_name, Event.starts_at)
            .join(Event, Event.id == EventHelper.event_id)
            .join(Person, Person.id == EventHelper.person_id)
            .where(scope.events(), served_as_volunteer(scope))
            .order_by(Event.starts_at)
        )
    ).all():
        served[pid].append(start.astimezone(scope.zone).date())
        names[pid] = name
    taken: dict[int, list[HelpRequest]] = defaultdict(list)
    for request, name in await help_rows(session, scope):
        if request.volunteer_id is not None and request.accepted_at is not None:
            taken[request.volunteer_id].append(request)
            names[request.volunteer_id] = name
    rows = []
    for pid in sorted(names, key=lambda p: (-len(taken[p]) - len(served[p]), p)):
        days = sorted(set(served[pid]))
        requests = taken[pid]
        rows.append(
            (
                who(pid, names[pid]),
                len(requests),
                sum(1 for r in requests if r.status == "done"),
                sum(r.minutes or 0 for r in requests),
                len(days),
                ", ".join(f"{d:%d.%m.%Y}" for d in days),
            )
        )
    return Table(
        VOLUNTEERS,
        SHEET_TITLES[VOLUNTEERS],
        (
            Column(N_("Person"), "text", 18),
            Column(N_("Requests taken on"), "int", 14),
            Column(N_("Requests done"), "int", 14),
            Column(N_("Minutes of help"), "int", 14),
            Column(N_("Dates served"), "int", 14),
            Column(N_("Days served"), "text", 40),
        ),
        rows,
    )


async def reach(session: AsyncSession, scope: Scope) -> tuple[list[Any], list[Any]]:
    """Counts per age band and per Ortsteil of the people who came or asked for help in
    the period and agreed to give these facts. Groups under 5 are merged into "other",
    and left out when that is under 5 too, so no one can be singled out."""
    came = (
        select(Attendance.person_id)
        .join(Event, Event.id == Attendance.event_id)
        .where(scope.events())
    )
    asked = select(HelpRequest.requester_id).where(
        HelpRequest.community_id == scope.community.id,
        HelpRequest.created_at >= scope.start,
        HelpRequest.created_at < scope.end,
    )
    people = (
        await session.execute(
            select(Person.age_band, Person.area).where(
                Person.facts_consent_at.is_not(None),
                Person.erased_at.is_(None),
                Person.id.in_(came.union(asked)),
            )
        )
    ).all()
    return _suppressed([band for band, _a in people if band]), _suppressed(
        [area.strip() for _b, area in people if area and area.strip()]
    )


def _suppressed(values: list[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    shown = sorted((k, n) for k, n in counts.items() if n >= MIN_GROUP)
    rest = sum(n for n in counts.values() if n < MIN_GROUP)
    if rest >= MIN_GROUP:
        shown.append((_("other"), rest))
    return shown


async def reach_table(session: AsyncSession, scope: Scope) -> Table:
    bands, areas = await reach(session, scope)
    return Table(
        REACH,
        SHEET_TITLES[REACH],
        (
            Column(N_("Group"), "text", 14),
            Column(N_("Value"), "text", 28),
            Column(N_("People"), "int", 10),
        ),
        [(_("Age"), band, n) for band, n in bands] + [(_("Part of town"), a, n) for a, n in areas],
    )
