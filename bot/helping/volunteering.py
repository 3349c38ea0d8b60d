"""Digitallotsen: their profile (what, which languages, where, when, how many at once), a
break, staff's invitation, the skill catalog staff keep, and staff's overview.

Each use case takes a ``Work`` and plain arguments; the profile is created on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from sqlalchemy import func, select

from bot.community import communities
from bot.dates.notices import tell_person
from bot.domain import weekly
from bot.domain.models import Community, HelpRequest, Person, Role, VolunteerProfile, VolunteerSkill
from bot.domain.roles import VOLUNTEER
from bot.domain.work import Work
from bot.helping import requests as help_requests
from bot.helping import skills
from bot.language.i18n import N_, _, current_locale, language_name, offered_locales

LANGUAGE_WORDS = {
    "deutsch": "de", "german": "de", "englisch": "en", "english": "en", "türkisch": "tr",
    "turkish": "tr", "russisch": "ru", "russian": "ru", "arabisch": "ar", "arabic": "ar",
    "ukrainisch": "uk", "ukrainian": "uk", "polnisch": "pl", "polish": "pl",
    "französisch": "fr", "french": "fr", "spanisch": "es", "spanish": "es",
    "italienisch": "it", "italian": "it", "persisch": "fa", "farsi": "fa",
}  # fmt: skip
PLACE_LABELS = {
    "cafe": N_("At the Digitalcafé"),
    "phone": N_("By phone"),
    "home": N_("At people's homes"),
}
DEFAULT_PAUSE = timedelta(days=14)
MAX_OPEN = 10

Renamed = Literal["renamed", "no such topic"]


@dataclass(frozen=True, slots=True)
class SkillChoice:
    """A catalog entry in the volunteer's skill list, ticked or not."""

    key: str
    label: str
    chosen: bool


@dataclass(frozen=True, slots=True)
class Summary:
    """The saved profile as the volunteer reads it back: topics, places (keys of
    PLACE_LABELS), languages by name, parts of town (only for visits at home; empty is
    everywhere), usual times in words (empty: it varies), how many at once."""

    topics: list[str]
    places: list[str]
    max_open: int
    languages: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Invited:
    """Who became a Digitallotse, and whether the bot could tell them itself."""

    person_id: int
    name: str
    told: bool


@dataclass(frozen=True, slots=True)
class VolunteerLine:
    """One line of staff's overview."""

    person_id: int
    name: str
    open: int
    done: int
    minutes: int
    state: Literal["no profile", "paused", "available"]


def language_codes(words: str) -> list[str]:
    """Typed languages ("Deutsch, Englisch", "українська") as codes; German when none is
    recognisable. Every offered language is also known by its name in each offered language."""
    known = dict(LANGUAGE_WORDS)
    offered = offered_locales()
    for code in offered:
        for shown_in in offered:
            known.setdefault(language_name(code, shown_in).casefold(), code)
    found = re.findall(r"[^\W\d_]+", words.casefold())
    return sorted({known.get(w, w[:8]) for w in found if len(w) > 1}) or ["de"]


def area_names(words: str) -> list[str]:
    """Parts of town, separated by commas, semicolons or "und"."""
    return [a.strip()[:60] for a in re.split(r"[,;]|\bund\b", words) if a.strip()][:20]


async def profile(work: Work, person_id: int) -> VolunteerProfile:
    """The volunteer's profile, created (German, anywhere, any time) on first use."""
    row = await work.session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.person_id == person_id)
    )
    if row is None:
        row = VolunteerProfile(
            person_id=person_id,
            languages=["de"],
            areas=[],
            windows=[],
            places=[],
            created_at=work.now,
            updated_at=work.now,
        )
        work.session.add(row)
        await work.session.flush()
    return row


async def skill_choices(work: Work, community: Community, person_id: int) -> list[SkillChoice]:
    """The catalog, each entry ticked when the volunteer offers it."""
    mine = await _offered(work, person_id)
    return [
        SkillChoice(entry.key, skills.label(entry, community), entry.key in mine)
        for entry in await skills.catalog(work.session, community)
    ]


async def toggle_skill(work: Work, person_id: int, skill: str) -> None:
    """A skill tapped: offered, or (again) not."""
    found = await work.session.scalar(
        select(VolunteerSkill).where(
            VolunteerSkill.person_id == person_id, VolunteerSkill.skill == skill
        )
    )
    if found is None:
        work.session.add(VolunteerSkill(person_id=person_id, skill=skill))
    else:
        await work.session.delete(found)
    await work.session.flush()


async def set_languages(work: Work, person_id: int, languages: list[str]) -> None:
    (await profile(work, person_id)).languages = languages


async def toggle_place(work: Work, person_id: int, place: str) -> list[str]:
    """A place tapped (Digitalcafé, phone, at people's homes); the places chosen now."""
    row = await profile(work, person_id)
    row.places = sorted(set(row.places or []) ^ {place})
    return list(row.places)


async def places_done(work: Work, person_id: int) -> bool:
    """The places are chosen (the Digitalcafé when none); True when visits at home are
    among them, so the areas are asked next."""
    row = await profile(work, person_id)
    if not row.places:
        row.places = ["cafe"]
    return "home" in row.places


async def set_areas(work: Work, person_id: int, areas: list[str]) -> None:
    """The parts of town for visits at home; none means everywhere."""
    (await profile(work, person_id)).areas = areas


