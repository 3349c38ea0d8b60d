"""/lotse: a Digitallotse's profile, asked one question after the other: skills (tapped),
languages, places (tapped), parts of town, usual times, how many requests at once."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button, Outgoing
from bot.domain.numbers import is_number
from bot.domain.roles import VOLUNTEER
from bot.helping import volunteering
from bot.language.choosing import joined, pick_many, then_word
from bot.language.i18n import N_, _, ngettext

SKILL, SKILLS_DONE = "vol.skill", "vol.skills_done"
PLACE, PLACES_DONE = "vol.place", "vol.places_done"
LANGUAGES, AREAS, TIMES, MAX_OPEN = "vol.languages", "vol.areas", "vol.times", "vol.max_open"
MAX_PICK = "vol.max_pick"
ONLY_GERMAN, EVERYWHERE, VARIES = "vol.only_german", "vol.everywhere", "vol.varies"
PLACE_LABELS = volunteering.PLACE_LABELS

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
    await volunteering.profile(ctx.work, ctx.person.id)
    key = f"vol-skills:{ctx.person.id}:{ctx.dispatch_id}"
    await ctx.send(ctx.chat, await _skills_message(ctx, key), key)


@router.button(SKILL, roles=(VOLUNTEER,))
async def toggle_skill(ctx: Context) -> None:
    """A skill tapped: offered, or (again) not."""
    key, skill = ctx.button_args.get("list"), ctx.button_args.get("skill")
    if not isinstance(key, str) or not isinstance(skill, str):
        return
    await volunteering.toggle_skill(ctx.work, ctx.person.id, skill)
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
    codes = volunteering.language_codes(ctx.text)
    await volunteering.set_languages(ctx.work, ctx.person.id, codes)
    await _ask_places(ctx)


@router.button(ONLY_GERMAN, roles=(VOLUNTEER,))
async def only_german(ctx: Context) -> None:
    """ "Nur Deutsch"."""
    await volunteering.set_languages(ctx.work, ctx.person.id, ["de"])
    await _ask_places(ctx)


@router.button(PLACE, roles=(VOLUNTEER,))
async def toggle_place(ctx: Context) -> None:
    """A place tapped: Digitalcafé, phone, at people's homes."""
    await volunteering.profile(ctx.work, ctx.person.id)
    place, key = ctx.button_args.get("place"), ctx.button_args.get("list")
    if place not in PLACE_LABELS or not isinstance(key, str):
        return
    chosen = await volunteering.toggle_place(ctx.work, ctx.person.id, str(place))
    await ctx.edit(key, _places_message(chosen, key, ctx.can_tap))


@router.button(PLACES_DONE, roles=(VOLUNTEER,))
async def places_done(ctx: Context) -> None:
    """Next: areas (for visits at home), else times."""
    if await volunteering.places_done(ctx.work, ctx.person.id):
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
    areas = volunteering.area_names(ctx.text)
    await volunteering.set_areas(ctx.work, ctx.person.id, areas)
    await _ask_times(ctx)


@router.button(EVERYWHERE, roles=(VOLUNTEER,))
async def everywhere(ctx: Context) -> None:
    """ "Überall"."""
    await volunteering.set_areas(ctx.work, ctx.person.id, [])
    await _ask_times(ctx)


@router.state(TIMES, roles=(VOLUNTEER,))
async def times_typed(ctx: Context) -> None:
    """Usual times, in words; what is not understood matches any time."""
    await volunteering.set_times(ctx.work, ctx.person.id, ctx.text)
    await _ask_max(ctx)


@router.button(VARIES, roles=(VOLUNTEER,))
async def varies(ctx: Context) -> None:
    """ "Ganz unterschiedlich"."""
    await volunteering.set_times(ctx.work, ctx.person.id, "")
    await _ask_max(ctx)


