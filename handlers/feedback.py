"""After a date: "Wie war es?" with five faces, an optional comment, topic wishes, thanks."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.language.i18n import _
from bot.reminders import feedback
from bot.reminders.texts import RATE

COMMENT, WISH = "fb.comment", "fb.wish"
SKIP = "fb.skip"
STEPS: dict[str, feedback.Step] = {COMMENT: "comment", WISH: "wish"}


def _thanks() -> str:
    return _("Thank you very much! That helps us a lot. See you next time.")


# Add the answers to the feedback question and its follow-ups.
router = Router()


@router.button(RATE)
async def rate(ctx: Context) -> None:
    """A face tapped: store it, then ask for a comment."""
    event_id = ctx.button_args.get("event")
    rating = ctx.button_args.get("rating")
    outcome = await feedback.rate(ctx.work, event_id, ctx.person.id, rating)
    if outcome == "gone":
        await ctx.button_gone()
    elif outcome == "changed":
        await ctx.reply(_("Thank you, I have changed your answer."))
    elif not ctx.can_write:
        # An e-mail's link: nobody can write a comment back.
        await ctx.reply(_thanks())
    else:
        await _ask(ctx, COMMENT, event_id)


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


async def _ask(ctx: Context, step: str, event_id: object) -> None:
    """Ask for the comment or the topic wish, with a "No, thank you" button."""
    if step == COMMENT:
        question = _("Would you like to say more? Then write it. Otherwise write 'nein'.")
    else:
        question = _("What would you like to talk about next time? Otherwise write 'nein'.")
    await ctx.ask(
        question,
        step,
        {"event": event_id},
        [Button(_("No, thank you"), SKIP, {"event": event_id, "step": step})],
    )


async def _take(ctx: Context, step: str, text: str) -> None:
    """Store the answer to the open question, then ask the next one or say thanks."""
    state = ctx.state.data if ctx.state is not None else await ctx.dialog_data(step)
    event_id = (state or {}).get("event")
    await ctx.finish_dialog()
    outcome = await feedback.answer(
        ctx.work,
        event_id,
        ctx.person.id,
        STEPS.get(step, "wish"),
        text,
        ask_wishes=ctx.services.policy.ask_wishes,
    )
    if outcome == "gone":
        await ctx.button_gone()
    elif outcome == "ask_wish":
        await _ask(ctx, WISH, event_id)
    else:
        await ctx.reply(_thanks())
