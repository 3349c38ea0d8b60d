"""Digitallotsen: their profile (what, when, where, how much), a pause, staff's invitation,
the skill catalog, and the overview for coordinators."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button, Outgoing
from bot.community import communities
from bot.dates.notices import tell_person
from bot.domain import weekly
from bot.domain.models import HelpRequest, Person, Role, VolunteerProfile, VolunteerSkill
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF, VOLUNTEER
from bot.domain.when import WhenError, parse_when
from bot.helping import requests as help_requests
from bot.helping import skills
from bot.language.i18n import N_, _, format_day

SKILL, SKILLS_DONE = "vol.skill", "vol.skills_done"
PLACE, PLACES_DONE = "vol.place", "vol.places_done"
LANGUAGES, AREAS, TIMES, MAX_OPEN = "vol.languages", "vol.areas", "vol.times", "vol.max_open"
ONLY_GERMAN, EVERYWHERE, VARIES = "vol.only_german", "vol.everywhere", "vol.varies"
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


# Add the volunteer profile, pause and resume, invitations, skills and the overview.
router = Router()


@router.command(
    "lotse",
    "volunteer",
    description=N_("Your profile as a Digitallotse"),
    roles=(VOLUNTEER,),
    where="direct",
)
async def profile(ctx: Context) -> None:
    """Start the profile: first the skills, tapped one by one."""
    await _profile_row(ctx)
    key = f"vol-skills:{ctx.person.id}:{ctx.dispatch_id}"
    await ctx.send(ctx.chat, await _skills_message(ctx, key), key)


@router.button(SKILL, roles=(VOLUNTEER,))
async def toggle_skill(ctx: Context) -> None:
    """A skill tapped: offered, or (again) not."""
    key, skill = ctx.button_args.get("list"), ctx.button_args.get("skill")
    if not isinstance(key, str) or not isinstance(skill, str):
        return
    found = await ctx.session.scalar(
        select(VolunteerSkill).where(
            VolunteerSkill.person_id == ctx.person.id, VolunteerSkill.skill == skill
        )
    )
    if found is None:
        ctx.session.add(VolunteerSkill(person_id=ctx.person.id, skill=skill))
    else:
        await ctx.session.delete(found)
    await ctx.session.flush()
    await ctx.edit(key, await _skills_message(ctx, key))


@router.button(SKILLS_DONE, roles=(VOLUNTEER,))
async def skills_done(ctx: Context) -> None:
    """Next: languages."""
    await ctx.ask(
        _("Which languages do you speak? For example: Deutsch, Englisch, Türkisch"),
        LANGUAGES,
        {},
        [Button(_("Only German"), ONLY_GERMAN)],
    )


@router.state(LANGUAGES, roles=(VOLUNTEER,))
async def languages_typed(ctx: Context) -> None:
    """Languages, typed as words."""
    row = await _profile_row(ctx)
    words = re.findall(r"[a-zäöüß]+", ctx.text.casefold())
    row.languages = sorted({LANGUAGE_WORDS.get(w, w[:8]) for w in words if len(w) > 1}) or ["de"]
    await _ask_places(ctx)


@router.button(ONLY_GERMAN, roles=(VOLUNTEER,))
async def only_german(ctx: Context) -> None:
    """ "Nur Deutsch"."""
    row = await _profile_row(ctx)
    row.languages = ["de"]
    await _ask_places(ctx)


@router.button(PLACE, roles=(VOLUNTEER,))
async def toggle_place(ctx: Context) -> None:
    """A place tapped: Digitalcafé, phone, at people's homes."""
    row = await _profile_row(ctx)
    place, key = ctx.button_args.get("place"), ctx.button_args.get("list")
    if place not in PLACE_LABELS or not isinstance(key, str):
        return
    chosen = set(row.places or [])
    chosen ^= {place}
    row.places = sorted(chosen)
    await ctx.edit(key, _places_message(row, key))


