"""E-mail for people without a chat app: each outbox message to an address becomes one
e-mail (text/plain plus simple HTML, the calendar file attached), sent over SMTP.

Only sending: nobody writes to the bot by e-mail. A message's buttons become links
(``link``) that the bot's web server answers (bot/delivery/email_links.py). A message counts
as sent once the SMTP server accepted it; its Message-ID names its outbox row, so a repeat
after a crash is recognisable. Bounces come back to ``bounce+<row>@<bounce_domain>``, which
the mail server hands to the small SMTP listener here (``bounce_port``).

Sends use the standard library's ``smtplib`` in a thread: one message at a time
(``max_in_flight`` 1, so a crash repeats at most one message), so an asynchronous SMTP
client would gain nothing and be one more dependency. A fan-out reuses one SMTP session
(checked with NOOP before each reuse, closed after ``IDLE_SECONDS`` without mail) instead of
connecting, greeting and logging in again for every message.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

from bot.adapters.base import Adapter, Dispatch
from bot.chat.errors import TransientError, Unreachable
from bot.chat.types import Delivery
from bot.config import EmailSection
from bot.delivery.limits import SlidingWindow
from bot.language.i18n import html_language

log = logging.getLogger(__name__)

PLATFORM = "email"
SUBJECT_LENGTH = 78
_BOUNCE = re.compile(r"^bounce\+(\d+)@", re.I)
_URL = re.compile(r"(https?://[^\s<>\"]+)")
# Mail servers drop idle sessions after a few minutes; ours lets go well before that.
IDLE_SECONDS = 30.0

# A button's key to the address that presses it; None where the bot has no public address.
LinkMaker = Callable[[str], str | None]
# Told (platform, outbox row id, reason) for each bounce that arrives.
Bounced = Callable[[str, int, str], Awaitable[None]]


class EmailAdapter(Adapter):
    platform = PLATFORM
    display_name = "E-Mail"
    # Buttons become links to tap or click.
    shows_buttons = True
    takes_messages = False
    supports_edit = False
    answers_presses = False
    has_groups = False
    tells_staff_when_unreachable = True
    # An SMTP send cannot be made idempotent: a crash repeats at most the one in flight.
    max_in_flight = 1

    def __init__(
        self,
        settings: EmailSection,
        *,
        link: LinkMaker | None = None,
        locale: str = "de",
        deployment: str = "",
    ) -> None:
        self._settings = settings
        self.link = link or (lambda _key: None)
        self.locale = locale
        # Set at start from the database (bot.infra.deployment): part of every Message-ID.
        self.deployment = deployment
        self.bounced: Bounced | None = None
        self._window = SlidingWindow(settings.rate_per_minute, 60.0)
        self._bounce_server: asyncio.AbstractServer | None = None
        # The open SMTP session and when it last carried a message (monotonic seconds).
        self._session: smtplib.SMTP | None = None
        self._last_used = 0.0

    async def start(self, dispatch: Dispatch) -> None:
        settings = self._settings
        if settings.bounce_port:
            from aiosmtpd.smtp import SMTP

            handler = _BounceHandler(self)
            loop = asyncio.get_running_loop()
            self._bounce_server = await loop.create_server(
                lambda: SMTP(handler, hostname="lotsenbot"),
                settings.bounce_host,
                settings.bounce_port,
            )
            log.info("bounces taken on smtp://%s:%s", settings.bounce_host, self.bounce_port)

    @property
    def bounce_port(self) -> int:
        if self._bounce_server is not None and self._bounce_server.sockets:
            return int(self._bounce_server.sockets[0].getsockname()[1])
        return self._settings.bounce_port

    async def stop(self) -> None:
        await asyncio.to_thread(self._close_session)
        server, self._bounce_server = self._bounce_server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def wait_ready(self, delivery: Delivery) -> None:
        while (wait := self._window.wait_time(time.monotonic())) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    async def send(self, delivery: Delivery) -> str:
        message = self.compose(delivery)
        self._window.record(time.monotonic())
        await asyncio.to_thread(self._deliver, message, self._envelope_sender(delivery))
        return str(message["Message-ID"])

    def message_id(self, delivery: Delivery) -> str:
        """The outbox row's own Message-ID: the same on every attempt."""
        domain = self._settings.sender_address.rpartition("@")[2] or "lotsenbot"
        tag = f"-{self.deployment[:8]}" if self.deployment else ""
        return f"<outbox-{delivery.id}{tag}@{domain}>"

    def _envelope_sender(self, delivery: Delivery) -> str:
        domain = self._settings.bounce_domain
        return f"bounce+{delivery.id}@{domain}" if domain else self._settings.sender_address

    def compose(self, delivery: Delivery) -> EmailMessage:
        """The e-mail for one outbox row."""
        settings = self._settings
        message = EmailMessage()
        message["From"] = formataddr((settings.sender_name, settings.sender_address))
        message["To"] = formataddr((delivery.chat.title, delivery.chat.external_id))
        mail = delivery.mail or {}
        message["Subject"] = str(mail.get("subject") or _subject(delivery.text))
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = self.message_id(delivery)
        message["Auto-Submitted"] = "auto-generated"
        # A newsletter issue brings its one-click unsubscribe (RFC 8058) and its own HTML.
        for name, value in dict(mail.get("headers") or {}).items():
            message[str(name)] = str(value)
        links = [(b.label, self.link(b.key)) for b in delivery.buttons]
        message.set_content(_plain(delivery.text, links))
        lang = str(delivery.language or mail.get("lang") or self.locale)
        html = mail.get("html") or _html(delivery.text, links, lang)
        message.add_alternative(str(html), subtype="html")
        att = delivery.attachment
        if att is not None:
            maintype, _, subtype = att.mime_type.partition("/")
            if maintype == "text":
                # A calendar file is UTF-8 text: said so, so mail programs read "é" right.
                message.add_attachment(
                    att.data.decode("utf-8", "replace"),
                    subtype=subtype or "plain",
                    charset="utf-8",
                    filename=att.filename,
                )
            else:
                message.add_attachment(
                    att.data,
                    maintype=maintype,
                    subtype=subtype or "octet-stream",
                    filename=att.filename,
                )
        return message

    def _deliver(self, message: EmailMessage, envelope_sender: str) -> None:
        """One message over the open SMTP session (in a thread): accepted, or an error the
        sender understands. Any error closes the session: the next message starts afresh."""
        try:
            self._open_session().send_message(message, from_addr=envelope_sender)
            self._last_used = time.monotonic()
        except smtplib.SMTPRecipientsRefused as exc:
            self._close_session()
            code, reason = next(iter(exc.recipients.values()))
            _raise_for(int(code), _text(reason))
        except smtplib.SMTPDataError as exc:
            self._close_session()
            _raise_for(exc.smtp_code, _text(exc.smtp_error))
        except smtplib.SMTPResponseException as exc:
            self._close_session()
            # The server refused us (login, sender): our configuration, not the address.
            raise TransientError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._close_session()
            raise TransientError(repr(exc)) from exc

    def _open_session(self) -> smtplib.SMTP:
        """The session still open and answering, or a new one (connected, logged in)."""
        smtp = self._session
        if smtp is not None:
            fresh = time.monotonic() - self._last_used < IDLE_SECONDS
            if fresh and _answers(smtp):
                return smtp
            self._close_session()
        settings = self._settings
        smtp = self._connect()
        try:
            if settings.user:
                smtp.login(settings.user, settings.password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        self._session = smtp
        return smtp

    def _close_session(self) -> None:
        smtp, self._session = self._session, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        timeout = settings.timeout_seconds
        if settings.security == "tls":
            return smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        if settings.security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp

    async def bounce(self, outbox_id: int, reason: str) -> None:
        """A delivery status notification for one of our messages arrived."""
        log.warning("e-mail of outbox row %s bounced: %s", outbox_id, reason)
        if self.bounced is not None:
            # Only a row of an e-mail: a bounce address names any number.
            await self.bounced(self.platform, outbox_id, reason)


def _answers(smtp: smtplib.SMTP) -> bool:
    """Whether a session kept open is still there (the server may have closed it)."""
    try:
        return smtp.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _raise_for(code: int, reason: str) -> None:
    """4xx: try again later; 5xx: this address takes no mail from us."""
    if 500 <= code < 600:
        raise Unreachable(f"{code} {reason}")
    raise TransientError(f"{code} {reason}")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _subject(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "Lotsenbot")
    return first if len(first) <= SUBJECT_LENGTH else first[: SUBJECT_LENGTH - 1] + "…"


def _plain(text: str, links: list[tuple[str, str | None]]) -> str:
    lines = [text]
    if links:
        lines.append("")
        lines += [f"{label}: {url}" if url else label for label, url in links]
    return "\n".join(lines) + "\n"


def _html(text: str, links: list[tuple[str, str | None]], locale: str) -> str:
    """Simple, accessible HTML: large text, paragraphs as written, links that say what they do."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    body = [f"<p>{_linked(p)}</p>" for p in paragraphs]
    for label, url in links:
        if url:
            body.append(
                f'<p><a href="{html.escape(url)}" style="font-size:1.2em;font-weight:bold">'
                f"{html.escape(label)}</a></p>"
            )
        else:
            body.append(f"<p>{html.escape(label)}</p>")
    title = html.escape(_subject(text))
    return (
        f'<!DOCTYPE html>\n<html {html_language(locale)}>\n<head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n"
        '<body style="font-family:sans-serif;font-size:18px;line-height:1.5">\n'
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _linked(paragraph: str) -> str:
    escaped = html.escape(paragraph)
    escaped = _URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', escaped)
    return escaped.replace("\n", "<br>\n")


class _BounceHandler:
    """aiosmtpd handler: takes mail for bounce+<row>@… only and reports each row."""

    def __init__(self, adapter: EmailAdapter) -> None:
        self._adapter = adapter

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if not _BOUNCE.match(address):
            return "550 5.1.1 not a bounce address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reason = _bounce_reason(envelope.content)
        for address in envelope.rcpt_tos:
            match = _BOUNCE.match(address)
            if match:
                try:
                    await self._adapter.bounce(int(match.group(1)), reason)
                except Exception:
                    log.exception("recording a bounce failed")
                    return "451 4.3.0 try again later"
        return "250 OK"


def _bounce_reason(content: bytes | str) -> str:
    """The DSN's "Diagnostic-Code" or "Status" line, else its subject."""
    text = _text(content)
    for name in ("Diagnostic-Code", "Status", "Subject"):
        match = re.search(rf"^{name}:\s*(.+)$", text, re.M | re.I)
        if match:
            return match.group(1).strip()[:200]
    return "bounced"
