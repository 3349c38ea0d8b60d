"""The staff pages: sign-in, sign-out, the overview, and its one form (stop a scheduled post).

Like a chat handler: parse the request, call one use case, render. Every answer is built
inside the request's transaction and returned after it is committed.
"""

from __future__ import annotations

from aiohttp import web

from bot.community import web_access
from bot.community.web_access import Visitor
from bot.domain.models import Community
from bot.domain.work import Work
from bot.exports import overview as overviews
from bot.language.i18n import N_, pick_locale
from web import security
from web.common import SIGNED_OUT
from web.common import browser_locale as _browser_locale
from web.common import csrf_ok as _csrf_ok
from web.common import field as _field
from web.common import form_too_old as _form_too_old
from web.common import message as _message
from web.common import not_signed_in as _not_signed_in
from web.common import number as _number
from web.common import page as _page
from web.common import refused as _refused
from web.common import see_other as _see_other
from web.common import visitor_of as _visitor
from web.staff import STAFF

OVERVIEW = "/staff/"


# Signing in and out.


async def sign_in_page(request: web.Request) -> web.Response:
    """The link from the chat: one button signs in. Opening alone changes nothing, so a
    link preview (the chat app looking at the address) does not use the link up."""
    return _page("sign_in.html", _browser_locale(request), token=request.match_info["token"])


async def sign_in(request: web.Request) -> web.Response:
    """Use the link: a new session for its person (ending any session this browser had,
    whoever's it was), then the overview; a used or old link: how to get a new one."""
    staff = request.app[STAFF]
    if security.from_elsewhere(request, staff.settings.public_url):
        return _refused(request)
    async with staff.work() as work:
        sid = await web_access.open_link(
            work, request.match_info["token"], security.session_id(request)
        )
    if sid is None:
        return _message(
            request,
            403,
            N_("This link does not work any more"),
            N_(
                "A link works once, for 10 minutes. "
                "Please write /web to the bot in a private chat (Matrix: !web). "
                "You will get a new link."
            ),
        )
    response = _see_other(OVERVIEW)
    security.set_session_cookie(
        response, sid, secure=staff.secure, max_age=int(staff.longest.total_seconds())
    )
    return response


async def signed_out(request: web.Request) -> web.Response:
    """Where a browser without a (live) session lands."""
    return _message(
        request,
        401,
        N_("You are not signed in"),
        N_(
            "Please write /web to the bot in a private chat (Matrix: !web). "
            "You will get a link to sign in."
        ),
    )


async def sign_out(request: web.Request) -> web.Response:
    """The sign-out form: this browser only (/web_abmelden in chat: every browser)."""
    staff = request.app[STAFF]
    form = await request.post()
    sid = security.session_id(request)
    async with staff.work() as work:
        visitor = await _visitor(request, staff, work)
        if visitor is not None and sid is not None and _csrf_ok(sid, form):
            await web_access.end_session(work, sid)
            ended = True
        else:
            ended = False
    if visitor is None:
        return _not_signed_in()
    if not ended:
        return _form_too_old(request, visitor)
    response = _see_other(SIGNED_OUT)
    security.clear_session_cookie(response, secure=staff.secure)
    return response


# The overview.


async def overview(request: web.Request) -> web.Response:
    """The next dates, open help requests and scheduled posts of one community the
    person is in the team of (``?community=<number>`` picks which)."""
    staff = request.app[STAFF]
    asked = request.query.get("community")
    async with staff.work() as work:
        visitor = await _visitor(request, staff, work)
        if visitor is None:
            return _not_signed_in()
        teams = await web_access.team_communities(work, visitor)
        community = await _chosen(work, visitor, teams, asked)
        shown = await overviews.overview(work, community) if community is not None else None
    if community is None or shown is None:
        return _refused(request, pick_locale(visitor.locale, None, None))
    locale = pick_locale(visitor.locale, None, community.locale)
    return _page(
        "overview.html",
        locale,
        visitor=visitor,
        overview=shown,
        teams=teams,
        nav=shown.community_id,
        here="overview",
        csrf=visitor.csrf,
    )


async def _chosen(
    work: Work, visitor: Visitor, teams: list[Community], asked: str | None
) -> Community | None:
    if asked is None:
        return teams[0] if teams else None
    number = _number(asked)
    if number is None:
        return None
    return await web_access.team_community(work, visitor, number)


async def cancel_post(request: web.Request) -> web.Response:
    """The overview's form: a scheduled post is not sent. Checked: session, CSRF token,
    the person's team role in the community the post belongs to."""
    staff = request.app[STAFF]
    form = await request.post()
    sid = security.session_id(request)
    community_id, post_id = _number(_field(form, "community")), _number(request.match_info["post"])
    async with staff.work() as work:
        visitor = await _visitor(request, staff, work)
        if visitor is None or sid is None:
            return _not_signed_in()
        if not _csrf_ok(sid, form):
            return _form_too_old(request, visitor)
        community = (
            await web_access.team_community(work, visitor, community_id)
            if community_id is not None
            else None
        )
        if community is None:
            return _refused(request, pick_locale(visitor.locale, None, None))
        done = post_id is not None and await overviews.cancel_post(work, community.id, post_id)
    if not done:
        return _message(
            request,
            404,
            N_("Not found"),
            N_("This post is no longer planned."),
            pick_locale(visitor.locale, None, community.locale),
        )
    back = "/staff/announcements" if _field(form, "back") == "announcements" else OVERVIEW
    return _see_other(f"{back}?community={community.id}")
