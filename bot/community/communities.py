"""Communities, linked chats and roles. Every role check reads these tables."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import (
    Account,
    AdminCode,
    AuditLog,
    ButtonToken,
    Chat,
    Community,
    Event,
    Person,
    Role,
    Series,
)
from bot.domain.numbers import is_number
from bot.domain.roles import ADMIN, MEMBER, TEAM, effective


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.replace("ß", "ss")).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", text.decode().lower()).strip("-")
    return slug[:48] or "gruppe"


async def create_community(
    session: AsyncSession,
    name: str,
    *,
    now: datetime,
    timezone: str = "Europe/Berlin",
    locale: str = "de",
    created_by: int | None = None,
    is_demo: bool = False,
) -> Community:
    base = slugify(name)
    slug, n = base, 1
    while await session.scalar(select(Community.id).where(Community.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    community = Community(
        slug=slug,
        name=name[:200],
        timezone=timezone,
        locale=locale,
        is_demo=is_demo,
        created_at=now,
    )
    session.add(community)
    await session.flush()
    if created_by is not None:
        await grant_role(session, created_by, community.id, ADMIN, granted_by=created_by, now=now)
    return community


async def find_community(session: AsyncSession, ref: str) -> Community | None:
    """By number or by short name (slug)."""
    ref = ref.strip()
    if is_number(ref):
        return await session.get(Community, int(ref))
    return await session.scalar(select(Community).where(Community.slug == slugify(ref)))


async def granted_roles(
    session: AsyncSession, person_id: int, community_id: int | None
) -> set[str]:
    """The roles granted to the person in that community, as stored."""
    if community_id is None:
        return set()
    granted = await session.scalars(
        select(Role.role).where(Role.person_id == person_id, Role.community_id == community_id)
    )
    return set(granted)


async def roles_in(session: AsyncSession, person_id: int, community_id: int | None) -> set[str]:
    """The person's granted roles in that community, with what they include."""
    return effective(await granted_roles(session, person_id, community_id))


async def ties_of(session: AsyncSession, person: Person) -> list[Community]:
    """The communities a person's private chat may act for: those they have a role in (a
    deployment admin: every community), by number."""
    query = select(Community).order_by(Community.id)
    if not person.deployment_admin:
        query = query.where(
            Community.id.in_(select(Role.community_id).where(Role.person_id == person.id))
        )
    return list((await session.scalars(query)).all())


async def private_community(
    session: AsyncSession, chat: Chat, person: Person
) -> tuple[Community | None, int]:
    """The one place that decides which community a private chat acts for, and how many
    the person could choose from.

    The chat's stored choice while the person still has ties there; else their only
    community (then stored, so that joining another group later changes nothing); with
    several and no valid choice: None, and the person is asked to choose.
    """
    ties = await ties_of(session, person)
    by_id = {c.id: c for c in ties}
    if chat.community_id in by_id:
        return by_id[chat.community_id], len(ties)
    if len(ties) == 1:
        await choose_private(session, chat, ties[0].id)
        return ties[0], 1
    if chat.community_id is not None:
        await choose_private(session, chat, None)  # no role there any more
    return None, len(ties)


async def choose_private(session: AsyncSession, chat: Chat, community_id: int | None) -> None:
    """Store the community a private chat acts for. Buttons offered there for another one
    stop working (dialogs stop by themselves: see Context.dialog_fits)."""
    await _rebind(session, chat, community_id)


async def _rebind(session: AsyncSession, chat: Chat, community_id: int | None) -> None:
    before, chat.community_id = chat.community_id, community_id
    if before is None or before == community_id:
        return  # a first choice: what was offered here was for that one already
    chat.choices = None
    await session.execute(delete(ButtonToken).where(ButtonToken.chat_id == chat.id))


