"""A reminder fan-out to many people and a campaign of SIGKILLs against the bot sending it.

Shared by ``tests/e2e/test_reminder_kills.py`` (short) and ``bench/reminder_kills.py``
(long), issue #6 point 6.

``seed_reminder`` writes one community, one date starting in 1 h 50 min (real clock: the bot
runs as a subprocess on the system clock), a place ("yes") for every recipient with their
account and private chat, and exactly one job: the "2h" reminder, due now. Nothing else is
scheduled, so everything the bot sends to these chats is that reminder.

``KillCampaign`` starts the bot (``python -m bot --config FILE run``), SIGKILLs it at random
points, restarts it, and after the last restart lets it finish. The kill points:

* ``startup``: a random time between the spawn and the start of the job's transaction;
* ``job``: inside the job's transaction: once the bot has held SQLite's write lock for
  20 ms (seen without touching it: ``fcntl(F_GETLK)`` on the WAL index, see
  ``write_locked``), a random time within about the transaction's length (learned from the
  run that committed it; a guess from the number of people before);
* ``delivery``: when the platform has received a random number of further messages
  (spread so the remaining kills fall over the remaining messages);
* ``restart``: a random time within the start-up of a bot that recovers a half-sent outbox.

After every kill the database is read while the bot is down: the reminder's outbox rows
must be all there or none (the job's transaction is atomic) and the job done exactly when
they are there. Each kill is classified by that state: before the job committed (split into
"startup" and "job" by whether the write lock was held at the kill), during delivery, or
after delivery.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import random
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.chat.types import ChatRef, Sender
from bot.community import communities
from bot.domain import people
from bot.domain.models import Event, Job, Rsvp
from bot.infra.db import create_engine, session_factory

ROOT = Path(__file__).resolve().parents[2]
TITLE = "Erinnerungsprobe im Digitalcafé"
PLACE = "Stadtbibliothek, Raum 2"
STARTS_IN = timedelta(hours=1, minutes=50)  # inside the "2h" reminder's window
# SQLite's WAL write lock: one byte of the -shm file (UNIX_SHM_BASE = 120, WAL_WRITE_LOCK = 0),
# taken by BEGIN IMMEDIATE and held until COMMIT or ROLLBACK.
WAL_WRITE_LOCK_BYTE = 120
LONG_TRANSACTION_S = 0.02


@dataclass(frozen=True)
class Recipient:
    """One person with a place: their platform account and their private chat."""

    account_id: str  # Telegram: the user id; Matrix: "@user:server"
    chat_id: str  # Telegram: the user id again; Matrix: the direct room "!room:server"
    name: str


async def seed_reminder(url: str, platform: str, recipients: Sequence[Recipient]) -> int:
    """Write the community, the date, every place and the one due reminder; returns the
    date's id. The database must be migrated already."""
    now = datetime.now(UTC)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            community = await communities.create_community(session, "Erinnerungsprobe", now=now)
            event = Event(
                community_id=community.id,
                title=TITLE,
                starts_at=now + STARTS_IN,
                place=PLACE,
                capacity=None,
                created_at=now,
            )
            session.add(event)
            await session.flush()
            for seq, person in enumerate(recipients, start=1):
                sender = Sender(person.account_id, person.name, None)
                account = await people.get_or_create_account(session, platform, sender, now)
                ref = ChatRef(platform, person.chat_id, "direct")
                chat = await people.get_or_create_chat(session, ref, now)
                await session.flush()
                chat.person_id = account.person_id
                await communities.add_member(session, account.person_id, community.id, now)
                session.add(
                    Rsvp(
                        event_id=event.id,
                        person_id=account.person_id,
                        status="yes",
                        party_size=1,
                        seq=seq,
                        created_at=now,
                        updated_at=now,
                    )
                )
            session.add(
                Job(
                    event_id=event.id, kind="reminder", offset_spec="2h", due_at=now, created_at=now
                )
            )
        return int(event.id)
    finally:
        await engine.dispose()


