"""Attendance at the door: staff's list with a button per person, guests, "alle anwesend";
people checking themselves in with the date's code or QR code; the QR image."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Attachment, Button, Outgoing, subject_ids
from bot.dates import checkin, events
from bot.domain.models import Event
from bot.domain.names import clean_name
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.language.i18n import N_, _, format_span, ngettext
from handlers.date_views import numbered_event

TOGGLE, ALL, GUEST, DONE = "ci.toggle", "ci.all", "ci.guest", "ci.done"
GUEST_STATE = "ci.guest_name"
MAX_NAME = 100


# Add the check-in list, self check-in and the check-in QR code.
router = Router()


@router.command(
    "anwesenheit",
    "attendance",
    description=N_("Take attendance at the door: number of the date"),
    roles=(STAFF,),
    where="direct",
)
async def open_list(ctx: Context) -> None:
    """Show today's (or the given) date with a button per signed-up person."""
    event = await _date(ctx)
    if event is None:
        return
    await checkin.take_attendance(ctx.work, event, ctx.person.id)
    key = f"checkin:{event.id}:{ctx.dispatch_id}"
    await ctx.send(ctx.chat, await _list(ctx, event, key), key)


@router.button(TOGGLE, roles=(STAFF,))
async def toggle(ctx: Context) -> None:
    """A name tapped: there, or (tapped again) not there after all."""
    event = await _listed_event(ctx)
    person_id = ctx.button_args.get("person")
    if event is None or not isinstance(person_id, int):
        return
    await checkin.toggle(ctx.work, event, person_id, ctx.person.id)
    await _refresh(ctx, event)


@router.button(ALL, roles=(STAFF,))
async def everyone(ctx: Context) -> None:
    """ "Alle anwesend": everyone signed up is there."""
    event = await _listed_event(ctx)
    if event is None:
        return
    await checkin.everyone_here(ctx.work, event, ctx.person.id)
    await _refresh(ctx, event)


@router.button(GUEST, roles=(STAFF,))
async def guest(ctx: Context) -> None:
    """Someone came without signing up: ask the name, or just count."""
    event = await _listed_event(ctx)
    if event is None:
        return
    await ctx.ask(
        _("What is the guest's name? To only count guests, write the number."),
        GUEST_STATE,
        {"event": event.id, "list": ctx.button_args.get("list")},
        numbers=True,
    )


@router.state(GUEST_STATE, roles=(STAFF,))
async def guest_typed(ctx: Context) -> None:
    """The guest's name, or how many guests came."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    await ctx.finish_dialog()
    if ctx.community is None:
        return
    event = await events.in_community(ctx.work, ctx.community.id, int(data.get("event", 0)))
    if event is None:
        return
    text = ctx.text.strip()
    if is_number(text):
        count = int(text)
        if not 1 <= count <= 100:
            await ctx.reply(_("Please write a number from 1 to 100."))
            return
        await checkin.add_walk_ins(ctx.work, event, count)
        await ctx.reply(
            ngettext("Counted: {count} more guest.", "Counted: {count} more guests.", count).format(
                count=count
            )
        )
    else:
        name = clean_name(text)
        if not name or len(name) > MAX_NAME:
            await ctx.reply(_("Please write a name with at most 100 characters."))
            return
        person_id = await checkin.add_guest(ctx.work, event, name, ctx.person.id)
        await ctx.reply(_("Added: {name}").format(name=name), about=(person_id,))
    if isinstance(data.get("list"), str):
        ctx.button_args = {"list": data["list"]}
        await _refresh(ctx, event)


@router.button(DONE, roles=(STAFF,))
async def done(ctx: Context) -> None:
    """Close the list with a short count."""
    event = await _listed_event(ctx)
    if event is None:
        return
    count = await checkin.headcount(ctx.work, event)
    await ctx.reply(_count_line(count) + "\n" + _("Thank you!"))


@router.command(
    "hier",
    "here",
    description=N_("Check in at the venue with the number shown there"),
    needs_community=False,
)
async def here(ctx: Context) -> None:
    """Check oneself in with the date's code (typed, or from the QR code)."""
    if not ctx.args.strip():
        await ctx.reply(
            _("Please write the number shown at the venue, for example {prefix}hier 12345.").format(
                prefix=ctx.command_prefix
            )
        )
        return
    await check_in_self(ctx, ctx.args)


