"""Backup, restore and the move to PostgreSQL, judged by what people see in the chat after."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import tarfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.bootstrap import build_app, prepare
from bot.domain.models import Event, OutboxMessage, Person, Rsvp
from bot.infra import migrate
from bot.infra.backup import BackupError, backup, restore
from bot.infra.move import MoveError, move
from bot.infra.process_lock import sqlite_lock
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, telegram_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP
from tests.servers.postgres import PostgresCluster
from tests.servers.provision_postgres import find_pg_bin

ERIKA = Someone("2", "Erika")


def _settings(data_dir: Path, url: str = "", **sections: dict):  # type: ignore[no-untyped-def,type-arg]
    # No database URL: the SQLite file in the data directory, as a deployment has it.
    return make_settings(url, data_dir, bot={"admins": ["telegram:1"]}, **sections)


@asynccontextmanager
async def _bot(
    data_dir: Path,
    url: str = "",
    *,
    first: bool = False,
    **sections: dict,  # type: ignore[type-arg]
) -> AsyncIterator[Conversation]:
    settings = _settings(data_dir, url, **sections)
    if settings.database_url.startswith("sqlite"):
        await asyncio.to_thread(migrate.upgrade, settings.database_url)
    app = build_app(settings, clock=FakeClock(), adapters=[telegram_like()])
    await prepare(app)
    await app.sender.recover()
    conversation = Conversation(app, app.adapters["telegram"])  # type: ignore[arg-type]
    if first:
        await conversation.say(ADA, "/verbinden 1", chat=conversation.group(GROUP))
        await conversation.say(ADA, "/start", chat=conversation.group(GROUP))
    try:
        yield conversation
    finally:
        await app.close()


async def _first_date(bot: Conversation) -> Event:
    async with bot.app.sessions() as session:
        return (await session.scalars(select(Event).order_by(Event.starts_at))).first()


async def _signed_up(bot: Conversation) -> None:
    """Erika talks to the bot; staff sign her and someone by phone up for the first date."""
    await bot.say(ERIKA, "/start", chat=bot.group(GROUP))
    event = await _first_date(bot)
    await bot.say(ADA, f"/anmelden_fuer {event.id}; =Erika Muster; ; 1")
    await bot.say(ADA, f"/anmelden_fuer {event.id}; Hans Alt; 04542 1234; 2")


async def _answers(bot: Conversation) -> list[str]:
    """What Erika and staff see when they ask for the dates and who comes."""
    event = await _first_date(bot)
    return [
        s.text
        for who, text in ((ERIKA, "/termine"), (ADA, "/termine"), (ADA, f"/teilnehmer {event.id}"))
        for s in await bot.say(who, text)
    ]


async def test_backup_then_restore_answers_the_same(tmp_path: Path) -> None:
    data = tmp_path / "var"
    async with _bot(data, first=True) as bot:
        await _signed_up(bot)
        before = await _answers(bot)
        (data / "matrix").mkdir()
        (data / "matrix" / "device.txt").write_text("LOTSENBOT01")
        # The Matrix client's store, open and in WAL mode, with rows only in its -wal file.
        store = _matrix_store(data / "matrix" / "store.db")
        # While the bot runs: its database connection is open.
        made = backup(bot.app.settings.database_url, data, tmp_path / "backup.tar.gz")
        store.close()
    assert made.database == "sqlite" and made.migration == migrate.head_revision()
    assert "Hans Alt" in "\n".join(before)

    elsewhere = tmp_path / "new" / "var"
    restore(tmp_path / "backup.tar.gz", _settings(elsewhere).database_url, elsewhere)
    assert (elsewhere / "matrix" / "device.txt").read_text() == "LOTSENBOT01"
    # One self-contained file, never a copy of a -wal file being written meanwhile.
    assert sorted(p.name for p in (elsewhere / "matrix").iterdir()) == ["device.txt", "store.db"]
    restored_store = sqlite3.connect(elsewhere / "matrix" / "store.db")
    assert restored_store.execute("SELECT key FROM olm").fetchall() == [("olm account",)]
    restored_store.close()
    async with _bot(elsewhere) as bot:
        assert await _answers(bot) == before


async def test_backup_refuses_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "var"
    async with _bot(data) as bot:
        url = bot.app.settings.database_url
    with pytest.raises(BackupError, match=r"^.*missing: directory not found$"):
        backup(url, data, tmp_path / "missing" / "b.tar.gz")
    (tmp_path / "b.tar.gz").write_bytes(b"older backup")
    with pytest.raises(BackupError, match="file exists; add --force to replace it"):
        backup(url, data, tmp_path / "b.tar.gz")
    assert (tmp_path / "b.tar.gz").read_bytes() == b"older backup"
    backup(url, data, tmp_path / "b.tar.gz", force=True)
    # Restoring over a deployment that has data changes nothing.
    with pytest.raises(BackupError, match="not empty; restore only into an empty data directory"):
        restore(tmp_path / "b.tar.gz", url, data)
    _pretend_newer(tmp_path / "b.tar.gz", tmp_path / "newer.tar.gz")
    with pytest.raises(BackupError, match=r"made by a newer Lotsenbot \(9.0, migration 9999\)"):
        restore(tmp_path / "newer.tar.gz", url, tmp_path / "empty")
    with pytest.raises(BackupError, match="not a Lotsenbot backup"):
        restore(data / "lotsenbot.db", url, tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


def _pretend_newer(source: Path, target: Path) -> None:
    """The backup as a later release would write it: a migration this one does not know."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member)
            if member.name == "manifest.json" and data is not None:
                manifest = {**json.loads(data.read()), "version": "9.0", "migration": "9999"}
                encoded = json.dumps(manifest).encode()
                member.size = len(encoded)
                data = io.BytesIO(encoded)
            new.addfile(member, data)


