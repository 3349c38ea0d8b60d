"""The public calendar page of a community, for everyone: GET /termine/<slug> (English at
/dates/<slug>, or either with ?lang=<code> for any language offered), and its embeddable
form for the town's website at /termine/<slug>/einbetten (/dates/<slug>/embed).

No names and no counts of people, only what a notice board shows: the coming public dates
(``bot.dates.public_page``), large type, high contrast, plain HTML with one style sheet and
no script. Like a chat handler: parse the request, call one use case, render.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dates import details
from bot.dates.public_page import EMBED, PAGE, PublicDate, coming_public_dates
from bot.dates.texts import places_line
from bot.domain.work import Work
from bot.language.i18n import Catalogs, _, format_span, install, language_name, use_locale
from web.templating import STATIC_DIR, render

# The German addresses are the ones handed out; the English ones show English by default.
PREFIXES = {path.removesuffix("/{slug}"): locale for locale, path in PAGE.items()}
STYLE = "public.css"
# Like the calendar feed: a cancellation reaches visitors within 5 minutes.
MAX_AGE = 300
# Nothing from elsewhere, nothing inline, no script at all; no forms.
_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
# The full page is never framed; the embeddable form is meant for any town's website
# (public dates only, no form to trick anyone into pressing).
PAGE_HEADERS = {
    "Content-Security-Policy": f"{_CSP}; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
EMBED_HEADERS = {"Content-Security-Policy": f"{_CSP}; frame-ancestors *"}
_COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

# The ways to sign up for a date: (app name as people know it, address) for a date's link
# payload (``termin_<id>``, what a poster's QR code carries).
SignUpLinks = Callable[[str], Sequence[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class PublicWeb:
    """What the public page needs from the bot: built once by the composition root."""

    sessions: async_sessionmaker[AsyncSession]
    now: Callable[[], datetime]
    catalogs: Catalogs
    links: SignUpLinks

    @asynccontextmanager
    async def work(self) -> AsyncIterator[Work]:
        """One transaction for one request, committed when the block ends."""
        install(self.catalogs)
        async with self.sessions() as session, session.begin():
            yield Work(session, self.now())


PUBLIC = web.AppKey("public", PublicWeb)
LOCALE = web.AppKey("locale", str)


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
    return app


async def _page(request: web.Request) -> web.StreamResponse:
    return await _answer(request, "public_page.html", PAGE_HEADERS, embedded=False)


async def _embed(request: web.Request) -> web.StreamResponse:
    return await _answer(request, "public_embed.html", EMBED_HEADERS, embedded=True)


async def _style(_request: web.Request) -> web.StreamResponse:
    css = (STATIC_DIR / STYLE).read_bytes()
    headers = {"Cache-Control": f"max-age={MAX_AGE}", **_COMMON}
    return web.Response(body=css, content_type="text/css", charset="utf-8", headers=headers)


async def _answer(
    request: web.Request, template: str, headers: dict[str, str], *, embedded: bool
) -> web.Response:
    public = request.app[PUBLIC]
    locale = _locale(request, public.catalogs.locales)
    prefix = next(p for p, lang in PREFIXES.items() if lang == request.app[LOCALE])
    async with public.work() as work:
        found = await coming_public_dates(work, request.match_info["slug"])
    with use_locale(locale):
        if found is None:
            html = render("public_missing.html", {"style": f"{prefix}/{STYLE}"})
            return _html(html, 404, {**PAGE_HEADERS, "Cache-Control": "no-store"})
        context: dict[str, Any] = {
            "page": found,
            "dates": [_block(d, found.timezone, public.links) for d in found.dates],
            "style": f"{prefix}/{STYLE}",
            # Every other language offered, each named in itself.
            "others": [
                (code, language_name(code)) for code in public.catalogs.locales if code != locale
            ],
            "feed": f"/kalender/{found.slug}.ics",
            "embedded": embedded,
        }
        html = render(template, context)
    return _html(html, 200, {**headers, "Cache-Control": f"max-age={MAX_AGE}"})


def _locale(request: web.Request, offered: Sequence[str]) -> str:
    """``?lang=`` when that language is offered, else the address's own language."""
    asked = request.query.get("lang", "")
    return asked if asked in offered else request.app[LOCALE]


def _html(text: str, status: int, headers: dict[str, str]) -> web.Response:
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={**headers, **_COMMON},
    )


def _block(date: PublicDate, timezone: str, links: SignUpLinks) -> dict[str, Any]:
    """One date as the page shows it, in the current locale."""
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
    }


def _places(date: PublicDate) -> str:
    """ "3 of 10 places free." where the community allows counts (``taken`` is known)."""
    if date.taken is None:
        return ""
    return places_line(date, date.taken, date.waiting)  # type: ignore[arg-type]
