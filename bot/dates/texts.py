"""Member-facing texts about dates: the announcement, confirmations and change notices.

Used by the handlers and by the scheduler, so a date reads the same wherever it appears.
Call inside ``use_locale`` for the reader's language.
"""

from __future__ import annotations

from datetime import datetime

from bot.chat.types import Button, Outgoing
from bot.dates.details import lines
from bot.domain.models import Community, Event
from bot.language.i18n import N_, _, format_span, format_when, ngettext

COMING, WITH_COMPANY, NOT_COMING = "rsvp.yes", "rsvp.company", "rsvp.no"


def places_line(event: Event, taken: int, waiting: int = 0) -> str:
    """ "Noch 12 von 20 Plätzen frei." — counts only, never names."""
    if event.capacity is None:
        return ""
    free = max(event.capacity - taken, 0)
    if free == 0:
        if waiting:
            return ngettext(
                "All places are taken. {waiting} person is on the waiting list.",
                "All places are taken. {waiting} people are on the waiting list.",
                waiting,
            ).format(waiting=waiting)
        return _("All places are taken. You can join the waiting list.")
    return ngettext(
        "{free} of {capacity} places free.", "{free} of {capacity} places free.", free
    ).format(free=free, capacity=event.capacity)


def details(event: Event, community: Community) -> list[str]:
    """Date, time, place, topic, what to bring and contact, one line each."""
    return [format_span(event.starts_at, event.ends_at, community.timezone), *lines(event)]


def which_date(event: Event, community: Community) -> str:
    """The date an answer changed: title, date and time, and place, one line each."""
    where = lines(event, leave_out=("topic", "bring"))
    return "\n".join(
        [event.title, format_span(event.starts_at, event.ends_at, community.timezone), *where]
    )


def announcement(
    event: Event,
    community: Community,
    taken: int,
    waiting: int,
    now: datetime,
    *,
    buttons_shown: bool = False,
) -> Outgoing:
    """The date written out for a group, with the sign-up buttons; fits one phone screen.

    It follows the date's state: cancelled or over, no buttons; full, the first button
    reads "Auf die Warteliste". ``buttons_shown``: the platform shows buttons (not numbered
    lines), so a line says which one to tap; a typed "ja" may never reach the bot there
    (a Telegram group in privacy mode).
    """
    lines = [event.title, *details(event, community)]
    if event.status == "cancelled":
        lines.insert(0, _("CANCELLED:"))
        return Outgoing("\n".join(lines))
    if is_over(event, now):
        lines.append(_("This date is over."))
        return Outgoing("\n".join(lines))
    if places := places_line(event, taken, waiting):
        lines.append(places)
    if event.signup_deadline is not None and now < event.signup_deadline:
        lines.append(
            _("Please sign up by {when}.").format(
                when=format_when(event.signup_deadline, community.timezone)
            )
        )
    elif event.signup_deadline is not None:
        lines.append(_("Sign-up has closed."))
        return Outgoing("\n".join(lines))
    if event.contact:
        lines.append(_("Questions? {contact}").format(contact=event.contact))
    full = event.capacity is not None and taken >= event.capacity
    buttons = sign_up_buttons(event, full=full)
    if buttons_shown:
        lines.append(_('Tap "{button}".').format(button=buttons[0].label))
    return Outgoing("\n".join(lines), buttons)


def is_over(event: Event, now: datetime) -> bool:
    """Whether the date has ended (its end passed, or its end job closed it)."""
    return event.status == "done" or (event.ends_at is not None and now >= event.ends_at)


def sign_up_buttons(event: Event, *, full: bool = False) -> tuple[Button, ...]:
    """Ich komme, with someone, Ich kann nicht; for a full date the first two put the
    person on the waiting list and say so."""
    args = {"event": event.id}
    if full:
        coming = Button(_("Join the waiting list"), COMING, args, (_("yes"),))
        company = Button(_("Join the waiting list with someone"), WITH_COMPANY, args)
    else:
        coming = Button(_("I am coming"), COMING, args, (_("yes"),))
        company = Button(_("I am coming with someone"), WITH_COMPANY, args)
    return (coming, company, Button(_("I cannot come"), NOT_COMING, args, (_("no"),)))


def confirmation(
    event: Event, community: Community, party_size: int, prefix: str = "/", *, tap: bool = False
) -> str:
    """The private confirmation after a sign-up; ``tap``: it carries the "Ich kann nicht"
    button (an e-mail, where nobody writes back)."""
    head = (
        _("You are signed up. We look forward to seeing you!")
        if party_size == 1
        else ngettext(
            "You are signed up, with {n} companion. We look forward to seeing you!",
            "You are signed up, with {n} companions. We look forward to seeing you!",
            party_size - 1,
        ).format(n=party_size - 1)
    )
    lines = [head, "", event.title, *details(event, community)]
    lines += ["", _("The calendar file puts the date into your phone's calendar.")]
    if tap:
        lines.append(_("You cannot come? Then tap here."))
    else:
        lines.append(_("If you cannot come, please write {prefix}abmelden.").format(prefix=prefix))
    return "\n".join(lines)


# The button that gives a place back (handlers/events.py answers it).
CANT_COME = "rsvp.cancel"


def cancel_button(event: Event) -> tuple[Button, ...]:
    """ "Ich kann nicht": one tap (in an e-mail, one link) gives the place back."""
    return (Button(_("I cannot come"), CANT_COME, {"event": event.id}),)