@router.button(PLACES_DONE, roles=(VOLUNTEER,))
async def places_done(ctx: Context) -> None:
    """Next: areas (for visits at home), else times."""
    row = await _profile_row(ctx)
    if not row.places:
        row.places = ["cafe"]
    if "home" in row.places:
        await ctx.ask(
            _("In which parts of town do you visit people? For example: Altstadt, Nord"),
            AREAS,
            {},
            [Button(_("Everywhere"), EVERYWHERE)],
        )
        return
    await _ask_times(ctx)


@router.state(AREAS, roles=(VOLUNTEER,))
async def areas_typed(ctx: Context) -> None:
    """Parts of town, comma separated."""
    row = await _profile_row(ctx)
    row.areas = [a.strip()[:60] for a in re.split(r"[,;]|\bund\b", ctx.text) if a.strip()][:20]
    await _ask_times(ctx)


@router.button(EVERYWHERE, roles=(VOLUNTEER,))
async def everywhere(ctx: Context) -> None:
    """ "Überall"."""
    row = await _profile_row(ctx)
    row.areas = []
    await _ask_times(ctx)


@router.state(TIMES, roles=(VOLUNTEER,))
async def times_typed(ctx: Context) -> None:
    """Usual times, in words; what is not understood matches any time."""
    row = await _profile_row(ctx)
    row.windows = weekly.windows(ctx.text)
    await _ask_max(ctx)


@router.button(VARIES, roles=(VOLUNTEER,))
async def varies(ctx: Context) -> None:
    """ "Ganz unterschiedlich"."""
    row = await _profile_row(ctx)
    row.windows = []
    await _ask_max(ctx)


@router.state(MAX_OPEN, roles=(VOLUNTEER,))
async def max_typed(ctx: Context) -> None:
    """How many requests at once, at most."""
    text = ctx.text.strip()
    if not is_number(text) or not 1 <= int(text) <= 10:
        await ctx.reply(_("Please write a number from 1 to 10."))
        return
    row = await _profile_row(ctx)
    row.max_open, row.updated_at = int(text), ctx.now
    await ctx.finish_dialog()
    await ctx.reply(await _summary(ctx, row))


@router.command(
    "pause",
    description=N_("Take a break from help requests: until a date"),
    roles=(VOLUNTEER,),
)
async def pause(ctx: Context) -> None:
    """No offers until the given day (two weeks when none is given)."""
    assert ctx.community is not None
    row = await _profile_row(ctx)
    zone = ZoneInfo(ctx.community.timezone)
    if ctx.args.strip():
        text = ctx.args.strip().removeprefix("bis ").removeprefix("until ")
        try:
            when = parse_when(text, ctx.now, ctx.community.timezone)
        except WhenError:
            await ctx.reply(
                _("Please write a day, for example: {prefix}pause 15.1.").format(
                    prefix=ctx.command_prefix
                )
            )
            return
        day = when.start.astimezone(zone).date()
    else:
        day = (ctx.now + DEFAULT_PAUSE).astimezone(zone).date()
    # Paused to the end of that day, in the community's time.
    row.paused_until = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    row.updated_at = ctx.now
    await ctx.reply(
        _(
            "Have a good break! No requests until {day}. Write {prefix}weiter to come back earlier."
        ).format(
            day=format_day(row.paused_until - timedelta(days=1), ctx.community.timezone),
            prefix=ctx.command_prefix,
        )
    )


@router.command("weiter", "resume", description=N_("End your break"), roles=(VOLUNTEER,))
async def resume(ctx: Context) -> None:
    """Back from the break."""
    row = await _profile_row(ctx)
    row.paused_until, row.updated_at = None, ctx.now
    await ctx.reply(_("Welcome back! You will get requests again."))


