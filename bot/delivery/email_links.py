"""The links in e-mails: a message's buttons ("Ich kann nicht", the feedback question) as
addresses on the bot's web server, answered with one button on a plain page, no account.

A link is ``/e/<button key>.<signature>``: the button's random key (bound to the person's
e-mail chat, valid as long as the button, 60 days) and an HMAC of it with the deployment's
link secret, so a forged or altered link is refused before the database is asked.

Opening a link shows what it does and one button; only pressing it (a POST) acts. Mail
programs and virus scanners open every link in a message to check it: acting on a GET would
give places back that nobody gave back. The press is handled like a press in the chat (the
same handlers, the answer also goes out by e-mail), once: its event id is the link's, so a
second press finds the first one recorded and the page says it is done already.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.chat.types import ChatRef, Incoming, Sender
from bot.config import Settings
from bot.domain.models import (
    ButtonToken,
    Chat,
    Community,
    OutboxMessage,
    Person,
    ProcessedEvent,
    Role,
)
from bot.language.i18n import Catalogs, _, html_language, install, use_locale

log = logging.getLogger(__name__)

PLATFORM = "email"
ROUTE = "/e/{token}"
SECRET_FILE = "email-link-secret"
SIGNATURE_LENGTH = 22  # 132 bits of the HMAC, URL-safe

Dispatch = Callable[[Incoming], Awaitable[bool]]


def link_secret(settings: Settings) -> bytes:
    """The configured link secret, else one made once and kept in the data directory."""
    configured = settings.email.link_secret.get_secret_value()
    if configured:
        return configured.encode()
    path = Path(settings.bot.data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it a moment ago
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def sign(secret: bytes, key: str) -> str:
    digest = hmac.new(secret, key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_LENGTH]


def token(secret: bytes, key: str) -> str:
    return f"{key}.{sign(secret, key)}"


def verified_key(secret: bytes, value: str) -> str | None:
    """The button key of a link's token, or None when the signature does not match."""
    key, dot, signature = value.rpartition(".")
    if not dot or not key or not hmac.compare_digest(signature, sign(secret, key)):
        return None
    return key


def link_maker(secret: bytes, public_url: str) -> Callable[[str], str | None]:
    """For the e-mail adapter: a button key's link; None without a public address."""
    if not public_url:
        return lambda _key: None
    base = public_url.rstrip("/")
    return lambda key: f"{base}/e/{token(secret, key)}"


class EmailLinks:
    """The web routes of the links: GET shows the page, POST presses the button."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        dispatch: Dispatch,
        now: Callable[[], datetime],
        secret: bytes,
        *,
        locale: str = "de",
        catalogs: Catalogs | None = None,
    ) -> None:
        self._sessions = sessions
        self._dispatch = dispatch
        self._now = now
        self._secret = secret
        self._locale = locale
        self._catalogs = catalogs

    def routes(self) -> list[web.RouteDef]:
        return [web.get(ROUTE, self.show), web.post(ROUTE, self.press)]

    async def show(self, request: web.Request) -> web.StreamResponse:
        found = await self._button(request.match_info["token"])
        lang = await self._person_locale(found[1] if found else None)
        with self._language(lang):
            if found is None:
                return _invalid(lang)
            button, _chat = found
            if await self._used(button.key):
                return _done_already(lang)
            body = [
                f"<h1>{html.escape(button.label)}</h1>",
                "<p>" + html.escape(_("Please tap the button to confirm.")) + "</p>",
                '<form method="post"><button type="submit" '
                'style="font-size:1.3em;padding:0.6em 1.2em">'
                f"{html.escape(button.label)}</button></form>",
            ]
            return _page(lang, button.label, body)

    async def press(self, request: web.Request) -> web.StreamResponse:
        found = await self._button(request.match_info["token"])
        lang = await self._person_locale(found[1] if found else None)
        with self._language(lang):
            if found is None:
                return _invalid(lang)
            button, chat = found
            if await self._used(button.key):
                return _done_already(lang)
        event_id = _event_id(button.key)
        incoming = Incoming(
            chat=ChatRef(PLATFORM, chat.external_id, "direct", chat.title),
            sender=Sender(chat.external_id, chat.title or chat.external_id),
            button_key=button.key,
            event_id=event_id,
        )
        await self._dispatch(incoming)
        answers = await self._answers(event_id)
        with self._language(lang):
            if not answers:
                return _done_already(lang)
            body = [f"<p>{_paragraph(text)}</p>" for text in answers]
            body.append("<p>" + html.escape(_("You also get this by e-mail.")) + "</p>")
            return _page(lang, _("All done"), body)

    def _language(self, lang: str) -> AbstractContextManager[None]:
        if self._catalogs is not None:
            # Each request runs in its own task; the catalogs must be visible to it.
            install(self._catalogs)
        return use_locale(lang)

    async def _person_locale(self, chat: Chat | None) -> str:
        """The page in the language of the e-mails: the person's, else their group's (the
        chat's, else the one the person belongs to)."""
        if chat is None:
            return self._locale
        async with self._sessions() as session:
            person = await session.get(Person, chat.person_id) if chat.person_id else None
            if person is not None and person.locale:
                return person.locale
            community_id = chat.community_id or await session.scalar(
                select(Role.community_id)
                .where(Role.person_id == chat.person_id)
                .order_by(Role.id)
                .limit(1)
            )
            community = await session.get(Community, community_id) if community_id else None
        return community.locale if community is not None else self._locale

    async def _button(self, value: str) -> tuple[ButtonToken, Chat] | None:
        key = verified_key(self._secret, value)
        if key is None:
            return None
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(ButtonToken, Chat)
                    .join(Chat, Chat.id == ButtonToken.chat_id)
                    .where(ButtonToken.key == key, Chat.platform == PLATFORM)
                )
            ).first()
        if row is None:
            return None
        button, chat = row
        if button.expires_at <= self._now() or chat.erased_at is not None:
            return None
        return button, chat

    async def _used(self, key: str) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(
                select(ProcessedEvent.id).where(
                    ProcessedEvent.platform == PLATFORM,
                    ProcessedEvent.event_id == _event_id(key),
                )
            )
        return found is not None

    async def _answers(self, event_id: str) -> list[str]:
        """What the press answered (it goes out by e-mail too), for the page."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(OutboxMessage.content)
                .where(OutboxMessage.dedup_key.like(f"in:{PLATFORM}:{event_id}:%"))
                .order_by(OutboxMessage.id)
            )
            return [str(content.get("text", "")) for content in rows.all()]


def _event_id(key: str) -> str:
    return f"link-{key}"


def _paragraph(text: str) -> str:
    return html.escape(text).replace("\n", "<br>\n")


def _invalid(lang: str) -> web.Response:
    return _page(
        lang,
        _("This does not work"),
        [
            "<p>"
            + html.escape(_("This page is not valid, or not any more. Nothing was changed."))
            + "</p>",
            "<p>" + html.escape(_("If you have a question, please call us.")) + "</p>",
        ],
        status=404,
    )


def _done_already(lang: str) -> web.Response:
    return _page(
        lang,
        _("Already done"),
        ["<p>" + html.escape(_("This is already done. You do not need to do anything.")) + "</p>"],
    )


def _page(lang: str, title: str, body: list[str], status: int = 200) -> web.Response:
    text = (
        f'<!DOCTYPE html>\n<html {html_language(lang)}>\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>\n"
        '<body style="font-family:sans-serif;font-size:20px;line-height:1.5;'
        'max-width:36em;margin:1em auto;padding:0 1em">\n'
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    return web.Response(
        text=text,
        content_type="text/html",
        status=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
