"""At the door on a tablet: one big button per signed-up person (a form each, no
JavaScript), guests by name, walk-ins counted. The chat's check-in use cases do the work."""

from __future__ import annotations

from aiohttp import web

from bot.community.web_access import Visitor
from bot.dates import checkin
from bot.domain.models import Event
from bot.domain.names import clean_name
from bot.domain.work import Work
from bot.language.i18n import N_, format_when, pick_locale
from web.common import (
    field,
    form_date,
    message,
    number,
    page,
    page_date,
    see_other,
)
from web.staff import STAFF

MAX_NAME = 100
MAX_WALK_INS = 100


def door_address(event_id: int) -> str:
    return f"/staff/dates/{event_id}/door"


async def door(request: web.Request) -> web.Response:
    """The door list of one date."""
    staff = request.app[STAFF]
    async with staff.work() as work:
        found = await page_date(request, staff, work)
        if isinstance(found, web.Response):
            return found
        visitor, event, community = found
        shown = await checkin.door_list(work, event)
    locale = pick_locale(visitor.locale, None, community.locale)
    return page(
        "door.html",
        locale,
        event=event,
        when=format_when(event.starts_at, community.timezone, locale),
        door=shown,
        csrf=visitor.csrf,
        action=door_address(event.id),
        saved=request.query.get("saved"),
    )


async def toggle(request: web.Request) -> web.Response:
    """A name pressed: there, or (pressed again) not there after all."""
    person_id = number(request.match_info["person"])

    async def change(work: Work, visitor: Visitor, event: Event, form: object) -> str | None:
        listed = await checkin.door_list(work, event)
        if person_id is None or not any(p.person_id == person_id for p in listed.people):
            return None
        await checkin.take_attendance(work, event, visitor.person_id)
        await checkin.toggle(work, event, person_id, visitor.person_id)
        return f"#person-{person_id}"

    return await _door_form(request, change, N_("This person is not on the list of this date."))


async def guests(request: web.Request) -> web.Response:
    """A guest's name (checked in), or a number of walk-ins (only counted)."""

    async def change(work: Work, visitor: Visitor, event: Event, form: object) -> str | None:
        name = clean_name(field(form, "name") or "")
        count = number((field(form, "count") or "").strip())
        if name and len(name) <= MAX_NAME:
            await checkin.add_guest(work, event, name, visitor.person_id)
            return "?saved=guest#guests"
        if count is not None and 1 <= count <= MAX_WALK_INS:
            await checkin.add_walk_ins(work, event, count)
            return "?saved=count#guests"
        return None

    return await _door_form(
        request,
        change,
        N_("Please write a name (at most 100 characters) or a number from 1 to 100."),
    )


async def _door_form(request: web.Request, change, wrong: str) -> web.Response:  # type: ignore[no-untyped-def]
    """Checked: session, CSRF token, the person's team role in the date's community; then
    the change, and back to the list (a wrong entry: a short answer, nothing changed)."""
    staff = request.app[STAFF]
    form = await request.post()
    async with staff.work() as work:
        found = await form_date(request, staff, work, form)
        if isinstance(found, web.Response):
            return found
        visitor, event, community = found
        after = await change(work, visitor, event, form)
    if after is None:
        return message(
            request,
            400,
            N_("That did not work"),
            wrong,
            pick_locale(visitor.locale, None, community.locale),
        )
    return see_other(door_address(event.id) + after)
