"""Admin commands: become the first admin, create communities, link chats, grant roles."""

from __future__ import annotations

from sqlalchemy import select

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.community import communities
from bot.domain.models import Community, Person
from bot.domain.numbers import is_number
from bot.domain.roles import ADMIN, ROLE_WORDS, STAFF
from bot.language.i18n import N_, _

DEPLOYMENT_ADMIN = "deployment_admin"

ROLE_LABELS = {
    "member": N_("member"),
    "volunteer": N_("Digitallotse"),
    "staff": N_("team"),
    "coordinator": N_("coordination"),
    "admin": N_("admin"),
}


# Add the admin and role commands.
router = Router()


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


@router.state("admin.group_name", roles=(DEPLOYMENT_ADMIN,))
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
    if not await _administers(ctx, community.id):
        await ctx.reply(_("Sorry, only an admin of this group may do that."))
        return
    current = ctx.chat.community_id
    if ctx.chat.kind == "group" and current not in (None, community.id):
        # The chat belongs to another community: taking it over needs an admin of that one.
        if not await _administers(ctx, current):
            await ctx.reply(
                _(
                    "This chat belongs to another group. Only an admin of that group "
                    "may connect it somewhere else."
                )
            )
            return
    await communities.link_chat(ctx.session, ctx.chat, community, by=ctx.person.id, now=ctx.now)
    await ctx.reply(
        _("Done. This chat now belongs to {community}.").format(community=community.name)
    )


@router.command(
    "gruppe_wechseln",
    "switch_group",
    description=N_("Choose the group I act for here"),
    where="direct",
    needs_community=False,
)
async def switch_group(ctx: Context) -> None:
    """Show the person's groups as buttons, or switch to the one whose number is given."""
    ties = await communities.ties_of(ctx.session, ctx.person)
    ref = ctx.args.strip()
    if ref:
        chosen = next((c for c in ties if str(c.id) == ref or c.slug == ref.casefold()), None)
        if chosen is None:
            await ctx.reply(_("You do not belong to a group with this number."))
            return
        await _switch(ctx, chosen)
        return
    if not ties:
        await ctx.reply(_("You do not belong to any group yet."))
        return
    current = ctx.community.name if ctx.community is not None else "–"
    buttons = [Button(f"{c.id}. {c.name}", "community.switch", {"community": c.id}) for c in ties]
    await ctx.reply(
        _("I act for this group here: {community}\nWhich group do you mean?").format(
            community=current
        ),
        buttons,
    )


@router.button("community.switch")
async def switch_pressed(ctx: Context) -> None:
    """Switch the private chat to the group on the button, if the person still belongs."""
    ties = await communities.ties_of(ctx.session, ctx.person)
    chosen = next((c for c in ties if c.id == ctx.button_args.get("community")), None)
    if chosen is None or not ctx.is_direct:
        await ctx.button_gone()
        return
    await _switch(ctx, chosen)


@router.command("ich", "me", description=N_("Show your number and roles"), needs_community=False)
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


@router.command(
    "rolle_geben",
    "grant",
    description=N_("Give someone a role"),
    roles=(ADMIN, DEPLOYMENT_ADMIN),
    needs_community=False,
)
async def grant(ctx: Context) -> None:
    """Grant a role: /rolle_geben NUMBER ROLE [GROUP]."""
    target, role, community = await _parse_role_args(ctx)
    if target is None or role is None or community is None:
        return
    changed = await communities.grant_role(
        ctx.session, target.id, community.id, role, granted_by=ctx.person.id, now=ctx.now
    )
    text = (
        _("{name} now has the role {role}.")
        if changed
        else _("{name} has the role {role} already.")
    )
    await _role_answer(ctx, text, target, role, community)


@router.command(
    "rolle_nehmen",
    "revoke",
    description=N_("Take a role away"),
    roles=(ADMIN, DEPLOYMENT_ADMIN),
    needs_community=False,
)
async def revoke(ctx: Context) -> None:
    """Revoke a role: /rolle_nehmen NUMBER ROLE [GROUP]."""
    target, role, community = await _parse_role_args(ctx)
    if target is None or role is None or community is None:
        return
    if role == ADMIN and await communities.count_admins(ctx.session, community.id) <= 1:
        await ctx.reply(
            _("The group needs at least one admin. Give the role to someone else first.")
        )
        return
    changed = await communities.revoke_role(
        ctx.session, target.id, community.id, role, by=ctx.person.id, now=ctx.now
    )
    text = (
        _("{name} no longer has the role {role}.")
        if changed
        else _("{name} does not have the role {role}.")
    )
    await _role_answer(ctx, text, target, role, community)


