"""How a date is named and shown in chat, for every feature that works on one date: by its
number (as /termine shows it to staff) or the next one, and written out with the person's
own place."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.types import Attachment, Button, Outgoing
from bot.dates import events, rsvps, signup
from bot.dates.texts import announcement
from bot.domain.models import Event
from bot.domain.numbers import is_number
from bot.language.i18n import _, format_span, ngettext


async def upcoming(ctx: Context, limit: int) -> list[Event]:
    """The community's next dates."""
    assert ctx.community is not None
    return await events.coming(ctx.work, ctx.community.id, limit)


def date_button(event: Event, timezone: str, action: str) -> Button:
    """A date as a choice: its own number (``Button.number``, the one every list shows
    and every command takes), title and start."""
    label = f"{event.title}, " + format_span(event.starts_at, None, timezone)
    return Button(label, action, {"event": event.id}, number=event.id)


async def numbered_event(ctx: Context, number: str) -> Event | None:
    """The community's date with this number (as /termine and every list of dates shows
    it, "Nr. 12" or "12"); otherwise the person is told and None returned."""
    assert ctx.community is not None
    number = number.strip().removeprefix("Nr.").removeprefix("nr.").strip()
    event = (
        await events.in_community(ctx.work, ctx.community.id, int(number))
        if is_number(number)
        else None
    )
    if event is None:
        await ctx.reply(
            _("There is no date with number {number}. {prefix}termine shows the numbers.").format(
                number=number, prefix=ctx.command_prefix
            )
        )
    return event


async def pick_event(ctx: Context) -> Event | None:
    """The date staff named by its number ("No. 12"), or the next one."""
    first = ctx.args.split(maxsplit=1)[0] if ctx.args else ""
    if is_number(first):
        return await numbered_event(ctx, first)
    dates = await upcoming(ctx, 1)
    if not dates:
        await ctx.reply(_("There is no next date yet."))
        return None
    return dates[0]


async def own_status(ctx: Context, event: Event) -> str:
    """The person's place on the date in words (companions included), or "" when they have
    none; only in a private chat, for a group must not read one person's status."""
    if not ctx.is_direct:
        return ""
    mine = await signup.status(ctx.work, event, ctx.person.id)
    if mine is None:
        return ""
    if mine.status == rsvps.WAITLIST:
        return _("You are number {position} on the waiting list.").format(position=mine.position)
    if mine.party_size > 1:
        return ngettext(
            "You are signed up, with {n} companion.",
            "You are signed up, with {n} companions.",
            mine.party_size - 1,
        ).format(n=mine.party_size - 1)
    return _("You are signed up.")


async def show_event(ctx: Context, event: Event, intro: str = "") -> None:
    """The date as in the announcement (after ``intro``), plus the person's own status."""
    assert ctx.community is not None
    taken, waiting = await events.places(ctx.work, event.id)
    message = announcement(event, ctx.community, taken, waiting, ctx.now)
    status = await own_status(ctx, event)
    text = (intro + "\n\n" if intro else "") + message.text + ("\n\n" + status if status else "")
    await ctx.reply(text, message.buttons)


async def tell(
    ctx: Context,
    text: str,
    attachment: Attachment | None = None,
    buttons: tuple[Button, ...] | list[Button] = (),
    *,
    notice: str | None = None,
) -> None:
    """Answer privately when the person wrote in a group, so the group sees no names.

    A button pressed in the group is answered there with ``notice`` (or a general "more
    in the private chat"), shown to the presser alone where the platform can.
    """
    if ctx.is_direct:
        await ctx.reply(text, buttons, attachment=attachment)
        return
    outgoing = Outgoing(text, tuple(buttons), attachment)
    if not await ctx.send_private(ctx.person.id, outgoing, f"private:{ctx.dispatch_id}"):
        await ctx.reply(text, buttons, attachment=attachment)
        return
    await ctx.notify_presser(
        notice or _("I have written to you in the private chat."), elsewhere=False
    )
