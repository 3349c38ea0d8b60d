"""The newsletter's two web pages on the bot's web server: confirm the subscription, and
unsubscribe. Opening a link only shows the page with one button; pressing it (a POST) acts,
because mail programs and virus scanners open every link in a message to check it. A mail
program's one-click unsubscribe (RFC 8058) is that same POST."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.work import Work
from bot.infra.clock import Clock
from bot.language.i18n import Catalogs, _, install, use_locale
from bot.newsletter import subscriptions
from bot.newsletter.mail import ROUTE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CONFIRM, UNSUBSCRIBE = "bestaetigen", "abbestellen"


def routes(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, catalogs: Catalogs | None
) -> list[web.RouteDef]:
    """The confirm and unsubscribe pages for the web server."""

    async def language(token: str) -> str:
        """The pages in the language the subscriber asked in."""
        async with sessions() as session:
            found = await subscriptions.locale_of(Work(session, clock.now()), token)
        return found or "de"

    async def show(request: web.Request) -> web.StreamResponse:
        _install(catalogs)
        lang = await language(request.match_info["token"])
        with use_locale(lang):
            action = request.match_info["action"]
            if action == CONFIRM:
                return _page(
                    lang, _("Newsletter"), _("Do you want the newsletter?"), _("Yes, please")
                )
            return _page(lang, _("Newsletter"), _("Stop the newsletter?"), _("Stop it"))

    async def act(request: web.Request) -> web.StreamResponse:
        _install(catalogs)
        action, token = request.match_info["action"], request.match_info["token"]
        lang = await language(token)
        async with sessions.begin() as session:
            work = Work(session, clock.now())
            if action == CONFIRM:
                done = await subscriptions.confirm(work, token) is not None
            else:
                done = await subscriptions.unsubscribe(work, token)
        with use_locale(lang):
            if action == CONFIRM and done:
                text = _("Thank you! From now on you get the newsletter.")
            elif action == CONFIRM:
                text = _(
                    "This address does not work any more. Please ask for the newsletter again."
                )
            else:
                text = _("Done. You get no more newsletter e-mails from us.")
            return _page(lang, _("Newsletter"), text, None)

    path = ROUTE + "/{action:" + f"{CONFIRM}|{UNSUBSCRIBE}" + "}/{token}"
    return [web.get(path, show), web.post(path, act)]


def _install(catalogs: Catalogs | None) -> None:
    if catalogs is not None:
        # Each request runs in its own task; the catalogs must be visible to it.
        install(catalogs)


def _page(lang: str, title: str, text: str, button: str | None) -> web.Response:
    form = (
        f'<form method="post"><button type="submit" style="font-size:1.3em;padding:0.5em 1em">'
        f"{html.escape(button)}</button></form>"
        if button
        else ""
    )
    body = (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>\n"
        f'<body style="font-family:sans-serif;font-size:20px;line-height:1.5;max-width:40em">\n'
        f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(text)}</p>\n{form}\n</body>\n</html>\n"
    )
    return web.Response(text=body, content_type="text/html", headers={"Cache-Control": "no-store"})
