"""A date's people: who is signed up (with companions), the waiting list, phone callers
(add, change, remove) and a printable call list. The chat's sign-up use cases do the work,
so capacity, the waiting list and telling the people moved up hold as in chat."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.community.web_access import Visitor
from bot.dates import planning, rsvps, signup
from bot.domain.models import Community, Event
from bot.domain.names import clean_name
from bot.domain.numbers import is_number
from bot.domain.work import Work
from bot.language.i18n import N_, format_when, language_name, offered_locales, pick_locale
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
MAX_PHONE = 40
WRONG = N_("Please write a name (at most 100 characters) and the number of people from 1 to 5.")
SAVED = {
    rsvps.YES: "yes",
    rsvps.WAITLIST: "waiting",
}


def people_address(event_id: int) -> str:
    return f"/staff/dates/{event_id}/people"


async def people(request: web.Request) -> web.Response:
    """Everyone signed up for one date, the waiting list, the callers' forms, the call list."""
    staff = request.app[STAFF]
    async with staff.work() as work:
        found = await page_date(request, staff, work)
        if isinstance(found, web.Response):
            return found
        visitor, event, community = found
        shown = await planning.attendees(work, event)
    locale = pick_locale(visitor.locale, None, community.locale)
    return page(
        "people.html",
        locale,
        event=event,
        when=format_when(event.starts_at, community.timezone, locale),
        people=shown,
        callers=[one for one in shown.seated + shown.waiting if one.caller],
        most=rsvps.MAX_PARTY,
        languages=[(code, language_name(code)) for code in offered_locales()],
        language=community.locale,
        csrf=visitor.csrf,
        action=people_address(event.id),
        saved=request.query.get("saved"),
    )


def _caller(form: Any) -> tuple[str, str | None, int] | None:
    """Name, phone number and number of people from a caller's form; None when wrong."""
    name = clean_name(field(form, "name") or "")
    phone = (field(form, "phone") or "").strip()[:MAX_PHONE] or None
    size = (field(form, "size") or "1").strip() or "1"
    if not name or len(name) > MAX_NAME or not is_number(size):
        return None
    if not 1 <= int(size) <= rsvps.MAX_PARTY:
        return None
    return name, phone, int(size)


async def add_caller(request: web.Request) -> web.Response:
    """Sign up someone who phoned in, in their language (their e-mails and letters use it)."""

    async def change(
        work: Work, visitor: Visitor, event: Event, community: Community, form: Any
    ) -> str | None:
        given = _caller(form)
        language = field(form, "language")
        if given is None or (language and language not in offered_locales()):
            return None
        made = await signup.sign_up_caller(
            work, community, event, *given, visitor.person_id, locale=language or None
        )
        return SAVED.get(made.result.outcome, "closed")

    return await _people_form(request, change)


async def change_caller(request: web.Request) -> web.Response:
    """A caller's name, phone number or number of people changed."""
    person_id = number(request.match_info["person"])

    async def change(
        work: Work, visitor: Visitor, event: Event, community: Community, form: Any
    ) -> str | None:
        given = _caller(form)
        if given is None or person_id is None:
            return None
        done = await signup.change_caller(work, community, event, person_id, *given)
        if done is None:
            return None
        return "changed" if done.outcome in SAVED else "no_room"

    return await _people_form(request, change)


async def remove_caller(request: web.Request) -> web.Response:
    """A caller taken off the date."""
    person_id = number(request.match_info["person"])

    async def change(
        work: Work, visitor: Visitor, event: Event, community: Community, form: Any
    ) -> str | None:
        if person_id is None:
            return None
        return "removed" if await signup.remove_caller(work, community, event, person_id) else None

    return await _people_form(request, change)


async def _people_form(request: web.Request, change) -> web.Response:  # type: ignore[no-untyped-def]
    """Checked: session, CSRF token, the person's team role in the date's community; then
    the change, and back to the list with what happened (wrong input: nothing changed)."""
    staff = request.app[STAFF]
    form = await request.post()
    async with staff.work() as work:
        found = await form_date(request, staff, work, form)
        if isinstance(found, web.Response):
            return found
        visitor, event, community = found
        outcome = await change(work, visitor, event, community, form)
    if outcome is None:
        return message(
            request,
            400,
            N_("That did not work"),
            WRONG,
            pick_locale(visitor.locale, None, community.locale),
        )
    return see_other(f"{people_address(event.id)}?saved={outcome}")
