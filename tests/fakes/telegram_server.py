"""A fake Telegram Bot API server on 127.0.0.1 for the test suite.

python-telegram-bot (unmodified) talks to it through ``base_url``; nothing
leaves the machine. It answers in the exact Bot API JSON shape and reproduces
what a real bot has to survive: flood limits with Retry-After, HTML parse
errors, blocked users, group-to-supergroup migration, long polling with offset
confirmation, webhook delivery and injected network faults. The rules and
Telegram's error wording live in telegram_limits.py.

Public API (the "play people" calls are synchronous and queue updates)::

    server = FakeTelegramServer("123456:TEST", strict=True, latency_ms=0.0,
                                bot_username="lotsen_test_bot", overall_limit=(30, 1.0),
                                private_chat_limit=(1, 1.0), group_chat_limit=(20, 60.0),
                                hang_seconds=30.0, webhook_retry_delay=0.05)
    await server.start() ... await server.stop()         # or: async with server:
    bot = telegram.Bot(server.token, base_url=server.base_url,
                       base_file_url=server.base_file_url)

    anna = server.user(1001, "Anna", username="anna")      # language_code="de"
    chat = server.private_chat(anna); cafe = server.group(-2001, "Café")
    update = server.post_message(chat, anna, "/start", reply_to=None,
                                 forward_from=None, sender_chat=None)
    server.edit_message(update, "new"); qid = server.press_button(chat, anna, 3, "yes")
    server.migrate_to_supergroup(cafe, -1002001); server.block(anna); server.never_started(7)
    server.set_member_status(cafe, anna, "administrator")
    server.inject("sendMessage", "timeout_after_delivery", times=1, chat_id=None)

    server.sent, server.messages_to(chat_id), server.message(chat_id, message_id)
    server.edits_of(chat_id, message_id)     # editMessageText calls that changed it
    server.answered_callbacks, server.requests["sendMessage"], server.count_429
    await server.wait_for(lambda r: r.text == "Hi", timeout=10)
    await server.wait_until_sent(3, timeout=10)
    server.pending_updates(), server.confirmed_offset, server.commands(scope, "de")
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.fakes.telegram_limits import (
    JSON,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    RateLimiter,
    chat_full_info,
    chat_member,
    check_commands,
    check_reply_markup,
    decode_param,
    detect_entities,
    format_text,
    forward_origin,
)

SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
FAULT_KINDS = frozenset(
    {
        "http500",
        "http502",
        "timeout",
        "timeout_after_delivery",
        "401",
        "403",
        "409",
        "429",
        "query_too_old",
    }
)
# Telegram leaves the other update types out unless allowed_updates asks for them.
_DEFAULT_UPDATES = frozenset(
    "message edited_message channel_post edited_channel_post callback_query inline_query "
    "chosen_inline_result my_chat_member chat_join_request".split()
)
_NO_REPLY_OK = "allow_sending_without_reply"
_NGINX_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@dataclass
class SentRecord:
    """One call the bot made that changed what users see (send, edit, delete)."""

    method: str
    chat_id: int
    message_id: int | None
    text: str | None = None  # text or caption exactly as the bot sent it (HTML included)
    parse_mode: str | None = None
    reply_markup: JSON | None = None
    caption: str | None = None
    filename: str | None = None
    file_size: int | None = None
    at: float = 0.0  # the server's clock (time.monotonic) when it performed the call
    plain_text: str | None = None  # what the user reads after HTML parsing
    params: JSON = field(default_factory=dict)

    @property
    def callback_data(self) -> list[str]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass
class _Fault:
    method: str  # lower case: Telegram matches method names case-insensitively
    kind: str
    remaining: int | None
    chat_id: int | None


class _Signal:
    """Wakes every current waiter on fire(); simpler to reason about than a Condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        event = self._event
        try:
            async with asyncio.timeout(max(seconds, 0.0)):
                await event.wait()
        except TimeoutError:
            pass


def _chat_of(update: JSON) -> int | None:
    for kind in ("message", "edited_message", "callback_query"):
        if payload := update.get(kind):
            return payload.get("message", payload)["chat"]["id"]
    return None


