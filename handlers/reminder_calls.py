"""Reminder calls for phone sign-ups: /anrufe 12 lists a date's callers, a tap marks who
wants a call the day before; the list "Morgen bitte anrufen:" (sent by the scheduler) has a
button per person to mark the call done."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.domain.roles import STAFF
from bot.language.i18n import N_, _
from bot.reminders import calls
from handlers.date_views import numbered_event

WANTED = "call.wanted"

router = Router()


@router.command(
    "anrufe",
    "reminder_calls",
    description=N_("Reminder calls for phone sign-ups: number of the date"),
    roles=(STAFF,),
    where="direct",
)
async def list_callers(ctx: Context) -> None:
    """The date's phone sign-ups, a button each to switch the reminder call on or off."""
    if not ctx.args.strip():
        await ctx.reply(
            _("Please write the number of the date, for example: {prefix}anrufe 12").format(
                prefix=ctx.command_prefix
            )
        )
        return
    event = await numbered_event(ctx, ctx.args.split()[0])
    if event is None:
        return
    found = await calls.callers(ctx.work, event)
    if not found:
        await ctx.reply(_("Nobody signed up by phone for this date."))
        return
    lines = [_("Who wants a reminder call the day before?"), ""]
    for n, call in enumerate(found, 1):
        if call.done:
            state = _("called")
        else:
            state = _("wants a call") if call.wanted else _("no call")
        lines.append(
            _("{n}. {name}, phone {phone}").format(n=n, name=call.name, phone=call.phone)
            + f": {state}"
        )
    lines.append("")
    lines.append(
        _("Tap a name to switch the call on or off.")
        if ctx.can_tap
        else _("Write the number of a person to switch the call on or off.")
    )
    buttons = [Button(call.name, WANTED, {"rsvp": call.rsvp_id}) for call in found]
    await ctx.reply("\n".join(lines), buttons, about=[call.person_id for call in found])


@router.button(WANTED, roles=(STAFF,))
async def switch(ctx: Context) -> None:
    call = await _rsvp_action(ctx, calls.toggle_wanted)
    if call is None:
        return
    if call.wanted:
        text = _("{name} gets a reminder call. The day before, you get the list.")
    else:
        text = _("{name} gets no reminder call.")
    await ctx.reply(text.format(name=call.name), about=[call.person_id])


@router.button(calls.DONE, roles=(STAFF,))
async def called(ctx: Context) -> None:
    call = await _rsvp_action(ctx, calls.mark_called)
    if call is not None:
        await ctx.reply(
            _("Noted: {name} has been called. Thank you!").format(name=call.name),
            about=[call.person_id],
        )


async def _rsvp_action(ctx: Context, action: calls.RsvpAction) -> calls.Call | None:
    rsvp_id = ctx.button_args.get("rsvp")
    call = None
    if ctx.community is not None and isinstance(rsvp_id, int):
        call = await action(ctx.work, ctx.community, rsvp_id)
    if call is None:
        await ctx.button_gone()
    return call
