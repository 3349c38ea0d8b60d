"""Admin commands: become the first admin, create communities, link chats, grant roles."""

from __future__ import annotations

from sqlalchemy import select

from bot.context import Context
from bot.domain import communities
from bot.domain.models import Community, Person
from bot.i18n import N_, _
from bot.numbers import is_number
from bot.roles import ADMIN, ROLE_WORDS, STAFF
from bot.router import Router

DEPLOYMENT_ADMIN = "deployment_admin"

ROLE_LABELS = {
    "member": N_("member"),
    "volunteer": N_("Digitallotse"),
    "staff": N_("team"),
    "coordinator": N_("coordination"),
    "admin": N_("admin"),
}


def register(router: Router) -> None:
    """Add the admin and role commands."""

    @router.command(
        "admin",
        description=N_("Become admin with the one-time code"),
        listed=False,
        where="direct",
        needs_community=False,
    )
    async def claim_admin(ctx: Context) -> None:
        """Redeem the one-time code printed at start."""
        if not ctx.args or not await communities.redeem_admin_code(
            ctx.session, ctx.args, ctx.person, ctx.now
        ):
            await ctx.reply(_("This code does not work. Please check it and try again."))
            return
        await ctx.reply(
            _("You are now the admin. Create a group with {prefix}gruppe_neu.").format(
                prefix=ctx.command_prefix
            )
        )

    @router.command(
        "gruppe_neu",
        "new_group",
        description=N_("Create a new group"),
        roles=(DEPLOYMENT_ADMIN,),
        where="direct",
        needs_community=False,
    )
    async def new_group(ctx: Context) -> None:
        """Create a community; asks for the name when it was not given."""
        if ctx.args:
            await _create(ctx, ctx.args)
            return
        await ctx.ask(_("What is the name of the new group?"), "admin.group_name")

    @router.state("admin.group_name")
    async def group_name(ctx: Context) -> None:
        """The typed name of the new community."""
        await ctx.finish_dialog()
        await _create(ctx, ctx.text)

    @router.command(
        "gruppen",
        "groups",
        description=N_("Show all groups"),
        roles=(DEPLOYMENT_ADMIN,),
        where="direct",
        needs_community=False,
    )
    async def list_groups(ctx: Context) -> None:
        """List all communities of this deployment."""
        rows = (await ctx.session.scalars(select(Community).order_by(Community.id))).all()
        lines = [_("These groups exist:")]
        lines += [f"{c.id}. {c.name} ({c.slug})" for c in rows]
        await ctx.reply("\n".join(lines))

    @router.command(
        "verbinden",
        "link",
        description=N_("Connect this chat with a group"),
        needs_community=False,
        list_roles=(ADMIN, DEPLOYMENT_ADMIN),
    )
    async def link(ctx: Context) -> None:
        """Link the current chat to a community the sender administers."""
        if not ctx.args:
            await ctx.reply(
                _("Please write the number of the group, for example: {prefix}verbinden 1").format(
                    prefix=ctx.command_prefix
                )
            )
            return
        community = await communities.find_community(ctx.session, ctx.args)
        if community is None:
            await ctx.reply(_("I cannot find this group."))
            return
        roles = await communities.roles_in(ctx.session, ctx.person.id, community.id)
        if ADMIN not in roles and not ctx.person.deployment_admin:
            await ctx.reply(_("Sorry, only an admin of this group may do that."))
            return
        await communities.link_chat(ctx.session, ctx.chat, community, by=ctx.person.id, now=ctx.now)
        await ctx.reply(
            _("Done. This chat now belongs to {community}.").format(community=community.name)
        )

    @router.command(
        "ich", "me", description=N_("Show your number and roles"), needs_community=False
    )
    async def whoami(ctx: Context) -> None:
        """Tell the person their number and roles in this community."""
        granted = sorted(r for r in ctx.roles if r in ROLE_LABELS)
        labels = ", ".join(_(ROLE_LABELS[r]) for r in granted) or "–"
        await ctx.reply(
            _("Your number is {number}.\nYour roles: {roles}").format(
                number=ctx.person.id, roles=labels
            )
        )

    @router.command(
        "personen",
        "people",
        description=N_("Show the people of the group"),
        roles=(STAFF,),
        where="direct",
    )
    async def people(ctx: Context) -> None:
        """List people with a role in the community (private chat only: names stay private)."""
        assert ctx.community is not None
        lines = [_("People in {community}:").format(community=ctx.community.name)]
        named = []
        for person, roles in await communities.people_of(ctx.session, ctx.community.id):
            labels = ", ".join(_(ROLE_LABELS[r]) for r in roles if r in ROLE_LABELS)
            lines.append(f"{person.id}. {person.display_name} – {labels}")
            named.append(person.id)
        await ctx.reply("\n".join(lines), about=named)

    @router.command("rolle_geben", "grant", description=N_("Give someone a role"), roles=(ADMIN,))
    async def grant(ctx: Context) -> None:
        """Grant a role: /rolle_geben NUMBER ROLE."""
        target, role = await _parse_role_args(ctx)
        if target is None or role is None:
            return
        assert ctx.community is not None
        changed = await communities.grant_role(
            ctx.session, target.id, ctx.community.id, role, granted_by=ctx.person.id, now=ctx.now
        )
        text = (
            _("{name} now has the role {role}.")
            if changed
            else _("{name} has the role {role} already.")
        )
        await ctx.reply(
            text.format(name=target.display_name, role=_(ROLE_LABELS[role])), about=(target.id,)
        )

    @router.command("rolle_nehmen", "revoke", description=N_("Take a role away"), roles=(ADMIN,))
    async def revoke(ctx: Context) -> None:
        """Revoke a role: /rolle_nehmen NUMBER ROLE."""
        target, role = await _parse_role_args(ctx)
        if target is None or role is None:
            return
        assert ctx.community is not None
        if role == ADMIN and await communities.count_admins(ctx.session, ctx.community.id) <= 1:
            await ctx.reply(
                _("The group needs at least one admin. Give the role to someone else first.")
            )
            return
        changed = await communities.revoke_role(
            ctx.session, target.id, ctx.community.id, role, by=ctx.person.id, now=ctx.now
        )
        text = (
            _("{name} no longer has the role {role}.")
            if changed
            else _("{name} does not have the role {role}.")
        )
        await ctx.reply(
            text.format(name=target.display_name, role=_(ROLE_LABELS[role])), about=(target.id,)
        )


