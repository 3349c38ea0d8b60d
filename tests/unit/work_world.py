"""A few rows for calling use cases without a chat: people with roles, a community, and a
``Work`` around one transaction (the service tests of admin, privacy, exports, certificates)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select

from bot.domain.models import Community, Person, Role
from bot.domain.work import Work


@asynccontextmanager
async def work(app: Any) -> AsyncIterator[Work]:
    """One committed transaction at the app's clock time."""
    async with app.sessions.begin() as session:
        yield Work(session, app.clock.now())


async def demo_id(app: Any) -> int:
    async with app.sessions() as session:
        community_id = await session.scalar(select(Community.id).where(Community.is_demo))
    assert community_id is not None
    return community_id


async def person(
    app: Any, name: str, *roles: str, community_id: int | None = None, **fields: Any
) -> int:
    """A person with the roles in the community (the demo community unless given)."""
    if roles and community_id is None:
        community_id = await demo_id(app)
    async with work(app) as w:
        someone = Person(display_name=name, **fields)
        w.session.add(someone)
        await w.session.flush()
        for role in roles:
            w.session.add(
                Role(person_id=someone.id, community_id=community_id, role=role, created_at=w.now)
            )
        return someone.id


async def rows(app: Any, model: type, *where: Any) -> list[Any]:
    """The rows of a table, oldest first, read in a fresh session."""
    async with app.sessions() as session:
        return list((await session.scalars(select(model).where(*where).order_by(model.id))).all())
