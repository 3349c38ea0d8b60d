"""A community's coming dates for its public web page (and the page's embeddable form).

What is public is decided once, in ``feed.public_events`` (the calendar feed uses it too):
the dates staff did not mark as internal. The page shows what a notice board would: the
dates, the place, the topic, how to sign up. Never a person; how many places are free only
where the community allows it (``show_places``, off by default).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.dates.feed import public_events
from bot.dates.rsvps import seats_taken, waiting_count
from bot.domain.models import Community, Event
from bot.domain.work import Work

# What ``communities.slugify`` makes; anything else is no community's page.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# A date that has begun stays on the page until it ends (or this long, without an end).
RUNNING = timedelta(hours=2)
# Where the web server serves the page, German (the addresses handed out) and English.
PAGE = {"de": "/termine/{slug}", "en": "/dates/{slug}"}
EMBED = {"de": "einbetten", "en": "embed"}


@dataclass(frozen=True, slots=True)
class PublicDate:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    online_link: str
    topic: str
    bring: str
    # Whom to call to sign up: the date's own contact, else the community's.
    contact: str
    cancelled: bool
    capacity: int | None = None
    # Counts only where the community allows them (``PublicPage.places``); else None.
    taken: int | None = None
    waiting: int = 0


@dataclass(frozen=True, slots=True)
class PublicPage:
    slug: str
    name: str
    timezone: str
    contact: str
    dates: list[PublicDate]
    places: bool = False


async def coming_public_dates(work: Work, slug: str) -> PublicPage | None:
    """The community's public dates from now on (cancelled ones marked), or None when no
    community has this slug."""
    if not SLUG.fullmatch(slug):
        return None
    session = work.session
    community = await session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        return None
    events = await public_events(session, community.id, work.now, past=timedelta(days=1))
    dates = [_public(e, community) for e in events if _end(e) > work.now]
    if community.public_places:
        dates = [await _with_places(work, d) for d in dates]
    return PublicPage(
        slug=community.slug,
        name=community.name,
        timezone=community.timezone,
        contact=community.contact,
        dates=dates,
        places=community.public_places,
    )


async def show_places(work: Work, community: Community, on: bool) -> None:
    """Whether the community's public page shows how many places are free."""
    community.public_places = on
    await work.session.flush()


async def _with_places(work: Work, date: PublicDate) -> PublicDate:
    if date.capacity is None or date.cancelled:
        return date
    taken = await seats_taken(work.session, date.id)
    waiting = await waiting_count(work.session, date.id)
    return replace(date, taken=taken, waiting=waiting)


def _end(event: Event) -> datetime:
    return event.ends_at or event.starts_at + RUNNING


def _public(event: Event, community: Community) -> PublicDate:
    return PublicDate(
        id=event.id,
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        place=event.place,
        online_link=event.online_link,
        topic=event.topic,
        bring=event.bring,
        contact=event.contact or community.contact,
        cancelled=event.status == "cancelled",
        capacity=event.capacity,
    )


def page_address(public_url: str, slug: str, *, embed: bool = False) -> str:
    """The page's address (or its embeddable form's) as people reach it."""
    tail = f"/{EMBED['de']}" if embed else ""
    return public_url + PAGE["de"].format(slug=slug) + tail


def embed_snippet(public_url: str, slug: str, title: str) -> str:
    """The HTML a town's website puts where the dates should show."""
    source = html.escape(page_address(public_url, slug, embed=True))
    return (
        f'<iframe src="{source}" title="{html.escape(title)}" width="100%" height="800" '
        'loading="lazy"></iframe>'
    )
