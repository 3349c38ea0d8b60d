"""The deployment admin's page: every community with its key figures. Only for deployment
admins (the role of /gruppen and /status in chat); community staff are refused."""

from __future__ import annotations

from aiohttp import web

from bot.community import figures
from bot.language.i18n import N_, format_when, pick_locale
from web.common import message, not_signed_in, page, visitor_of
from web.staff import STAFF


async def admin(request: web.Request) -> web.Response:
    staff = request.app[STAFF]
    async with staff.work() as work:
        visitor = await visitor_of(request, staff, work)
        if visitor is None:
            return not_signed_in()
        if not visitor.deployment_admin:
            return message(
                request,
                403,
                N_("Not for you"),
                N_("This page is only for the administrators of the whole bot."),
                pick_locale(visitor.locale, None, None),
            )
        shown = await figures.all_communities(work)
    locale = pick_locale(visitor.locale, None, None)
    return page(
        "admin.html",
        locale,
        here="admin",
        visitor=visitor,
        csrf=visitor.csrf,
        communities=shown,
        when=lambda moment, zone: format_when(moment, zone, locale) if moment else "",
    )
