"""Matrix through matrix-nio: sync events to Incoming, Delivery to m.notice events.

Edits are m.replace events (the original's text in "m.new_content", a "* " fallback body
for clients that do not show edits); incoming edits never run anything again.

Exactly once: the sync token is stored only after every event of a batch is committed,
and events carry their event_id for deduplication, so a restart neither replays nor misses.
Sends carry a transaction id derived from the outbox dedup key, so Synapse shows a retried
or restarted send once. Encrypted rooms work through nio's crypto store under data_dir.

A room is a person's private chat only while exactly they and the bot are in it: incoming
events say so per event, and every private delivery checks the room's members first
(NotPrivate otherwise; the sender then moves it to a new direct room). A message that
cannot be decrypted is kept in the database, retried after every sync and handled once its
key is there; if it never comes, its sender is asked to send it again.

Rooms are learnt lazily after a restart: the first start reads every joined room's state
(one full-state sync), a restart does not - it syncs on from the stored token at once and
reads a room's state (``GET /rooms/{id}/state``, one request) only when the room first has
an event or a delivery in this process. An account in 1,000 rooms answers its first message
without waiting for 1,000 rooms' state (bench/restart.py; a full-state sync of 1,000 rooms
took Synapse 0.7-22 s and nio 2 s to parse).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import io
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    BadEvent,
    EncryptionError,
    ErrorResponse,
    Event,
    InviteMemberEvent,
    JoinError,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    RoomEncryptedAudio,
    RoomEncryptionEvent,
    RoomGetStateError,
    RoomGetStateResponse,
    RoomKeyRequestResponse,
    RoomMemberEvent,
    RoomMessageAudio,
    RoomMessageNotice,
    RoomMessageText,
    RoomSendError,
    RoomSendResponse,
    SyncError,
    UnknownBadEvent,
    UploadResponse,
)

from bot.adapters.base import Adapter, Dispatch, cancel_and_wait
from bot.chat.errors import ChatMoved, NotPrivate, RetryLater, TransientError, Unreachable
from bot.chat.receiving import ReceiveStatus, short_reason
from bot.chat.types import ChatRef, Delivery, Incoming, Sender, numbered_choices
from bot.chat.undecrypted import Held, HeldEvents
from bot.config import MatrixSection
from bot.infra.failures import PLATFORM_LOGIN, CannotStart
from bot.infra.keyvalue import StateStore
from bot.infra.logs import add_secret
from bot.infra.private_files import private_dir, secure_tree, write_private
from bot.infra.process_lock import ProcessLock

log = logging.getLogger(__name__)

SYNC_KEY = "matrix:next_batch"
# Synapse sends at most 10 events per room and sync unless asked for more.
SYNC_FILTER = {"room": {"timeline": {"limit": 100}}}
THUMBS_UP = re.compile("^\U0001f44d[\U0001f3fb-\U0001f3ff\ufe0f]*$")
_REPLY_FALLBACK = re.compile(r"^(> .*\n)+\n", re.M)
# Asking again for a missing room key: after 10 s, then twice as long each time, at most 5 min.
KEY_RETRY_FIRST = 10.0
KEY_RETRY_MAX = 300.0


def transaction_id(dedup_key: str, part: str = "") -> str:
    """Stable per outbox row: Synapse answers a repeated id with the first event."""
    return "lb" + hashlib.sha256(f"{dedup_key}|{part}".encode()).hexdigest()[:40]


def to_html(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def _localpart(user_id: str) -> str:
    """ "@anna:stadt.example" → "anna", for people without a display name."""
    return user_id.removeprefix("@").split(":")[0]


def others_in(room: MatrixRoom, own_user_id: str) -> set[str]:
    """Everyone joined or invited in the room but the bot, from nio's room state."""
    return set(room.users) - {own_user_id}