def _matrix_store(path: Path) -> sqlite3.Connection:
    store = sqlite3.connect(path)
    store.execute("PRAGMA journal_mode=WAL")
    store.execute("CREATE TABLE olm (key TEXT)")
    store.execute("INSERT INTO olm VALUES ('olm account')")
    store.commit()
    assert _size(Path(f"{path}-wal")) > 0
    return store


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


async def test_backup_while_the_bot_writes_is_one_consistent_state(tmp_path: Path) -> None:
    """What was committed is in the copy, also what is still only in the -wal file; what a
    writer has not committed yet is not; the copy is a whole, sound database."""
    data = tmp_path / "var"
    async with _bot(data, first=True) as bot:
        await _signed_up(bot)
        database = Path(bot.app.settings.database_url.removeprefix("sqlite+aiosqlite:///"))
        assert _size(Path(f"{database}-wal")) > 0  # committed rows not yet in the file
        async with bot.app.sessions() as session:
            people_before = await session.scalar(select(func.count(Person.id)))
            signed_up = await session.scalar(select(func.count(Rsvp.id)))
        # A writer in the middle of its transaction while the backup runs in another thread.
        async with bot.app.sessions.begin() as session:
            session.add_all(Person(display_name=f"Neu {n}") for n in range(50))
            await session.flush()
            await asyncio.to_thread(
                backup, str(bot.app.settings.database_url), data, tmp_path / "b.tar.gz"
            )
        async with bot.app.sessions() as session:
            assert await session.scalar(select(func.count(Person.id))) == people_before + 50

    with tarfile.open(tmp_path / "b.tar.gz") as archive:
        names = archive.getnames()
        archive.extract("database/lotsenbot.db", tmp_path / "out", filter="data")
    assert not any(name.endswith(("-wal", "-shm", ".lock")) for name in names)
    copy = sqlite3.connect(tmp_path / "out" / "database" / "lotsenbot.db")
    assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
    assert copy.execute("SELECT count(*) FROM persons").fetchone() == (people_before,)
    assert copy.execute("SELECT count(*) FROM rsvps").fetchone() == (signed_up,)
    copy.close()


async def test_move_to_postgres_keeps_dates_sign_ups_and_pending_messages(
    tmp_path: Path, postgres_url: str
) -> None:
    data = tmp_path / "var"
    async with _bot(data, first=True) as bot:
        await _signed_up(bot)
        before = await _answers(bot)
        # Two messages the bot had not sent yet when it was stopped (written as the
        # scheduler writes them: due now, pending).
        async with bot.app.sessions.begin() as session:
            sent = (
                await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
            ).first()
            for n in (1, 2):
                session.add(
                    OutboxMessage(
                        dedup_key=f"moved-{n}",
                        chat_id=sent.chat_id,
                        content={**sent.content, "text": f"Noch nicht gesendet {n}"},
                        due_at=bot.app.clock.now(),
                    )
                )
        sqlite_url = bot.app.settings.database_url
        # Refused while the bot runs (its lock is held).
        lock = sqlite_lock(sqlite_url)
        assert lock is not None
        lock.acquire()
        try:
            with pytest.raises(MoveError, match=r"^the bot is running: "):
                await asyncio.to_thread(move, sqlite_url, postgres_url, lambda line: None)
        finally:
            lock.release()
        to = sent.chat_id

    said: list[str] = []
    copied = await asyncio.to_thread(move, sqlite_url, postgres_url, said.append)
    assert copied["events"] > 0 and copied["rsvps"] == 2
    assert "rsvps: 2 rows" in said and f"outbox: {copied['outbox']} rows" in said
    with pytest.raises(MoveError, match=r"^the target database is not empty"):
        await asyncio.to_thread(move, sqlite_url, postgres_url, lambda line: None)

    async with _bot(tmp_path / "pg", postgres_url) as bot:
        # The pending messages go out from PostgreSQL.
        shown = await bot.flush()
        assert [s.text for s in shown][-2:] == ["Noch nicht gesendet 1", "Noch nicht gesendet 2"]
        assert await _answers(bot) == before
        # New rows get new ids (the sequences were set past the copied ones).
        await bot.say(Someone("3", "Hans"), "/start")
        async with bot.app.sessions() as session:
            assert await session.scalar(select(func.count(OutboxMessage.id))) > copied["outbox"]
    assert to


