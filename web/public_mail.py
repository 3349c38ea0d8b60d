"""The public page's e-mail forms as routes: sign up for a date, confirm by the link in the
e-mail, ask for the newsletter (the checks and the texts: ``web.public_forms``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot.dates import web_signup
from bot.language.i18n import _, use_locale
from bot.newsletter import subscriptions
from web import public_forms as forms
from web.public_forms import Asked, PublicMail
from web.public_site import (
    PREFIXES_BY_LOCALE,
    PUBLIC,
    STYLE,
    missing_page,
    page_locale,
    prefix_of,
)
from web.templating import render


def form_context(request: web.Request, locale: str) -> dict[str, Any]:
    slug = request.match_info["slug"]
    page = f"{prefix_of(request)}/{slug}"
    return {
        "style": f"{prefix_of(request)}/{STYLE}",
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


async def posted_fields(request: web.Request) -> dict[str, str]:
    posted = await request.post()
    return {name: value for name, value in posted.items() if isinstance(value, str)}


async def sign_up(request: web.Request) -> web.StreamResponse:
    """GET: the form for one date; POST: check it and send the confirm e-mail."""
    public, locale = request.app[PUBLIC], page_locale(request)
    mail, slug = public.mail, request.match_info["slug"]
    assert mail is not None
    if not request.match_info["date"].isdigit() or request.method not in ("GET", "POST"):
        return missing_page(request)
    event_id = int(request.match_info["date"])
    fields = await posted_fields(request) if request.method == "POST" else {}
    context = form_context(request, locale)
    async with public.work() as work:
        found = await web_signup.date_on_page(work, slug, event_id)
        if found is None:
            return missing_page(request)
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
            stop = refused(request, mail, slug, fields, work.now)
            if stop is not None:
                return stop if isinstance(stop, web.Response) else again(form, fields, stop)
            asked = Asked(locale, fields)
            message = await forms.sign_up_answer(
                work, mail, slug, event_id, asked, f"{PREFIXES_BY_LOCALE['de']}/{slug}"
            )
            if message is not None:
                return again(form, fields, message)
            return forms.sent_page(context)


def again(form: dict[str, Any], fields: dict[str, str], message: str) -> web.Response:
    """The form once more, filled in as sent, with what to change; nothing was done."""
    values = {k: v for k, v in fields.items() if k in ("name", "address", "companions", "rhythm")}
    if forms.problem(values, tuple(values)):
        values = {}
    return forms.html(
        render("public_form.html", {**form, "message": message, "values": values}), 400
    )


def refused(
    request: web.Request, mail: PublicMail, slug: str, fields: dict[str, str], now: datetime
) -> web.Response | str | None:
    """The honeypot (the same answer as success, nothing done), an old or forged form (the
    form again) or too many forms from this address (a page); None to go on."""
    if fields.get(forms.HONEYPOT):
        return forms.sent_page(form_context(request, page_locale(request)))
    if not mail.token_ok(slug, fields.get("token", ""), now):
        return _("This form was open a long time. Please fill it in again.")
    if mail.too_many(client_address(request), now):
        context = form_context(request, page_locale(request))
        lines = [_("You sent this form many times. Please try again in 1 hour.")]
        page = {**context, "title": _("Please wait a little"), "lines": lines}
        return forms.html(render("public_message.html", page), 429)
    return None


async def confirm(request: web.Request) -> web.StreamResponse:
    """The link in the e-mail: GET shows one button, POST signs up."""
    public, locale = request.app[PUBLIC], page_locale(request)
    mail = public.mail
    assert mail is not None
    key = mail.confirmed_key(request.match_info["token"])
    context = form_context(request, locale)
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


async def newsletter(request: web.Request) -> web.StreamResponse:
    """GET: the newsletter form; POST: ask for it (the e-mail brings the confirm link)."""
    public, locale = request.app[PUBLIC], page_locale(request)
    mail, slug = public.mail, request.match_info["slug"]
    assert mail is not None
    fields = await posted_fields(request) if request.method == "POST" else {}
    context = form_context(request, locale)
    async with public.work() as work:
        if await web_signup.community_of_page(work, slug) is None:
            return missing_page(request)
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
            stop = refused(request, mail, slug, fields, work.now)
            if stop is not None:
                return stop if isinstance(stop, web.Response) else again(form, fields, stop)
            message = forms.newsletter_problem(fields)
            if message is not None:
                return again(form, fields, message)
            await subscriptions.subscribe_on_page(
                work, slug, fields["address"], fields["rhythm"], locale, base_url=mail.base_url
            )
            return forms.sent_page(context)


def client_address(request: web.Request) -> str:
    """Who sent the form: the peer, or behind a reverse proxy on this machine (the peer is
    loopback) the last address of its ``X-Forwarded-For``, the one the proxy saw."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and peer in ("127.0.0.1", "::1"):
        return forwarded.rsplit(",", 1)[-1].strip()[:64]
    return peer
