"""A help request once offered: a volunteer takes it or says no, both sides write through
the bot, agree a time, the volunteer reports it done or hands it back, the resident cancels
or answers how it went; and the lists of one's own requests.

Each use case takes a ``Work`` and plain arguments, checks that the request still allows the
step and that the person takes part in it, and returns what happened for the chat to show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import or_, select

from bot.chat.types import Button
from bot.dates import jobs
from bot.dates.announcements import mark_changed
from bot.dates.notices import tell_person
from bot.domain.models import Community, HelpRequest, Person, Skill
from bot.domain.when import parse_when
from bot.domain.work import Work
from bot.helping import offers, skills
from bot.helping import requests as help_requests
from bot.helping import texts as help_texts
from bot.helping.asking import MAX_TEXT
from bot.helping.policy import MatchingPolicy
from bot.language.i18n import _, format_when
from bot.reminders.texts import RATINGS

# German, English and Ukrainian ("45 хвилин", "1,5 години"), as the catalogs' examples.
_MINUTE_WORDS = r"(?:minuten|minute|min|mins|minutes|m|хвилин[аи]?|хв)"
_HOUR_WORDS = r"(?:stunden|stunde|std|h|hours|hour|hrs|hr|годин[аи]?|год)"
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?:\s*(?:h|std|stunden))?$")
_HOURS_AND_MINUTES = re.compile(
    rf"^(\d{{1,2}})\s*{_HOUR_WORDS}\.?\s*(?:und\s*|and\s*)?(\d{{1,2}})\s*{_MINUTE_WORDS}\.?$"
)
_AMOUNT = re.compile(
    rf"^(\d{{1,4}}(?:[.,]\d{{1,2}})?)\s*(?:({_MINUTE_WORDS})|({_HOUR_WORDS}))?\.?$"
)
_WORD_HOURS = {"eine halbe": 0.5, "halbe": 0.5, "eine": 1.0, "einer": 1.0, "anderthalb": 1.5}
_WORD_HOURS |= {"eineinhalb": 1.5, "zwei": 2.0, "zweieinhalb": 2.5, "drei": 3.0}
_WORD_AMOUNT = re.compile(rf"^({'|'.join(_WORD_HOURS)})\s*{_HOUR_WORDS}$")


def parse_minutes(text: str) -> int | None:
    """Time spent as a volunteer writes it: "45", "45 Minuten", "45 min", "1 Stunde",
    "1,5 Stunden", "1:30", "1 Std 30 Min", "eine halbe Stunde"; None when it is none of
    these or not between 1 minute and a day."""
    words = " ".join(text.casefold().split()).rstrip(".")
    minutes: float | None = None
    if found := _CLOCK.match(words):
        minutes = int(found.group(1)) * 60 + int(found.group(2))
    elif found := _HOURS_AND_MINUTES.match(words):
        minutes = int(found.group(1)) * 60 + int(found.group(2))
    elif found := _AMOUNT.match(words):
        amount = float(found.group(1).replace(",", "."))
        minutes = amount * 60 if found.group(3) else amount
    elif found := _WORD_AMOUNT.match(words):
        minutes = _WORD_HOURS[found.group(1)] * 60
    if minutes is None or minutes != round(minutes):
        return None
    return int(minutes) if 1 <= minutes <= help_requests.MAX_MINUTES else None


Accepted = Literal["accepted", "taken", "closed", "gone"]
Cancelled = Literal["cancelled", "closed", "gone"]
Relayed = Literal["passed", "unreachable", "gone"]


@dataclass(frozen=True, slots=True)
class Meeting:
    """The agreed meeting time and the community's time zone to show it in."""

    start: datetime
    timezone: str


@dataclass(frozen=True, slots=True)
class OwnRequest:
    """One of a person's open requests: asked for (``helping`` False) or helping with."""

    request: HelpRequest
    skill: Skill | None
    community: Community
    helping: bool


async def find(work: Work, request_id: int) -> HelpRequest | None:
    """The request behind a button, or None when there is none."""
    return await work.session.get(HelpRequest, request_id)


