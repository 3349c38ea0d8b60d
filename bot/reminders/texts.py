"""Member-facing texts around a date: reminders, check-in, the feedback questions, thanks.

Call inside ``use_locale`` for the reader's language.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.chat.types import Button
from bot.dates.texts import cancel_button, details
from bot.domain.models import Community, Event
from bot.language.i18n import _
from bot.reminders.feedback import RATINGS

RATE = "fb.rate"
# Dates served and help requests done after which a volunteer gets a special thank-you.
MILESTONES = (10, 25, 50, 100, 200)


def _which_day(event: Event, community: Community, now: datetime) -> str:
    zone = ZoneInfo(community.timezone)
    days = (event.starts_at.astimezone(zone).date() - now.astimezone(zone).date()).days
    if days == 0:
        return _("Reminder for today: {title}").format(title=event.title)
    if days == 1:
        return _("Reminder for tomorrow: {title}").format(title=event.title)
    return _("Reminder for the date: {title}").format(title=event.title)


def reminder(event: Event, community: Community, now: datetime) -> str:
    """Date, time and place, and how to say one cannot come."""
    lines = [_which_day(event, community, now), "", *details(event, community)]
    # "Dann tippen Sie hier." follows where there is a button to tap (``tap_here``).
    lines += ["", _("You cannot come?")]
    return "\n".join(lines)


def reminder_buttons(event: Event) -> tuple[Button, ...]:
    return cancel_button(event)


def tap_here() -> str:
    """What follows the reminder where its button can be tapped."""
    return _("Then tap here.")


def feedback_question(event: Event, community: Community, *, again: bool = False) -> str:
    """How was it? ``tap_a_face`` follows on platforms with buttons."""
    if again:
        return _("You came to this date recently: {title}. How was it?").format(title=event.title)
    return _("Thank you for coming: {title}.\nHow was it?").format(title=event.title)


def rating_buttons(event: Event) -> tuple[Button, ...]:
    return tuple(
        Button(f"{face} {_(label)}", RATE, {"event": event.id, "rating": value})
        for value, face, label in RATINGS
    )


def helper_thanks(event: Event, served: int) -> str:
    text = _("Thank you for helping today: {title}. It is good to have you with us!").format(
        title=event.title
    )
    if served in MILESTONES:
        text += "\n" + _("That was already your {count}th date. Thank you for your time!").format(
            count=served
        )
    return text


def expired_report(event: Event, community: Community, what: str) -> str:
    when = details(event, community)[0]
    return _(
        "The bot was switched off for a while. This was not sent, because it was too late:\n"
        "{what}\n{title}, {when}"
    ).format(what=_(what), title=event.title, when=when)


def checkin_window(event: Event, ends: datetime) -> tuple[datetime, datetime]:
    """People can check themselves in from an hour before until an hour after the end."""
    return event.starts_at - timedelta(hours=1), ends + timedelta(hours=1)