@router.state(MAX_OPEN, roles=(VOLUNTEER,))
async def max_typed(ctx: Context) -> None:
    """How many requests at once, at most, typed."""
    text = ctx.text.strip()
    if not is_number(text) or not 1 <= int(text) <= volunteering.MAX_OPEN:
        await ctx.reply(_("Please write a number from 1 to 10."))
        return
    await _finish(ctx, int(text))


@router.button(MAX_PICK, roles=(VOLUNTEER,))
async def max_tapped(ctx: Context) -> None:
    """How many requests at once, tapped (1, 2 or 3)."""
    n = ctx.button_args.get("n")
    if await ctx.dialog_data(MAX_OPEN) is None or n not in (1, 2, 3):
        await ctx.button_gone()
        return
    await _finish(ctx, int(n))


async def _finish(ctx: Context, max_open: int) -> None:
    """Save the last answer and read the whole profile back."""
    assert ctx.community is not None
    summary = await volunteering.finish_profile(ctx.work, ctx.community, ctx.person.id, max_open)
    await ctx.finish_dialog()
    lines = [
        _("Thank you! Your profile is saved."),
        _("Topics: {topics}").format(topics=", ".join(summary.topics) or "–"),
        _("Languages: {languages}").format(languages=", ".join(summary.languages)),
        _("Where: {places}").format(places=", ".join(_(PLACE_LABELS[p]) for p in summary.places)),
    ]
    if "home" in summary.places:
        areas = ", ".join(summary.areas) or _("everywhere")
        lines.append(_("Parts of town: {areas}").format(areas=areas))
    times = "; ".join(summary.times) or _("it varies")
    lines += [
        _("Times: {times}").format(times=times),
        ngettext(
            "At most {n} request at the same time.",
            "At most {n} requests at the same time.",
            summary.max_open,
        ).format(n=summary.max_open),
        "",
        _("You can change it any time with {prefix}lotse. A break: {prefix}pause").format(
            prefix=ctx.command_prefix
        ),
    ]
    await ctx.reply("\n".join(lines))


async def _skills_message(ctx: Context, key: str) -> Outgoing:
    """The catalog as buttons, ticked where the volunteer offers the skill."""
    assert ctx.community is not None
    choices = await volunteering.skill_choices(ctx.work, ctx.community, ctx.person.id)
    buttons = [
        Button(
            ("✅ " if choice.chosen else "⬜ ") + choice.label,
            SKILL,
            {"skill": choice.key, "list": key},
        )
        for choice in choices
    ]
    buttons.append(Button(_("Done, next question"), SKILLS_DONE))
    question = joined(
        _("What can you help with?"),
        pick_many(ctx.can_tap),
        then_word(_("Done, next question"), ctx.can_tap),
    )
    return Outgoing(question, tuple(buttons))


def _places_message(chosen: list[str], key: str, can_tap: bool) -> Outgoing:
    buttons = [
        Button(
            ("✅ " if place in chosen else "⬜ ") + _(label), PLACE, {"place": place, "list": key}
        )
        for place, label in PLACE_LABELS.items()
    ]
    buttons.append(Button(_("Done, next question"), PLACES_DONE))
    question = joined(
        _("Where do you help?"),
        pick_many(can_tap),
        then_word(_("Done, next question"), can_tap),
    )
    return Outgoing(question, tuple(buttons))


async def _ask_places(ctx: Context) -> None:
    await ctx.finish_dialog()
    row = await volunteering.profile(ctx.work, ctx.person.id)
    key = f"vol-places:{ctx.person.id}:{ctx.dispatch_id}"
    await ctx.send(ctx.chat, _places_message(list(row.places or []), key, ctx.can_tap), key)


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
        _(
            "How many requests would you like to have at the same time, at most? "
            "For example: 2. You can write any number up to 10."
        ),
        MAX_OPEN,
        {},
        [Button(str(n), MAX_PICK, {"n": n}) for n in (1, 2, 3)],
        numbers=True,  # a typed number is the answer; the buttons say the same
    )
