"""Help requests and Digitallotsen: the requests by state (open, offered — to whom, since
when —, taken on — by whom —, handed to staff, done lately), a request for someone who
called (the chat's /hilfe_fuer, same use case: the Digitallotsen are asked as in chat),
and the volunteers with topics, places, times, load and break (read only: in chat only
the Digitallotsen themselves change these)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.domain.models import Community
from bot.domain.names import clean_name
from bot.helping import asking, board
from bot.helping.texts import PLACES
from bot.language.i18n import N_, format_day, format_when, pick_locale, use_locale
from web.common import (
    field,
    form_team,
    message,
    page,
    page_team,
    see_other,
)
from web.staff import STAFF

HELP = "/staff/help"
MAX_NAME = 100
MAX_WHEN = 200
STATE_TITLES = {
    "open": N_("Open: nobody asked yet"),
    "offered": N_("Offered: waiting for an answer"),
    "accepted": N_("Taken on"),
    "escalated": N_("Handed to the team: nobody took it"),
    "done": N_("Done in the last 30 days"),
}
ANSWERS = {
    "": N_("no answer yet"),
    "declined": N_("not this time"),
    "accepted": N_("took it"),
    "taken": N_("too late"),
    "returned": N_("gave it back"),
}
WRONG = N_(
    "Please write the name (at most 100 characters), choose a topic, "
    "and for “Something else” write what the person needs."
)


def _when(community: Community, locale: str) -> Callable[[datetime | None], str]:
    def shown(moment: datetime | None) -> str:
        return format_when(moment, community.timezone, locale) if moment else ""

    return shown


async def help_page(request: web.Request) -> web.Response:
    """The community's help requests by state, and the form for a caller."""
    staff = request.app[STAFF]
    async with staff.work() as work:
        found = await page_team(request, staff, work)
        if isinstance(found, web.Response):
            return found
        visitor, community = found
        locale = pick_locale(visitor.locale, None, community.locale)
        with use_locale(locale):
            requests = await board.requests_by_state(work, community)
            topics = await asking.topics(work, community)
    return page(
        "help.html",
        locale,
        nav=community.id,
        here="help",
        visitor=visitor,
        csrf=visitor.csrf,
        community=community,
        states=[(state, STATE_TITLES[state], requests[state]) for state in board.STATES],
        answers=ANSWERS,
        topics=topics,
        other=asking.OTHER,
        places=PLACES,
        when=_when(community, locale),
        saved=request.query.get("saved"),
    )


def _caller(form: Any, keys: set[str]) -> list[str] | None:
    """The chat's /hilfe_fuer parts from the form (name; phone; topic; what; when; where);
    None when something is missing or wrong."""
    name = clean_name(field(form, "name") or "")
    topic = field(form, "topic") or ""
    what = (field(form, "what") or "").strip()[: asking.MAX_TEXT]
    where = field(form, "where") or "cafe"
    if not name or len(name) > MAX_NAME or where not in PLACES:
        return None
    if topic not in keys or (topic == asking.OTHER and not what):
        return None
    return [
        name,
        (field(form, "phone") or "").strip(),
        what if topic == asking.OTHER else topic,
        what,
        (field(form, "when") or "").strip()[:MAX_WHEN],
        where,
    ]


async def for_caller(request: web.Request) -> web.Response:
    """A help request for someone who called: saved and offered to the Digitallotsen who
    fit, as /hilfe_fuer does; the team hears who takes it."""
    staff = request.app[STAFF]
    form = await request.post()
    async with staff.work() as work:
        found = await form_team(request, staff, work, form)
        if isinstance(found, web.Response):
            return found
        visitor, community = found
        locale = pick_locale(visitor.locale, None, community.locale)
        keys = {topic.key for topic in await asking.topics(work, community)} | {asking.OTHER}
        parts = _caller(form, keys)
        if parts is None:
            return message(request, 400, N_("That did not work"), WRONG, locale)
        saved = await asking.ask_for_caller(
            work, community, visitor.person_id, parts, staff.matching
        )
    return see_other(f"{HELP}?community={community.id}&saved={saved.id}")


async def volunteers_page(request: web.Request) -> web.Response:
    """The Digitallotsen: topics, places, parts of town, times, load, break."""
    staff = request.app[STAFF]
    async with staff.work() as work:
        found = await page_team(request, staff, work)
        if isinstance(found, web.Response):
            return found
        visitor, community = found
        locale = pick_locale(visitor.locale, None, community.locale)
        with use_locale(locale):
            shown = await board.volunteers(work, community)
    return page(
        "volunteers.html",
        locale,
        nav=community.id,
        here="volunteers",
        visitor=visitor,
        csrf=visitor.csrf,
        community=community,
        volunteers=shown,
        day=lambda moment: format_day(moment, community.timezone, locale),
    )
