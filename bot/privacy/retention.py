"""Retention: for every table, what personal data it holds and how long it is kept.

The rules below are the one source for the daily job (``apply``), the privacy report
(``lotsenbot privacy-report``) and the README's retention table; a test walks
``Base.metadata`` so that a new table cannot hold personal data without a rule here.
Counts for reports stay: rows are blanked or deleted, never the numbers they add up to.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.community.linking import CODE_LIFETIME
from bot.community.web_access import LINK_VALID, SESSION_LONGEST, SESSION_UNUSED
from bot.delivery.outbox import BUTTON_LIFETIME
from bot.domain.models import (
    Account,
    AdminCode,
    Announcement,
    Attendance,
    AuditLog,
    ButtonToken,
    ConversationState,
    Event,
    Feedback,
    HelpRequest,
    LinkCode,
    OutboxMessage,
    Person,
    ProcessedEvent,
    Role,
    Rsvp,
    UndecryptedEvent,
    VolunteerProfile,
    VolunteerSkill,
    WebSession,
    WebSignIn,
)
from bot.language.i18n import N_

if TYPE_CHECKING:
    from bot.config import PrivacySection

log = logging.getLogger(__name__)

# A configured month is counted as 30 days.
MONTH = timedelta(days=30)
# Fixed periods (not configurable, short enough not to matter to anyone).
ADMIN_CODE_DAYS = 7
PROCESSED_EVENT_DAYS = 30
# Encrypted Matrix messages the bot could not read (it gives up on them after minutes).
UNREAD_MATRIX_LIFETIME = timedelta(days=1)
# Help requests in these states are finished; in the others they are still under way.
CLOSED_HELP = ("done", "cancelled", "expired")
OPEN_HELP = ("open", "offered", "accepted", "escalated")


@dataclass(frozen=True)
class Retention:
    """How long details are kept, as configured in [privacy]; counts stay."""

    feedback_comments: timedelta = 12 * MONTH
    help_details: timedelta = 6 * MONTH
    stuck_help_requests: timedelta = 12 * MONTH
    unreachable_accounts: timedelta = 12 * MONTH
    sent_messages: timedelta = timedelta(days=90)
    processed_events: timedelta = timedelta(days=PROCESSED_EVENT_DAYS)
    admin_codes: timedelta = timedelta(days=ADMIN_CODE_DAYS)
    dialogs: timedelta = timedelta(days=7)
    sign_up_phones: timedelta = timedelta(days=30)
    people_without_account: timedelta = 12 * MONTH
    former_volunteers: timedelta = 12 * MONTH
    audit_log: timedelta = 24 * MONTH

    @classmethod
    def from_settings(cls, section: PrivacySection) -> Retention:
        """The periods of the [privacy] section ("…_months" counts 30 days a month)."""
        values = {
            field: _as_timedelta(key, getattr(section, key)) for field, key in SETTINGS.items()
        }
        return cls(**values)


# Which [privacy] key sets which period of ``Retention``.
SETTINGS: dict[str, str] = {
    "feedback_comments": "feedback_comment_months",
    "help_details": "help_details_months",
    "stuck_help_requests": "stuck_help_months",
    "unreachable_accounts": "unreachable_account_months",
    "sent_messages": "sent_message_days",
    "dialogs": "dialog_days",
    "sign_up_phones": "sign_up_phone_days",
    "people_without_account": "person_without_account_months",
    "former_volunteers": "former_volunteer_months",
    "audit_log": "audit_log_months",
}


def _as_timedelta(key: str, value: int) -> timedelta:
    return value * MONTH if key.endswith("_months") else timedelta(days=value)


# A rule's statement: (session, older than this goes, now) -> rows touched.
Apply = Callable[[AsyncSession, datetime, datetime], Awaitable[int]]


@dataclass(frozen=True)
class Rule:
    """One retention rule of one table.

    ``data`` and ``rule`` are msgids (translated in the privacy report); ``rule`` may name
    ``{period}``: the ``Retention`` field ``period`` (configured where ``SETTINGS`` names a
    key), or for rows that carry their own expiry, ``lifetime``. ``apply`` is what the daily
    job runs, given the moment before which rows go (None: nothing expires by time;
    erasure and the named event remove it).
    """

    table: str
    label: str
    data: str
    rule: str
    period: str | None = None
    apply: Apply | None = None
    # How long rows with their own expiry live (shown in the rule; they go at expiry).
    lifetime: timedelta | None = None

    @property
    def setting(self) -> str | None:
        """The [privacy] key that sets this rule's period, if any."""
        return SETTINGS.get(self.period) if self.period else None


