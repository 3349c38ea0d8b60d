"""The certificate use case: whose, which period, and the PDF.

Volunteers ask for their own; staff for anyone with a role in their community, which is
logged like an export. The chat handler (handlers/certificates.py) only reads the words and
words the answer; a staff web page would call ``issue`` the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from bot.certificates.document import (
    calendar_year,
    certificate_pdf,
    last_twelve_months,
    volunteer_record,
)
from bot.community import communities
from bot.domain.models import AuditLog, Community, Person
from bot.domain.work import Work

FIRST_YEAR = 2000


@dataclass(frozen=True, slots=True)
class Certificate:
    """The PDF, ready to send: whose it is and its file name."""

    person_id: int
    filename: str
    pdf: bytes


@dataclass(frozen=True, slots=True)
class NothingRecorded:
    """No help and no dates in the period; the name for the answer."""

    person_id: int
    name: str


@dataclass(frozen=True, slots=True)
class YearOutOfRange:
    """The year asked for has not begun, or is too long ago: these are possible."""

    first: int
    last: int


# "not_here": someone else's, and they have no role in the community.
Outcome = Certificate | NothingRecorded | YearOutOfRange | Literal["not_here"]


async def issue(
    work: Work, community: Community, person_id: int, year: int | None, *, by: int
) -> Outcome:
    """The certificate of ``person_id`` for a calendar year (None: the last 12 months),
    asked for by ``by``; someone else's only when they have a role in the community."""
    local_today = work.now.astimezone(ZoneInfo(community.timezone)).date()
    if year is None:
        since, until = last_twelve_months(work.now)
    elif not FIRST_YEAR <= year <= local_today.year:
        return YearOutOfRange(FIRST_YEAR, local_today.year)
    else:
        since, until = calendar_year(year, community.timezone)
    other = person_id != by
    if other and not await communities.granted_roles(work.session, person_id, community.id):
        return "not_here"
    person = await work.session.get(Person, person_id)
    assert person is not None
    record = await volunteer_record(work.session, person_id, community, since, until)
    if record.empty:
        return NothingRecorded(person_id, person.display_name)
    if other:
        # Staff see and hand out someone else's figures: logged like an export.
        work.session.add(
            AuditLog(
                at=work.now,
                actor_person_id=by,
                community_id=community.id,
                action="certificate",
                details={
                    "person": person_id,
                    "year": str(year) if year is not None else "12 months",
                },
            )
        )
    pdf = certificate_pdf(record, community, person.display_name, local_today)
    name = f"nachweis-{year}" if year is not None else f"nachweis-{local_today:%Y-%m-%d}"
    if other:
        name += f"-{person_id}"
    return Certificate(person_id, f"{name}.pdf", pdf)