@router.command(
    "lotse_einladen",
    "invite_volunteer",
    description=N_("Invite someone as a Digitallotse: their number"),
    roles=(STAFF,),
)
async def invite(ctx: Context) -> None:
    """Give the volunteer role and ask the person to fill in their profile."""
    assert ctx.community is not None
    number = ctx.args.strip()
    person = (
        await communities.member(ctx.session, int(number), ctx.community.id)
        if is_number(number)
        else None
    )
    if person is None:
        # Unknown and foreign numbers get the same answer: numbers reveal nobody.
        await ctx.reply(
            _(
                "Please write the person's number, for example {prefix}lotse_einladen 12. "
                "{prefix}personen shows the numbers."
            ).format(prefix=ctx.command_prefix)
        )
        return
    await communities.grant_role(
        ctx.session,
        person.id,
        ctx.community.id,
        VOLUNTEER,
        granted_by=ctx.person.id,
        now=ctx.now,
    )
    community = ctx.community
    told = await tell_person(
        ctx.session,
        person.id,
        community,
        lambda prefix: _(
            "You are now a Digitallotse at {community}. Thank you!\n"
            "Please write {prefix}lotse to tell us what you can help with and when."
        ).format(community=community.name, prefix=prefix),
        f"vol-invite:{person.id}:{community.id}",
        ctx.now,
    )
    answer = _("{name} is now a Digitallotse.").format(name=person.display_name)
    if not told:
        answer += " " + _("Please tell them to write /lotse to the bot.")
    await ctx.reply(answer, about=(person.id,))


@router.command(
    "faehigkeiten",
    "skills",
    description=N_("The topics people can ask help with; add or rename"),
    roles=(STAFF,),
)
async def catalog(ctx: Context) -> None:
    """List the catalog; "/faehigkeiten neu Name" adds, "/faehigkeiten 3 Name" renames."""
    assert ctx.community is not None
    args = ctx.args.strip()
    entries = await skills.catalog(ctx.session, ctx.community)
    if args.casefold().startswith(("neu ", "new ")):
        name = args.split(" ", 1)[1].strip()
        if not name or len(name) > skills.MAX_LABEL:
            await ctx.reply(_("Please write a name with at most 80 characters."))
            return
        await skills.add(ctx.session, ctx.community, name)
        entries = await skills.catalog(ctx.session, ctx.community)
    elif (found := re.match(r"^(\d+)\s+(.+)$", args)) is not None:
        n, name = int(found.group(1)), found.group(2).strip()
        if not 1 <= n <= len(entries) or len(name) > skills.MAX_LABEL:
            await ctx.reply(_("There is no topic with this number."))
            return
        entries[n - 1].label = name
    elif args:
        await ctx.reply(
            _(
                "Please write {prefix}faehigkeiten neu Name, or {prefix}faehigkeiten 3 New name."
            ).format(prefix=ctx.command_prefix)
        )
        return
    lines = [_("Topics for help requests:")]
    lines += [f"{n}. {skills.label(entry, ctx.community)}" for n, entry in enumerate(entries, 1)]
    await ctx.reply("\n".join(lines))


@router.command(
    "lotsen",
    "volunteers",
    description=N_("The Digitallotsen with their requests and hours"),
    roles=(STAFF,),
    where="direct",
)
async def overview(ctx: Context) -> None:
    """Each volunteer: open and done requests, minutes, paused or not."""
    assert ctx.community is not None
    people = (
        await ctx.session.scalars(
            select(Person)
            .join(Role, Role.person_id == Person.id)
            .where(Role.community_id == ctx.community.id, Role.role == VOLUNTEER)
            .order_by(Person.display_name)
        )
    ).all()
    if not people:
        await ctx.reply(_("There are no Digitallotsen yet."))
        return
    lines = [_("Digitallotsen:")]
    for person in people:
        open_now, done, minutes = (
            await ctx.session.execute(
                select(
                    func.count().filter(HelpRequest.status == help_requests.ACCEPTED),
                    func.count().filter(HelpRequest.status == help_requests.DONE),
                    func.coalesce(func.sum(HelpRequest.minutes), 0),
                ).where(
                    HelpRequest.volunteer_id == person.id,
                    HelpRequest.community_id == ctx.community.id,
                )
            )
        ).one()
        row = await ctx.session.scalar(
            select(VolunteerProfile).where(VolunteerProfile.person_id == person.id)
        )
        line = _("{n}. {name}: {open} open, {done} done, {minutes} minutes").format(
            n=person.id, name=person.display_name, open=open_now, done=done, minutes=minutes
        )
        if row is None:
            line += " " + _("(no profile yet)")
        elif row.paused_until is not None and row.paused_until > ctx.now:
            line += " " + _("(on a break)")
        lines.append(line)
    await ctx.reply("\n".join(lines), about=[person.id for person in people])