async def grant_role(
    session: AsyncSession,
    person_id: int,
    community_id: int,
    role: str,
    *,
    granted_by: int | None,
    now: datetime,
) -> bool:
    """Grant a role; False when the person had it already."""
    exists = await session.scalar(
        select(Role.id).where(
            Role.person_id == person_id, Role.community_id == community_id, Role.role == role
        )
    )
    if exists is not None:
        return False
    session.add(
        Role(
            person_id=person_id,
            community_id=community_id,
            role=role,
            granted_by=granted_by,
            created_at=now,
        )
    )
    if granted_by is not None:
        # Automatic memberships (writing in a linked chat) are not staff actions.
        session.add(
            AuditLog(
                at=now,
                actor_person_id=granted_by,
                community_id=community_id,
                action="role.grant",
                details={"person": person_id, "role": role},
            )
        )
    await session.flush()
    return True


async def revoke_role(
    session: AsyncSession, person_id: int, community_id: int, role: str, *, by: int, now: datetime
) -> bool:
    result = await session.execute(
        delete(Role).where(
            Role.person_id == person_id, Role.community_id == community_id, Role.role == role
        )
    )
    if result.rowcount:  # type: ignore[attr-defined]
        session.add(
            AuditLog(
                at=now,
                actor_person_id=by,
                community_id=community_id,
                action="role.revoke",
                details={"person": person_id, "role": role},
            )
        )
        return True
    return False


async def count_admins(session: AsyncSession, community_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count(Role.id)).where(Role.community_id == community_id, Role.role == ADMIN)
        )
        or 0
    )


async def link_chat(
    session: AsyncSession, chat: Chat, community: Community, *, by: int, now: datetime
) -> None:
    await _rebind(session, chat, community.id)
    session.add(
        AuditLog(
            at=now,
            actor_person_id=by,
            community_id=community.id,
            action="chat.link",
            details={"chat": chat.id},
        )
    )


async def member(session: AsyncSession, person_id: int, community_id: int) -> Person | None:
    """The person with that number if they belong to the community (have a role there).

    Person numbers are the same for every community: commands that take one use this, so a
    number from elsewhere gets the same answer as one that does not exist (no names leak).
    """
    return await session.scalar(
        select(Person).where(
            Person.id == person_id,
            Person.id.in_(select(Role.person_id).where(Role.community_id == community_id)),
        )
    )


async def deployment_admins(session: AsyncSession) -> list[Person]:
    return list(
        (
            await session.scalars(select(Person).where(Person.deployment_admin).order_by(Person.id))
        ).all()
    )


async def people_of(session: AsyncSession, community_id: int) -> list[tuple[Person, list[str]]]:
    """Everyone with a role in the community, with their granted roles."""
    rows = (
        await session.execute(
            select(Person, Role.role)
            .join(Role, Role.person_id == Person.id)
            .where(Role.community_id == community_id)
            .order_by(Person.id, Role.role)
        )
    ).all()
    result: dict[int, tuple[Person, list[str]]] = {}
    for person, role in rows:
        result.setdefault(person.id, (person, []))[1].append(role)
    return list(result.values())


# --- first admin ---------------------------------------------------------------------------


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


async def any_admin(session: AsyncSession) -> bool:
    has_role = await session.scalar(select(Role.id).where(Role.role == ADMIN).limit(1))
    has_global = await session.scalar(select(Person.id).where(Person.deployment_admin).limit(1))
    return has_role is not None or has_global is not None


async def new_admin_code(session: AsyncSession, now: datetime) -> str:
    """A one-time code; only its hash is stored."""
    code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
    session.add(AdminCode(code_hash=_hash(code), created_at=now))
    return code


async def redeem_admin_code(
    session: AsyncSession, code: str, person: Person, now: datetime
) -> bool:
    row = await session.scalar(
        select(AdminCode).where(AdminCode.code_hash == _hash(code), AdminCode.used_at.is_(None))
    )
    if row is None or now - row.created_at > timedelta(days=7):
        return False
    row.used_at, row.used_by = now, person.id
    if not person.deployment_admin:
        person.deployment_admin, person.admin_source = True, "code"
    session.add(AuditLog(at=now, actor_person_id=person.id, action="admin.code_redeemed"))
    return True


async def revoke_deployment_admin(
    session: AsyncSession, person: Person, *, by: int | None, now: datetime
) -> None:
    """Take the deployment admin flag away, audit-logged."""
    person.deployment_admin, person.admin_source = False, None
    session.add(
        AuditLog(at=now, actor_person_id=by, action="admin.revoke", details={"person": person.id})
    )


