"""The public calendar page of a community, for everyone: GET /termine/<slug> (English at
/dates/<slug>, or either with ?lang=en or ?lang=de), and its embeddable form for the town's
website at /termine/<slug>/einbetten (/dates/<slug>/embed).

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

from bot.dates import details, web_signup
from bot.dates.public_page import EMBED, PAGE, PublicDate, coming_public_dates
from bot.dates.texts import places_line
from bot.domain.work import Work
from bot.language.i18n import Catalogs, _, format_span, install, use_locale
from bot.newsletter import subscriptions
from web import public_forms as forms
from web.public_forms import Asked, PublicMail
from web.templating import STATIC_DIR, render

# The German addresses are the ones handed out; the English ones show English by default.
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
        app.router.add_route("*", "/{slug}/anmelden/{date}", _sign_up)
        app.router.add_route("*", "/{slug}/" + forms.CONFIRM + "/{token}", _confirm)
        app.router.add_route("*", "/{slug}/newsletter", _newsletter)
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
    locale = _locale(request)
    prefix = next(p for p, lang in PREFIXES.items() if lang == request.app[LOCALE])
    async with public.work() as work:
        found = await coming_public_dates(work, request.match_info["slug"])
    with use_locale(locale):
        if found is None:
            html = render("public_missing.html", {"style": f"{prefix}/{STYLE}"})
            return _html(html, 404, {**PAGE_HEADERS, "Cache-Control": "no-store"})
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
    return _html(html, 200, {**headers, "Cache-Control": f"max-age={MAX_AGE}"})


# Each language's name in itself, for the link to the page in it.
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English", "uk": "Українська"}


def _locale(request: web.Request) -> str:
    asked = request.query.get("lang", "")
    offered = request.app[PUBLIC].catalogs.locales
    return asked if asked in offered else request.app[LOCALE]


def _languages(public: PublicWeb, locale: str) -> list[tuple[str, str]]:
    """The page's other languages: (code, name)."""
    return [
        (code, LANGUAGE_NAMES.get(code, code)) for code in public.catalogs.locales if code != locale
    ]


def _prefix(request: web.Request) -> str:
    return next(p for p, lang in PREFIXES.items() if lang == request.app[LOCALE])


def _missing(request: web.Request) -> web.Response:
    html = render("public_missing.html", {"style": f"{_prefix(request)}/{STYLE}"})
    return _html(html, 404, {**PAGE_HEADERS, "Cache-Control": "no-store"})


def _form_context(request: web.Request, locale: str) -> dict[str, Any]:
    slug = request.match_info["slug"]
    page = f"{_prefix(request)}/{slug}"
    return {
        "style": f"{_prefix(request)}/{STYLE}",
        "back": f"{page}?lang={locale}",
        "action": f"{request.path}?lang={locale}",
        "message": "",
        "what": [],
        "values": {},
        "privacy": "",
        "privacy_contact": "",
        "button": "",
        "lines": [],
    }


async def _fields(request: web.Request) -> dict[str, str]:
    posted = await request.post()
    return {name: value for name, value in posted.items() if isinstance(value, str)}


async def _sign_up(request: web.Request) -> web.StreamResponse:
    """GET: the form for one date; POST: check it and send the confirm e-mail."""
    public, locale = request.app[PUBLIC], _locale(request)
    mail, slug = public.mail, request.match_info["slug"]
    assert mail is not None
    if not request.match_info["date"].isdigit() or request.method not in ("GET", "POST"):
        return _missing(request)
    event_id = int(request.match_info["date"])
    fields = await _fields(request) if request.method == "POST" else {}
    context = _form_context(request, locale)
    async with public.work() as work:
        found = await web_signup.date_on_page(work, slug, event_id)
        if found is None:
            return _missing(request)
        with use_locale(locale):
            form = forms.sign_up_form(context, mail, slug, *found, work.now)
            form.update(
                title=_("Sign up with e-mail"),
                button=_("Send"),
                consent=_(
                    "We keep your name and e-mail address for this date. "
                    "We write to you about it by e-mail."
                ),
            )
            if request.method == "GET":
                return forms.html(render("public_form.html", form))
            refused = _refused(request, mail, slug, fields, work.now)
            if refused is not None:
                return (
                    refused if isinstance(refused, web.Response) else _again(form, fields, refused)
                )
            asked = Asked(locale, fields)
            message = await forms.sign_up_answer(
                work, mail, slug, event_id, asked, f"{PREFIXES_BY_LOCALE['de']}/{slug}"
            )
            if message is not None:
                return _again(form, fields, message)
            return forms.sent_page(context)


