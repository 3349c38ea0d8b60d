"""Telling people about their dates: privately in their language, else in the group.

Used by handlers and by the scheduler; every message goes through the outbox with a dedup key
derived from the change, so a retry or restart never tells anyone twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.platforms import command_prefix, shows_buttons, takes_messages
from bot.chat.types import Attachment, Button, Outgoing, subject_ids
from bot.community import communities
from bot.dates import rsvps
from bot.dates.texts import announcement
from bot.delivery.outbox import enqueue, enqueue_edit
from bot.domain import people
from bot.domain.models import Chat, Community, Event, EventPost, Person
from bot.language.choosing import joined, tap_only
from bot.language.i18n import use_locale


async def tell_person(
    session: AsyncSession,
    person_id: int,
    community: Community,
    build: Callable[[str], str],
    dedup_key: str,
    now: datetime,
    attachment: Callable[[], Attachment] | None = None,
    buttons: Callable[[], tuple[Button, ...]] | None = None,
    expires_at: datetime | None = None,
    about: Iterable[int | None] = (),
    tap_hint: Callable[[], str] | None = None,
    by_link: tuple[Callable[[], str], Callable[[], tuple[Button, ...]]] | None = None,
) -> bool:
    """Write to one person privately; False when they have no chat with us (phone sign-ups).

    ``about``: the other people the message names or carries data of (the recipient is
    always one); erasure of any of them removes it. ``tap_hint``: how to answer the buttons
    ("Bitte tippen Sie auf ein Gesicht."), added only where the person's platform shows
    buttons to tap; elsewhere the numbered lines' own hint says what to write. ``by_link``:
    the text and buttons instead where people cannot write to the bot (e-mail): the text says
    to tap, and the button (a link there) is what to tap.
    """
    chat = await people.private_chat(session, person_id, now)
    if chat is None:
        return False
    person = await session.get(Person, person_id)
    locale = (person.locale if person else None) or community.locale
    with use_locale(locale):
        if by_link is not None and not takes_messages(chat.platform):
            text, shown = by_link[0](), by_link[1]()
        else:
            text = build(command_prefix(chat.platform))
            if tap_hint is not None:
                text = joined(text, tap_only(tap_hint(), shows_buttons(chat.platform)))
            shown = buttons() if buttons else ()
        file = attachment() if attachment else None
        # Still in the reader's language: the outbox words the choice hint and records it.
        await enqueue(
            session,
            chat,
            Outgoing(text, shown, file, subject_ids(about)),
            dedup_key=dedup_key,
            now=now,
            expires_at=expires_at,
        )
    return True


async def tell_groups(
    session: AsyncSession,
    community: Community,
    build: Callable[[str], Outgoing],
    dedup_key: str,
    now: datetime,
    chat_ids: Iterable[int] | None = None,
    about: Iterable[int | None] = (),
) -> int:
    """Post to the community's group chats (or the chosen ones); returns how many.

    ``about``: the people the post names (a nudge, a list); erasure of any removes it.
    """
    chats = await communities.group_chats(session, community.id)
    if chat_ids is not None:
        wanted = set(chat_ids)
        chats = [chat for chat in chats if chat.id in wanted]
    with use_locale(community.locale):
        for chat in chats:
            outgoing = build(command_prefix(chat.platform))
            outgoing = replace(outgoing, about=subject_ids((*outgoing.about, *about)))
            await enqueue(session, chat, outgoing, dedup_key=f"{dedup_key}:{chat.id}", now=now)
    return len(chats)


async def post_event(
    session: AsyncSession, event: Event, community: Community, dedup_key: str, now: datetime
) -> int:
    """Announce a date in the groups and remember the posts, so their counts can be updated."""
    taken, waiting = await rsvps.counts(session, event.id)
    chats = await communities.group_chats(session, community.id)
    for chat in chats:
        with use_locale(community.locale):
            outgoing = announcement(
                event, community, taken, waiting, now, buttons_shown=shows_buttons(chat.platform)
            )
        key = f"{dedup_key}:{chat.id}"
        await enqueue(session, chat, outgoing, dedup_key=key, now=now)
        session.add(EventPost(event_id=event.id, chat_id=chat.id, dedup_key=key, created_at=now))
    await session.flush()
    return len(chats)


async def refresh_posts(session: AsyncSession, event: Event, now: datetime) -> None:
    """Bring the date's group posts up to its state (free places, full, cancelled, over),
    in place where the platform can edit."""
    posts = (await session.scalars(select(EventPost).where(EventPost.event_id == event.id))).all()
    if not posts:
        return
    community = await session.get(Community, event.community_id)
    assert community is not None
    taken, waiting = await rsvps.counts(session, event.id)
    for post in posts:
        chat = await session.get(Chat, post.chat_id)
        tap = chat is not None and shows_buttons(chat.platform)
        with use_locale(community.locale):
            outgoing = announcement(event, community, taken, waiting, now, buttons_shown=tap)
        await enqueue_edit(session, post.dedup_key, outgoing, now)


async def posted_chats(session: AsyncSession, event: Event) -> list[int]:
    """The chats the date was announced in."""
    query = select(EventPost.chat_id).where(EventPost.event_id == event.id)
    return sorted(set((await session.scalars(query)).all()))
