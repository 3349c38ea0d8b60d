"""Migration 0017 keeps what existing private chats act for and why admins are admins."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot.infra import migrate
from bot.infra.db import create_engine

ROWS = [
    "INSERT INTO communities (id, slug, name, timezone, locale, contact, relay, is_demo,"
    " privacy_text, privacy_contact, created_at) VALUES"
    " (1, 'a', 'A', 'Europe/Berlin', 'de', '', false, false, '', '', '2026-01-01'),"
    " (2, 'b', 'B', 'Europe/Berlin', 'de', '', false, false, '', '', '2026-01-01')",
    "INSERT INTO persons (id, display_name, deployment_admin, created_at) VALUES"
    " (1, 'Ada', true, '2026-01-01'), (2, 'Cem', true, '2026-01-01'),"
    " (3, 'Mia', false, '2026-01-01')",
    "INSERT INTO admin_codes (id, code_hash, created_at, used_at, used_by) VALUES"
    " (1, 'x', '2026-01-01', '2026-01-02', 2)",
    "INSERT INTO roles (id, person_id, community_id, role, created_at) VALUES"
    " (1, 3, 1, 'staff', '2026-01-01'), (2, 3, 2, 'member', '2026-02-01')",
    "INSERT INTO chats (id, platform, external_id, kind, title, person_id, created_at) VALUES"
    " (1, 'telegram', '3', 'direct', '', 3, '2026-01-01')",
]


async def test_existing_private_chats_and_admins_are_kept(database_url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, database_url, "0015")
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        for statement in ROWS:
            await connection.execute(text(statement))
    await asyncio.to_thread(migrate.upgrade, database_url)
    async with engine.connect() as connection:
        chat = await connection.scalar(text("SELECT community_id FROM chats WHERE id = 1"))
        sources = (
            await connection.execute(text("SELECT id, admin_source FROM persons ORDER BY id"))
        ).all()
    await engine.dispose()
    # Mia's private chat acted for the community of her latest role, and still does.
    assert chat == 2
    assert [tuple(row) for row in sources] == [(1, "config"), (2, "code"), (3, None)]
