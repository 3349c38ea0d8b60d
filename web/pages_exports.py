"""Exports: the tables (XLSX) and the half-year report (PDF), one button each, for a period
chosen in a simple form. The chat's export use case makes the file (and checks that the
person coordinates the group, as in chat)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot.exports import files
from bot.exports.choices import REPORT, XLSX, parse_period
from bot.language.i18n import N_, pick_locale
from web.common import (
    field,
    form_team,
    message,
    page,
    page_team,
)
from web.staff import STAFF

# The periods offered (the words the chat's export understands), the first is the default.
PERIODS = (
    ("dieses halbjahr", N_("This half year")),
    ("letztes halbjahr", N_("Last half year")),
    ("dieses jahr", N_("This year")),
)
WHAT = {"tables": "all", "report": REPORT}


async def exports(request: web.Request) -> web.Response:
    """The export form of one community (``?community=<number>``)."""
    staff = request.app[STAFF]
    async with staff.work() as work:
        found = await page_team(request, staff, work)
        if isinstance(found, web.Response):
            return found
        visitor, community = found
    return page(
        "exports.html",
        pick_locale(visitor.locale, None, community.locale),
        community=community,
        periods=PERIODS,
        csrf=visitor.csrf,
    )


async def download(request: web.Request) -> web.Response:
    """One export as a download, with the same file name as in chat."""
    staff = request.app[STAFF]
    form = await request.post()
    async with staff.work() as work:
        found = await form_team(request, staff, work, form)
        if isinstance(found, web.Response):
            return found
        visitor, community = found
        locale = pick_locale(visitor.locale, None, community.locale)
        words, what = field(form, "period"), WHAT.get(field(form, "what") or "")
        today = work.now.astimezone(ZoneInfo(community.timezone)).date()
        period = parse_period(words, today) if words in dict(PERIODS) else None
        if period is None or what is None:
            return message(
                request,
                400,
                N_("That did not work"),
                N_("Please choose a time span and press one of the buttons."),
                locale,
            )
        made = await files.export(
            work,
            community.id,
            period,
            what,
            XLSX,
            asker=files.Asker(visitor.person_id, visitor.deployment_admin),
            via="web",
            locale=locale,
        )
    if isinstance(made, str):
        return message(
            request,
            403,
            N_("Not for you"),
            N_("Sorry, only the coordination of this group may do that."),
            locale,
        )
    file = made.result.files[0]
    return web.Response(
        body=file.data,
        content_type=file.mime_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )
