"""First admin, communities, linking chats and roles: every check reads the database."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.community import communities
from bot.domain.models import Account, AuditLog, Chat, Community, ConversationState, Role
from tests.fakes.memory import Person as Someone

ADA = Someone("1", "Ada")
MIA = Someone("2", "Mia")
GROUP_ADMIN = Someone("3", "Gruppen-Admin")


async def _admin_code(app) -> str:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        return await communities.new_admin_code(session, app.clock.now())


async def _person_id(app, who: Someone) -> int:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        return await session.scalar(  # type: ignore[return-value]
            select(Account.person_id).where(Account.external_id == who.user_id)
        )


async def test_one_time_code_makes_the_first_admin_once(app, conversation):
    code = await _admin_code(app)
    [wrong] = await conversation.say(ADA, "/admin FALSCH")
    assert wrong.text.startswith("Dieser Code passt nicht.")
    [ok] = await conversation.say(ADA, f"/admin {code}")
    assert ok.text.startswith("Sie sind jetzt Admin.")
    [reused] = await conversation.say(MIA, f"/admin {code}")
    assert reused.text.startswith("Dieser Code passt nicht.")


async def test_config_admin_creates_community_through_a_dialog(app, conversation, tmp_path):
    app.settings.bot.admins.append("console:1")
    [question] = await conversation.say(ADA, "/gruppe_neu")
    assert question.text == "Wie heißt die neue Gruppe?"
    [created] = await conversation.say(ADA, "Digitalcafé Mölln")
    number = re.search(r"Nummer (\d+)", created.text).group(1)  # type: ignore[union-attr]
    assert "/verbinden " + number in created.text
    async with app.sessions() as session:
        community = await session.get(Community, int(number))
        assert community.name == "Digitalcafé Mölln" and community.slug == "digitalcafe-molln"
        roles = (
            await session.scalars(select(Role.role).where(Role.community_id == community.id))
        ).all()
        assert roles == ["admin"]
        assert await session.scalar(select(ConversationState)) is None


async def test_dialog_can_be_cancelled(app, conversation):
    app.settings.bot.admins.append("console:1")
    await conversation.say(ADA, "/gruppe_neu")
    [stopped] = await conversation.say(ADA, "abbrechen")
    assert stopped.text == "Gut, ich habe aufgehört. Es wurde nichts geändert."
    async with app.sessions() as session:
        assert (await session.scalars(select(Community.name))).all() == ["Digitalcafé Musterstadt"]


async def test_dialog_survives_a_restart(app, conversation, db_url, tmp_path, clock):
    from bot.bootstrap import build_app
    from tests.conftest import make_settings
    from tests.fakes.memory import Conversation, MemoryAdapter

    app.settings.bot.admins.append("console:1")
    await conversation.say(ADA, "/gruppe_neu")
    await app.close()
    settings = make_settings(db_url, tmp_path, bot={"admins": ["console:1"]})
    restarted = build_app(settings, clock=clock, adapters=[MemoryAdapter()])
    try:
        again = Conversation(restarted, restarted.adapters["console"])  # type: ignore[arg-type]
        [created] = await again.say(ADA, "Treffpunkt Süd")
        assert "Treffpunkt Süd" in created.text
    finally:
        await restarted.close()


async def test_link_group_and_grant_roles(app, conversation):
    app.settings.bot.admins.append("console:1")
    group = conversation.group("g-42", "Senioren Süd")
    # An unlinked group stays quiet for everyone but the linking command.
    assert await conversation.say(MIA, "/start", chat=group) == []
    [linked] = await conversation.say(ADA, "/verbinden 1", chat=group)
    assert linked.text == "Fertig. Dieser Chat gehört jetzt zu Digitalcafé Musterstadt."
    [hello] = await conversation.say(MIA, "/start", chat=group)
    assert hello.text.startswith("Hallo Mia!")

    [me] = await conversation.say(MIA, "/ich", chat=group)
    number = re.search(r"Nummer ist (\d+)", me.text).group(1)  # type: ignore[union-attr]
    assert me.text.endswith("Ihre Rollen: Mitglied")

    [granted] = await conversation.say(ADA, f"/rolle_geben {number} team", chat=group)
    assert granted.text == "Mia hat jetzt die Rolle Team."
    [twice] = await conversation.say(ADA, f"/rolle_geben {number} team", chat=group)
    assert twice.text == "Mia hat die Rolle Team schon."
    [me] = await conversation.say(MIA, "/ich", chat=group)
    assert "Team" in me.text

    [revoked] = await conversation.say(ADA, f"/rolle_nehmen {number} team", chat=group)
    assert revoked.text == "Mia hat die Rolle Team jetzt nicht mehr."
    async with app.sessions() as session:
        actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert actions[-3:] == ["chat.link", "role.grant", "role.revoke"]


async def test_members_and_platform_group_admins_get_nothing(app, conversation, demo_group):
    # Being an admin of the chat on Telegram or Matrix is not a role in our database.
    await conversation.say(MIA, "/start", chat=demo_group)
    [refused] = await conversation.say(GROUP_ADMIN, "/rolle_geben 2 admin", chat=demo_group)
    assert refused.text == "Das dürfen hier leider nur die Verantwortlichen."
    [refused_link] = await conversation.say(GROUP_ADMIN, "/verbinden 1", chat=demo_group)
    assert refused_link.text == "Das darf leider nur ein Admin dieser Gruppe."
    async with app.sessions() as session:
        assert (await session.scalars(select(Role.role).distinct())).all() == ["member"]


async def test_role_commands_refuse_bad_input(app, conversation, demo_group):
    app.settings.bot.admins.append("console:1")
    [usage] = await conversation.say(ADA, "/rolle_geben Mia", chat=demo_group)
    assert usage.text == "Bitte schreiben Sie es so: /rolle_geben 12 team"
    [role] = await conversation.say(ADA, "/rolle_geben 1 =HYPERLINK()", chat=demo_group)
    assert role.text.startswith("Diese Rolle kenne ich nicht.")
    [nobody] = await conversation.say(ADA, "/rolle_geben 999 team", chat=demo_group)
    assert nobody.text == "Ich finde keine Person mit dieser Nummer."


async def test_last_admin_cannot_be_removed(app, conversation):
    await conversation.say(ADA, f"/admin {await _admin_code(app)}")
    await conversation.say(ADA, "/gruppe_neu Lesecafé")
    group = conversation.group("g-7")
    await conversation.say(ADA, "/verbinden lesecafe", chat=group)
    ada = await _person_id(app, ADA)
    [refused] = await conversation.say(ADA, f"/rolle_nehmen {ada} admin", chat=group)
    assert refused.text.startswith("Die Gruppe braucht mindestens einen Admin.")


async def test_people_list_only_in_private(app, conversation, demo_group):
    app.settings.bot.admins.append("console:1")
    await conversation.say(MIA, "/start", chat=demo_group)
    [private_only] = await conversation.say(ADA, "/personen", chat=demo_group)
    assert private_only.text == "Bitte schreiben Sie mir das in einem privaten Chat."
    async with app.sessions() as session:
        assert await session.scalar(select(Chat.id).where(Chat.external_id == "dm-1")) is None


async def test_config_is_the_truth_for_deployment_admins_at_start(
    app, conversation, db_url, tmp_path, clock, caplog
):
    """An account taken out of bot.admins is no deployment admin after the next start
    (one log line with the account only); an admin made by the one-time code stays."""
    from bot.bootstrap import build_app, prepare
    from tests.conftest import make_settings
    from tests.fakes.memory import Conversation, MemoryAdapter

    app.settings.bot.admins.append("console:1")
    [made] = await conversation.say(ADA, "/gruppe_neu Lesecafé")
    assert "Nummer" in made.text
    await conversation.say(MIA, f"/admin {await _admin_code(app)}")
    await app.close()
    caplog.set_level("WARNING")
    restarted = build_app(make_settings(db_url, tmp_path), clock=clock, adapters=[MemoryAdapter()])
    try:
        await prepare(restarted)
        again = Conversation(restarted, restarted.adapters["console"])  # type: ignore[arg-type]
        [refused] = await again.say(ADA, "/gruppen")
        assert refused.text == "Das dürfen hier leider nur die Verantwortlichen."
        [listed] = await again.say(MIA, "/gruppen")
        assert listed.text.startswith("Diese Gruppen gibt es:")
    finally:
        await restarted.close()
    revoked = [r.getMessage() for r in caplog.records if "revoked" in r.getMessage()]
    assert revoked == ["deployment admin revoked: console:1 is no longer in bot.admins"]


async def test_an_admin_revokes_another_admin_but_never_the_last(app, conversation):
    """/admin_entziehen takes a code admin's rights (audit-logged); the configured ones are
    changed in the configuration, and the last admin stays."""
    await conversation.say(MIA, f"/admin {await _admin_code(app)}")
    mia = await _person_id(app, MIA)
    [alone] = await conversation.say(MIA, f"/admin_entziehen {mia}")
    assert alone.text == "Es muss immer mindestens einen Admin geben."
    app.settings.bot.admins.append("console:1")
    await conversation.say(ADA, "/start")
    ada = await _person_id(app, ADA)
    [configured] = await conversation.say(MIA, f"/admin_entziehen {ada}")
    assert configured.text.startswith("Dieser Admin steht in der Einstellungs-Datei")
    [nobody] = await conversation.say(ADA, "/admin_entziehen 999")
    assert nobody.text.startswith("Bitte schreiben Sie die Nummer eines Admins.")
    [done] = await conversation.say(ADA, f"/admin_entziehen {mia}")
    assert done.text == "Mia ist jetzt kein Admin für alle Gruppen mehr."
    [refused] = await conversation.say(MIA, "/gruppen")
    assert refused.text == "Das dürfen hier leider nur die Verantwortlichen."
    async with app.sessions() as session:
        actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert actions[-1] == "admin.revoke"