def is_private_with(room: MatrixRoom, user_id: str, own_user_id: str) -> bool:
    """A room is someone's private chat only while exactly they and the bot are in it
    (invited counts: an invited person can read on once they join)."""
    return others_in(room, own_user_id) == {user_id}


def translate(room: MatrixRoom, event: Any, own_user_id: str) -> Incoming | None:
    """A room event as an Incoming, or None when it is nothing for us."""
    if getattr(event, "sender", None) == own_user_id:
        return None
    if isinstance(event, RoomMemberEvent):
        return _member_joined(room, event, own_user_id)
    chat = ChatRef(
        "matrix",
        room.room_id,
        "direct" if is_private_with(room, event.sender, own_user_id) else "group",
        room.display_name or "",
    )
    sender = Sender(event.sender, room.user_name(event.sender) or _localpart(event.sender), None)
    if isinstance(event, ReactionEvent):
        if not THUMBS_UP.match(event.key):
            return None
        return Incoming(
            chat=chat,
            sender=sender,
            event_id=event.event_id,
            reaction="👍",
            reacted_to=event.reacts_to,
        )
    if isinstance(event, RoomMessageNotice):
        return None  # notices are what bots send; never answer another bot
    if isinstance(event, (RoomMessageAudio, RoomEncryptedAudio)):
        # A voice message (Element records m.audio) or a sound file: nothing we can read.
        return Incoming(chat=chat, sender=sender, event_id=event.event_id, voice=True)
    if isinstance(event, RoomMessageText):
        relates = event.source.get("content", {}).get("m.relates_to", {})
        if relates.get("rel_type") == "m.replace":
            return None  # an edit never runs a command again
        text = _REPLY_FALLBACK.sub("", event.body, count=1) if relates else event.body
        replied = relates.get("m.in_reply_to", {}).get("event_id")
        return Incoming(
            chat=chat,
            sender=sender,
            text=text,
            event_id=event.event_id,
            reply_to=replied if isinstance(replied, str) else None,
        )
    return None


def _member_joined(room: MatrixRoom, event: RoomMemberEvent, own_user_id: str) -> Incoming | None:
    """Someone new in a group room: in an encrypted room they cannot read what was posted
    before they came, so the bot greets them (with the next date)."""
    person = event.state_key
    if event.membership != "join" or event.prev_membership == "join" or person == own_user_id:
        return None  # a name or avatar change, a leave, or the bot itself
    if is_private_with(room, person, own_user_id):
        return None  # someone accepting their private chat with the bot
    name = (event.content or {}).get("displayname") or room.user_name(person) or _localpart(person)
    return Incoming(
        chat=ChatRef("matrix", room.room_id, "group", room.display_name or ""),
        sender=Sender(person, str(name), None),
        event_id=event.event_id,
        member_joined=True,
    )