async def running(
    work: Work, request_id: int, person_id: int, *, volunteer_only: bool = False
) -> HelpRequest | None:
    """The request, if it is running (taken) and this person takes part in it (as its
    volunteer, or also as the requester); else None."""
    request = await find(work, request_id)
    if request is None or request.status != help_requests.ACCEPTED:
        return None
    allowed = {request.volunteer_id}
    if not volunteer_only:
        allowed.add(request.requester_id)
    return request if person_id in allowed else None


async def accept(work: Work, request_id: int, volunteer_id: int) -> Accepted:
    """ "Ich übernehme": exactly one volunteer gets it; both sides are told, and the staff
    member who filed it for a caller hears who took it."""
    request = await find(work, request_id)
    if request is None:
        return "gone"
    won = await help_requests.accept(work.session, request.id, volunteer_id, work.now)
    if not won:
        taken = (
            request.status in (help_requests.ACCEPTED, help_requests.DONE)
            or request.volunteer_id is not None
        )
        return "taken" if taken else "closed"
    community = await _community(work, request)
    await offers.accepted(work.session, request, community, work.now)
    if request.created_by is not None and request.phone:
        await _tell_staff_who(work, request, community, volunteer_id)
    return "accepted"


async def decline(work: Work, request_id: int, volunteer_id: int, policy: MatchingPolicy) -> bool:
    """ "Diesmal nicht"; when all asked said no, the next people are asked. False when the
    request is gone, or the presser took it (an old offer's button: no "In Ordnung")."""
    request = await find(work, request_id)
    if request is None or request.volunteer_id == volunteer_id:
        return False
    if await help_requests.decline(work.session, request, volunteer_id, work.now):
        community = await _community(work, request)
        await offers.offer_round(work.session, request, community, policy, work.now)
    return True


async def hand_back(work: Work, request_id: int, volunteer_id: int, policy: MatchingPolicy) -> bool:
    """The volunteer cannot do it: it is offered to others. False when it is not theirs."""
    request = await running(work, request_id, volunteer_id, volunteer_only=True)
    if request is None:
        return False
    community = await _community(work, request)
    await help_requests.hand_back(work.session, request, work.now)
    await offers.offer_round(work.session, request, community, policy, work.now)
    return True


async def cancel(work: Work, request_id: int, requester_id: int) -> Cancelled:
    """The resident no longer needs help; the volunteer, if any, is told."""
    request = await find(work, request_id)
    if request is None or request.requester_id != requester_id:
        return "gone"
    if request.status not in help_requests.ACTIVE:
        return "closed"
    volunteer = request.volunteer_id
    help_requests.cancel(request, work.now)
    community = await work.session.get(Community, request.community_id)
    if volunteer is not None and community is not None:
        await tell_person(
            work.session,
            volunteer,
            community,
            lambda _prefix: _(
                "Request {number} is cancelled. You do not need to do anything. Thank you!"
            ).format(number=request.id),
            f"help-cancelled:{request.id}",
            work.now,
            about=(request.requester_id,),
        )
    return "cancelled"


async def rate(work: Work, request_id: int, requester_id: int, rating: Any) -> bool:
    """The resident's one answer after the help; False when it does not apply."""
    request = await find(work, request_id)
    if (
        request is None
        or request.requester_id != requester_id
        or request.status != help_requests.DONE
        or rating not in {value for value, _f, _w in RATINGS}
    ):
        return False
    request.rating = int(rating)
    return True


async def relay(work: Work, request_id: int, sender_id: int, text: str, message_id: str) -> Relayed:
    """Pass a message to the other side of a running request, with a button to answer.

    ``message_id``: unique per message (the dispatch), so a retry passes it on once.
    """
    request = await find(work, request_id)
    if request is None or request.status != help_requests.ACCEPTED:
        return "gone"
    other = request.volunteer_id if sender_id == request.requester_id else request.requester_id
    community = await _community(work, request)
    assert other is not None
    text = text.strip()[:MAX_TEXT]
    name = offers.first_name(await work.session.get(Person, sender_id))
    delivered = await tell_person(
        work.session,
        other,
        community,
        lambda _prefix: _("Message from {name} (request {number}):\n{text}").format(
            name=name, number=request.id, text=text
        ),
        f"help-message:{request.id}:{message_id}",
        work.now,
        buttons=lambda: (Button(_("Answer"), help_texts.WRITE, {"request": request.id}),),
        about=offers.parties(request),
    )
    return "passed" if delivered else "unreachable"


