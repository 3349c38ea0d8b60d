"""/pause and /weiter: a Digitallotse takes a break from help requests and comes back."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.chat.context import Context
from bot.chat.router import Router
from bot.domain.roles import VOLUNTEER
from bot.domain.when import WhenError, parse_when
from bot.helping import volunteering
from bot.language.i18n import N_, _, format_day

router = Router()


@router.command(
    "pause",
    description=N_("Take a break from help requests: until a date"),
    roles=(VOLUNTEER,),
)
async def pause(ctx: Context) -> None:
    """No offers until the given day (two weeks when none is given)."""
    assert ctx.community is not None
    last_day: date | None = None
    if ctx.args.strip():
        text = ctx.args.strip().removeprefix("bis ").removeprefix("until ")
        try:
            when = parse_when(text, ctx.now, ctx.community.timezone, language=ctx.locale)
        except WhenError:
            await ctx.reply(
                _("Please write a day, for example: {prefix}pause 15.1.").format(
                    prefix=ctx.command_prefix
                )
            )
            return
        last_day = when.start.astimezone(ZoneInfo(ctx.community.timezone)).date()
    day = await volunteering.pause(ctx.work, ctx.community, ctx.person.id, last_day)
    await ctx.reply(
        _(
            "Have a good break! No requests until {day}. Write {prefix}weiter to come back earlier."
        ).format(day=format_day(day, ctx.community.timezone), prefix=ctx.command_prefix)
    )


@router.command("weiter", "resume", description=N_("End your break"), roles=(VOLUNTEER,))
async def resume(ctx: Context) -> None:
    """Back from the break."""
    await volunteering.resume(ctx.work, ctx.person.id)
    await ctx.reply(_("Welcome back! You will get requests again."))