def _again(form: dict[str, Any], fields: dict[str, str], message: str) -> web.Response:
    """The form once more, filled in as sent, with what to change; nothing was done."""
    values = {k: v for k, v in fields.items() if k in ("name", "address", "companions", "rhythm")}
    if forms.problem(values, tuple(values)):
        values = {}
    return forms.html(
        render("public_form.html", {**form, "message": message, "values": values}), 400
    )


def _refused(
    request: web.Request, mail: PublicMail, slug: str, fields: dict[str, str], now: datetime
) -> web.Response | str | None:
    """The honeypot (the same answer as success, nothing done), an old or forged form (the
    form again) or too many forms from this address (a page); None to go on."""
    if fields.get(forms.HONEYPOT):
        return forms.sent_page(_form_context(request, _locale(request)))
    if not mail.token_ok(slug, fields.get("token", ""), now):
        return _("This form was open a long time. Please fill it in again.")
    if mail.too_many(request.remote or "", now):
        context = _form_context(request, _locale(request))
        lines = [_("You sent this form many times. Please try again in 1 hour.")]
        page = {**context, "title": _("Please wait a little"), "lines": lines}
        return forms.html(render("public_message.html", page), 429)
    return None


async def _confirm(request: web.Request) -> web.StreamResponse:
    """The link in the e-mail: GET shows one button, POST signs up."""
    public, locale = request.app[PUBLIC], _locale(request)
    mail = public.mail
    assert mail is not None
    key = mail.confirmed_key(request.match_info["token"])
    context = _form_context(request, locale)
    done, found = None, False
    async with public.work() as work:
        if request.method == "POST" and key is not None:
            done = await web_signup.confirm(work, key)
        else:
            found = key is not None and await web_signup.pending(work, key) is not None
    with use_locale(locale):
        if request.method != "POST" and found:
            page = {
                **context,
                "title": _("Please confirm your sign-up"),
                "lines": [_("Please tap the button to confirm.")],
                "button": _("Confirm sign-up"),
            }
            return forms.html(render("public_message.html", page))
        title, lines, status = forms.confirmed_lines(done)
        page = {**context, "title": title, "lines": lines}
        return forms.html(render("public_message.html", page), status)


async def _newsletter(request: web.Request) -> web.StreamResponse:
    """GET: the newsletter form; POST: ask for it (the e-mail brings the confirm link)."""
    public, locale = request.app[PUBLIC], _locale(request)
    mail, slug = public.mail, request.match_info["slug"]
    assert mail is not None
    fields = await _fields(request) if request.method == "POST" else {}
    context = _form_context(request, locale)
    async with public.work() as work:
        if await web_signup.community_of_page(work, slug) is None:
            return _missing(request)
        with use_locale(locale):
            form = {
                **context,
                "kind": "newsletter",
                "token": mail.form_token(slug, work.now),
                "title": _("Get our dates by e-mail"),
                "button": _("Send"),
                "consent": _(
                    "We keep your e-mail address to send you our dates. "
                    "Each e-mail has a link to stop it."
                ),
            }
            if request.method != "POST":
                return forms.html(render("public_form.html", form))
            refused = _refused(request, mail, slug, fields, work.now)
            if refused is not None:
                return (
                    refused if isinstance(refused, web.Response) else _again(form, fields, refused)
                )
            message = forms.newsletter_problem(fields)
            if message is not None:
                return _again(form, fields, message)
            await subscriptions.subscribe_on_page(
                work, slug, fields["address"], fields["rhythm"], locale, base_url=mail.base_url
            )
            return forms.sent_page(context)


def _html(text: str, status: int, headers: dict[str, str]) -> web.Response:
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={**headers, **_COMMON},
    )


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