def waitlist_notice(event: Event, community: Community, position: int) -> str:
    lines = [
        _("All places are taken."),
        _("You are number {position} on the waiting list.").format(position=position),
        _("If a place becomes free, you get it and I will tell you."),
        "",
        which_date(event, community),
    ]
    return "\n".join(lines)


def moved_up_notice(
    event: Event, community: Community, prefix: str = "/", *, tap: bool = False
) -> str:
    """A place from the waiting list; ``tap``: with the "Ich kann nicht" button (e-mail)."""
    lines = [
        _("Good news: a place has become free. You now have a place!"),
        "",
        event.title,
        *details(event, community),
        "",
        _("You cannot come? Then tap here.")
        if tap
        else _("If you cannot come, please write {prefix}abmelden.").format(prefix=prefix),
    ]
    return "\n".join(lines)


def change_notice(
    event: Event,
    community: Community,
    old_start: datetime,
    old_end: datetime | None,
    old_place: str,
    prefix: str = "/",
    *,
    tap: bool = False,
) -> str:
    """Old and new time and place side by side; ``tap``: with the "Ich kann nicht" button
    (e-mail, where nobody writes back)."""
    lines = [_("Please note: a date has changed."), "", event.title]
    lines.append(
        _("Before: {when}").format(when=format_span(old_start, old_end, community.timezone))
    )
    lines.append(
        _("Now: {when}").format(
            when=format_span(event.starts_at, event.ends_at, community.timezone)
        )
    )
    if old_place != event.place:
        lines.append(_("Place before: {place}").format(place=old_place or "-"))
        lines.append(_("Place now: {place}").format(place=event.place or "-"))
    else:
        lines.append(_("Place: {place}").format(place=event.place))
    stays = (
        _("Your sign-up stays. You cannot come now? Then tap here.")
        if tap
        else _("Your sign-up stays. If you cannot come now, please write {prefix}abmelden.")
    )
    lines += ["", stays.format(prefix=prefix)]
    return "\n".join(lines)


def cancel_notice(event: Event, community: Community, skipped: bool) -> str:
    lines = [
        _("Sorry, this date is cancelled:"),
        "",
        event.title,
        format_span(event.starts_at, event.ends_at, community.timezone),
    ]
    if event.place:
        lines.append(_("Place: {place}").format(place=event.place))
    if skipped:
        lines += ["", _("The other dates stay as they are.")]
    if event.contact:
        lines.append(_("Questions? {contact}").format(contact=event.contact))
    return "\n".join(lines)


# What changed, as members read it: "Neuer Ort: Raum 3 (bisher: Raum 2)".
_NEW_LABELS = {
    "title": N_("New name"),
    "place": N_("New place"),
    "online_link": N_("New online address"),
    "topic": N_("New topic"),
    "bring": N_("Please bring, new"),
    "contact": N_("New contact for questions"),
}
_NAMES = {
    "title": N_("Name"),
    "place": N_("Place"),
    "online_link": N_("Online address"),
    "topic": N_("Topic"),
    "bring": N_("Please bring"),
    "contact": N_("Contact for questions"),
}


def edit_notice(
    event: Event,
    community: Community,
    old: dict[str, object],
    prefix: str = "/",
) -> str:
    """A date's details before and after staff changed them, old and new side by side;
    ``old`` holds the changed fields' earlier values (``starts_at``/``ends_at`` for the time)."""
    lines = [_("Please note: a date has changed."), "", event.title]
    if "starts_at" in old or "ends_at" in old:
        before = format_span(
            old.get("starts_at", event.starts_at),  # type: ignore[arg-type]
            old.get("ends_at", event.ends_at),  # type: ignore[arg-type]
            community.timezone,
        )
        lines.append(_("Before: {when}").format(when=before))
        now = format_span(event.starts_at, event.ends_at, community.timezone)
        lines.append(_("Now: {when}").format(when=now))
    else:
        lines.append(format_span(event.starts_at, event.ends_at, community.timezone))
    for name in _NEW_LABELS:
        if name in old:
            lines.append(_side_by_side(name, str(old[name] or ""), str(getattr(event, name))))
    lines += [
        "",
        _("Your sign-up stays. If you cannot come now, please write {prefix}abmelden.").format(
            prefix=prefix
        ),
    ]
    return "\n".join(lines)


def _side_by_side(name: str, old: str, new: str) -> str:
    if not new:
        return _("{name}: none anymore (before: {old})").format(name=_(_NAMES[name]), old=old)
    if not old:
        return _("{label}: {new}").format(label=_(_NEW_LABELS[name]), new=new)
    return _("{label}: {new} (before: {old})").format(label=_(_NEW_LABELS[name]), new=new, old=old)


def edit_refused(reason: str) -> str:
    """Why nothing was changed, in plain words."""
    return {
        "past": _("This date is over. I have not changed anything."),
        "cancelled": _("This date is cancelled. I have not changed anything."),
        "ended": _("This series has ended. I have not changed anything."),
        "unchanged": _("That is the same as before. I have not changed anything."),
        "empty": _("The date needs a place or an online address. I have not changed anything."),
        "not_in_series": _("This date is not part of a series. I have not changed anything."),
    }.get(reason, _("This date no longer exists. I have not changed anything."))


def told_line(count: int) -> str:
    """ "3 Personen haben eine persönliche Nachricht bekommen." with the right plural."""
    return ngettext(
        "{count} person was told privately.", "{count} people were told privately.", count
    ).format(count=count)
