"""The staff pages: sign-in, sign-out, the overview, and its one form (stop a scheduled post).

Like a chat handler: parse the request, call one use case, render. Every answer is built
inside the request's transaction and returned after it is committed.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.community import web_access
from bot.community.web_access import Visitor
from bot.domain.models import Community
from bot.domain.work import Work
from bot.exports import overview as overviews
from bot.language.i18n import N_, _, pick_locale, use_locale
from web import security
from web.staff import STAFF, StaffWeb
from web.templating import render

OVERVIEW = "/staff/"
SIGNED_OUT = "/staff/signed-out"


def _page(template: str, locale: str, status: int = 200, **context: Any) -> web.Response:
    with use_locale(locale):
        html = render(template, context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def _browser_locale(request: web.Request) -> str:
    """Before anyone signed in: the browser's first language, else German."""
    first = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip()
    return pick_locale(None, first or None, None)


def _message(
    request: web.Request, status: int, title: str, text: str, locale: str | None = None
) -> web.Response:
    """A page with one message and, for the signed-in, the way back to the overview."""
    locale = locale or _browser_locale(request)
    with use_locale(locale):
        return _page(
            "message.html", locale, status, title=_(title), text=_(text), back=status != 401
        )


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _not_signed_in() -> web.Response:
    return _see_other(SIGNED_OUT)


def _refused(request: web.Request, locale: str | None = None) -> web.Response:
    return _message(
        request,
        403,
        N_("Not for you"),
        N_("This page is only for the team of this group."),
        locale,
    )


async def _visitor(request: web.Request, staff: StaffWeb, work: Work) -> Visitor | None:
    sid = security.session_id(request)
    if sid is None:
        return None
    return await web_access.visit(work, sid, idle=staff.idle, longest=staff.longest)


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


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


def _csrf_ok(sid: str, form: Any) -> bool:
    sent = form.get("csrf")
    return isinstance(sent, str) and web_access.csrf_matches(sid, sent)


def _form_too_old(request: web.Request, visitor: Visitor) -> web.Response:
    return _message(
        request,
        403,
        N_("This form is too old"),
        N_("Please open the page again and try once more."),
        pick_locale(visitor.locale, None, None),
    )


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
    return _see_other(f"{OVERVIEW}?community={community.id}")


def _field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


# What the other pages' modules (web/pages_<area>.py) share with these pages.
page = _page
message = _message
see_other = _see_other
refused = _refused
visitor_of = _visitor
number = _number
field = _field
csrf_ok = _csrf_ok
form_too_old = _form_too_old
