"""Telegram through python-telegram-bot: translates updates to Incoming and Delivery to calls.

We run our own getUpdates loop instead of PTB's Updater, because the Updater confirms
updates before they are handled; here the offset moves on only after every update of a
batch is committed, so a crash loses nothing and a redelivery is recognised by update_id.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
    WebhookInfo,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.adapters.base import Adapter, Dispatch, cancel_and_wait
from bot.adapters.telegram_intake import Intake, press_from_json
from bot.adapters.telegram_request import AiohttpRequest, answer_callback_query
from bot.chat.errors import (
    ChatMoved,
    PermanentError,
    RetryLater,
    TransientError,
    Unreachable,
)
from bot.chat.receiving import RUNNING, Backoff, ReceiveStatus, short_reason, supervise
from bot.chat.types import REPEAT, ChatRef, Delivery, Incoming, Sender
from bot.config import ConfigError, TelegramSection, check_webhook_secret
from bot.delivery.limits import ChatRateLimiter
from bot.infra.failures import PLATFORM_LOGIN, CannotStart

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
# Telegram's documented limits: ~30 messages/s overall, 1/s per private chat, 20/min per group.
TELEGRAM_LIMITS = {"overall": (30, 1.0), "private": (1, 1.0), "group": (20, 60.0)}

CommandList = Callable[[str], list[tuple[str, str]]]


def to_html(text: str) -> str:
    """Our texts are plain; everything, user text included, is escaped for HTML mode."""
    return html.escape(text, quote=False)


SEPARATORS = ("\n\n", "\n", " ")


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split at paragraph, then line, then word boundaries so each escaped part fits."""
    chunks: list[str] = []
    current = ""
    for joiner, piece in _units(text, limit, 0, ""):
        candidate = f"{current}{joiner}{piece}" if current else piece
        if len(to_html(candidate)) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = piece
    if current or not chunks:
        chunks.append(current)
    return chunks


def _units(text: str, limit: int, level: int, joiner: str) -> Iterator[tuple[str, str]]:
    """Pieces that each fit, with the separator that stood before them."""
    if len(to_html(text)) <= limit:
        yield joiner, text
        return
    if level == len(SEPARATORS):
        step = limit // 5  # "&amp;" is the longest escape
        for start in range(0, len(text), step):
            yield (joiner if start == 0 else ""), text[start : start + step]
        return
    separator = SEPARATORS[level]
    for index, piece in enumerate(text.split(separator)):
        yield from _units(piece, limit, level + 1, joiner if index == 0 else separator)


def translate(update: Update, bot_id: int | None) -> Incoming | None:
    """A Telegram update as an Incoming, or None when it is nothing for us."""
    event_id = str(update.update_id)
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        if not isinstance(message, Message) or query.data is None:
            return None
        return Incoming(
            chat=_chat_ref(message),
            sender=_sender(query.from_user),
            button_key=query.data,
            event_id=event_id,
            raw_meta={"callback_query_id": query.id},
        )
    message = update.message
    if message is None:
        # Edited messages and channel posts never run anything again.
        return None
    if message.chat.type == "channel":
        return None
    if message.migrate_to_chat_id is not None:
        return Incoming(
            chat=_chat_ref(message),
            sender=Sender("telegram-service", "Telegram", None, is_bot=False),
            event_id=event_id,
            moved_to=str(message.migrate_to_chat_id),
        )
    user = message.from_user
    if user is None or message.sender_chat is not None:
        # Anonymous group admins and channels post as a chat: nobody we can give rights to.
        sender = Sender(
            f"chat{message.sender_chat.id if message.sender_chat else 'unknown'}",
            message.sender_chat.title or "" if message.sender_chat else "",
            None,
            is_bot=True,
        )
    else:
        if user.id == bot_id:
            return None
        sender = _sender(user)
    text = message.text or message.caption or ""
    return Incoming(
        chat=_chat_ref(message),
        sender=sender,
        text=text,
        event_id=event_id,
        forwarded=message.forward_origin is not None,
        voice=message.voice is not None or message.audio is not None,
        reply_to=(
            str(message.reply_to_message.message_id)
            if message.reply_to_message is not None
            else None
        ),
    )


def _chat_ref(message: Message) -> ChatRef:
    chat = message.chat
    kind = "direct" if chat.type == "private" else "group"
    return ChatRef("telegram", str(chat.id), kind, chat.title or "")


