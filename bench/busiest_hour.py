"""Benchmark: a region's busiest hour on PostgreSQL with two bot processes, then a second
year with retention (issue #22).

Setup: the suite's own PostgreSQL cluster (tests/servers/postgres.py) and the fake Telegram
Bot API server (tests/fakes/telegram_server.py) in this process, strict, with Telegram's
real windows (30 sends/s overall, 1/s per private chat, 20/min per group). Two real bot
processes (``python -m bot run``) share one database and one webhook port, as in
bench/multiprocess.py; the leader also runs Matrix. E-mail is the newsletter only, not part
of this hour.

The Matrix share (bench/matrix_share.py; ``--matrix-communities 0`` leaves it out): the
suite's real Synapse (tests/servers/synapse.py) on 127.0.0.1. ``--matrix-communities``
communities (5; ``--quick`` 1) have a Matrix room linked besides their Telegram group, and
``--matrix-members`` more people (500; ``--quick`` 50, not among the Telegram members, so the
Telegram share is as before) belong to them, each with a Synapse account registered with the
admin shared-secret API, a direct room with the bot and a place in the room. Their reminders
fall due with everyone's; the posts go to the room as well. Matrix has no buttons: the
reminder ends in "1 – Ich kann nicht", and ``--matrix-typed`` of them (default: the share of
Telegram members who press or type) type "1" or "ja", in turn, once their reminder arrived.
The bot's account has Synapse's rate limit lifted, as README "Matrix" tells operators (the
bot has no Matrix rate of its own, only 64 sends at once); ``--matrix-rate-limit`` keeps
Synapse's default (0.2 messages/s after a burst of 10). A full-size share (500 accounts and
505 rooms) should add 2-3 minutes of set-up (51 rooms took 9-19 s; not run); 20,000 Matrix
accounts and rooms would take hours.

Seed (bulk Core inserts, one transaction): ``--communities`` communities with a group chat
each, ``--members`` people with a Telegram account and private chat (every tenth a
Digitallotse with skills, one staff member per community), and a year of history:
``--history-dates`` dates spread over the last 365 days with their sign-ups (15 each),
attendance (12), feedback (8, with comments), jobs and group posts, help requests done
(one per date) with their offers, the outbox of the last 90 days (what daily retention
leaves: reminders and feedback questions) and the processed updates of the last 30 days.

The hour (the bots run on the system clock, so it is not compressed; ``--speed k`` runs
k times faster: the arrivals come k times as fast and Telegram's overall limit is k x 30/s).
While both bots wait, every community has a date in three hours that all its members signed
up for, its "2h" reminder parked, a date next week with its announcement parked, and
``--help`` open help requests parked. At t0 one transaction makes all of it due and
NOTIFYs the leader: every community announces its next date at the same minute (one post
per group), ``--members`` reminders fall due, the help requests are offered to
Digitallotsen. Within ``--window`` seconds (600: ten minutes) ``--presses`` people press
the "sign up" button of their group's new post (evenly spread, as soon as the post is
there) and ``--typed`` others answer their reminder by typing "1" once it arrived. The run
ends when everything expected arrived (or at the deadline).

Figures: p50/p99 per kind of work (announcement and reminder: t0 to the platform's receipt;
press: press to the callback answer; typed answer: typed to the first reply; help: t0 to
the offer being written; with ``--stagger S`` the posts and help requests fall due S
seconds after the reminders, and theirs count from then), CPU per update and per message
(bots, least squares over 1 s samples of both processes' CPU against updates delivered and
messages sent, both platforms), the Telegram send rate against its allowed rate, lost and
duplicated (no kills here, so both must be 0), peak RSS per process, the database size and
rows per table. For Matrix (``matrix_*``), from the rooms' histories with Synapse's own event
times: announcement (post due to its event in the room), reminder (t0 to its event), typed
answer (the person's event to the bot's next one), the bot's send rate over the hour (mean
and the busiest second, edits included) against the allowed rate (None: lifted), Synapse's
429 answers, lost and duplicated posts and reminders (a repeat: the same text again).

Then the second year (in this process, simulated clock): month by month the same activity
is seeded (dated in that month) and at each month end the retention rules
(bot/privacy/retention.py, the defaults) run with that month end as "now", then VACUUM as
autovacuum would. Printed: the database size after year 1 and after year 2, rows per table.

    .venv/bin/python bench/busiest_hour.py --quick       # x10 smaller, 3-6 minutes
    .venv/bin/python bench/busiest_hour.py               # full size, 15 minutes or more
    .venv/bin/python bench/busiest_hour.py --skip-hour   # the two years only, full size
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text

from bench.matrix_share import MatrixShare
from bench.processes import (
    cpu_s,
    peak_rss_mb,
    postgres_cpu_s,
    start_bots,
    started,
    wait_until,
)
from bot.domain import roles
from bot.domain.models import (
    Account,
    Announcement,
    Attendance,
    Base,
    Chat,
    Community,
    Event,
    EventPost,
    Feedback,
    HelpOffer,
    HelpRequest,
    Job,
    OutboxMessage,
    OutboxSubject,
    Person,
    ProcessedEvent,
    Role,
    Rsvp,
    Skill,
    VolunteerProfile,
    VolunteerSkill,
)
from bot.infra import migrate
from bot.infra.db import create_engine, session_factory
from bot.privacy import retention
from tests.fakes.telegram_server import FakeTelegramServer
from tests.scenarios.cluster_campaign import free_port, write_config
from tests.scenarios.reminder_setup import BotRun
from tests.servers.postgres import PostgresCluster

ALLOWED_PER_S = 30.0  # Telegram's overall limit for one bot
TITLE_NOW = "Handysprechstunde"  # the date in three hours: its reminder
TITLE_NEXT = "Digitalcafé nächste Woche"  # the date announced at t0
FIRST_USER = 10_000_000
FIRST_GROUP = -1_000_000
SKILLS = ("smartphone", "email", "video", "banking", "photos")
PARKED = timedelta(days=30)  # due times of the hour's work until t0
CHUNK = 5_000
MONTH = timedelta(days=30)
# Per history date: sign-ups, attendance, feedback.
SIGNUPS, ATTENDED, FEEDBACK = 15, 12, 8


class Server(FakeTelegramServer):
    """The fake Bot API server, also noting when and how often each callback was answered."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.answers: dict[str, list[float]] = {}

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query = str(params.get("callback_query_id") or "")
        self.answers.setdefault(query, []).append(time.monotonic())
        return await super()._m_answerCallbackQuery(params)


