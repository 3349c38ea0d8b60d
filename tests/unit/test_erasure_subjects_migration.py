"""The migration to erasure by reference, on a database that already holds messages: rows
in a private chat become about its person, delivered files lose their bytes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy import text

from bot.infra import migrate
from bot.infra.db import create_engine

BEFORE = "0015"  # the revision before erasure by reference
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def _fill(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:

        async def insert(sql: str, **values: object) -> None:
            await connection.execute(text(sql), values)

        for number, name in ((1, "Jürgen Müßig"), (2, "Staff")):
            await insert(
                "INSERT INTO persons (id, display_name, deployment_admin, created_at)"
                " VALUES (:id, :name, false, :now)",
                id=number,
                name=name,
                now=NOW,
            )
        for number, external, kind, person in ((1, "7001", "direct", 1), (2, "-10", "group", None)):
            await insert(
                "INSERT INTO chats (id, platform, external_id, kind, title, person_id, created_at)"
                " VALUES (:id, 'telegram', :external, :kind, '', :person, :now)",
                id=number,
                external=external,
                kind=kind,
                person=person,
                now=NOW,
            )
        rows = (
            (1, "private-sent", 1, "sent", b"{}"),
            (2, "private-pending", 1, "pending", b"{}"),
            (3, "group-sent", 2, "sent", None),
        )
        for number, key, chat, status, data in rows:
            await insert(
                "INSERT INTO outbox (id, dedup_key, chat_id, content, attachment, status, due_at,"
                " attempts, last_error, created_at)"
                " VALUES (:id, :key, :chat, :content, :data, :status, :now, 0, '', :now)",
                id=number,
                key=key,
                chat=chat,
                content=json.dumps({"text": "Hallo", "buttons": []}),
                data=data,
                status=status,
                now=NOW,
            )
        await insert(
            "INSERT INTO button_tokens (key, chat_id, action, args, label, aliases, created_at,"
            " expires_at) VALUES ('k1', 1, 'x', '{}', 'Ja', '[]', :now, :now)",
            now=NOW,
        )
    await engine.dispose()


async def _read(url: str) -> tuple[list, list, list]:  # type: ignore[type-arg]
    engine = create_engine(url)
    async with engine.connect() as connection:
        subjects = (
            await connection.execute(text("SELECT outbox_id, person_id FROM outbox_subjects"))
        ).all()
        buttons = (
            await connection.execute(
                text("SELECT button_key, person_id FROM button_token_subjects")
            )
        ).all()
        files = (
            await connection.execute(text("SELECT dedup_key, attachment FROM outbox ORDER BY id"))
        ).all()
    await engine.dispose()
    return sorted(map(tuple, subjects)), list(map(tuple, buttons)), list(map(tuple, files))


async def test_existing_rows_get_their_certain_subject_and_sent_files_go(
    database_url: str,
) -> None:
    await asyncio.to_thread(migrate.upgrade, database_url, BEFORE)
    await _fill(database_url)
    await asyncio.to_thread(migrate.upgrade, database_url)
    subjects, buttons, files = await _read(database_url)
    assert subjects == [(1, 1), (2, 1)]  # a group message names nobody we could know
    assert buttons == [("k1", 1)]
    assert [(key, data is None) for key, data in files] == [
        ("private-sent", True),
        ("private-pending", False),  # still to be delivered
        ("group-sent", True),
    ]
