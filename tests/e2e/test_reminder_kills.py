"""SIGKILL the bot during a reminder fan-out, restart it each time: nobody loses the
reminder; on Telegram at most the message in flight at each kill repeats, on Matrix
nothing repeats (transaction ids). The short version of ``bench/reminder_kills.py``."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.telegram_bot import FAST_LIMITS
from tests.scenarios.reminder_platforms import matrix_campaign, telegram_campaign
from tests.scenarios.reminder_setup import CampaignResult
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

KILLS = 3


def _report(result: CampaignResult, workdir: Path) -> str:
    kills = "\n".join(f"  {k}" for k in result.kills)
    log = (workdir / "bot.log").read_text(errors="replace")[-3000:]
    return f"{result.notes}\n{kills}\nstate {result.final_state}\n--- bot.log ---\n{log}"


async def test_telegram_reminders_survive_kills(tmp_path: Path) -> None:
    result, _extra = await telegram_campaign(
        tmp_path, reminders=60, kills=KILLS, seed=1, finish_timeout=60, limits=FAST_LIMITS
    )
    assert len(result.kills) == KILLS
    assert result.lost == 0, _report(result, tmp_path)
    assert result.duplicates <= KILLS, _report(result, tmp_path)
    assert result.final_state.by_status == {"sent": 60}


async def test_matrix_reminders_survive_kills(synapse: SynapseServer, tmp_path: Path) -> None:
    result, _extra = await matrix_campaign(
        synapse, tmp_path, reminders=40, kills=KILLS, seed=1, finish_timeout=60
    )
    assert len(result.kills) == KILLS
    assert result.lost == 0, _report(result, tmp_path)
    assert result.duplicates == 0, _report(result, tmp_path)
    assert result.final_state.by_status == {"sent": 40}