async def agree(
    work: Work, request_id: int, volunteer_id: int, words: str, *, language: str | None = None
) -> Meeting | None:
    """The meeting time both agreed on, in numbers or words (German, English or the
    volunteer's ``language``); the resident is told and both get a reminder the day before.
    None when the request is no longer running.

    Raises ``WhenError`` when the words are no time.
    """
    request = await find(work, request_id)
    community = await work.session.get(Community, request.community_id) if request else None
    if request is None or community is None or request.status != help_requests.ACCEPTED:
        return None
    when = parse_when(words, work.now, community.timezone, require_time=True, language=language)
    request.agreed_at, request.updated_at = when.start, work.now
    # Less than a day ahead: no reminder needed (and none at an odd hour).
    due = jobs.reminder_due("1d@10:00", when.start, community.timezone)
    request.reminded_at = work.now if due <= work.now else None
    mark_changed(work.session)
    shown = format_when(when.start, community.timezone)
    name = offers.first_name(await work.session.get(Person, volunteer_id))
    await tell_person(
        work.session,
        request.requester_id,
        community,
        lambda _prefix: _("Your meeting with {name}: {when}").format(name=name, when=shown),
        f"help-agreed:{request.id}:{when.start.isoformat()}",
        work.now,
        about=offers.parties(request),
    )
    return Meeting(when.start, community.timezone)


async def finish(work: Work, request_id: int, minutes: int, note: str) -> HelpRequest | None:
    """Done: the minutes and an optional note; None when the request is no longer running.

    The chat confirms it, then ``thank`` tells both sides (so the volunteer reads the
    confirmation before the thanks).
    """
    request = await find(work, request_id)
    if request is None or request.status != help_requests.ACCEPTED:
        return None
    help_requests.finish(request, minutes, note[:MAX_TEXT], work.now)
    return request


async def thank(work: Work, request: HelpRequest) -> None:
    """After ``finish``: thanks to the volunteer and one question to the resident."""
    community = await _community(work, request)
    await offers.finished(work.session, request, community, work.now)


async def mine(work: Work, person_id: int) -> list[OwnRequest]:
    """Open requests the person asked for or is helping with, oldest first."""
    rows = (
        await work.session.scalars(
            select(HelpRequest)
            .where(
                or_(HelpRequest.requester_id == person_id, HelpRequest.volunteer_id == person_id),
                HelpRequest.status.in_(help_requests.ACTIVE),
            )
            .order_by(HelpRequest.id)
        )
    ).all()
    found = []
    for request in rows:
        community = await _community(work, request)
        skill = await skills.find(work.session, community, request.skill)
        found.append(OwnRequest(request, skill, community, request.volunteer_id == person_id))
    return found


async def _community(work: Work, request: HelpRequest) -> Community:
    community = await work.session.get(Community, request.community_id)
    assert community is not None
    return community


async def _tell_staff_who(
    work: Work, request: HelpRequest, community: Community, volunteer_id: int
) -> None:
    """A caller has no chat: the staff member who filed it passes the news on."""
    assert request.created_by is not None
    requester = await work.session.get(Person, request.requester_id)
    name = offers.first_name(await work.session.get(Person, volunteer_id))
    await tell_person(
        work.session,
        request.created_by,
        community,
        lambda _prefix: _(
            "{helper} has taken request {number} for {name}. Please tell {name}."
        ).format(helper=name, number=request.id, name=requester.display_name if requester else "?"),
        f"help-staff-told:{request.id}",
        work.now,
        about=offers.parties(request),
    )