async def set_times(work: Work, person_id: int, words: str) -> None:
    """Usual times, in words; what is not understood (or nothing) matches any time."""
    (await profile(work, person_id)).windows = weekly.windows(words) if words else []


async def finish_profile(
    work: Work, community: Community, person_id: int, max_open: int
) -> Summary:
    """The last answer (how many at once); the profile as saved."""
    row = await profile(work, person_id)
    row.max_open, row.updated_at = max_open, work.now
    mine = await _offered(work, person_id)
    topics = [
        skills.label(entry, community)
        for entry in await skills.catalog(work.session, community)
        if entry.key in mine
    ]
    return Summary(
        topics,
        [p for p in row.places if p in PLACE_LABELS],
        row.max_open,
        languages=language_names(row.languages or []),
        areas=list(row.areas or []) if "home" in (row.places or []) else [],
        times=time_words(row.windows or []),
    )


def language_names(codes: list[str]) -> list[str]:
    """Language codes as the reader calls them: "Deutsch", "Türkisch"."""
    known = Locale.parse(current_locale()).languages
    return [known.get(code, code) for code in codes]


def time_words(windows: list[dict[str, int]]) -> list[str]:
    """Weekly windows as words: "Dienstag, Donnerstag 14–18 Uhr", "jeden Tag 9–12 Uhr"."""
    days = Locale.parse(current_locale()).days["format"]["wide"]
    by_hours: dict[tuple[int, int], list[int]] = {}
    for window in windows:
        by_hours.setdefault((window["from"], window["to"]), []).append(window["day"])
    lines = []
    for (start, end), numbers in by_hours.items():
        named = sorted(set(numbers))
        which = _("every day") if len(named) == 7 else ", ".join(days[n] for n in named)
        lines.append(_("{days} {start}–{end} o'clock").format(days=which, start=start, end=end))
    return lines


async def pause(
    work: Work, community: Community, person_id: int, last_day: date | None
) -> datetime:
    """No offers until the end of ``last_day`` in the community's time (two weeks when
    None); the start of the break's last day."""
    zone = ZoneInfo(community.timezone)
    day = last_day or (work.now + DEFAULT_PAUSE).astimezone(zone).date()
    row = await profile(work, person_id)
    row.paused_until = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    row.updated_at = work.now
    return row.paused_until - timedelta(days=1)


async def resume(work: Work, person_id: int) -> None:
    """Back from the break."""
    row = await profile(work, person_id)
    row.paused_until, row.updated_at = None, work.now


async def invite(work: Work, community: Community, number: int, staff_id: int) -> Invited | None:
    """Give a member the volunteer role and ask them to fill in their profile; None when
    the number is nobody of this community."""
    person = await communities.member(work.session, number, community.id)
    if person is None:
        return None
    await communities.grant_role(
        work.session, person.id, community.id, VOLUNTEER, granted_by=staff_id, now=work.now
    )
    told = await tell_person(
        work.session,
        person.id,
        community,
        lambda prefix: _(
            "You are now a Digitallotse at {community}. Thank you!\n"
            "Please write {prefix}lotse to tell us what you can help with and when."
        ).format(community=community.name, prefix=prefix),
        f"vol-invite:{person.id}:{community.id}",
        work.now,
    )
    return Invited(person.id, person.display_name, told)


async def topic_labels(work: Work, community: Community) -> list[str]:
    """The catalog's labels in order, in the reader's language where unchanged."""
    return [
        skills.label(entry, community) for entry in await skills.catalog(work.session, community)
    ]


async def add_topic(work: Work, community: Community, name: str) -> None:
    """A new topic at the end of the catalog."""
    await skills.add(work.session, community, name)


async def rename_topic(work: Work, community: Community, n: int, name: str) -> Renamed:
    """Rename the ``n``-th topic (counted from 1)."""
    entries = await skills.catalog(work.session, community)
    if not 1 <= n <= len(entries) or len(name) > skills.MAX_LABEL:
        return "no such topic"
    entries[n - 1].label = name
    return "renamed"


async def overview(work: Work, community: Community) -> list[VolunteerLine]:
    """Each volunteer of the community: open and done requests, minutes, on a break or not."""
    people = (
        await work.session.scalars(
            select(Person)
            .join(Role, Role.person_id == Person.id)
            .where(Role.community_id == community.id, Role.role == VOLUNTEER)
            .order_by(Person.display_name)
        )
    ).all()
    lines = []
    for person in people:
        open_now, done, minutes = (
            await work.session.execute(
                select(
                    func.count().filter(HelpRequest.status == help_requests.ACCEPTED),
                    func.count().filter(HelpRequest.status == help_requests.DONE),
                    func.coalesce(func.sum(HelpRequest.minutes), 0),
                ).where(
                    HelpRequest.volunteer_id == person.id,
                    HelpRequest.community_id == community.id,
                )
            )
        ).one()
        row = await work.session.scalar(
            select(VolunteerProfile).where(VolunteerProfile.person_id == person.id)
        )
        state: Literal["no profile", "paused", "available"] = "available"
        if row is None:
            state = "no profile"
        elif row.paused_until is not None and row.paused_until > work.now:
            state = "paused"
        lines.append(VolunteerLine(person.id, person.display_name, open_now, done, minutes, state))
    return lines


async def _offered(work: Work, person_id: int) -> set[str]:
    return set(
        (
            await work.session.scalars(
                select(VolunteerSkill.skill).where(VolunteerSkill.person_id == person_id)
            )
        ).all()
    )
