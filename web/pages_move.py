"""Moving a date to another day and time on the staff web page: first old and new side by
side with how many people are told, then, confirmed, the move; everyone signed up hears it
as when staff move a date in chat (/verschieben)."""

from __future__ import annotations

from aiohttp import web

from bot.dates import events, planning
from bot.dates.texts import told_line
from bot.domain.when import WhenError, parse_when
from bot.language.i18n import format_span, use_locale
from bot.language.when_words import when_error
from web.common import field, number
from web.pages_dates import DATES, not_found, show, team_of, when_of
from web.staff import STAFF


async def move(request: web.Request) -> web.Response:
    """The move form sent: the new day and time in words ("9.12. 15 Uhr"); a mistake: the
    reason next to the field; else old and new; with ``confirm``, move and tell."""
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
            if event is None or event.status == "cancelled":
                return not_found(request, team)
            typed = (field(team.form, "new_when") or "").strip()
            page = {"event": event, "when": when_of(event, community), "typed": typed}
            try:
                when = parse_when(
                    typed, work.now, community.timezone, require_time=True, language=team.locale
                )
                if when.rrule is not None:
                    raise WhenError("unknown")
            except WhenError as error:
                return show(team, "date_move.html", 400, error=when_error(error), **page)
            new = format_span(when.start, when.end, community.timezone)
            if field(team.form, "confirm") != "yes":
                people = await planning.people_to_tell(work, event)
                return show(team, "date_move.html", new=new, people=people, error="", **page)
            told = await planning.move_date(
                work,
                community,
                event,
                when.start,
                when.end,
                None,
                policy=staff.policy,
                change_id=f"web:{planning.version(event)}:{when.start.isoformat()}",
            )
            back = f"{DATES}/{event.id}?community={community.id}"
            text = told_line(told.told)
            return show(
                team, "date_done.html", text=text, to_call=told.unreachable, back=back, event=event
            )
