"""This deployment's own identity, kept in the database: created once (at the first start, or
by whoever needs it first), then the same after every restart, a backup's restore and a move
to PostgreSQL, because it travels with the data. Calendar UIDs use it, so two towns' feeds
never collide in one calendar app (RFC 5545: UIDs are globally unique)."""

from __future__ import annotations

import json
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import Event, KeyValue

KEY = "deployment"


@dataclass(frozen=True, slots=True)
class Deployment:
    # A random UUID, made once per deployment.
    id: str
    # Dates up to this number existed before the deployment had an id: their calendar
    # entries keep the UID they were handed out with, so a later cancellation still
    # matches the copy people imported.
    older_event_ids_up_to: int = 0


# Read once per database and process: every sign-up's calendar file names it, and once
# stored it never changes (a restore of another deployment's backup means a restart).
_stored: weakref.WeakKeyDictionary[Any, Deployment] = weakref.WeakKeyDictionary()


async def deployment(session: AsyncSession) -> Deployment:
    """This deployment's identity; made on first use in the caller's transaction (processes
    starting together agree: the first insert wins, the others read it)."""
    engine = getattr(session.bind, "sync_engine", None)
    known = _stored.get(engine) if engine is not None else None
    if known is not None:
        return known
    row = await session.get(KeyValue, KEY)
    if row is None:
        older = await session.scalar(select(func.coalesce(func.max(Event.id), 0)))
        value = json.dumps({"id": str(uuid.uuid4()), "older_event_ids_up_to": int(older or 0)})
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        await session.execute(
            insert(KeyValue)
            .values(key=KEY, value=value, updated_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=[KeyValue.key])
        )
        row = await session.get(KeyValue, KEY, populate_existing=True)
        assert row is not None
        # Not kept yet: the caller's transaction may still roll back, and another
        # process's insert win.
        engine = None
    data = json.loads(row.value)
    made = Deployment(data["id"], int(data.get("older_event_ids_up_to", 0)))
    if engine is not None:
        _stored[engine] = made
    return made