async def sync_config_admins(session: AsyncSession, admins: list[str], now: datetime) -> list[str]:
    """Make ``bot.admins`` the truth: its accounts are deployment admins, and admins from
    an earlier configuration that are no longer listed lose the flag (admins made by the
    one-time code keep it). Returns the revoked accounts ("platform:id") for the log."""
    listed = set(admins)
    pairs = [tuple(entry.split(":", 1)) for entry in listed if ":" in entry]
    if pairs:
        # A listed account that wrote before: its person is a deployment admin now.
        found = await session.scalars(
            select(Person)
            .join(Account, Account.person_id == Person.id)
            .where(tuple_(Account.platform, Account.external_id).in_(pairs))
        )
        for person in found:
            if not person.deployment_admin:
                person.deployment_admin, person.admin_source = True, "config"
    rows = (
        await session.execute(
            select(Person, Account.platform, Account.external_id)
            .join(Account, Account.person_id == Person.id)
            .where(Person.deployment_admin, Person.admin_source == "config")
        )
    ).all()
    accounts: dict[int, list[str]] = {}
    people: dict[int, Person] = {}
    for person, platform, external_id in rows:
        accounts.setdefault(person.id, []).append(f"{platform}:{external_id}")
        people[person.id] = person
    revoked: list[str] = []
    for person_id, person in people.items():
        if not listed.intersection(accounts[person_id]):
            await revoke_deployment_admin(session, person, by=None, now=now)
            revoked += accounts[person_id]
    return revoked


# --- demo ------------------------------------------------------------------------------------


async def ensure_demo_community(
    session: AsyncSession, name: str, timezone: str, now: datetime
) -> Community:
    """The demo community with one upcoming Digitalcafé, created on first run."""
    community = await session.scalar(select(Community).where(Community.is_demo))
    if community is None:
        community = await create_community(session, name, now=now, timezone=timezone, is_demo=True)
        session.add(
            Series(
                community_id=community.id,
                kind="cafe",
                title="Digitalcafé",
                rrule="FREQ=MONTHLY;BYDAY=+1WE",
                place="Stadtbibliothek, Raum 2",
                topic="Fotos vom Handy an die Familie schicken",
                capacity=15,
                created_at=now,
            )
        )
    upcoming = await session.scalar(
        select(Event.id).where(Event.community_id == community.id, Event.starts_at > now).limit(1)
    )
    if upcoming is None:
        starts = _next_demo_date(now, timezone)
        series_id = await session.scalar(
            select(Series.id).where(Series.community_id == community.id).limit(1)
        )
        session.add(
            Event(
                community_id=community.id,
                series_id=series_id,
                title="Digitalcafé",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                place="Stadtbibliothek, Raum 2",
                topic="Fotos vom Handy an die Familie schicken",
                capacity=15,
                created_at=now,
            )
        )
    await session.flush()
    return community


def _next_demo_date(now: datetime, timezone: str) -> datetime:
    """Next Wednesday at 15:00 local time, at least a day ahead."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    local = (now + timedelta(days=1)).astimezone(zone)
    days = (2 - local.weekday()) % 7
    day = (local + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=zone).astimezone(now.tzinfo)


async def add_member(
    session: AsyncSession, person_id: int, community_id: int, now: datetime
) -> None:
    """Everyone who writes in a community's chat is a member of it."""
    await grant_role(session, person_id, community_id, MEMBER, granted_by=None, now=now)


async def group_chats(session: AsyncSession, community_id: int) -> list[Chat]:
    """The community's linked group chats, where announcements go."""
    return list(
        (
            await session.scalars(
                select(Chat)
                .where(Chat.community_id == community_id, Chat.kind == "group")
                .order_by(Chat.id)
            )
        ).all()
    )


async def team_of(session: AsyncSession, community_id: int) -> list[int]:
    """Staff, coordinators and admins of a community: who hears what needs a person."""
    return list(
        (
            await session.scalars(
                select(Role.person_id)
                .where(Role.community_id == community_id, Role.role.in_(TEAM))
                .distinct()
                .order_by(Role.person_id)
            )
        ).all()
    )