# --- seeding ---------------------------------------------------------------------------------


class Ids:
    """Explicit ids for bulk inserts (the sequences are moved past them afterwards)."""

    def __init__(self) -> None:
        self.next: Counter[str] = Counter()

    def take(self, table: str) -> int:
        self.next[table] += 1
        return self.next[table]


def community_of(person: int, communities: int) -> int:
    return (person - 1) % communities + 1


def is_volunteer(person: int, communities: int) -> bool:
    """Every tenth member of each community is a Digitallotse."""
    return (person - 1) // communities % 10 == 9


def members_of(community: int, communities: int, members: int) -> list[int]:
    return list(range(community, members + 1, communities))


def _default(column: Any) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg
    return default.arg(None) if default.arg in (dict, list) else None


async def bulk(conn: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows in chunks (executemany needs every row to name the same columns)."""
    table = model.__table__
    names = {key for row in rows for key in row}
    if any(len(row) != len(names) for row in rows):
        fill = {name: _default(table.c[name]) for name in names}
        rows = [fill | row for row in rows]
    for first in range(0, len(rows), CHUNK):
        await conn.execute(insert(model.__table__), rows[first : first + CHUNK])


def dates_of_period(
    rng: random.Random,
    ids: Ids,
    args: argparse.Namespace,
    count: int,
    start: datetime,
    end: datetime,
    keep_messages_after: datetime,
) -> dict[Any, list[dict[str, Any]]]:
    """``count`` past dates spread over [start, end) with everything they leave behind."""
    out: dict[Any, list[dict[str, Any]]] = {
        m: []
        for m in (
            Event,
            Rsvp,
            Attendance,
            Feedback,
            Job,
            EventPost,
            Announcement,
            OutboxMessage,
            OutboxSubject,
            HelpRequest,
            HelpOffer,
        )
    }
    span = (end - start) / max(count, 1)
    for n in range(count):
        community = n % args.communities + 1
        starts = start + span * n
        event = ids.take("events")
        out[Event].append(
            {
                "id": event,
                "community_id": community,
                "title": "Digitalcafé",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "place": "Stadtteilbibliothek",
                "status": "done",
                "created_at": starts - timedelta(days=14),
            }
        )
        members = members_of(community, args.communities, args.members)
        people = rng.sample(members, min(SIGNUPS, len(members)))
        for seq, person in enumerate(people, start=1):
            at = starts - timedelta(days=rng.uniform(1, 7))
            came = seq <= ATTENDED
            out[Rsvp].append(
                {
                    "event_id": event,
                    "person_id": person,
                    "status": "yes",
                    "party_size": 1,
                    "seq": seq,
                    "attended": came,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            if came:
                out[Attendance].append(
                    {"event_id": event, "person_id": person, "how": "self", "created_at": starts}
                )
            if seq <= FEEDBACK:
                out[Feedback].append(
                    {
                        "event_id": event,
                        "person_id": person,
                        "rating": rng.randint(3, 5),
                        "comment": "Sehr hilfreich, danke! Ich komme gern wieder.",
                        "wish": "Mehr zu Fotos auf dem Handy",
                        "asked_at": starts + timedelta(hours=2),
                        "answered_at": starts + timedelta(hours=5),
                    }
                )
            if starts >= keep_messages_after:  # the reminder and the feedback question
                for kind, when in (("remind", -2), ("ask", 2)):
                    sent = starts + timedelta(hours=when)
                    outbox = ids.take("outbox")
                    out[OutboxMessage].append(
                        {
                            "id": outbox,
                            "dedup_key": f"hist:{kind}:{event}:{person}",
                            "chat_id": args.communities + person,
                            "content": {"text": f"Erinnerung: Digitalcafé am {starts:%d.%m.}"},
                            "status": "sent",
                            "due_at": sent,
                            "attempts": 1,
                            "platform_message_id": str(outbox),
                            "created_at": sent,
                            "sent_at": sent,
                        }
                    )
                    out[OutboxSubject].append({"outbox_id": outbox, "person_id": person})
        for kind, spec, due in (
            ("reminder", "2h", starts - timedelta(hours=2)),
            ("end", "", starts + timedelta(hours=2)),
            ("nudge", "", starts + timedelta(days=2)),
        ):
            out[Job].append(
                {
                    "event_id": event,
                    "kind": kind,
                    "offset_spec": spec,
                    "due_at": due,
                    "status": "done",
                    "created_at": starts - timedelta(days=14),
                    "done_at": due,
                }
            )
        out[EventPost].append(
            {
                "event_id": event,
                "chat_id": community,
                "dedup_key": f"hist:post:{event}",
                "created_at": starts - timedelta(days=7),
            }
        )
        out[Announcement].append(
            {
                "community_id": community,
                "kind": "event",
                "event_id": event,
                "due_at": starts - timedelta(days=7),
                "status": "done",
                "created_at": starts - timedelta(days=14),
            }
        )
        # One help request done per date, offered to three Digitallotsen.
        volunteers = [p for p in members if is_volunteer(p, args.communities)] or members
        request = ids.take("help_requests")
        helper = rng.choice(volunteers)
        out[HelpRequest].append(
            {
                "id": request,
                "community_id": community,
                "requester_id": rng.choice(members),
                "skill": rng.choice(SKILLS),
                "description": "Wie schicke ich Fotos an meine Enkel?",
                "status": "done",
                "volunteer_id": helper,
                "accepted_at": starts,
                "done_at": starts + timedelta(days=3),
                "minutes": 45,
                "note": "Fotos per WhatsApp geschickt, klappt jetzt.",
                "rating": 5,
                "rounds": 1,
                "created_at": starts - timedelta(days=1),
                "updated_at": starts + timedelta(days=3),
            }
        )
        for volunteer in dict.fromkeys([helper, *rng.sample(volunteers, min(2, len(volunteers)))]):
            out[HelpOffer].append(
                {
                    "request_id": request,
                    "volunteer_id": volunteer,
                    "answer": "accepted" if volunteer == helper else "declined",
                    "sent_at": starts - timedelta(days=1),
                    "answered_at": starts,
                }
            )
    return out


async def write_period(conn: Any, rows: dict[Any, list[dict[str, Any]]]) -> None:
    for model, items in rows.items():
        await bulk(conn, model, items)


def processed_events(ids: Ids, count: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    span = (end - start) / max(count, 1)
    out = []
    for n in range(count):
        number = ids.take("processed_events")
        out.append(
            {"platform": "telegram", "event_id": f"u{number}", "processed_at": start + span * n}
        )
    return out


async def seed(
    url: str, args: argparse.Namespace, now: datetime, ids: Ids, matrix: MatrixShare | None
) -> dict[str, Any]:
    """Year one and the parked work of the hour; returns what the hour expects."""
    rng = random.Random(args.seed)
    engine = create_engine(url)
    c, m = args.communities, args.members
    try:
        async with engine.begin() as conn:
            year_ago = now - timedelta(days=365)
            await bulk(
                conn,
                Community,
                [
                    {
                        "id": k,
                        "slug": f"cafe-{k}",
                        "name": f"Digitalcafé {k}",
                        "created_at": year_ago,
                    }
                    for k in range(1, c + 1)
                ],
            )
            await bulk(
                conn,
                Person,
                [
                    {"id": p, "display_name": f"Person {p}", "created_at": year_ago}
                    for p in range(1, m + 1)
                ],
            )
            await bulk(
                conn,
                Account,
                [
                    {
                        "person_id": p,
                        "platform": "telegram",
                        "external_id": str(FIRST_USER + p),
                        "display_name": f"Person {p}",
                        "created_at": year_ago,
                    }
                    for p in range(1, m + 1)
                ],
            )
            groups = [
                {
                    "id": k,
                    "platform": "telegram",
                    "external_id": str(FIRST_GROUP - k),
                    "kind": "group",
                    "title": f"Digitalcafé {k}",
                    "community_id": k,
                    "created_at": year_ago,
                }
                for k in range(1, c + 1)
            ]
            directs = [
                {
                    "id": c + p,
                    "platform": "telegram",
                    "external_id": str(FIRST_USER + p),
                    "kind": "direct",
                    "community_id": community_of(p, c),
                    "person_id": p,
                    "created_at": year_ago,
                }
                for p in range(1, m + 1)
            ]
            await bulk(conn, Chat, groups + directs)
            role_rows = []
            for p in range(1, m + 1):
                k = community_of(p, c)
                role_rows.append({"person_id": p, "community_id": k, "role": roles.MEMBER})
                if is_volunteer(p, c):
                    role_rows.append({"person_id": p, "community_id": k, "role": roles.VOLUNTEER})
                if p <= c:
                    role_rows.append({"person_id": p, "community_id": k, "role": roles.STAFF})
            await bulk(conn, Role, [r | {"created_at": year_ago} for r in role_rows])
            await bulk(
                conn,
                Skill,
                [
                    {"community_id": k, "key": key, "label": key.title(), "position": n}
                    for k in range(1, c + 1)
                    for n, key in enumerate(SKILLS)
                ],
            )
            volunteers = [p for p in range(1, m + 1) if is_volunteer(p, c)]
            await bulk(
                conn,
                VolunteerProfile,
                [
                    {
                        "person_id": p,
                        "languages": ["de"],
                        "areas": [],
                        "windows": [{"day": d, "from": 8, "to": 20} for d in range(7)],
                        "places": ["cafe", "phone", "home"],
                        "max_open": 3,
                        "created_at": year_ago,
                        "updated_at": year_ago,
                    }
                    for p in volunteers
                ],
            )
            await bulk(
                conn,
                VolunteerSkill,
                [
                    {"person_id": p, "skill": key}
                    for p in volunteers
                    for key in rng.sample(SKILLS, 3)
                ],
            )
            history = dates_of_period(
                rng,
                ids,
                args,
                args.history_dates,
                year_ago,
                now - timedelta(days=1),
                now - timedelta(days=90),
            )
            await write_period(conn, history)
            await bulk(
                conn,
                ProcessedEvent,
                processed_events(ids, m, now - timedelta(days=30), now),
            )
            # The hour's work, parked until t0.
            parked = now + PARKED
            soon, next_week = [], []
            for _k in range(1, c + 1):
                soon.append(ids.take("events"))
                next_week.append(ids.take("events"))
            await bulk(
                conn,
                Event,
                [
                    {
                        "id": e,
                        "community_id": k,
                        "title": TITLE_NOW,
                        "starts_at": now + timedelta(hours=3),
                        "place": "Stadtteilbibliothek",
                        "created_at": now - timedelta(days=14),
                    }
                    for k, e in enumerate(soon, start=1)
                ]
                + [
                    {
                        "id": e,
                        "community_id": k,
                        "title": TITLE_NEXT,
                        "starts_at": now + timedelta(days=7),
                        "place": "Stadtteilbibliothek",
                        "created_at": now - timedelta(days=1),
                    }
                    for k, e in enumerate(next_week, start=1)
                ],
            )
            await bulk(
                conn,
                Rsvp,
                [
                    {
                        "event_id": soon[community_of(p, c) - 1],
                        "person_id": p,
                        "status": "yes",
                        "party_size": 1,
                        "seq": p,
                        "created_at": now - timedelta(days=3),
                        "updated_at": now - timedelta(days=3),
                    }
                    for p in range(1, m + 1)
                ],
            )
            await bulk(
                conn,
                Job,
                [
                    {
                        "event_id": e,
                        "kind": "reminder",
                        "offset_spec": "2h",
                        "due_at": parked,
                        "created_at": now - timedelta(days=14),
                    }
                    for e in soon
                ],
            )
            await bulk(
                conn,
                Announcement,
                [
                    {
                        "community_id": k,
                        "kind": "event",
                        "event_id": e,
                        "due_at": parked,
                        "created_at": now - timedelta(days=1),
                    }
                    for k, e in enumerate(next_week, start=1)
                ],
            )
            helped = []
            for _n in range(args.help):
                k = rng.randint(1, c)
                requester = rng.choice(members_of(k, c, m))
                helped.append(
                    {
                        "id": ids.take("help_requests"),
                        "community_id": k,
                        "requester_id": requester,
                        "created_by": requester,
                        "skill": rng.choice(SKILLS),
                        "description": "Ich möchte Videoanrufe mit meiner Tochter machen.",
                        "place": "cafe",
                        "status": "open",
                        "next_step_at": parked,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            await bulk(conn, HelpRequest, helped)
            if matrix is not None:  # more people, on Matrix, in the first communities
                for model, items in matrix.rows(m + 1, c + m + 1, soon, year_ago).items():
                    await bulk(conn, model, items)
            await move_sequences(conn)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        await engine.dispose()
    return {"soon": soon, "next_week": next_week}


async def move_sequences(conn: Any) -> None:
    """Bulk inserts with explicit ids leave the id sequences behind: move them on."""
    for table in Base.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False:
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                    f" coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                )
            )


# --- measuring -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def least_squares(samples: list[tuple[float, float, float]]) -> tuple[float, float]:
    """CPU seconds = a * updates + b * messages over the samples; (a, b) in ms."""
    suu = sum(u * u for u, _m, _c in samples)
    smm = sum(m * m for _u, m, _c in samples)
    sum_ = sum(u * m for u, m, _c in samples)
    suc = sum(u * c for u, _m, c in samples)
    smc = sum(m * c for _u, m, c in samples)
    det = suu * smm - sum_ * sum_
    if det <= 0:
        return 0.0, 0.0
    return (suc * smm - smc * sum_) / det * 1000, (smc * suu - suc * sum_) / det * 1000


async def table_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            out = {}
            for table in Base.metadata.sorted_tables:
                out[table.name] = int(
                    await conn.scalar(select(func.count()).select_from(table)) or 0
                )
            return out
    finally:
        await engine.dispose()


async def database_mb(url: str, vacuum: bool = False) -> float:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            if vacuum:
                await conn.exec_driver_sql("VACUUM")
            size = await conn.scalar(text("SELECT pg_database_size(current_database())"))
            return int(size or 0) / 1024 / 1024
    finally:
        await engine.dispose()


async def trigger(url: str, *, reminders: bool = True, posts: bool = True) -> float:
    """Make the parked work due now (the reminders, the posts and help requests, or both),
    in one transaction, and wake the leader."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            now = datetime.now(UTC)
            if reminders:
                await conn.execute(
                    text("UPDATE jobs SET due_at = :now WHERE status = 'scheduled'"), {"now": now}
                )
            if posts:
                await conn.execute(
                    text("UPDATE announcements SET due_at = :now WHERE status = 'scheduled'"),
                    {"now": now},
                )
                await conn.execute(
                    text("UPDATE help_requests SET next_step_at = :now WHERE status = 'open'"),
                    {"now": now},
                )
            await conn.execute(text("SELECT pg_notify('lotsenbot', 'schedule')"))
        return time.time()
    finally:
        await engine.dispose()


async def print_order(url: str, t0_wall: float) -> None:
    """What was written when, by kind (the outbox key's first part) and platform: the first
    and last id, written and sent, in seconds after t0 — to see which work waited behind
    which."""
    engine = create_engine(url)
    t0 = datetime.fromtimestamp(t0_wall, UTC).replace(tzinfo=None)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT split_part(o.dedup_key, ':', 1) || ' ' || c.platform AS kind,"
                        " count(*), min(o.id), max(o.id), min(o.created_at), max(o.created_at),"
                        " min(o.sent_at), max(o.sent_at)"
                        " FROM outbox o JOIN chats c ON c.id = o.chat_id"
                        " WHERE o.created_at >= :t0 GROUP BY 1 ORDER BY 3"
                    ),
                    {"t0": t0},
                )
            ).all()
    finally:
        await engine.dispose()

    def after(at: datetime | None) -> str:
        return "-" if at is None else f"{(at.replace(tzinfo=None) - t0).total_seconds():.1f}"

    print("outbox rows written after t0 (kind, count, ids, written s, sent s):")
    for kind, count, first, last, w0, w1, s0, s1 in rows:
        print(
            f"  {kind:23s} {count:>6d} ids {first}-{last} written {after(w0)}-{after(w1)}"
            f" sent {after(s0)}-{after(s1)}",
            flush=True,
        )


