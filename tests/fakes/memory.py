"""An in-memory chat platform: tests play people and read what the bot sent, through the
whole stack (dispatcher, router, handlers, outbox, sender)."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from uuid import uuid4

from bot.adapters.base import Adapter, Dispatch
from bot.chat.errors import DeliveryError, PermanentError
from bot.chat.types import Attachment, ChatRef, Delivery, Incoming, Sender, numbered_choices


@dataclass
class Shown:
    """One message as a person on the platform would see it."""

    chat_id: str
    text: str
    buttons: list[tuple[str, str]]
    rendered: str
    delivery_id: int
    dedup_key: str
    # The platform's id of the message (for an edit: of the message it changed).
    message_id: str = ""
    attachment: Attachment | None = None


@dataclass
class MemoryAdapter(Adapter):
    """A platform that lives in a list; ``fail_next`` makes sends fail like a real one.

    New messages go to ``shown``, edits to ``edits``; ``current`` is what a message looks
    like now. ``supports_edit = False`` plays a platform that cannot edit;
    ``command_prefix="!"`` one whose apps keep "/" for themselves (Matrix).
    """

    platform: str = "console"
    command_prefix: str = "/"
    display_name: str = ""
    # Where its deep links lead ("…?start=payload"); None: a platform without them.
    link_base: str | None = None
    username: str | None = "lotsen_bot"
    shown: list[Shown] = field(default_factory=list)
    edits: list[Shown] = field(default_factory=list)
    fail_next: list[DeliveryError] = field(default_factory=list)
    dispatch: Dispatch | None = None
    supports_edit: bool = True
    # False plays a platform without buttons (Matrix): choices are written as lines.
    shows_buttons: bool = True
    # Telegram's notice for the presser of a button: (chat id, person id, text) in
    # ``press_answers``.
    answers_presses: bool = False
    press_answers: list[tuple[str, str, str]] = field(default_factory=list)
    # Runs inside each send, for what happens while a message is on its way.
    during_send: Callable[[Delivery], Awaitable[None]] | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def bot_username(self) -> str | None:
        return self.username

    def deep_link(self, payload: str) -> str | None:
        return f"{self.link_base}?start={payload}" if self.link_base else None

    async def start(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch

    async def answer_press(self, press: Incoming, text: str) -> None:
        self.press_answers.append((press.chat.external_id, press.sender.external_id, text))

    async def stop(self) -> None:
        self.dispatch = None

    async def send(self, delivery: Delivery) -> str:
        if self.during_send is not None:
            await self.during_send(delivery)
        if self.fail_next:
            raise self.fail_next.pop(0)
        edited = delivery.edit_message_id
        if edited is not None and not any(s.message_id == edited for s in self.shown):
            raise PermanentError(f"no message {edited} to edit")
        message_id = edited if edited is not None else str(next(self._ids))
        shown = Shown(
            chat_id=delivery.chat.external_id,
            text=delivery.text,
            buttons=[(b.label, b.key) for b in delivery.buttons],
            rendered=numbered_choices(delivery),
            delivery_id=delivery.id,
            dedup_key=delivery.dedup_key,
            message_id=message_id,
            attachment=delivery.attachment,
        )
        (self.shown if edited is None else self.edits).append(shown)
        return message_id

    def to(self, chat_id: str) -> list[Shown]:
        return [s for s in self.shown if s.chat_id == chat_id]

    def current(self, message_id: str) -> Shown:
        """The message as people see it now: its latest edit, else as it was sent."""
        for edit in reversed(self.edits):
            if edit.message_id == message_id:
                return edit
        return next(s for s in self.shown if s.message_id == message_id)

    def current_text(self, message_id: str) -> str:
        return self.current(message_id).text


def telegram_like() -> MemoryAdapter:
    """A memory platform that declares what the Telegram adapter declares."""
    return MemoryAdapter(
        platform="telegram",
        display_name="Telegram",
        link_base="https://t.me/lotsen_bot",
        answers_presses=True,
    )


def matrix_like() -> MemoryAdapter:
    """A memory platform that declares what the Matrix adapter declares."""
    return MemoryAdapter(
        platform="matrix", display_name="Matrix", command_prefix="!", shows_buttons=False
    )


@dataclass
class Person:
    """Somebody on the memory platform."""

    user_id: str
    name: str
    language: str | None = "de"
    is_bot: bool = False

    @property
    def sender(self) -> Sender:
        return Sender(self.user_id, self.name, self.language, self.is_bot)


class Conversation:
    """Drives an app through a MemoryAdapter: ``say`` returns what the bot answered."""

    def __init__(self, app, adapter: MemoryAdapter) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.adapter = adapter
        self._seen = 0

    def direct(self, person: Person) -> ChatRef:
        return ChatRef(self.adapter.platform, f"dm-{person.user_id}", "direct", "")

    def group(self, chat_id: str = "group-1", title: str = "Digitalcafé") -> ChatRef:
        return ChatRef(self.adapter.platform, chat_id, "group", title)

    async def say(
        self,
        person: Person,
        text: str = "",
        *,
        chat: ChatRef | None = None,
        button_key: str | None = None,
        event_id: str | None = None,
        reply_to: Shown | None = None,
    ) -> list[Shown]:
        """Post as ``person`` (a private chat unless ``chat`` is given), as a reply to a
        message the bot showed if ``reply_to`` is given; return new bot messages."""
        where = chat or self.direct(person)
        incoming = Incoming(
            chat=where,
            sender=person.sender,
            text=text,
            button_key=button_key,
            event_id=event_id if event_id is not None else f"ev-{uuid4().hex}",
            reply_to=reply_to.message_id if reply_to is not None else None,
        )
        await self.app.dispatch(incoming)
        return await self.flush()

    async def press(
        self, person: Person, shown: Shown, label: str, chat: ChatRef | None = None
    ) -> list[Shown]:
        """Tap the button with this label on a message the bot showed."""
        key = next(key for text, key in shown.buttons if text == label)
        return await self.say(person, chat=chat, button_key=key)

    async def flush(self) -> list[Shown]:
        """Deliver everything due and return what is new since the last call."""
        await self.app.sender.drain(timeout=10)
        new = self.adapter.shown[self._seen :]
        self._seen = len(self.adapter.shown)
        return new