def _sender(user: Any) -> Sender:
    return Sender(str(user.id), user.full_name, user.language_code, bool(user.is_bot))


def _retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after becomes a timedelta; both forms are handled here.
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramAdapter(Adapter):
    """Long polling (default) or webhook; sends paced by a sliding-window limiter."""

    platform = "telegram"
    display_name = "Telegram"
    supports_edit = True
    answers_presses = True

    def __init__(
        self,
        config: TelegramSection,
        *,
        commands: CommandList | None = None,
        languages: Sequence[str] = ("de",),
        limiter: ChatRateLimiter | None = None,
        request_timeout: float = 20.0,
    ) -> None:
        self._config = config
        self._commands = commands
        # The menu is set per language (language_code); the first is also everyone else's.
        self._languages = tuple(languages)
        # Telegram has no idempotency key: one unrecorded send at a time bounds what a
        # crash can repeat to that one message.
        self.max_in_flight = config.max_in_flight
        poll_timeout = config.poll_timeout
        self._poll_timeout = poll_timeout
        self._rate = config.messages_per_second
        self.limiter = limiter or ChatRateLimiter(
            overall=(self._rate, TELEGRAM_LIMITS["overall"][1]),
            private=TELEGRAM_LIMITS["private"],
            group=TELEGRAM_LIMITS["group"],
        )
        token = config.token.get_secret_value()
        base = config.base_url.rstrip("/")
        # PTB over aiohttp instead of httpx: a request costs a quarter of the CPU
        # (BENCHMARKS.md, "Telegram button presses"). A small pool: sends go one at a
        # time anyway; callback answers are the only bursts.
        self._request = AiohttpRequest(
            connection_pool_size=32,
            read_timeout=request_timeout,
            write_timeout=request_timeout,
            connect_timeout=10.0,
            pool_timeout=60.0,
        )
        self.bot = Bot(
            token,
            base_url=base,
            base_file_url=base.removesuffix("/bot") + "/file/bot",
            request=self._request,
            get_updates_request=AiohttpRequest(
                connection_pool_size=2, read_timeout=poll_timeout + 10.0, connect_timeout=10.0
            ),
        )
        # A press's answer skips PTB: one JSON POST on PTB's own aiohttp session (see
        # answer_callback_query), to the URL PTB would use.
        self._answer_url = f"{self.bot.base_url}/answerCallbackQuery"
        self._webhook_secret = config.webhook_secret.get_secret_value().encode()
        self._dispatch: Dispatch | None = None
        self._task: asyncio.Task[None] | None = None
        self._runner: web.ServerRunner | None = None
        self._stopping = False
        self._answering: set[asyncio.Task[None]] = set()
        self._answered: dict[str, None] = {}  # recent query ids, oldest first
        # Presses not answered yet: each is answered without text at its deadline.
        self._deadlines: dict[str, asyncio.TimerHandle] = {}
        # Repeated presses waiting for their deadline (see ``_answer_done``).
        self._repeats: set[str] = set()
        # How long a press's answer waits for its dispatch (which may add a notice).
        self.press_answer_wait = 3.0
        # Whether updates arrive (polling answers, or the webhook is registered), for /health.
        self.status = ReceiveStatus(self.platform)
        self._watchdog: asyncio.Task[None] | None = None
        self._last_heard = datetime.now(UTC)  # the webhook's registration or last POST
        # How often webhook mode checks that Telegram still posts to us.
        self.webhook_check_seconds = 60.0

    def bot_username(self) -> str | None:
        try:
            return self.bot.username
        except RuntimeError:  # not initialised yet
            return None

    def deep_link(self, payload: str) -> str | None:
        username = self.bot_username()
        return f"https://t.me/{username}?start={payload}" if username else None

    async def identify(self) -> None:
        await self._initialize()  # getMe: the bot's user name

    async def _initialize(self) -> None:
        """getMe; a token Telegram rejects stops the start with one line."""
        try:
            await self.bot.initialize()
        except InvalidToken as exc:
            raise CannotStart(
                "telegram.token",
                "Telegram does not accept this token",
                "copy it again from @BotFather (/mybots, API Token)",
                PLATFORM_LOGIN,
            ) from exc

    @property
    def receiving_task(self) -> asyncio.Task[None] | None:
        return self._task

    @property
    def receives_on_leader_only(self) -> bool:  # type: ignore[override]
        """Telegram answers a second getUpdates with 409 Conflict: one process polls.
        Webhooks reach every process (behind a load balancer or a shared port)."""
        return self._config.mode == "polling"

    async def start(self, dispatch: Dispatch, *, receive: bool = True) -> None:
        """Connect and, in webhook mode, listen; in polling mode poll only if ``receive``."""
        self._dispatch = dispatch
        await self._initialize()
        if self._config.mode == "webhook":
            self._stopping = False
            await self._set_commands()
            await self._start_webhook()
        elif receive:
            await self.set_receiving(True)

    async def set_receiving(self, on: bool) -> None:
        """Start or stop long polling (the leader polls; see ``receives_on_leader_only``)."""
        if self._config.mode != "polling" or on == (self._task is not None):
            return
        if on:
            self.status.starting()
            self._stopping = False
            self._task = asyncio.create_task(self._poll_loop(), name="telegram-polling")
        else:
            self._stopping = True
            task, self._task = self._task, None
            await cancel_and_wait(task)
            self.status.stopped()

    def share_rate(self, processes: int) -> None:
        """Several processes send: each keeps to its part of the overall rate."""
        self.limiter.set_overall(max(1, self._rate // max(1, processes)))

    async def stop_receiving(self) -> None:
        """Stop polling or listening and finish answering presses; sending still works."""
        self._stopping = True
        task, self._task = self._task, None
        await cancel_and_wait(task)
        watchdog, self._watchdog = self._watchdog, None
        await cancel_and_wait(watchdog)
        self.status.stopped()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        for query_id in list(self._deadlines):
            self._answer_soon(query_id)
        if self._answering:
            await asyncio.gather(*self._answering, return_exceptions=True)

    async def stop(self) -> None:
        await self.stop_receiving()
        await self.bot.shutdown()

    async def _set_commands(self) -> None:
        if self._commands is None:
            return
        for locale in self._languages:
            commands = [BotCommand(name, desc[:256]) for name, desc in self._commands(locale)]
            try:
                await self.bot.set_my_commands(commands, language_code=locale)
                if locale == self._languages[0]:
                    await self.bot.set_my_commands(commands)  # default for other languages
            except TelegramError as exc:
                log.warning("setMyCommands failed: %s", exc)

    # --- receiving ----------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        """Poll until stopped; whatever ends the loop is logged and it starts again."""
        await supervise(
            self.status, "polling", self._poll_until_stopped, stopping=lambda: self._stopping
        )

    async def _poll_until_stopped(self) -> None:
        await self._set_commands()
        await self.bot.delete_webhook(drop_pending_updates=False)
        intake = Intake(self.handle_update)
        backoff = Backoff()
        try:
            while not self._stopping:
                try:
                    updates = await self.bot.get_updates(
                        offset=intake.offset(),
                        # While updates are in hand, only look for more instead of waiting;
                        # likewise until Telegram has answered once, so /health can tell at
                        # once that receiving works.
                        timeout=0
                        if intake.busy or self.status.state != RUNNING
                        else self._poll_timeout,
                        allowed_updates=ALLOWED_UPDATES,
                    )
                except RetryAfter as exc:
                    await asyncio.sleep(_retry_seconds(exc))
                    continue
                except TelegramError as exc:
                    # 401 (token revoked), 403, 409 (another poller or a webhook) end
                    # nothing: the cause may be fixed outside the bot at any time. Network
                    # trouble is retried sooner than such refusals.
                    network = isinstance(exc, NetworkError)
                    delay = backoff.next(cap=30.0 if network else None)
                    self.status.retrying("getUpdates", short_reason(exc), delay)
                    await asyncio.sleep(delay)
                    continue
                backoff.reset()
                self.status.running()
                for update in updates:
                    self._answer_later(update)
                new = intake.accept(updates)
                if intake.failed and not new:
                    await asyncio.sleep(1.0)  # the database may be back in a moment
                elif intake.busy and not new:
                    await intake.wait_progress(timeout=0.2)
        finally:
            await intake.stop()

    async def handle_batch(self, updates: list[Update]) -> bool:
        """Handle a batch: chats concurrently, each chat's updates in order; True if all held."""
        for update in updates:
            self._answer_later(update)
        per_chat: dict[int | str, list[Update]] = {}
        for update in updates:
            chat = update.effective_chat
            per_chat.setdefault(chat.id if chat else f"u{update.update_id}", []).append(update)
        results = await asyncio.gather(
            *(self._handle_chat(chat_updates) for chat_updates in per_chat.values()),
            return_exceptions=True,
        )
        ok = True
        for result in results:
            if isinstance(result, BaseException):
                log.error("updates not committed, Telegram will deliver them again: %r", result)
                ok = False
        return ok

    async def _handle_chat(self, updates: list[Update]) -> None:
        for update in updates:
            await self.handle_update(update)

    async def handle_update(self, update: Update) -> None:
        assert self._dispatch is not None
        self._answer_later(update)
        incoming = None
        try:
            try:
                incoming = translate(update, self.bot.id)
            except Exception as exc:
                # An update we cannot read fails the same way every time: fetching it again
                # would hold up every chat behind it.
                log.error("update %s skipped, it cannot be read: %r", update.update_id, type(exc))
                return
            if incoming is not None:
                await self._dispatch(incoming)
        finally:
            # Without text, unless the dispatch answered it or it was handled before.
            self._answer_done(update, incoming)

    def _answer_later(self, update: Update | str) -> None:
        """A press (the update, or its callback query id) is answered once its dispatch is
        done (``answer_press`` with the notice for the presser, else without text), but at
        the latest after ``press_answer_wait`` seconds, or the app keeps showing a spinner."""
        query_id = _query_id(update)
        if query_id is None:
            return
        if query_id in self._answered or query_id in self._deadlines:
            return
        loop = asyncio.get_running_loop()
        self._deadlines[query_id] = loop.call_later(
            self.press_answer_wait, self._answer_soon, query_id
        )

    def _answer_soon(self, update: Update | str, text: str | None = None) -> None:
        """Answer a button press (the update, or its callback query id) now, with ``text``
        as the notice only the presser sees. Once per query; the answer runs in the
        background and, unlike a message, counts against no chat's quota."""
        query_id = _query_id(update)
        if query_id is None:
            return
        deadline = self._deadlines.pop(query_id, None)
        if deadline is not None:
            deadline.cancel()
        # A repeat's answer at its deadline (``_answer_done``); a notice is never one.
        repeat = query_id in self._repeats and text is None
        self._repeats.discard(query_id)
        if query_id in self._answered:
            return
        self._answered[query_id] = None
        while len(self._answered) > 10_000:
            self._answered.pop(next(iter(self._answered)))
        task = asyncio.create_task(self._answer(query_id, text, repeat=repeat))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    def _answer_done(self, update: Update | str, incoming: Incoming | None) -> None:
        """A press's dispatch ended: answer it now, unless it was handled before; such a
        repeat is answered without text at its deadline.

        Telegram delivers a webhook update again when our POST took longer than its timeout
        (perhaps to the other process, or to this one after a restart). Its first delivery
        usually answered the press already, with its notice, and Telegram refuses any
        second answer: the person sees that one answer only. But a first delivery killed
        after its commit and before its answer leaves the button spinning, and only the
        repeat can stop that. So the repeat answers too, without text (never a second,
        different notice) and only at its deadline, which gives a first delivery still
        running elsewhere the time to answer first with its notice. The price: one refused
        request per repeat that reaches another process (or a restarted one), which only
        a POST slower than Telegram's timeout causes; ``_answer`` logs the refusal at debug
        level. A repeat reaching this process again costs nothing: the query is
        answered or waits for its deadline here already. Recording the answer in the
        database instead would cost a write on every press to spare that rare request.
        """
        query_id = _query_id(update)
        if query_id is None or incoming is None or not incoming.raw_meta.get(REPEAT):
            self._answer_soon(update)
        elif query_id in self._deadlines:
            self._repeats.add(query_id)

    async def _answer(self, query_id: str, text: str | None, *, repeat: bool = False) -> None:
        """A refused answer (too old, a 429, the network) is logged: the press itself is
        handled already, and the spinner stops by itself after a while. A repeat's refusal
        is the usual case (its first delivery answered, ``_answer_done``): debug only."""
        refused = await answer_callback_query(
            self._request, self._answer_url, query_id, text[:200] if text else None
        )
        if refused is None:
            return
        if repeat:
            log.debug("repeated press %s: answer refused, answered before: %s", query_id, refused)
        else:
            log.info("answerCallbackQuery failed: %s", refused)

    async def answer_press(self, press: Incoming, text: str) -> None:
        query_id = press.raw_meta.get("callback_query_id")
        if query_id:
            self._answer_soon(str(query_id), text)

    async def _start_webhook(self) -> None:
        config = self._config
        # Settings validate this already; an adapter built from other settings must not
        # listen unprotected either.
        try:
            check_webhook_secret(config.webhook_secret.get_secret_value())
        except ValueError as exc:
            raise ConfigError(f"telegram.webhook_secret: {exc}") from None
        # aiohttp's low-level server: one path, so no application, router or middlewares
        # per POST; no access log.
        self._runner = web.ServerRunner(web.Server(self._on_request, access_log=None))
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            config.webhook_listen,
            config.webhook_port,
            reuse_port=config.webhook_reuse_port or None,
        )
        await site.start()
        self._stopping = False
        self.status.starting()
        try:
            await self._register_webhook()
        except TelegramError as exc:
            log.debug("setWebhook failed at start, trying again: %s", short_reason(exc))
        self._watchdog = asyncio.create_task(
            supervise(self.status, "webhook", self._keep_webhook, stopping=lambda: self._stopping),
            name="telegram-webhook",
        )

    async def _register_webhook(self) -> None:
        config = self._config
        await self.bot.set_webhook(
            url=config.webhook_url,
            secret_token=config.webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )
        self._last_heard = datetime.now(UTC)
        self.status.running()

    async def _keep_webhook(self) -> None:
        """Keep Telegram posting to us: register the webhook until that works, then check it
        now and then, since a deleteWebhook or another setWebhook with our token (a second
        deployment, a polling test run) silently takes every update away, and a broken
        reverse proxy keeps every update from reaching us."""
        registered = self.status.state == RUNNING  # at start, or after a failed check
        while not self._stopping:
            if not registered:
                await self._register_webhook()
                registered = True
            else:
                info = await self.bot.get_webhook_info()
                if info.url != self._config.webhook_url:
                    log.warning("telegram: the webhook was changed elsewhere; registering ours")
                    await self._register_webhook()
                elif self._undelivered(info):
                    reason = f"Telegram cannot deliver: {info.last_error_message or 'no reason'}"
                    self.status.retrying(
                        "webhook delivery", reason[:160], self.webhook_check_seconds
                    )
                else:
                    self.status.running()
            await asyncio.sleep(self.webhook_check_seconds)

    def _undelivered(self, info: WebhookInfo) -> bool:
        """Updates wait at Telegram, and its last failed POST is newer than the last one
        that reached us: Telegram cannot get through (address, proxy, certificate)."""
        failed = info.last_error_date
        return bool(info.pending_update_count) and failed is not None and failed > self._last_heard

    def _authentic(self, request: web.BaseRequest) -> bool:
        """Whether the POST carries our secret: only Telegram knows it. Compared in constant
        time, so the answer's timing does not reveal how much of a guess was right."""
        secret = self._webhook_secret
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode(errors="replace")
        return bool(secret) and hmac.compare_digest(given, secret)

    async def _on_request(self, request: web.BaseRequest) -> web.Response:
        """Telegram's POSTs to the webhook path; anything else is not found or not allowed."""
        if request.path != self._config.webhook_path:
            return web.Response(status=404)
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        return await self._on_webhook(request)

    async def _on_webhook(self, request: web.BaseRequest) -> web.Response:
        if not self._authentic(request):
            return web.Response(status=403)
        self._last_heard = datetime.now(UTC)
        self.status.running()
        try:
            # The body read and parsed once, as bytes (request.json() decodes it to text first).
            data = json.loads(await request.read())
            press = press_from_json(data)
            update = None if press is not None else Update.de_json(data, self.bot)
        except Exception:
            return web.Response(status=400)
        try:
            if press is not None:
                assert self._dispatch is not None
                self._answer_later(press.raw_meta["callback_query_id"])
                try:
                    await self._dispatch(press)
                finally:
                    # Without text, unless the dispatch answered it (``answer_press``).
                    self._answer_done(press.raw_meta["callback_query_id"], press)
            elif update is not None:
                await self.handle_update(update)
        except Exception:
            log.exception("webhook update %s not committed", data.get("update_id"))
            return web.Response(status=500)  # Telegram delivers it again
        return web.Response(status=200)

    # --- sending ------------------------------------------------------------------------

    @asynccontextmanager
    async def _paced(
        self, chat_id: str, is_group: bool, urgent: bool = False
    ) -> AsyncIterator[None]:
        """Book a slot in the limiter for one request; it counts until the answer came."""
        booking = await self.limiter.acquire(chat_id, is_group, urgent)
        try:
            yield
        finally:
            self.limiter.done(booking)

    async def wait_ready(self, delivery: Delivery) -> None:
        """Wait for the chat's own window, so a sending slot is never held while waiting."""
        await self.limiter.wait_chat(delivery.chat.external_id, delivery.chat.kind == "group")

    async def send(self, delivery: Delivery) -> str:
        chat_id = delivery.chat.external_id
        is_group = delivery.chat.kind == "group"
        markup = None
        if delivery.buttons:
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(b.label, callback_data=b.key)] for b in delivery.buttons]
            )
        try:
            if delivery.edit_message_id is not None:
                return await self._edit(delivery, delivery.edit_message_id, is_group, markup)
            if delivery.attachment is not None:
                return await self._send_file(delivery, chat_id, is_group, markup)
            parts = split_text(delivery.text)
            message_id = ""
            for index, part in enumerate(parts):
                async with self._paced(chat_id, is_group, delivery.urgent):
                    message = await self.bot.send_message(
                        chat_id,
                        to_html(part),
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup if index == len(parts) - 1 else None,
                    )
                message_id = str(message.message_id)
            return message_id
        except RetryAfter as exc:
            seconds = _retry_seconds(exc)
            scope = self.limiter.refused(chat_id, seconds)
            raise RetryLater(seconds, scope) from exc
        except ChatMigrated as exc:
            raise ChatMoved(str(exc.new_chat_id)) from exc
        except Forbidden as exc:
            raise Unreachable(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Unreachable(str(exc)) from exc
            raise PermanentError(str(exc)) from exc
        except (TimedOut, NetworkError) as exc:
            raise TransientError(str(exc)) from exc

    async def _edit(self, delivery: Delivery, message_id: str, is_group: bool, markup: Any) -> str:
        """editMessageText; paced like a send, since edits count toward the chat's limit."""
        chat_id = delivery.chat.external_id
        try:
            async with self._paced(chat_id, is_group, delivery.urgent):
                # Without reply_markup Telegram removes the keyboard, so it is always sent.
                await self.bot.edit_message_text(
                    to_html(delivery.text),
                    chat_id=chat_id,
                    message_id=int(message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                pass  # it shows this text already: a repeat after a retry or a restart
            elif "message to edit not found" in reason or "can't be edited" in reason:
                # Deleted by an admin, or no longer ours to change: nothing left to update.
                log.info("message %s in %s not edited: %s", message_id, chat_id, exc)
            else:
                raise
        return message_id

    async def _send_file(
        self, delivery: Delivery, chat_id: str, is_group: bool, markup: Any
    ) -> str:
        attachment = delivery.attachment
        assert attachment is not None
        caption = delivery.text if len(delivery.text) <= MAX_CAPTION else None
        if caption is None and delivery.text:
            async with self._paced(chat_id, is_group, delivery.urgent):
                await self.bot.send_message(
                    chat_id, to_html(delivery.text), parse_mode=ParseMode.HTML
                )
        file = InputFile(attachment.data, filename=attachment.filename)
        html_caption = to_html(caption) if caption else None
        async with self._paced(chat_id, is_group, delivery.urgent):
            if attachment.is_image:
                message = await self.bot.send_photo(
                    chat_id,
                    file,
                    caption=html_caption,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            else:
                message = await self.bot.send_document(
                    chat_id,
                    file,
                    caption=html_caption,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
        return str(message.message_id)


def _query_id(update: Update | str) -> str | None:
    """The callback query id of a press (given as the update or as the id itself)."""
    if isinstance(update, str):
        return update
    return update.callback_query.id if update.callback_query is not None else None