async def test_daily_backup_once_a_day_after_its_time_keeping_the_newest(tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    wanted = {"dir": str(backups), "keep": 2, "time": "03:00", "timezone": "Europe/Berlin"}
    async with _bot(tmp_path / "var", first=True, backup=wanted) as bot:
        clock = bot.app.clock
        clock.set(datetime(2026, 11, 20, 1, 59, tzinfo=UTC))  # 02:59 in Berlin
        await bot.app.scheduler.run_due()
        assert _names(backups) == []
        clock.advance(minutes=1)
        await bot.app.scheduler.run_due()
        assert _names(backups) == ["lotsenbot-2026-11-20.tar.gz"]
        await _signed_up(bot)
        await bot.app.scheduler.run_due()  # once a day, however often the scheduler wakes
        for day in (21, 22, 23):
            clock.set(datetime(2026, 11, day, 2, 30, tzinfo=UTC))
            await bot.app.scheduler.run_due()
        assert _names(backups) == ["lotsenbot-2026-11-22.tar.gz", "lotsenbot-2026-11-23.tar.gz"]
        before = await _answers(bot)
    restored = tmp_path / "restored"
    restore(backups / "lotsenbot-2026-11-23.tar.gz", _settings(restored).database_url, restored)
    async with _bot(restored) as bot:
        assert await _answers(bot) == before


async def test_no_daily_backup_unless_configured(tmp_path: Path) -> None:
    async with _bot(tmp_path / "var", first=True) as bot:
        bot.app.clock.set(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
        await bot.app.scheduler.run_due()
    assert _backups_under(tmp_path) == []


def _backups_under(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*.tar.gz"))


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


async def test_postgresql_backup_and_restore_through_pg_dump(
    tmp_path: Path, postgres_cluster: PostgresCluster, postgres_url: str
) -> None:
    tools = postgres_cluster.bin_dir or find_pg_bin()
    assert tools is not None, "the PostgreSQL client programs are part of the test setup"
    programs = {"pg_dump": str(tools / "pg_dump"), "pg_restore": str(tools / "pg_restore")}
    first = postgres_url
    name = f"lotsenbot_t_{uuid.uuid4().hex[:16]}"
    second = postgres_cluster.create_database(name)
    try:
        await _pg_backup_and_restore(tmp_path, programs, first, second)
    finally:
        postgres_cluster.drop_database(name)


async def _pg_backup_and_restore(
    tmp_path: Path, programs: dict[str, str], first: str, second: str
) -> None:
    await asyncio.to_thread(migrate.upgrade, first)
    async with _bot(tmp_path / "var", first, first=True) as bot:
        await _signed_up(bot)
        before = await _answers(bot)
        (tmp_path / "var" / "matrix").mkdir(parents=True)
        (tmp_path / "var" / "matrix" / "keys.db").write_bytes(b"olm account")
        made = await asyncio.to_thread(
            backup, first, tmp_path / "var", tmp_path / "pg.tar.gz", pg_dump=programs["pg_dump"]
        )
    assert made.database == "postgresql" and made.migration == migrate.head_revision()
    with pytest.raises(BackupError, match="the database is not empty"):
        await asyncio.to_thread(
            restore,
            tmp_path / "pg.tar.gz",
            first,
            tmp_path / "new",
            pg_restore=programs["pg_restore"],
        )
    with pytest.raises(BackupError, match="holds a postgresql database but the configuration"):
        restore(tmp_path / "pg.tar.gz", _settings(tmp_path / "new").database_url, tmp_path / "new")
    await asyncio.to_thread(
        restore, tmp_path / "pg.tar.gz", second, tmp_path / "new", pg_restore=programs["pg_restore"]
    )
    assert (tmp_path / "new" / "matrix" / "keys.db").read_bytes() == b"olm account"
    async with _bot(tmp_path / "new", second) as bot:
        assert await _answers(bot) == before
