"""Data protection: everything stored about a person (access), erasure that keeps only
anonymous counts, and retention periods applied every day.

What is kept after erasure: the person row without name or settings (a number that no
longer leads to anyone), and the rows that carry counts for reports (sign-ups, attendance,
ratings, minutes of help) linked to that number, with every free text, phone number and
platform id removed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import (
    Account,
    Attendance,
    AuditLog,
    Base,
    ButtonToken,
    Chat,
    ConversationState,
    EventHelper,
    Feedback,
    HelpOffer,
    HelpRequest,
    LinkCode,
    OutboxMessage,
    Person,
    ProcessedEvent,
    Role,
    Rsvp,
    UndecryptedEvent,
    VolunteerProfile,
    VolunteerSkill,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retention:
    """How long details are kept ([privacy] config); counts stay."""

    feedback_comments: timedelta = timedelta(days=365)
    help_details: timedelta = timedelta(days=182)
    unreachable_accounts: timedelta = timedelta(days=365)
    sent_messages: timedelta = timedelta(days=90)
    processed_events: timedelta = timedelta(days=30)


def _row(obj: Base) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        out[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


async def everything_about(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """All rows that belong to the person, table by table (for /meine_daten)."""
    person = await session.get(Person, person_id)
    assert person is not None

    async def rows(model: type[Base], *conditions: Any) -> list[dict[str, Any]]:
        found = (await session.scalars(select(model).where(*conditions))).all()
        return [_row(r) for r in found]

    direct = (await session.scalars(select(Chat.id).where(Chat.person_id == person_id))).all()
    return {
        "person": _row(person),
        "accounts": await rows(Account, Account.person_id == person_id),
        "roles": await rows(Role, Role.person_id == person_id),
        "private_chats": await rows(Chat, Chat.person_id == person_id),
        "sign_ups": await rows(Rsvp, Rsvp.person_id == person_id),
        "attendance": await rows(Attendance, Attendance.person_id == person_id),
        "dates_helped": await rows(EventHelper, EventHelper.person_id == person_id),
        "feedback": await rows(Feedback, Feedback.person_id == person_id),
        "help_requests": await rows(
            HelpRequest,
            or_(HelpRequest.requester_id == person_id, HelpRequest.volunteer_id == person_id),
        ),
        "help_offers": await rows(HelpOffer, HelpOffer.volunteer_id == person_id),
        "volunteer_profile": await rows(VolunteerProfile, VolunteerProfile.person_id == person_id),
        "volunteer_skills": await rows(VolunteerSkill, VolunteerSkill.person_id == person_id),
        "open_dialogs": await rows(ConversationState, ConversationState.person_id == person_id),
        "messages_to_you": [
            {"at": r["created_at"], "status": r["status"], "text": r["content"].get("text", "")}
            for r in await rows(OutboxMessage, OutboxMessage.chat_id.in_(direct))
        ],
    }


async def erase(
    session: AsyncSession, person_id: int, now: datetime, *, keep_chat_id: int | None = None
) -> dict[str, int]:
    """Erase the person's personal data in every table; returns what was touched.

    ``keep_chat_id``: the private chat the goodbye still has to reach; it is marked and
    removed by ``purge_erased_chats`` once nothing is waiting for it.
    """
    person = await session.get(Person, person_id)
    assert person is not None
    name = person.display_name
    done: dict[str, int] = {}

    async def run(label: str, statement: Any) -> None:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        done[label] = result.rowcount or 0

    chats = (await session.scalars(select(Chat.id).where(Chat.person_id == person_id))).all()
    gone_chats = [c for c in chats if c != keep_chat_id]
    await run("button_tokens", delete(ButtonToken).where(ButtonToken.chat_id.in_(chats)))
    await run("messages", delete(OutboxMessage).where(OutboxMessage.chat_id.in_(gone_chats)))
    await run("chats", delete(Chat).where(Chat.id.in_(gone_chats)))
    if keep_chat_id is not None:
        await session.execute(
            update(Chat)
            .where(Chat.id == keep_chat_id)
            .values(erased_at=now, title="", choices=None)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.chat_id == keep_chat_id, OutboxMessage.status != "pending")
            .execution_options(synchronize_session=False)
        )
    # Matrix messages of theirs kept until their key comes (encrypted, but theirs).
    matrix_ids = select(Account.external_id).where(
        Account.person_id == person_id, Account.platform == "matrix"
    )
    await run(
        "undecrypted_events",
        delete(UndecryptedEvent).where(UndecryptedEvent.sender.in_(matrix_ids)),
    )
    await run("accounts", delete(Account).where(Account.person_id == person_id))
    await run("roles", delete(Role).where(Role.person_id == person_id))
    await run("dialogs", delete(ConversationState).where(ConversationState.person_id == person_id))
    await run("link_codes", delete(LinkCode).where(LinkCode.person_id == person_id))
    await run(
        "volunteer_skills", delete(VolunteerSkill).where(VolunteerSkill.person_id == person_id)
    )
    await run(
        "volunteer_profile",
        delete(VolunteerProfile).where(VolunteerProfile.person_id == person_id),
    )
    await run("sign_ups", update(Rsvp).where(Rsvp.person_id == person_id).values(phone=None))
    await run(
        "feedback_texts",
        update(Feedback).where(Feedback.person_id == person_id).values(comment="", wish=""),
    )
    await run(
        "help_requests",
        update(HelpRequest)
        .where(HelpRequest.requester_id == person_id)
        .values(description="", when_text="", area="", phone=None, note=""),
    )
    # Messages to groups that named the person (e.g. "Anna, ich habe eine Nachricht …").
    if len(name) >= 3:
        named = (
            await session.scalars(
                select(OutboxMessage).where(
                    cast(OutboxMessage.content, Text).like(f"%{_like(name)}%", escape="\\")
                )
            )
        ).all()
        for message in named:
            message.content = {**message.content, "text": ""}
        done["group_messages"] = len(named)
    person.display_name = ""
    person.locale = None
    person.deployment_admin = False
    person.erased_at = now
    for column in ("age_band", "area", "facts_consent_at"):
        if hasattr(person, column):
            setattr(person, column, None)
    session.add(
        AuditLog(
            at=now, actor_person_id=None, action="person_erased", details={"person": person_id}
        )
    )
    await session.flush()
    return done


async def purge_erased_chats(session: AsyncSession) -> int:
    """Remove the private chats of erased people once nothing waits to be sent to them."""
    waiting = select(OutboxMessage.id).where(
        OutboxMessage.chat_id == Chat.id, OutboxMessage.status.in_(("pending", "sending"))
    )
    chats = (
        await session.scalars(select(Chat.id).where(Chat.erased_at.is_not(None), ~waiting.exists()))
    ).all()
    if chats:
        await session.execute(delete(OutboxMessage).where(OutboxMessage.chat_id.in_(chats)))
        await session.execute(delete(ButtonToken).where(ButtonToken.chat_id.in_(chats)))
        await session.execute(delete(Chat).where(Chat.id.in_(chats)))
    return len(chats)


async def apply_retention(session: AsyncSession, rules: Retention, now: datetime) -> dict[str, int]:
    """Remove details older than their period; log and return what was removed."""
    done: dict[str, int] = {}

    async def run(label: str, statement: Any) -> None:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        done[label] = result.rowcount or 0

    await run(
        "feedback_comments",
        update(Feedback)
        .where(
            Feedback.answered_at < now - rules.feedback_comments,
            or_(Feedback.comment != "", Feedback.wish != ""),
        )
        .values(comment="", wish=""),
    )
    await run(
        "help_request_details",
        update(HelpRequest)
        .where(
            HelpRequest.status.in_(("done", "cancelled")),
            HelpRequest.updated_at < now - rules.help_details,
            or_(
                HelpRequest.description != "",
                HelpRequest.phone.is_not(None),
                HelpRequest.note != "",
                HelpRequest.when_text != "",
            ),
        )
        .values(description="", phone=None, note="", when_text="", area=""),
    )
    # Never reachable since we last asked them to open a chat (or since they came).
    await run(
        "unreachable_accounts",
        delete(Account).where(
            Account.unreachable,
            func.coalesce(Account.start_asked_at, Account.created_at)
            < now - rules.unreachable_accounts,
        ),
    )
    await run(
        "sent_messages",
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(("sent", "failed", "expired")),
            OutboxMessage.created_at < now - rules.sent_messages,
        ),
    )
    await run(
        "processed_events",
        delete(ProcessedEvent).where(ProcessedEvent.processed_at < now - rules.processed_events),
    )
    done["erased_chats"] = await purge_erased_chats(session)
    if any(done.values()):
        log.info("retention removed: %s", ", ".join(f"{k} {v}" for k, v in done.items() if v))
    return done


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