@router.command(
    "admin_entziehen",
    "revoke_admin",
    description=N_("Take away someone's admin rights for all groups"),
    roles=(DEPLOYMENT_ADMIN,),
    where="direct",
    needs_community=False,
)
async def revoke_admin(ctx: Context) -> None:
    """Revoke another deployment admin (made by the one-time code), never the last one."""
    ref = ctx.args.strip()
    admins = await communities.deployment_admins(ctx.session)
    target = next((p for p in admins if is_number(ref) and p.id == int(ref)), None)
    if target is None:
        await ctx.reply(
            _(
                "Please write the number of an admin, for example: {prefix}admin_entziehen 12"
            ).format(prefix=ctx.command_prefix)
        )
        return
    if target.admin_source == "config":
        # The configuration is the truth at every start: revoking here would not last.
        await ctx.reply(
            _(
                "This admin is in the configuration file (bot.admins). "
                "Please remove them there and restart the bot."
            )
        )
        return
    if len(admins) <= 1:
        await ctx.reply(_("There must always be at least one admin."))
        return
    await communities.revoke_deployment_admin(ctx.session, target, by=ctx.person.id, now=ctx.now)
    await ctx.reply(
        _("{name} is no longer an admin for all groups.").format(name=target.display_name),
        about=(target.id,),
    )


async def _administers(ctx: Context, community_id: int) -> bool:
    """Admin of that community (by role there), or of the whole deployment."""
    if ctx.person.deployment_admin:
        return True
    return ADMIN in await communities.roles_in(ctx.session, ctx.person.id, community_id)


async def _switch(ctx: Context, community: Community) -> None:
    await communities.choose_private(ctx.session, ctx.chat, community.id)
    ctx.community = community
    ctx.community_named = True  # the answer names the group itself
    await ctx.reply(
        _("From now on I act for the group {community} here.").format(community=community.name)
    )


async def _role_answer(
    ctx: Context, text: str, target: Person, role: str, community: Community
) -> None:
    answer = text.format(name=target.display_name, role=_(ROLE_LABELS[role]))
    if ctx.community is None or community.id != ctx.community.id or ctx.is_direct:
        # Not obviously the chat's own group: say which one.
        answer += "\n" + _("Group: {community}").format(community=community.name)
        ctx.community_named = True
    await ctx.reply(answer, about=(target.id,))


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
    if ctx.is_direct:
        # Whoever creates a group works on it next: this chat acts for it from now on.
        await communities.choose_private(ctx.session, ctx.chat, community.id)
        ctx.community = community
    await ctx.reply(
        _(
            "The group {name} has the number {number}.\n"
            "To connect a chat, write there: {prefix}verbinden {number}"
        ).format(name=community.name, number=community.id, prefix=ctx.command_prefix)
    )


async def _parse_role_args(
    ctx: Context,
) -> tuple[Person | None, str | None, Community | None]:
    """NUMBER ROLE [GROUP]: the group is the chat's own unless given (deployment admins
    name it when they have none here); the person must belong to it."""
    parts = ctx.args.split()
    usage = _("Please write it like this: {prefix}rolle_geben 12 team").format(
        prefix=ctx.command_prefix
    )
    if len(parts) not in (2, 3) or not is_number(parts[0]):
        await ctx.reply(usage)
        return None, None, None
    role = ROLE_WORDS.get(parts[1].casefold())
    if role is None:
        await ctx.reply(
            _("I do not know this role. These exist: mitglied, lotse, team, koordination, admin")
        )
        return None, None, None
    community = ctx.community
    if len(parts) == 3:
        community = await communities.find_community(ctx.session, parts[2])
        if community is None or not await _administers(ctx, community.id):
            await ctx.reply(_("Sorry, only an admin of this group may do that."))
            return None, None, None
    elif community is None:
        await ctx.reply(
            _(
                "Please also write the number of the group, "
                "for example: {prefix}rolle_geben 12 lotse 1"
            ).format(prefix=ctx.command_prefix)
        )
        return None, None, None
    elif not await _administers(ctx, community.id):
        await ctx.reply(_("Sorry, only the team of this group may do that."))
        return None, None, None
    target = await communities.member(ctx.session, int(parts[0]), community.id)
    if target is None:
        # Unknown and foreign numbers get the same answer: numbers reveal nobody.
        await ctx.reply(_("I cannot find a person with this number."))
        return None, None, None
    return target, role, community
