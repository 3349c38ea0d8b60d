"""Benchmark: the CPU of one button press's answer (answerCallbackQuery), PTB's way and ours.

PTB's way: ``Bot.answer_callback_query`` through PTB's request machinery over our
``AiohttpRequest`` (what the adapter did until #22, third pass). Ours: ``answer_callback_query``
in ``bot/adapters/telegram_request.py``, one prebuilt JSON POST on the same kind of session.
Both against a minimal HTTP server in a process of its own on 127.0.0.1 that answers every
POST with ``{"ok":true,"result":true}`` (its CPU is not counted), 20 answers at a time, the
two ways alternated in the same process; CPU is ``time.process_time`` of this process.

    .venv/bin/python bench/press_answer.py            # 3 rounds of 3,000 answers each way
    .venv/bin/python bench/press_answer.py --quick    # 3 rounds of 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TOKEN = "123456:AAbenchTokenThatIsOnlyUsedOn127001xxxxx"


def serve(port: int) -> None:
    """The server process: every POST is a successful answer."""
    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=b'{"ok":true,"result":true}', content_type="application/json")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise SystemExit("the server did not start")


async def measure(args: argparse.Namespace) -> dict[str, object]:
    import telegram

    from bot.adapters.telegram_request import AiohttpRequest, answer_callback_query

    port = free_port()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(port,), daemon=True)
    server.start()
    try:
        await until_listening(port)
        request = AiohttpRequest(connection_pool_size=32)
        bot = telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        url = f"{bot.base_url}/answerCallbackQuery"

        async def ptb(query_id: str) -> None:
            await bot.answer_callback_query(query_id)

        async def ours(query_id: str) -> None:
            refused = await answer_callback_query(request, url, query_id, None)
            assert refused is None, refused

        ways = {"ptb": ptb, "ours": ours}
        for way in ways.values():  # warm-up: connections open, caches filled
            await asyncio.gather(*(way(str(n)) for n in range(200)))
        figures: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for name, way in ways.items():
                began = time.process_time()
                for start in range(0, args.answers, 20):
                    await asyncio.gather(*(way(str(start + n)) for n in range(20)))
                figures[name].append((time.process_time() - began) * 1000 / args.answers)
        await request.shutdown()
    finally:
        server.terminate()
    ptb_ms, ours_ms = min(figures["ptb"]), min(figures["ours"])
    return {
        "answers": args.answers,
        "rounds": args.rounds,
        "ptb_cpu_ms_per_answer_runs": [round(v, 4) for v in figures["ptb"]],
        "ours_cpu_ms_per_answer_runs": [round(v, 4) for v in figures["ours"]],
        "ptb_cpu_ms_per_answer": round(ptb_ms, 4),
        "ours_cpu_ms_per_answer": round(ours_ms, 4),
        "ours_to_ptb_ratio": round(ours_ms / ptb_ms, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="500 answers per round")
    args = parser.parse_args()
    if args.quick:
        args.answers = 500
    load_before = "/".join(f"{v:.2f}" for v in os.getloadavg())
    figures = asyncio.run(measure(args))
    figures["load_before"] = load_before
    figures["load_after"] = "/".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"PTB's way {figures['ptb_cpu_ms_per_answer_runs']} ms, ours"
        f" {figures['ours_cpu_ms_per_answer_runs']} ms of CPU per answer (best: ratio"
        f" {figures['ours_to_ptb_ratio']}); load {load_before} -> {figures['load_after']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
