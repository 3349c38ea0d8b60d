"""Two communities on a memory platform that plays Telegram, with one person per role, dates,
sign-ups, an announcement, help requests and a feedback row: the world the authorization
matrix and the input properties try things in. Built once into an SQLite file, then copied.

What ``snapshot`` compares is the domain data: bookkeeping that changes with every message
(processed events, the outbox, button keys, key-value markers, the chat's last offered
choices) is left out, so "nothing changed" means nothing a person or a report could see.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from bot.bootstrap import App, build_app, prepare
from bot.chat.types import ChatRef
from bot.config import Settings
from bot.dates import announcements, attendance
from bot.domain.models import (
    Account,
    Base,
    ButtonToken,
    Chat,
    Event,
    Feedback,
    HelpOffer,
    HelpRequest,
    OutboxMessage,
    Rsvp,
)
from bot.infra import migrate
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, Shown, telegram_like
from tests.fakes.memory import Person as Someone
from tests.servers.postgres import PostgresCluster

PLATFORM = "telegram"
GROUP_1, GROUP_2 = "-10", "-20"

ADA = Someone("1", "Ada")  # deployment admin from the configuration
MIA = Someone("10", "Mia Mitglied")  # member of community 1
VOLKER = Someone("11", "Volker Lotse")  # Digitallotse of community 1
SUSI = Someone("12", "Susi Team")  # staff of community 1
CARLA = Someone("13", "Carla Koordination")  # coordinator of community 1
ANTON = Someone("14", "Anton Admin")  # admin of community 1
OLGA = Someone("20", "Olga Fremd")  # staff of community 2 only
FAKE_ADA = Someone("99", "Ada")  # same display name as the deployment admin, another user
# What bot/adapters/telegram.py makes of a message with ``sender_chat`` (an anonymous group
# admin posting as the group): the chat's id as "chat<id>", its title, and is_bot=True.
ANONYMOUS = Someone(f"chat{GROUP_1}", "Digitalcafé Musterstadt", None, is_bot=True)

# Role label → who plays it.
ACTORS: dict[str, Someone] = {
    "member": MIA,
    "volunteer": VOLKER,
    "staff": SUSI,
    "coordinator": CARLA,
    "admin": ANTON,
    "other_staff": OLGA,
    "lookalike": FAKE_ADA,
    "anonymous": ANONYMOUS,
    "deployment_admin": ADA,
}

# Words that only people allowed to see them may ever get in a reply.
SECRET_NAME, SECRET_PHONE = "Erika Geheim", "0151 2345678"
SECRET_REQUEST = "Geheime Beschreibung"
SECRET_ANNOUNCEMENT = "Geheime Ankündigung"

APOLOGY = "Bei uns ist etwas schiefgegangen"
REFUSED = "Das dürfen hier leider nur die Verantwortlichen."

# Bookkeeping, not domain data (see the module docstring).
IGNORED_TABLES = {
    "processed_events",
    "outbox",
    "outbox_subjects",
    "button_tokens",
    "button_token_subjects",
    "key_values",
}
IGNORED_COLUMNS = {
    ("chats", "choices"),
    ("conversation_states", "updated_at"),
    ("conversation_states", "id"),
    # Set once, when the data protection note is shown after a first private message.
    ("persons", "privacy_noted_at"),
}


def private(person: Someone) -> ChatRef:
    """Telegram's private chat: its id is the user id."""
    return ChatRef(PLATFORM, person.user_id, "direct")


def group(chat_id: str) -> ChatRef:
    titles = {GROUP_1: "Digitalcafé Musterstadt", GROUP_2: "Lesecafé Süd"}
    return ChatRef(PLATFORM, chat_id, "group", titles.get(chat_id, ""))


def settings_for(url: str, data_dir: Path) -> Settings:
    sections: dict[str, dict[str, Any]] = {"bot": {"admins": [f"{PLATFORM}:{ADA.user_id}"]}}
    privacy = Settings.model_fields.get("privacy")
    if privacy is not None and "flood_messages" in getattr(privacy.annotation, "model_fields", {}):
        # Many messages from one person within seconds: the flood guard must not cut in.
        sections["privacy"] = {"flood_messages": 1000, "flood_seconds": 5}
    return make_settings(url, data_dir, **sections)


@dataclass
class World:
    """A running copy of the world: the app, the conversation and the ids of its objects."""

    app: App
    tg: Conversation
    ids: dict[str, Any]
    clock: FakeClock
    errors: list[str] = field(default_factory=list)
    # On PostgreSQL: drops this copy's database.
    drop: Callable[[], None] | None = None

    async def close(self) -> None:
        await self.app.close()
        if self.drop is not None:
            self.drop()


@dataclass
class Template:
    path: Path
    ids: dict[str, Any]
    # On PostgreSQL: the filled database that each world copies, and its server.
    postgres: PostgresCluster | None = None
    database: str = ""

    @property
    def backend(self) -> str:
        return "sqlite" if self.postgres is None else "postgresql"