async def help_offered_s(url: str, t0_wall: float) -> tuple[list[float], int, int, int]:
    """Milliseconds from t0 to each request's first offer; requests offered; offers
    written; sign-ups for the dates announced at t0 (one per person who pressed)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = (
                await session.execute(
                    select(HelpOffer.request_id, func.min(HelpOffer.sent_at), func.count())
                    .join(HelpRequest, HelpRequest.id == HelpOffer.request_id)
                    .where(HelpRequest.status.in_(("offered", "open", "escalated")))
                    .group_by(HelpOffer.request_id)
                )
            ).all()
            states = (
                await session.execute(
                    select(HelpRequest.status, func.count())
                    .where(HelpRequest.next_step_at.is_not(None) | (HelpRequest.rounds > 0))
                    .where(HelpRequest.status != "done")
                    .group_by(HelpRequest.status)
                )
            ).all()
            signups = await session.scalar(
                select(func.count())
                .select_from(Rsvp)
                .join(Event, Event.id == Rsvp.event_id)
                .where(Event.title == TITLE_NEXT, Rsvp.status == "yes")
            )
        print("help requests of the hour by state:", dict(states), flush=True)
        return (
            [max(0.0, (at.timestamp() - t0_wall)) * 1000 for _r, at, _n in rows],
            len(rows),
            sum(n for _r, _at, n in rows),
            int(signups or 0),
        )
    finally:
        await engine.dispose()


class Load:
    """The people's side of the hour: presses and typed answers, as their triggers arrive."""

    def __init__(self, server: Server, args: argparse.Namespace) -> None:
        self.server, self.args = server, args
        c, m = args.communities, args.members
        rng = random.Random(args.seed + 1)
        everyone = list(range(1, m + 1))
        rng.shuffle(everyone)
        self.pressers = everyone[: args.presses]
        self.typers = everyone[args.presses : args.presses + args.typed]
        self.pressed: dict[str, float] = {}  # query id -> when pressed
        self.typed: dict[int, float] = {}  # chat id -> when typed
        self.waits = Counter[str]()
        self.communities = c

        self.seen = 0  # records of server.sent looked at
        self.posts: dict[int, Any] = {}  # group chat id -> the new post with buttons
        self.reminded: set[int] = set()  # chat ids that have their reminder

    def user(self, person: int) -> dict[str, Any]:
        return self.server._users[FIRST_USER + person]

    def look(self) -> None:
        """Read what the server recorded since the last look (the fake keeps one list)."""
        sent = self.server.sent
        for record in sent[self.seen :]:
            if record.method != "sendMessage":
                continue
            if record.chat_id < 0 and record.callback_data:
                self.posts.setdefault(record.chat_id, record)
            elif TITLE_NOW in (record.text or ""):
                self.reminded.add(record.chat_id)
        self.seen = len(sent)

    def group_post(self, community: int) -> Any:
        self.look()
        return self.posts.get(FIRST_GROUP - community)

    def reminder_of(self, person: int) -> bool:
        return FIRST_USER + person in self.reminded

    async def presses(self, began: float, window: float) -> None:
        for n, person in enumerate(self.pressers):
            await asyncio.sleep(
                max(0.0, began + window * n / len(self.pressers) - time.monotonic())
            )
            community = community_of(person, self.communities)
            while (post := self.group_post(community)) is None:
                self.waits["press"] += 1
                await asyncio.sleep(0.05)
            # The post as it reads now: each sign-up edits it (new counts, new buttons).
            shown = self.server.message(FIRST_GROUP - community, post.message_id) or {}
            rows = shown.get("reply_markup", {}).get("inline_keyboard", [])
            data = [b["callback_data"] for row in rows for b in row if "callback_data" in b]
            query = self.server.press_button(
                FIRST_GROUP - community, self.user(person), post.message_id, data[0]
            )
            self.pressed[query] = time.monotonic()

    async def typing(self, began: float, window: float) -> None:
        waiting = list(self.typers)
        n = 0
        while waiting:
            await asyncio.sleep(max(0.0, began + window * n / len(self.typers) - time.monotonic()))
            self.look()
            ready = next((p for p in waiting if self.reminder_of(p)), None)
            if ready is None:
                self.waits["typed"] += 1
                await asyncio.sleep(0.05)
                continue
            waiting.remove(ready)
            chat = FIRST_USER + ready
            self.server.post_message(chat, self.user(ready), "1")
            self.typed[chat] = time.monotonic()
            n += 1


