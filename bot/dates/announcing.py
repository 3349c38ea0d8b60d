"""Staff write an announcement on the web page: what it can go to, the plain-language tips,
the preview as each chat app will show it, and sending or scheduling it through the chat's
own use cases (``announcements.schedule_post`` as ``/ankuendigung_neu``, ``sharing.post_now``
as ``/ankuendigen``), so the outbox and everything after is the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.chat.platforms import display_name, shows_buttons
from bot.chat.types import Outgoing
from bot.dates import announcements, events, rsvps, sharing
from bot.dates.texts import announcement
from bot.delivery.preview import as_shown
from bot.domain.models import Chat, Community, Event
from bot.domain.work import Work
from bot.language.i18n import _, format_when, ngettext, use_locale
from bot.language.plain_language import Finding, check

MAX_TEXT = 1500  # as the chat's /ankuendigung_neu
COMING_DATES = 30


def tips(text: str, community: Community, now: datetime) -> list[Finding]:
    """The plain-language tips for an announcement, as the chat gives them to staff."""
    today = now.astimezone(ZoneInfo(community.timezone)).date()
    return check(text, announcement=True, today=today)


async def suggestions(work: Work, community: Community, text: str) -> list[Finding]:
    """The tips for a text being typed on the web page (nothing is stored)."""
    return tips(text[:MAX_TEXT], community, work.now)


async def group_chats(work: Work, community: Community) -> list[Chat]:
    """The group chats an announcement can go to."""
    return await announcements.post_chats(work, community.id)


@dataclass(frozen=True, slots=True)
class Choices:
    """What the form offers: the group chats, the coming dates, and what is scheduled."""

    chats: list[Chat]
    dates: list[Event]
    scheduled: list[announcements.Listed]


async def choices(work: Work, community: Community) -> Choices:
    return Choices(
        await announcements.post_chats(work, community.id),
        await events.coming(work, community.id, COMING_DATES),
        await announcements.listed(work, community.id, 50),
    )


@dataclass(frozen=True, slots=True)
class Draft:
    """An announcement as staff wrote it: their text, or a date (posted as the chat posts
    it, with its sign-up buttons); the chats it goes to (None: all groups)."""

    text: str
    event: Event | None
    chat_ids: list[int] | None


@dataclass(frozen=True, slots=True)
class Block:
    """One chat app's view of the post: its name, the groups there, text and buttons."""

    platform: str
    app: str
    chats: tuple[str, ...]
    text: str
    buttons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Preview:
    blocks: list[Block]
    tips: list[Finding]


async def draft_event(work: Work, community: Community, event_id: int) -> Event | None:
    """The community's date to announce, while people can still sign up for it."""
    event = await events.in_community(work, community.id, event_id)
    if event is None or rsvps.open_for_sign_up(event, work.now) is not None:
        return None
    return event


async def preview(work: Work, community: Community, draft: Draft) -> Preview:
    """One block per chat app the post goes to, each as that app will show it; the tips
    for staff's own text (a date's post is the bot's own text)."""
    chats = await announcements.post_chats(work, community.id)
    if draft.chat_ids is not None and draft.event is None:
        chats = [chat for chat in chats if chat.id in draft.chat_ids]
    taken = waiting = 0
    if draft.event is not None:
        taken = await rsvps.seats_taken(work.session, draft.event.id)
        waiting = await rsvps.waiting_count(work.session, draft.event.id)
    blocks = []
    with use_locale(community.locale):
        for platform in dict.fromkeys(chat.platform for chat in chats):
            if draft.event is None:
                outgoing = Outgoing(draft.text)
            else:
                outgoing = announcement(
                    draft.event,
                    community,
                    taken,
                    waiting,
                    work.now,
                    buttons_shown=shows_buttons(platform),
                )
            shown = as_shown(outgoing, platform)
            names = tuple(c.title or "" for c in chats if c.platform == platform)
            blocks.append(Block(platform, _app(platform), names, shown.text, shown.buttons))
    found = tips(draft.text, community, work.now) if draft.event is None else []
    return Preview(blocks, found)


def _app(platform: str) -> str:
    name = display_name(platform)
    return name if name != platform else platform.capitalize()


async def send(
    work: Work,
    community: Community,
    draft: Draft,
    start: datetime | None,
    rrule: str | None,
    created_by: int,
    key: str,
) -> announcements.Scheduled:
    """Send now (``start`` None or not in the future) or schedule: staff's text through the
    chat's ``/ankuendigung_neu``, a date through ``/ankuendigen`` (now) or as the date's
    regular post (later). ``key``: the form's own key, so pressing twice posts once."""
    if draft.event is None:
        return await announcements.schedule_post(
            work, community.id, draft.text, start or work.now, rrule, draft.chat_ids, created_by
        )
    if start is not None and start > work.now:
        await announcements.schedule_event_post(work, draft.event, start)
        return announcements.Scheduled(False, start)
    await sharing.post_now(work, community, draft.event, f"announce:web:{key}")
    return announcements.Scheduled(True, None)


def text_limit() -> str:
    """What to say when the text is empty or too long."""
    return ngettext(
        "Please write a text with at most {limit} character.",
        "Please write a text with at most {limit} characters.",
        MAX_TEXT,
    ).format(limit=MAX_TEXT)


def scheduled_answer(done: announcements.Scheduled, repeats: bool, timezone: str) -> str:
    """ "Verschickt." when it went out now; otherwise when it will; the same post again:
    that it was already sent or saved."""
    if done.again and done.next_at is None:
        return _("I already sent this announcement a few minutes ago. I am not sending it again.")
    if done.again:
        answer = _("I already saved this announcement. It is posted next on {when}.")
    elif done.sent and done.next_at is not None:
        answer = _("Sent. It is sent again regularly, next on {when}.")
    elif done.sent:
        return _("Sent.")
    elif repeats:
        answer = _("Saved. It is posted regularly, first on {when}.")
    else:
        answer = _("Saved. It is posted on {when}.")
    assert done.next_at is not None
    return answer.format(when=format_when(done.next_at, timezone))
