"""`lotsenbot qr DATE` as the operator runs it: a real process, the Bot-API test server (the
further cases through the same `bot.cli.main` in this process: a Python start costs seconds)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.community import communities
from bot.domain.models import Event
from bot.infra.db import create_engine, session_factory
from tests.e2e.conftest import InProcess
from tests.e2e.telegram_bot import fast_server

ROOT = Path(__file__).resolve().parents[2]


async def _lotsenbot(
    tmp_path: Path, config: str, *args: str, program: tuple[str, ...] = ("-m", "bot")
) -> tuple[int, str, str]:
    (tmp_path / "config.toml").write_text(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *program,
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def _date(url: str, starts_at: datetime) -> int:
    engine = create_engine(url)
    async with session_factory(engine).begin() as session:
        town = await communities.create_community(session, "Stadtbibliothek", now=starts_at)
        event = Event(
            community_id=town.id, title="Digitalcafé", starts_at=starts_at, place="Rathaus"
        )
        session.add(event)
        await session.flush()
        number = event.id
    await engine.dispose()
    return number


async def test_qr_for_a_date_by_number_and_by_day(
    tmp_path: Path, sqlite_url: str, lotsenbot_in_process: InProcess
) -> None:
    in_process = lotsenbot_in_process
    base = f'[bot]\ndata_dir = "{tmp_path}"\n[database]\nurl = "{sqlite_url}"\n'
    number = await _date(sqlite_url, datetime(2026, 12, 9, 14, 0, tzinfo=UTC))

    async with fast_server() as server:
        config = base + f'[telegram]\ntoken = "{server.token}"\nbase_url = "{server.base_url}"\n'
        code, out, err = await _lotsenbot(tmp_path, config, "qr", str(number))
        assert code == 0, err
        again, out_by_day, _err = await asyncio.to_thread(in_process, "qr", "9.12.2026")
    engine = create_engine(sqlite_url)
    async with session_factory(engine)() as session:
        stored = await session.scalar(select(Event.checkin_code).where(Event.id == number))
    await engine.dispose()
    assert stored is not None and len(stored) == 5
    assert f"check-in code: {stored}" in out
    assert f"opens https://t.me/lotsen_test_bot?start=hier_{stored}" in out
    png = tmp_path / f"checkin-{number}.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    # The same date found by its day keeps its code.
    assert again == 0 and f"check-in code: {stored}" in out_by_day

    # Without Telegram there is only the number to type; a wrong day is one clear line.
    png.unlink()
    (tmp_path / "config.toml").write_text(base)
    code, out, _err = await asyncio.to_thread(in_process, "qr", str(number))
    assert code == 0 and f"/hier {stored}" in out and not png.exists()
    code, _out, err = await asyncio.to_thread(in_process, "qr", "31.2.2026")
    assert code == 2
    assert err.strip() == (
        "lotsenbot: '31.2.2026' is neither a number nor a day like 2026-12-09 or 9.12.2026"
    )


# Run after `lotsenbot qr` in a fresh Python: which of the bot's big parts it loaded.
_LOADED = """
import sys
from bot.cli import main
code = main(sys.argv[1:])
heavy = ("bot.bootstrap", "bot.adapters.telegram", "bot.adapters.matrix", "telegram", "nio",
         "handlers", "aiohttp", "bot.chat.dispatcher")
print("loaded:", sorted(m for m in sys.modules if m in heavy or m.startswith("handlers.")))
sys.exit(code)
"""


async def test_qr_loads_only_what_it_needs(tmp_path: Path, sqlite_url: str) -> None:
    """A small command starts fast: without Telegram it does not load the app's start-up,
    the chat handlers, the platforms' adapters or their libraries."""
    number = await _date(sqlite_url, datetime(2026, 12, 9, 14, 0, tzinfo=UTC))
    config = f'[bot]\ndata_dir = "{tmp_path}"\n[database]\nurl = "{sqlite_url}"\n'
    code, out, err = await _lotsenbot(tmp_path, config, "qr", str(number), program=("-c", _LOADED))
    assert code == 0, err
    assert "/hier " in out
    assert "loaded: []" in out
