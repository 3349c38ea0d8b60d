"""When a private message is impossible: ask in a group, and deliver once the person writes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.types import Outgoing
from bot.delivery.outbox import enqueue, note_queued
from bot.domain import people
from bot.domain.models import Account, Chat, Community, Event, OutboxMessage, Person, Role, Rsvp
from bot.language.i18n import _, use_locale

ASK_AGAIN_AFTER = timedelta(days=1)
UNREACHABLE = "unreachable"


async def ask_to_open_private_chat(
    session: AsyncSession, platform: str, user_id: str, deep_link: str, now: datetime
) -> bool:
    """Post in one group of the person's community a link that opens a chat with the bot.

    At most once a day per person; False when there is no group to ask in.
    """
    account = await session.scalar(
        select(Account).where(Account.platform == platform, Account.external_id == user_id)
    )
    if account is None:
        return False
    if account.start_asked_at is not None and now - account.start_asked_at < ASK_AGAIN_AFTER:
        return False
    row = (
        await session.execute(
            select(Chat, Community)
            .join(Community, Community.id == Chat.community_id)
            .join(Role, Role.community_id == Community.id)
            .where(
                Role.person_id == account.person_id, Chat.platform == platform, Chat.kind == "group"
            )
            .order_by(Role.created_at.desc(), Chat.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return False
    group, community = row
    person = await session.get(Person, account.person_id)
    first_name = (person.display_name if person else "").split(" ")[0]
    with use_locale(community.locale):
        text = _(
            "{name}, I have a message for you.\nPlease tap here and then on Start:\n{link}"
        ).format(name=first_name, link=deep_link)
    account.start_asked_at = now
    await enqueue(
        session,
        group,
        Outgoing(text, about=(account.person_id,)),  # it names them
        dedup_key=f"ask-start:{account.id}:{now.date().isoformat()}",
        now=now,
    )
    return True


async def requeue_after_contact(session: AsyncSession, chat: Chat, now: datetime) -> int:
    """The person wrote to us privately: send what could not be delivered before."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.chat_id == chat.id,
            OutboxMessage.status == "failed",
            OutboxMessage.last_error.like(f"{UNREACHABLE}%"),
        )
        .values(status="pending", due_at=now)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        note_queued(session, chat)
    return count


async def tell_staff_unreachable(
    session: AsyncSession, platform: str, address: str, now: datetime
) -> bool:
    """An address refuses our messages (an e-mail that bounced): tell the staff member who
    signed the person up, privately, with the phone number to call instead. False when
    nobody signed them up (nothing to tell) or that staff member has no private chat."""
    account = await session.scalar(
        select(Account).where(Account.platform == platform, Account.external_id == address)
    )
    if account is None:
        return False
    rsvp = await session.scalar(
        select(Rsvp)
        .where(Rsvp.person_id == account.person_id, Rsvp.added_by.is_not(None))
        .order_by(Rsvp.updated_at.desc(), Rsvp.id.desc())
        .limit(1)
    )
    if rsvp is None or rsvp.added_by is None:
        return False
    chat = await people.private_chat(session, rsvp.added_by, now)
    if chat is None:
        return False
    person = await session.get(Person, account.person_id)
    staff = await session.get(Person, rsvp.added_by)
    community = await session.scalar(
        select(Community)
        .join(Event, Event.community_id == Community.id)
        .where(Event.id == rsvp.event_id)
    )
    locale = (staff.locale if staff else None) or (community.locale if community else None)
    with use_locale(locale or "de"):
        lines = [
            _("An e-mail to {name} did not arrive ({address}).").format(
                name=person.display_name if person else "?", address=address
            ),
            _("I will not write to this address any more."),
        ]
        if rsvp.phone:
            lines.append(_("Please call instead: {phone}").format(phone=rsvp.phone))
    await enqueue(
        session,
        chat,
        Outgoing("\n".join(lines), about=(account.person_id,)),
        dedup_key=f"unreachable:{account.id}:{now.date().isoformat()}",
        now=now,
    )
    return True