async def _person_id(app: App, who: Someone) -> int:
    async with app.sessions() as session:
        account = await session.scalar(
            select(Account).where(Account.platform == PLATFORM, Account.external_id == who.user_id)
        )
        assert account is not None, who
        return account.person_id


async def _only(tg: Conversation, shown: list[Shown], start: str) -> Shown:
    found = [s for s in shown if s.text.startswith(start)]
    assert found, [s.text for s in shown]
    return found[0]


def build_template(directory: Path, postgres: PostgresCluster | None = None) -> Template:
    """Migrate a fresh SQLite file (or, given a server, a PostgreSQL database) and fill it
    with the world; returns it and the ids.
    Synchronous (migrations run their own event loop): call it outside a running loop."""
    directory.mkdir(parents=True, exist_ok=True)
    if postgres is not None:
        name = f"lotsenbot_world_{uuid4().hex[:12]}"
        url = postgres.create_database(name)
        migrate.upgrade(url)
        return Template(directory, asyncio.run(_build(url, directory)), postgres, name)
    path = directory / "world.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)
    return Template(path, asyncio.run(_build(url, directory)))


async def _build(url: str, directory: Path) -> dict[str, Any]:
    clock = FakeClock()
    adapter = telegram_like()
    app = build_app(settings_for(url, directory), clock=clock, adapters=[adapter])
    await prepare(app)
    tg = Conversation(app, adapter)
    try:
        return await _fill(app, tg, clock)
    finally:
        await app.close()


async def _fill(app: App, tg: Conversation, clock: FakeClock) -> dict[str, Any]:
    g1, g2 = group(GROUP_1), group(GROUP_2)
    await tg.say(ADA, "/verbinden 1", chat=g1)
    await tg.say(ADA, "/start", chat=g1)
    [created] = await tg.say(ADA, "/gruppe_neu Lesecafé Süd", chat=private(ADA))
    found = re.search(r"Nummer (\d+)", created.text)
    assert found, created.text
    community_2 = int(found.group(1))
    await tg.say(ADA, f"/verbinden {community_2}", chat=g2)
    for person in (MIA, VOLKER, SUSI, CARLA, ANTON, FAKE_ADA):
        await tg.say(person, "/start", chat=g1)
    await tg.say(OLGA, "/start", chat=g2)
    ids: dict[str, Any] = {"community_1": 1, "community_2": community_2}
    for label, person in ACTORS.items():
        if label != "anonymous":
            ids[label] = await _person_id(app, person)
    for label, word in (
        ("volunteer", "lotse"),
        ("staff", "team"),
        ("coordinator", "koordination"),
        ("admin", "admin"),
    ):
        [granted] = await tg.say(ADA, f"/rolle_geben {ids[label]} {word}", chat=g1)
        assert "hat jetzt die Rolle" in granted.text, granted.text
    [granted] = await tg.say(ADA, f"/rolle_geben {ids['other_staff']} team", chat=g2)
    assert "hat jetzt die Rolle" in granted.text, granted.text
    # Everyone has written privately once (first contact is behind them).
    for label, person in ACTORS.items():
        if label != "anonymous":
            await tg.say(person, "/start", chat=private(person))

    # Community 1: a single date (posted), a weekly series; community 2: one date.
    [preview] = await tg.say(
        SUSI, "/termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; 5", chat=private(SUSI)
    )
    await tg.press(SUSI, preview, "Speichern und jetzt ankündigen", chat=private(SUSI))
    [preview] = await tg.say(
        SUSI, "/termin_neu Digitalcafé; jeden Mittwoch 15 Uhr; Stadtbibliothek; 10",
        chat=private(SUSI),
    )  # fmt: skip
    await tg.press(SUSI, preview, "Speichern", chat=private(SUSI))
    [preview] = await tg.say(
        OLGA, "/termin_neu Lesestunde; 10.12. 10 Uhr; Bücherei; 5", chat=private(OLGA)
    )
    await tg.press(OLGA, preview, "Speichern", chat=private(OLGA))
    async with app.sessions() as session:
        events = (await session.scalars(select(Event).order_by(Event.starts_at))).all()
    ids["event"] = next(e.id for e in events if e.title == "Sprechstunde")
    ids["series_event"] = next(e.id for e in events if e.title == "Digitalcafé")
    ids["other_event"] = next(e.id for e in events if e.title == "Lesestunde")

    # Mia signed up from the group's post; Erika phoned in (her name and number are private).
    [post] = [s for s in tg.adapter.to(GROUP_1) if s.buttons and "Sprechstunde" in s.text]
    await tg.press(MIA, post, "Ich komme", chat=g1)
    [done] = await tg.say(
        SUSI, f"/anmelden_fuer {ids['event']}; {SECRET_NAME}; {SECRET_PHONE}", chat=private(SUSI)
    )
    assert done.text == f"{SECRET_NAME} ist angemeldet.", done.text

    now = clock.now()
    async with app.sessions.begin() as session:
        row = await announcements.schedule_text(
            session,
            1,
            f"{SECRET_ANNOUNCEMENT}: Am Montag ist die Bibliothek geschlossen.",
            now + timedelta(days=3),
            None,
            None,
            ids["staff"],
            now,
        )
        ids["announcement"] = row.id
        event = await session.get(Event, ids["event"])
        assert event is not None
        ids["checkin_code"] = await attendance.ensure_code(session, event)
        # Erika wants a reminder call the day before (the reminder-call buttons act on it).
        phone_rsvp = await session.scalar(
            select(Rsvp).where(Rsvp.event_id == ids["event"], Rsvp.phone == SECRET_PHONE)
        )
        assert phone_rsvp is not None
        phone_rsvp.call_wanted = True
        ids["phone_rsvp"] = phone_rsvp.id
        session.add(Feedback(event_id=ids["event"], person_id=ids["member"], asked_at=now))
        for name, status in (("offered", "offered"), ("accepted", "accepted"), ("done", "done")):
            request = HelpRequest(
                community_id=1,
                requester_id=ids["member"],
                skill="smartphone",
                description=f"{SECRET_REQUEST} ({name})",
                when_text="dienstags",
                place="phone",
                phone=SECRET_PHONE,
                status=status,
                volunteer_id=None if status == "offered" else ids["volunteer"],
                accepted_at=None if status == "offered" else now,
                done_at=now if status == "done" else None,
                minutes=30 if status == "done" else None,
                created_at=now,
                updated_at=now,
            )
            session.add(request)
            await session.flush()
            ids[f"request_{name}"] = request.id
            session.add(
                HelpOffer(
                    request_id=request.id,
                    volunteer_id=ids["volunteer"],
                    answer="" if status == "offered" else "accepted",
                    sent_at=now,
                )
            )
    await tg.flush()
    return ids


