"""One person across platforms: link codes, and merging two person rows into one."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Table, and_, delete, exists, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.domain.models import AuditLog, Base, LinkCode, Person
from bot.domain.work import Work

CODE_LIFETIME = timedelta(minutes=30)
# No 0/O, 1/I/L: codes are read from one phone and typed on another.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _hash(code: str) -> str:
    return hashlib.sha256("".join(code.split()).replace("-", "").upper().encode()).hexdigest()


async def new_code(work: Work, person_id: int) -> str:
    """A one-time code for linking this person's account in another app (30 minutes)."""
    now = work.now
    code = "".join(secrets.choice(_ALPHABET) for _ in range(6))
    work.session.add(
        LinkCode(
            code_hash=_hash(code),
            person_id=person_id,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    return code


async def redeem(work: Work, code: str, person_id: int) -> Person | None:
    """Join the person into the code's person (the two apps' accounts become one); that
    person, or None when the code is unknown, used or expired."""
    session, now = work.session, work.now
    row = await session.scalar(
        select(LinkCode).where(LinkCode.code_hash == _hash(code), LinkCode.used_at.is_(None))
    )
    if row is None or row.expires_at < now:
        return None
    row.used_at = now
    keep_id, drop_id = row.person_id, person_id
    if keep_id != drop_id:
        await merge_persons(session, keep_id=keep_id, drop_id=drop_id)
        session.add(
            AuditLog(
                at=now,
                actor_person_id=keep_id,
                action="account.link",
                details={"merged_person": drop_id},
            )
        )
    return await session.get(Person, keep_id)


async def merge_persons(session: AsyncSession, *, keep_id: int, drop_id: int) -> None:
    """Move everything that points at ``drop_id`` to ``keep_id``, then delete ``drop_id``.

    Works from the foreign keys, so tables added later are merged too. Rows that would
    break a unique constraint (the same role twice) are dropped from the merged person.
    """
    keep = await session.get(Person, keep_id)
    drop = await session.get(Person, drop_id)
    assert keep is not None and drop is not None
    keep.locale = keep.locale or drop.locale
    keep.deployment_admin = keep.deployment_admin or drop.deployment_admin
    if keep.admin_source != drop.admin_source and drop.deployment_admin:
        # A code admin stays one even if the other account's config entry goes away.
        keep.admin_source = "code" if "code" in (keep.admin_source, drop.admin_source) else "config"
    await session.flush()
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != "persons" or table.name == "persons":
                continue
            column = fk.parent
            await _drop_colliding(session, table, column.name, keep_id, drop_id)
            await session.execute(
                update(table).where(column == drop_id).values({column.name: keep_id})
            )
    await session.execute(delete(Person).where(Person.id == drop_id))
    # The row is gone; the object must not be flushed again.
    session.expunge(drop)
    _follow_loaded(session, keep_id, drop_id)


def _follow_loaded(session: AsyncSession, keep_id: int, drop_id: int) -> None:
    """Objects already loaded (the chat being answered) still say ``drop_id``: the updates
    above bypass them, and a later write (who a reply is about) must not use the old id."""
    for obj in list(session.identity_map.values()):
        for column in obj.__table__.columns:
            if any(fk.column.table.name == "persons" for fk in column.foreign_keys):
                attribute = obj.__mapper__.get_property_by_column(column).key
                if obj.__dict__.get(attribute) == drop_id:
                    set_committed_value(obj, attribute, keep_id)


async def _drop_colliding(
    session: AsyncSession, table: Table, column: str, keep_id: int, drop_id: int
) -> None:
    for constraint in table.constraints:
        names = [c.name for c in getattr(constraint, "columns", [])]
        # A composite primary key (a link table such as outbox_subjects) is unique too.
        kind = constraint.__class__.__name__
        if column not in names or kind not in ("UniqueConstraint", "PrimaryKeyConstraint"):
            continue
        other = table.alias("other")
        same = and_(true(), *(other.c[n] == table.c[n] for n in names if n != column))
        await session.execute(
            delete(table).where(
                table.c[column] == drop_id,
                exists().where(other.c[column] == keep_id, same),
            )
        )
