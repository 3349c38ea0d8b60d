"""The announcements page: what is scheduled, and a form to write an announcement (staff's
own text or a date) for all or some groups, now or at a time typed as in chat; a preview
as each chat app will show it, with the plain-language tips beside it; then send or
schedule. ``/staff/announcements/suggestions`` gives the tips while typing (JSON, for
``static/suggest.js``; without JavaScript they are on the preview page).

Like a chat handler: parse the request, call one use case, render.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.chat.types import clean_text
from bot.dates import announcing
from bot.domain.when import WhenError, parse_when
from bot.domain.work import Work
from bot.language.i18n import _, format_when, use_locale
from bot.language.when_words import when_error
from web.common import field, number
from web.pages_dates import Team, show, team_of
from web.staff import STAFF

PAGE = "/staff/announcements"
NOW, LATER = "now", "later"


@dataclass(frozen=True, slots=True)
class Read:
    """The form as typed, what is wrong with it, and, when nothing is, what to post."""

    values: dict[str, Any]
    errors: dict[str, str]
    draft: announcing.Draft | None
    start: datetime | None
    rrule: str | None


async def announcements_page(request: web.Request) -> web.Response:
    """GET: the empty form; POST (from the preview's "Change"): the form as typed."""
    async with request.app[STAFF].work() as work:
        team = await team_of(request, work)
        if isinstance(team, web.Response):
            return team
        values = _values(team.form) if request.method == "POST" else _fresh()
        with use_locale(team.locale):
            return await _form(work, team, values, {})


async def preview(request: web.Request) -> web.Response:
    """The post as each app will show it, the tips beside it; or the form with the mistakes."""
    async with request.app[STAFF].work() as work:
        team = await team_of(request, work)
        if isinstance(team, web.Response):
            return team
        with use_locale(team.locale):
            read = await _read(work, team)
            if read.draft is None:
                return await _form(work, team, read.values, read.errors, 400)
            shown = await announcing.preview(work, team.community, read.draft)
            when = format_when(read.start, team.community.timezone) if read.start else None
    return show(
        team,
        "announce_preview.html",
        preview=shown,
        values=read.values,
        event=read.draft.event,
        when=when,
        repeats=bool(read.rrule),
        key=field(team.form, "key") or secrets.token_urlsafe(12),
    )


async def send(request: web.Request) -> web.Response:
    """Send now or schedule, through the chat's own use cases; then what happened."""
    async with request.app[STAFF].work() as work:
        team = await team_of(request, work)
        if isinstance(team, web.Response):
            return team
        with use_locale(team.locale):
            read = await _read(work, team)
            if read.draft is None:
                return await _form(work, team, read.values, read.errors, 400)
            key = field(team.form, "key") or secrets.token_urlsafe(12)
            done = await announcing.send(
                work,
                team.community,
                read.draft,
                read.start,
                read.rrule,
                team.visitor.person_id,
                key[:40],
            )
            text = announcing.scheduled_answer(done, bool(read.rrule), team.community.timezone)
    return show(team, "announce_done.html", text=text)


async def suggestions(request: web.Request) -> web.Response:
    """The plain-language tips for the text typed so far, as JSON."""
    async with request.app[STAFF].work() as work:
        team = await team_of(request, work)
        if isinstance(team, web.Response):
            return team
        with use_locale(team.locale):
            found = await announcing.suggestions(
                work, team.community, field(team.form, "text") or ""
            )
    tips = [{"excerpt": f.excerpt, "suggestion": f.suggestion} for f in found]
    return web.json_response({"tips": tips})


async def _form(
    work: Work, team: Team, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> web.Response:
    offered = await announcing.choices(work, team.community)
    return show(
        team,
        "announce.html",
        status,
        choices=offered,
        values=values,
        errors=errors,
        scheduled_when=[format_when(p.due_at, team.community.timezone) for p in offered.scheduled],
        dates_when=[format_when(e.starts_at, team.community.timezone) for e in offered.dates],
    )


def _fresh() -> dict[str, Any]:
    return {"text": "", "date": "", "timing": NOW, "when": "", "chats": None}


def _values(form: Any) -> dict[str, Any]:
    chats = [n for n in (number(v) for v in form.getall("chat", []) if isinstance(v, str)) if n]
    timing = field(form, "timing")
    return {
        "text": clean_text(field(form, "text") or "").strip(),
        "date": (field(form, "date") or "").strip(),
        "timing": LATER if timing == LATER else NOW,
        "when": (field(form, "when") or "").strip(),
        "chats": chats if field(form, "chats_shown") else None,
    }


async def _read(work: Work, team: Team) -> Read:
    """The form checked: text or date, groups, and when."""
    values = _values(team.form)
    errors: dict[str, str] = {}
    event = None
    if values["date"]:
        asked = number(values["date"])
        event = await announcing.draft_event(work, team.community, asked) if asked else None
        if event is None:
            errors["date"] = _("This date cannot be announced any more. Please choose another.")
    elif not values["text"] or len(values["text"]) > announcing.MAX_TEXT:
        errors["text"] = announcing.text_limit()
    if values["chats"] is not None:
        # Only the group's own chats count (a number typed into the form is not one).
        known = {chat.id for chat in await announcing.group_chats(work, team.community)}
        values["chats"] = [chat for chat in values["chats"] if chat in known]
    if values["chats"] is not None and not values["chats"] and event is None:
        errors["chats"] = _("Please choose at least one group.")
    start, rrule = _when(work, team, values, errors, repeat=event is None)
    if errors:
        return Read(values, errors, None, None, None)
    draft = announcing.Draft(values["text"], event, values["chats"])
    return Read(values, errors, draft, start, rrule)


def _when(
    work: Work, team: Team, values: dict[str, Any], errors: dict[str, str], *, repeat: bool
) -> tuple[datetime | None, str | None]:
    if values["timing"] != LATER:
        return None, None
    try:
        when = parse_when(values["when"], work.now, team.community.timezone, require_time=True)
    except WhenError as error:
        errors["when"] = when_error(error)
        return None, None
    if when.rrule and not repeat:
        errors["when"] = _("A date is announced once. Please write one day and time.")
        return None, None
    return when.start, when.rrule
