"""Signing up for dates: Ich komme (with companions), Ich kann nicht, /termine, /abmelden."""

from __future__ import annotations

from bot.chat.context import FOR_PERSON, Context
from bot.chat.router import Router
from bot.chat.types import Attachment, Button
from bot.dates import rsvps, sharing, signup
from bot.dates.texts import (
    COMING,
    NOT_COMING,
    WITH_COMPANY,
    confirmation,
    waitlist_notice,
    which_date,
)
from bot.domain.models import Event
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.language.i18n import N_, _, format_span, ngettext
from handlers.date_views import date_button, own_status, pick_event, show_event, tell, upcoming

MAX_COMPANIONS = rsvps.MAX_PARTY - 1
UPCOMING_SHOWN = 8


# Add sign-up buttons, the date list, cancelling, and posting a date now.
router = Router()


@router.entry("dates")
@router.command("termine", "dates", description=N_("Show the next dates and your sign-ups"))
async def list_dates(ctx: Context) -> None:
    """The community's next dates, each with the person's own status."""
    assert ctx.community is not None
    dates = await upcoming(ctx, UPCOMING_SHOWN)
    if not dates:
        await ctx.reply(_("There are no dates planned at the moment."))
        return
    lines = [_("The next dates:")]
    buttons = []
    for event in dates:
        when = format_span(event.starts_at, event.ends_at, ctx.community.timezone)
        # One number per date, everywhere: the one commands take, typing it shows the date.
        line = _("No. {number}: {title}, {when}").format(
            number=event.id, title=event.title, when=when
        )
        if status := await own_status(ctx, event):
            line += "\n   " + status
        lines.append(line)
        buttons.append(date_button(event, ctx.community.timezone, "event.show"))
    lines.append("")
    lines.append(_("Write the number of a date to see it and sign up."))
    await ctx.reply("\n".join(lines), buttons)


@router.button("event.show")
async def show(ctx: Context) -> None:
    """One date written out, with the sign-up buttons."""
    event = await _event(ctx)
    if event is not None:
        await show_event(ctx, event)


@router.command(
    "aushang",
    "poster",
    description=N_("Printable poster of a date: number"),
    roles=(STAFF,),
)
async def poster(ctx: Context) -> None:
    """An A4 PDF for the notice board, with a QR code that opens the sign-up in the chat."""
    assert ctx.community is not None
    event = await pick_event(ctx)
    if event is None:
        return
    link = ctx.services.chat_link(f"termin_{event.id}")
    pdf = await sharing.poster(ctx.work, ctx.community, event, link)
    await ctx.reply(
        _("Here is the poster to print."),
        attachment=Attachment(
            filename=f"aushang-{event.starts_at:%Y-%m-%d}.pdf",
            data=pdf,
            mime_type="application/pdf",
        ),
    )


@router.entry("show_date")
async def show_by_link(ctx: Context) -> None:
    """A poster's QR code or a link (/start termin_12): the public date, to sign up."""
    found = await sharing.public_date(ctx.work, ctx.args.removeprefix("termin_"))
    if found is None:
        await ctx.button_gone()
        return
    event, ctx.community = found
    await show_event(ctx, event)


@router.button(COMING)
async def coming(ctx: Context) -> None:
    """Sign up alone."""
    event = await _event(ctx)
    if event is not None:
        await sign_up(ctx, event, 1)


@router.button(WITH_COMPANY)
async def coming_with_company(ctx: Context) -> None:
    """Ask how many people come along: privately where possible, for the group should not
    see who brings whom and nobody else may answer; in a group by name, to that person only."""
    event = await _event(ctx)
    if event is None:
        return
    question = _("How many people are you bringing along? Please write a number, for example 1.")
    data = {"event": event.id}
    buttons = [Button(str(n), "rsvp.party", {**data, "n": n}) for n in range(1, MAX_COMPANIONS + 1)]
    if await ctx.ask_privately(question, "rsvp.party", data, buttons, numbers=True):
        return
    mine = [Button(b.label, b.action, {**b.args, FOR_PERSON: ctx.person.id}) for b in buttons]
    named = _("{name}, how many people are you bringing along?").format(
        name=ctx.account.display_name or ctx.person.display_name
    )
    await ctx.ask(named, "rsvp.party", data, mine, numbers=True)


@router.button("rsvp.party")
async def party_button(ctx: Context) -> None:
    """The number of companions, tapped."""
    await ctx.finish_dialog()
    event = await _event(ctx)
    if event is not None:
        await sign_up(ctx, event, 1 + int(ctx.button_args.get("n", 0)))


@router.state("rsvp.party")
async def party_typed(ctx: Context) -> None:
    """The number of companions, typed."""
    assert ctx.state is not None
    text = ctx.text.strip()
    if not is_number(text) or not 1 <= int(text) <= MAX_COMPANIONS:
        await ctx.reply(
            _("Please write a number from 1 to {most}. Or write: abbrechen").format(
                most=MAX_COMPANIONS
            )
        )
        return
    event_id = int(ctx.state.data.get("event", 0))
    await ctx.finish_dialog()
    # Asked privately, the dialog acts for the date's own community.
    found = await sharing.offered_date(ctx.work, event_id, ctx.community, direct=ctx.is_direct)
    if found is None:
        await ctx.reply(_("This date no longer exists."))
        return
    event, ctx.community = found
    await sign_up(ctx, event, 1 + int(text))