def _without_reply(message: JSON) -> JSON:
    # Telegram nests reply_to_message only one level deep.
    return {k: v for k, v in message.items() if k != "reply_to_message"}


class FakeTelegramServer:
    """One bot's view of Telegram: its chats, users, update queue and limits.

    The *_limit arguments are (calls, seconds) sliding windows; tests shrink them
    (and ``hang_seconds``) to stay fast. ``strict=False`` switches flood control off.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        strict: bool = True,
        latency_ms: float = 0.0,
        bot_username: str = "lotsen_test_bot",
        overall_limit: tuple[int, float] = (30, 1.0),
        private_chat_limit: tuple[int, float] = (1, 1.0),
        group_chat_limit: tuple[int, float] = (20, 60.0),
        hang_seconds: float = 30.0,
        first_update_id: int = 100_000,
        webhook_retry_delay: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token, self.strict, self.latency_ms = token, strict, latency_ms
        self.hang_seconds, self.webhook_retry_delay = hang_seconds, webhook_retry_delay
        self.limits = RateLimiter(overall_limit, private_chat_limit, group_chat_limit, clock)
        self._clock = clock
        bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSON = {"id": bot_id, "is_bot": True, "first_name": "Lotsenbot Test"}
        self.bot_user["username"] = bot_username
        # What the bot did, for assertions.
        self.sent: list[SentRecord] = []
        self.answered_callbacks: dict[str, str | None] = {}
        self.held_answers: list[str] = []  # query ids of answers held (``hold_answers``)
        self.answers_waiting = 0  # held answers whose client is still there
        self.requests: Counter[str] = Counter()
        self.count_429 = 0
        self.confirmed_offset = 0
        self.webhook_deliveries: list[tuple[JSON, dict[str, str]]] = []  # (update, headers)
        self.internal_errors: list[Exception] = []  # bugs in the fake itself, see _handle
        # Calls per method whose parameters came as a JSON body (PTB sends forms).
        self.json_requests: Counter[str] = Counter()
        # The simulated Telegram world.
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._members: dict[int, dict[int, str]] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._last_message_id: Counter[int] = Counter()
        self._migrated: dict[int, int] = {}
        self._blocked: set[int] = set()
        self._not_started: set[int] = set()
        self._open_callbacks: set[str] = set()
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._faults: list[_Fault] = []
        self._answers_open = asyncio.Event()
        self._answers_open.set()
        self._ids = itertools.count(1)
        # Update delivery (getUpdates or webhook).
        self._updates: list[JSON] = []
        self._next_update_id = first_update_id
        self._allowed_updates = _DEFAULT_UPDATES
        self._poll_generation = 0
        self._webhook: JSON | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._in_flight: dict[object, asyncio.Task[None]] = {}
        self._updates_signal, self._sent_signal = _Signal(), _Signal()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port = 0
        self._handlers: dict[str, Callable[[JSON], Awaitable[Any]]] = {
            name[3:]: getattr(self, name) for name in dir(self) if name.startswith("_m_")
        }
        self._by_lower = {name.lower(): name for name in self._handlers}

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)  # uploads up to 50 MB
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # handler_cancellation: a request whose client gave up must not linger.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # a free port, so parallel test runs never collide
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def stop(self) -> None:
        self._closing.set()  # ends hung requests and long polls at once
        self._updates_signal.fire()
        await self._stop_webhook()
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/file/bot"

    # --------------------------------------------------------------- play people
    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "de",
        is_bot: bool = False,
    ) -> JSON:
        user: JSON = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
        optional = {"last_name": last_name, "username": username, "language_code": language_code}
        user.update({k: v for k, v in optional.items() if v is not None})
        self._users[user_id] = user
        return user

    def private_chat(self, user: JSON | int) -> JSON:
        user = self._users[user] if isinstance(user, int) else user
        chat: JSON = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        chat.update({k: user[k] for k in ("last_name", "username") if k in user})
        self._chats[user["id"]] = chat
        return chat

    def group(self, chat_id: int, title: str, *, supergroup: bool = False) -> JSON:
        if chat_id >= 0:
            raise ValueError("group and supergroup ids are negative in the Bot API")
        chat = {"id": chat_id, "type": "supergroup" if supergroup else "group", "title": title}
        self._chats[chat_id] = chat
        self._members.setdefault(chat_id, {})
        return chat

    def set_member_status(self, chat: JSON | int, user: JSON | int, status: str) -> None:
        """creator, administrator, member, left or kicked; also for the bot itself."""
        self._members.setdefault(self._id(chat), {})[self._id(user)] = status

    def post_message(
        self,
        chat: JSON | int,
        user: JSON | None,
        text: str,
        *,
        reply_to: JSON | int | None = None,
        forward_from: JSON | str | None = None,
        sender_chat: JSON | None = None,
    ) -> JSON:
        """``user`` writes ``text`` in ``chat``; returns the queued ``message`` update.

        reply_to: a message id, message or update. forward_from: a user, a chat or
        a hidden user's name. sender_chat with user=None posts as an anonymous admin
        (the group itself) or a linked channel, the way Telegram presents those.
        """
        chat = self._chat(chat)
        if chat["id"] in self._migrated:
            raise ValueError(f"chat {chat['id']} was migrated to a supergroup")
        if sender_chat is not None and user is None:
            own = sender_chat["id"] == chat["id"]
            name = "GroupAnonymousBot" if own else "Channel_Bot"
            user = {"id": 1087968824 if own else 136817688, "is_bot": True, "username": name}
            user["first_name"] = "Group" if own else "Channel"
        fields: JSON = {"text": text}
        if entities := detect_entities(text):
            fields["entities"] = entities
        if sender_chat is not None:
            fields["sender_chat"] = sender_chat
        if forward_from is not None:
            fields["forward_origin"] = forward_origin(forward_from, int(time.time()) - 60)
        if reply_to is not None:
            if isinstance(reply_to, dict):
                reply_to = reply_to.get("message", reply_to)["message_id"]
            original = self._messages[(chat["id"], int(reply_to))]
            fields["reply_to_message"] = _without_reply(original)
        if user is not None and chat["type"] == "private":
            # Writing to a bot unblocks and starts it, as in the Telegram apps.
            self._blocked.discard(user["id"])
            self._not_started.discard(user["id"])
        elif user is not None:
            self._members.setdefault(chat["id"], {}).setdefault(user["id"], "member")
        return self._queue("message", self._new_message(chat, user, fields))

    def post_voice(self, chat: JSON | int, user: JSON, *, seconds: int = 4) -> JSON:
        """``user`` sends a recorded voice message (no text) in ``chat``."""
        n = self._last_message_id[self._chat(chat)["id"]] + 1
        voice = {"file_id": f"voice-{n}", "file_unique_id": f"v{n}", "duration": seconds}
        voice["mime_type"] = "audio/ogg"
        return self._queue("message", self._new_message(self._chat(chat), user, {"voice": voice}))

    def edit_message(self, update_or_message: JSON, new_text: str) -> JSON:
        """The author edits a message; returns the queued ``edited_message`` update."""
        ref = update_or_message.get("message", update_or_message)
        message = self._messages[(ref["chat"]["id"], ref["message_id"])]
        message.pop("entities", None)
        message.update(text=new_text, edit_date=int(time.time()))
        if entities := detect_entities(new_text):
            message["entities"] = entities
        return self._queue("edited_message", message)

    def press_button(
        self,
        chat: JSON | int,
        user: JSON,
        message_id: int,
        callback_data: str,
        *,
        forged: bool = False,
    ) -> str:
        """Press an inline button of a bot message; returns the callback query id.

        forged=True sends ``callback_data`` even if no button carries it, as a modified
        client could.
        """
        data = callback_data
        chat_id = self._id(chat)
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        if not forged and not any(b.get("callback_data") == data for row in rows for b in row):
            raise LookupError(f"message {message_id} has no button with {data!r}")
        query_id = str(4_000_000_000_000 + next(self._ids))
        self._open_callbacks.add(query_id)
        query = {"id": query_id, "from": user, "message": message, "data": data}
        self._queue("callback_query", {**query, "chat_instance": str(abs(chat_id) * 7919)})
        return query_id

    def migrate_to_supergroup(
        self, group: JSON | int, new_id: int, *, by: JSON | None = None
    ) -> JSON:
        """Upgrade a group; queues the service messages of both chats, like Telegram."""
        old = self._chat(group)
        new = self.group(new_id, old["title"], supergroup=True)
        self._members[new_id] = dict(self._members.get(old["id"], {}))
        self._migrated[old["id"]] = new_id
        self._queue("message", self._new_message(old, by, {"migrate_to_chat_id": new_id}))
        self._queue("message", self._new_message(new, by, {"migrate_from_chat_id": old["id"]}))
        return new

    def block(self, user: JSON | int) -> None:
        self._blocked.add(self._id(user))

    def unblock(self, user: JSON | int) -> None:
        self._blocked.discard(self._id(user))

    def never_started(self, user: JSON | int) -> None:
        self._not_started.add(self._id(user))

    def inject(
        self, method: str, kind: str, *, times: int | None = 1, chat_id: int | None = None
    ) -> None:
        """Make the next ``times`` calls (None: every call) of ``method`` fail with ``kind``.

        http500/http502/timeout/401/403/409/429 are not performed (401: a revoked token,
        409: another bot instance polls with the token; query_too_old: Telegram's 400 for
        a late answerCallbackQuery); timeout waits
        ``hang_seconds`` first. timeout_after_delivery performs and records the
        call, then hangs so the client times out although the message arrived.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(FAULT_KINDS)}")
        self._faults.append(_Fault(method.lower(), kind, times, chat_id))

    def clear_faults(self) -> None:
        self._faults.clear()

    def hold_answers(self, held: bool = True) -> None:
        """While held, answerCallbackQuery requests wait unperformed (their query ids go to
        ``held_answers``); released, they go on. A bot killed meanwhile answered nothing."""
        if held:
            self._answers_open.clear()
        else:
            self._answers_open.set()

    def redeliver(self, update_id: int) -> JSON:
        """Deliver a webhook update again, as Telegram does when the POST took longer than
        its timeout (it cannot know whether the bot handled it)."""
        update = next(u for u, _ in self.webhook_deliveries if u["update_id"] == update_id)
        self._updates.append(update)
        self._updates_signal.fire()
        return update

    # ---------------------------------------------------- reading what the bot did
    def messages_to(self, chat_id: int) -> list[SentRecord]:
        return [r for r in self.sent if r.chat_id == chat_id and r.method in SEND_METHODS]

    def edits_of(self, chat_id: int, message_id: int) -> list[SentRecord]:
        """The performed editMessageText calls on one message, oldest first."""
        return [
            r
            for r in self.sent
            if (r.method, r.chat_id, r.message_id) == ("editMessageText", chat_id, message_id)
        ]

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The message as users see it now (after edits), or None once deleted."""
        return self._messages.get((chat_id, message_id))

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        return list(self._commands.get(self._scope_key(scope, language_code), []))

    def pending_updates(self) -> int:
        return len(self._updates)

    # ASYNC109: `timeout` is the documented test-facing API, like asyncio.wait_for.
    async def wait_for(
        self,
        predicate: Callable[[SentRecord], bool],
        timeout: float = 10,  # noqa: ASYNC109
        *,
        start: int = 0,
    ) -> SentRecord:
        """The first record from index ``start`` on that matches, waiting for new ones."""
        deadline = time.monotonic() + timeout
        while True:
            for record in self.sent[start:]:
                if predicate(record):
                    return record
            start = len(self.sent)
            if (remaining := deadline - time.monotonic()) <= 0:
                recent = "\n".join(f"  {r.method} {r.chat_id}: {r.text!r}" for r in self.sent[-20:])
                raise TimeoutError(f"no matching record within {timeout}s; last sent:\n{recent}")
            await self._sent_signal.wait(remaining)

    async def wait_until_sent(
        self,
        n: int,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> list[SentRecord]:
        """Wait until at least ``n`` records exist; returns the first ``n``."""
        deadline = time.monotonic() + timeout
        while len(self.sent) < n:
            if (remaining := deadline - time.monotonic()) <= 0:
                raise TimeoutError(f"only {len(self.sent)} of {n} records after {timeout}s")
            await self._sent_signal.wait(remaining)
        return self.sent[:n]

    # ----------------------------------------------------------------- HTTP layer
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        method = self._by_lower.get(request.match_info["method"].lower())
        self.requests[method or request.match_info["method"]] += 1
        if method is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        fault = None
        try:
            params = await self._read_params(request)
            if request.content_type == "application/json":
                self.json_requests[method] += 1
            if method == "answerCallbackQuery" and not await self._answer_goes_on(request, params):
                return web.Response(status=499)  # the bot is gone: nothing was answered
            fault = self._take_fault(method, params)
            if fault not in (None, "timeout_after_delivery"):
                return await self._fault_response(fault)
            body: JSON = {"ok": True, "result": await self._handlers[method](params)}
        except ApiError as exc:
            if exc.code == 429:
                self.count_429 += 1
            return web.json_response(exc.body(), status=exc.code)
        except Exception as exc:
            # A bug in the fake must not pass for a Telegram outage: keep it for the test.
            self.internal_errors.append(exc)
            error = ApiError(500, f"Internal Server Error: fake server bug {exc!r}")
            return web.json_response(error.body(), status=500)
        if fault == "timeout_after_delivery":
            await self._hang()
        return web.json_response(body)

    async def _answer_goes_on(self, request: web.Request, params: JSON) -> bool:
        """Hold an answer while ``hold_answers``; False if its client went away meanwhile."""
        if self._answers_open.is_set():
            return True
        self.held_answers.append(str(params.get("callback_query_id") or ""))
        self.answers_waiting += 1
        try:
            await self._answers_open.wait()  # cancelled if the client goes away meanwhile
        finally:
            self.answers_waiting -= 1
        return request.transport is not None and not request.transport.is_closing()

    async def _read_params(self, request: web.Request) -> JSON:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and request.can_read_body:
            try:
                raw.update(await request.json())
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
        elif request.method == "POST":
            for key, value in (await request.post()).items():
                is_file = isinstance(value, web.FileField)
                raw[key] = (value.filename, value.file.read()) if is_file else value
        # PTB may upload a file under its own part name and pass "attach://name".
        for key, value in list(raw.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                raw[key] = raw.get(value.removeprefix("attach://"), value)
        return {key: decode_param(key, value) for key, value in raw.items()}

    def _take_fault(self, method: str, params: JSON) -> str | None:
        for fault in self._faults:
            if fault.method != method.lower():
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            return fault.kind
        return None

    async def _fault_response(self, kind: str) -> web.Response:
        if kind == "http502":  # Telegram's nginx answers this one in HTML, not JSON
            return web.Response(text=_NGINX_502, status=502, content_type="text/html")
        if kind == "timeout":
            await self._hang()
        error = {
            "timeout": ApiError(504, "Gateway Timeout"),
            "http500": ApiError(500, "Internal Server Error"),
            "401": ApiError(401, "Unauthorized"),
            "403": ApiError(403, "Forbidden: bot was blocked by the user"),
            "409": ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            ),
            "429": ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1}),
            # An answerCallbackQuery that came too late, or twice.
            "query_too_old": ApiError(400, QUERY_TOO_OLD),
        }[kind]
        if kind == "429":
            self.count_429 += 1
        return web.json_response(error.body(), status=error.code)

    async def _hang(self) -> None:
        # Waiting on _closing instead of sleeping lets stop() end hung requests at once.
        try:
            async with asyncio.timeout(self.hang_seconds):
                await self._closing.wait()
        except TimeoutError:
            pass

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["path"].removeprefix("documents/")
        if request.match_info["token"] != self.token or file_id not in self._files:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=self._files[file_id][1])

    # -------------------------------------------------------------------- helpers
    @staticmethod
    def _id(obj: JSON | int) -> int:
        return obj if isinstance(obj, int) else obj["id"]

    def _chat(self, chat: JSON | int) -> JSON:
        chat_id = self._id(chat)
        if chat_id not in self._chats and chat_id in self._users:
            return self.private_chat(chat_id)
        if isinstance(chat, dict):
            self._chats.setdefault(chat_id, chat)
        return self._chats[chat_id]

    def _new_message(self, chat: JSON, sender: JSON | None, fields: JSON) -> JSON:
        self._last_message_id[chat["id"]] += 1
        message_id = self._last_message_id[chat["id"]]
        message: JSON = {"message_id": message_id, "date": int(time.time()), "chat": chat}
        if sender is not None:
            message["from"] = sender
        message.update(fields)
        self._messages[(chat["id"], message_id)] = message
        return message

    def _queue(self, kind: str, payload: JSON) -> JSON:
        # A deep copy, so later edits of the stored message do not alter the update.
        update = {"update_id": self._next_update_id, kind: json.loads(json.dumps(payload))}
        self._next_update_id += 1
        if kind in self._allowed_updates:  # Telegram never creates unwanted updates
            self._updates.append(update)
            self._updates_signal.fire()
        return update

    def _target_chat(self, params: JSON) -> JSON:
        """Resolve chat_id of a call that writes into a chat, with Telegram's refusals."""
        raw = params.get("chat_id")
        if raw in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if raw in self._migrated:
            new_id = self._migrated[raw]
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": new_id},
            )
        if isinstance(raw, str):  # "@username"
            name = raw.removeprefix("@").lower()
            chats = self._chats.values()
            chat = next((c for c in chats if c.get("username", "").lower() == name), None)
        else:
            chat = self._chats.get(raw) or (self.private_chat(raw) if raw in self._users else None)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat["id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat["id"] in self._not_started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _bot_message(self, params: JSON, action: str) -> JSON:
        chat = self._target_chat(params)
        if params.get("message_id") in (None, ""):
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self._messages.get((chat["id"], params["message_id"]))
        if message is None:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        if action == "edit" and message.get("from") != self.bot_user:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _rate_limit(self, method: str, chat_id: int) -> None:
        if self.strict:
            # Edits only count against the per-chat windows (a group's 20 a minute
            # includes them), sends against all. Refused calls never get here: they cost
            # nothing, a "message is not modified" edit included.
            self.limits.acquire(chat_id, counts_overall=method in SEND_METHODS)

    def _record(self, method: str, message: JSON, params: JSON, **fields: Any) -> None:
        clean = {k: v for k, v in params.items() if not isinstance(v, tuple)}  # no file bytes
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        parse_mode = params.get("parse_mode")
        record = SentRecord(method, chat_id, message_id, parse_mode=parse_mode, **fields)
        record.at, record.params = self._clock(), clean
        self.sent.append(record)
        self._sent_signal.fire()

    @staticmethod
    def _scope_key(scope: JSON | None, language_code: str | None) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    # ------------------------------------------------------------ Bot API methods
    async def _m_getMe(self, params: JSON) -> JSON:
        flags = "can_read_all_group_messages supports_inline_queries can_connect_to_business"
        return {**self.bot_user, "can_join_groups": True, **dict.fromkeys(flags.split(), False)}

    async def _m_getUpdates(self, params: JSON) -> list[JSON]:
        if self._webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]  # keep the last -offset, forget the rest
        elif isinstance(offset, int) and offset > 0:
            # Confirmation: everything below offset is gone for good.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self.confirmed_offset = max(self.confirmed_offset, offset)
        if "allowed_updates" in params:
            self._allowed_updates = frozenset(params["allowed_updates"] or _DEFAULT_UPDATES)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.fire()  # an older long poll gives way to this one
        while True:
            if self._webhook:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            remaining = deadline - time.monotonic()
            if self._updates or remaining <= 0 or self._closing.is_set():
                return self._updates[:limit]
            await self._updates_signal.wait(remaining)

    async def _m_sendMessage(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        text, entities = format_text(params.get("text"), params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        fields: JSON = {"text": text, **({"entities": entities} if entities else {})}
        record = {"text": params["text"], "plain_text": text}
        return self._deliver("sendMessage", chat, params, fields, record)

    async def _m_sendDocument(self, params: JSON) -> JSON:
        return await self._send_file("sendDocument", "document", params)

    async def _m_sendPhoto(self, params: JSON) -> JSON:
        return await self._send_file("sendPhoto", "photo", params)

    async def _send_file(self, method: str, kind: str, params: JSON) -> JSON:
        chat = self._target_chat(params)
        upload = params.get(kind)
        file_id = f"FAKE{next(self._ids):08d}"
        if isinstance(upload, tuple):  # a multipart upload: (filename, bytes)
            filename, data = upload
            if not data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            self._files[file_id] = (filename, data)
        elif isinstance(upload, str) and upload in self._files:
            file_id, (filename, data) = upload, self._files[upload]
        elif isinstance(upload, str) and urlsplit(upload).scheme in ("http", "https"):
            # Telegram would fetch the URL; the fake never leaves 127.0.0.1.
            filename, data = upload.rsplit("/", 1)[-1], b""
        elif upload:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        else:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        file = {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_size": len(data)}
        if kind == "document":
            fields: JSON = {"document": {**file, "file_name": filename}}
        else:
            fields = {"photo": [{**file, "width": 1, "height": 1}]}
        caption = params.get("caption")
        if caption:
            plain, entities = format_text(caption, params.get("parse_mode"), caption=True)
            fields["caption"] = plain
            if entities:
                fields["caption_entities"] = entities
        record = {"text": caption, "caption": caption, "filename": filename}
        return self._deliver(method, chat, params, fields, {**record, "file_size": len(data)})

    def _deliver(self, method: str, chat: JSON, params: JSON, fields: JSON, record: JSON) -> JSON:
        """The common tail of every send: markup, reply, rate limit, store, record."""
        markup = check_reply_markup(params.get("reply_markup"))
        reply = params.get("reply_parameters") or {}
        reply_id = reply.get("message_id") or params.get("reply_to_message_id")
        if reply_id:
            original = self._messages.get((chat["id"], int(reply_id)))
            if original is not None:
                fields["reply_to_message"] = _without_reply(original)
            elif not any(p.get(_NO_REPLY_OK) for p in (reply, params)):
                raise ApiError(400, "Bad Request: message to be replied not found")
        if markup:
            fields["reply_markup"] = markup
        self._rate_limit(method, chat["id"])
        message = self._new_message(chat, self.bot_user, fields)
        self._record(method, message, params, reply_markup=params.get("reply_markup"), **record)
        return message

    async def _m_editMessageText(self, params: JSON) -> JSON:
        message = self._bot_message(params, "edit")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = format_text(params.get("text"), params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        markup = check_reply_markup(params.get("reply_markup"))
        old = (message["text"], message.get("entities", []), message.get("reply_markup"))
        if (text, entities, markup) == old:
            raise ApiError(400, NOT_MODIFIED)
        self._rate_limit("editMessageText", message["chat"]["id"])
        for key in ("entities", "reply_markup"):
            message.pop(key, None)
        message.update(text=text, edit_date=int(time.time()))
        message.update({"entities": entities} if entities else {})
        message.update({"reply_markup": markup} if markup else {})
        record = {"text": params.get("text"), "plain_text": text, "reply_markup": markup}
        self._record("editMessageText", message, params, **record)
        return message

    async def _m_editMessageReplyMarkup(self, params: JSON) -> JSON:
        message = self._bot_message(params, "edit")
        markup = check_reply_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        self._rate_limit("editMessageReplyMarkup", message["chat"]["id"])
        message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        message.update({"reply_markup": markup} if markup else {})
        self._record("editMessageReplyMarkup", message, params, reply_markup=markup)
        return message

    async def _m_deleteMessage(self, params: JSON) -> bool:
        message = self._bot_message(params, "delete")
        chat_id = message["chat"]["id"]
        bot_status = self._members.get(chat_id, {}).get(self.bot_user["id"])
        may_delete = message.get("from") == self.bot_user or bot_status in (
            "administrator",
            "creator",
        )
        if chat_id < 0 and not may_delete:  # others' messages in groups need admin rights
            raise ApiError(400, "Bad Request: message can't be deleted")
        del self._messages[(chat_id, message["message_id"])]
        self._record("deleteMessage", message, params)
        return True

    async def _m_answerCallbackQuery(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise ApiError(400, QUERY_TOO_OLD)
        self._open_callbacks.discard(query_id)
        self.answered_callbacks[query_id] = params.get("text")
        return True

    async def _m_setMyCommands(self, params: JSON) -> bool:
        commands = check_commands(params.get("commands"))
        self._commands[self._scope_key(params.get("scope"), params.get("language_code"))] = commands
        return True

    async def _m_getMyCommands(self, params: JSON) -> list[JSON]:
        return self.commands(params.get("scope"), params.get("language_code") or "")

    async def _m_deleteMyCommands(self, params: JSON) -> bool:
        self._commands.pop(self._scope_key(params.get("scope"), params.get("language_code")), None)
        return True

    async def _m_getChat(self, params: JSON) -> JSON:
        chat = self._chats.get(params.get("chat_id"))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_full_info(chat)

    async def _m_getChatMember(self, params: JSON) -> JSON:
        chat_id, user_id = params.get("chat_id"), params.get("user_id")
        if chat_id not in self._chats:
            raise ApiError(400, "Bad Request: chat not found")
        user = self.bot_user if user_id == self.bot_user["id"] else self._users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        status = self._members.get(chat_id, {}).get(user["id"], "left")
        return chat_member(user, "member" if chat_id == user_id else status)

    async def _m_getFile(self, params: JSON) -> JSON:
        file_id = str(params.get("file_id"))
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = len(self._files[file_id][1])
        info = {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_size": size}
        return {**info, "file_path": f"documents/{file_id}"}

    async def _m_setWebhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if not url:  # Telegram treats an empty url as deleteWebhook
            return await self._m_deleteWebhook(params)
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            # Real Telegram wants public HTTPS; the fake only ever calls loopback.
            raise ApiError(400, "Bad Request: bad webhook: the fake only delivers to 127.0.0.1")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in params:
            self._allowed_updates = frozenset(params["allowed_updates"] or _DEFAULT_UPDATES)
        await self._stop_webhook()
        connections = int(params.get("max_connections") or 40)
        self._webhook = {"url": url, "secret_token": secret, "max_connections": connections}
        self._updates_signal.fire()  # a waiting getUpdates ends with 409 now
        self._webhook_task = asyncio.create_task(self._webhook_loop(self._webhook))
        return True

    async def _m_deleteWebhook(self, params: JSON) -> bool:
        await self._stop_webhook()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, params: JSON) -> JSON:
        info: JSON = {"url": self._webhook["url"] if self._webhook else ""}
        info.update(has_custom_certificate=False, pending_update_count=len(self._updates))
        if self._webhook:
            info.update(max_connections=self._webhook["max_connections"], ip_address="127.0.0.1")
        if self._webhook_error:
            info.update(last_error_date=self._webhook_error[0])
            info.update(last_error_message=self._webhook_error[1])
        return info

    # -------------------------------------------------------------------- webhook
    async def _stop_webhook(self) -> None:
        self._webhook = None
        tasks = [t for t in (self._webhook_task, *self._in_flight.values()) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._webhook_task, self._in_flight = None, {}

    async def _webhook_loop(self, hook: JSON) -> None:
        """Deliver pending updates in order, one at a time per chat, like Telegram."""
        while self._webhook is hook:
            seen: set[object] = set()
            for update in list(self._updates):
                key = _chat_of(update) or ("update", update["update_id"])
                if key in seen or key in self._in_flight:
                    seen.add(key)  # a later update of a busy chat waits its turn
                    continue
                seen.add(key)
                if len(self._in_flight) >= hook["max_connections"]:
                    break
                task = asyncio.create_task(self._post_update(hook, update))
                self._in_flight[key] = task
                task.add_done_callback(lambda _t, k=key: self._finish_delivery(k))
            await self._updates_signal.wait(1.0)

    def _finish_delivery(self, key: object) -> None:
        self._in_flight.pop(key, None)
        self._updates_signal.fire()  # the chat's next update may go now

    async def _post_update(self, hook: JSON, update: JSON) -> None:
        """POST one update until the receiver answers 2xx (with a capped backoff)."""
        headers = {"Content-Type": "application/json"}
        if hook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        delay = self.webhook_retry_delay
        while self._webhook is hook and self._session is not None:
            try:
                body = json.dumps(update)
                async with self._session.post(hook["url"], data=body, headers=headers) as resp:
                    if 200 <= resp.status < 300:
                        self.webhook_deliveries.append((update, headers))
                        if update in self._updates:
                            self._updates.remove(update)
                        return
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            self._webhook_error = (int(time.time()), error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