def platform_figures(
    server: Server,
    load: Load,
    sent_before: int,
    t0: float,
    args: argparse.Namespace,
    posts_at: float,
) -> dict[str, Any]:
    """What the platform received: latencies (the posts' from when they fell due), the send
    rate, lost and duplicated."""
    sent = server.sent[sent_before:]
    sends = [r for r in sent if r.method in ("sendMessage", "editMessageText")]
    posts: Counter[int] = Counter(
        r.chat_id for r in sent if r.chat_id < 0 and r.method == "sendMessage" and r.callback_data
    )
    first_post = {}
    for r in sent:
        if r.chat_id < 0 and r.method == "sendMessage":
            first_post.setdefault(r.chat_id, r.at)
    reminders: Counter[int] = Counter(
        r.chat_id
        for r in sent
        if r.chat_id >= FIRST_USER and r.method == "sendMessage" and TITLE_NOW in (r.text or "")
    )
    reminder_at = {}
    for r in sent:
        if r.chat_id >= FIRST_USER and TITLE_NOW in (r.text or ""):
            reminder_at.setdefault(r.chat_id, r.at)
    first_reply: dict[int, float] = {}
    for r in sent:
        if r.chat_id in load.typed and r.at >= load.typed[r.chat_id]:
            first_reply.setdefault(r.chat_id, r.at)
    press_ms = [
        (server.answers[q][0] - at) * 1000 for q, at in load.pressed.items() if q in server.answers
    ]
    times = sorted(r.at for r in sends) or [t0]
    span = max(times[-1] - times[0], 1e-9)
    updates = len(load.pressed) + len(load.typed)
    return {
        "announce_p50_ms": round(
            statistics.median([(a - posts_at) * 1000 for a in first_post.values()] or [0]), 1
        ),
        "announce_p99_ms": round(
            percentile([(a - posts_at) * 1000 for a in first_post.values()], 0.99), 1
        ),
        "reminder_p50_ms": round(
            percentile([(a - t0) * 1000 for a in reminder_at.values()], 0.5), 1
        ),
        "reminder_p99_ms": round(
            percentile([(a - t0) * 1000 for a in reminder_at.values()], 0.99), 1
        ),
        "press_p50_ms": round(percentile(press_ms, 0.5), 1),
        "press_p99_ms": round(percentile(press_ms, 0.99), 1),
        "typed_p50_ms": round(
            percentile([(first_reply[c] - load.typed[c]) * 1000 for c in first_reply], 0.5), 1
        ),
        "typed_p99_ms": round(
            percentile([(first_reply[c] - load.typed[c]) * 1000 for c in first_reply], 0.99), 1
        ),
        "updates": updates,
        "messages_sent": len(sends),
        "telegram_send_per_s": round((len(times) - 1) / span, 2),
        "telegram_allowed_per_s": ALLOWED_PER_S * args.speed,
        "telegram_send_ratio": round((len(times) - 1) / span / (ALLOWED_PER_S * args.speed), 3),
        "count_429": server.count_429,
        "announce_lost": sum(
            1 for k in range(1, args.communities + 1) if not posts[FIRST_GROUP - k]
        ),
        "announce_duplicated": sum(n - 1 for n in posts.values() if n > 1),
        "reminder_lost": sum(
            1 for p in range(1, args.members + 1) if not reminders[FIRST_USER + p]
        ),
        "reminder_duplicated": sum(n - 1 for n in reminders.values() if n > 1),
        "press_lost": sum(1 for q in load.pressed if q not in server.answers),
        # A webhook delivery that outlives the server's 10 s timeout is delivered again,
        # perhaps to the other process, which answers the press again (Telegram refuses the
        # second answer; the person sees one). The press's effect: press_signups.
        "press_answered_twice": sum(
            len(server.answers.get(q, [])) - 1 for q in load.pressed if server.answers.get(q)
        ),
        "typed_unanswered": sum(1 for c in load.typed if c not in first_reply),
        "presses_done": len(load.pressed),
        "typed_done": len(load.typed),
    }


