"""Staff change dates: move, cancel, skip one of a series; sign up callers; see the list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Outgoing
from bot.dates import rsvps, series, signup
from bot.dates.notices import refresh_posts, tell_groups, tell_person
from bot.dates.texts import cancel_notice, change_notice
from bot.domain.models import Community, Event, Person, Rsvp
from bot.domain.names import clean_name
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.domain.when import WhenError, parse_when
from bot.language.i18n import N_, _, format_span
from handlers.date_views import numbered_event
from handlers.when_words import when_error

MAX_NAME = 100


# Add moving, cancelling and skipping dates, phone sign-ups and the attendee list.
router = Router()


@router.command(
    "verschieben",
    "move_date",
    description=N_("Move a date: number; new time; new place"),
    roles=(STAFF,),
)
async def move(ctx: Context) -> None:
    """Move a date and tell everyone signed up, with old and new time side by side."""
    parts = _parts(ctx)
    event = await _numbered(ctx, parts, _("{prefix}verschieben 12; 16 Uhr; Rathaus, Saal 1"))
    if event is None:
        return
    assert ctx.community is not None
    if len(parts) < 2 or not parts[1]:
        await _usage(ctx, _("{prefix}verschieben 12; 16 Uhr; Rathaus, Saal 1"))
        return
    try:
        start, end = _new_time(parts[1], event, ctx.community.timezone, ctx.now)
    except WhenError as error:
        await ctx.reply(when_error(error))
        return
    place = parts[2] if len(parts) > 2 else None
    change = await series.move(
        ctx.session, event, start, end, place, ctx.now, policy=ctx.services.policy
    )
    community = ctx.community
    told, unreachable = await _tell_all(
        ctx,
        event,
        lambda prefix: change_notice(
            event, community, change.old_start, change.old_end, change.old_place, prefix
        ),
        f"moved:{event.id}:{ctx.dispatch_id}",
    )
    await refresh_posts(ctx.session, event, ctx.now)
    await ctx.reply(
        _summary(ctx, event, told, unreachable, _("The date is moved.")),
        about=[person_id for person_id, _name, _phone in unreachable],
    )


@router.command("absagen", "cancel_date", description=N_("Cancel a date: number"), roles=(STAFF,))
async def cancel(ctx: Context) -> None:
    """Call a date off and tell everyone signed up."""
    await _call_off(ctx, skip=False)


@router.command(
    "ausfallen",
    "skip_date",
    description=N_("Skip one date of a series, e.g. a holiday: number"),
    roles=(STAFF,),
)
async def skip(ctx: Context) -> None:
    """Skip one date of a series as an exception; the other dates stay."""
    await _call_off(ctx, skip=True)


@router.command(
    "anmelden_fuer",
    "sign_up_for",
    description=N_("Sign up someone who called: number; name; phone; people"),
    roles=(STAFF,),
)
async def sign_up_for(ctx: Context) -> None:
    """Sign up a person who phoned in; they need no chat account."""
    example = _("{prefix}anmelden_fuer 12; Erika Muster; 04542 1234; 2")
    parts = _parts(ctx)
    event = await _numbered(ctx, parts, example)
    if event is None:
        return
    # Without invisible characters: the name is shown to others in lists and notices.
    name = clean_name(parts[1] if len(parts) > 1 else "")
    if not name or len(name) > MAX_NAME:
        await _usage(ctx, example)
        return
    phone = (parts[2] if len(parts) > 2 else "")[:40] or None
    size_text = parts[3] if len(parts) > 3 and parts[3] else "1"
    if not is_number(size_text) or not 1 <= int(size_text) <= rsvps.MAX_PARTY:
        await ctx.reply(
            _("Please give the number of people from 1 to {most}.").format(most=rsvps.MAX_PARTY)
        )
        return
    # Stored as typed: a name starting with "=" stays text, exports neutralise it.
    assert ctx.community is not None
    community = ctx.community
    person = Person(display_name=name, created_at=ctx.now)
    ctx.session.add(person)
    await ctx.session.flush()
    result = await signup.sign_up(
        ctx.work, community, event, person.id, int(size_text), added_by=ctx.person.id, phone=phone
    )
    if result.outcome == rsvps.YES:
        text = _("{name} is signed up.").format(name=name)
    elif result.outcome == rsvps.WAITLIST:
        text = _("{name} is number {position} on the waiting list.").format(
            name=name, position=result.position
        )
    else:
        text = _("Sign-up is not possible: the date is over or sign-up has closed.")
    await ctx.reply(text, about=(person.id,))


@router.command(
    "teilnehmer",
    "attendees",
    description=N_("Who is signed up for a date: number"),
    roles=(STAFF,),
    where="direct",
)
async def attendees(ctx: Context) -> None:
    """The names for a date, only in a private chat with staff."""
    parts = _parts(ctx)
    event = await _numbered(ctx, parts, _("{prefix}teilnehmer 12"))
    if event is None:
        return
    assert ctx.community is not None
    lines = [event.title, format_span(event.starts_at, event.ends_at, ctx.community.timezone)]
    seated = await rsvps.attending(ctx.session, event.id, rsvps.YES)
    waiting = await rsvps.attending(ctx.session, event.id, rsvps.WAITLIST)
    taken = sum(r.party_size for r in seated)
    capacity = event.capacity if event.capacity is not None else "-"
    lines.append(_("Places taken: {taken} of {capacity}").format(taken=taken, capacity=capacity))
    lines.append("")
    lines.append(_("Signed up:") if seated else _("Nobody is signed up yet."))
    lines += [await _attendee_line(ctx.session, n, r) for n, r in enumerate(seated, 1)]
    if waiting:
        lines += ["", _("Waiting list:")]
        lines += [await _attendee_line(ctx.session, n, r) for n, r in enumerate(waiting, 1)]
    await ctx.reply("\n".join(lines), about=[r.person_id for r in (*seated, *waiting)])


async def _attendee_line(session: AsyncSession, n: int, rsvp: Rsvp) -> str:
    person = await session.get(Person, rsvp.person_id)
    name = person.display_name if person else "?"
    line = f"{n}. {name}"
    if rsvp.party_size > 1:
        line += " " + _("(+{n})").format(n=rsvp.party_size - 1)
    if rsvp.phone:
        line += " " + _("phone {phone}").format(phone=rsvp.phone)
    return line


async def _call_off(ctx: Context, *, skip: bool) -> None:
    command = "ausfallen" if skip else "absagen"
    parts = _parts(ctx)
    event = await _numbered(ctx, parts, "{prefix}" + command + " 12")
    if event is None:
        return
    assert ctx.community is not None
    community = ctx.community
    if event.status == "cancelled":
        await ctx.reply(_("This date is already cancelled."))
        return
    if skip and event.series_id is None:
        await ctx.reply(
            _("This date is not part of a series. Use {prefix}absagen.").format(
                prefix=ctx.command_prefix
            )
        )
        return
    if skip:
        await series.skip(ctx.session, event, community.timezone, ctx.now)
    else:
        await series.cancel(ctx.session, event, ctx.now)
    told, unreachable = await _tell_all(
        ctx,
        event,
        lambda prefix: cancel_notice(event, community, skip),
        f"cancelled:{event.id}",
    )
    await refresh_posts(ctx.session, event, ctx.now)
    await ctx.reply(
        _summary(ctx, event, told, unreachable, _("The date is cancelled.")),
        about=[person_id for person_id, _name, _phone in unreachable],
    )


async def _tell_all(
    ctx: Context, event: Event, build: Callable[[str], str], key: str
) -> tuple[int, list[tuple[int, str, str]]]:
    """Tell everyone with a place or on the waiting list; the rest go to staff's call list."""
    assert ctx.community is not None
    community: Community = ctx.community
    told = 0
    unreachable: list[tuple[int, str, str]] = []
    for rsvp in await rsvps.attending(ctx.session, event.id):
        ok = await tell_person(
            ctx.session,
            rsvp.person_id,
            community,
            build,
            f"{key}:{rsvp.person_id}",
            ctx.now,
            attachment=lambda: signup.ics_file(event, community),
        )
        if ok:
            told += 1
            continue
        person = await ctx.session.get(Person, rsvp.person_id)
        unreachable.append(
            (rsvp.person_id, person.display_name if person else "?", rsvp.phone or "")
        )
    if unreachable:
        # Some people cannot be written to privately: the groups hear it too, without names.
        await tell_groups(
            ctx.session, community, lambda prefix: Outgoing(build(prefix)), f"{key}:groups", ctx.now
        )
    return told, unreachable


