"""The context a handler works with: who wrote, where, in which language, and how to answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import dialogs as conversations
from bot.chat import platforms
from bot.chat.types import Attachment, Button, Incoming, Outgoing, subject_ids
from bot.dates.jobs import ReminderPolicy
from bot.delivery.outbox import enqueue_edit, enqueue_reply
from bot.domain import people
from bot.domain.models import Account, Chat, Community, ConversationState, Person
from bot.domain.work import Work
from bot.helping.policy import MatchingPolicy
from bot.language.i18n import _

if TYPE_CHECKING:
    from bot.chat.router import Router
    from bot.config import Settings


# The key in a dialog's data that holds the community it was started for.
STATE_COMMUNITY = "_community"
# A button argument naming the one person (Person id) who may press it: a follow-up
# question asked in a group (the dispatcher answers everyone else kindly).
FOR_PERSON = "_for"


@dataclass(slots=True)
class Services:
    """Long-lived things handlers may use; built once by the composition root."""

    settings: Settings
    router: Router
    now: Callable[[], datetime]
    # A link that opens a private chat with the bot, carrying the payload where the
    # platform can (Telegram's deep link), else just opening the chat (matrix.to).
    chat_link: Callable[[str], str | None] = lambda payload: None
    # A link that opens the private chat and hands it the payload; None where no
    # configured platform can (the check-in QR code needs the payload).
    deep_link: Callable[[str], str | None] = lambda payload: None
    # A look at the running bot (database, platforms, scheduler, outbox) for /status, read
    # in the dispatch's Work: a ``bot.watching.Look``. None where no App runs.
    look: Callable[[Work], Awaitable[Any]] | None = None
    policy: ReminderPolicy = field(default_factory=ReminderPolicy)
    matching: MatchingPolicy = field(default_factory=MatchingPolicy)


@dataclass(slots=True)
class Context:
    """One dispatch: the incoming message and everything resolved for it."""

    services: Services
    session: AsyncSession
    incoming: Incoming
    chat: Chat
    account: Account
    person: Person
    community: Community | None
    roles: set[str]
    locale: str
    now: datetime
    args: str = ""
    button_args: dict[str, Any] = field(default_factory=dict)
    state: ConversationState | None = None
    _dispatch_id: str = ""
    # A private chat: how many communities the person could act for. With several, the
    # first answer names the one this chat acts for, so nothing acts for one silently.
    ties: int = 0
    _replies: int = 0
    community_named: bool = False
    # The notice for the person who pressed a button, shown by the platform to them alone
    # once the dispatch is committed (``notify_presser``).
    press_answer: str | None = None

    @property
    def dispatch_id(self) -> str:
        """A random id of this dispatch, made when first asked for (most never are)."""
        if not self._dispatch_id:
            self._dispatch_id = uuid4().hex
        return self._dispatch_id

    @property
    def work(self) -> Work:
        """This dispatch's transaction and time, for calling a use case."""
        return Work(self.session, self.now)

    async def enter(self, name: str) -> None:
        """Start another feature through the entry it registered (``Router.entry``)."""
        await self.services.router.entries[name](self)

    @property
    def text(self) -> str:
        return self.incoming.text

    @property
    def is_direct(self) -> bool:
        return self.chat.kind == "direct"

    @property
    def can_tap(self) -> bool:
        """Whether this chat's platform shows buttons to tap (else choices are written)."""
        return platforms.shows_buttons(self.chat.platform)

    @property
    def can_write(self) -> bool:
        """Whether the person can write an answer here (not by e-mail: links only)."""
        return platforms.takes_messages(self.chat.platform)

    @property
    def command_prefix(self) -> str:
        """How commands start where this message came from, as its adapter declared."""
        return platforms.command_prefix(self.chat.platform)

    @property
    def other_command_prefix(self) -> str:
        """How commands start in the person's other app (linking two accounts)."""
        return platforms.other_command_prefix(self.chat.platform)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    async def reply(
        self,
        text: str,
        buttons: tuple[Button, ...] | list[Button] = (),
        attachment: Attachment | None = None,
        *,
        about: Iterable[int | None] = (),
        words: bool = False,
    ) -> None:
        """Answer in the chat the message came from, through the outbox.

        ``about``: the other people the answer names or carries data of (lists, exports).
        ``words``: a typed number answers the question; the buttons are words to write.
        """
        community = self.community
        if self.is_direct and self.ties > 1 and community is not None and not self.community_named:
            self.community_named = True
            text = _("Group: {community}").format(community=community.name) + "\n" + text
        await self.send(
            self.chat, Outgoing(text, tuple(buttons), attachment, subject_ids(about), words)
        )

    async def send(self, chat: Chat, outgoing: Outgoing, dedup_key: str | None = None) -> None:
        """Queue a message to any chat, in this dispatch's transaction.

        Whatever a person's message causes is about them too (a group reply greets them by
        name, a relay quotes them): their erasure takes it along.
        """
        self._replies += 1
        key = dedup_key or f"{self._dedup_base()}:{self._replies}"
        outgoing = replace(outgoing, about=subject_ids((*outgoing.about, self.person.id)))
        if dedup_key is None:  # a new answer: written at once (the update is recorded as new)
            await enqueue_reply(self.session, chat, outgoing, dedup_key=key, now=self.now)
        else:
            # Once per key (a second call adds nothing), without the look-up or the unit of work.
            await enqueue_reply(
                self.session, chat, outgoing, dedup_key=key, now=self.now, once=True
            )

    async def edit(self, original_dedup_key: str, outgoing: Outgoing) -> None:
        """Change a message the bot sent earlier (a list whose button was pressed), through
        the outbox; where the platform cannot edit, the change is dropped, not re-posted."""
        await enqueue_edit(self.session, original_dedup_key, outgoing, self.now)

    def _dedup_base(self) -> str:
        incoming = self.incoming
        if incoming.event_id:
            return f"in:{incoming.chat.platform}:{incoming.event_id}"
        return f"in:{incoming.chat.platform}:{self.dispatch_id}"

    async def send_private(self, person_id: int, outgoing: Outgoing, dedup_key: str) -> bool:
        """Write to a person in a private chat, on this chat's app if they use it there;
        False when no platform lets us."""
        chat = await people.private_chat(
            self.session, person_id, self.now, prefer=self.chat.platform
        )
        if chat is None:
            return False
        await self.send(chat, outgoing, dedup_key)
        return True

    async def notify_presser(self, text: str, *, elsewhere: bool = True) -> None:
        """A short answer for the person who pressed a button (or typed its choice), seen
        by them alone and never using a group's message quota: in a private chat a reply;
        in a group the press's own notice where the platform shows one (Telegram), else,
        with ``elsewhere``, their private chat if there is one, else nothing."""
        if self.is_direct:
            await self.reply(text)
            return
        if self.incoming.button_key is not None and platforms.answers_presses(self.chat.platform):
            self.press_answer = text
            return
        if elsewhere:
            key = f"{self._dedup_base()}:presser"
            await self.send_private(self.person.id, Outgoing(text), key)

    async def button_gone(self) -> None:
        """The answer to a forged, stale or foreign button: it changes nothing, and only
        the presser hears of it (``notify_presser``)."""
        self.community_named = True  # it acts for no community: no "Gruppe:" line
        await self.notify_presser(
            _("This button no longer works. Please write {prefix}start.").format(
                prefix=self.command_prefix
            )
        )

    async def ask(
        self,
        text: str,
        state: str,
        data: dict[str, Any] | None = None,
        buttons: tuple[Button, ...] | list[Button] = (),
        *,
        numbers: bool = False,
    ) -> None:
        """Ask a question and wait for the typed answer in dialog state ``state``.

        With ``numbers`` a typed number is the answer, not a pick among the buttons.
        """
        # The community the dialog is for: an answer given after the chat changed community
        # (a switch, a re-link) must not act for the other one.
        community = self.community.id if self.community is not None else None
        data = {**(data or {}), "numbers": numbers, STATE_COMMUNITY: community}
        await conversations.set_state(
            self.session, self.chat.id, self.person.id, state, data, self.now
        )
        earlier_choices = self.chat.choices
        await self.reply(text, buttons, words=numbers)
        if not self.is_direct:
            # In a group the question is for one person only: a "ja" typed by everyone
            # else still answers the post above it.
            self.chat.choices = earlier_choices

    async def ask_privately(
        self,
        text: str,
        state: str,
        data: dict[str, Any] | None = None,
        buttons: tuple[Button, ...] | list[Button] = (),
        *,
        numbers: bool = False,
    ) -> bool:
        """Ask a follow-up question in the person's private chat, where only they can answer
        it; False when no platform lets us write to them privately.

        The dialog waits in the private chat and belongs to no community: its handler finds
        the community from what it is about (as a button in a private chat does).
        """
        if self.is_direct:
            await self.ask(text, state, data, buttons, numbers=numbers)
            return True
        known = await people.known_private_chat(
            self.session, self.person.id, prefer=self.chat.platform
        )
        chat = known or await people.private_chat(
            self.session, self.person.id, self.now, prefer=self.chat.platform
        )
        if chat is None:
            return False
        data = {**(data or {}), "numbers": numbers, STATE_COMMUNITY: None}
        await conversations.set_state(self.session, chat.id, self.person.id, state, data, self.now)
        outgoing = Outgoing(text, tuple(buttons), words=numbers)
        await self.send(chat, outgoing, f"private:{self.dispatch_id}")
        # A press in the group gets a sign where it was made (the press's own notice). Someone
        # who has never written to the bot cannot get the message until they open the chat
        # (the group gets the link to it), so they are not told it is already there.
        notice = (
            _("I have written to you in the private chat.")
            if known is not None
            else _("Please open the private chat with me first. The group shows you how.")
        )
        await self.notify_presser(notice, elsewhere=False)
        return True

    async def not_for_you(self) -> None:
        """The answer to a press on a follow-up question that is someone else's: it changes
        nothing, and the presser hears it privately where possible."""
        self.community_named = True
        # Like a stale button: only the presser hears of it, never the group.
        await self.notify_presser(
            _("This question is for another person. Nothing was changed for you.")
        )

    async def answer_privately(self, text: str) -> None:
        """Answer the writer alone: in their private chat when they wrote in a group and we
        can write to them there, else where they wrote."""
        if self.is_direct or not await self.send_private(
            self.person.id, Outgoing(text), f"private:{self.dispatch_id}"
        ):
            await self.reply(text)

    async def dialog_data(self, state: str) -> dict[str, Any] | None:
        """The answers so far of dialog ``state``, or None when it is not the open one
        (a button from an earlier question pressed later)."""
        current = await conversations.get_state(self.session, self.chat.id, self.person.id)
        if current is None or current.state != state or not self.dialog_fits(current):
            return None
        return dict(current.data)

    def dialog_fits(self, state: ConversationState) -> bool:
        """Whether a dialog was started for the community this chat acts for now."""
        started = state.data.get(STATE_COMMUNITY)
        # One started for no community (person-level, such as the privacy questions) fits.
        return started is None or (self.community is not None and started == self.community.id)

    async def finish_dialog(self) -> None:
        await conversations.clear_state(self.session, self.chat.id, self.person.id)
        self.state = None
