"""The supervision of receiving loops (bot/chat/receiving.py): exponential backoff with a cap, one
log line per failure, and a state /health can report."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.chat.receiving import MAX_DELAY, RUNNING, STOPPED, Backoff, ReceiveStatus, supervise


def test_backoff_doubles_up_to_five_minutes_and_resets() -> None:
    backoff = Backoff()
    delays = [backoff.next() for _ in range(12)]
    assert delays[:5] == [1, 2, 4, 8, 16]
    assert max(delays) == MAX_DELAY == 300
    assert backoff.next(cap=30) == 30  # network trouble is tried again sooner
    backoff.reset()
    assert backoff.next() == 1


async def test_a_loop_that_fails_or_ends_is_run_again(caplog: pytest.LogCaptureFixture) -> None:
    status = ReceiveStatus("telegram")
    status.starting()
    runs: list[str] = []
    stop = False

    async def run() -> None:
        nonlocal stop
        runs.append(status.state)
        if len(runs) == 1:
            raise RuntimeError("Unauthorized\nsecond line")
        if len(runs) == 2:
            return  # ended although nobody stopped it
        status.running()
        stop = True

    with caplog.at_level(logging.ERROR, logger="bot.chat.receiving"):
        await asyncio.wait_for(
            supervise(status, "polling", run, stopping=lambda: stop, backoff=Backoff(first=0.01)),
            timeout=10,
        )
    assert runs == [
        "starting",
        "retrying: RuntimeError: Unauthorized",
        "retrying: ended unexpectedly",
    ]
    assert status.state == RUNNING and status.healthy
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "telegram: polling failed (RuntimeError: Unauthorized); not receiving, next try in 0 s",
        "telegram: polling failed (ended unexpectedly); not receiving, next try in 0 s",
    ]
    status.stopped()
    assert (status.state, status.healthy) == (STOPPED, True)