def _summary(
    ctx: Context, event: Event, told: int, unreachable: list[tuple[int, str, str]], head: str
) -> str:
    lines = [head, _("{count} people were told privately.").format(count=told)]
    if unreachable:
        lines.append(_("Please call these people, they have no chat with the bot:"))
        lines += [f"- {name} {phone}".rstrip() for _id, name, phone in unreachable]
    return "\n".join(lines)


def _parts(ctx: Context) -> list[str]:
    return [part.strip() for part in ctx.args.split(";")] if ctx.args else []


async def _usage(ctx: Context, example: str) -> None:
    await ctx.reply(
        _("Please write it like this: {example}\nThe numbers are shown by {prefix}termine.").format(
            example=example.format(prefix=ctx.command_prefix), prefix=ctx.command_prefix
        )
    )


async def _numbered(ctx: Context, parts: list[str], example: str) -> Event | None:
    assert ctx.community is not None
    number = parts[0].removeprefix("Nr.").removeprefix("nr.").strip() if parts else ""
    if not is_number(number):
        await _usage(ctx, example)
        return None
    return await numbered_event(ctx, number)


def _new_time(
    text: str, event: Event, timezone: str, now: datetime
) -> tuple[datetime, datetime | None]:
    """The new start (and end); a time alone ("16 Uhr") keeps the day of the date."""
    try:
        when = parse_when(text, now, timezone, require_time=True)
    except WhenError as error:
        if error.reason != "no_date":
            raise
        day = event.starts_at.astimezone(ZoneInfo(timezone)).date()
        when = parse_when(
            f"{day.day}.{day.month}.{day.year} {text}", now, timezone, require_time=True
        )
    if when.rrule is not None:
        raise WhenError("unknown")
    return when.start, when.end
