"""Writing messages into the outbox, in the caller's transaction."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import ButtonToken, Chat, OutboxMessage
from bot.i18n import _
from bot.types import Attachment, ChatRef, Delivery, Outgoing, RenderedButton

BUTTON_LIFETIME = timedelta(days=60)


def choice_hint(count: int) -> str:
    """ "Antworten Sie mit 1, 2 oder 3." in the current locale."""
    if count <= 1:
        return _("Answer with 1.")
    numbers = ", ".join(str(n) for n in range(1, count))
    return _("Answer with {numbers} or {last}.").format(numbers=numbers, last=count)


async def enqueue(
    session: AsyncSession,
    chat: Chat,
    outgoing: Outgoing,
    *,
    dedup_key: str,
    now: datetime,
    due_at: datetime | None = None,
    known_new: bool = False,
) -> OutboxMessage | None:
    """Queue a message for a chat; a second call with the same dedup key adds nothing.

    ``known_new`` skips the look-up where the key cannot exist yet (a reply to an event
    recorded as new in this transaction); the unique index still guards it.
    """
    if not known_new:
        existing = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key)
        )
        if existing is not None:
            return None
    rendered: list[dict[str, str]] = []
    for button in outgoing.buttons:
        key = secrets.token_urlsafe(9)
        session.add(
            ButtonToken(
                key=key,
                chat_id=chat.id,
                action=button.action,
                args=dict(button.args),
                label=button.label,
                aliases=list(button.aliases),
                created_at=now,
                expires_at=now + BUTTON_LIFETIME,
            )
        )
        rendered.append({"label": button.label, "key": key})
    if rendered:
        # A typed number in this chat now refers to these buttons.
        chat.choices = [item["key"] for item in rendered]
    content: dict[str, Any] = {"text": outgoing.text, "buttons": rendered}
    if rendered:
        content["choice_hint"] = choice_hint(len(rendered))
    data = None
    if outgoing.attachment is not None:
        att = outgoing.attachment
        content["attachment"] = {
            "filename": att.filename,
            "mime_type": att.mime_type,
            "is_image": att.is_image,
        }
        data = att.data
    message = OutboxMessage(
        dedup_key=dedup_key,
        chat_id=chat.id,
        content=content,
        attachment=data,
        status="pending",
        due_at=due_at or now,
        created_at=now,
    )
    session.add(message)
    return message


def to_delivery(row: OutboxMessage, chat: Chat) -> Delivery:
    """The adapter's view of an outbox row."""
    content = row.content
    attachment = None
    if "attachment" in content and row.attachment is not None:
        meta = content["attachment"]
        attachment = Attachment(
            meta["filename"], row.attachment, meta["mime_type"], meta["is_image"]
        )
    return Delivery(
        id=row.id,
        dedup_key=row.dedup_key,
        chat=ChatRef(chat.platform, chat.external_id, chat.kind, chat.title),  # type: ignore[arg-type]
        text=content["text"],
        buttons=tuple(RenderedButton(b["label"], b["key"]) for b in content.get("buttons", [])),
        choice_hint=content.get("choice_hint", ""),
        attachment=attachment,
        edit_message_id=content.get("edit_message_id"),
    )
