"""Turns one Incoming into a committed transaction: resolve who and where, route, answer."""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
import unicodedata
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import uuid4

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chat import dialogs as conversations
from bot.chat import yes_no
from bot.chat.context import FOR_PERSON, Context, Services
from bot.chat.router import Router, parse_choice, parse_command
from bot.chat.types import REPEAT, Incoming, Outgoing
from bot.community import communities
from bot.dates.announcements import schedule_changed
from bot.delivery import reach
from bot.delivery.outbox import enqueue, message_buttons, queued_chats
from bot.domain import people
from bot.domain.models import (
    Account,
    ButtonToken,
    Chat,
    Community,
    ConversationState,
    Person,
    ProcessedEvent,
)
from bot.domain.numbers import is_number
from bot.domain.prepared import Prepared, fetch, run, settled
from bot.domain.roles import MEMBER, acting_roles, may
from bot.infra import db_errors
from bot.infra.column_limits import TooLong
from bot.infra.group_commit import GroupCommit
from bot.language.i18n import _, ngettext, pick_locale, use_locale

log = logging.getLogger(__name__)

SCHEDULE_CHANGED = "schedule_changed"
# Offered when a private chat could act for several communities and none is chosen.
SWITCH_COMMAND = "gruppe_wechseln"
_RECORD_EVENT = insert(ProcessedEvent.__table__)
_RECORD_SEEN = Prepared(_RECORD_EVENT, keys=("platform", "event_id", "processed_at"))
CANCEL_WORDS = {"abbrechen", "abbruch", "stop", "stopp", "cancel", "/abbrechen", "/cancel"}


def _language(person: Person, account: Account, community: Community | None) -> str:
    """The language to answer in: the person's choice, else their app's, else the group's."""
    return pick_locale(
        person.locale, account.language_hint, community.locale if community else None
    )


