"""The sender loop: takes due outbox rows, sends them in order per chat, never drops one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.adapters.base import Adapter
from bot.chat.errors import (
    ChatMoved,
    NotPrivate,
    PermanentError,
    RetryLater,
    TransientError,
    Unreachable,
)
from bot.chat.types import ChatRef, Delivery
from bot.delivery import reach
from bot.delivery.limits import Slots
from bot.delivery.marks import SentMarks
from bot.delivery.outbox import edit_delivery, to_delivery
from bot.domain import people
from bot.domain.models import Account, Chat, OutboxMessage
from bot.infra.clock import Clock
from bot.infra.cluster import CHAT_CLASS, Cluster, SoloProcess

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
EXPIRED = "expired"


class Sender:
    """Delivers the outbox through the running adapters."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        transports: Mapping[str, Adapter],
        clock: Clock,
        *,
        batch_size: int = 50,
        max_backoff: float = 300.0,
        poll_seconds: float = 5.0,
        max_inflight: int = 200,
        cluster: Cluster | None = None,
        observe: Callable[[str, str], None] | None = None,
    ) -> None:
        self._sessions = sessions
        # Told (platform, outcome) for every send: "sent", "failed" or "rate_limited" (a 429).
        self._observe = observe or (lambda platform, outcome: None)
        self._transports = transports
        self._clock = clock
        self._batch_size = batch_size
        self._max_backoff = max_backoff
        self._poll = poll_seconds
        self._max_inflight = max_inflight
        self._cluster = cluster or SoloProcess()
        bind = sessions.kw.get("bind")
        self._sqlite = bind is not None and bind.dialect.name == "sqlite"
        self._claimed_full = False  # the last claim took a whole batch
        # Chats someone is talking with right now: their answers are claimed first, and
        # even when every slot is taken, so they do not wait behind a backlog.
        self._urgent: set[int] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._slots: dict[str, Slots | None] = {}
        self._busy: set[asyncio.Task[Any]] = set()  # sending now: not to be cancelled
        self._background: set[asyncio.Task[None]] = set()
        self._marks = SentMarks(sessions, clock)
        self._claimed_chats: dict[int, ChatRef] = {}  # in flight: their ChatRef (slot key)
        self._statements: dict[tuple[Any, ...], Select[Any]] = {}  # see _due_statement

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    def hurry(self, chat_ids: Iterable[int]) -> None:
        """Answers to someone who just wrote were queued for these chats: send them next
        (a chat claimed already, its send waiting for a slot, moves ahead too)."""
        chat_ids = set(chat_ids)
        self._urgent.update(chat_ids)
        for chat_id in chat_ids:
            ref = self._claimed_chats.get(chat_id)
            for slots in self._slots.values():
                if slots is not None and ref is not None:
                    slots.promote(ref)
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def recover(self) -> None:
        """After a crash, rows marked as sending are sent again.

        Platforms with idempotent sends (Matrix transaction ids) show them once; elsewhere
        at most the message in flight at the crash repeats. With several processes the
        leader gives back only a dead process's rows (``bot.infra.cluster``).
        """
        if self._cluster.distributed:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.status == SENDING).values(status=PENDING)
            )

    async def run(self) -> None:
        """Send until stopped; each chat gets its own task, so a slow chat holds up no other."""
        inflight: dict[int, asyncio.Task[int]] = {}
        while not self._stopping:
            self._wake.clear()
            claimed: dict[int, list[Delivery]] = {}
            if self._urgent - inflight.keys():
                claimed = await self._claim_urgent(inflight)
            if len(inflight) + len(claimed) < self._max_inflight:
                try:
                    claimed |= await self._claim(exclude=set(inflight) | claimed.keys())
                except Exception:  # the database may be briefly unavailable; try again later
                    log.exception("claiming outbox rows failed")
            for chat_id, deliveries in claimed.items():
                self._claimed_chats[chat_id] = deliveries[0].chat
                if chat_id in self._urgent:  # hurried while its rows were being claimed
                    deliveries = [replace(delivery, urgent=True) for delivery in deliveries]
                task = asyncio.create_task(self._send_chat(deliveries), name=f"send-{chat_id}")
                inflight[chat_id] = task
                task.add_done_callback(lambda _t, c=chat_id: self._finished(inflight, c))
            if claimed and self._claimed_full:
                continue  # more may be due at once
            # After a partial batch nothing else is due now: wait for a wake-up (a commit, a
            # chat in flight finishing) instead of asking the database again at once. With
            # every slot taken only a chat finishing can change anything.
            if claimed or len(inflight) >= self._max_inflight:
                timeout = self._poll
            else:
                timeout = await self._idle_seconds()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            except TimeoutError:
                pass
        # Chats waiting for their turn stop now and give their rows back unsent; a send
        # under way is finished and recorded first, and so is any other write of a chat's
        # rows (see _writing). Chats claimed in the last round take their first step before:
        # a task cancelled before it starts would leave its rows marked sending.
        await asyncio.sleep(0)
        waiting = [task for task in inflight.values() if task not in self._busy]
        for task in waiting:
            task.cancel()
        log.info(
            "sender stops: %d chats in flight, %d of them stopped", len(inflight), len(waiting)
        )
        if inflight:
            await asyncio.gather(*inflight.values(), return_exceptions=True)

    async def _claim_urgent(
        self, inflight: dict[int, asyncio.Task[int]]
    ) -> dict[int, list[Delivery]]:
        """Claim the due rows of the chats in a hurry that are not being sent to now (those
        that are stay in a hurry until their turn is over)."""
        chats = self._urgent - inflight.keys()
        self._urgent &= inflight.keys()
        try:
            # None of them is in flight: no need to exclude those.
            claimed = await self._claim(only=chats)
        except Exception:  # as for any claim: the next round tries again
            self._urgent |= chats
            log.exception("claiming outbox rows failed")
            return {}
        return {
            chat: [replace(delivery, urgent=True) for delivery in deliveries]
            for chat, deliveries in claimed.items()
        }

    async def _idle_seconds(self) -> float:
        """Sleep until the next row falls due (a retry time), at most ``poll_seconds``.

        Rows already due but not claimed wait for a chat in flight, whose end wakes us.
        """
        now = self._clock.now()
        try:
            async with self._sessions() as session:
                next_due = await session.scalar(
                    select(func.min(OutboxMessage.due_at))
                    .join(Chat, Chat.id == OutboxMessage.chat_id)
                    .where(
                        OutboxMessage.status == PENDING, OutboxMessage.due_at > now, self._ours()
                    )
                )
        except Exception:
            log.exception("reading the next due time failed")
            return self._poll
        if next_due is None:
            return self._poll
        seconds = (next_due - now).total_seconds()
        return min(self._poll, max(seconds, 0.005))

    def _ours(self) -> ColumnElement[bool]:
        """The chats this process sends to: those of its running platforms, and with several
        processes its share of the shared ones, so each chat's rate window stays in one
        process."""
        platforms = list(self._transports)
        size, rank = self._cluster.size, self._cluster.rank
        if size <= 1:
            return Chat.platform.in_(platforms)
        solo = [p for p in platforms if self._transports[p].leader_only]
        shared = [p for p in platforms if p not in solo]
        return or_(Chat.platform.in_(solo), and_(Chat.platform.in_(shared), Chat.id % size == rank))

    def sends_to(self, platform: str, chat_id: int) -> bool:
        """Whether this process sends to that chat now (the same rule as ``_ours``)."""
        transport = self._transports.get(platform)
        if transport is None:
            return False
        size = self._cluster.size
        return size <= 1 or transport.leader_only or chat_id % size == self._cluster.rank

    def _finished(self, inflight: dict[int, asyncio.Task[int]], chat_id: int) -> None:
        task = inflight.pop(chat_id, None)
        self._claimed_chats.pop(chat_id, None)
        if task is not None and not task.cancelled() and task.exception() is not None:
            # Only database trouble gets here (send errors are handled per row): give the
            # chat's claimed rows back once the database answers again.
            log.error("sending to chat %s stopped: %r", chat_id, task.exception())
            retry = asyncio.create_task(self._give_back(chat_id))
            self._background.add(retry)
            retry.add_done_callback(self._background.discard)
        self._wake.set()

    async def _give_back(self, chat_id: int) -> None:
        delay = 1.0
        while not self._stopping:
            try:
                async with self._sessions.begin() as session:
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == SENDING)
                        .values(status=PENDING)
                    )
                self._wake.set()
                return
            except Exception:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Send everything that is due now (used at the end of piped console input and in tests)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            await self.send_due()
            if not await self._has_due():
                return
            await asyncio.sleep(0.01)

    async def quiet(self) -> bool:
        """Nothing of ours is due or on its way: everything queued so far went out."""
        if await self._has_due():
            return False
        async with self._sessions() as session:
            row = await session.scalar(
                select(OutboxMessage.id)
                .join(Chat, Chat.id == OutboxMessage.chat_id)
                .where(OutboxMessage.status == SENDING, self._ours())
                .limit(1)
            )
            return row is None

    async def _has_due(self) -> bool:
        async with self._sessions() as session:
            row = await session.scalar(
                select(OutboxMessage.id)
                .join(Chat, Chat.id == OutboxMessage.chat_id)
                .where(
                    OutboxMessage.status == PENDING,
                    OutboxMessage.due_at <= self._clock.now(),
                    self._ours(),
                )
                .limit(1)
            )
            return row is not None

    async def send_due(self) -> int:
        """One round, waited for: claim due rows per chat, send them, return how many were sent."""
        claimed = await self._claim()
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._send_chat(rows) for rows in claimed.values()))
        return sum(results)

    async def _claim(
        self, exclude: set[int] | None = None, only: set[int] | None = None
    ) -> dict[int, list[Delivery]]:
        """Mark due rows as sending and return them grouped by chat, oldest first.

        A row is due when its time has come and no older unsent row of the same chat is
        waiting or in flight, which keeps every chat's messages in order. Rows are taken in id
        order: ordered by due time instead, the batch limit could cut an older due row of a
        chat and let a newer one go first.
        """
        now = self._clock.now()
        query = self._due_statement(bool(exclude), only is not None)
        params: dict[str, Any] = {"now": now}
        if exclude:
            params["exclude"] = list(exclude)
        if only is not None:
            params["only"] = list(only)
        async with self._sessions.begin() as session:
            if self._cluster.distributed:
                query = await self._lock_chats(session, query, params)
                if query is None:
                    return {}
            rows = (await session.execute(query, params)).all()
            if only is None:
                self._claimed_full = len(rows) >= self._batch_size
            per_chat: dict[int, list[Delivery]] = defaultdict(list)
            late = [m.id for m, _c in rows if m.expires_at is not None and m.expires_at <= now]
            if late:
                # E.g. a reminder after its date began (the bot was off): no use any more.
                log.warning("%d messages expired before they could be sent", len(late))
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(late))
                    .values(status=EXPIRED, attachment=None)
                )
                rows = [(m, c) for m, c in rows if m.id not in late]
            # Within a chat, id order is the order to send in (a newer row can fall due first).
            for message, chat in sorted(rows, key=lambda row: row[0].id):
                per_chat[chat.id].append(to_delivery(message, chat))
            if rows:
                # Marked before sending: after a crash, at most these rows are sent again.
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([m.id for m, _c in rows]))
                    .values(
                        status=SENDING,
                        attempts=OutboxMessage.attempts + 1,
                        claimed_by=self._cluster.process_id,
                    )
                )
        return per_chat

    def _due_query(self, now: datetime, exclude: set[int] | None) -> Select[Any]:
        """The claim's statement with its values bound (to read its plan or its rows)."""
        values: dict[str, Any] = {"now": now}
        if exclude:
            values["exclude"] = list(exclude)
        return self._due_statement(bool(exclude), False).params(values)

    def _due_statement(self, exclude: bool, only: bool) -> Select[Any]:
        """The claim's statement for these platforms and this process's share, built once:
        a claim runs after nearly every commit, and building it (an aliased entity and a
        dozen comparisons) cost more than running it. Values: ``now``, and the chat ids
        ``exclude`` and ``only`` when asked for."""
        platforms = tuple(self._transports)
        key = (platforms, self._cluster.size, self._cluster.rank, exclude, only)
        statement = self._statements.get(key)
        if statement is None:
            if len(self._statements) > 64:  # the share changed often: keep only the current
                self._statements.clear()
            statement = self._statements[key] = self._build_due(exclude, only)
        return statement

    def _build_due(self, exclude: bool, only: bool) -> Select[Any]:
        now = bindparam("now")
        earlier = aliased(OutboxMessage)
        blocked_by_earlier = exists().where(
            earlier.chat_id == OutboxMessage.chat_id,
            # Spelled so that the (chat, status, id) index finds the chat's unsent rows only;
            # "sending, or pending and not yet due" as an OR read every message the chat
            # was ever sent, so claims grew with each chat's history.
            earlier.status.in_((SENDING, PENDING)),
            earlier.id < OutboxMessage.id,
            or_(earlier.status == SENDING, earlier.due_at > now),
        )
        is_due: ColumnElement[bool] = OutboxMessage.due_at <= now
        if self._sqlite:
            # Without statistics SQLite walks the due-time index and sorts every due row by
            # id on each claim, blocking the loop; marked likely, the condition is not used
            # for the search, and the (status, id) index gives the rows in order, stopping
            # after one batch (measured in bench/outbox_claim.py, see BENCHMARKS.md).
            is_due = func.likely(is_due)
        query = (
            select(OutboxMessage, Chat)
            .join(Chat, Chat.id == OutboxMessage.chat_id)
            .where(
                OutboxMessage.status == PENDING,
                is_due,
                self._ours(),
                ~blocked_by_earlier,
            )
            .order_by(OutboxMessage.id)
            .limit(self._batch_size)
        )
        if exclude:
            query = query.where(OutboxMessage.chat_id.not_in(bindparam("exclude", expanding=True)))
        if only:
            query = query.where(OutboxMessage.chat_id.in_(bindparam("only", expanding=True)))
        return query

    async def _lock_chats(
        self, session: AsyncSession, query: Select[Any], params: dict[str, Any]
    ) -> Select[Any] | None:
        """With several processes: lock the candidate chats, then read their rows afresh.

        Row locks alone are not enough: another process may have claimed a chat's older rows
        and committed after our statement's snapshot was taken, and its newer rows would then
        look free. A chat's advisory lock is held by whoever claims it until their commit, so
        the second statement, begun after we hold it, sees every earlier claim.
        """
        candidates = (
            await session.execute(query.with_only_columns(OutboxMessage.chat_id), params)
        ).all()
        chat_ids = list(dict.fromkeys(int(row[0]) for row in candidates))
        if not chat_ids:
            return None
        locked = (
            (
                await session.execute(
                    text(
                        "SELECT c FROM unnest(CAST(:ids AS integer[])) AS c"
                        " WHERE pg_try_advisory_xact_lock(:cls, c)"
                    ),
                    {"ids": chat_ids, "cls": CHAT_CLASS},
                )
            )
            .scalars()
            .all()
        )
        if not locked:
            return None
        return query.where(OutboxMessage.chat_id.in_(locked)).with_for_update(
            of=OutboxMessage, skip_locked=True
        )

    async def _send_chat(self, deliveries: list[Delivery]) -> int:
        sent = 0
        for index, delivery in enumerate(deliveries):
            rest = deliveries[index:]
            if self._stopping:
                with self._writing():
                    await self._hand_back(rest)
                return sent
            transport = self._transports.get(delivery.chat.platform)
            if transport is None:
                # The platform stopped here meanwhile (another process leads now and runs it).
                with self._writing():
                    await self._release(rest, delay=0.0, error="not running here")
                return sent
            try:
                message_id = await self._send_one(transport, delivery)
            except asyncio.CancelledError:
                # Only while waiting for a turn (see run): this row was not sent.
                await self._hand_back(rest)
                raise
            except Exception as exc:
                with self._writing():
                    if not await self._failed(delivery, rest, exc):
                        return sent
                continue
            if message_id is not None:
                self._observe(delivery.chat.platform, "sent")
                sent += 1
        return sent

    async def _failed(self, delivery: Delivery, rest: list[Delivery], exc: Exception) -> bool:
        """Record why ``delivery`` did not go out; True if the chat's next row may follow."""
        platform = delivery.chat.platform
        if isinstance(exc, ChatMoved):
            await self._chat_moved(delivery, exc.new_external_id)
            await self._release(rest, delay=0.0, error=str(exc))
            return False
        if isinstance(exc, NotPrivate):
            await self._not_private(delivery, str(exc))
            await self._release(rest, delay=0.0, error="chat no longer private")
            return False
        if isinstance(exc, RetryLater):
            self._observe(platform, "rate_limited")
            await self._release(rest, delay=exc.seconds, error=str(exc))
            return False
        self._observe(platform, "failed")
        if isinstance(exc, Unreachable):
            await self._unreachable(delivery, str(exc))
            return True
        if isinstance(exc, PermanentError):
            await self._give_up(delivery, str(exc))
            return True
        if not isinstance(exc, TransientError):
            log.exception("sending outbox row %s failed", delivery.id, exc_info=exc)
        attempts = await self._attempts(delivery.id)
        delay = min(self._max_backoff, 2 ** min(attempts, 16)) * random.uniform(0.5, 1.0)
        await self._release(rest, delay=delay, error=repr(exc))
        return False

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """While a chat task writes its rows' state, a stop does not cancel it (see run):
        a cancel would land inside the transaction, roll it back and leave the rows marked
        sending. It is cancelled only while it waits for a turn."""
        task = asyncio.current_task()
        if task is None or task in self._busy:  # nested: the outer one unmarks it
            yield
            return
        self._busy.add(task)
        try:
            yield
        finally:
            self._busy.discard(task)

    def _slot(self, transport: Adapter) -> Slots | None:
        # Built on first use: adapters are registered after the sender is created.
        if transport.platform not in self._slots:
            limit = transport.max_in_flight
            self._slots[transport.platform] = Slots(limit) if limit else None
        return self._slots[transport.platform]

    async def _send_one(self, transport: Adapter, delivery: Delivery) -> str | None:
        """Send and record it; with a slot limit, the record is written before the slot frees.

        Returns the platform's message id, or None for an edit with nothing to change.
        """
        if delivery.chat.kind == "direct" and transport.checks_recipient:
            delivery = replace(delivery, recipients=await self._recipients(delivery))
        await transport.wait_ready(delivery)
        is_edit = delivery.edit_of is not None
        if is_edit:
            # Read after the wait, so edits queued meanwhile go out as this one.
            prepared = await self._prepare_edit(transport, delivery)
            if prepared is None:
                return None
            delivery = prepared
        slot = self._slot(transport)
        if slot is None:
            return await self._send_and_mark(transport, delivery, is_edit)
        async with slot.hold(delivery.urgent, key=delivery.chat):
            return await self._send_and_mark(transport, delivery, is_edit)

    async def _send_and_mark(self, transport: Adapter, delivery: Delivery, is_edit: bool) -> str:
        with self._writing():
            message_id = await transport.send(delivery)
            await self._mark_sent(delivery.id, message_id, only_if_sending=is_edit)
        return message_id

    async def _prepare_edit(self, transport: Adapter, delivery: Delivery) -> Delivery | None:
        """The edit's latest text and the id of the message it changes; None to drop it.

        The original is older in the same chat, so per-chat order sent it first; if it
        failed or has no id, or the platform cannot edit, there is nothing to change.
        """
        now = self._clock.now()
        async with self._sessions.begin() as session:
            row = await session.get(
                OutboxMessage, delivery.id, with_for_update=True, populate_existing=True
            )
            if row is None:
                return None
            original = (
                await session.execute(
                    select(OutboxMessage.status, OutboxMessage.platform_message_id).where(
                        OutboxMessage.dedup_key == delivery.edit_of
                    )
                )
            ).first()
            if original is not None and original.status in (PENDING, SENDING):
                raise TransientError("the edited message is not sent yet")
            reason = ""
            if not transport.supports_edit:
                reason = f"{delivery.chat.platform} cannot edit messages"
            elif original is None or original.status != SENT:
                reason = "the original message was not delivered"
            elif not original.platform_message_id:
                reason = "the original message has no id"
            if reason:
                row.status, row.sent_at, row.last_error = SENT, now, f"dropped: {reason}"
                log.info("edit %s dropped: %s", delivery.dedup_key, reason)
                return None
            # Claimed again with the content read now: an edit queued after this point sets
            # the row back to pending, and the conditional _mark_sent leaves it so.
            row.status = SENDING
            return edit_delivery(delivery, row.content, original.platform_message_id)

    async def _mark_sent(self, row_id: int, message_id: str, *, only_if_sending: bool) -> None:
        # Written with the other marks waiting now, in one transaction (bot/delivery/marks.py).
        await self._marks.mark(row_id, message_id, only_if_sending=only_if_sending)

    async def _hand_back(self, deliveries: list[Delivery]) -> None:
        """Claimed rows not sent because the sender stops: waiting again as before, their
        claim not counted as an attempt."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_([d.id for d in deliveries]),
                    OutboxMessage.status == SENDING,
                )
                .values(
                    status=PENDING,
                    attempts=OutboxMessage.attempts - 1,
                    claimed_by=None,
                )
            )

    async def _release(self, deliveries: list[Delivery], *, delay: float, error: str) -> None:
        due = self._clock.now() + timedelta(seconds=delay)
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([d.id for d in deliveries]))
                .values(status=PENDING, due_at=due, last_error=error[:500])
            )
        log.info("chat %s waits %.1fs: %s", deliveries[0].chat.external_id, delay, error)

    async def _attempts(self, row_id: int) -> int:
        async with self._sessions() as session:
            return int(
                await session.scalar(
                    select(OutboxMessage.attempts).where(OutboxMessage.id == row_id)
                )
                or 1
            )

    async def _unreachable(self, delivery: Delivery, error: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == delivery.id)
                .values(status=FAILED, last_error=f"{reach.UNREACHABLE}: {error}"[:500])
            )
            if delivery.chat.kind == "direct":
                await session.execute(
                    update(Account)
                    .where(
                        Account.platform == delivery.chat.platform,
                        Account.external_id == delivery.chat.external_id,
                    )
                    .values(unreachable=True)
                )
                transport = self._transports[delivery.chat.platform]
                if transport.tells_staff_when_unreachable:
                    await reach.tell_staff_unreachable(
                        session,
                        delivery.chat.platform,
                        delivery.chat.external_id,
                        self._clock.now(),
                    )
                link = transport.deep_link("hallo")
                if link is not None:
                    await reach.ask_to_open_private_chat(
                        session,
                        delivery.chat.platform,
                        delivery.chat.external_id,
                        link,
                        self._clock.now(),
                    )
        self.wake()
        log.warning("chat %s is unreachable: %s", delivery.chat.external_id, error)

    async def bounced(self, platform: str, outbox_id: int, reason: str) -> None:
        """A message the platform had accepted came back undelivered (an e-mail's bounce):
        failed, and its address unreachable, as if the platform had refused it at once."""
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(OutboxMessage, Chat)
                    .join(Chat, Chat.id == OutboxMessage.chat_id)
                    .where(OutboxMessage.id == outbox_id)
                )
            ).first()
        if row is None or row[1].platform != platform or platform not in self._transports:
            log.info("bounce for unknown outbox row %s", outbox_id)
            return
        await self._unreachable(to_delivery(*row), f"bounced: {reason}")

    async def _give_up(self, delivery: Delivery, error: str) -> None:
        """The platform refuses this message as it is (a bug of ours): keep it, marked failed."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == delivery.id)
                .values(status=FAILED, last_error=f"refused: {error}"[:500], attachment=None)
            )
        log.error("outbox row %s refused by %s: %s", delivery.id, delivery.chat.platform, error)

    async def _recipients(self, delivery: Delivery) -> tuple[str, ...]:
        """The platform user ids of the person a direct chat belongs to."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Account.external_id)
                .join(Chat, Chat.person_id == Account.person_id)
                .where(
                    Chat.platform == delivery.chat.platform,
                    Chat.external_id == delivery.chat.external_id,
                    Account.platform == delivery.chat.platform,
                )
            )
            return tuple(rows.all())

    async def _not_private(self, delivery: Delivery, error: str) -> None:
        """The chat is not the person's alone any more: it stops being their private chat,
        and what waited for it goes to their private chat elsewhere (opened if need be)."""
        async with self._sessions.begin() as session:
            chat = await session.scalar(
                select(Chat).where(
                    Chat.platform == delivery.chat.platform,
                    Chat.external_id == delivery.chat.external_id,
                )
            )
            if chat is not None:
                await people.end_private(session, chat, self._clock.now())
        log.warning("chat %s is no longer private: %s", delivery.chat.external_id, error)

    async def _chat_moved(self, delivery: Delivery, new_external_id: str) -> None:
        async with self._sessions.begin() as session:
            await people.move_chat(
                session, delivery.chat.platform, delivery.chat.external_id, new_external_id
            )
        log.info("chat %s moved to %s", delivery.chat.external_id, new_external_id)
