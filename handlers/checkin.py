"""Attendance at the door: staff's list with a button per person, guests, "alle anwesend";
people checking themselves in with the date's code or QR code; the QR image."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import segno
from sqlalchemy import select

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Attachment, Button, Outgoing, subject_ids
from bot.dates import attendance
from bot.domain.models import Community, Event, EventHelper, Person
from bot.domain.names import clean_name
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.language.i18n import N_, _, format_span, ngettext
from bot.reminders import jobs
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
    await _helped(ctx, event)
    key = f"checkin:{event.id}:{ctx.dispatch_id}"
    await ctx.send(ctx.chat, await _list(ctx, event, key), key)


@router.button(TOGGLE, roles=(STAFF,))
async def toggle(ctx: Context) -> None:
    """A name tapped: there, or (tapped again) not there after all."""
    event = await _listed_event(ctx)
    person_id = ctx.button_args.get("person")
    if event is None or not isinstance(person_id, int):
        return
    if not await attendance.check_in(
        ctx.session, event, person_id, "staff", ctx.now, ctx.person.id
    ):
        await attendance.undo(ctx.session, event, person_id)
    await _refresh(ctx, event)


@router.button(ALL, roles=(STAFF,))
async def everyone(ctx: Context) -> None:
    """ "Alle anwesend": everyone signed up is there."""
    event = await _listed_event(ctx)
    if event is None:
        return
    for rsvp in await attendance.signed_up(ctx.session, event.id):
        await attendance.check_in(ctx.session, event, rsvp.person_id, "all", ctx.now, ctx.person.id)
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
    event = await ctx.session.get(Event, int(data.get("event", 0)))
    await ctx.finish_dialog()
    if event is None or ctx.community is None or event.community_id != ctx.community.id:
        return
    text = ctx.text.strip()
    if is_number(text):
        count = int(text)
        if not 1 <= count <= 100:
            await ctx.reply(_("Please write a number from 1 to 100."))
            return
        attendance.add_walk_ins(event, count)
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
        # Stored as typed (minus invisible characters); exports neutralise "=1+1".
        person = Person(display_name=name, created_at=ctx.now)
        ctx.session.add(person)
        await ctx.session.flush()
        await attendance.check_in(ctx.session, event, person.id, "guest", ctx.now, ctx.person.id)
        await ctx.reply(_("Added: {name}").format(name=name), about=(person.id,))
    if isinstance(data.get("list"), str):
        ctx.button_args = {"list": data["list"]}
        await _refresh(ctx, event)


@router.button(DONE, roles=(STAFF,))
async def done(ctx: Context) -> None:
    """Close the list with a short count."""
    event = await _listed_event(ctx)
    if event is None:
        return
    await ctx.reply(await _count_line(ctx, event) + "\n" + _("Thank you!"))


@router.command(
    "hier",
    "here",
    description=N_("Check in at the venue with the number shown there"),
    needs_community=False,
)
async def here(ctx: Context) -> None:
    """Check oneself in with the date's code (typed, or from the QR code)."""
    await check_in_self(ctx, ctx.args)


@router.command(
    "qr",
    description=N_("QR code for checking in at the venue: number of the date"),
    roles=(STAFF,),
)
async def qr(ctx: Context) -> None:
    """The date's check-in QR code as a picture, with the code for typing."""
    event = await _date(ctx)
    if event is None:
        return
    code = await attendance.ensure_code(ctx.session, event)
    link = checkin_link(ctx, code)
    text = _("Check-in for {title}: please show or print this.").format(title=event.title)
    text += "\n" + _("Without the QR code: write {prefix}hier {code} to the bot.").format(
        prefix=ctx.command_prefix, code=code
    )
    if link is None:
        await ctx.reply(text)
        return
    await ctx.reply(text, attachment=qr_png(link, f"anwesenheit-{event.id}.png"))


@router.entry("check_in")
async def checked_in_by_link(ctx: Context) -> None:
    """The QR code's deep link (/start hier_12345): check the person in."""
    await check_in_self(ctx, ctx.args.removeprefix("hier_"))


async def check_in_self(ctx: Context, code: str) -> None:
    """Shared by /hier and the QR code's deep link (/start hier_12345)."""
    code = code.strip()
    event = await attendance.by_code(ctx.session, code, ctx.now) if is_number(code) else None
    if event is None:
        await ctx.reply(
            _("This number does not fit a date today. Please look again, or ask the team.")
        )
        return
    new = await attendance.check_in(ctx.session, event, ctx.person.id, "self", ctx.now)
    if new:
        await ctx.reply(
            _("Welcome to {title}! Good to have you here. You are checked in.").format(
                title=event.title
            )
        )
    else:
        await ctx.reply(_("You are already checked in. Have a good time!"))


