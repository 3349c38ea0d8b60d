"""One export from request to files: read the tables, write XLSX, CSV or the half-year
report, and note it in the audit log. ``export`` is the use case: /export in the chat and
``lotsenbot export`` both call it."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.types import Attachment
from bot.community import communities
from bot.domain.models import AuditLog, Community
from bot.domain.roles import ADMIN, COORDINATOR
from bot.domain.work import Work
from bot.exports import report
from bot.exports import tables as export_data
from bot.exports.choices import (
    ATTENDANCE,
    CSV,
    DATES,
    FEEDBACK,
    FILE_PARTS,
    HELP,
    KINDS,
    REACH,
    REPORT,
    SERIES,
    VOLUNTEERS,
    WISHES,
    XLSX,
    XLSX_MIME,
    Period,
    Pseudonyms,
    Table,
    write_csv,
    write_xlsx,
)
from bot.language.i18n import use_locale

# Who may see names in an export (they ask for it with "mit Namen").
NAMES_ROLES = (COORDINATOR, ADMIN)


def may_see_names(roles: set[str], deployment_admin: bool = False) -> bool:
    """Whether someone with these roles in a community gets names when they ask for them."""
    return deployment_admin or bool(roles.intersection(NAMES_ROLES))


@dataclass(frozen=True, slots=True)
class Request:
    community: Community
    period: Period
    what: str  # one of KINDS, "all", or REPORT
    fmt: str = XLSX  # xlsx | csv (the report has its own files)
    separator: str = ","
    names: bool = False


@dataclass(slots=True)
class Result:
    files: list[Attachment] = field(default_factory=list)
    # The report's two texts: key figures for the coordinator, and the public summary.
    summary: str = ""
    public: str = ""
    # What each of the report's charts shows, in the order of ``files``.
    captions: list[str] = field(default_factory=list)
    rows: int = 0
    # The people in the files (Outgoing.about of the messages that carry them).
    about: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asks in a chat: their roles in the community are checked. The command line is
    run by the operator and asks as nobody (``None``)."""

    person_id: int
    deployment_admin: bool = False


@dataclass(frozen=True, slots=True)
class Made:
    """An export made: what was asked (with whether names are shown) and its files."""

    request: Request
    result: Result


async def export(
    work: Work,
    community: int | str | None,
    period: Period,
    what: str,
    fmt: str = XLSX,
    separator: str = ",",
    names: bool = False,
    *,
    asker: Asker | None,
    via: str,
    locale: str | None = None,
) -> Made | Literal["unknown", "not_allowed"]:
    """Make one export of a community (by number, or a short name; None: no group, which
    is "unknown") for the period.

    A chat ``asker`` must coordinate the community (or administer the deployment); names
    are shown only when asked for and the asker is its coordinator or admin. ``locale``:
    the language of column titles and texts (None: the community's own).
    """
    found = await _community(work, community)
    if found is None:
        return "unknown"
    if asker is not None:
        roles = await communities.roles_in(work.session, asker.person_id, found.id)
        if not asker.deployment_admin and COORDINATOR not in roles:
            return "not_allowed"
        names = names and may_see_names(roles, asker.deployment_admin)
    request = Request(found, period, what, fmt, separator, names)
    with use_locale(locale or found.locale):
        result = await build(
            work.session,
            request,
            actor_id=asker.person_id if asker else None,
            now=work.now,
            via=via,
        )
    return Made(request, result)


async def _community(work: Work, ref: int | str | None) -> Community | None:
    if ref is None:
        return None
    if isinstance(ref, int):
        return await work.session.get(Community, ref)
    return await communities.find_community(work.session, ref)


async def _table(session: AsyncSession, scope: export_data.Scope, kind: str, who: Pseudonyms):  # type: ignore[no-untyped-def]
    if kind == DATES:
        return await export_data.dates_table(session, scope)
    if kind == SERIES:
        return await export_data.series_table(session, scope)
    if kind == ATTENDANCE:
        return await export_data.attendance_table(session, scope, who)
    if kind == FEEDBACK:
        return await export_data.feedback_table(session, scope, who)
    if kind == WISHES:
        return await export_data.wishes_table(session, scope, who)
    if kind == VOLUNTEERS:
        return await export_data.volunteers_table(session, scope, who)
    if kind == HELP:
        return await export_data.help_table(session, scope, who)
    if kind == REACH:
        return await export_data.reach_table(session, scope)
    raise ValueError(f"unknown export kind {kind!r}")


def _name(request: Request, part: str, suffix: str) -> str:
    p = request.period
    return f"{request.community.slug}-{part}-{p.start:%Y-%m-%d}-{p.end:%Y-%m-%d}.{suffix}"


async def build(
    session: AsyncSession, request: Request, *, actor_id: int | None, now: datetime, via: str
) -> Result:
    """The files (and for the report the texts) of one export; logged in the audit log."""
    scope = export_data.Scope(request.community, request.period)
    result = Result()
    if request.what == REPORT:
        figures = await report.figures(session, scope, now)
        charts = await asyncio.to_thread(
            lambda: [
                ("besuche", report.attendance_chart(figures)),
                ("bewertungen", report.rating_chart(figures)),
                ("hilfe-themen", report.skill_chart(figures)),
            ]
        )
        result.files = [
            Attachment(_name(request, part, "png"), data, "image/png", is_image=True)
            for part, data in charts
        ]
        result.captions = report.chart_titles()
        result.summary = report.summary(scope, figures)
        result.public = report.public_summary(scope, figures)
        result.rows = figures.held
    else:
        who = Pseudonyms(names=request.names)
        kinds = KINDS if request.what == "all" else (request.what,)
        tables = [await _table(session, scope, kind, who) for kind in kinds]
        result.files = await asyncio.to_thread(_write, request, tables)
        result.rows = sum(table.count for table in tables)
        result.about = tuple(sorted(who.seen))
    session.add(
        AuditLog(
            at=now,
            actor_person_id=actor_id,
            community_id=request.community.id,
            action="export",
            details={
                "what": request.what,
                "format": REPORT if request.what == REPORT else request.fmt,
                "start": request.period.start.isoformat(),
                "end": request.period.end.isoformat(),
                "names": request.names,
                "rows": result.rows,
                "files": [f.filename for f in result.files],
                "via": via,
            },
        )
    )
    await session.flush()
    return result


def _write(request: Request, tables: list[Table]) -> list[Attachment]:
    if request.fmt == CSV:
        files = []
        for table in tables:
            out = io.BytesIO()
            write_csv(table, out, request.separator)
            part = FILE_PARTS[table.kind]
            files.append(Attachment(_name(request, part, "csv"), out.getvalue(), "text/csv"))
        return files
    out = io.BytesIO()
    write_xlsx(tables, out)
    part = "tabellen" if request.what == "all" else FILE_PARTS[tables[0].kind]
    return [Attachment(_name(request, part, "xlsx"), out.getvalue(), XLSX_MIME)]
