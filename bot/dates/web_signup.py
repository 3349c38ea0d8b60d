"""Self sign-up on the public calendar page with an e-mail address (double opt-in).

``ask``: a visitor gave their name, address and companions for a public date. Nothing is a
sign-up yet: a pending request (a button key on the address's e-mail chat, with the name
and the number of people, valid ``PENDING_HOURS``) and one e-mail with the link to confirm.
``confirm``: the link was pressed, so the address is theirs; they are signed up through
``signup.sign_up_caller`` exactly like a caller staff signed up with an address (capacity,
waiting list, the confirmation with its calendar file, reminders, change notices, the
give-back link). ``erase_expired``: requests nobody confirmed are gone after
``PENDING_HOURS``, the address with them.

An address that is signed up already gets an e-mail saying so instead; the page says the
same in every case ("we sent you an e-mail"), so it never tells whose address is known.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select

from bot.chat.types import ChatRef, Outgoing
from bot.dates import rsvps
from bot.dates.public_page import SLUG
from bot.dates.signup import EMAIL, sign_up_caller
from bot.dates.texts import details
from bot.delivery.outbox import enqueue
from bot.domain.addresses import clean_address
from bot.domain.models import (
    Account,
    ButtonToken,
    Chat,
    Community,
    Event,
    NewsletterSubscription,
    OutboxMessage,
    Rsvp,
)
from bot.domain.people import get_or_create_chat
from bot.domain.work import Work
from bot.language.i18n import _, ngettext, use_locale

ACTION = "web-sign-up"
PENDING_HOURS = 24
# Confirmation e-mails to one address within PENDING_HOURS (one per date is normal).
PER_ADDRESS = 3
MAX_COMPANIONS = 3
MAX_NAME = 100
# Outcomes of ``ask`` and ``confirm``.
SENT, INVALID, MISSING = "sent", "invalid", "missing"
SIGNED_UP, WAITING, ALREADY, GONE = "signed-up", "waiting", "already", "gone"
# A name starting with these would be a formula in a table.
_FORMULA = ("=", "+", "@")


@dataclass(frozen=True, slots=True)
class Request:
    """What the form brought, as typed."""

    event_id: int
    name: str
    address: str
    companions: int
    lang: str


@dataclass(frozen=True, slots=True)
class Confirmed:
    outcome: str  # signed-up | waiting | already | gone
    title: str = ""


def clean_name(text: str) -> str | None:
    """The name as stored, or None for no name, a very long one, control characters or a
    formula start."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME or name.startswith(_FORMULA):
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    return name


async def open_event(work: Work, community: Community, event_id: int) -> Event | None:
    """A coming public date of the community that takes sign-ups; None otherwise."""
    event = await work.session.get(Event, event_id)
    if (
        event is None
        or event.community_id != community.id
        or not event.public
        or event.status == "cancelled"
        or event.starts_at <= work.now
    ):
        return None
    return event


async def community_of_page(work: Work, slug: str) -> Community | None:
    """The community whose public page has this address part."""
    if not SLUG.fullmatch(slug):
        return None
    return await work.session.scalar(select(Community).where(Community.slug == slug))


async def date_on_page(work: Work, slug: str, event_id: int) -> tuple[Event, Community] | None:
    """The coming public date the page's sign-up form is for, and its community; None when
    it takes no sign-up."""
    community = await community_of_page(work, slug)
    event = None if community is None else await open_event(work, community, event_id)
    return None if event is None or community is None else (event, community)


