"""Reminder calls on the staff web page: "Morgen bitte anrufen" with names and numbers
for tomorrow's dates, and a button per person to mark the call done. The same use cases
as the chat's list and its buttons (bot/reminders/calls.py)."""

from __future__ import annotations

from aiohttp import web

from bot.language.i18n import N_, format_span, pick_locale, use_locale
from bot.reminders import calls
from web.common import (
    asked_team,
    form_team,
    message,
    not_signed_in,
    number,
    page,
    refused,
    see_other,
    visitor_of,
)
from web.staff import STAFF

CALLS = "/staff/calls"


async def calls_page(request: web.Request) -> web.Response:
    """Tomorrow's calls of one community (``?community=<number>``)."""
    staff = request.app[STAFF]
    async with staff.work() as work:
        visitor = await visitor_of(request, staff, work)
        if visitor is None:
            return not_signed_in()
        community = await asked_team(work, visitor, request.query.get("community"))
        days = await calls.tomorrow(work, community) if community is not None else []
    if community is None:
        return refused(request, pick_locale(visitor.locale, None, None))
    locale = pick_locale(visitor.locale, None, community.locale)
    with use_locale(locale):
        shown = [
            (
                day.event,
                format_span(day.event.starts_at, day.event.ends_at, community.timezone),
                day.calls,
            )
            for day in days
        ]
    return page(
        "calls.html",
        locale,
        visitor=visitor,
        community=community,
        days=shown,
        csrf=visitor.csrf,
    )


async def mark_done(request: web.Request) -> web.Response:
    """A call made: the same use case as the chat's button "…: angerufen"."""
    staff = request.app[STAFF]
    form = await request.post()
    rsvp_id = number(request.match_info["rsvp"])
    async with staff.work() as work:
        found = await form_team(request, staff, work, form)
        if isinstance(found, web.Response):
            return found
        visitor, community = found
        call = await calls.mark_called(work, community, rsvp_id) if rsvp_id is not None else None
    if call is None:
        return message(
            request,
            404,
            N_("Not found"),
            N_("This person is not on the list of calls."),
            pick_locale(visitor.locale, None, community.locale),
        )
    return see_other(f"{CALLS}?community={community.id}#call-{call.rsvp_id}")
