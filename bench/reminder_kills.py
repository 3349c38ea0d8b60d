"""Benchmark: SIGKILL the bot again and again during a reminder fan-out; count lost and
duplicated reminders (issue #6 point 6).

Per platform: one date with ``--reminders`` people signed up and one due "2h" reminder is
written into a fresh, migrated SQLite database (tests/scenarios/reminder_setup.py). The bot runs
as a subprocess (``python -m bot --config FILE run``, the system clock) and is SIGKILLed
``--kills`` times at random points, restarted each time, and after the last restart left to
finish: about a third of the kills fall before the job committed (during start-up, or
aimed at the job's own transaction, whose length the campaign learns), the rest while the
outbox delivers (after a random number of further messages) or during a restart that
recovers a half-sent outbox. After every kill the database must hold the reminder's outbox
rows completely or not at all. Then every recipient's copies are counted on the platform.

* Telegram: FakeTelegramServer in this process, strict, with Telegram's real windows (30
  sends/s overall, 1/s per private chat, 429 with retry_after beyond); one private chat per
  person. The bot's default ``max_in_flight = 1``: a kill may repeat the one message in
  flight. Goal: 0 lost, duplicates <= kills.
* Matrix: the suite's Synapse (tests/servers/synapse.py) on 127.0.0.1; every person is a real
  account (shared-secret admin registration) who opened a direct room with the bot, which
  the bot joined before its first start (as after a member's first "!start"); the bot's rate
  limit is lifted with override_ratelimit as the README tells operators. Sends carry
  transaction ids from the outbox dedup keys. Goal: 0 lost, 0 duplicates. Copies are counted
  from each room's history.

    .venv/bin/python bench/reminder_kills.py                         # 1,000 x 20 kills, both
    .venv/bin/python bench/reminder_kills.py --platform telegram --reminders 200 --kills 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scenarios.reminder_platforms import matrix_campaign, telegram_campaign
from tests.scenarios.reminder_setup import CampaignResult
from tests.servers.synapse import SynapseServer


def figures_of(platform: str, result: CampaignResult, extra: dict[str, Any]) -> dict[str, Any]:
    phases = result.phases
    out = {
        f"{platform}_reminders": len(result.expected),
        f"{platform}_kills": len(result.kills),
        f"{platform}_lost": result.lost,
        f"{platform}_duplicates": result.duplicates,
        f"{platform}_kills_before_job": phases["startup"],
        f"{platform}_kills_in_job": phases["job"],
        f"{platform}_kills_in_delivery": phases["delivery"],
        f"{platform}_kills_after_delivery": phases["after delivery"],
        f"{platform}_outbox_not_sent": result.final_state.rows
        - result.final_state.by_status.get("sent", 0),
        f"{platform}_job_transaction_s": result.job_transaction_s or 0.0,
        f"{platform}_setup_s": extra["setup_s"],
        f"{platform}_campaign_s": result.elapsed_s,
    }
    if "count_429" in extra:
        out[f"{platform}_count_429"] = extra["count_429"]
    return out


def summary(platform: str, result: CampaignResult, goal: str) -> list[str]:
    phases = result.phases
    lines = [
        f"{platform}: {len(result.expected)} reminders, {len(result.kills)} kills"
        f" (before the job {phases['startup']}, in the job {phases['job']},"
        f" during delivery {phases['delivery']}, after delivery {phases['after delivery']})",
        f"  lost {result.lost}, duplicates {result.duplicates} ({goal});"
        f" campaign {result.elapsed_s:.1f} s",
    ]
    if result.job_transaction_s is not None:
        lines.append(f"  the job's transaction took about {result.job_transaction_s:.2f} s")
    lines += [f"  note: {note}" for note in result.notes]
    return lines


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    lines: list[str] = []
    common: dict[str, Any] = {
        "reminders": args.reminders,
        "kills": args.kills,
        "seed": args.seed,
        "finish_timeout": args.finish_timeout,
        "say": print,
    }
    platforms = ["telegram", "matrix"] if args.platform == "both" else [args.platform]
    for platform in platforms:
        print(f"{platform}:", flush=True)
        tmp = tempfile.mkdtemp(prefix=f"reminder-kills-{platform}-")
        try:
            if platform == "telegram":
                result, extra = await telegram_campaign(Path(tmp), **common)
                goal = f"goal 0 / <= {len(result.kills)}"
            else:
                server = SynapseServer()
                try:
                    await asyncio.to_thread(server.start)
                    result, extra = await matrix_campaign(server, Path(tmp), **common)
                finally:
                    await asyncio.to_thread(server.stop)
                goal = "goal 0 / 0"
        finally:
            if args.keep:
                print(f"  the bot's directory and log were kept: {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        lines += summary(platform, result, goal)
        figures |= figures_of(platform, result, extra)
    print()
    for line in lines:
        print(line)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", choices=("telegram", "matrix", "both"), default="both")
    parser.add_argument("--reminders", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--finish-timeout", type=float, default=600.0, help="seconds for the last run"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bot's directory and log")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `timeout` too stops Synapse
    began = time.monotonic()
    figures = asyncio.run(main_async(args))
    figures["elapsed_s"] = time.monotonic() - began
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
