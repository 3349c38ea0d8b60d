"""One date on the staff web page: its facts and edit form, old and new side by side before
a change (one date, or a series from this date on), skipping or cancelling it, ending its
series after it. The people affected are told by the use cases, as in chat."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.dates import editing, events, planning
from bot.dates.editing import Changes
from bot.dates.texts import edit_refused, told_line
from bot.domain.models import Community, Event
from bot.domain.when import WhenError, parse_times
from bot.language.i18n import N_, _, use_locale
from bot.language.when_words import when_error
from web.common import field, number
from web.pages_dates import DATES, TEXTS, Team, not_found, show, team_of, when_of
from web.staff import STAFF

LABELS = {
    "title": N_("Title of the date"),
    "topic": N_("Topic"),
    "place": N_("Place"),
    "time": N_("Time"),
    "capacity": N_("Places"),
    "bring": N_("What to bring"),
    "contact": N_("Contact"),
}


def _local_day(event: Event, community: Community) -> date:
    return event.starts_at.astimezone(ZoneInfo(community.timezone)).date()


def _current(event: Event, community: Community) -> dict[str, str]:
    """The date's details as the edit form shows them."""
    tz = ZoneInfo(community.timezone)
    shown = event.starts_at.astimezone(tz).strftime("%H:%M")
    if event.ends_at is not None:
        shown += "–" + event.ends_at.astimezone(tz).strftime("%H:%M")
    values = {name: str(getattr(event, name) or "") for name in TEXTS}
    values["capacity"] = str(event.capacity) if event.capacity is not None else ""
    values["time"] = shown
    return values


async def date_page(request: web.Request) -> web.Response:
    """One date: its facts, the edit form, calling it off."""
    async with request.app[STAFF].work() as work:
        team = await team_of(request, work)
        if isinstance(team, web.Response):
            return team
        with use_locale(team.locale):
            asked = number(request.match_info["event"])
            event = await events.in_community(work, team.community.id, asked or 0)
            if event is None:
                return not_found(request, team)
            taken, waiting = await events.places(work, event.id)
            return show(
                team,
                "date.html",
                event=event,
                when=when_of(event, team.community),
                values=_current(event, team.community),
                taken=taken,
                waiting=waiting,
                errors={},
            )


def _changes(
    form: Any, now: dict[str, str], event: Event, community: Community
) -> tuple[Changes, dict[str, str], dict[str, str]]:
    """What the form changes (only the fields typed anew), the new values, and the reasons
    a value cannot be used."""
    typed = {name: (field(form, name) or "").strip() for name in now if name in form}
    changed = {name: value for name, value in typed.items() if value != now[name]}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {k: v for k, v in changed.items() if k in TEXTS}
    if "capacity" in changed:
        places = number(changed["capacity"]) if changed["capacity"] else editing.NO_LIMIT
        if places is None or places > editing.MAX_CAPACITY or (changed["capacity"] and not places):
            errors["capacity"] = _("Please write a number, or leave it empty for no limit.")
        else:
            values["capacity"] = places
    if "time" in changed:
        try:
            start, end = parse_times(changed["time"])
        except WhenError as error:
            errors["time"] = when_error(error)
        else:
            values["start_time"] = start
            minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute) if end else 0
            values["duration_minutes"] = minutes
    return editing.changes_from(values), changed, errors


