"""Texts for the Amtsblatt and the local paper on the staff web page: choose a date, its
series or a month, and download the .odt or the .txt. The same use case as the chat's
/presse (bot/dates/press.py). Reading only, so plain links and GET forms (no CSRF token)."""

from __future__ import annotations

from aiohttp import web

from bot.dates import press
from bot.language.i18n import N_, pick_locale, use_locale
from web.common import (
    message,
    number,
    page,
    page_team,
)
from web.staff import STAFF


async def press_page(request: web.Request) -> web.Response:
    """The two forms (a date or its series; a month) of one community (``?community=``)."""
    staff = request.app[STAFF]
    async with staff.work() as work:
        found = await page_team(request, staff, work)
        if isinstance(found, web.Response):
            return found
        visitor, community = found
        locale = pick_locale(visitor.locale, None, community.locale)
        with use_locale(locale):
            offered = await press.choices(work, community)
    return page(
        "press.html",
        locale,
        visitor=visitor,
        community=community,
        choices=offered,
        csrf=visitor.csrf,
    )


async def press_file(request: web.Request) -> web.Response:
    """The chosen text as a download, with the chat's file name."""
    staff = request.app[STAFF]
    query = request.query
    kind = query.get("format", "")
    async with staff.work() as work:
        found = await page_team(request, staff, work)
        if isinstance(found, web.Response):
            return found
        visitor, community = found
        text = None
        if kind in press.MIME_TYPES:
            text = await press.chosen(
                work,
                community,
                query.get("what", ""),
                number(query.get("event")),
                query.get("month", ""),
            )
    if text is None:
        return message(
            request,
            400,
            N_("That did not work"),
            N_("Please choose a date or a month with public dates, and press one of the buttons."),
            pick_locale(visitor.locale, None, community.locale),
        )
    name, data, mime_type = text.as_file(kind)
    return web.Response(
        body=data,
        content_type=mime_type,
        charset="utf-8" if kind == press.TXT else None,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