async def _create(ctx: Context, name: str) -> None:
    name = " ".join(name.split())
    if not 2 <= len(name) <= 100:
        await ctx.reply(_("Please write a name with 2 to 100 characters."))
        return
    community = await communities.create_community(
        ctx.session,
        name,
        now=ctx.now,
        locale=ctx.services.settings.bot.default_locale,
        created_by=ctx.person.id,
    )
    await ctx.reply(
        _(
            "The group {name} has the number {number}.\n"
            "To connect a chat, write there: {prefix}verbinden {number}"
        ).format(name=community.name, number=community.id, prefix=ctx.command_prefix)
    )


async def _parse_role_args(ctx: Context) -> tuple[Person | None, str | None]:
    parts = ctx.args.split()
    usage = _("Please write it like this: {prefix}rolle_geben 12 team").format(
        prefix=ctx.command_prefix
    )
    if len(parts) != 2 or not is_number(parts[0]):
        await ctx.reply(usage)
        return None, None
    role = ROLE_WORDS.get(parts[1].casefold())
    if role is None:
        await ctx.reply(
            _("I do not know this role. These exist: mitglied, lotse, team, koordination, admin")
        )
        return None, None
    target = await ctx.session.get(Person, int(parts[0]))
    if target is None:
        await ctx.reply(_("I cannot find a person with this number."))
        return None, None
    return target, role
