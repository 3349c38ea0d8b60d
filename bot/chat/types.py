"""Platform-neutral message types that adapters translate to and from."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

ChatKind = Literal["direct", "group"]

# C0 control characters and DEL: PostgreSQL refuses NUL in text and JSON outright, and none
# of them means anything in a chat. Typed text keeps its line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\t\n\r]+")
# What the platforms tell about people and chats is cut to what the database keeps.
NAME_LENGTH = 200  # people.display_name, accounts.display_name
TITLE_LENGTH = 255  # chats.title


def clean_line(value: str, limit: int | None = None) -> str:
    """One line without control characters, at most ``limit`` characters."""
    if _CONTROL.search(value):
        value = _LINE_BREAKS.sub(" ", _CONTROL_IN_TEXT.sub("", value)).strip()
    return value[:limit] if limit is not None else value


def clean_text(value: str) -> str:
    """Typed text without control characters other than line breaks and tabs."""
    if _CONTROL_IN_TEXT.search(value):
        value = _CONTROL_IN_TEXT.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value


def _set(obj: object, name: str, value: object) -> None:
    # Frozen dataclasses: cleaning in __post_init__ is the one place a value is set twice.
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, slots=True)
class Sender:
    """Who wrote: the platform's user id and what the platform tells about them."""

    external_id: str
    display_name: str
    language_hint: str | None = None
    is_bot: bool = False

    def __post_init__(self) -> None:
        _set(self, "display_name", clean_line(self.display_name, NAME_LENGTH))
        _set(self, "external_id", clean_line(self.external_id))
        if self.language_hint is not None:
            _set(self, "language_hint", clean_line(self.language_hint, 16))


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where it was written."""

    platform: str
    external_id: str
    kind: ChatKind
    title: str = ""

    def __post_init__(self) -> None:
        _set(self, "title", clean_line(self.title, TITLE_LENGTH))
        _set(self, "external_id", clean_line(self.external_id))


# In ``Incoming.raw_meta``: the event was handled before (its first delivery, perhaps in
# another process, answers it); the adapter answers a repeated press without text only, at
# its deadline, in case that first delivery died before answering.
REPEAT = "repeat"


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did: a message, a command, or a button press."""

    chat: ChatRef
    sender: Sender
    text: str = ""
    button_key: str | None = None
    # Platform's own id of the event (update id, event id) for deduplication.
    event_id: str | None = None
    # Set when the platform tells us the text was addressed to another bot.
    addressed_elsewhere: bool = False
    # A forwarded message is someone else's words: never run it as a command.
    forwarded: bool = False
    # The chat got a new id (Telegram group upgraded to a supergroup).
    moved_to: str | None = None
    # A reaction ("👍") to one of the bot's messages (its platform message id).
    reaction: str | None = None
    reacted_to: str | None = None
    # The platform's id of the message this one replies to (Telegram reply_to_message,
    # Matrix m.in_reply_to): a typed answer then answers that message's question.
    reply_to: str | None = None
    # The bot was just added to (or joined) this chat.
    joined: bool = False
    # The sender just joined this group (a Matrix membership event): they have not seen
    # what was posted before, so they are greeted.
    member_joined: bool = False
    # The person wrote something the bot could never read (a Matrix message whose key did
    # not come): they are asked to send it again.
    unreadable: bool = False
    # A voice message or a sound file (Telegram voice/audio, Matrix m.audio): the bot cannot
    # listen, so it says what to do instead; its caption, if any, is not read as a command.
    voice: bool = False
    # Platform details; the dispatcher marks a repeat delivery with ``raw_meta[REPEAT]``.
    raw_meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """The one boundary every platform's input passes: no control characters beyond
        this point, in any text, argument, button key or id (see ``clean_text``)."""
        _set(self, "text", clean_text(self.text))
        for name in _INCOMING_LINES:
            value = getattr(self, name)
            if value is not None:
                _set(self, name, clean_line(value))


_INCOMING_LINES = tuple(
    f.name
    for f in fields(Incoming)
    if f.name != "text" and f.type in ("str", "str | None")  # annotations are strings here
)


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered with a message: label for people, action and args for the router."""

    label: str
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    # Typed words that choose this button too, e.g. "ja" for "Ich komme".
    aliases: tuple[str, ...] = ()
    # The number people know the choice by (a date's number, as commands take it): the
    # label shows it, typing it chooses the button, and numbered lines show it instead of
    # the button's place, so a thing has one number everywhere.
    number: int | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"
    is_image: bool = False


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a handler wants a chat to see."""

    text: str
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    # The people (Person ids) this message is about besides a private chat's own person:
    # anyone it names or whose data it carries (in its text, buttons or attachment).
    # Erasure deletes by this, never by searching the text.
    about: tuple[int, ...] = ()
    # The question takes a typed number as its answer: where buttons are written as lines,
    # they are words to write, not numbered choices.
    words: bool = False


@dataclass(frozen=True, slots=True)
class RenderedButton:
    label: str
    key: str
    # Set when the label already shows the number that chooses it (``Button.number``).
    number: int | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """An outbox row as an adapter sees it: already rendered, buttons already keyed."""

    id: int
    dedup_key: str
    chat: ChatRef
    text: str
    buttons: tuple[RenderedButton, ...] = ()
    # For platforms without buttons: "Antworten Sie mit 1, 2 oder 3." in the reader's language.
    choice_hint: str = ""
    # Choices are words to write, not numbers (``Outgoing.words``).
    words: bool = False
    attachment: Attachment | None = None
    # Set on an edit: the platform's id of the message whose text and buttons this replaces.
    edit_message_id: str | None = None
    # An edit row's original dedup key (the sender looks up the message id from it).
    edit_of: str | None = None
    # Counts an edit row's versions, so each new text gets its own idempotency key.
    revision: int = 0
    # For a direct chat, on platforms that ask for it (``checks_recipient``): the platform
    # user ids of the person the chat belongs to, so the adapter can check that exactly
    # that person is on the other side before sending.
    recipients: tuple[str, ...] = ()
    # Written for e-mail only (a newsletter issue): its own subject, HTML and headers such as
    # List-Unsubscribe; platforms that are not e-mail ignore it.
    mail: Mapping[str, Any] | None = None
    # The language the text is written in (an e-mail's ``<html lang dir>``); "" if unknown.
    language: str = ""
    # An answer to someone who just wrote: paced ahead of a backlog (``Sender.hurry``).
    urgent: bool = False


def numbered_choices(delivery: Delivery) -> str:
    """Buttons as text for platforms without them: "1 – Ich komme" lines and the hint. A
    button that shows its own number ("Nr. 12: Digitalcafé") is its line as it is."""
    if not delivery.buttons:
        return delivery.text
    lines = [delivery.text, ""]
    if delivery.words:
        # The question takes a typed number as its answer: the choices are words to write,
        # and a number means one thing only. Number labels ("1", "2") need no line.
        words = [b.label for b in delivery.buttons if not b.label.strip().isdigit()]
        lines += [f"– {label}" for label in words]
        return "\n".join([*lines, delivery.choice_hint] if words else lines[:-1])
    lines += [
        button.label if button.number is not None else f"{n} – {button.label}"
        for n, button in enumerate(delivery.buttons, start=1)
    ]
    if delivery.choice_hint:
        lines.append(delivery.choice_hint)
    return "\n".join(lines)


def subject_ids(people: Iterable[int | None]) -> tuple[int, ...]:
    """Person ids for ``Outgoing.about``, each once (None, e.g. nobody took it yet, left out)."""
    return tuple(sorted({int(p) for p in people if p is not None}))