async def telegram_server(args: argparse.Namespace) -> Server:
    """The fake Bot API server with every member's private chat and every group."""
    server = Server(strict=True, overall_limit=(int(ALLOWED_PER_S * args.speed), 1.0))
    await server.start()
    for p in range(1, args.members + 1):
        server.private_chat(server.user(FIRST_USER + p, f"Person {p}"))
    for k in range(1, args.communities + 1):
        server.group(FIRST_GROUP - k, f"Digitalcafé {k}")
        for p in members_of(k, args.communities, args.members):
            server.set_member_status(FIRST_GROUP - k, FIRST_USER + p, "member")
    return server


async def start_hour(url: str, args: argparse.Namespace, matrix: MatrixShare | None) -> float:
    """Make the hour's work due (``trigger``); Matrix's sends count from here on."""
    if matrix:
        matrix.begin()
    t0_wall = await trigger(url, posts=not args.stagger)
    if matrix:
        matrix.t0_wall = t0_wall
    return t0_wall


class Progress:
    """What the platforms have seen since t0: for the samples and to know when it is done."""

    def __init__(
        self,
        server: Server,
        load: Load,
        matrix: MatrixShare | None,
        args: argparse.Namespace,
        sent_before: int,
    ) -> None:
        self.server, self.load, self.matrix = server, load, matrix
        self.args, self.sent_before = args, sent_before

    def counts(self) -> tuple[int, int]:
        """Updates delivered and messages sent so far, both platforms."""
        server, matrix = self.server, self.matrix
        if matrix is None:
            return len(server.webhook_deliveries), len(server.sent)
        return (
            len(server.webhook_deliveries) + len(matrix.typed),
            len(server.sent) + matrix.sends(),
        )

    def done(self, posts_wall: float) -> bool:
        """Every reminder, press answer and typed answer's reply is there, on both."""
        sent, typed = self.server.sent[self.sent_before :], self.load.typed
        reminded = sum(
            1
            for r in sent
            if r.chat_id >= FIRST_USER and TITLE_NOW in (r.plain_text or r.text or "")
        )
        replies = {r.chat_id for r in sent if r.chat_id in typed and r.at >= typed[r.chat_id]}
        return (
            reminded >= self.args.members
            and len(self.server.answers) >= self.args.presses
            and len(replies) >= self.args.typed
            and (self.matrix is None or self.matrix.finished(posts_wall))
        )


