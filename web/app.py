"""The staff web page as an aiohttp application, mounted under /staff/ on the bot's server.

Each request runs in one transaction: find the signed-in person (the session cookie), check
their roles in the community the page or form acts on (the chat's own role check), call
one use case, render. Forms carry the session's CSRF token.
"""

from __future__ import annotations

from aiohttp import web

from web import (
    pages,
    pages_admin,
    pages_announce,
    pages_calls,
    pages_date,
    pages_dates,
    pages_door,
    pages_exports,
    pages_help,
    pages_move,
    pages_people,
    pages_press,
)
from web.security import security_headers
from web.staff import STAFF, StaffWeb
from web.templating import STATIC_DIR

PREFIX = "/staff"


def build(staff: StaffWeb) -> web.Application:
    """The staff pages; the caller mounts them under PREFIX."""
    app = web.Application(middlewares=[security_headers])
    app[STAFF] = staff
    app.router.add_get("/", pages.overview)
    app.router.add_get("/sign-in/{token}", pages.sign_in_page)
    app.router.add_post("/sign-in/{token}", pages.sign_in)
    app.router.add_get("/signed-out", pages.signed_out)
    app.router.add_post("/sign-out", pages.sign_out)
    app.router.add_post("/posts/{post}/cancel", pages.cancel_post)
    app.router.add_get("/dates", pages_dates.dates)
    app.router.add_get("/dates/new", pages_dates.new_date)
    app.router.add_post("/dates/new", pages_dates.create)
    app.router.add_get("/dates/{event}", pages_date.date_page)
    app.router.add_post("/dates/{event}/edit", pages_date.edit)
    app.router.add_post("/dates/{event}/call-off", pages_date.call_off)
    app.router.add_post("/dates/{event}/end", pages_date.end_series)
    app.router.add_post("/dates/{event}/move", pages_move.move)
    app.router.add_get("/dates/{event}/door", pages_door.door)
    app.router.add_post("/dates/{event}/door/guests", pages_door.guests)
    app.router.add_post("/dates/{event}/door/{person}", pages_door.toggle)
    app.router.add_get("/dates/{event}/people", pages_people.people)
    app.router.add_post("/dates/{event}/people/add", pages_people.add_caller)
    app.router.add_post("/dates/{event}/people/{person}/change", pages_people.change_caller)
    app.router.add_post("/dates/{event}/people/{person}/remove", pages_people.remove_caller)
    app.router.add_get("/calls", pages_calls.calls_page)
    app.router.add_post("/calls/{rsvp}/done", pages_calls.mark_done)
    app.router.add_get("/press", pages_press.press_page)
    app.router.add_get("/press/file", pages_press.press_file)
    app.router.add_get("/announcements", pages_announce.announcements_page)
    app.router.add_post("/announcements", pages_announce.announcements_page)
    app.router.add_post("/announcements/preview", pages_announce.preview)
    app.router.add_post("/announcements/send", pages_announce.send)
    app.router.add_post("/announcements/suggestions", pages_announce.suggestions)
    app.router.add_get("/exports", pages_exports.exports)
    app.router.add_post("/exports", pages_exports.download)
    app.router.add_get("/help", pages_help.help_page)
    app.router.add_post("/help/caller", pages_help.for_caller)
    app.router.add_get("/volunteers", pages_help.volunteers_page)
    app.router.add_get("/admin", pages_admin.admin)
    app.router.add_static("/static/", STATIC_DIR)
    return app


__all__ = ["PREFIX", "StaffWeb", "build"]
