"""Administration use cases without a chat (bot/community/admin.py), on both databases."""

from __future__ import annotations

from bot.chat.types import ChatRef
from bot.community import admin
from bot.domain import people
from bot.domain.models import AuditLog, Chat, Community, Person, Role
from bot.domain.roles import ADMIN, MEMBER, VOLUNTEER
from tests.unit.work_world import demo_id, person, rows, work


async def test_create_group_makes_its_creator_admin_and_points_the_private_chat_at_it(app) -> None:  # type: ignore[no-untyped-def]
    ada = await person(app, "Ada", deployment_admin=True)
    async with work(app) as w:
        chat = await people.get_or_create_chat(
            w.session, ChatRef("console", "ada", "direct"), w.now
        )
        assert (
            await admin.create_group(w, " x ", locale="de", created_by=ada, private_chat=chat)
            is None
        )
        made = await admin.create_group(
            w, "Digitalcafé  Nord", locale="de", created_by=ada, private_chat=chat
        )
        assert made is not None
        made_id, chat_id = made.id, chat.id
    [community] = await rows(app, Community, Community.id == made_id)
    assert community.name == "Digitalcafé Nord"
    assert [(r.person_id, r.role) for r in await rows(app, Role, Role.community_id == made_id)] == [
        (ada, ADMIN)
    ]
    [chat] = await rows(app, Chat, Chat.id == chat_id)
    assert chat.community_id == made_id


async def test_roles_are_given_only_to_members_and_the_last_admin_stays(app) -> None:  # type: ignore[no-untyped-def]
    here = await demo_id(app)
    boss = await person(app, "Boss", ADMIN)
    bea = await person(app, "Bea", MEMBER)
    stranger = await person(app, "Fremd")
    async with work(app) as w:
        actor = await w.session.get(Person, boss)
        community = await w.session.get(Community, here)
        assert await admin.give_role(w, actor, stranger, VOLUNTEER, None, community) == "no_person"
        assert await admin.give_role(w, actor, bea, VOLUNTEER, None, None) == "group_needed"
        assert await admin.give_role(w, actor, bea, VOLUNTEER, "999", None) == "unknown_group"
        given = await admin.give_role(w, actor, bea, VOLUNTEER, str(here), None)
        assert isinstance(given, admin.RoleChange) and given.changed
        again = await admin.give_role(w, actor, bea, VOLUNTEER, None, community)
        assert isinstance(again, admin.RoleChange) and not again.changed
        assert await admin.take_role(w, actor, boss, ADMIN, None, community) == "last_admin"
    roles = await rows(app, Role, Role.person_id == bea)
    assert sorted(r.role for r in roles) == [MEMBER, VOLUNTEER]
    [log] = await rows(app, AuditLog, AuditLog.action == "role.grant")
    assert (log.actor_person_id, log.details) == (boss, {"person": bea, "role": VOLUNTEER})
    async with work(app) as w:
        actor = await w.session.get(Person, boss)
        community = await w.session.get(Community, here)
        taken = await admin.take_role(w, actor, bea, VOLUNTEER, None, community)
        assert isinstance(taken, admin.RoleChange) and taken.changed
    assert [r.role for r in await rows(app, Role, Role.person_id == bea)] == [MEMBER]


async def test_a_chat_is_linked_only_by_an_admin_of_the_group(app) -> None:  # type: ignore[no-untyped-def]
    here = await demo_id(app)
    boss = await person(app, "Boss", ADMIN)
    bea = await person(app, "Bea", MEMBER)
    async with work(app) as w:
        chat = await people.get_or_create_chat(w.session, ChatRef("console", "g", "group"), w.now)
        member = await w.session.get(Person, bea)
        actor = await w.session.get(Person, boss)
        assert await admin.link_chat(w, chat, "nirgendwo", actor) == "unknown"
        assert await admin.link_chat(w, chat, str(here), member) == "not_admin"
        linked = await admin.link_chat(w, chat, str(here), actor)
        assert isinstance(linked, Community) and linked.id == here
        chat_id = chat.id
    [chat] = await rows(app, Chat, Chat.id == chat_id)
    assert chat.community_id == here
    [log] = await rows(app, AuditLog, AuditLog.action == "chat.link")
    assert (log.actor_person_id, log.details) == (boss, {"chat": chat_id})


async def test_switch_group_only_to_a_group_of_ones_own(app) -> None:  # type: ignore[no-untyped-def]
    here = await demo_id(app)
    bea = await person(app, "Bea", MEMBER)
    async with work(app) as w:
        chat = await people.get_or_create_chat(w.session, ChatRef("console", "b", "direct"), w.now)
        member = await w.session.get(Person, bea)
        assert await admin.switch_group(w, chat, member, here + 1) is None
        chosen = await admin.switch_group(w, chat, member, here)
        assert chosen is not None and chosen.id == here
        chat_id = chat.id
    [chat] = await rows(app, Chat, Chat.id == chat_id)
    assert chat.community_id == here


async def test_deployment_admins_lose_their_rights_but_never_the_last_one(app) -> None:  # type: ignore[no-untyped-def]
    ada = await person(app, "Ada", deployment_admin=True, admin_source="code")
    kai = await person(app, "Kai", deployment_admin=True, admin_source="config")
    async with work(app) as w:
        actor = await w.session.get(Person, ada)
        assert await admin.withdraw_admin(w, actor, "x") == "unknown"
        assert await admin.withdraw_admin(w, actor, str(kai)) == "config"
        gone = await admin.withdraw_admin(w, actor, str(ada))
        assert isinstance(gone, Person) and gone.id == ada
    [left] = await rows(app, Person, Person.deployment_admin)
    assert left.id == kai
    async with work(app) as w:
        actor = await w.session.get(Person, kai)
        assert actor is not None
        actor.admin_source = "code"  # the last one left, whatever made them admin
        assert await admin.withdraw_admin(w, actor, str(kai)) == "last"