async def busy_hour(
    url: str, workdir: Path, args: argparse.Namespace, matrix: MatrixShare | None
) -> dict[str, Any]:
    speed = args.speed
    server = await telegram_server(args)
    config = write_config(
        workdir / "config.toml",
        workdir,
        url,
        server,
        free_port(),
        matrix.section() if matrix else "",
        rate=int(ALLOWED_PER_S * speed),
    )
    processes: list[BotRun] = []
    try:
        processes = await start_bots(config, workdir, args.processes)
        if matrix and not await wait_until(lambda: started(processes, "matrix"), 180, processes):
            raise RuntimeError("Matrix did not start:\n" + processes[0].tail(3000))
        await asyncio.sleep(3.0)  # the first scheduler round (retention) is done
        load = Load(server, args)
        sent_before = len(server.sent)
        meter = CpuMeter(processes)
        cpu_before = meter.now()
        pg_before = postgres_cpu_s()
        t0_wall = await start_hour(url, args, matrix)
        t0 = time.monotonic()
        posts_wall, posts_at = t0_wall, t0
        if args.stagger:  # the posts fall due while the reminders are being written
            await asyncio.sleep(args.stagger)
            posts_wall, posts_at = await trigger(url, reminders=False), time.monotonic()
        window = args.window / speed
        people = [
            asyncio.create_task(load.presses(t0, window)),
            asyncio.create_task(load.typing(t0, window)),
        ]
        if matrix:
            people.append(asyncio.create_task(matrix.typing(t0, window)))
        killing = (
            asyncio.create_task(kill_and_restart(processes[0], processes, meter, t0 + window / 2))
            if args.kill
            else None
        )
        samples: list[tuple[float, float, float]] = []
        progress = Progress(server, load, matrix, args, sent_before)
        last = (*progress.counts(), cpu_before)

        def finished() -> bool:
            return (
                all(t.done() for t in people)
                and (killing is None or killing.done())
                and progress.done(posts_wall)
            )

        deadline = t0 + args.deadline
        while not finished() and time.monotonic() < deadline:
            for process in processes:
                process.check_alive()
            await asyncio.sleep(1.0)
            now = (*progress.counts(), meter.now())
            samples.append((now[0] - last[0], now[1] - last[1], now[2] - last[2]))
            last = now
        elapsed = time.monotonic() - t0
        await asyncio.sleep(3.0)  # late duplicates would show up here
        for task in people:
            task.cancel()
        kill = killing.result() if killing is not None and killing.done() else {}
        cpu = meter.now() - cpu_before
        pg_cpu = postgres_cpu_s() - pg_before
        rss = [peak_rss_mb(p.pid) for p in processes]
        per_update_ms, per_message_ms = least_squares(samples)
        help_ms, offered, offers, signups = await help_offered_s(url, posts_wall)
        if args.order:
            await print_order(url, t0_wall)
    finally:
        for process in processes:
            await process.stop()
        await server.stop()
        if args.keep_logs is not None:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for process in processes:
                shutil.copy(process.log_path, args.keep_logs / process.log_path.name)

    figures = platform_figures(server, load, sent_before, t0, args, posts_at)
    sends = figures["messages_sent"]
    updates = figures["updates"]
    if matrix:
        figures |= await matrix.figures(posts_wall, TITLE_NOW, TITLE_NEXT, percentile)
        sends += figures["matrix_messages_sent"]
        updates += figures["matrix_typed_done"]
    figures |= {
        "communities": args.communities,
        "members": args.members,
        "processes": args.processes,
        "speed": speed,
        "hour_s": round(elapsed, 1),
        "help_offered_p50_ms": round(percentile(help_ms, 0.5), 1),
        "help_offered_p99_ms": round(percentile(help_ms, 0.99), 1),
        "help_requests_offered": offered,
        "help_offers_written": offers,
        "press_signups": signups,
        "press_effect_lost": max(0, len(load.pressed) - signups),
        "press_effect_duplicated": max(0, signups - len(load.pressed)),
        "bot_cpu_s": round(cpu, 1),
        "postgres_cpu_s": round(pg_cpu, 1),
        # Both platforms' updates and messages.
        "bot_cpu_per_item_ms": round(cpu * 1000 / max(updates + sends, 1), 2),
        "cpu_per_update_ms": round(per_update_ms, 2),
        "cpu_per_message_ms": round(per_message_ms, 2),
        # The kill rules: a Telegram send cannot be made idempotent, so each killed process
        # may repeat the one message it had in flight (max_in_flight = 1).
        "kills": 1 if args.kill else 0,
        "kill_allowed_duplicated": 1 if args.kill else 0,
    }
    figures |= kill
    for n, value in enumerate(rss):
        figures[f"peak_rss_mb_{n}"] = round(value, 1)
    return figures


