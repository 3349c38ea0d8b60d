"""After a date: "Wie war es?" with five faces, an optional comment, topic wishes, thanks."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.domain.models import Event, Feedback, Series
from bot.language.i18n import _
from bot.reminders.texts import RATE, RATINGS

COMMENT, WISH = "fb.comment", "fb.wish"
SKIP = "fb.skip"
MAX_ANSWER = 1000
NO_WORDS = {"nein", "nein danke", "nein, danke", "no", "no thanks", "no, thanks", "nichts", "-"}


# Add the answers to the feedback question and its follow-ups.
router = Router()


@router.button(RATE)
async def rate(ctx: Context) -> None:
    """A face tapped: store it, then ask for a comment."""
    row = await _row(ctx)
    rating = ctx.button_args.get("rating")
    if row is None or rating not in {value for value, _f, _l in RATINGS}:
        await ctx.button_gone()
        return
    changed = row.rating is not None
    row.rating, row.answered_at = int(rating), ctx.now
    if changed:
        await ctx.reply(_("Thank you, I have changed your answer."))
        return
    await ctx.ask(
        _("Would you like to say more? Then write it. Otherwise write 'nein'."),
        COMMENT,
        {"event": row.event_id},
        [Button(_("No, thank you"), SKIP, {"event": row.event_id, "step": COMMENT})],
    )


@router.state(COMMENT)
async def comment(ctx: Context) -> None:
    """The comment, typed (or "nein")."""
    await _take(ctx, COMMENT, ctx.text)


@router.state(WISH)
async def wish(ctx: Context) -> None:
    """The topic wish, typed (or "nein")."""
    await _take(ctx, WISH, ctx.text)


@router.button(SKIP)
async def skip(ctx: Context) -> None:
    """ "No, thank you" tapped for the open question."""
    step = ctx.button_args.get("step")
    data = await ctx.dialog_data(str(step))
    if data is None or data.get("event") != ctx.button_args.get("event"):
        await ctx.reply(_("This question is already answered. Thank you!"))
        return
    await _take(ctx, str(step), "")


async def _row(ctx: Context, event_id: object = None) -> Feedback | None:
    """The person's own feedback row for the date (only attendees were asked)."""
    wanted = event_id if event_id is not None else ctx.button_args.get("event")
    if not isinstance(wanted, int):
        return None
    return await ctx.session.scalar(
        select(Feedback).where(Feedback.event_id == wanted, Feedback.person_id == ctx.person.id)
    )


async def _take(ctx: Context, step: str, text: str) -> None:
    state = ctx.state.data if ctx.state is not None else await ctx.dialog_data(step)
    row = await _row(ctx, (state or {}).get("event"))
    await ctx.finish_dialog()
    if row is None:
        await ctx.button_gone()
        return
    answer = "" if _normalise(text) in NO_WORDS else text.strip()[:MAX_ANSWER]
    if step == COMMENT:
        row.comment = answer
        if await _ask_wishes(ctx, row.event_id):
            await ctx.ask(
                _("What would you like to talk about next time? Otherwise write 'nein'."),
                WISH,
                {"event": row.event_id},
                [Button(_("No, thank you"), SKIP, {"event": row.event_id, "step": WISH})],
            )
            return
    else:
        row.wish = answer
    await ctx.reply(_("Thank you very much! That helps us a lot. See you next time."))


async def _ask_wishes(ctx: Context, event_id: int) -> bool:
    if not ctx.services.policy.ask_wishes:
        return False
    series_id = await ctx.session.scalar(select(Event.series_id).where(Event.id == event_id))
    if series_id is None:
        return True
    return bool(await ctx.session.scalar(select(Series.ask_wishes).where(Series.id == series_id)))


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().strip(".!").casefold()
