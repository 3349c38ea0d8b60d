"""Putting a date in front of people: posted to all chats now (/ankuendigen), on a poster,
opened from a link (a poster's QR code), or from a button in a private chat.

Use cases take a ``Work`` and plain arguments and return what the chat shows.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.dates import announcements, events
from bot.dates.notices import post_event
from bot.dates.poster import poster_pdf
from bot.domain.models import Chat, Community, Event
from bot.domain.numbers import is_number
from bot.domain.work import Work

POSTER_DATES = 8  # of a series, from the chosen one on
_LOOKAHEAD = 40


async def post_now(work: Work, community: Community, event: Event, dedup_key: str) -> int:
    """Post the date with sign-up buttons to all the community's chats right now; how many.

    The regular post before the date is then not needed anymore.
    """
    count = await post_event(work.session, event, community, dedup_key, work.now)
    await announcements.mark_first_posted(work.session, event.id)
    return count


async def poster_dates(work: Work, event: Event) -> list[Event]:
    """The dates a poster shows: the date, or for a series its next dates from this one."""
    if event.series_id is None:
        return [event]
    coming = await events.upcoming(work.session, event.community_id, work.now, _LOOKAHEAD)
    same = [e for e in coming if e.series_id == event.series_id and e.starts_at >= event.starts_at]
    return same[:POSTER_DATES] or [event]


# The app people install for each platform, as a poster names it.
_APPS = {"telegram": "Telegram", "matrix": "Element"}


async def poster(
    work: Work,
    community: Community,
    event: Event,
    sign_up_url: str | None,
    logo: Path | None = None,
) -> bytes:
    """An A4 PDF for the notice board; ``sign_up_url`` becomes its QR code."""
    return poster_pdf(
        community,
        await poster_dates(work, event),
        sign_up_url=sign_up_url,
        groups=await sign_up_groups(work, community),
        logo=logo,
    )


async def sign_up_groups(work: Work, community: Community) -> list[tuple[str, str]]:
    """(app, group name) of the community's oldest named group on each chat app."""
    chats = await work.session.scalars(
        select(Chat)
        .where(Chat.community_id == community.id, Chat.kind == "group", Chat.erased_at.is_(None))
        .order_by(Chat.created_at, Chat.id)
    )
    found: dict[str, str] = {}
    for chat in chats:
        app = _APPS.get(chat.platform)
        if app and chat.title and app not in found:
            found[app] = chat.title
    return list(found.items())


async def public_date(work: Work, number: str) -> tuple[Event, Community] | None:
    """The public date with this number and its community (a link from a poster opens it
    in any chat); None when there is none."""
    if not is_number(number):
        return None
    event = await work.session.get(Event, int(number))
    if event is None or not event.public:
        return None
    community = await work.session.get(Community, event.community_id)
    return None if community is None else (event, community)


async def offered_date(
    work: Work, event_id: int, community: Community | None, *, direct: bool
) -> tuple[Event, Community] | None:
    """The date a button names, and the community it acts for; None when the button does
    not fit this chat.

    A button offered in a private chat (tokens are bound to it) acts for the date's own
    community, whichever community the chat is linked to; elsewhere the date must belong to
    the chat's community.
    """
    event = await work.session.get(Event, event_id)
    if event is None:
        return None
    if direct and (community is None or community.id != event.community_id):
        community = await work.session.get(Community, event.community_id)
    if community is None or event.community_id != community.id:
        return None
    return event, community
