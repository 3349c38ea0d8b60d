"""Alembic: upgrade an empty database, no drift against the models, down and up again."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.domain.models import Base
from bot.infra import migrate
from bot.infra.db import create_engine


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names


async def _drift(url: str) -> list:  # type: ignore[type-arg]
    engine = create_engine(url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    await engine.dispose()
    return diff


async def test_upgrade_head_matches_models_and_round_trips(database_url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, database_url)
    assert set(Base.metadata.tables) <= await _tables(database_url)
    assert await _drift(database_url) == []

    engine = create_engine(database_url)
    assert await migrate.database_revision(engine) == migrate.head_revision()
    await engine.dispose()

    await asyncio.to_thread(migrate.downgrade, database_url, "base")
    assert await _tables(database_url) <= {"alembic_version"}
    await asyncio.to_thread(migrate.upgrade, database_url)
    assert await _drift(database_url) == []