async def edit(request: web.Request) -> web.Response:
    """The edit form sent: first old and new side by side with how many are told; with
    ``confirm``, change the date (or the series from this date on) and tell them."""
    staff = request.app[STAFF]
    async with staff.work() as work:
        team = await team_of(request, work)
        if isinstance(team, web.Response):
            return team
        with use_locale(team.locale):
            community = team.community
            event = await events.in_community(
                work, community.id, number(request.match_info["event"]) or 0
            )
            if event is None:
                return not_found(request, team)
            now = _current(event, community)
            changes, changed, errors = _changes(team.form, now, event, community)
            whole = field(team.form, "scope") == "from" and event.series_id is not None
            page = {"event": event, "when": when_of(event, community), "whole": whole}
            if errors:
                taken, waiting = await events.places(work, event.id)
                values = {**now, **changed}
                context = {**page, "values": values, "taken": taken, "waiting": waiting}
                return show(team, "date.html", 400, errors=errors, **context)
            if field(team.form, "confirm") != "yes":
                found = await editing.preview(
                    work, community.id, event.id, changes, whole_series=whole
                )
                if isinstance(found, str):
                    return _answer(team, 400, edit_refused(found), event)
                rows = [
                    (_(LABELS[name]), now[name] or "-", changed[name] or "-") for name in changed
                ]
                return show(
                    team,
                    "date_preview.html",
                    rows=rows,
                    changed=changed,
                    dates=len(found.dates),
                    people=found.people,
                    **page,
                )
            if whole:
                assert event.series_id is not None
                result = await editing.edit_series(
                    work,
                    community.id,
                    event.series_id,
                    _local_day(event, community),
                    changes,
                    policy=staff.policy,
                )
            else:
                result = await editing.edit_date(
                    work, community.id, event.id, changes, policy=staff.policy
                )
            if isinstance(result, str):
                return _answer(team, 400, edit_refused(result), event)
            return _answer(team, 200, _told(result.told, result.unreachable), event)


def _told(told: int, unreachable: list[planning.Unreachable]) -> tuple[str, list[Any]]:
    if told or unreachable:
        return _("Done.") + " " + told_line(told), unreachable
    return _("Done.") + " " + _("Nobody was signed up."), []


def _answer(
    team: Team, status: int, said: str | tuple[str, list[Any]], event: Event
) -> web.Response:
    text, to_call = (said, []) if isinstance(said, str) else said
    back = f"{DATES}/{event.id}?community={team.community.id}"
    return show(team, "date_done.html", status, text=text, to_call=to_call, back=back, event=event)


async def call_off(request: web.Request) -> web.Response:
    """Skip (a series date) or cancel a date: first the date and how many are told, then,
    with ``confirm``, call it off and tell them, as /ausfallen and /absagen in chat."""
    async with request.app[STAFF].work() as work:
        team = await team_of(request, work)
        if isinstance(team, web.Response):
            return team
        with use_locale(team.locale):
            event = await events.in_community(
                work, team.community.id, number(request.match_info["event"]) or 0
            )
            if event is None:
                return not_found(request, team)
            skip = field(team.form, "kind") == "skip"
            if field(team.form, "confirm") != "yes":
                found = await planning.call_off_preview(work, event, skip=skip)
                if isinstance(found, str):
                    return _answer(team, 400, _call_off_refused(found), event)
                return show(
                    team,
                    "date_call_off.html",
                    event=event,
                    when=when_of(event, team.community),
                    skip=skip,
                    people=found.people,
                    to_call=found.to_call,
                    version=found.version,
                )
            done = await planning.call_off(
                work, team.community, event, skip=skip, expected=field(team.form, "version") or ""
            )
            if isinstance(done, str):
                return _answer(team, 400, _call_off_refused(done), event)
            return _answer(team, 200, _told(done.told, done.unreachable), event)


def _call_off_refused(reason: str) -> str:
    return {
        "already_cancelled": _("This date is cancelled. I have not changed anything."),
        "not_in_series": _("This date is not part of a series. I have not changed anything."),
    }.get(reason, _("The date has changed in the meantime. I have not changed anything."))


async def end_series(request: web.Request) -> web.Response:
    """End the date's series after it: later dates are cancelled and their people told."""
    async with request.app[STAFF].work() as work:
        team = await team_of(request, work)
        if isinstance(team, web.Response):
            return team
        with use_locale(team.locale):
            event = await events.in_community(
                work, team.community.id, number(request.match_info["event"]) or 0
            )
            if event is None:
                return not_found(request, team)
            if event.series_id is None:
                return _answer(team, 400, edit_refused("not_in_series"), event)
            if field(team.form, "confirm") != "yes":
                return show(team, "date_end.html", event=event, when=when_of(event, team.community))
            done = await editing.end_series(
                work, team.community.id, event.series_id, _local_day(event, team.community)
            )
            if isinstance(done, str):
                return _answer(team, 400, edit_refused(done), event)
            return _answer(team, 200, _told(done.told, done.unreachable), event)
