"""bench/dispatch.py counts what it delivers (#22): 2,000 /start from 500 new people deliver
2,000 answers and 500 privacy notes. The benchmark used to stop its sender once as many
messages were shown as were sent in, so it printed "delivered 2,460" with the rest still
in flight, and could not tell answers from notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import dispatch as bench


async def test_the_benchmark_waits_for_every_answer_and_note_and_tells_them_apart(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the bot's data directory (the admin code) is relative
    figures = await bench.run_bot(sqlite_url, messages=60, people=15, concurrency=20)
    assert figures["delivered"] == 75
    assert (figures["answers"], figures["notes"], figures["other"]) == (60, 15, 0)
    assert figures["unanswered"] == figures["answered_more_than_once"] == 0
    assert figures["people_not_noted"] == figures["people_noted_more_than_once"] == 0
    assert figures["not_sent"] == 0