def checkin_link(ctx: Context, code: str) -> str | None:
    """A link that checks the person in when opened; None where no platform has one."""
    return ctx.services.deep_link(f"hier_{code}")


def qr_png(content: str, filename: str) -> Attachment:
    out = io.BytesIO()
    segno.make(content, error="m").save(out, kind="png", scale=12, border=4)
    return Attachment(filename, out.getvalue(), "image/png", is_image=True)


async def _date(ctx: Context) -> Event | None:
    """The numbered date, else the one happening today (or next within a day)."""
    assert ctx.community is not None
    number = ctx.args.strip().removeprefix("Nr.").strip()
    if number:
        return await numbered_event(ctx, number)
    event = await _today(ctx, ctx.community)
    if event is None:
        await ctx.reply(
            _(
                "There is no date today. Please add the number, for example {prefix}anwesenheit 12."
            ).format(prefix=ctx.command_prefix)
        )
    return event


async def _today(ctx: Context, community: Community) -> Event | None:
    zone = ZoneInfo(community.timezone)
    local_now = ctx.now.astimezone(zone)
    rows = (
        await ctx.session.scalars(
            select(Event)
            .where(
                Event.community_id == community.id,
                Event.status != "cancelled",
                Event.starts_at > ctx.now - timedelta(hours=12),
                Event.starts_at < ctx.now + timedelta(hours=24),
            )
            .order_by(Event.starts_at)
        )
    ).all()
    for event in rows:  # one that runs now or today first
        if event.starts_at.astimezone(zone).date() == local_now.date():
            if jobs.ends_at(event) + timedelta(hours=1) >= ctx.now:
                return event
    return next((e for e in rows if e.starts_at > ctx.now), None)


async def _listed_event(ctx: Context) -> Event | None:
    event = await ctx.session.get(Event, int(ctx.button_args.get("event", 0) or 0))
    if event is None or ctx.community is None or event.community_id != ctx.community.id:
        await ctx.button_gone()
        return None
    return event


async def _helped(ctx: Context, event: Event) -> None:
    """Whoever takes attendance served at the date (for their thanks)."""
    known = await ctx.session.scalar(
        select(EventHelper.id).where(
            EventHelper.event_id == event.id, EventHelper.person_id == ctx.person.id
        )
    )
    if known is None:
        ctx.session.add(EventHelper(event_id=event.id, person_id=ctx.person.id, created_at=ctx.now))


async def _count_line(ctx: Context, event: Event) -> str:
    signed = await attendance.signed_up(ctx.session, event.id)
    present = await attendance.present(ctx.session, event.id)
    came = sum(1 for r in signed if r.person_id in present)
    guests = len(present - {r.person_id for r in signed}) + event.walk_ins
    return _("Here: {came} of {signed} signed up, and {guests} guests.").format(
        came=came, signed=len(signed), guests=guests
    )


async def _list(ctx: Context, event: Event, key: str) -> Outgoing:
    assert ctx.community is not None
    signed = await attendance.signed_up(ctx.session, event.id)
    present = await attendance.present(ctx.session, event.id)
    lines = [
        f"{event.title}, {format_span(event.starts_at, event.ends_at, ctx.community.timezone)}",
        await _count_line(ctx, event),
        _("Tap a name when the person is here. Tap again to undo."),
    ]
    buttons = []
    for rsvp in signed:
        person = await ctx.session.get(Person, rsvp.person_id)
        name = person.display_name if person else "?"
        mark = "✅" if rsvp.person_id in present else "⬜"
        extra = f" (+{rsvp.party_size - 1})" if rsvp.party_size > 1 else ""
        buttons.append(
            Button(
                f"{mark} {name}{extra}",
                TOGGLE,
                {"event": event.id, "person": rsvp.person_id, "list": key},
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
        about=subject_ids([*present, *(r.person_id for r in signed)]),
    )


async def _refresh(ctx: Context, event: Event) -> None:
    """Show the new state in the list message itself, where the platform can edit."""
    key = ctx.button_args.get("list")
    if not isinstance(key, str):
        return
    await ctx.edit(key, await _list(ctx, event, key))