def write_config(path: Path, data_dir: Path, db_path: Path, platform_section: str) -> Path:
    """A config for the bot subprocess: one platform, no console, no demo community."""
    path.write_text(
        f'[bot]\ndata_dir = "{data_dir}"\nadmins = ["console:nobody"]\n'
        f'[database]\nurl = "sqlite+aiosqlite:///{db_path}"\n'
        f"{platform_section}"
        '[console]\nenabled = "no"\n'
        "[demo]\nenabled = false\n"
        '[logging]\nlevel = "INFO"\n'
    )
    return path


@dataclass
class DbState:
    job_status: str
    rows: int  # the reminder's outbox rows
    by_status: dict[str, int]


def read_state(db_path: Path, event_id: int) -> DbState:
    """The job and its outbox rows, read while the bot is down (or between its writes)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30) as db:
        (status,) = db.execute(
            "SELECT status FROM jobs WHERE event_id = ? AND kind = 'reminder'", (event_id,)
        ).fetchone()
        pattern = f"remind:{event_id}:%"
        by_status = dict(
            db.execute(
                "SELECT status, count(*) FROM outbox WHERE dedup_key LIKE ? GROUP BY status",
                (pattern,),
            ).fetchall()
        )
    db.close()
    return DbState(status, sum(by_status.values()), by_status)


def write_locked(db_path: Path) -> bool:
    """Whether another process holds the database's write lock (asks, takes nothing)."""
    try:
        fd = os.open(f"{db_path}-shm", os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, WAL_WRITE_LOCK_BYTE, 1, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        return struct.unpack("hhqqi", answer)[0] != fcntl.F_UNLCK
    finally:
        os.close(fd)


def job_committed(db_path: Path, event_id: int) -> bool:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute(
                "SELECT status FROM jobs WHERE event_id = ? AND kind = 'reminder'", (event_id,)
            ).fetchone()
        db.close()
    except sqlite3.OperationalError:
        return False
    return row is not None and row[0] != "scheduled"


@dataclass
class Kill:
    number: int
    mode: str  # how the moment was chosen: startup | job | delivery | restart | idle
    after_spawn_s: float
    phase: str  # where it landed: startup | job | delivery | after delivery
    delivered_before: int  # messages the platform had received at the kill


@dataclass
class CampaignResult:
    kills: list[Kill]
    received: Counter[str]  # copies received per recipient chat
    expected: list[str]
    final_state: DbState
    elapsed_s: float
    job_transaction_s: float | None  # how long the job's transaction took, about
    notes: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return sum(1 for chat in self.expected if self.received[chat] == 0)

    @property
    def duplicates(self) -> int:
        return sum(max(0, self.received[chat] - 1) for chat in self.expected)

    @property
    def phases(self) -> Counter[str]:
        return Counter(kill.phase for kill in self.kills)


class BotRun:
    """One ``python -m bot run`` with its own log file."""

    def __init__(self, name: str, config: Path, workdir: Path) -> None:
        self.name, self.config, self.workdir = name, config, workdir
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSENBOT_")}
        env["PYTHONPATH"] = str(ROOT)
        with self.log_path.open("ab") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "--config", str(self.config), "run"],
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    async def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(proc.wait), timeout=60)
        except TimeoutError:
            proc.kill()
            proc.wait(timeout=30)

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited by itself with {self.proc.returncode}:\n{self.tail()}"
            )

    def tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


