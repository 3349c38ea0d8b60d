"""The sender's claim on SQLite reads the pending rows in id order from an index and stops
after one batch, instead of sorting the whole due backlog, and asks "is an older row of this
chat still waiting?" without reading the chat's sent history. Both kept each claim at
10-100 ms with a backlog of thousands, during which the event loop stood still."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from bot.delivery.sender import Sender
from bot.infra.db import create_engine, session_factory
from tests.fakes.clock import FakeClock
from tests.fakes.memory import MemoryAdapter


async def _plan(sqlite_url: str, exclude: set[int]) -> list[str]:
    engine = create_engine(sqlite_url)
    try:
        sessions = session_factory(engine)
        sender = Sender(sessions, {"console": MemoryAdapter(platform="console")}, FakeClock())
        # The statement a claim runs, with the values it is given.
        query = sender._due_statement(bool(exclude), False)
        values: dict[str, object] = {"now": "2026-12-05 12:00:00.000000"}
        if exclude:
            values["exclude"] = sorted(exclude)
        state = query.compile(engine.sync_engine).construct_expanded_state(values)
        params = tuple(state.positional_parameters or ())
        async with sessions() as session:
            connection = await session.connection()
            raw = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {state.statement}", params)
            return [str(row[3]) for row in raw.all()]
    finally:
        await engine.dispose()


async def test_the_claim_walks_pending_rows_in_id_order(sqlite_url: str) -> None:
    for exclude in (set(), {1, 2, 3}):
        plan = await _plan(sqlite_url, exclude)
        assert any("ix_outbox_status_id" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan
        # The older-row check looks at this chat's unsent rows only.
        assert any("ix_outbox_chat_status (chat_id=? AND status=?" in step for step in plan), plan


async def test_the_claim_skips_history_and_keeps_each_chat_in_order(sqlite_url: str) -> None:
    """What the claim returns: due rows in id order, none behind an unsent older row."""
    engine = create_engine(sqlite_url)
    clock = FakeClock()
    now = clock.now()
    try:
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            for chat in (1, 2, 3, 4):
                await session.execute(
                    text(
                        "INSERT INTO chats (id, platform, external_id, kind, title, created_at)"
                        " VALUES (:id, 'console', :ext, 'direct', '', :now)"
                    ),
                    {"id": chat, "ext": f"c{chat}", "now": now},
                )
            rows = [
                # (chat, status, due in seconds from now)
                *[(1, "sent", -60)] * 30,  # history
                (1, "pending", -1),
                (2, "sending", -5),  # in flight: the chat's newer row waits
                (2, "pending", -1),
                (3, "pending", 600),  # waiting for a retry: the chat's newer row waits too
                (3, "pending", -1),
                (4, "failed", -60),  # given up on: does not hold the chat back
                (4, "pending", -1),
                (1, "pending", -1),
            ]
            for n, (chat, status, due) in enumerate(rows, start=1):
                await session.execute(
                    text(
                        "INSERT INTO outbox (id, dedup_key, chat_id, content, status, due_at,"
                        " attempts, last_error, created_at) VALUES (:id, :key, :chat,"
                        " '{\"text\": \"x\"}', :status, :due, 0, '', :now)"
                    ),
                    {
                        "id": n,
                        "key": f"k{n}",
                        "chat": chat,
                        "status": status,
                        "due": now + timedelta(seconds=due),
                        "now": now,
                    },
                )
        sender = Sender(sessions, {"console": MemoryAdapter(platform="console")}, clock)
        claimed = await sender._claim()
        assert {chat: [d.id for d in ds] for chat, ds in claimed.items()} == {
            1: [31, 38],
            4: [37],
        }
    finally:
        await engine.dispose()