class CpuMeter:
    """CPU seconds of the bot processes so far, a killed process's included."""

    def __init__(self, processes: list[BotRun]) -> None:
        self.processes, self.gone = processes, 0.0

    def now(self) -> float:
        return self.gone + sum(cpu_s(p.pid) for p in self.processes)

    def dying(self, process: BotRun) -> None:
        self.gone += cpu_s(process.pid)


async def kill_and_restart(
    victim: BotRun, processes: list[BotRun], meter: CpuMeter, at: float
) -> dict[str, Any]:
    """SIGKILL ``victim`` at ``at`` (monotonic), start it again at once; how long until it
    served again, and its peak RSS before it died."""
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    was_leader = '"leader": true' in victim.tail(20_000)
    meter.dying(victim)
    rss = peak_rss_mb(victim.pid)
    before = victim.log_path.stat().st_size
    victim.kill()
    killed = time.monotonic()
    victim.spawn()  # with no await in between: nobody sees it dead
    print(f"killed {victim.name} (leader: {was_leader}), restarting", flush=True)

    def serving_again() -> bool:
        with victim.log_path.open("rb") as log:
            log.seek(before)
            since = log.read().decode(errors="replace")
        return "telegram adapter started" in since and f"{len(processes)} bot processes" in since

    back = await wait_until(serving_again, 180, processes, step=0.1)
    return {
        "killed": victim.name,
        "killed_was_leader": was_leader,
        "killed_peak_rss_mb": round(rss, 1),
        "restart_serving_s": round(time.monotonic() - killed, 1) if back else -1,
    }


