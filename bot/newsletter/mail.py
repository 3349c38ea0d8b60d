"""Newsletter e-mails as outbox rows: to the address's e-mail chat (platform "email", the
address as its id, as bot/adapters/email.py sends them), with the subject, the plain text,
simple HTML and the headers for one-click unsubscribe (RFC 8058) in ``content["email"]``."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from bot.chat.types import Outgoing
from bot.delivery.outbox import enqueue
from bot.domain.models import Chat, NewsletterSubscription
from bot.domain.work import Work
from bot.language.i18n import html_language

EMAIL = "email"
ROUTE = "/newsletter"
_URL = re.compile(r"(https?://[^\s<>\"]+|/newsletter/[^\s<>\"]+)")


def link(base_url: str, action: str, token: str) -> str:
    """ "https://termine.stadt.example/newsletter/bestaetigen/<token>"."""
    return f"{base_url.rstrip('/')}{ROUTE}/{action}/{token}"


async def _chat(work: Work, subscription: NewsletterSubscription) -> Chat:
    chat = await work.session.scalar(
        select(Chat).where(Chat.platform == EMAIL, Chat.external_id == subscription.address)
    )
    if chat is None:
        chat = Chat(
            platform=EMAIL,
            external_id=subscription.address,
            kind="direct",
            community_id=subscription.community_id,
            person_id=subscription.person_id,
            created_at=work.now,
        )
        work.session.add(chat)
        await work.session.flush()
    return chat


async def send(
    work: Work,
    subscription: NewsletterSubscription,
    subject: str,
    text: str,
    dedup_key: str,
    *,
    unsubscribe_url: str | None = None,
) -> bool:
    """Queue one e-mail; False when this key was queued before (sent once, across
    restarts)."""
    chat = await _chat(work, subscription)
    about = (subscription.person_id,) if subscription.person_id is not None else ()
    row = await enqueue(
        work.session, chat, Outgoing(text, about=about), dedup_key=dedup_key, now=work.now
    )
    if row is None:
        return False
    headers = {}
    if unsubscribe_url:
        headers = {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    email = {
        "to": subscription.address,
        "subject": subject,
        "html": as_html(text, subscription.locale),
        "headers": headers,
    }
    row.content = {**row.content, "email": email}
    return True


def as_html(text: str, locale: str) -> str:
    """Simple, accessible HTML: one paragraph per block, links clickable, large enough."""
    blocks = text.split("\n\n")
    title = html.escape(blocks[0])
    body = [f"<h1>{title}</h1>"]
    for block in blocks[1:]:
        lines = [_linked(line) for line in block.split("\n")]
        body.append("<p>" + "<br>\n".join(lines) + "</p>")
    return (
        f'<!DOCTYPE html>\n<html {html_language(locale)}>\n<head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n"
        '<body style="font-family:sans-serif;font-size:18px;line-height:1.5">\n'
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _linked(line: str) -> str:
    escaped = html.escape(line)
    return _URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', escaped)