class Dispatcher:
    """Handles incoming messages; concurrent across chats, in order within one chat."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        services: Services,
        *,
        on_committed: Callable[[list[tuple[str, int]] | None], None] = lambda _chats: None,
        on_schedule_changed: Callable[[], None] = lambda: None,
        bot_usernames: Callable[[str], str | None] = lambda platform: None,
        answer_press: Callable[[Incoming, str], Awaitable[None]] | None = None,
        group: GroupCommit | None = None,
    ) -> None:
        self._sessions = sessions
        # Updates' work committed together (bot/infra/group_commit.py); None: one by one.
        self._group = group
        self._services = services
        self._router: Router = services.router
        self._on_committed = on_committed
        self._on_schedule_changed = on_schedule_changed
        self._bot_usernames = bot_usernames
        self._answer_press = answer_press
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        privacy = services.settings.privacy
        self._flood = FloodGuard(privacy.flood_messages, privacy.flood_seconds)

    async def dispatch(self, incoming: Incoming) -> bool:
        """Handle one message; True once its effects are committed (or it was a repeat)."""
        if incoming.sender.is_bot:
            return True
        key = (incoming.chat.platform, incoming.chat.external_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        async with lock:
            opened: list[AsyncSession] = []
            pressed: list[str] = []
            try:
                handled = await self._dispatch_once(incoming, opened, pressed)
            except TooLong as exc:
                # Nothing was written (the dialog still waits for its answer): say the limit.
                await self._answer_instead(incoming, _too_long(exc.limit))
                return True
            except IntegrityError as exc:
                if "processed_events" not in (exc.statement or ""):
                    return await self._failed(incoming, exc)
                # The same event delivered twice: its processed_events row exists. Its first
                # delivery (perhaps in another process) answers it; the mark tells the adapter
                # to add no notice of its own (a press's spinner is only stopped, at its
                # deadline: the first delivery may have died before answering).
                log.info("event %s was handled before", incoming.event_id)
                incoming.raw_meta[REPEAT] = True
                return True
            except Exception as exc:
                if db_errors.is_transient(exc):
                    # Nothing was committed: the platform must deliver the event again.
                    raise
                return await self._failed(incoming, exc)
        if handled:
            self._on_committed(queued_chats(opened[0]))
            if handled == SCHEDULE_CHANGED:
                self._on_schedule_changed()
        if pressed and self._answer_press is not None:
            # Only once committed: the notice may confirm what the press changed.
            await self._answer_press(incoming, pressed[-1])
        return True

    async def _dispatch_once(
        self, incoming: Incoming, opened: list[AsyncSession], pressed: list[str]
    ) -> bool | str:
        """Handle one event in one transaction (shared with other events' when grouped);
        truthy when something was committed. The session goes into ``opened``: after the
        commit it tells what was queued for whom; the notice for the presser of a button
        (``Context.notify_presser``) into ``pressed``."""

        async def work(session: AsyncSession) -> bool | str:
            # Run again alone when it failed in its group: only this run's session counts.
            opened[:] = [session]
            pressed.clear()
            return await self._handle(session, incoming, pressed)

        if self._group is not None:
            return await self._group.run(work)  # type: ignore[no-any-return]
        async with self._sessions.begin() as session:
            return await work(session)

    async def _handle(
        self, session: AsyncSession, incoming: Incoming, pressed: list[str]
    ) -> bool | str:
        """The event's work in ``session``'s transaction."""
        if incoming.event_id and await self._seen(session, incoming):
            return False
        if incoming.moved_to is not None:
            await people.move_chat(
                session, incoming.chat.platform, incoming.chat.external_id, incoming.moved_to
            )
            return True
        if incoming.member_joined and await people.chat_kind(session, incoming.chat) != "group":
            # Someone joining a room we know as a private chat (a guest) or not at all:
            # nothing to greet, and the chat stays as it is until someone writes there.
            return False
        now = self._services.now()
        # Held until the answer is done: it keeps the pressed button's token loaded.
        button = incoming.button_key[:32] if incoming.button_key is not None else None
        known = await people.find_writer(session, incoming.chat, incoming.sender, button=button)
        if known is None:  # first contact: created with prebuilt statements, then loaded
            if (over := people.too_long(incoming.chat, incoming.sender)) is not None:
                raise TooLong(*over)
            known = await people.create_writer(
                session, incoming.chat, incoming.sender, now, button=button
            )
        ctx = await self._resolve(session, incoming, known, now)
        with use_locale(ctx.locale):
            await self._answer(ctx)
        if ctx.press_answer is not None:
            pressed.append(ctx.press_answer)
        # Only then is the scheduler asked to look again, not after every message.
        return SCHEDULE_CHANGED if schedule_changed(session) else True

    async def _resolve(
        self,
        session: AsyncSession,
        incoming: Incoming,
        writer: people.Writer,
        now: datetime,
    ) -> Context:
        """Who wrote, where, for which community, with which roles and in which language."""
        chat, account, person = writer.chat, writer.account, writer.person
        known: people.Writer | None = writer
        if await self._settle_chat(session, incoming, chat, account, person, now):
            known = None  # its community and roles were those of a private chat
        community, granted, ties = await self._community_and_roles(
            session, chat, person, known, now
        )
        # Deployment admins (config or one-time code) administer every community.
        roles = acting_roles(
            granted, deployment_admin=person.deployment_admin, in_community=community is not None
        )
        locale = _language(person, account, community)
        return Context(
            services=self._services,
            session=session,
            incoming=incoming,
            chat=chat,
            account=account,
            person=person,
            community=community,
            roles=roles,
            locale=locale,
            now=now,
            ties=ties,
        )

    async def _settle_chat(
        self,
        session: AsyncSession,
        incoming: Incoming,
        chat: Chat,
        account: Account,
        person: Person,
        now: datetime,
    ) -> bool:
        """Bring the chat and the writer up to date with this message; True when a private
        chat stopped being private (what was resolved for it no longer holds)."""
        ended = False
        if chat.kind == "direct" and (
            incoming.chat.kind != "direct" or chat.person_id not in (None, person.id)
        ):
            # Someone else is in (or writes in) a person's private chat (a Matrix room
            # they were invited to): nothing private happens there any more.
            await people.end_private(session, chat, now)
            ended = True
        if account.unreachable and chat.kind == "direct":
            # Writing to us privately proves we can write back: send what waited.
            account.unreachable = False
            await reach.requeue_after_contact(session, chat, now)
        if chat.kind == "direct" and chat.person_id != person.id:
            chat.person_id = person.id
        admins = self._services.settings.bot.admins
        if _is_config_admin(admins, incoming) and not person.deployment_admin:
            person.deployment_admin, person.admin_source = True, "config"
        return ended

    async def _community_and_roles(
        self,
        session: AsyncSession,
        chat: Chat,
        person: Person,
        known: people.Writer | None,
        now: datetime,
    ) -> tuple[Community | None, set[str], int]:
        """The community the message acts for, the roles granted there, and (in a private
        chat) how many communities the person could act for."""
        ties = 0
        if known is not None:
            community, granted, ties = known.community, known.granted, known.ties
        else:
            community = await self._community_for(session, chat)
            granted = await communities.granted_roles(
                session, person.id, community.id if community else None
            )
        if chat.kind == "direct" and known is not None and not ties and not person.deployment_admin:
            # No role anywhere (find_writer counted them): nothing to choose from, so no
            # query; a choice stored earlier no longer holds.
            if chat.community_id is not None:
                await communities.choose_private(session, chat, None)
            community, granted = None, set()
        elif chat.kind == "direct" and (
            community is None or person.deployment_admin or not granted
        ):
            # Not a choice still backed by a role: the one place decides (and may ask).
            community, ties = await communities.private_community(session, chat, person)
            granted = await communities.granted_roles(
                session, person.id, community.id if community else None
            )
        if community is not None and chat.kind == "group" and not granted:
            # Everyone who writes in a community's chat is a member of it.
            await communities.add_member(session, person.id, community.id, now)
            granted = {MEMBER}
        return community, granted, ties

    async def _answer(self, ctx: Context) -> None:
        """Refuse a flood, else route the message; a first private contact also hears the
        privacy note."""
        flood = self._flood.check((ctx.incoming.chat.platform, ctx.incoming.sender.external_id))
        if flood == FloodGuard.NOTE:
            note = _("You are writing very fast. Please wait a moment, then try again.")
            if ctx.incoming.button_key is not None:
                await ctx.notify_presser(note)  # presses in a group never post there
            else:
                await ctx.reply(note)
            return
        if flood != FloodGuard.OK:
            return
        offered_before = ctx.chat.choices
        await self._route(ctx)
        note = self._router.on_first_contact
        if note is not None and await self._first_contact(ctx, offered_before):
            # In the language this very update may have chosen (the language buttons).
            with use_locale(_language(ctx.person, ctx.account, ctx.community)):
                await note(ctx)

    async def _first_contact(self, ctx: Context, offered_before: object) -> bool:
        """Whether the privacy note is due: a private chat of someone who has not had it."""
        person = ctx.person
        return (
            ctx.chat.kind == "direct"
            and person.privacy_noted_at is None
            and person.erased_at is None
            and self._services.settings.privacy.first_contact_note
            # Not while a question is open: a typed "2" must still answer it.
            and ctx.chat.choices == offered_before
            and not await _dialog_open(ctx.session, ctx.chat.id, person.id)
        )

    async def _seen(self, session: AsyncSession, incoming: Incoming) -> bool:
        """Record the event as handled; a repeat fails the unique key and is rolled back."""
        # A prepared insert on the session's connection: the unit of work, and even
        # SQLAlchemy's execute, would cost more than the statement itself.
        await run(
            await session.connection(),
            _RECORD_SEEN,
            {
                "platform": incoming.chat.platform,
                "event_id": str(incoming.event_id),
                "processed_at": self._services.now(),
            },
        )
        return False

    async def _community_for(self, session: AsyncSession, chat: Chat) -> Community | None:
        """The chat's stored community (a private chat's is checked by the caller)."""
        if chat.community_id is not None:
            # Usually loaded with the chat already; get() then reads the identity map.
            return await session.get(Community, chat.community_id)
        return None

    async def _route(self, ctx: Context) -> None:
        incoming = ctx.incoming
        text = incoming.text
        limit = ctx.services.settings.bot.max_text_length
        if len(text) > limit:
            await ctx.reply(
                ngettext(
                    "Your message is very long. Please write it shorter, with at most {limit} "
                    "character.",
                    "Your message is very long. Please write it shorter, with at most {limit} "
                    "characters.",
                    limit,
                ).format(limit=limit)
            )
            return
        if incoming.button_key is not None:
            await self._press(ctx, incoming.button_key)
            return
        if incoming.unreadable:
            await ctx.reply(
                _("{name}, I could not read your last message. Please send it again.").format(
                    name=incoming.sender.display_name
                )
            )
            return
        if incoming.voice:
            if ctx.is_direct:
                await ctx.reply(_cannot_listen(ctx))
            return  # in a group people speak to each other
        if incoming.joined or incoming.member_joined:
            greet = self._router.on_join if incoming.joined else self._router.on_member_join
            # New members are greeted in linked groups only: someone joining a private
            # chat is a guest there, and the chat's person must hear nothing of it.
            linked_group = ctx.chat.kind == "group" and ctx.community is not None
            if greet is not None and (incoming.joined or linked_group):
                await greet(ctx)
            return
        if incoming.reaction is not None:
            key = await self._reaction_choice(ctx, incoming.reacted_to or "")
            if key is not None:
                await self._press(ctx, key)
            return
        username = self._bot_usernames(incoming.chat.platform)
        command = None if incoming.forwarded else parse_command(text, username)
        if command is not None:
            if (
                command.addressed_to
                and username
                and command.addressed_to.lower() != username.lower()
            ):
                return  # "/start@other_bot" in a group is not for us
            await self._command(ctx, command.name, command.args)
            if self._router.find(command.name) is not None:
                await self._note_prefix(ctx, text, command.name)
            return
        if incoming.addressed_elsewhere:
            return
        await self._text(ctx, text)

    async def _note_prefix(self, ctx: Context, text: str, word: str) -> None:
        """A known command typed with the other app's prefix ("/termine" in Element) works;
        the person is told once how commands start here. An unknown one changes nothing:
        its answer lists the commands with the right prefix already."""
        quiet = ctx.chat.kind == "group" and ctx.community is None
        if quiet or text.lstrip().startswith(ctx.command_prefix) or ctx.account.prefix_noted_at:
            return
        ctx.account.prefix_noted_at = ctx.now
        await ctx.answer_privately(
            _("Tip: here commands start with {prefix}, for example {prefix}{command}.").format(
                prefix=ctx.command_prefix, command=word
            )
        )

    async def _command(self, ctx: Context, name: str, args: str) -> None:
        cmd = self._router.find(name)
        in_unlinked_group = ctx.chat.kind == "group" and ctx.community is None
        if cmd is None:
            if not in_unlinked_group:
                await ctx.reply(self._unknown_hint(ctx))
            return
        if in_unlinked_group and cmd.needs_community:
            return  # stay quiet in groups nobody linked yet
        switch = self._router.find(SWITCH_COMMAND)
        if cmd.needs_community and ctx.community is None and ctx.ties > 1 and switch is not None:
            # Several communities and none chosen: acting for one of them would be a guess.
            await self._command(ctx, SWITCH_COMMAND, "")
            return
        if cmd.needs_community and ctx.community is None:
            await ctx.reply(
                _(
                    "I do not know your group yet.\n"
                    "Please write {prefix}start once in your group. Then this works here too."
                ).format(prefix=ctx.command_prefix)
            )
            return
        if not may(ctx.roles, cmd.roles):
            # First: sending a member to a private chat only to refuse them there misleads.
            await ctx.reply(_("Sorry, only the team of this group may do that."))
            return
        if cmd.where == "direct" and not ctx.is_direct:
            await ctx.reply(_("Please write this to me in a private chat."))
            return
        ctx.args = args
        await cmd.handler(ctx)

    async def _press(self, ctx: Context, key: str) -> None:
        token = await ctx.session.get(ButtonToken, key[:32])
        if token is None or token.chat_id != ctx.chat.id or token.expires_at < ctx.now:
            await ctx.button_gone()
            return
        handler = self._router.buttons.get(token.action)
        if handler is None:
            log.warning("no handler for button action %s", token.action)
            await ctx.button_gone()
            return
        owner = token.args.get(FOR_PERSON)
        if owner is not None and owner != ctx.person.id:
            # A follow-up question belongs to the person who started it.
            await ctx.not_for_you()
            return
        needed = self._router.button_roles.get(token.action)
        if needed and not needed & ctx.roles:
            await ctx.notify_presser(_("Sorry, only the team of this group may do that."))
            return
        ctx.button_args = dict(token.args)
        await handler(ctx)

    async def _text(self, ctx: Context, text: str) -> None:
        state = await conversations.get_state(ctx.session, ctx.chat.id, ctx.person.id)
        word = _normalise(text)
        if state is not None and not ctx.dialog_fits(state):
            # Started for another community (the chat was switched or re-linked since).
            await ctx.finish_dialog()
            await ctx.reply(
                _("This question was for another group. I have stopped it. Nothing was changed.")
            )
            return
        if state is not None and word in CANCEL_WORDS:
            await ctx.finish_dialog()
            await ctx.reply(_("All right, I have stopped. Nothing was changed."))
            return
        key = await self._choice(ctx, state, word)
        if key is not None:
            await self._press(ctx, key)
            return
        if state is not None:
            handler = self._router.states.get(state.state)
            needed = self._router.state_roles.get(state.state)
            if handler is not None and needed and not needed & ctx.roles:
                await ctx.finish_dialog()
                await ctx.reply(_("Sorry, only the team of this group may do that."))
                return
            if handler is not None:
                ctx.state = state
                await handler(ctx)
                return
            await ctx.finish_dialog()
        if word in _yes_no():
            # "ja" or "nein" that picked no open choice: point to the choices under the
            # question, or say that none is open (privately), never stay silent. Nothing
            # changes. In a group it is still passed on like any text (the relay).
            await yes_no.answer(ctx)
            if ctx.is_direct:
                return
        if not ctx.is_direct and ctx.community is not None and self._router.on_group_text:
            await self._router.on_group_text(ctx)
            return
        if ctx.is_direct:
            if word in ("hilfe", "help", "?"):
                await self._command(ctx, "hilfe", "")
                return
            if self._router.on_direct_text is not None:
                await self._router.on_direct_text(ctx)
                return
            await ctx.reply(_("Sorry, I did not understand that."))

    async def _reaction_choice(self, ctx: Context, message_id: str) -> str | None:
        """A 👍 on one of our messages picks its first button ("Ich komme")."""
        keys = await message_buttons(ctx.session, ctx.chat.id, message_id)
        return keys[0] if keys else None

    async def _choice(self, ctx: Context, state: ConversationState | None, word: str) -> str | None:
        """The button a typed answer picks. A reply to one of our messages answers that
        message, whatever else is open; otherwise a typed number or word picks one of the
        last buttons offered in this chat, except that a dialog asking for a number
        (places, companions) takes "2" as the answer itself."""
        if ctx.incoming.reply_to:
            replied = await message_buttons(ctx.session, ctx.chat.id, ctx.incoming.reply_to)
            key = await self._typed_choice(ctx, word, replied)
            if key is not None:
                return key
        if state is not None and state.data.get("numbers") and is_number(word):
            return None
        return await self._typed_choice(ctx, word, ctx.chat.choices or [])

    async def _typed_choice(self, ctx: Context, word: str, keys: list[str]) -> str | None:
        if not keys or not word:
            return None
        tokens = (
            await ctx.session.scalars(select(ButtonToken).where(ButtonToken.key.in_(keys)))
        ).all()
        # Buttons with their own numbers (a date's number) are chosen by those only: a
        # typed "2" is never the second of them.
        numbered = any(is_number(alias) for token in tokens for alias in token.aliases)
        index = None if numbered else parse_choice(word, len(keys))
        if index is not None:
            return str(keys[index])
        for token in tokens:
            words = {_normalise(token.label), *(_normalise(a) for a in token.aliases)}
            if word in words:
                return token.key
        return None

    def _unknown_hint(self, ctx: Context) -> str:
        names = " ".join(
            f"{ctx.command_prefix}{cmd.display_name(ctx.locale)}"
            for cmd in self._router.available(ctx.roles | {"member"}, ctx.chat.kind)[:4]
        )
        return _("I do not know this command. These work: {commands}").format(commands=names)

    async def _failed(self, incoming: Incoming, error: BaseException) -> bool:
        """Handling failed for a reason a retry cannot cure (a value the database refuses,
        a bug): the event counts as processed, with the kind of error, so neither this chat
        nor the ones behind it wait for it. The person gets an apology, the deployment
        admins one note per kind of error and day. The log names the kind and the code
        lines, never the values (a database error's message may quote them)."""
        kind = db_errors.kind(error)
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error(
            "handler failed (%s) for %s, event %s in a %s chat; recorded as processed.\n"
            "Traceback (values left out):\n%s",
            kind,
            _what(incoming),
            incoming.event_id,
            incoming.chat.platform,
            frames.rstrip(),
        )
        await self._answer_instead(incoming, _apology, error=kind)
        return True

    async def _answer_instead(
        self, incoming: Incoming, text: Callable[[], str], *, error: str | None = None
    ) -> None:
        """In a fresh transaction, after the handler's was rolled back: record the event
        as processed (with ``error`` if it failed) and tell the person ``text()``."""
        try:
            async with self._sessions.begin() as session:
                now = self._services.now()
                if incoming.event_id:
                    await session.execute(
                        _RECORD_EVENT,
                        {
                            "platform": incoming.chat.platform,
                            "event_id": str(incoming.event_id)[:255],
                            "processed_at": now,
                            "error": error,
                        },
                    )
                chat = await people.get_or_create_chat(session, incoming.chat, now)
                account = await people.get_or_create_account(
                    session, incoming.chat.platform, incoming.sender, now
                )
                person = await people.person_of(session, account)
                with use_locale(pick_locale(person.locale, account.language_hint, None)):
                    answer = text()
                key = f"error:{incoming.chat.platform}:{incoming.event_id or uuid4().hex}"
                await enqueue(session, chat, Outgoing(answer), dedup_key=key, now=now)
                if error is not None:
                    await self._tell_admins(session, error, now)
            self._on_committed(None)
        except IntegrityError:
            log.info("event %s was handled before", incoming.event_id)
        except Exception as exc:
            log.error("could not even apologise (%s)", db_errors.kind(exc))

    async def _tell_admins(self, session: AsyncSession, kind: str, now: datetime) -> None:
        """One private note per deployment admin, kind of error and day (the outbox's
        dedup key keeps it to one however often the error recurs)."""
        admins = (
            await session.scalars(
                select(Person).where(Person.deployment_admin, Person.erased_at.is_(None))
            )
        ).all()
        for admin in admins:
            chat = await people.private_chat(session, admin.id, now)
            if chat is None:
                continue
            with use_locale(pick_locale(admin.locale, None, None)):
                note = _(
                    "Note for admins: a message could not be handled ({kind}).\n"
                    "The person got an apology. The other chats go on. Details are in the log."
                ).format(kind=kind)
            key = f"failure:{kind}:{now.date().isoformat()}:{admin.id}"
            await enqueue(session, chat, Outgoing(note), dedup_key=key[:200], now=now)


class FloodGuard:
    """Per person, in this process: a sliding window of message times. Over the limit the
    person gets one note, then silence until the window has room again."""

    OK, NOTE, QUIET = "ok", "note", "quiet"

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self._limit, self._seconds, self._clock = limit, seconds, clock
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._noted: set[tuple[str, str]] = set()

    def check(self, who: tuple[str, str]) -> str:
        now = self._clock()
        times = self._seen.setdefault(who, deque())
        while times and times[0] <= now - self._seconds:
            times.popleft()
        if len(times) >= self._limit:
            if who in self._noted:
                return self.QUIET
            self._noted.add(who)
            return self.NOTE
        times.append(now)
        self._noted.discard(who)
        if len(self._seen) > 50_000:
            # Forget people who went quiet, so the table does not grow without end.
            for key in [k for k, v in self._seen.items() if not v or v[-1] <= now - self._seconds]:
                del self._seen[key]
        return self.OK


def _cannot_listen(ctx: Context) -> str:
    """The answer to a voice message: what to do instead, with the group's contact."""
    lines = [
        _("Sorry, I cannot listen to voice messages yet."),
        _("Please write me a short text instead."),
    ]
    contact = ctx.community.contact if ctx.community is not None else ""
    if contact:
        lines.append(_("Or call us: {contact}").format(contact=contact))
    return "\n".join(lines)


_DIALOG_OPEN = Prepared(
    select(ConversationState.__table__.c.chat_id)
    .where(
        ConversationState.__table__.c.chat_id == bindparam("chat_id"),
        ConversationState.__table__.c.person_id == bindparam("person_id"),
    )
    .limit(1)
)


async def _dialog_open(session: AsyncSession, chat_id: int, person_id: int) -> bool:
    """Whether a dialog waits for the person's answer in the chat (a prepared query where
    the session has nothing to write first, else ``dialogs.get_state``)."""
    if settled(session):
        params = {"chat_id": chat_id, "person_id": person_id}
        rows = await fetch(await session.connection(), _DIALOG_OPEN, params)
        if rows is not None:
            return bool(rows)
    return await conversations.get_state(session, chat_id, person_id) is not None


def _apology() -> str:
    return _("Something went wrong on our side. Please try again in a moment.")


def _too_long(limit: int) -> Callable[[], str]:
    return lambda: ngettext(
        "The text is too long. Please use at most {limit} character.",
        "The text is too long. Please use at most {limit} characters.",
        limit,
    ).format(limit=limit)


def _yes_no() -> set[str]:
    """The words that answer a yes-or-no question, in every offered language."""
    return yes_no.yes_no_words()


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().strip(".!").casefold()


def _is_config_admin(admins: list[str], incoming: Incoming) -> bool:
    return f"{incoming.chat.platform}:{incoming.sender.external_id}" in admins


def _what(incoming: Incoming) -> str:
    """What failed, for the log: the command word only, never what people typed after it
    (names, phone numbers)."""
    # The router's rule of what a command is, so this names exactly what it would run.
    if parse_command(incoming.text) is not None:
        return incoming.text.split(maxsplit=1)[0][:40]
    return "a button" if incoming.button_key else "a message"
