"""Two bot processes on one PostgreSQL database, one of them SIGKILLed three times while
5,000 messages go out to Telegram and Matrix, people write to the bot and a reminder falls
due (issue #10): nothing lost, nothing repeated on Matrix, at most one repeat per kill on
Telegram."""

from __future__ import annotations

import json
from pathlib import Path

from tests.scenarios.cluster_campaign import ClusterResult, run_campaign
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

KILLS = 3


def _report(result: ClusterResult, workdir: Path) -> str:
    logs = "\n".join(
        f"--- {name} ---\n{(workdir / f'{name}.log').read_text(errors='replace')[-3000:]}"
        for name in ("bot-a", "bot-b")
        if (workdir / f"{name}.log").exists()
    )
    return f"{result.notes}\n{result.kills}\noutbox {result.outbox}\n{logs}"


async def test_two_processes_one_killed_deliver_everything_once(
    synapse: SynapseServer, postgres_url: str, tmp_path: Path
) -> None:
    result = await run_campaign(
        postgres_url,
        synapse,
        tmp_path,
        telegram_chats=500,
        per_telegram_chat=5,
        matrix_rooms=25,
        per_matrix_room=100,
        people_writing=60,
        people_reminded=40,
        kills=KILLS,
        finish_timeout=240,
    )
    report = _report(result, tmp_path)
    assert len(result.expected) == 5000
    assert len(result.kills) == KILLS
    assert result.outbox == {"sent": 5000}, report
    assert result.lost("telegram") == 0, report
    assert result.lost("matrix") == 0, report
    assert result.duplicates("matrix") == 0, report
    assert result.duplicates("telegram") <= KILLS, report
    # People who wrote while processes died were answered, once (webhooks on either process).
    assert result.replies_lost == 0, report
    assert result.replies_duplicated <= KILLS, report
    # A reminder that fell due right after the leader died was sent by the new leader, once.
    assert result.reminders_lost == 0, report
    assert result.reminders_duplicated <= KILLS, report
    # Both processes wrote structured logs naming their process.
    lines = [
        json.loads(line)
        for name in ("bot-a", "bot-b")
        for line in (tmp_path / f"{name}.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert {"leader", "process", "pid"} <= set().union(*(line.keys() for line in lines[-50:]))
