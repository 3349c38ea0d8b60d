"""The public calendar page of a community, for everyone: GET /termine/<slug> (English at
/dates/<slug>, or either with ?lang=<code> for any language offered), and its embeddable
form for the town's website at /termine/<slug>/einbetten (/dates/<slug>/embed).

No names and no counts of people, only what a notice board shows: the coming public dates
(``bot.dates.public_page``), large type, high contrast, plain HTML with one style sheet and
no script. Like a chat handler: parse the request, call one use case, render.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.dates import details
from bot.dates.public_page import EMBED, PublicDate, coming_public_dates
from bot.dates.texts import places_line
from bot.language.i18n import _, format_span, language_name, use_locale
from web import public_forms as forms
from web import public_mail
from web.public_site import (
    COMMON,
    EMBED_HEADERS,
    LOCALE,
    MAX_AGE,
    PAGE_HEADERS,
    PREFIXES,
    PUBLIC,
    STYLE,
    PublicWeb,
    SignUpLinks,
    html_page,
    page_locale,
)
from web.templating import STATIC_DIR, render

__all__ = ["PREFIXES", "PublicWeb", "build"]


def build(public: PublicWeb, locale: str) -> web.Application:
    """The public pages in ``locale`` by default; the caller mounts them under the prefix
    of ``PREFIXES`` for that locale."""
    app = web.Application()
    app[PUBLIC] = public
    app[LOCALE] = locale
    app.router.add_get(f"/{STYLE}", _style)
    app.router.add_get("/{slug}", _page)
    app.router.add_get("/{slug}/", _page)
    app.router.add_get("/{slug}/" + EMBED[locale], _embed)
    if public.mail is not None:
        app.router.add_route("*", "/{slug}/anmelden/{date}", public_mail.sign_up)
        app.router.add_route("*", "/{slug}/" + forms.CONFIRM + "/{token}", public_mail.confirm)
        app.router.add_route("*", "/{slug}/newsletter", public_mail.newsletter)
    return app


async def _page(request: web.Request) -> web.StreamResponse:
    return await _answer(request, "public_page.html", PAGE_HEADERS, embedded=False)


async def _embed(request: web.Request) -> web.StreamResponse:
    return await _answer(request, "public_embed.html", EMBED_HEADERS, embedded=True)


async def _style(_request: web.Request) -> web.StreamResponse:
    css = (STATIC_DIR / STYLE).read_bytes()
    headers = {"Cache-Control": f"max-age={MAX_AGE}", **COMMON}
    return web.Response(body=css, content_type="text/css", charset="utf-8", headers=headers)


async def _answer(
    request: web.Request, template: str, headers: dict[str, str], *, embedded: bool
) -> web.Response:
    public = request.app[PUBLIC]
    locale = page_locale(request)
    prefix = next(p for p, lang in PREFIXES.items() if lang == request.app[LOCALE])
    async with public.work() as work:
        found = await coming_public_dates(work, request.match_info["slug"])
    with use_locale(locale):
        if found is None:
            html = render("public_missing.html", {"style": f"{prefix}/{STYLE}"})
            return html_page(html, 404, {**PAGE_HEADERS, "Cache-Control": "no-store"})
        page = f"{prefix}/{found.slug}"
        by_mail = f"?lang={locale}" if public.mail is not None else None
        context: dict[str, Any] = {
            "page": found,
            "dates": [_block(d, found.timezone, public.links, page, by_mail) for d in found.dates],
            "style": f"{prefix}/{STYLE}",
            "languages": _languages(public, locale),
            "feed": f"/kalender/{found.slug}.ics",
            "embedded": embedded,
            "newsletter": f"{page}/newsletter{by_mail}" if by_mail else "",
        }
        html = render(template, context)
    return html_page(html, 200, {**headers, "Cache-Control": f"max-age={MAX_AGE}"})


def _languages(public: PublicWeb, locale: str) -> list[tuple[str, str]]:
    """The page's other languages: (code, name)."""
    return [(code, language_name(code)) for code in public.catalogs.locales if code != locale]


def _block(
    date: PublicDate, timezone: str, links: SignUpLinks, page: str, by_mail: str | None
) -> dict[str, Any]:
    """One date as the page shows it, in the current locale; ``by_mail``: the language
    part of the e-mail form's address, where e-mail is on."""
    return {
        "id": date.id,
        "when": format_span(date.starts_at, date.ends_at, timezone),
        "title": date.title,
        "lines": details.lines(date),
        "cancelled": date.cancelled,
        "contact": date.contact,
        "places": _places(date),
        "links": [
            (_("Sign up in {app}").format(app=app), address)
            for app, address in links(f"termin_{date.id}")
        ],
        "by_mail": f"{page}/anmelden/{date.id}{by_mail}" if by_mail else "",
    }


def _places(date: PublicDate) -> str:
    """ "3 of 10 places free." where the community allows counts (``taken`` is known)."""
    if date.taken is None:
        return ""
    return places_line(date, date.taken, date.waiting)  # type: ignore[arg-type]
