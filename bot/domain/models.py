"""SQLAlchemy models. Times are stored as UTC; the community's zone is used only for display."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from bot.domain.names import clean_name

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    locale: Mapped[str] = mapped_column(String(8), default="de")
    contact: Mapped[str] = mapped_column(String(300), default="")
    relay: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Shown by /datenschutz in addition to the standard text, and who to ask about it.
    privacy_text: Mapped[str] = mapped_column(Text, default="")
    privacy_contact: Mapped[str] = mapped_column(String(300), default="")
    # The public calendar page shows how many places are free (counts only, never names).
    public_places: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    chats: Mapped[list[Chat]] = relationship(back_populates="community")


class Chat(Base):
    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # direct | group
    title: Mapped[str] = mapped_column(String(255), default="")
    # A group chat: the community it belongs to. A direct chat: the community it acts for,
    # as the person chose it (see communities.private_community).
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL"), index=True
    )
    # Button keys of the last message with choices, so a typed "2" picks the second one.
    choices: Mapped[list[Any] | None] = mapped_column(JSON)
    # For a direct chat: the person on the other side.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The person asked to be erased: the chat goes once the last message to it is out.
    erased_at: Mapped[datetime | None] = mapped_column()

    community: Mapped[Community | None] = relationship(back_populates="chats")

    @validates("title")
    def _visible_title(self, _key: str, value: str) -> str:
        # Group titles are shown to staff in lists: no hidden or reordering characters.
        return clean_name(value)


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # Chosen with /sprache; overrides the platform's hint and the community default.
    locale: Mapped[str | None] = mapped_column(String(8))
    # Admin of the whole deployment (from config or a one-time code): may create communities.
    deployment_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why: "config" (bot.admins; revoked at start once removed there) or "code" (the one-time
    # code; kept until another deployment admin revokes it in chat).
    admin_source: Mapped[str | None] = mapped_column(String(8))
    # Data protection: when the short note was shown, when the person agreed, when the
    # optional facts question was asked (once), and when their data was erased.
    privacy_noted_at: Mapped[datetime | None] = mapped_column()
    consent_at: Mapped[datetime | None] = mapped_column()
    facts_asked_at: Mapped[datetime | None] = mapped_column()
    erased_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Optional facts for "who we reach" in reports, only with the person's consent (when it
    # was given): an age band ("60-69", "70-79", "80+") and the Ortsteil. Reported only as
    # counts, and only where at least 5 people share a value.
    age_band: Mapped[str | None] = mapped_column(String(16))
    area: Mapped[str | None] = mapped_column(String(100))
    facts_consent_at: Mapped[datetime | None] = mapped_column()

    accounts: Mapped[list[Account]] = relationship(back_populates="person")

    @validates("display_name")
    def _visible_name(self, _key: str, value: str) -> str:
        # Every way a name gets here (platform, staff typing it, erasure) is cleaned the
        # same: others never see bidi controls or zero-width characters in it.
        return clean_name(value)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    language_hint: Mapped[str | None] = mapped_column(String(16))
    # The platform refused a private message (blocked, or never started the bot).
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    # When we last asked in a group to open a private chat with the bot (not more than daily).
    start_asked_at: Mapped[datetime | None] = mapped_column()
    # When the person was told once how commands start here (typed "/termine" on Matrix).
    prefix_noted_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="accounts")

    @validates("display_name")
    def _visible_name(self, _key: str, value: str) -> str:
        return clean_name(value)


class Role(Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("person_id", "community_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationState(Base):
    """A half-done dialog of one person in one chat; survives restarts."""

    __tablename__ = "conversation_states"
    __table_args__ = (UniqueConstraint("chat_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ButtonToken(Base):
    """The opaque key behind a button; the key alone is what a platform carries."""

    __tablename__ = "button_tokens"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    label: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Written with the token (never loaded: erasure deletes through the link table).
    subjects: Mapped[list[ButtonTokenSubject]] = relationship(
        cascade="save-update", passive_deletes="all", lazy="raise"
    )


class OutboxMessage(Base):
    """One message to send. Written in the transaction of the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "due_at"),
        # For claiming pending rows in id order without sorting the whole backlog.
        Index("ix_outbox_status_id", "status", "id"),
        # For "is an older row of this chat still waiting?" when claiming.
        Index("ix_outbox_chat_status", "chat_id", "status", "id"),
        # For finding the message a reaction refers to.
        Index("ix_outbox_chat_message", "chat_id", "platform_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    attachment: Mapped[bytes | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    platform_message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # After this moment the message is no use any more (a reminder once the date began):
    # the sender marks it expired instead of sending it late.
    expires_at: Mapped[datetime | None] = mapped_column()
    # The bot process (BotProcess.id) that marked the row as sending, on PostgreSQL: only
    # a dead process's rows are given back, never those another process is sending now.
    claimed_by: Mapped[int | None] = mapped_column(Integer)
    # Written with the row (never loaded: erasure deletes through the link table).
    subjects: Mapped[list[OutboxSubject]] = relationship(
        cascade="save-update", passive_deletes="all", lazy="raise"
    )


class OutboxSubject(Base):
    """A person an outbox row is about (its recipient in a private chat, anyone it names or
    whose data it carries, attachments included): erasure deletes by this, not by text."""

    __tablename__ = "outbox_subjects"

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ButtonTokenSubject(Base):
    """A person a button is about (its label or arguments may name them)."""

    __tablename__ = "button_token_subjects"

    button_key: Mapped[str] = mapped_column(
        String(32), ForeignKey("button_tokens.key", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class BotProcess(Base):
    """One running bot process on a shared (PostgreSQL) database, for fail-over and health."""

    __tablename__ = "bot_processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    leader: Mapped[bool] = mapped_column(default=False)
    stopped_at: Mapped[datetime | None] = mapped_column()


class ProcessedEvent(Base):
    """Platform events already handled, so a redelivery changes nothing."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Set when handling failed for good: the kind of error (class, SQLSTATE), never values.
    error: Mapped[str | None] = mapped_column(String(64))


class UndecryptedEvent(Base):
    """A Matrix message the bot could not decrypt yet, kept until its key arrives.

    Retention: deleted once it is decrypted and handled, or once its sender was asked to
    send it again (matrix.undecryptable_notice_seconds after it arrived).
    """

    __tablename__ = "undecrypted_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    sender: Mapped[str] = mapped_column(String(255))
    session_id: Mapped[str] = mapped_column(String(255))
    # The encrypted event as the homeserver sent it: all that is needed to decrypt it later.
    source: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column()
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column()


class KeyValue(Base):
    """Small adapter state such as a sync token or a stored access token."""

    __tablename__ = "key_values"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdminCode(Base):
    """A one-time code that makes whoever sends it the first admin."""

    __tablename__ = "admin_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))


class LinkCode(Base):
    """A short-lived code that joins a second platform account to a person."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(128), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column()


class WebSignIn(Base):
    """A one-time link into the staff web page, sent in a private chat (stored hashed)."""

    __tablename__ = "web_sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column()


class WebSession(Base):
    """A signed-in browser on the staff web page; the cookie's id is stored hashed."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(128), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime]


class Series(Base):
    """A recurring date (Digitalcafé, Sprechstunde) or a course with a fixed number of dates."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="cafe")  # cafe|course|office_hours|other
    title: Mapped[str] = mapped_column(String(200))
    # RFC 5545 RRULE in the community's wall time, from DTSTART = starts_at.
    rrule: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime | None] = mapped_column()
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    # Local dates (ISO, "2026-12-02") that are skipped, e.g. for a holiday.
    exdates: Mapped[list[Any]] = mapped_column(default=list)
    place: Mapped[str] = mapped_column(String(300), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    topic: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    contact: Mapped[str] = mapped_column(String(300), default="")
    bring: Mapped[str] = mapped_column(String(300), default="")
    # Sign-up closes this many hours before each date (None: open until the start).
    deadline_hours: Mapped[int | None] = mapped_column(Integer)
    announce_days: Mapped[int] = mapped_column(Integer, default=7)
    announce_again_days: Mapped[int | None] = mapped_column(Integer, default=1)
    # When each date reminds the people signed up, e.g. ["1d@10:00", "2h"]; None: the default.
    reminders: Mapped[list[Any] | None] = mapped_column(JSON)
    # Ask for topic wishes after each date's feedback.
    ask_wishes: Mapped[bool] = mapped_column(Boolean, default=True)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|ended
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """One date. Dates of a series are created ahead from its rule, one row per occurrence."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("series_id", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    # The start the rule gave this date; stays when the date is moved, so it is made once.
    occurrence: Mapped[datetime | None] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime | None] = mapped_column()
    place: Mapped[str] = mapped_column(String(300), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    topic: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    contact: Mapped[str] = mapped_column(String(300), default="")
    bring: Mapped[str] = mapped_column(String(300), default="")
    signup_deadline: Mapped[datetime | None] = mapped_column()
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    # People who came without signing up and were only counted at the door.
    walk_ins: Mapped[int] = mapped_column(Integer, default=0)
    # The short number people type (or scan) to check themselves in at the venue.
    checkin_code: Mapped[str | None] = mapped_column(String(8), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rsvp(Base):
    """A person's answer to a date: yes, no, on the waiting list, or cancelled."""

    __tablename__ = "rsvps"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # yes | no | waitlist | cancelled
    # Seats this answer takes: the person plus companions.
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    # Arrival order within the date; the waiting list moves up in this order.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    # Staff who entered a sign-up taken by phone, and the number to call back.
    added_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    phone: Mapped[str | None] = mapped_column(String(40))
    # After the date: True came, False did not come (only known where attendance was taken).
    attended: Mapped[bool | None] = mapped_column(Boolean)
    # A caller without a chat who wants a reminder call the day before, and when staff made it.
    call_wanted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    called_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventPost(Base):
    """An announcement of a date in a group chat, so its free places can be edited in place."""

    __tablename__ = "event_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Announcement(Base):
    """A post to the community's chats at a set time: a date, or staff's own text."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # event | event_again | text
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    # Chat ids to post to; None means every group chat of the community.
    chat_ids: Mapped[list[Any] | None] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    # Repeating text announcements: an RRULE in wall time from the first due_at.
    rrule: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled|done|cancelled
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL")
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Job(Base):
    """Work due at a set time for one date: a reminder, the date's end (feedback, thanks),
    the one feedback nudge. The table is the schedule; a restart finds what fell due."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("event_id", "kind", "offset_spec"),
        Index("ix_jobs_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # reminder | end | nudge
    # Which reminder ("1d@10:00", "2h"); empty for the other kinds.
    offset_spec: Mapped[str] = mapped_column(String(32), default="")
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # |done|expired|cancelled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()


class Attendance(Base):
    """Someone was there: checked in by staff, by themselves at the venue, or as a guest."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    how: Mapped[str] = mapped_column(String(16))  # staff | self | all | guest
    by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventHelper(Base):
    """A volunteer or staff member who served at a date (for their thanks and milestones)."""

    __tablename__ = "event_helpers"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """How it was for one attendee: 1 to 5 (as smileys), an optional comment, topic wishes."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    wish: Mapped[str] = mapped_column(Text, default="")
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    nudged_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()


class Skill(Base):
    """One entry of a community's skill catalog: what residents ask help with."""

    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("community_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    # Stable across renames and shared by a region's communities ("smartphone").
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class VolunteerProfile(Base):
    """What a Digitallotse can and wants to do; one per person, for all their communities."""

    __tablename__ = "volunteer_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), unique=True
    )
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ["de", "tr"]
    areas: Mapped[list[Any]] = mapped_column(JSON, default=list)  # Ortsteile, as typed
    # Weekly windows: [{"day": 0-6 (Monday 0), "from": 14, "to": 18}] in local hours.
    windows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    places: Mapped[list[Any]] = mapped_column(JSON, default=list)  # cafe | phone | home
    max_open: Mapped[int] = mapped_column(Integer, default=2)
    paused_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The load matching reads (migration 0029's triggers keep it, never written from Python):
    # requests taken and not done, offers not answered of requests still offered, and when
    # the latest request was taken.
    open_requests: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pending_offers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_accepted_at: Mapped[datetime | None] = mapped_column()


class VolunteerSkill(Base):
    """A skill key a volunteer offers (its own table, so matching can use an index)."""

    __tablename__ = "volunteer_skills"
    __table_args__ = (
        UniqueConstraint("person_id", "skill"),
        Index("ix_volunteer_skills_skill", "skill", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    skill: Mapped[str] = mapped_column(String(40))


class HelpRequest(Base):
    """A resident's wish for one-to-one help, from asking to done."""

    __tablename__ = "help_requests"
    __table_args__ = (
        Index("ix_help_requests_volunteer", "volunteer_id", "status", "accepted_at"),
        Index("ix_help_requests_step", "status", "next_step_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    requester_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    skill: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    # As the person said it ("dienstags nachmittags"); parsed hints for matching.
    when_text: Mapped[str] = mapped_column(String(200), default="")
    when_days: Mapped[list[Any]] = mapped_column(JSON, default=list)  # weekdays 0-6
    when_hours: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [from, to] local
    place: Mapped[str] = mapped_column(String(16), default="cafe")  # cafe | phone | home
    area: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(8), default="de")
    phone: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    # open → offered → accepted → done; or cancelled, escalated
    status: Mapped[str] = mapped_column(String(16), default="open")
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column()
    agreed_at: Mapped[datetime | None] = mapped_column()  # the meeting both agreed on
    reminded_at: Mapped[datetime | None] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()
    minutes: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    # How many rounds of offers went out, and when the next step (widen, escalate) is due.
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpOffer(Base):
    """A request offered to one volunteer, and their answer."""

    __tablename__ = "help_offers"
    __table_args__ = (
        UniqueConstraint("request_id", "volunteer_id"),
        # Matching counts each volunteer's unanswered offers.
        Index("ix_help_offers_volunteer", "volunteer_id", "answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_requests.id", ondelete="CASCADE"), index=True
    )
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(
        String(16), default=""
    )  # "" | declined | accepted | taken | returned
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()


class NewsletterSubscription(Base):
    """A weekly or monthly e-mail of a community's coming dates, to a member or to someone
    who only gave an address. Sent only once confirmed (double opt-in)."""

    __tablename__ = "newsletter_subscriptions"
    __table_args__ = (UniqueConstraint("community_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    # The member who asked in the chat; None for an address given on the web page.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(254))
    rhythm: Mapped[str] = mapped_column(String(8))  # weekly | monthly
    locale: Mapped[str] = mapped_column(String(8), default="de")
    # In the confirm and unsubscribe links; random, so nobody can guess another's.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|active
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    # The last issue sent ("2026-W50", "2026-12"): each issue goes out once.
    last_issue: Mapped[str] = mapped_column(String(16), default="")
