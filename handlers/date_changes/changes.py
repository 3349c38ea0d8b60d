"""Staff change dates: move, cancel, skip one of a series; sign up callers; see the list."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.chat.context import Context
from bot.chat.router import Router
from bot.dates import planning, rsvps, signup
from bot.domain.models import Event
from bot.domain.names import clean_name
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.domain.when import WhenError, parse_when
from bot.language.i18n import (
    N_,
    _,
    current_locale,
    format_span,
    language_name,
    locale_named,
    ngettext,
    offered_locales,
)
from handlers.date_changes import calling_off
from handlers.date_changes.common import numbered as _numbered
from handlers.date_changes.common import parts as _parts
from handlers.date_changes.common import told as _told
from handlers.date_changes.common import usage as _usage
from handlers.when_words import when_error

MAX_NAME = 100
MAX_EMAIL = 254
# Good enough to catch a typo; the mail server decides the rest (a bounce tells staff).
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}", re.ASCII)


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
    told = await planning.move_date(
        ctx.work,
        ctx.community,
        event,
        start,
        end,
        place,
        policy=ctx.services.policy,
        change_id=ctx.dispatch_id,
    )
    await _told(ctx, told, _("The date is moved."))


@router.command("absagen", "cancel_date", description=N_("Cancel a date: number"), roles=(STAFF,))
async def cancel(ctx: Context) -> None:
    """Call a date off and tell everyone signed up, once staff said yes."""
    await calling_off.ask_first(ctx, skip=False)


@router.command(
    "ausfallen",
    "skip_date",
    description=N_("Skip one date of a series, e.g. a holiday: number"),
    roles=(STAFF,),
)
async def skip(ctx: Context) -> None:
    """Skip one date of a series as an exception; the other dates stay (staff say yes first)."""
    await calling_off.ask_first(ctx, skip=True)


@router.command(
    "anmelden_fuer",
    "sign_up_for",
    description=N_("Sign up someone who called: number; name; phone or e-mail; people; language"),
    roles=(STAFF,),
)
async def sign_up_for(ctx: Context) -> None:
    """Sign up a person who phoned in; they need no chat account. A language at the end
    ("English") is the one their e-mails and letters use (else the group's)."""
    example = _("{prefix}anmelden_fuer 12; Erika Muster; 04542 1234; 2")
    parts = _parts(ctx) + [""] * 5
    event = await _numbered(ctx, parts, example)
    if event is None:
        return
    # Without invisible characters: the name is shown to others in lists and notices.
    name = clean_name(parts[1])
    if not name or len(name) > MAX_NAME:
        await _usage(ctx, example)
        return
    contact = await _checked_contact(ctx, parts[2], example)
    if contact is None:
        return
    size_text = parts[3] or "1"
    if not is_number(size_text) or not 1 <= int(size_text) <= rsvps.MAX_PARTY:
        await ctx.reply(
            _("Please give the number of people from 1 to {most}.").format(most=rsvps.MAX_PARTY)
        )
        return
    locale = locale_named(parts[4]) if parts[4] else None
    if parts[4] and locale is None:
        names = ", ".join(language_name(code) for code in offered_locales())
        await ctx.reply(
            _("I do not know this language: {word}. Please write one of these: {names}.").format(
                word=parts[4], names=names
            )
        )
        return
    assert ctx.community is not None
    email, phone = contact
    caller = await signup.sign_up_caller(
        ctx.work, ctx.community, event, name, phone, int(size_text), ctx.person.id, email, locale
    )
    await ctx.reply(_signed_up(caller.result, name, email), about=(caller.person_id,))


async def _checked_contact(
    ctx: Context, text: str, example: str
) -> tuple[str | None, str | None] | None:
    """The caller's e-mail address and phone number; None (and why, said) when the address
    cannot be used."""
    email, phone = _contact(text)
    if email is not None and not ctx.services.settings.email_enabled:
        await ctx.reply(_("This bot cannot send e-mails. Please give a phone number instead."))
        return None
    if email is not None and (len(email) > MAX_EMAIL or not EMAIL.fullmatch(email)):
        await ctx.reply(
            _("This e-mail address does not look right: {address}").format(address=email)
            + "\n"
            + _("Example: {example}").format(example=example.format(prefix=ctx.command_prefix))
        )
        return None
    return email, phone


def _signed_up(result: rsvps.SignUp, name: str, email: str | None) -> str:
    if result.outcome == rsvps.YES:
        text = _("{name} is signed up.").format(name=name)
        if email:
            text += " " + _("I am sending the confirmation by e-mail.")
        return text
    if result.outcome == rsvps.WAITLIST:
        return _("{name} is number {position} on the waiting list.").format(
            name=name, position=result.position
        )
    return _("Sign-up is not possible: the date is over or sign-up has closed.")


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
    found = await planning.attendees(ctx.work, event)
    capacity = event.capacity if event.capacity is not None else "-"
    lines.append(
        _("Places taken: {taken} of {capacity}").format(taken=found.taken, capacity=capacity)
    )
    lines.append("")
    lines.append(_("Signed up:") if found.seated else _("Nobody is signed up yet."))
    lines += [_attendee_line(n, one) for n, one in enumerate(found.seated, 1)]
    if found.waiting:
        lines += ["", _("Waiting list:")]
        lines += [_attendee_line(n, one) for n, one in enumerate(found.waiting, 1)]
    await ctx.reply(
        "\n".join(lines), about=[one.person_id for one in (*found.seated, *found.waiting)]
    )


def _attendee_line(n: int, attendee: planning.Attendee) -> str:
    """ "1. Erika Muster, mit 1 Begleitperson, Telefon 04542 1234" (no "(+1)" to decode)."""
    parts = [f"{n}. {attendee.name}"]
    if attendee.party_size > 1:
        companions = attendee.party_size - 1
        parts.append(
            ngettext("with {n} companion", "with {n} companions", companions).format(n=companions)
        )
    if attendee.phone:
        parts.append(_("phone {phone}").format(phone=attendee.phone))
    return ", ".join(parts)


def _contact(text: str) -> tuple[str | None, str | None]:
    """ "04542 1234", "erika@example.org" or both: the e-mail address (lower case) and the
    phone number."""
    words = text.replace(",", " ").split()
    email = next((w for w in words if "@" in w), None)
    phone = " ".join(w for w in words if w != email)[:40] or None
    return (email.lower() if email else None), phone


def _new_time(
    text: str, event: Event, timezone: str, now: datetime
) -> tuple[datetime, datetime | None]:
    """The new start (and end); a time alone ("16 Uhr") keeps the day of the date."""
    try:
        when = parse_when(text, now, timezone, require_time=True, language=current_locale())
    except WhenError as error:
        if error.reason != "no_date":
            raise
        day = event.starts_at.astimezone(ZoneInfo(timezone)).date()
        when = parse_when(
            f"{day.day}.{day.month}.{day.year} {text}",
            now,
            timezone,
            require_time=True,
            language=current_locale(),
        )
    if when.rrule is not None:
        raise WhenError("unknown")
    return when.start, when.end
