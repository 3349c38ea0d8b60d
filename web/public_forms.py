"""The forms of the public calendar page, for people without a chat app: sign up for a date
with an e-mail address (``bot.dates.web_signup``, double opt-in), and ask for the newsletter
(``bot.newsletter.subscriptions``, double opt-in too). Only where e-mail is switched on.

An anonymous form is guarded four ways: a signed form token with its time (``FORM_HOURS``),
a field people never see (a program filling in every field fills it too), at most
``PER_IP`` sent forms per hour from one address, and the confirm e-mail itself. The page
says "we sent you an e-mail" whatever the address is, so it never tells whose is known.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.dates import web_signup
from bot.dates.texts import details
from bot.language.i18n import _, use_locale
from bot.newsletter import subscriptions
from web.templating import render

FORM_HOURS = 2
PER_IP = 10
MAX_FIELD = 500
HONEYPOT = "website"
CONFIRM = "bestaetigen"
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass
class PublicMail:
    """What the forms need: the link secret and the bot's public address (for the confirm
    link in the e-mail); who sent forms lately (per IP address, in this process)."""

    secret: bytes
    base_url: str
    sent: dict[str, list[datetime]] = field(default_factory=dict)

    def sign(self, value: str) -> str:
        digest = hmac.new(self.secret, value.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:22]

    def form_token(self, slug: str, now: datetime) -> str:
        stamp = str(int(now.timestamp()))
        return f"{stamp}.{self.sign(f'form:{slug}:{stamp}')}"

    def token_ok(self, slug: str, value: str, now: datetime) -> bool:
        stamp, _dot, signature = value.partition(".")
        if not stamp.isdigit() or not hmac.compare_digest(
            signature, self.sign(f"form:{slug}:{stamp}")
        ):
            return False
        age = now.timestamp() - int(stamp)
        return 0 <= age <= FORM_HOURS * 3600

    def confirm_link(self, page: str, key: str, lang: str) -> str:
        signature = self.sign(f"{web_signup.ACTION}:{key}")
        return f"{self.base_url.rstrip('/')}{page}/{CONFIRM}/{key}.{signature}?lang={lang}"

    def confirmed_key(self, value: str) -> str | None:
        key, dot, signature = value.rpartition(".")
        if not dot or not key or len(value) > 100:
            return None
        if not hmac.compare_digest(signature, self.sign(f"{web_signup.ACTION}:{key}")):
            return None
        return key

    def too_many(self, ip: str, now: datetime) -> bool:
        """Counts this form; True when this IP address sent ``PER_IP`` within the hour."""
        recent = [t for t in self.sent.get(ip, []) if now - t < timedelta(hours=1)]
        if len(recent) >= PER_IP:
            self.sent[ip] = recent
            return True
        self.sent[ip] = [*recent, now]
        return False


@dataclass(frozen=True, slots=True)
class Asked:
    """A form as the page got it: its language and fields."""

    lang: str
    fields: dict[str, str]


def problem(fields: dict[str, str], names: tuple[str, ...]) -> bool:
    """A field too long or with control characters (a NUL) is not something a person typed."""
    return any(
        len(fields.get(name, "")) > MAX_FIELD
        or any(ord(c) < 32 and c not in "\t" for c in fields.get(name, ""))
        for name in names
    )


def html(text: str, status: int = 200) -> web.Response:
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=HEADERS
    )


def sent_page(context: dict[str, Any]) -> web.Response:
    """The same answer whatever the address: look into your e-mail."""
    return html(
        render(
            "public_message.html",
            {
                **context,
                "title": _("We sent you an e-mail"),
                "lines": [
                    _("Please open it and confirm with the link in it."),
                    _("If it is not there, please look in your spam folder."),
                ],
            },
        )
    )


def sign_up_form(
    context: dict[str, Any], mail: PublicMail, slug: str, event: Any, community: Any, now: datetime
) -> dict[str, Any]:
    """The template values of the sign-up form for a date."""
    return {
        **context,
        "kind": "sign-up",
        "token": mail.form_token(slug, now),
        "what": [event.title, *details(event, community)],
        "privacy": community.privacy_text,
        "privacy_contact": community.privacy_contact,
    }


async def sign_up_answer(
    work: Any, mail: PublicMail, slug: str, event_id: int, asked: Asked, page: str
) -> str | None:
    """Check the form and ask; None when it was fine, else the message to show."""
    fields = asked.fields
    if problem(fields, ("name", "address", "companions")):
        return _("Please check what you wrote.")
    companions = fields.get("companions", "0").strip()
    if companions not in {str(n) for n in range(web_signup.MAX_COMPANIONS + 1)}:
        return _("Please choose 0 to 3 companions.")
    if web_signup.clean_name(fields.get("name", "")) is None:
        return _("Please write your name.")
    if subscriptions.clean_address(fields.get("address", "")) is None:
        return _("Please check your e-mail address. It looks like this: name@example.de")
    request = web_signup.Request(
        event_id, fields["name"], fields["address"], int(companions), asked.lang
    )
    outcome = await web_signup.ask(
        work, slug, request, lambda key: mail.confirm_link(page, key, asked.lang)
    )
    if outcome == web_signup.MISSING:
        return _("This date takes no sign-ups any more.")
    if outcome == web_signup.INVALID:
        return _("Please check what you wrote.")
    return None


def newsletter_problem(fields: dict[str, str]) -> str | None:
    if problem(fields, ("address", "rhythm")):
        return _("Please check what you wrote.")
    if fields.get("rhythm") not in subscriptions.RHYTHMS:
        return _("Please choose: every week or every month.")
    if subscriptions.clean_address(fields.get("address", "")) is None:
        return _("Please check your e-mail address. It looks like this: name@example.de")
    return None


def confirmed_lines(done: web_signup.Confirmed | None) -> tuple[str, list[str], int]:
    """The page after the confirm button: title, lines, status."""
    if done is None:
        return (
            _("This does not work"),
            [
                _("This page is not valid, or not any more. Nothing was changed."),
                _("Please sign up again on our page."),
            ],
            404,
        )
    title = done.title
    if done.outcome == web_signup.SIGNED_UP:
        return (
            _("You are signed up"),
            [
                _("You are signed up for: {title}").format(title=title),
                _("We sent you the confirmation by e-mail."),
            ],
            200,
        )
    if done.outcome == web_signup.WAITING:
        return (
            _("You are on the waiting list"),
            [
                _("You are on the waiting list for: {title}").format(title=title),
                _("We sent you an e-mail about it."),
            ],
            200,
        )
    if done.outcome == web_signup.ALREADY:
        return (
            _("Already done"),
            [_("You are signed up already for: {title}").format(title=title)],
            200,
        )
    return (
        _("This does not work"),
        [_("This date takes no sign-ups any more. Nothing was changed.")],
        200,
    )


__all__ = ["HEADERS", "PublicMail", "use_locale"]