async def _profile_row(ctx: Context) -> VolunteerProfile:
    row = await ctx.session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.person_id == ctx.person.id)
    )
    if row is None:
        row = VolunteerProfile(
            person_id=ctx.person.id,
            languages=["de"],
            areas=[],
            windows=[],
            places=[],
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.session.add(row)
        await ctx.session.flush()
    return row


async def _skills_message(ctx: Context, key: str) -> Outgoing:
    assert ctx.community is not None
    mine = set(
        (
            await ctx.session.scalars(
                select(VolunteerSkill.skill).where(VolunteerSkill.person_id == ctx.person.id)
            )
        ).all()
    )
    buttons = [
        Button(
            ("✅ " if entry.key in mine else "⬜ ") + skills.label(entry, ctx.community),
            SKILL,
            {"skill": entry.key, "list": key},
        )
        for entry in await skills.catalog(ctx.session, ctx.community)
    ]
    buttons.append(Button(_("Done, next question"), SKILLS_DONE))
    return Outgoing(
        _("What can you help with? Tap everything that fits. Then tap: Done, next question"),
        tuple(buttons),
    )


def _places_message(row: VolunteerProfile, key: str) -> Outgoing:
    chosen = set(row.places or [])
    buttons = [
        Button(
            ("✅ " if place in chosen else "⬜ ") + _(label), PLACE, {"place": place, "list": key}
        )
        for place, label in PLACE_LABELS.items()
    ]
    buttons.append(Button(_("Done, next question"), PLACES_DONE))
    return Outgoing(_("Where do you help? Tap everything that fits."), tuple(buttons))


async def _ask_places(ctx: Context) -> None:
    await ctx.finish_dialog()
    row = await _profile_row(ctx)
    key = f"vol-places:{ctx.person.id}:{ctx.dispatch_id}"
    await ctx.send(ctx.chat, _places_message(row, key), key)


async def _ask_times(ctx: Context) -> None:
    await ctx.ask(
        _(
            "When do you usually have time? "
            "For example: dienstags 14-18 Uhr, donnerstags vormittags"
        ),
        TIMES,
        {},
        [Button(_("It varies"), VARIES)],
    )


async def _ask_max(ctx: Context) -> None:
    await ctx.ask(
        _("How many requests would you like to have at the same time, at most?"),
        MAX_OPEN,
        {},
        numbers=True,
    )


async def _summary(ctx: Context, row: VolunteerProfile) -> str:
    assert ctx.community is not None
    mine = set(
        (
            await ctx.session.scalars(
                select(VolunteerSkill.skill).where(VolunteerSkill.person_id == ctx.person.id)
            )
        ).all()
    )
    topics = [
        skills.label(entry, ctx.community)
        for entry in await skills.catalog(ctx.session, ctx.community)
        if entry.key in mine
    ]
    lines = [
        _("Thank you! Your profile is saved."),
        _("Topics: {topics}").format(topics=", ".join(topics) or "–"),
        _("Where: {places}").format(
            places=", ".join(_(PLACE_LABELS[p]) for p in row.places if p in PLACE_LABELS)
        ),
        _("At most {n} requests at the same time.").format(n=row.max_open),
        "",
        _("You can change it any time with {prefix}lotse. A break: {prefix}pause").format(
            prefix=ctx.command_prefix
        ),
    ]
    return "\n".join(lines)
