"""/presse for staff: a text for the Amtsblatt or the local paper, as .odt and .txt.

"/presse 12" one date, "/presse reihe 12" the series of date 12, "/presse Dezember" the
month's dates; without words the next date.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Attachment
from bot.dates import press
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.exports.choices import parse_period
from bot.language.i18n import N_, _
from handlers.date_views import numbered_event, pick_event

SERIES_WORDS = {"reihe", "serie", "series", "alle", "all"}

router = Router()


@router.command(
    "presse",
    "press",
    description=N_("Text for the Amtsblatt or newspaper: number, or a month"),
    roles=(STAFF,),
)
async def press_text(ctx: Context) -> None:
    assert ctx.community is not None
    words = ctx.args.split()
    if words and words[0].casefold() in SERIES_WORDS and len(words) == 2:
        event = await numbered_event(ctx, words[1])
        if event is None:
            return
        text = await press.for_series(ctx.work, ctx.community, event)
    elif not words or is_number(words[0]):
        event = await pick_event(ctx)
        if event is None:
            return
        text = await press.for_date(ctx.work, ctx.community, event)
    else:
        found = await _month_text(ctx)
        if found is None:
            return
        text = found
    await ctx.reply(
        _("Here is the text for the Amtsblatt or the newspaper, to open in a word processor."),
        attachment=Attachment(*text.as_file(press.ODT)),
    )
    await ctx.reply(
        _("The same text as a plain text file:"),
        attachment=Attachment(*text.as_file(press.TXT)),
    )


async def _month_text(ctx: Context) -> press.PressText | None:
    assert ctx.community is not None
    period = parse_period(ctx.args, ctx.now.astimezone(ZoneInfo(ctx.community.timezone)).date())
    if period is None or (period.start.year, period.start.month) != (
        period.end.year,
        period.end.month,
    ):
        await ctx.reply(
            _(
                "Please write a date's number or a month, for example: {prefix}presse 12 or "
                "{prefix}presse Dezember"
            ).format(prefix=ctx.command_prefix)
        )
        return None
    text = await press.for_month(ctx.work, ctx.community, period.start.year, period.start.month)
    if text is None:
        await ctx.reply(
            _("There are no public dates in {month}.").format(month=press.month_name(period.start))
        )
    return text
