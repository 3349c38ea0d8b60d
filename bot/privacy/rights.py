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
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates import signup
from bot.domain.models import (
    Account,
    Attendance,
    AuditLog,
    Base,
    ButtonToken,
    ButtonTokenSubject,
    Chat,
    ConversationState,
    EventHelper,
    Feedback,
    HelpOffer,
    HelpRequest,
    LinkCode,
    NewsletterSubscription,
    OutboxMessage,
    OutboxSubject,
    Person,
    Role,
    Rsvp,
    UndecryptedEvent,
    VolunteerProfile,
    VolunteerSkill,
    WebSession,
    WebSignIn,
)
from bot.domain.work import Work
from bot.privacy import retention
from bot.privacy.retention import Retention

log = logging.getLogger(__name__)


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
        "newsletter": await rows(
            NewsletterSubscription, NewsletterSubscription.person_id == person_id
        ),
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
        # When the person signed in on the staff web page (the cookie's hash stays out).
        "web_sessions": [
            {"signed_in_at": r["created_at"], "last_seen_at": r["last_seen_at"]}
            for r in await rows(WebSession, WebSession.person_id == person_id)
        ],
        "messages_to_you": [
            {"at": r["created_at"], "status": r["status"], "text": r["content"].get("text", "")}
            for r in await rows(OutboxMessage, OutboxMessage.chat_id.in_(direct))
        ],
    }


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure did: coming dates given back, and rows touched per kind."""

    dates_given_back: int
    touched: dict[str, int]


async def access_report(work: Work, person_id: int) -> dict[str, Any]:
    """Everything stored about the person, table by table (the right of access)."""
    return await everything_about(work.session, person_id)


async def erase_person(work: Work, person_id: int, *, keep_chat_id: int | None = None) -> Erasure:
    """The right to erasure as one use case: the person's coming places go back (the
    waiting list moves up and is told), then their personal data is erased everywhere.

    Help requests keep their status and counts for the reports; their details (text, phone,
    part of town) are erased with the rest. ``keep_chat_id``: see ``erase``.
    """
    given_back = await signup.give_back_all(work, person_id)
    touched = await erase(work.session, person_id, work.now, keep_chat_id=keep_chat_id)
    return Erasure(given_back, touched)


async def erase(
    session: AsyncSession, person_id: int, now: datetime, *, keep_chat_id: int | None = None
) -> dict[str, int]:
    """Erase the person's personal data in every table; returns what was touched.

    ``keep_chat_id``: the private chat the goodbye still has to reach; it is marked and
    removed by ``purge_erased_chats`` once nothing is waiting for it.
    """
    person = await session.get(Person, person_id)
    assert person is not None
    done: dict[str, int] = {}

    async def run(label: str, statement: Any) -> None:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        done[label] = result.rowcount or 0

    chats = (await session.scalars(select(Chat.id).where(Chat.person_id == person_id))).all()
    gone_chats = [c for c in chats if c != keep_chat_id]
    # By reference, never by searching rendered text: every row and button records, when
    # written, whom it is about (bot/delivery/outbox.py), whatever its text or file says.
    about_buttons = select(ButtonTokenSubject.button_key).where(
        ButtonTokenSubject.person_id == person_id
    )
    await run(
        "button_tokens",
        delete(ButtonToken).where(
            or_(ButtonToken.chat_id.in_(chats), ButtonToken.key.in_(about_buttons))
        ),
    )
    about_messages = select(OutboxSubject.outbox_id).where(OutboxSubject.person_id == person_id)
    goodbye = (
        and_(OutboxMessage.chat_id == keep_chat_id, OutboxMessage.status == "pending")
        if keep_chat_id is not None
        else false()
    )
    await run(
        "messages",
        delete(OutboxMessage).where(
            or_(OutboxMessage.chat_id.in_(gone_chats), OutboxMessage.id.in_(about_messages)),
            ~goodbye,
        ),
    )
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
    await run(
        "newsletter",
        delete(NewsletterSubscription).where(NewsletterSubscription.person_id == person_id),
    )
    await run("dialogs", delete(ConversationState).where(ConversationState.person_id == person_id))
    await run("link_codes", delete(LinkCode).where(LinkCode.person_id == person_id))
    # Signed in on the staff web page: those browsers are signed out.
    await run("web_sessions", delete(WebSession).where(WebSession.person_id == person_id))
    await run("web_sign_ins", delete(WebSignIn).where(WebSignIn.person_id == person_id))
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
    person.display_name = ""
    person.locale = None
    person.deployment_admin = False
    person.admin_source = None
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
    """Remove details older than their period (the rules live in ``bot.privacy.retention``)."""
    return await retention.apply(session, rules, now)