async def ask(work: Work, slug: str, request: Request, link: Callable[[str], str]) -> str:
    """Write the confirmation e-mail (or "you are signed up already"); ``link`` makes a
    key's confirm link. INVALID for a bad name, address or count, MISSING for a date that
    takes no sign-up, else SENT (also when this address had enough e-mails today and gets
    none)."""
    name, address = clean_name(request.name), clean_address(request.address)
    if name is None or address is None or not 0 <= request.companions <= MAX_COMPANIONS:
        return INVALID
    community = await community_of_page(work, slug)
    event = None if community is None else await open_event(work, community, request.event_id)
    if community is None or event is None:
        return MISSING
    if event is None:
        return MISSING
    chat = await get_or_create_chat(work.session, ChatRef(EMAIL, address, "direct"), work.now)
    if await _asked_lately(work, chat) >= PER_ADDRESS:
        return SENT
    key = secrets.token_urlsafe(18)
    already = await _signed_up(work, event, address)
    with use_locale(request.lang):
        if already:
            subject = _("You are signed up already")
            text = "\n".join(
                [subject, "", event.title, *details(event, community), "", _("Nothing changed.")]
            )
        else:
            subject = _("Please confirm your sign-up")
            text = "\n".join(
                [
                    subject,
                    "",
                    event.title,
                    *details(event, community),
                    "",
                    _("Please open this link to confirm:"),
                    link(key),
                    "",
                    _("You are signed up only after this."),
                    ngettext(
                        "The link works for {hours} hour.",
                        "The link works for {hours} hours.",
                        PENDING_HOURS,
                    ).format(hours=PENDING_HOURS),
                    _("If you did not ask for it, do nothing."),
                ]
            )
    work.session.add(
        ButtonToken(
            key=key,
            chat_id=chat.id,
            action=ACTION,
            args={
                "event": event.id,
                "name": name,
                "party": 1 + request.companions,
                "lang": request.lang,
                "pending": not already,
            },
            label=subject,
            created_at=work.now,
            expires_at=work.now + timedelta(hours=PENDING_HOURS),
        )
    )
    row = await enqueue(
        work.session, chat, Outgoing(text), dedup_key=f"{ACTION}:{key}", now=work.now
    )
    if row is not None:
        row.content = {**row.content, "email": {"subject": subject, "lang": request.lang}}
    return SENT


async def _asked_lately(work: Work, chat: Chat) -> int:
    return int(
        await work.session.scalar(
            select(func.count())
            .select_from(ButtonToken)
            .where(
                ButtonToken.chat_id == chat.id,
                ButtonToken.action == ACTION,
                ButtonToken.expires_at > work.now,
            )
        )
        or 0
    )


async def _signed_up(work: Work, event: Event, address: str) -> bool:
    found = await work.session.scalar(
        select(Rsvp.id)
        .join(Account, Account.person_id == Rsvp.person_id)
        .where(
            Account.platform == EMAIL,
            Account.external_id == address,
            Rsvp.event_id == event.id,
            Rsvp.status.in_((rsvps.YES, rsvps.WAITLIST)),
        )
    )
    return found is not None


async def pending(work: Work, key: str) -> tuple[ButtonToken, Chat] | None:
    """The unconfirmed request behind a confirm link; None when unknown or expired."""
    row = (
        await work.session.execute(
            select(ButtonToken, Chat)
            .join(Chat, Chat.id == ButtonToken.chat_id)
            .where(ButtonToken.key == key, ButtonToken.action == ACTION, Chat.platform == EMAIL)
        )
    ).first()
    if row is None or row[0].expires_at <= work.now or not row[0].args.get("pending"):
        return None
    return row[0], row[1]


async def confirm(work: Work, key: str) -> Confirmed | None:
    """The confirm link was pressed: sign the person up (once). None for an unknown or
    expired link."""
    found = await pending(work, key)
    if found is None:
        return None
    token, chat = found
    args = dict(token.args)
    await work.session.delete(token)
    event = await work.session.get(Event, int(args["event"]))
    community = await work.session.get(Community, event.community_id) if event else None
    if event is None or community is None or await open_event(work, community, event.id) is None:
        return Confirmed(GONE, event.title if event else "")
    if await _signed_up(work, event, chat.external_id):
        return Confirmed(ALREADY, event.title)
    done = await sign_up_caller(
        work,
        community,
        event,
        str(args["name"]),
        None,
        int(args["party"]),
        None,
        email=chat.external_id,
        locale=str(args["lang"]),
    )
    outcome = WAITING if done.result.outcome == rsvps.WAITLIST else SIGNED_UP
    return Confirmed(outcome, event.title)


async def erase_expired(work: Work) -> int:
    """Requests nobody confirmed in time are deleted; so is an address that is nothing
    else (no person, no newsletter, nothing left to send). How many requests went."""
    expired = await work.session.execute(
        delete(ButtonToken).where(ButtonToken.action == ACTION, ButtonToken.expires_at <= work.now)
    )
    waiting = select(ButtonToken.chat_id).where(ButtonToken.action == ACTION)
    unsent = select(OutboxMessage.chat_id).where(OutboxMessage.status == "pending")
    subscribed = select(NewsletterSubscription.address)
    await work.session.execute(
        delete(Chat).where(
            Chat.platform == EMAIL,
            Chat.person_id.is_(None),
            Chat.created_at <= work.now - timedelta(hours=PENDING_HOURS),
            Chat.id.not_in(waiting),
            Chat.id.not_in(unsent),
            Chat.external_id.not_in(subscribed),
        )
    )
    return expired.rowcount or 0