def copy_template(template: Template, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "copy.db"
    shutil.copyfile(template.path, path)
    return path


async def open_world(template: Template, directory: Path) -> World:
    """A fresh copy of the world, running."""
    drop: Callable[[], None] | None = None
    if template.postgres is not None:
        server, name = template.postgres, f"lotsenbot_t_{uuid4().hex[:16]}"
        url = server.create_database(name, template=template.database)
        drop = partial(server.drop_database, name)
    else:
        url = f"sqlite+aiosqlite:///{copy_template(template, directory)}"
    clock = FakeClock()
    adapter = telegram_like()
    app = build_app(settings_for(url, directory), clock=clock, adapters=[adapter])
    await prepare(app)
    # The platform still shows what the bot sent while the world was built (edits need it).
    async with app.sessions() as session:
        sent = (
            await session.execute(
                select(OutboxMessage.platform_message_id, Chat.external_id)
                .join(Chat, Chat.id == OutboxMessage.chat_id)
                .where(OutboxMessage.platform_message_id.is_not(None))
            )
        ).all()
    for message_id, chat_id in sent:
        adapter.shown.append(Shown(chat_id, "", [], "", 0, "", message_id=message_id))
    adapter._ids = itertools.count(10_000)
    tg = Conversation(app, adapter)
    await tg.flush()
    return World(app, tg, dict(template.ids), clock, drop=drop)


Snapshot = dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]]


async def snapshot(app: App) -> Snapshot:
    """Every domain table: its column names and its rows as comparable tuples (bookkeeping
    left out)."""
    result: Snapshot = {}
    async with app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in IGNORED_TABLES:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in IGNORED_COLUMNS]
            rows = (await session.execute(select(*columns))).all()
            result[table.name] = (
                tuple(c.name for c in columns),
                sorted(tuple(repr(v) for v in row) for row in rows),
            )
    return result


def differences(before: Snapshot, after: Snapshot) -> dict[str, dict[str, list[dict[str, str]]]]:
    """Per table: the rows that went away and the rows that are new (a change is both)."""
    changed = {}
    for name, (columns, rows) in before.items():
        old, new = set(rows), set(after[name][1])
        if old != new:
            changed[name] = {
                "gone": [dict(zip(columns, row, strict=True)) for row in sorted(old - new)],
                "new": [dict(zip(columns, row, strict=True)) for row in sorted(new - old)],
            }
    return changed


def not_own(changes: dict[str, dict[str, list[dict[str, str]]]], person_id: int) -> list[str]:
    """Changed rows that belong to someone else (by their person column)."""
    others = []
    for table, sides in changes.items():
        for side, rows in sides.items():
            for row in rows:
                owner = row.get("person_id", row.get("id") if table == "persons" else None)
                if owner is not None and owner != repr(person_id):
                    others.append(f"{table} {side}: {row}")
    return others


async def make_button(
    world: World, chat: ChatRef, action: str, args: dict[str, Any], label: str = "Knopf"
) -> str:
    """A button key as the outbox would have made it, bound to ``chat``."""
    key = uuid4().hex
    now = world.clock.now()
    async with world.app.sessions.begin() as session:
        chat_id = await session.scalar(
            select(Chat.id).where(
                Chat.platform == chat.platform, Chat.external_id == chat.external_id
            )
        )
        assert chat_id is not None, chat
        session.add(
            ButtonToken(
                key=key,
                chat_id=chat_id,
                action=action,
                args=args,
                label=label,
                aliases=[],
                created_at=now,
                expires_at=now + timedelta(days=30),
            )
        )
    return key
