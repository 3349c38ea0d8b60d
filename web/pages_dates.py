"""The dates pages: the coming dates, a new date or series, one date with its edit form,
old and new side by side before a change, calling a date off.

Like a chat handler: parse the request, call one use case, render. ``?community=<number>``
(a hidden field in forms) names the group acted on; the person's team role there is checked
on every page and form, the CSRF token on every form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.community import web_access
from bot.community.web_access import Visitor
from bot.dates import editing, events, planning
from bot.dates.details import Details
from bot.domain.models import Community, Event
from bot.domain.when import When, WhenError, parse_when
from bot.domain.work import Work
from bot.language.i18n import N_, _, format_span, pick_locale, use_locale
from bot.language.when_words import when_error
from web import security
from web.common import (
    csrf_ok,
    field,
    form_too_old,
    message,
    number,
    page,
    refused,
    see_other,
    visitor_of,
)
from web.staff import STAFF

DATES = "/staff/dates"
# The edit form's fields, each a detail of the date as staff type it.
TEXTS = ("title", "topic", "place", "bring", "contact")


@dataclass(frozen=True, slots=True)
class Team:
    """Who acts, for which group, and the form's data."""

    visitor: Visitor
    community: Community
    form: Any

    @property
    def locale(self) -> str:
        return pick_locale(self.visitor.locale, None, self.community.locale)


async def team_of(request: web.Request, work: Work) -> Team | web.Response:
    """The signed-in team member and the group the page or form acts on; or the answer:
    sign in, form too old, not for you."""
    staff = request.app[STAFF]
    post = request.method == "POST"
    form = await request.post() if post else request.query
    visitor = await visitor_of(request, staff, work)
    sid = security.session_id(request)
    if visitor is None or sid is None:
        return see_other("/staff/signed-out")
    if post and not csrf_ok(sid, form):
        return form_too_old(request, visitor)
    asked = field(form, "community")
    if asked is None and not post:
        teams = await web_access.team_communities(work, visitor)
        community = teams[0] if teams else None
    else:
        chosen = number(asked)
        community = (
            await web_access.team_community(work, visitor, chosen) if chosen is not None else None
        )
    if community is None:
        return refused(request, pick_locale(visitor.locale, None, None))
    return Team(visitor, community, form)


def not_found(request: web.Request, team: Team) -> web.Response:
    return message(
        request, 404, N_("Not found"), N_("This date does not exist in this group."), team.locale
    )


def show(team: Team, template: str, status: int = 200, **context: Any) -> web.Response:
    return page(
        template,
        team.locale,
        status,
        visitor=team.visitor,
        community=team.community,
        csrf=team.visitor.csrf,
        **context,
    )


def when_of(event: Event, community: Community) -> str:
    return format_span(event.starts_at, event.ends_at, community.timezone)


# The list and a new date.


async def dates(request: web.Request) -> web.Response:
    """The group's coming dates, each a link to its page."""
    async with request.app[STAFF].work() as work:
        team = await team_of(request, work)
        if isinstance(team, web.Response):
            return team
        with use_locale(team.locale):
            coming = await events.coming(work, team.community.id, 50)
            rows = [(e, when_of(e, team.community)) for e in coming]
    return show(team, "dates.html", rows=rows)


async def new_date(request: web.Request) -> web.Response:
    """The form for a new date or series (a rhythm in words, as in chat)."""
    async with request.app[STAFF].work() as work:
        team = await team_of(request, work)
    if isinstance(team, web.Response):
        return team
    return show(team, "date_new.html", values={}, errors={})


async def create(request: web.Request) -> web.Response:
    """Store the new date or series; a mistake: the form again, what was typed kept, the
    reason next to the field (in the visitor's language)."""
    staff = request.app[STAFF]
    async with staff.work() as work:
        team = await team_of(request, work)
        if isinstance(team, web.Response):
            return team
        with use_locale(team.locale):
            values, when, errors = _new_date(work, team)
        if when is None or errors:
            return show(team, "date_new.html", 400, values=values, errors=errors)
        details = Details(
            title=values["title"],
            place=values["place"],
            topic=values["topic"],
            bring=values["bring"],
            contact=values["contact"],
            capacity=int(values["capacity"]) if values["capacity"] else None,
        )
        created = await planning.create_date(
            work,
            team.community,
            when,
            details,
            created_by=team.visitor.person_id,
            policy=staff.policy,
        )
        if not created.events:
            with use_locale(team.locale):
                errors["when"] = _(
                    "I could not find a date in the coming months. Nothing was saved."
                )
            return show(team, "date_new.html", 400, values=values, errors=errors)
        first = created.events[0].id
    return see_other(f"{DATES}/{first}?community={team.community.id}")


def _new_date(work: Work, team: Team) -> tuple[dict[str, str], When | None, dict[str, str]]:
    """The new date's form as typed, its rhythm understood, and what is wrong with it."""
    values = {name: (field(team.form, name) or "").strip() for name in (*TEXTS, "when")}
    values["capacity"] = (field(team.form, "capacity") or "").strip()
    errors = _new_errors(values)
    try:
        when = parse_when(
            values["when"],
            work.now,
            team.community.timezone,
            require_time=True,
            language=team.locale,
        )
    except WhenError as error:
        return values, None, {**errors, "when": when_error(error)}
    return values, when, errors


def _new_errors(values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = _("Please write a title.")
    if not values["place"]:
        errors["place"] = _("Please write the place.")
    capacity = values["capacity"]
    if capacity and (number(capacity) is None or not 0 < int(capacity) <= editing.MAX_CAPACITY):
        errors["capacity"] = _("Please write a number, or leave it empty for no limit.")
    check = editing.check(editing.changes_from({k: values[k] for k in TEXTS}))
    if check is not None and "title" not in errors:
        errors["title"] = _("Please write shorter texts, without special characters.")
    return errors