async def _rowcount(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


# --- the statements --------------------------------------------------------------------------


async def _expired_buttons(session: AsyncSession, before: datetime, now: datetime) -> int:
    return await _rowcount(session, delete(ButtonToken).where(ButtonToken.expires_at < now))


async def _stale_dialogs(session: AsyncSession, before: datetime, now: datetime) -> int:
    return await _rowcount(
        session,
        delete(ConversationState).where(ConversationState.updated_at < before),
    )


async def _unread_matrix_messages(session: AsyncSession, before: datetime, now: datetime) -> int:
    # The Matrix adapter gives up on a message after minutes; this catches what it could
    # not finish (the bot left the room, or Matrix was switched off).
    return await _rowcount(
        session,
        delete(UndecryptedEvent).where(UndecryptedEvent.received_at < now - UNREAD_MATRIX_LIFETIME),
    )


async def _sent_messages(session: AsyncSession, before: datetime, now: datetime) -> int:
    return await _rowcount(
        session,
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(("sent", "failed", "expired")),
            OutboxMessage.created_at < before,
        ),
    )


async def _erased_chats(session: AsyncSession, before: datetime, now: datetime) -> int:
    # Imported here: privacy imports this module for the thin apply_retention.
    from bot.privacy.rights import purge_erased_chats

    return await purge_erased_chats(session)


async def _unreachable_accounts(session: AsyncSession, before: datetime, now: datetime) -> int:
    # Never reachable since we last asked them to open a chat (or since they came).
    return await _rowcount(
        session,
        delete(Account).where(
            Account.unreachable,
            func.coalesce(Account.start_asked_at, Account.created_at) < before,
        ),
    )


async def _people_without_account(session: AsyncSession, before: datetime, now: datetime) -> int:
    """People staff entered by name (phone sign-ups, guests, help by phone), and people
    whose last account went: erased once nothing recent ties them to a date or request."""
    from bot.privacy.rights import erase

    cutoff = before
    recent_date = (
        select(Rsvp.id)
        .join(Event, Event.id == Rsvp.event_id)
        .where(Rsvp.person_id == Person.id, Event.starts_at >= cutoff)
    )
    recent_visit = (
        select(Attendance.id)
        .join(Event, Event.id == Attendance.event_id)
        .where(Attendance.person_id == Person.id, Event.starts_at >= cutoff)
    )
    recent_help = select(HelpRequest.id).where(
        or_(HelpRequest.requester_id == Person.id, HelpRequest.volunteer_id == Person.id),
        HelpRequest.updated_at >= cutoff,
    )
    ids = (
        await session.scalars(
            select(Person.id).where(
                Person.erased_at.is_(None),
                ~Person.deployment_admin,
                Person.created_at < cutoff,
                ~exists(select(Account.id).where(Account.person_id == Person.id)),
                ~recent_date.exists(),
                ~recent_visit.exists(),
                ~recent_help.exists(),
            )
        )
    ).all()
    for person_id in ids:
        await erase(session, person_id, now)
    return len(ids)


async def _sign_up_phones(session: AsyncSession, before: datetime, now: datetime) -> int:
    past = select(Event.id).where(Event.starts_at < before)
    return await _rowcount(
        session,
        update(Rsvp).where(Rsvp.phone.is_not(None), Rsvp.event_id.in_(past)).values(phone=None),
    )


async def _feedback_comments(session: AsyncSession, before: datetime, now: datetime) -> int:
    return await _rowcount(
        session,
        update(Feedback)
        .where(
            Feedback.answered_at < before,
            or_(Feedback.comment != "", Feedback.wish != ""),
        )
        .values(comment="", wish=""),
    )