class MatrixAdapter(Adapter):
    """One nio client: a sync loop for receiving, room_send for the outbox."""

    platform = "matrix"
    display_name = "Matrix"
    # Element takes "/" for its own commands, so Matrix users type "!".
    command_prefix = "!"
    shows_buttons = False
    supports_edit = True
    # Only the leading process syncs and sends: nio's room state and the crypto store
    # belong to one running client, and transaction ids make the leader's resends safe.
    leader_only = True
    # Sends are idempotent (transaction ids), so this only bounds concurrency: below nio's
    # 100 pooled connections, which the sync shares.
    max_in_flight = 64
    # A direct room can gain members: the sender tells whose private chat a delivery is for.
    checks_recipient = True

    def __init__(
        self,
        config: MatrixSection,
        data_dir: Path,
        state: StateStore,
        *,
        sync_timeout_ms: int = 30_000,
        held: HeldEvents | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._config = config
        self._dir = data_dir / "matrix"
        # One process per store: two clients on one device can lose encryption keys for good.
        self._store_lock = ProcessLock(
            self._dir / "lotsenbot.lock", f"the Matrix store {self._dir}"
        )
        self._state = state
        self._sync_timeout = sync_timeout_ms
        # Messages we could not decrypt yet, in the same database as the sync token.
        self._held = held or HeldEvents(state.sessions)
        self._now = now or (lambda: datetime.now(UTC))
        # Whether the table may hold something: read at start, then only after keeping one.
        self._maybe_held = True
        self.client: AsyncClient | None = None
        self._dispatch: Dispatch | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # Its own receiving state: only the sync loop knows whether syncs succeed.
        self.status = ReceiveStatus(self.platform)
        self._seen_rooms: set[str] = set()
        # Direct rooms this process opened: until the invitation is synced, the bot is alone
        # in them, which is no reason to give up on them.
        self._opened: set[str] = set()
        self._key_lock = asyncio.Lock()
        # Synapse limits the whole account: after a 429 every room waits, not just one, and
        # until a send gets through again they go one at a time, so they do not all hit the
        # limit at once when the wait is over.
        self._paused_until = 0.0
        self._limited = False
        self._one_at_a_time = asyncio.Lock()
        # Set once logged in: the sender starts before the adapters, and a send before that
        # would fail and back off (longer with every restart).
        self._ready = asyncio.Event()
        # Rooms whose whole state nio holds (from the first start's full sync or read on
        # demand); any other room's state is read before its members or encryption count.
        self._known: set[str] = set()
        self._loading: dict[str, asyncio.Task[MatrixRoom | None]] = {}

    def bot_username(self) -> str | None:
        return None  # Matrix commands are not addressed with "@bot"

    def chat_link(self, payload: str) -> str | None:
        # A matrix.to link carries no payload: it can only open the chat with the bot.
        return f"https://matrix.to/#/{self._config.user_id}"

    @property
    def receiving_task(self) -> asyncio.Task[None] | None:
        return self._task

    # --- login --------------------------------------------------------------------------

    async def start(self, dispatch: Dispatch) -> None:
        self._dispatch = dispatch
        self._stopping = False  # started again when this process leads again
        private_dir(self._dir)
        # Before logging in: a second process must not touch the store at all.
        self._store_lock.acquire()
        self.client = await self._login()
        # nio's crypto store holds the keys to every encrypted room: the bot's user only.
        secure_tree(self._dir)
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        self._known = set()
        if await self._state.get(SYNC_KEY) is None:
            # First start: begin at "now"; what was said before the bot existed is history.
            first = await self.client.sync(timeout=0, full_state=True)
            if isinstance(first, SyncError):
                raise RuntimeError(f"first Matrix sync failed: {first.message}")
            self._known.update(self.client.rooms)
            await self._handle_invites(first)
            await self._state.set(SYNC_KEY, first.next_batch)
        # A restart syncs on from the stored token right away; nio keeps rooms in memory
        # only, so each room's state is read when the room is first needed (room()).
        self._ready.set()
        self._task = asyncio.create_task(self._sync_loop(), name="matrix-sync")

    async def _login(self) -> AsyncClient:
        config = self._config
        credentials_file = self._dir / "credentials.json"
        # max_limit_exceeded=0: a 429 comes back to us (the outbox waits and keeps order)
        # instead of nio sleeping inside the call.
        client_config = AsyncClientConfig(
            store_sync_tokens=False,
            encryption_enabled=True,
            request_timeout=60,
            max_limit_exceeded=0,
            max_timeouts=2,
        )
        if credentials_file.exists():
            saved = json.loads(credentials_file.read_text())
            client = AsyncClient(
                config.homeserver,
                saved["user_id"],
                device_id=saved["device_id"],
                store_path=str(self._dir),
                config=client_config,
            )
            client.restore_login(saved["user_id"], saved["device_id"], saved["access_token"])
            add_secret(saved["access_token"])
            return client
        client = AsyncClient(
            config.homeserver, config.user_id, store_path=str(self._dir), config=client_config
        )
        token = config.access_token.get_secret_value()
        if token:
            client.access_token = token
            whoami = await client.whoami()
            device_id = getattr(whoami, "device_id", None)
            if not device_id:
                reason = _error_text(whoami) if isinstance(whoami, ErrorResponse) else "no device"
                raise CannotStart(
                    "matrix.access_token",
                    f"{config.homeserver} does not accept this access token ({reason})",
                    "use a current token of the bot's account, or matrix.password instead",
                    PLATFORM_LOGIN,
                )
            client.restore_login(config.user_id, device_id, token)
        else:
            response = await client.login(
                config.password.get_secret_value(), device_name=config.device_name
            )
            if not isinstance(response, LoginResponse):
                raise CannotStart(
                    "matrix.password",
                    f"{config.homeserver} refused the login of {config.user_id} "
                    f"({_error_text(response)})",
                    "check matrix.user_id and matrix.password",
                    PLATFORM_LOGIN,
                )
        # Stored so restarts reuse the device: Synapse locks out repeated password logins,
        # and the crypto store belongs to this device.
        add_secret(client.access_token)
        # 0600 from its first byte, complete or not there at all (see write_private).
        write_private(
            credentials_file,
            json.dumps(
                {
                    "user_id": client.user_id,
                    "device_id": client.device_id,
                    "access_token": client.access_token,
                }
            ),
        )
        return client

    async def stop_receiving(self) -> None:
        """Stop syncing; the client stays logged in, so the sender can finish."""
        self._stopping = True
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def stop(self) -> None:
        await self.stop_receiving()
        self._ready.clear()
        try:
            if self.client is not None:
                await self.client.close()
        finally:
            self._store_lock.release()

    # --- rooms, learnt on demand -----------------------------------------------------------

    async def room(self, room_id: str) -> MatrixRoom | None:
        """nio's room with its whole state (members, encryption), read from the homeserver
        the first time this process needs it; None if the bot is not in the room."""
        client = self.client
        assert client is not None
        if room_id in self._known or room_id in self._opened:
            # A room this process opened gets its whole state with the sync after the join.
            return client.rooms.get(room_id)
        task = self._loading.get(room_id)
        if task is None:
            task = asyncio.create_task(self._load_room(client, room_id))
            self._loading[room_id] = task
            task.add_done_callback(lambda _t: self._loading.pop(room_id, None))
        return await asyncio.shield(task)

    async def _load_room(self, client: AsyncClient, room_id: str) -> MatrixRoom | None:
        try:
            response = await client.room_get_state(room_id)
        except Exception as exc:
            raise TransientError(repr(exc)) from exc
        if isinstance(response, RoomGetStateError):
            if response.status_code == "M_FORBIDDEN":
                return client.rooms.get(room_id)  # not (or no longer) in the room
            raise TransientError(f"state of {room_id}: {response.message}")
        assert isinstance(response, RoomGetStateResponse)
        room = client.rooms.get(room_id)
        if room is None:
            room = client.rooms[room_id] = MatrixRoom(
                room_id, client.user_id, room_id in client.encrypted_rooms
            )
        learn_state(room, response.events)
        if room.encrypted:
            client.encrypted_rooms.add(room_id)
            if client.olm is not None:
                client.olm.update_tracked_users(room)
        self._known.add(room_id)
        return room

    # --- receiving ----------------------------------------------------------------------

    async def _sync_loop(self) -> None:
        assert self.client is not None
        backoff = 1.0
        while not self._stopping:
            since = await self._state.get(SYNC_KEY)
            try:
                response = await self.client.sync(
                    timeout=self._sync_timeout, since=since, sync_filter=SYNC_FILTER
                )
            except Exception as exc:  # network trouble or Synapse restarting
                self.status.retrying("sync", short_reason(exc), backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if isinstance(response, SyncError):
                # E.g. a revoked access token: retried, and /health says so meanwhile.
                reason = f"{response.status_code or 'SyncError'}: {response.message}"[:120]
                self.status.retrying("sync", reason, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            self.status.running()
            await self._keys()
            await self._handle_invites(response)
            if await self._handle_rooms(response):
                await self._state.set(SYNC_KEY, response.next_batch)
            else:
                await asyncio.sleep(1.0)
            # After the sync: the keys it brought may open messages kept earlier.
            await self._retry_held()

    async def _keys(self) -> None:
        """What nio's sync_forever does between syncs, so encrypted rooms keep working."""
        client = self.client
        assert client is not None
        try:
            async with self._key_lock:
                await self._keys_locked(client)
        except Exception as exc:
            log.warning("Matrix key maintenance failed: %r", exc)

    async def _keys_locked(self, client: AsyncClient) -> None:
        await client.send_to_device_messages()
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())

    async def _handle_invites(self, response: Any) -> None:
        client = self.client
        assert client is not None and self._dispatch is not None
        for room_id, info in response.rooms.invite.items():
            own_invite = next(
                (
                    e
                    for e in info.invite_state
                    if isinstance(e, InviteMemberEvent) and e.state_key == client.user_id
                ),
                None,
            )
            if own_invite is None:
                continue
            joined = await client.join(room_id)
            if isinstance(joined, JoinError):
                log.warning("could not join %s: %s", room_id, joined.message)
                continue
            inviter = next(
                (e.sender for e in info.invite_state if isinstance(e, InviteMemberEvent)), ""
            )
            # The inviter's own member event in the invite state carries their display name.
            inviter_name = next(
                (
                    e.content.get("displayname")
                    for e in info.invite_state
                    if isinstance(e, InviteMemberEvent) and e.state_key == inviter
                ),
                None,
            ) or _localpart(inviter)
            room = client.rooms.get(room_id)
            # Element marks invitations to a direct chat; a room of three with one member
            # joined so far is still a group.
            members = {
                e.state_key
                for e in info.invite_state
                if isinstance(e, InviteMemberEvent) and e.membership in ("join", "invite")
            } - {client.user_id}
            direct = own_invite.content.get("is_direct") and members <= {inviter}
            kind = "direct" if direct else "group"
            await self._dispatch(
                Incoming(
                    chat=ChatRef("matrix", room_id, kind, room.display_name if room else ""),
                    sender=Sender(inviter or "matrix-service", inviter_name, None),
                    event_id=f"join:{room_id}:{response.next_batch}",
                    joined=True,
                )
            )

    async def _handle_rooms(self, response: Any) -> bool:
        """Dispatch each room's events in order, rooms concurrently; True if all committed."""
        results = await asyncio.gather(
            *(self._handle_room(room_id, info) for room_id, info in response.rooms.join.items()),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        for error in failed:
            log.error("Matrix events not committed, syncing them again: %r", error)
        return not failed

    async def _handle_room(self, room_id: str, info: Any) -> None:
        client = self.client
        assert client is not None and self._dispatch is not None
        if not info.timeline.events:
            self._seen_rooms.add(room_id)
            return
        room = await self.room(room_id)
        if room is None:
            return
        if info.timeline.limited and room_id in self._seen_rooms:
            log.warning("more than 100 new events in %s at once; older ones are skipped", room_id)
        self._seen_rooms.add(room_id)
        for event in info.timeline.events:
            if isinstance(event, MegolmEvent):
                await self._hold(room_id, event)
                continue
            try:
                incoming = translate(room, event, client.user_id)
            except Exception as exc:
                # An event we cannot read fails the same way every time: syncing it again
                # would hold up every room behind it.
                log.error("event %s skipped, it cannot be read: %r", event.event_id, type(exc))
                continue
            if incoming is not None:
                await self._dispatch(incoming)

    # --- messages we cannot decrypt yet ----------------------------------------------------

    async def _hold(self, room_id: str, event: MegolmEvent) -> None:
        """Keep an undecryptable message, committed before the sync token moves on, so a
        crash loses nothing; _retry_held asks for its key right after this sync."""
        if event.sender == getattr(self.client, "user_id", None):
            return
        kept = await self._held.keep(
            room_id=room_id,
            event_id=event.event_id,
            sender=event.sender,
            session_id=event.session_id,
            source=event.source,
            now=self._now(),
        )
        self._maybe_held = True
        if kept:
            log.warning("could not decrypt %s in %s yet; keeping it", event.event_id, room_id)

    async def _retry_held(self) -> None:
        """Try every kept message again: handle what can be read now, ask again for the
        keys still missing (with growing pauses), and after matrix.undecryptable_notice_seconds
        ask the sender, once, to send their message again."""
        if not self._maybe_held:
            return
        try:
            held = await self._held.all()
        except Exception as exc:
            log.warning("could not read the kept Matrix messages: %r", exc)
            return
        self._maybe_held = bool(held)
        for row in held:
            try:
                await self._retry_one(row)
            except Exception as exc:  # the next sync tries again
                log.warning("kept Matrix message %s not handled yet: %r", row.event_id, exc)

    async def _retry_one(self, row: Held) -> None:
        client = self.client
        assert client is not None and self._dispatch is not None
        event = MegolmEvent.from_dict(row.source)
        if not isinstance(event, MegolmEvent):
            await self._held.drop(row.event_id)  # not an encrypted message after all
            return
        # Timeline events carry no room id; nio needs it to find the key and to ask for it.
        event.room_id = row.room_id
        room = await self.room(row.room_id)
        decrypted = _decrypt(client, event)
        if decrypted is not None:
            if room is not None:
                incoming = translate(room, decrypted, client.user_id)
                if incoming is not None:
                    # The event's own id: handled once, even if it also came some other way.
                    await self._dispatch(incoming)
            await self._held.drop(row.event_id)
            log.info("decrypted the kept message %s", row.event_id)
            return
        now = self._now()
        if now - row.received_at >= timedelta(seconds=self._config.undecryptable_notice_seconds):
            if room is not None:
                name = room.user_name(row.sender) or _localpart(row.sender)
                await self._dispatch(
                    Incoming(
                        chat=ChatRef(
                            "matrix",
                            row.room_id,
                            "direct"
                            if is_private_with(room, row.sender, client.user_id)
                            else "group",
                            room.display_name or "",
                        ),
                        sender=Sender(row.sender, name, None),
                        event_id=f"unreadable:{row.event_id}",
                        unreadable=True,
                    )
                )
            await self._held.drop(row.event_id)
            told = "asked its sender to send it again" if room else "the bot left the room"
            log.warning("gave up on decrypting %s; %s", row.event_id, told)
            return
        if row.next_try_at <= now:
            await self._ask_for_key(event)
            pause = min(KEY_RETRY_FIRST * 2**row.tries, KEY_RETRY_MAX)
            await self._held.tried(row.event_id, row.tries + 1, now + timedelta(seconds=pause))

    async def _ask_for_key(self, event: MegolmEvent) -> None:
        """Ask our other devices for the key again, and learn the sender's devices afresh
        (a key sent by a device we do not know yet cannot be read)."""
        client = self.client
        assert client is not None
        olm = client.olm
        if olm is None:
            return
        # nio refuses a second request for a session while the first is open; a request
        # left open from before (or from an earlier run, it is stored) is withdrawn first.
        earlier = olm.outgoing_key_requests.pop(event.session_id, None)
        if earlier is not None:
            olm.store.remove_outgoing_key_request(earlier)
        olm.users_for_key_query.add(event.sender)
        async with self._key_lock:
            response = await client.request_room_key(event)
            if client.should_query_keys:
                await client.keys_query()
        if not isinstance(response, RoomKeyRequestResponse):
            log.warning("asking for the key of %s failed: %s", event.event_id, response)

    # --- sending ------------------------------------------------------------------------

    async def wait_ready(self, delivery: Delivery) -> None:
        """Hold every send until the adapter has started, and while Synapse's rate limit for
        the bot's account is in force."""
        await self._ready.wait()
        loop = asyncio.get_running_loop()
        while (wait := self._paused_until - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    async def send(self, delivery: Delivery) -> str:
        if not self._limited:
            return await self._send(delivery)
        async with self._one_at_a_time:
            await self.wait_ready(delivery)
            message_id = await self._send(delivery)
            self._limited = False
            return message_id

    async def _send(self, delivery: Delivery) -> str:
        client = self.client
        assert client is not None
        room_id = delivery.chat.external_id
        if room_id.startswith("@"):
            # A private message to someone without a room yet: open one; the sender then
            # moves the chat to the room and sends again.
            raise ChatMoved(await self.open_direct_room(room_id))
        await self.room(room_id)
        self._check_private(delivery)
        body = numbered_choices(delivery)
        if delivery.edit_message_id is not None:
            # Each revision its own transaction id: a retry of one is shown once, and a
            # later text (even an earlier one again) is a new event.
            tx_id = transaction_id(delivery.dedup_key, f"edit{delivery.revision}")
            return await self._room_send(
                room_id, edit_content(body, delivery.edit_message_id), tx_id
            )
        event_id = ""
        if body:
            content = _notice(body)
            event_id = await self._room_send(room_id, content, transaction_id(delivery.dedup_key))
        if delivery.attachment is not None:
            content = await self._file_content(room_id, delivery)
            event_id = await self._room_send(
                room_id, content, transaction_id(delivery.dedup_key, "file")
            )
        return event_id

    def _check_private(self, delivery: Delivery) -> None:
        """A private delivery goes only to a room with exactly its person and the bot in it.

        Read from nio's room state, which every sync keeps current (read once per process
        by room() before this).
        """
        client = self.client
        assert client is not None
        room = client.rooms.get(delivery.chat.external_id)
        if delivery.chat.kind != "direct" or room is None:
            return  # a room not yet synced waits in _room_send
        others = others_in(room, client.user_id)
        if not others and room.room_id in self._opened:
            raise TransientError(f"nobody invited to {room.room_id} yet")
        expected = set(delivery.recipients)
        if len(others) != 1 or (expected and not others <= expected):
            raise NotPrivate(f"{len(others)} others in {room.room_id}")

    async def _room_send(self, room_id: str, content: dict[str, Any], tx_id: str) -> str:
        client = self.client
        assert client is not None
        room = client.rooms.get(room_id)
        if room is None:
            # A room we just opened, not yet seen in a sync.
            raise TransientError(f"room {room_id} not synced yet")
        if room.encrypted:
            if set(room.users) <= {client.user_id}:
                # Synapse sends the invitations of a new room after creating it; a message
                # encrypted before the invitee shows up here could never be read by them.
                raise TransientError(f"nobody to read room {room_id} yet")
            # The room key goes only to devices we know: finish any pending device query
            # first, or a new member could not read this message (or the next ones).
            async with self._key_lock:
                try:
                    if client.should_query_keys:
                        await client.keys_query()
                    missing = client.get_missing_sessions(room_id)
                    if missing:
                        await client.keys_claim(missing)
                except Exception as exc:
                    raise TransientError(repr(exc)) from exc
                if key_misses_a_device(client, room):
                    client.invalidate_outbound_session(room_id)
        try:
            response = await client.room_send(
                room_id, "m.room.message", content, tx_id=tx_id, ignore_unverified_devices=True
            )
        except Exception as exc:
            raise TransientError(repr(exc)) from exc
        if isinstance(response, RoomSendResponse):
            return response.event_id
        if isinstance(response, RoomSendError):
            if response.status_code == "M_LIMIT_EXCEEDED":
                seconds = (response.retry_after_ms or 1000) / 1000
                loop = asyncio.get_running_loop()
                self._paused_until = max(self._paused_until, loop.time() + seconds)
                self._limited = True
                raise RetryLater(seconds, scope="all")
            if response.status_code == "M_FORBIDDEN":
                raise Unreachable(response.message)
        raise TransientError(str(response))

    async def _file_content(self, room_id: str, delivery: Delivery) -> dict[str, Any]:
        client = self.client
        attachment = delivery.attachment
        assert client is not None and attachment is not None
        room = client.rooms.get(room_id)
        encrypted = bool(room and room.encrypted)
        try:
            upload, keys = await client.upload(
                lambda *_: io.BytesIO(attachment.data),
                content_type=attachment.mime_type,
                filename=attachment.filename,
                filesize=len(attachment.data),
                encrypt=encrypted,
            )
        except Exception as exc:
            raise TransientError(repr(exc)) from exc
        if not isinstance(upload, UploadResponse):
            raise TransientError(f"upload failed: {upload}")
        content: dict[str, Any] = {
            "msgtype": "m.image" if attachment.is_image else "m.file",
            "body": attachment.filename,
            "info": {"mimetype": attachment.mime_type, "size": len(attachment.data)},
        }
        if encrypted and keys:
            content["file"] = {**keys, "url": upload.content_uri}
        else:
            content["url"] = upload.content_uri
        return content

    async def open_direct_room(self, user_id: str) -> str:
        """A new encrypted direct room with one person, for writing to them privately."""
        client = self.client
        assert client is not None
        response = await client.room_create(
            is_direct=True,
            invite=[user_id],
            initial_state=[
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ],
        )
        room_id = getattr(response, "room_id", None)
        if not room_id:
            raise TransientError(f"could not open a direct room: {response}")
        self._opened.add(room_id)
        return room_id


def learn_state(room: MatrixRoom, events: list[dict[str, Any]]) -> None:
    """A room's state events (as ``GET /rooms/{id}/state`` returns them) into nio's room."""
    for raw in events:
        event = Event.parse_event(raw)
        if isinstance(event, RoomMemberEvent):
            room.handle_membership(event)
        elif isinstance(event, RoomEncryptionEvent):
            room.encrypted = True
        elif isinstance(event, Event):
            room.handle_event(event)


def _decrypt(client: AsyncClient, event: MegolmEvent) -> Any | None:
    """The decrypted event, or None while its key is missing."""
    try:
        decrypted = client.decrypt_event(event)
    except (EncryptionError, ValueError):
        return None
    if decrypted is None or isinstance(decrypted, (BadEvent, UnknownBadEvent, MegolmEvent)):
        return None
    return decrypted


def _notice(body: str) -> dict[str, Any]:
    return {
        "msgtype": "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(body),
    }


def edit_content(body: str, event_id: str) -> dict[str, Any]:
    """An m.replace of our notice ``event_id``; nio copies the relation out of encryption."""
    return {
        **_notice(f"* {body}"),
        "m.new_content": _notice(body),
        "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
    }


def key_misses_a_device(client: AsyncClient, room: Any) -> bool:
    """Whether the room's current key was shared before some member's device was known."""
    olm = client.olm
    if olm is None:
        return False
    session = olm.outbound_group_sessions.get(room.room_id)
    if session is None or not session.shared:
        return False
    covered = session.users_shared_with | session.users_ignored
    for user_id in room.users:
        for device in olm.device_store.active_user_devices(user_id):
            if device.id == olm.device_id or (user_id, device.id) in covered:
                continue
            if olm.is_device_blacklisted(device):
                continue
            # Only devices we can actually reach; others would force a new key every time.
            if olm.session_store.get(device.curve25519):
                return True
    return False


def _error_text(response: object) -> str:
    """A homeserver's error answer as "M_FORBIDDEN: Invalid password"."""
    code = getattr(response, "status_code", None)
    message = getattr(response, "message", None) or str(response)
    return f"{code}: {message}" if code else message