@router.command(
    "qr",
    description=N_("QR code for checking in at the venue: number of the date"),
    roles=(STAFF,),
)
async def qr(ctx: Context) -> None:
    """The date's check-in QR code as a picture, with the code for typing."""
    event = await _date(ctx, qr=True)
    if event is None:
        return
    code = await checkin.code(ctx.work, event)
    link = ctx.services.deep_link(f"hier_{code}")
    text = _("Check-in: {title}\nPlease show or print this.").format(title=event.title)
    text += "\n" + _("Without the QR code: write {prefix}hier {code} to the bot.").format(
        prefix=ctx.command_prefix, code=code
    )
    if link is None:  # no platform has links that open the bot's chat with a code
        await ctx.reply(text)
        return
    picture = Attachment(
        f"anwesenheit-{event.id}.png", checkin.qr_png(link), "image/png", is_image=True
    )
    await ctx.reply(text, attachment=picture)


@router.entry("check_in")
async def checked_in_by_link(ctx: Context) -> None:
    """The QR code's deep link (/start hier_12345): check the person in."""
    await check_in_self(ctx, ctx.args.removeprefix("hier_"))


async def check_in_self(ctx: Context, code: str) -> None:
    """Shared by /hier and the QR code's deep link (/start hier_12345)."""
    result = await checkin.check_in_by_code(ctx.work, ctx.person.id, code)
    if result is None:
        await ctx.reply(
            _("This number does not fit a date today. Please look again, or ask the team.")
        )
    elif result.new:
        await ctx.reply(
            _("Welcome! Good to have you here.\nYou are checked in: {title}.").format(
                title=result.event.title
            )
        )
    else:
        await ctx.reply(_("You are already checked in. Have a good time!"))


async def _date(ctx: Context, *, qr: bool = False) -> Event | None:
    """The numbered date, else the one happening today (or next within a day); without
    one, the example names the command the person wrote."""
    assert ctx.community is not None
    number = ctx.args.strip().removeprefix("Nr.").strip()
    if number:
        return await numbered_event(ctx, number)
    event = await checkin.date_at_door(ctx.work, ctx.community)
    if event is None and qr:
        await ctx.reply(
            _("There is no date today. Please add the number, for example {prefix}qr 12.").format(
                prefix=ctx.command_prefix
            )
        )
    elif event is None:
        await ctx.reply(
            _(
                "There is no date today. Please add the number, for example {prefix}anwesenheit 12."
            ).format(prefix=ctx.command_prefix)
        )
    return event


async def _listed_event(ctx: Context) -> Event | None:
    """The list's date from the button, when it belongs to this chat's community."""
    event = None
    if ctx.community is not None:
        event_id = int(ctx.button_args.get("event", 0) or 0)
        event = await events.in_community(ctx.work, ctx.community.id, event_id)
    if event is None:
        await ctx.button_gone()
    return event


def _count_line(count: checkin.Headcount) -> str:
    return _("Signed up: {signed}, of them here: {came}. Guests: {guests}.").format(
        came=count.came, signed=count.signed, guests=count.guests
    )


async def _list(ctx: Context, event: Event, key: str) -> Outgoing:
    """The door list as a message: the count and a button per signed-up person."""
    assert ctx.community is not None
    door = await checkin.door_list(ctx.work, event)
    lines = [
        f"{event.title}, {format_span(event.starts_at, event.ends_at, ctx.community.timezone)}",
        _count_line(door.headcount),
        _("Tap a name when the person is here. Tap again to undo.")
        if ctx.can_tap
        else _("Write the number of a person who is here. The same number again undoes it."),
    ]
    buttons = []
    for listed in door.people:
        mark = "✅" if listed.present else "⬜"
        extra = f" (+{listed.party_size - 1})" if listed.party_size > 1 else ""
        buttons.append(
            Button(
                f"{mark} {listed.name}{extra}",
                TOGGLE,
                {"event": event.id, "person": listed.person_id, "list": key},
            )
        )
    args = {"event": event.id, "list": key}
    buttons += [
        Button(_("Everyone is here"), ALL, args),
        Button(_("Add a guest"), GUEST, args),
        Button(_("Done"), DONE, args),
    ]
    # The buttons name everyone signed up, guests show as present.
    return Outgoing(
        "\n".join(lines),
        tuple(buttons),
        about=subject_ids([*door.present, *(p.person_id for p in door.people)]),
    )


async def _refresh(ctx: Context, event: Event) -> None:
    """Show the new state in the list message itself, where the platform can edit."""
    key = ctx.button_args.get("list")
    if not isinstance(key, str):
        return
    await ctx.edit(key, await _list(ctx, event, key))