_HELP_DETAILS = or_(
    HelpRequest.description != "",
    HelpRequest.phone.is_not(None),
    HelpRequest.note != "",
    HelpRequest.when_text != "",
    HelpRequest.area != "",
)
_NO_HELP_DETAILS = {"description": "", "phone": None, "note": "", "when_text": "", "area": ""}


async def _closed_help(session: AsyncSession, before: datetime, now: datetime) -> int:
    return await _rowcount(
        session,
        update(HelpRequest)
        .where(
            HelpRequest.status.in_(CLOSED_HELP),
            HelpRequest.updated_at < before,
            _HELP_DETAILS,
        )
        .values(**_NO_HELP_DETAILS),
    )


async def _stuck_help(session: AsyncSession, before: datetime, now: datetime) -> int:
    # Escalated, accepted or still open but untouched for long: the meeting happened or
    # never will; the topic, place kind and counts stay for reports.
    return await _rowcount(
        session,
        update(HelpRequest)
        .where(
            HelpRequest.status.in_(OPEN_HELP),
            HelpRequest.updated_at < before,
            _HELP_DETAILS,
        )
        .values(**_NO_HELP_DETAILS),
    )


async def _former_volunteers(session: AsyncSession, before: datetime, now: datetime) -> int:
    from bot.domain.roles import VOLUNTEER

    still = select(Role.id).where(Role.person_id == VolunteerProfile.person_id)
    gone = (
        await session.scalars(
            select(VolunteerProfile.person_id).where(
                ~still.where(Role.role == VOLUNTEER).exists(),
                VolunteerProfile.updated_at < before,
            )
        )
    ).all()
    if not gone:
        return 0
    await _rowcount(session, delete(VolunteerSkill).where(VolunteerSkill.person_id.in_(gone)))
    return await _rowcount(
        session, delete(VolunteerProfile).where(VolunteerProfile.person_id.in_(gone))
    )


async def _expired_link_codes(session: AsyncSession, before: datetime, now: datetime) -> int:
    return await _rowcount(session, delete(LinkCode).where(LinkCode.expires_at < now))


async def _expired_web_sign_ins(session: AsyncSession, before: datetime, now: datetime) -> int:
    return await _rowcount(session, delete(WebSignIn).where(WebSignIn.expires_at < now))


async def _ended_web_sessions(session: AsyncSession, before: datetime, now: datetime) -> int:
    # Past the longest a session may be configured to live or to stay unused.
    return await _rowcount(
        session,
        delete(WebSession).where(
            or_(
                WebSession.created_at < now - SESSION_LONGEST,
                WebSession.last_seen_at < now - SESSION_UNUSED,
            )
        ),
    )


async def _old_admin_codes(session: AsyncSession, before: datetime, now: datetime) -> int:
    # A code is valid for 7 days; who redeemed it stays in the audit log.
    return await _rowcount(
        session,
        delete(AdminCode).where(AdminCode.created_at < before),
    )


async def _finished_announcements(session: AsyncSession, before: datetime, now: datetime) -> int:
    return await _rowcount(
        session,
        update(Announcement)
        .where(
            Announcement.status.in_(("done", "cancelled")),
            Announcement.due_at < before,
            Announcement.text != "",
        )
        .values(text=""),
    )


async def _old_audit_entries(session: AsyncSession, before: datetime, now: datetime) -> int:
    return await _rowcount(session, delete(AuditLog).where(AuditLog.at < before))


async def _processed_events(session: AsyncSession, before: datetime, now: datetime) -> int:
    return await _rowcount(
        session,
        delete(ProcessedEvent).where(ProcessedEvent.processed_at < before),
    )


