"""What the public pages share: the composition root's ``PublicWeb``, the addresses, the
headers, the page's language."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dates.public_page import PAGE
from bot.domain.work import Work
from bot.language.i18n import Catalogs, install
from web.public_forms import PublicMail
from web.templating import render

PREFIXES = {path.removesuffix("/{slug}"): locale for locale, path in PAGE.items()}
PREFIXES_BY_LOCALE = {locale: prefix for prefix, locale in PREFIXES.items()}
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
COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

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
    # The e-mail forms (sign-up, newsletter) where e-mail is switched on.
    mail: PublicMail | None = None

    @asynccontextmanager
    async def work(self) -> AsyncIterator[Work]:
        """One transaction for one request, committed when the block ends."""
        install(self.catalogs)
        async with self.sessions() as session, session.begin():
            yield Work(session, self.now())


PUBLIC = web.AppKey("public", PublicWeb)
LOCALE = web.AppKey("locale", str)


# Each language's name in itself, for the link to the page in it.
def page_locale(request: web.Request) -> str:
    asked = request.query.get("lang", "")
    offered = request.app[PUBLIC].catalogs.locales
    return asked if asked in offered else request.app[LOCALE]


def prefix_of(request: web.Request) -> str:
    return next(p for p, lang in PREFIXES.items() if lang == request.app[LOCALE])


def missing_page(request: web.Request) -> web.Response:
    html = render("public_missing.html", {"style": f"{prefix_of(request)}/{STYLE}"})
    return html_page(html, 404, {**PAGE_HEADERS, "Cache-Control": "no-store"})


def html_page(text: str, status: int, headers: dict[str, str]) -> web.Response:
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={**headers, **COMMON},
    )