class KillCampaign:
    """SIGKILLs the bot at random points of one reminder fan-out, then lets it finish.

    ``delivered`` is a cheap running count of messages the platform accepted (for choosing
    delivery kill points); ``received`` the copies each recipient's chat got in the end
    (read from the platform: the fake Telegram server's records, Synapse's rooms).
    """

    def __init__(
        self,
        *,
        config: Path,
        workdir: Path,
        db_path: Path,
        event_id: int,
        recipients: Sequence[str],
        delivered: Callable[[], int],
        received: Callable[[], Awaitable[Counter[str]]],
        rng: random.Random,
        log: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.config, self.workdir, self.db_path = config, workdir, db_path
        self.event_id = event_id
        self.recipients = list(recipients)
        self.delivered = delivered
        self.received = received
        self.rng = rng
        self.say = log
        self.bot = BotRun("bot", config, workdir)
        self._spawned_at = 0.0
        self._locked_since: float | None = None  # the write lock, as last seen held
        self.committed = False
        # Learned as the campaign goes: spawn -> the job's BEGIN, and BEGIN -> its COMMIT.
        self.job_begin_s: float | None = None
        self.job_s: float | None = None

    # -- the bot process ---------------------------------------------------------------

    @property
    def proc(self) -> subprocess.Popen[bytes] | None:
        return self.bot.proc

    def spawn(self) -> None:
        self._locked_since = None
        self.bot.spawn()
        self._spawned_at = time.monotonic()

    def kill(self) -> None:
        self.bot.kill()

    async def stop(self) -> None:
        """SIGTERM: the bot's own orderly shutdown (the loop keeps serving it meanwhile)."""
        await self.bot.stop()

    def log_tail(self, chars: int = 4000) -> str:
        return self.bot.tail(chars)

    def _lock_held_for(self) -> float:
        """Seconds the bot has held the write lock without a break (0 when it does not);
        exact to the polling interval of whoever calls this."""
        now = time.monotonic()
        if not write_locked(self.db_path):
            self._locked_since = None
            return 0.0
        if self._locked_since is None:
            self._locked_since = now
        return now - self._locked_since

    def _check_alive(self) -> None:
        self.bot.check_alive()

    async def _watch(self) -> None:
        """Learns when the job's transaction begins and how long it takes (polling)."""
        begun: float | None = None
        proc = None
        while not self.committed:
            if self.proc is not proc:
                proc, begun = self.proc, None
            if proc is not None and proc.poll() is None:
                held = self._lock_held_for()
                if held >= LONG_TRANSACTION_S and begun is None and self._locked_since:
                    begun = self._locked_since
                    self.job_begin_s = self.job_begin_s or begun - self._spawned_at
                if begun is not None and held == 0.0:
                    if job_committed(self.db_path, self.event_id):
                        self.committed = True
                        self.job_s = time.monotonic() - begun
                        return
                    begun = None  # another transaction, or the job rolled back
            await asyncio.sleep(0.002)

    # -- waiting -------------------------------------------------------------------------

    async def _sleep_alive(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._check_alive()
            await asyncio.sleep(min(left, 0.005))

    async def _until(self, condition: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            if condition():
                return True
            await asyncio.sleep(0.01)
        return False

    # -- the campaign --------------------------------------------------------------------

    def _plan(self, kills: int) -> list[str]:
        """Modes in order: about a third before the job commits (mostly aimed at its
        transaction), the rest while it delivers, a fifth of those during a restart."""
        early = min(kills, max(1, round(kills * 0.3)))
        modes = (
            ["job"] if early == 1 else ["startup" if n % 3 == 0 else "job" for n in range(early)]
        )
        late = kills - early
        restarts = round(late * 0.2)
        rest = ["restart"] * restarts + ["delivery"] * (late - restarts)
        self.rng.shuffle(rest)
        return modes + rest

    async def _kill_point(self, mode: str, kills_left: int) -> str:
        """Wait for the moment of this kill; returns how it was chosen in the end."""
        total = len(self.recipients)
        if mode in ("startup", "restart"):
            # Within this process's start-up: python, imports, migration check, recovery of
            # rows marked "sending", the first claims.
            span = self.job_begin_s if self.job_begin_s is not None else 2.0
            await self._sleep_alive(
                self.rng.uniform(0.05, span * (1.0 if mode == "startup" else 1.5))
            )
            return mode
        if mode == "job":
            if not await self._until(
                lambda: (
                    self.committed
                    or (
                        self._locked_since is not None
                        and time.monotonic() - self._locked_since >= LONG_TRANSACTION_S
                    )
                ),
                120,
            ):
                raise RuntimeError(f"the job's transaction never began:\n{self.log_tail()}")
            # Before a commit was seen: a guess, 1.5 ms per person (measured: 1.35 ms).
            length = self.job_s if self.job_s is not None else 0.1 + 0.0015 * total
            await self._sleep_alive(
                self.rng.uniform(0.0, max(0.0, length * 1.1 - LONG_TRANSACTION_S))
            )
            return mode
        # delivery: after a random number of further messages, so the remaining kills spread
        # over the remaining messages; if nothing arrives for a while (the bot waits out a
        # retry), at a random moment of that wait instead.
        now_delivered = self.delivered()
        if now_delivered >= total:
            await self._sleep_alive(self.rng.uniform(0.2, 2.0))
            return "idle"
        remaining = total - now_delivered
        target = now_delivered + self.rng.randint(1, max(1, (2 * remaining) // (kills_left + 1)))
        patience = self.rng.uniform(5.0, 15.0)
        last, last_change = now_delivered, time.monotonic()
        while (current := self.delivered()) < target:
            self._check_alive()
            if current != last:
                last, last_change = current, time.monotonic()
            elif time.monotonic() - last_change > patience:
                return "stalled"
            await asyncio.sleep(0.002)
        return mode

    def all_sent(self) -> bool:
        return read_state(self.db_path, self.event_id).by_status.get("sent", 0) >= len(
            self.recipients
        )

    async def run(self, kills: int, finish_timeout: float) -> CampaignResult:
        began = time.monotonic()
        done: list[Kill] = []
        plan = self._plan(kills)
        notes: list[str] = []
        self.spawn()
        watcher = asyncio.create_task(self._watch())
        try:
            for number, planned in enumerate(plan, start=1):
                mode = planned
                if self.committed and mode in ("job", "startup"):
                    mode = "restart"  # the job is done: nothing left to hit before it
                mode = await self._kill_point(mode, len(plan) - number + 1)
                delivered_before = self.delivered()
                after = time.monotonic() - self._spawned_at
                locked = write_locked(self.db_path)
                self.kill()
                state = read_state(self.db_path, self.event_id)
                self._check_atomic(state, number)
                if state.job_status == "scheduled":
                    phase = "job" if locked else "startup"
                elif state.by_status.get("sent", 0) < len(self.recipients):
                    phase = "delivery"
                else:
                    phase = "after delivery"
                self.committed = self.committed or state.job_status != "scheduled"
                done.append(Kill(number, mode, after, phase, delivered_before))
                self.say(
                    f"  kill {number:2d} {mode:8s} {after:6.2f} s after start: {phase:14s}"
                    f" outbox {dict(sorted(state.by_status.items()))}, received {delivered_before}"
                )
                self.spawn()
            # The last start runs to the end: every recipient's reminder accepted.
            if not await self._until(self.all_sent, finish_timeout):
                notes.append(f"not all outbox rows sent within {finish_timeout:.0f} s")
        finally:
            watcher.cancel()
            # An orderly stop: once the process is gone, no late copy can arrive any more.
            await self.stop()
        state = read_state(self.db_path, self.event_id)
        received = await self.received()
        return CampaignResult(
            done, received, self.recipients, state, time.monotonic() - began, self.job_s, notes
        )

    def _check_atomic(self, state: DbState, number: int) -> None:
        expected = 0 if state.job_status == "scheduled" else len(self.recipients)
        if state.rows != expected:
            raise AssertionError(
                f"after kill {number} the job is {state.job_status} with {state.rows} of "
                f"{len(self.recipients)} outbox rows: the job's transaction was not atomic"
            )


async def until_alive(
    condition: Callable[[], bool], seconds: float, processes: Sequence[BotRun]
) -> bool:
    """Whether ``condition`` held within ``seconds``; fails at once if a process died."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        for process in processes:
            process.check_alive()
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def start_two_telegram_bots(processes: Sequence[BotRun]) -> None:
    """Spawn the processes and wait until each serves Telegram and sees the other."""
    for process in processes:
        process.spawn()
    started = await until_alive(
        lambda: all(
            "telegram adapter started" in p.tail(100_000) and "2 bot processes" in p.tail(100_000)
            for p in processes
        ),
        120,
        processes,
    )
    assert started, "\n".join(p.tail() for p in processes)
