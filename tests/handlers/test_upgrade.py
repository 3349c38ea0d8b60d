"""An upgrade from the previous release: a database made by its migrations (up to 0015, the
head at stop 15) and filled by plain SQL as that release wrote it, then migrated to head;
the bot answers with every date, sign-up and waiting message intact."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from bot.bootstrap import build_app, prepare
from bot.domain.models import OutboxMessage
from bot.infra import migrate
from bot.infra.db import create_engine
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, telegram_like
from tests.fakes.memory import Person as Someone

PREVIOUS = "0015"
ADA = Someone("1", "Ada")
ERIKA = Someone("2", "Erika")

_ROWS = [
    "INSERT INTO communities (id, slug, name, timezone, locale, contact, relay, is_demo,"
    " created_at, privacy_text, privacy_contact) VALUES (1, 'altstadt', 'Digitalcafé Altstadt',"
    " 'Europe/Berlin', 'de', '', :false, :false, :created, '', '')",
    "INSERT INTO persons (id, display_name, deployment_admin, created_at)"
    " VALUES (1, 'Ada', :true, :created), (2, 'Erika', :false, :created)",
    "INSERT INTO accounts (id, person_id, platform, external_id, display_name, unreachable,"
    " created_at) VALUES (1, 1, 'telegram', '1', 'Ada', :false, :created),"
    " (2, 2, 'telegram', '2', 'Erika', :false, :created)",
    "INSERT INTO roles (id, person_id, community_id, role, created_at)"
    " VALUES (1, 1, 1, 'staff', :created), (2, 1, 1, 'member', :created),"
    " (3, 2, 1, 'member', :created)",
    "INSERT INTO chats (id, platform, external_id, kind, title, community_id, person_id,"
    " created_at) VALUES (1, 'telegram', '-10', 'group', 'Digitalcafé', 1, NULL, :created),"
    " (2, 'telegram', 'dm-2', 'direct', '', 1, 2, :created),"
    " (3, 'telegram', 'dm-1', 'direct', '', 1, 1, :created)",
    "INSERT INTO events (id, community_id, title, starts_at, ends_at, place, topic, capacity,"
    " status, created_at) VALUES (1, 1, 'Handy-Sprechstunde', :starts, :ends,"
    " 'Stadtbibliothek, Markt 1', 'Fotos vom Handy schicken', 10, 'scheduled', :created)",
    "INSERT INTO rsvps (id, event_id, person_id, status, party_size, created_at, updated_at)"
    " VALUES (1, 1, 2, 'yes', 2, :created, :created)",
    "INSERT INTO outbox (id, dedup_key, chat_id, content, status, due_at, attempts, last_error,"
    " created_at) VALUES (1, 'old-release-1', 2, :content, 'pending', :created, 0, '', :created)",
]


async def _fill_as_the_previous_release(url: str) -> None:
    engine = create_engine(url)
    sqlite = url.startswith("sqlite")

    def moment(value: datetime) -> object:
        # As that release stored them: naive UTC text on SQLite, timestamptz on PostgreSQL.
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value

    values = {
        "true": True,
        "false": False,
        "created": moment(datetime(2026, 11, 1, 10, 0, tzinfo=UTC)),
        "starts": moment(datetime(2026, 11, 25, 14, 0, tzinfo=UTC)),
        "ends": moment(datetime(2026, 11, 25, 16, 0, tzinfo=UTC)),
        "content": json.dumps({"text": "Ihre Anmeldung ist gespeichert.", "buttons": []}),
    }
    try:
        async with engine.begin() as connection:
            for statement in _ROWS:
                await connection.execute(text(statement), values)
            if not sqlite:
                # The release took ids from the sequences; these rows name theirs.
                for table in (
                    "communities",
                    "persons",
                    "accounts",
                    "roles",
                    "chats",
                    "events",
                    "rsvps",
                    "outbox",
                ):
                    await connection.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)")
                    )
    finally:
        await engine.dispose()


async def test_database_of_the_previous_release_upgrades_with_its_data(
    database_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(migrate.upgrade, database_url, PREVIOUS)
    await _fill_as_the_previous_release(database_url)
    await asyncio.to_thread(migrate.upgrade, database_url)

    settings = make_settings(
        database_url, tmp_path, bot={"admins": ["telegram:1"]}, demo={"enabled": False}
    )
    app = build_app(settings, clock=FakeClock(), adapters=[telegram_like()])
    try:
        await prepare(app)
        bot = Conversation(app, app.adapters["telegram"])  # type: ignore[arg-type]
        # The message that waited in the outbox goes out.
        assert [(s.chat_id, s.text) for s in await bot.flush()] == [
            ("dm-2", "Ihre Anmeldung ist gespeichert.")
        ]
        [dates] = await bot.say(ERIKA, "/termine")
        assert "Handy-Sprechstunde" in dates.text
        assert "Mittwoch, 25. November 2026, 15:00" in dates.text
        [who] = await bot.say(ADA, "/teilnehmer 1")
        assert "Erika" in who.text
        async with app.sessions() as session:
            sent = await session.scalar(select(OutboxMessage).where(OutboxMessage.id == 1))
        assert sent is not None and sent.status == "sent"
    finally:
        await app.close()