@router.button(NOT_COMING)
async def not_coming(ctx: Context) -> None:
    """Say no, or give back a place."""
    event = await _event(ctx)
    if event is None:
        return
    assert ctx.community is not None
    seats = await signup.give_back(ctx.work, ctx.community, event, ctx.person.id, decline=True)
    date = which_date(event, ctx.community)
    notice = _("Thank you for letting us know. More in the private chat.")
    if seats:
        freed = _("Thank you for letting us know. Your place is now free for others.")
        if seats > 1:
            # Companions' places went too: say so, so nobody thinks they are still expected.
            freed = ngettext(
                "Thank you for letting us know. You and the people with you are signed off. "
                "{count} place is now free for others.",
                "Thank you for letting us know. You and the people with you are signed off. "
                "{count} places are now free for others.",
                seats,
            ).format(count=seats)
        await tell(
            ctx,
            freed + "\n\n" + date,
            await signup.cancellation_file(ctx.work, event, ctx.community),
            notice=notice,
        )
    else:
        await tell(ctx, _("Thank you for letting us know.") + "\n\n" + date, notice=notice)


@router.command("abmelden", "cancel_sign_up", description=N_("Cancel your sign-up"))
async def cancel_sign_up(ctx: Context) -> None:
    """Cancel one's own sign-up; asks which date when there are several."""
    mine = await signup.my_sign_ups(ctx.work, ctx.person.id)
    if not mine:
        await tell(ctx, _("You are not signed up for any date."))
        return
    if len(mine) == 1:
        await _cancel(ctx, mine[0])
        return
    assert ctx.community is not None
    buttons = [date_button(event, ctx.community.timezone, "rsvp.cancel") for event in mine]
    await tell(ctx, _("Which date do you want to cancel? Please write the number."), None, buttons)


@router.button("rsvp.cancel")
async def cancel_button(ctx: Context) -> None:
    """Cancel the chosen sign-up."""
    event = await _event(ctx)
    if event is not None:
        await _cancel(ctx, event)


@router.command(
    "ankuendigen",
    "announce",
    description=N_("Post the next date to all chats now"),
    roles=(STAFF,),
)
async def announce(ctx: Context) -> None:
    """Post a date (the next one, or the given number) with sign-up buttons right now."""
    assert ctx.community is not None
    event = await pick_event(ctx)
    if event is None:
        return
    count = await sharing.post_now(ctx.work, ctx.community, event, f"announce:{ctx.dispatch_id}")
    await ctx.reply(
        ngettext("Sent to {count} chat.", "Sent to {count} chats.", count).format(count=count)
    )


async def sign_up(ctx: Context, event: Event, party_size: int) -> None:
    """Sign the person up and tell them privately: confirmation with calendar file, or waiting."""
    assert ctx.community is not None
    community = ctx.community
    result = await signup.sign_up(ctx.work, community, event, ctx.person.id, party_size)
    signed_up = _("You are signed up. More in the private chat.")
    if result.outcome == "over":
        await tell(ctx, _("Sorry, this date is over or was cancelled."))
    elif result.outcome == "closed":
        contact = event.contact or community.contact
        closed = _("Sorry, sign-up for this date has closed.")
        if contact:
            closed += " " + _("Please ask: {contact}").format(contact=contact)
        await tell(ctx, closed)
    elif result.outcome == "no_room":
        await tell(
            ctx,
            _("Sorry, there are not enough places for your companions. Your place stays.")
            + "\n\n"
            + which_date(event, community),
        )
    elif result.outcome == rsvps.WAITLIST:
        assert result.position is not None
        await tell(
            ctx,
            waitlist_notice(event, community, result.position),
            notice=_("You are on the waiting list. More in the private chat."),
        )
    elif not result.changed:
        await tell(
            ctx,
            _("You are already signed up. See you then!") + "\n\n" + which_date(event, community),
            notice=signed_up,
        )
    else:
        await tell(
            ctx,
            confirmation(event, community, party_size, ctx.command_prefix),
            await signup.ics_file(ctx.work, event, community),
            notice=signed_up,
        )


async def _cancel(ctx: Context, event: Event) -> None:
    assert ctx.community is not None
    seats = await signup.give_back(ctx.work, ctx.community, event, ctx.person.id, decline=False)
    text = _("You are signed off from: {title}, {when}. Thank you for letting us know.").format(
        title=event.title,
        when=format_span(event.starts_at, event.ends_at, ctx.community.timezone),
    )
    if event.place:
        text += "\n" + _("Place: {place}").format(place=event.place)
    file = await signup.cancellation_file(ctx.work, event, ctx.community) if seats else None
    await tell(ctx, text, file)


async def _event(ctx: Context) -> Event | None:
    """The date the button names; the chat then acts for its community."""
    found = await sharing.offered_date(
        ctx.work, int(ctx.button_args.get("event", 0)), ctx.community, direct=ctx.is_direct
    )
    if found is None:
        await ctx.button_gone()
        return None
    event, ctx.community = found
    return event