# --- the rules -------------------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    Rule(
        "accounts",
        "unreachable_accounts",
        N_("Chat account number and name on Telegram, Matrix or the console."),
        N_(
            "Erased with {prefix}loeschen. Accounts the bot could never write to are "
            "deleted after {period}."
        ),
        "unreachable_accounts",
        _unreachable_accounts,
    ),
    Rule(
        "chats",
        "erased_chats",
        N_("Private chats: the chat number of a person."),
        N_("Deleted after erasure, as soon as the last message to the chat is out."),
        None,
        _erased_chats,
    ),
    Rule(
        "roles",
        "roles",
        N_("Who has which role in which group, and who gave it."),
        N_("Kept while the role is held. An admin takes it back; erasure deletes it."),
    ),
    Rule(
        "conversation_states",
        "dialogs",
        N_("Half-finished dialogs, which can hold a phone number or a wish for help."),
        N_("Deleted after {period} without an answer."),
        "dialogs",
        _stale_dialogs,
    ),
    Rule(
        "button_tokens",
        "expired_buttons",
        N_(
            "Buttons of sent messages: their text can hold a name. Also sign-ups from the web "
            "page that are not confirmed yet (name, number of people, language)."
        ),
        N_(
            "Deleted once they expire, {period} after sending. A sign-up that is not confirmed "
            "is deleted after 24 hours. So is its e-mail address, if nothing else needs it."
        ),
        None,
        _expired_buttons,
        lifetime=BUTTON_LIFETIME,
    ),
    Rule(
        "outbox",
        "sent_messages",
        N_("Copies of messages the bot sends, with files such as exports."),
        N_("Sent, failed and expired messages are deleted after {period}."),
        "sent_messages",
        _sent_messages,
    ),
    Rule(
        "outbox_subjects",
        "outbox_subjects",
        N_("Whom a message is about (person numbers), so erasure finds it."),
        N_("Deleted together with the message."),
    ),
    Rule(
        "button_token_subjects",
        "button_token_subjects",
        N_("Whom a button is about (person numbers), so erasure finds it."),
        N_("Deleted together with the button."),
    ),
    Rule(
        "undecrypted_events",
        "unread_matrix_messages",
        N_("Encrypted Matrix messages the bot could not read yet, and who sent them."),
        N_(
            "Deleted once the bot can read them. If it cannot, the sender is asked to send "
            "the message again; at the latest after {period} the copy is deleted."
        ),
        None,
        _unread_matrix_messages,
        lifetime=UNREAD_MATRIX_LIFETIME,
    ),
    Rule(
        "link_codes",
        "expired_link_codes",
        N_("Codes to join a second chat account to a person."),
        N_("Deleted once they expire, {period} after they were made."),
        None,
        _expired_link_codes,
        lifetime=CODE_LIFETIME,
    ),
    Rule(
        "web_sign_ins",
        "expired_web_sign_ins",
        N_("Addresses that sign staff in on their web page once (only a checksum)."),
        N_("Deleted once they expire, {period} after they were made."),
        None,
        _expired_web_sign_ins,
        lifetime=LINK_VALID,
    ),
    Rule(
        "web_sessions",
        "ended_web_sessions",
        N_("Who is signed in on the staff web page, and when they last used it."),
        N_("Deleted when the person signs out, and after {period} at the latest."),
        None,
        _ended_web_sessions,
        lifetime=SESSION_LONGEST,
    ),
    Rule(
        "admin_codes",
        "admin_codes",
        N_("One-time admin codes (only a checksum) and who used one."),
        N_("Deleted after {period}. The audit log keeps who became admin."),
        "admin_codes",
        _old_admin_codes,
    ),
    Rule(
        "series",
        "series",
        N_("Contact given for a series of dates, and who made it."),
        N_("Kept while the series exists. Staff change or end it."),
    ),
    Rule(
        "events",
        "events",
        N_("Contact given for a date."),
        N_("Kept with the date for the counts in reports."),
    ),
    Rule(
        "rsvps",
        "sign_up_phones",
        N_("Sign-ups, companions, who came; the phone number of a sign-up taken by phone."),
        N_(
            "The phone number is deleted {period} after the date. The sign-up stays for "
            "the counts; it is anonymous after erasure."
        ),
        "sign_up_phones",
        _sign_up_phones,
    ),
    Rule(
        "attendance",
        "attendance",
        N_("Who was at a date, and who checked them in."),
        N_("Kept for the counts in reports; anonymous after erasure."),
    ),
    Rule(
        "event_helpers",
        "event_helpers",
        N_("Who helped at a date."),
        N_("Kept for thanks and certificates; anonymous after erasure."),
    ),
    Rule(
        "feedback",
        "feedback_comments",
        N_("Answers to 'How was it?': smiley, comment, topic wishes."),
        N_("Comments and wishes are deleted after {period}. The smiley stays as a count."),
        "feedback_comments",
        _feedback_comments,
    ),
    Rule(
        "announcements",
        "announcements",
        N_("Texts staff post to the groups, and who wrote them."),
        N_("The text is deleted {period} after it was posted."),
        "sent_messages",
        _finished_announcements,
    ),
    Rule(
        "audit_log",
        "audit_log",
        N_("Who did what: roles given, exports, erasures (numbers, no texts)."),
        N_("Deleted after {period}."),
        "audit_log",
        _old_audit_entries,
    ),
    Rule(
        "volunteer_profiles",
        "former_volunteers",
        N_("What a Digitallotse offers: topics, languages, places, times, parts of town."),
        N_(
            "Deleted {period} after the last change, once the person is no longer a "
            "Digitallotse. Erasure deletes it at once."
        ),
        "former_volunteers",
        _former_volunteers,
    ),
    Rule(
        "volunteer_skills",
        "former_volunteer_skills",
        N_("The topics a Digitallotse offers."),
        N_("Deleted together with the profile."),
    ),
    Rule(
        "help_requests",
        "help_request_details",
        N_("Wishes for help: description, times, part of town, phone number, notes."),
        N_("Details are deleted {period} after the request was finished or cancelled."),
        "help_details",
        _closed_help,
    ),
    Rule(
        "help_requests",
        "stuck_help_requests",
        N_("Wishes for help that were never finished."),
        N_("Details are deleted {period} after the last change. Topic and counts stay."),
        "stuck_help_requests",
        _stuck_help,
    ),
    Rule(
        "help_offers",
        "help_offers",
        N_("Which Digitallotse was asked to help, and the answer."),
        N_("Kept with the request for the counts; anonymous after erasure."),
    ),
    Rule(
        "processed_events",
        "processed_events",
        N_("Numbers of messages already handled (no content)."),
        N_("Deleted after {period}."),
        "processed_events",
        _processed_events,
    ),
    Rule(
        "newsletter_subscriptions",
        "newsletter",
        N_("E-mail address for the newsletter with the dates, weekly or monthly."),
        N_(
            "Deleted after 7 days if not confirmed. Otherwise kept until the person stops "
            "it with the link in each e-mail or with {prefix}newsletter aus; erasure deletes it."
        ),
    ),
    # Last: erasure blanks what the narrower rules above would, and they count their own.
    Rule(
        "persons",
        "people_without_account",
        N_("Name, language, optional age band and part of town, consent times."),
        N_(
            "Erased with {prefix}loeschen; a bare number stays for the counts. People without "
            "a chat account (entered by phone or at the door) are erased {period} after "
            "their last date or help."
        ),
        "people_without_account",
        _people_without_account,
    ),
    Rule(
        "communities",
        "communities",
        N_("The group's contact for questions and for data protection."),
        N_("Kept while the group exists. An admin changes it."),
    ),
)

# Tables that hold no personal data, and why (the metadata test checks every table is in
# RULES or here).
NO_PERSONAL_DATA: dict[str, str] = {
    "bot_processes": "host name and process id of running bot processes",
    "key_values": "adapter state such as sync tokens; no person's data",
    "event_posts": "which group message announced which date",
    "jobs": "reminders and other work due for a date",
    "skills": "the community's topic catalog",
}


async def apply(session: AsyncSession, rules: Retention, now: datetime) -> dict[str, int]:
    """Run every timed rule; log and return how many rows each touched."""
    done: dict[str, int] = {}
    for rule in RULES:
        if rule.apply is not None:
            period: timedelta = getattr(rules, rule.period) if rule.period else timedelta(0)
            done[rule.label] = await rule.apply(session, now - period, now)
    if any(done.values()):
        log.info("retention removed: %s", ", ".join(f"{k} {v}" for k, v in done.items() if v))
    return done
