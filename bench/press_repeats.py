"""Benchmark: what answering a repeated press costs (issue #22, a redelivered press).

Telegram delivers a webhook update again when our POST took longer than its timeout. A press
that was handled before (perhaps in another process, or before a restart) is answered once
more without text at its deadline (``TelegramAdapter._answer_done``): that stops the spinner
when the first delivery died after its commit and before its answer. In the common case the
first delivery did answer, and Telegram refuses the second answer with 400 ("query is too
old ... or query ID is invalid"). This measures that refused request against the answer
every press makes anyway, in the same run, through the adapter's own code (PTB over
aiohttp), and checks that the refusals log nothing at INFO or above.

The fake Bot API server (50 ms added to every call) runs in a process of its own, so only
the adapter's CPU is counted here. Each round answers N open presses at R/s (accepted, the
baseline), then answers the same N again as repeats (all refused); rounds alternate so a
busy minute on a shared machine hits both alike.

    .venv/bin/python bench/press_repeats.py --quick   # 1 round of 500
    .venv/bin/python bench/press_repeats.py           # 3 rounds of 2,000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.telegram_server import FakeTelegramServer


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def serve(conn: Connection, presses: int, latency_ms: float) -> None:
    """The server process: open ``presses`` button presses, serve until told to stop."""
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_serve(conn, presses, latency_ms))


async def _serve(conn: Connection, presses: int, latency_ms: float) -> None:
    server = FakeTelegramServer(strict=False, latency_ms=latency_ms)
    await server.start()
    user = server.user(30_000, "Erika")
    message = server.post_message(server.private_chat(user), user, "Hallo")["message"]
    queries = [server.press_button(user["id"], user, message["message_id"], "k", forged=True)]
    queries += [
        server.press_button(user["id"], user, message["message_id"], "k", forged=True)
        for _ in range(presses - 1)
    ]
    server._updates.clear()  # nobody receives them: only their answers are measured
    conn.send({"base_url": server.base_url, "token": server.token, "queries": queries})
    await asyncio.to_thread(conn.recv)
    conn.send(
        {
            "requests": server.requests["answerCallbackQuery"],
            "answered": len(server.answered_callbacks),
            "with_text": sum(1 for text in server.answered_callbacks.values() if text),
        }
    )
    await server.stop()


class Loud(logging.Handler):
    """Counts the adapter's records at INFO or above."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def paced(queries: list[str], rate: float, answer: Callable[[str], Awaitable[None]]) -> float:
    """Answer each query at ``rate`` per second (open loop); the CPU seconds it took."""
    before = cpu_seconds()
    started = time.monotonic()
    tasks = []
    for n, query in enumerate(queries):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(answer(query)))
    await asyncio.gather(*tasks)
    return cpu_seconds() - before


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    from pydantic import SecretStr

    from bot.adapters.telegram import TelegramAdapter
    from bot.config import TelegramSection

    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    total = args.presses * args.rounds
    process = context.Process(target=serve, args=(child, total, args.latency_ms))
    process.start()
    info = await asyncio.to_thread(conn.recv)
    section = TelegramSection.model_construct(
        token=SecretStr(info["token"]), base_url=info["base_url"], mode="polling"
    )
    adapter = TelegramAdapter(section)
    await adapter.identify()
    loud = Loud()
    logging.getLogger("bot.adapters.telegram").addHandler(loud)
    answer_cpu = repeat_cpu = 0.0
    loud_answers = loud_repeats = 0
    queries: list[str] = info["queries"]
    for round_ in range(args.rounds):
        batch = queries[round_ * args.presses : (round_ + 1) * args.presses]
        mark = loud.count
        answer_cpu += await paced(batch, args.rate, lambda q: adapter._answer(q, None))
        loud_answers += loud.count - mark
        mark = loud.count
        repeat_cpu += await paced(batch, args.rate, lambda q: adapter._answer(q, None, repeat=True))
        loud_repeats += loud.count - mark
    await adapter.stop()
    conn.send("stop")
    served = await asyncio.to_thread(conn.recv)
    await asyncio.to_thread(process.join, 30)
    return {
        "answers": total,
        "cpu_per_answer_ms": answer_cpu * 1000 / total,
        "cpu_per_refused_repeat_ms": repeat_cpu * 1000 / total,
        "refused_to_answer_ratio": repeat_cpu / answer_cpu if answer_cpu else None,
        "requests": served["requests"],
        "accepted": served["answered"],
        "refused": served["requests"] - served["answered"],
        "with_text": served["with_text"],
        "logged_info_or_above_answers": loud_answers,
        "logged_info_or_above_repeats": loud_repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=2_000, help="per round and kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=200.0, help="answers per second")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--quick", action="store_true", help="one round of 500")
    args = parser.parse_args()
    if args.quick:
        args.presses, args.rounds = 500, 1
    logging.basicConfig(level=logging.ERROR)
    load_before = "/".join(f"{x:.2f}" for x in os.getloadavg())
    figures = asyncio.run(bench(args))
    figures.update(rate=args.rate, latency_ms=args.latency_ms, load_before=load_before)
    figures["load_after"] = "/".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"accepted answer:     {figures['cpu_per_answer_ms']:.3f} ms CPU each"
        f" ({figures['accepted']} accepted)"
    )
    print(
        f"refused repeat:      {figures['cpu_per_refused_repeat_ms']:.3f} ms CPU each"
        f" ({figures['refused']} refused), ratio {figures['refused_to_answer_ratio']:.2f}"
    )
    print(
        f"logged (INFO+):      {figures['logged_info_or_above_repeats']} for the repeats,"
        f" {figures['logged_info_or_above_answers']} for the answers"
    )
    print(f"load average:        {figures['load_before']} / {figures['load_after']}")
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
