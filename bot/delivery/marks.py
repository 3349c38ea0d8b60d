"""Sent marks written together: one transaction for the rows sent meanwhile.

After a send the sender records it (status sent, the platform's message id). Written one
by one, each mark took the single SQLite connection for a transaction of its own, and under
load the marks queued behind the updates' groups and held them up in turn (#22: 2,500 marks
for 2,000 updates, each a BEGIN, an UPDATE and a COMMIT). Here the marks that are waiting are
written in one transaction: one BEGIN, two prepared UPDATEs run for every row (plain sends,
and edits, which are only marked if still sending), one COMMIT.

The delivery rule is unchanged: a chat's next message is sent only after its previous one's
mark is committed (each caller waits for its batch's COMMIT, as it waited for its own), so a
crash repeats at most the one message in flight per chat. A batch that fails fails every
mark of it, as each mark's own transaction would have: the sender then handles the row as
before (sent again later; Matrix drops the repeat by its transaction id).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.domain.models import OutboxMessage
from bot.infra.clock import Clock

SENT, SENDING = "sent", "sending"

_table = OutboxMessage.__table__
# A delivered file (an export, a copy of someone's data) is not kept: the bytes go.
_MARK = (
    update(_table)
    .where(_table.c.id == bindparam("row_id"))
    .values(
        status=SENT,
        platform_message_id=bindparam("message_id"),
        sent_at=bindparam("at"),
        attachment=None,
    )
)
# An edit row set back to pending while its send was out has a newer text: left as it is.
_MARK_IF_SENDING = _MARK.where(_table.c.status == SENDING)

_Mark = tuple[int, str, bool]  # row id, the platform's message id, only if still sending


class SentMarks:
    def __init__(self, sessions: async_sessionmaker, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._waiting: list[tuple[_Mark, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # committed batches, for figures

    async def mark(self, row_id: int, message_id: str, *, only_if_sending: bool) -> None:
        """Record the row as sent; return once that is committed (with the others waiting)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(((row_id, message_id, only_if_sending), future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="sent-marks")
            self._writer.add_done_callback(self._written)
        # Shielded: a caller stopping meanwhile does not take the others' batch down; its own
        # mark is written all the same (the message went out).
        await asyncio.shield(future)

    async def _write(self) -> None:
        while self._waiting:
            await asyncio.sleep(0)  # the sends finishing in this round join the batch
            batch, self._waiting = self._waiting, []
            try:
                await self._commit([mark for mark, _future in batch])
            except Exception as exc:  # the database: each mark fails as it would alone
                for _mark, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            except BaseException:
                for _mark, future in batch:
                    future.cancel()
                raise
            self.batches += 1
            for _mark, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _commit(self, marks: list[_Mark]) -> None:
        at = self._clock.now()
        plain = [{"row_id": r, "message_id": m, "at": at} for r, m, only in marks if not only]
        edits = [{"row_id": r, "message_id": m, "at": at} for r, m, only in marks if only]
        async with self._sessions.begin() as session:
            connection = await session.connection()
            for statement, rows in ((_MARK, plain), (_MARK_IF_SENDING, edits)):
                if rows:
                    await connection.execute(statement, rows)

    def _written(self, task: asyncio.Task[Any]) -> None:
        """The writer ended (cancelled before it began, too): whoever still waits is told."""
        if self._writer is not task:
            return
        self._writer = None
        waiting, self._waiting = self._waiting, []
        for _mark, future in waiting:
            if not future.done():
                future.cancel()
