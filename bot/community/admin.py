"""Administration use cases: the first admin, groups, linking chats, roles and the group a
private chat acts for.

Each takes a ``Work`` and plain arguments and returns a plain result or a refusal word; the
chat handlers (handlers/admin) only parse and word the answers, so a staff web page or the
command line can call the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from bot.community import communities
from bot.domain.models import Chat, Community, Person
from bot.domain.numbers import is_number
from bot.domain.roles import ADMIN
from bot.domain.work import Work

NAME_LENGTHS = (2, 100)

LinkRefusal = Literal["unknown", "not_admin", "foreign_chat"]
# "unknown_group": a named group that does not exist or the actor does not administer;
# "group_needed": no group named and none here; "not_admin_here": not an admin of the
# chat's own group; "no_person": the number is nobody of that group (or nobody at all).
RoleRefusal = Literal["unknown_group", "group_needed", "not_admin_here", "no_person"]
WithdrawRefusal = Literal["unknown", "config", "last"]


@dataclass(frozen=True, slots=True)
class RoleChange:
    """A role given or taken: whom, where, and whether anything changed."""

    person: Person
    community: Community
    changed: bool


async def claim_admin(work: Work, code: str, person: Person) -> bool:
    """Redeem the one-time code printed at start; False when it does not work."""
    return await communities.redeem_admin_code(work.session, code, person, work.now)


async def create_group(
    work: Work, name: str, *, locale: str, created_by: int, private_chat: Chat | None
) -> Community | None:
    """A new community (its creator its admin); None when the name is too short or long.

    ``private_chat``: the creator's private chat, which acts for the new group from now on.
    """
    name = " ".join(name.split())
    if not NAME_LENGTHS[0] <= len(name) <= NAME_LENGTHS[1]:
        return None
    community = await communities.create_community(
        work.session, name, now=work.now, locale=locale, created_by=created_by
    )
    if private_chat is not None:
        await communities.choose_private(work.session, private_chat, community.id)
    return community


async def all_groups(work: Work) -> list[Community]:
    """Every community of this deployment, by number."""
    return list((await work.session.scalars(select(Community).order_by(Community.id))).all())


async def administers(work: Work, person: Person, community_id: int | None) -> bool:
    """Admin of that community (by role there), or of the whole deployment."""
    if person.deployment_admin:
        return True
    return ADMIN in await communities.roles_in(work.session, person.id, community_id)


async def link_chat(work: Work, chat: Chat, ref: str, person: Person) -> Community | LinkRefusal:
    """Link the chat to the community named by number or short name, if the person
    administers it (and, for a group chat of another community, that one too)."""
    community = await communities.find_community(work.session, ref)
    if community is None:
        return "unknown"
    if not await administers(work, person, community.id):
        return "not_admin"
    current = chat.community_id
    if chat.kind == "group" and current not in (None, community.id):
        # The chat belongs to another community: taking it over needs an admin of that one.
        if not await administers(work, person, current):
            return "foreign_chat"
    await communities.link_chat(work.session, chat, community, by=person.id, now=work.now)
    return community


async def groups_of(work: Work, person: Person) -> list[Community]:
    """The communities the person's private chat may act for."""
    return await communities.ties_of(work.session, person)


async def switch_group(work: Work, chat: Chat, person: Person, ref: str | int) -> Community | None:
    """Let the private chat act for the group given by number (or short name); None when
    the person does not belong to it."""
    ties = await communities.ties_of(work.session, person)
    if isinstance(ref, int):
        chosen = next((c for c in ties if c.id == ref), None)
    else:
        key = ref.strip()
        chosen = next((c for c in ties if str(c.id) == key or c.slug == key.casefold()), None)
    if chosen is not None:
        await communities.choose_private(work.session, chat, chosen.id)
    return chosen


async def people(work: Work, community_id: int) -> list[tuple[Person, list[str]]]:
    """Everyone with a role in the community, with their granted roles."""
    return await communities.people_of(work.session, community_id)


async def _role_target(
    work: Work, actor: Person, number: int, group: str | None, here: Community | None
) -> tuple[Person, Community] | RoleRefusal:
    """The person and the group a role command is about: the chat's own group unless one
    is named; the actor must administer it and the person belong to it."""
    community = here
    if group is not None:
        community = await communities.find_community(work.session, group)
        if community is None or not await administers(work, actor, community.id):
            return "unknown_group"
    elif community is None:
        return "group_needed"
    elif not await administers(work, actor, community.id):
        return "not_admin_here"
    target = await communities.member(work.session, number, community.id)
    if target is None:
        # Unknown and foreign numbers get the same answer: numbers reveal nobody.
        return "no_person"
    return target, community


async def give_role(
    work: Work, actor: Person, number: int, role: str, group: str | None, here: Community | None
) -> RoleChange | RoleRefusal:
    """Give person ``number`` the role in the named group (else the chat's own)."""
    found = await _role_target(work, actor, number, group, here)
    if isinstance(found, str):
        return found
    target, community = found
    changed = await communities.grant_role(
        work.session, target.id, community.id, role, granted_by=actor.id, now=work.now
    )
    return RoleChange(target, community, changed)


async def take_role(
    work: Work, actor: Person, number: int, role: str, group: str | None, here: Community | None
) -> RoleChange | RoleRefusal | Literal["last_admin"]:
    """Take the role away; never the group's last admin role."""
    found = await _role_target(work, actor, number, group, here)
    if isinstance(found, str):
        return found
    target, community = found
    if role == ADMIN and await communities.count_admins(work.session, community.id) <= 1:
        return "last_admin"
    changed = await communities.revoke_role(
        work.session, target.id, community.id, role, by=actor.id, now=work.now
    )
    return RoleChange(target, community, changed)


async def withdraw_admin(work: Work, actor: Person, ref: str) -> Person | WithdrawRefusal:
    """Take away another deployment admin's rights (made by the one-time code), never the
    last one's; admins from the configuration are changed there."""
    admins = await communities.deployment_admins(work.session)
    target = next((p for p in admins if is_number(ref) and p.id == int(ref)), None)
    if target is None:
        return "unknown"
    if target.admin_source == "config":
        # The configuration is the truth at every start: revoking here would not last.
        return "config"
    if len(admins) <= 1:
        return "last"
    await communities.revoke_deployment_admin(work.session, target, by=actor.id, now=work.now)
    return target
