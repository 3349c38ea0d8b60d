"""What every staff page shares: render a page or a message, find the signed-in person,
check a form's CSRF token, read numbers and fields."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.community import web_access
from bot.community.web_access import Visitor
from bot.dates import events
from bot.domain.models import Community, Event
from bot.domain.work import Work
from bot.language.i18n import N_, _, pick_locale, use_locale
from web import security
from web.staff import StaffWeb
from web.templating import render

SIGNED_OUT = "/staff/signed-out"


def page(template: str, locale: str, status: int = 200, **context: Any) -> web.Response:
    with use_locale(locale):
        html = render(template, context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def browser_locale(request: web.Request) -> str:
    """Before anyone signed in: the browser's first language, else German."""
    first = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip()
    return pick_locale(None, first or None, None)


def message(
    request: web.Request, status: int, title: str, text: str, locale: str | None = None
) -> web.Response:
    """A page with one message and, for the signed-in, the way back to the overview."""
    locale = locale or browser_locale(request)
    with use_locale(locale):
        return page(
            "message.html", locale, status, title=_(title), text=_(text), back=status != 401
        )


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def not_signed_in() -> web.Response:
    return see_other(SIGNED_OUT)


def refused(request: web.Request, locale: str | None = None) -> web.Response:
    return message(
        request,
        403,
        N_("Not for you"),
        N_("This page is only for the team of this group."),
        locale,
    )


async def visitor_of(request: web.Request, staff: StaffWeb, work: Work) -> Visitor | None:
    """The signed-in person behind the request's session cookie, if any (and still live)."""
    sid = security.session_id(request)
    if sid is None:
        return None
    return await web_access.visit(work, sid, idle=staff.idle, longest=staff.longest)


def number(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


def csrf_ok(sid: str, form: Any) -> bool:
    sent = form.get("csrf")
    return isinstance(sent, str) and web_access.csrf_matches(sid, sent)


def form_too_old(request: web.Request, visitor: Visitor) -> web.Response:
    return message(
        request,
        403,
        N_("This form is too old"),
        N_("Please open the page again and try once more."),
        pick_locale(visitor.locale, None, None),
    )


def field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


async def team_date(work: Work, visitor: Visitor, asked: str) -> tuple[Event, Community] | None:
    """The date with this number and its community, when the visitor is in its team."""
    event_id = number(asked)
    event = await events.by_number(work, event_id) if event_id is not None else None
    if event is None:
        return None
    community = await web_access.team_community(work, visitor, event.community_id)
    return (event, community) if community is not None else None


async def asked_team(work: Work, visitor: Visitor, asked: str | None) -> Community | None:
    """The community a page or form names (its number), when the visitor is in its team."""
    community_id = number(asked)
    if community_id is None:
        return None
    return await web_access.team_community(work, visitor, community_id)


async def page_team(
    request: web.Request, staff: StaffWeb, work: Work
) -> tuple[Visitor, Community] | web.Response:
    """The signed-in visitor and the community ``?community=`` names when they are in its
    team; otherwise the answer to give (sign in, or refused)."""
    visitor = await visitor_of(request, staff, work)
    if visitor is None:
        return not_signed_in()
    community = await asked_team(work, visitor, request.query.get("community"))
    if community is None:
        return refused(request, pick_locale(visitor.locale, None, None))
    return visitor, community


async def form_team(
    request: web.Request, staff: StaffWeb, work: Work, form: Any
) -> tuple[Visitor, Community] | web.Response:
    """Like ``page_team`` for a sent form: its CSRF token checked, the community from its
    ``community`` field."""
    sid = security.session_id(request)
    visitor = await visitor_of(request, staff, work)
    if visitor is None or sid is None:
        return not_signed_in()
    if not csrf_ok(sid, form):
        return form_too_old(request, visitor)
    community = await asked_team(work, visitor, field(form, "community"))
    if community is None:
        return refused(request, pick_locale(visitor.locale, None, None))
    return visitor, community


async def page_date(
    request: web.Request, staff: StaffWeb, work: Work
) -> tuple[Visitor, Event, Community] | web.Response:
    """The signed-in visitor and the date the address names (``{event}``) with its
    community, when they are in its team; otherwise the answer to give (sign in, or
    refused)."""
    visitor = await visitor_of(request, staff, work)
    if visitor is None:
        return not_signed_in()
    return await _date_of(request, work, visitor)


async def form_date(
    request: web.Request, staff: StaffWeb, work: Work, form: Any
) -> tuple[Visitor, Event, Community] | web.Response:
    """Like ``page_date`` for a sent form: its CSRF token checked first."""
    sid = security.session_id(request)
    visitor = await visitor_of(request, staff, work)
    if visitor is None or sid is None:
        return not_signed_in()
    if not csrf_ok(sid, form):
        return form_too_old(request, visitor)
    return await _date_of(request, work, visitor)


async def _date_of(
    request: web.Request, work: Work, visitor: Visitor
) -> tuple[Visitor, Event, Community] | web.Response:
    found = await team_date(work, visitor, request.match_info["event"])
    if found is None:
        return refused(request, pick_locale(visitor.locale, None, None))
    event, community = found
    return visitor, event, community
