"""Asking for help: a resident's own request, or one staff file for a caller without a chat.

Both build the same ``HelpRequest`` and offer it to the first volunteers at once (the first
round, ``bot/helping/offers.py``); later rounds and the hand-over to staff are the scheduler's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain import weekly
from bot.domain.models import Community, HelpRequest, Person
from bot.domain.work import Work
from bot.helping import matching, offers, skills
from bot.helping.policy import MatchingPolicy

OTHER = matching.ANY_SKILL
MAX_TEXT = 500
PLACES = ("cafe", "phone", "home")
# A phone number for the volunteer, checked loosely.
PHONE = re.compile(r"^\+?[0-9][0-9 /()\-]{3,38}$")
# How staff name the place in "/hilfe_fuer …; Telefon".
_PLACE_WORDS = {"telefon": "phone", "phone": "phone", "zu hause": "home", "home": "home"}
# How residents write the place when they type instead of choosing (word beginnings).
_PLACE_STEMS = {
    "cafe": ("café", "cafe", "digitalcafé", "digitalcafe", "treff"),
    "phone": ("telefon", "anruf", "phone", "call"),
    "home": ("hause", "zuhause", "daheim", "wohnung", "home"),
}


def place_in_words(text: str) -> str | None:
    """The place a typed answer names ("per Telefon", "bei mir zu Hause"); None when it
    names none or more than one."""
    words = re.findall(r"\w+", text.casefold())
    found = {
        place
        for place, stems in _PLACE_STEMS.items()
        if any(word.startswith(stem) for word in words for stem in stems)
    }
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True, slots=True)
class Ask:
    """What someone needs, in their words: the answers of the request form."""

    skill: str = OTHER
    description: str = ""
    when_text: str = ""
    place: str = "cafe"
    area: str = ""
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """One entry of the skill catalog as a resident sees it."""

    key: str
    label: str


async def topics(work: Work, community: Community) -> list[Topic]:
    """The topics a resident can pick, in the catalog's order, in the community's words."""
    return [
        Topic(entry.key, skills.label(entry, community))
        for entry in await skills.catalog(work.session, community)
    ]


async def ask_for_help(
    work: Work,
    community: Community,
    ask: Ask,
    *,
    requester_id: int,
    language: str,
    policy: MatchingPolicy,
    created_by: int | None = None,
) -> HelpRequest:
    """Save the request and offer it to the best fitting volunteers (the first round).

    ``created_by``: the staff member who filed it for someone else (a caller).
    """
    days, hours = weekly.parse(ask.when_text)
    request = HelpRequest(
        community_id=community.id,
        requester_id=requester_id,
        skill=ask.skill,
        description=ask.description,
        when_text=ask.when_text,
        when_days=days,
        when_hours=hours,
        place=ask.place,
        area=ask.area,
        language=language,
        phone=ask.phone,
        created_by=created_by,
        created_at=work.now,
        updated_at=work.now,
    )
    work.session.add(request)
    await work.session.flush()
    await offers.offer_round(work.session, request, community, policy, work.now)
    return request


async def ask_for_caller(
    work: Work,
    community: Community,
    staff_id: int,
    parts: list[str],
    policy: MatchingPolicy,
) -> HelpRequest:
    """A request for a caller: ``parts`` are name; phone; topic[; what; when; where].

    The caller becomes a person without a chat; the topic is matched against the catalog
    (its key or label), else it is the description of "something else".
    """
    name, phone, wanted = parts[0], parts[1], parts[2]
    catalog = await skills.catalog(work.session, community)
    folded = wanted.casefold()
    skill = next(
        (
            s
            for s in catalog
            if folded in (s.key, s.label.casefold(), skills.label(s, community).casefold())
        ),
        None,
    )
    person = Person(display_name=name, created_at=work.now)
    work.session.add(person)
    await work.session.flush()
    ask = Ask(
        skill=skill.key if skill else OTHER,
        description=(parts[3] if len(parts) > 3 else "") or ("" if skill else wanted),
        when_text=parts[4] if len(parts) > 4 else "",
        place=_PLACE_WORDS.get((parts[5] if len(parts) > 5 else "").casefold(), "cafe"),
        phone=phone[:40] or None,
    )
    return await ask_for_help(
        work,
        community,
        ask,
        requester_id=person.id,
        language=community.locale,
        policy=policy,
        created_by=staff_id,
    )
