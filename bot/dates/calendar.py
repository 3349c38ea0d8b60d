"""Dates as iCalendar (RFC 5545): one date to import, or a community's feed to subscribe to.

Times are written in UTC, so no VTIMEZONE block is needed and every calendar app shows
them in its own zone. Texts follow the current locale; ``community_feed`` switches to the
community's, because a feed is read by the whole group, not one person.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, vDuration
from icalendar import Event as VEvent

from bot.dates import details
from bot.domain.models import Community, Event
from bot.infra.deployment import Deployment
from bot.language.i18n import _, format_when, use_locale

PRODID = "-//Lotsenbot//Termine//DE"
# Calendar apps need an end; two hours is what a Digitalcafé usually takes.
DEFAULT_DURATION = timedelta(hours=2)
REMINDER_BEFORE = timedelta(days=1)
# How often subscribers should fetch the feed again (apps that honour it).
REFRESH_INTERVAL = timedelta(hours=6)

# Subscribed apps keep the copy with the higher SEQUENCE, so a change or a cancellation
# must count higher than the first announcement; "done" never goes below "changed".
_SEQUENCE = {"scheduled": 0, "changed": 1, "done": 1, "cancelled": 2}


def event_uid(event_id: int, deployment: Deployment, host: str = "lotsenbot") -> str:
    """The date's UID: the same in every file and feed of this deployment (a cancellation
    matches the imported copy), different from every other deployment's."""
    if event_id <= deployment.older_event_ids_up_to:
        # Handed out before deployments had ids: changing it would orphan imported copies.
        return f"event-{event_id}@{host}"
    return f"event-{event_id}-{deployment.id}@{host}"


def event_ics(
    event: Event,
    community: Community,
    *,
    deployment: Deployment,
    host: str = "lotsenbot",
    stamp: datetime | None = None,
) -> bytes:
    """One date as a .ics file to open in a calendar app."""
    calendar = _calendar()
    vevent = _vevent(event, community, uid=event_uid(event.id, deployment, host), stamp=stamp)
    calendar.add_component(vevent)
    return calendar.to_ical()


def cancellation_ics(
    event: Event,
    community: Community,
    *,
    deployment: Deployment,
    host: str = "lotsenbot",
    stamp: datetime | None = None,
) -> bytes:
    """The person's own cancellation of a date (their place given back), as a .ics file:
    calendar apps that imported the confirmation's file take the date out or mark it."""
    calendar = _calendar(method="CANCEL")
    uid = event_uid(event.id, deployment, host)
    calendar.add_component(_vevent(event, community, uid=uid, stamp=stamp, cancelled=True))
    return calendar.to_ical()


def community_feed(
    community: Community,
    events: Iterable[Event],
    *,
    deployment: Deployment,
    host: str = "lotsenbot",
    stamp: datetime | None = None,
) -> bytes:
    """A community's dates as a calendar to subscribe to; it names no persons."""
    calendar = _calendar()
    calendar.add("X-WR-CALNAME", community.name)
    calendar.add("X-WR-TIMEZONE", community.timezone)
    calendar.add("REFRESH-INTERVAL", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    moment = stamp or _now()
    with use_locale(community.locale):
        calendar.add("X-WR-CALDESC", _("Dates of {name}").format(name=community.name))
        for event in events:
            uid = event_uid(event.id, deployment, host)
            calendar.add_component(_vevent(event, community, uid=uid, stamp=moment))
    return calendar.to_ical()


def _calendar(method: str = "PUBLISH") -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    # PUBLISH: the dates are for information; nobody replies to them by e-mail.
    # CANCEL: the person's own copy of a date they no longer come to.
    calendar.add("METHOD", method)
    return calendar


def _vevent(
    event: Event,
    community: Community,
    *,
    uid: str,
    stamp: datetime | None,
    cancelled: bool = False,
) -> VEvent:
    start = _utc(event.starts_at)
    end = _utc(event.ends_at) if event.ends_at else start + DEFAULT_DURATION
    # A personal cancellation counts one higher than the copy the person imported.
    sequence = _SEQUENCE.get(event.status or "scheduled", 0) + int(cancelled)
    cancelled = cancelled or event.status == "cancelled"
    vevent = VEvent()
    vevent.add("UID", uid)
    vevent.add("DTSTAMP", _utc(stamp or _now()))
    vevent.add("DTSTART", start)
    vevent.add("DTEND", end)
    vevent.add("SEQUENCE", sequence)
    vevent.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    summary = f"{event.title}: {event.topic}" if event.topic else event.title
    if cancelled:
        # Several apps ignore STATUS and show a cancelled date like any other.
        summary = f"{_('CANCELLED:')} {summary}"
    vevent.add("SUMMARY", summary)
    location = event.place or event.online_link
    if location:
        vevent.add("LOCATION", location)
    description = _description(event, community)
    if description:
        vevent.add("DESCRIPTION", description)
    if event.online_link:
        vevent.add("URL", event.online_link)
    if not cancelled:
        vevent.add_component(_reminder(event, community))
    return vevent


def _description(event: Event, community: Community) -> str:
    # The place is the event's LOCATION already.
    shown = details.lines(event, leave_out=("place",))
    contact = event.contact or community.contact
    if contact:
        shown.append(_("Questions? {contact}").format(contact=contact))
    return "\n".join(shown)


def _reminder(event: Event, community: Community) -> Alarm:
    alarm = Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("TRIGGER", -REMINDER_BEFORE)
    # "Tomorrow" alone is not enough (PLAIN-LANGUAGE.md): the date is written out too.
    when = format_when(_utc(event.starts_at), community.timezone)
    alarm.add("DESCRIPTION", _("Tomorrow: {title}. {when}").format(title=event.title, when=when))
    return alarm


def _utc(moment: datetime) -> datetime:
    # The database hands out aware UTC times; a naive one can only come from code that
    # built an Event by hand, and the models treat every stored time as UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
