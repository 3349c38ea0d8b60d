"""Real bot processes for the benchmarks: start them (webhooks on one shared port) and read
what they cost (CPU, peak RSS) from /proc. Shared by bench/multiprocess.py and
bench/busiest_hour.py."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

from tests.scenarios.reminder_setup import BotRun


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """User and system CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_s() -> float:
    """CPU seconds of every running PostgreSQL process (server and connections)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            content = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in content:
            fields = content.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def wait_until(
    condition: Callable[[], object], seconds: float, processes: list[BotRun], step: float = 0.05
) -> bool:
    """Whether ``condition()`` came true within ``seconds``; raises if a process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            process.check_alive()
        if condition():
            return True
        await asyncio.sleep(step)
    return False


def serving(process: BotRun, count: int) -> bool:
    """Whether the process's Telegram webhook listens and it knows all ``count`` processes
    (shares and rates are split only then)."""
    tail = process.tail(200_000)
    return "telegram adapter started" in tail and (count == 1 or f"{count} bot processes" in tail)


async def start_bots(
    config: Path, workdir: Path, count: int, prefix: str = "bot", seconds: float = 180.0
) -> list[BotRun]:
    """``count`` processes of ``python -m bot run`` on one config, each serving and knowing
    the others; raises with their logs' tails if they do not get there in ``seconds``."""
    processes = [BotRun(f"{prefix}-{n}", config, workdir) for n in range(count)]
    for process in processes:
        process.spawn()
    try:
        every = lambda: all(serving(p, count) for p in processes)  # noqa: E731
        if not await wait_until(every, seconds, processes):
            raise RuntimeError("not serving:\n" + "\n".join(p.tail(3000) for p in processes))
    except BaseException:
        for process in processes:
            await process.stop()
        raise
    return processes


def started(processes: list[BotRun], platform: str) -> bool:
    """Whether one of the processes started the platform's adapter (Matrix: the leader)."""
    return any(f"{platform} adapter started" in p.tail(200_000) for p in processes)