async def second_year(url: str, args: argparse.Namespace, now: datetime, ids: Ids) -> list[str]:
    """Month by month: seed that month's activity, then retention at its end, then VACUUM."""
    rng = random.Random(args.seed + 2)
    rules = retention.Retention()
    engine = create_engine(url)
    lines = []
    try:
        per_month = args.history_dates // 12
        for month in range(12):
            start, end = now + MONTH * month, now + MONTH * (month + 1)
            async with engine.begin() as conn:
                rows = dates_of_period(rng, ids, args, per_month, start, end, start)
                await write_period(conn, rows)
                await bulk(conn, ProcessedEvent, processed_events(ids, args.members, start, end))
                await move_sequences(conn)
            async with session_factory(engine).begin() as session:
                done = await retention.apply(session, rules, end)
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("VACUUM")
                size = await conn.scalar(text("SELECT pg_database_size(current_database())"))
            touched = ", ".join(f"{k} {v}" for k, v in done.items() if v)
            lines.append(f"  month {month + 1:2d}: {int(size) / 1048576:7.1f} MB ({touched})")
            print(lines[-1], flush=True)
    finally:
        await engine.dispose()
    return lines


async def sync_ids(url: str, ids: Ids) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            for table in ("events", "outbox", "help_requests", "processed_events"):
                ids.next[table] = int(await conn.scalar(text(f"SELECT max(id) FROM {table}")) or 0)
    finally:
        await engine.dispose()


def print_rows(label: str, rows: dict[str, int]) -> None:
    print(label)
    for name, count in sorted(rows.items(), key=lambda item: -item[1]):
        if count:
            print(f"  {name:28s} {count:>10,d}")


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="lotsenbot-busy-") as tmp:
        cluster = PostgresCluster.from_env()
        cluster.start()
        matrix = MatrixShare(args) if args.matrix_communities and not args.skip_hour else None
        try:
            if matrix:
                figures |= await matrix.start()
                print(f"Matrix set up: {figures}", flush=True)
            url = cluster.create_database(f"lotsenbot_busy_{uuid.uuid4().hex[:8]}")
            await asyncio.to_thread(migrate.upgrade, url)
            ids = Ids()
            now = datetime.now(UTC)
            began = time.monotonic()
            await seed(url, args, now, ids, matrix)
            figures["seed_s"] = round(time.monotonic() - began, 1)
            figures["seeded_db_mb"] = round(await database_mb(url), 1)
            print(f"seeded in {figures['seed_s']} s: {figures['seeded_db_mb']} MB", flush=True)
            if not args.skip_hour:
                figures |= await busy_hour(url, Path(tmp), args, matrix)
            figures["year_1_db_mb"] = round(await database_mb(url, vacuum=True), 1)
            year_1 = await table_rows(url)
            print("the hour:", json.dumps(figures), flush=True)
            if not args.no_year:
                await sync_ids(url, ids)  # the bots wrote rows of their own
                await second_year(url, args, now, ids)
                figures["year_2_db_mb"] = round(await database_mb(url, vacuum=True), 1)
                year_2 = await table_rows(url)
                print_rows("rows after year 1 (after the hour):", year_1)
                print_rows("rows after year 2 with retention:", year_2)
                for table in ("outbox", "outbox_subjects", "processed_events", "events", "rsvps"):
                    figures[f"year_1_{table}_rows"] = year_1[table]
                    figures[f"year_2_{table}_rows"] = year_2[table]
        finally:
            if matrix:
                await matrix.stop()
            cluster.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=50)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--history-dates", type=int, default=2_000)
    parser.add_argument("--presses", type=int, default=5_000)
    parser.add_argument("--typed", type=int, default=2_000)
    parser.add_argument("--help-requests", dest="help", type=int, default=200)
    parser.add_argument("--window", type=float, default=600.0, help="seconds the people act in")
    parser.add_argument("--speed", type=float, default=1.0, help="time runs this much faster")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=3600.0, help="seconds for the hour")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--kill", action="store_true", help="SIGKILL one bot process mid-window, restart it"
    )
    parser.add_argument("--no-year", action="store_true", help="skip the second year")
    parser.add_argument(
        "--order", action="store_true", help="print when each kind of message was written, sent"
    )
    parser.add_argument(
        "--stagger",
        type=float,
        default=0.0,
        help="the posts and help requests fall due this many seconds after the reminders",
    )
    parser.add_argument("--keep-logs", type=Path, help="copy the bot processes' logs here")
    parser.add_argument(
        "--skip-hour", action="store_true", help="only the seeded year and the second one"
    )
    parser.add_argument(
        "--matrix-communities",
        type=int,
        help="communities with a Matrix room too (5; --quick 1; 0: Telegram only)",
    )
    parser.add_argument(
        "--matrix-members", type=int, help="people on Matrix in them (500; --quick 50)"
    )
    parser.add_argument(
        "--matrix-typed",
        type=int,
        help="Matrix people who type an answer (default: the Telegram share that acts)",
    )
    parser.add_argument(
        "--matrix-rate-limit",
        action="store_true",
        help="keep Synapse's default message limit for the bot (no override)",
    )
    parser.add_argument("--quick", action="store_true", help="everything /10, window 60 s")
    args = parser.parse_args()
    if args.quick:
        args.members, args.history_dates, args.presses = 2_000, 200, 500
        args.typed, args.help, args.window = 200, 20, 60.0
        args.deadline = min(args.deadline, 600.0)
    if args.matrix_communities is None:
        args.matrix_communities = 1 if args.quick else 5
    if args.matrix_members is None:
        args.matrix_members = 50 if args.quick else 500
    if not args.matrix_communities:
        args.matrix_members = 0
    if args.matrix_typed is None:  # no buttons: those who would press type instead
        acting = (args.presses + args.typed) / max(args.members, 1)
        args.matrix_typed = round(args.matrix_members * min(acting, 1.0))
    args.matrix_typed = min(args.matrix_typed, args.matrix_members)
    if args.matrix_communities > args.communities or args.matrix_members < 0:
        parser.error("--matrix-communities at most --communities; --matrix-members >= 0")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    wall = time.monotonic()
    figures = asyncio.run(main_async(args))
    figures["wall_s"] = round(time.monotonic() - wall, 1)
    figures["load_1m"] = round(load[0], 2)
    print()
    for key, value in figures.items():
        print(f"{key:32s} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
