"""Staff and the Digitallotsen: an invitation, the skill catalog, the overview."""

from __future__ import annotations

import re

from bot.chat.context import Context
from bot.chat.router import Router
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.helping import skills, volunteering
from bot.language.i18n import N_, _, ngettext

router = Router()


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
    invited = (
        await volunteering.invite(ctx.work, ctx.community, int(number), ctx.person.id)
        if is_number(number)
        else None
    )
    if invited is None:
        # Unknown and foreign numbers get the same answer: numbers reveal nobody.
        await ctx.reply(
            _(
                "Please write the person's number, for example {prefix}lotse_einladen 12. "
                "{prefix}personen shows the numbers."
            ).format(prefix=ctx.command_prefix)
        )
        return
    answer = _("{name} is now a Digitallotse.").format(name=invited.name)
    if not invited.told:
        answer += " " + _("Please tell them to write /lotse to the bot.")
    await ctx.reply(answer, about=(invited.person_id,))


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
    if args.casefold().startswith(("neu ", "new ")):
        name = args.split(" ", 1)[1].strip()
        if not name or len(name) > skills.MAX_LABEL:
            await ctx.reply(_("Please write a name with at most 80 characters."))
            return
        await volunteering.add_topic(ctx.work, ctx.community, name)
    elif (found := re.match(r"^(\d+)\s+(.+)$", args)) is not None:
        n, name = int(found.group(1)), found.group(2).strip()
        if await volunteering.rename_topic(ctx.work, ctx.community, n, name) != "renamed":
            await ctx.reply(_("There is no topic with this number."))
            return
    elif args:
        await ctx.reply(
            _(
                "Please write {prefix}faehigkeiten neu Name, or {prefix}faehigkeiten 3 New name."
            ).format(prefix=ctx.command_prefix)
        )
        return
    labels = await volunteering.topic_labels(ctx.work, ctx.community)
    lines = [_("Topics for help requests:")]
    lines += [f"{n}. {label}" for n, label in enumerate(labels, 1)]
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
    volunteers = await volunteering.overview(ctx.work, ctx.community)
    if not volunteers:
        await ctx.reply(_("There are no Digitallotsen yet."))
        return
    lines = [_("Digitallotsen:")]
    for each in volunteers:
        line = ngettext(
            "{n}. {name}: {open} open, {done} done, {minutes} minute",
            "{n}. {name}: {open} open, {done} done, {minutes} minutes",
            each.minutes,
        ).format(
            n=each.person_id, name=each.name, open=each.open, done=each.done, minutes=each.minutes
        )
        if each.state == "no profile":
            line += " " + _("(no profile yet)")
        elif each.state == "paused":
            line += " " + _("(on a break)")
        lines.append(line)
    await ctx.reply("\n".join(lines), about=[each.person_id for each in volunteers])
