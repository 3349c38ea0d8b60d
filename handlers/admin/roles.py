"""Roles: who am I, the people of a group, giving and taking a role, and taking away a
deployment admin's rights."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.community import admin
from bot.community.admin import RoleChange
from bot.domain.numbers import is_number
from bot.domain.roles import ADMIN, DEPLOYMENT_ADMIN, ROLE_WORDS, STAFF
from bot.language.i18n import N_, _

ROLE_LABELS = {
    "member": N_("member"),
    "volunteer": N_("Digitallotse"),
    "staff": N_("team"),
    "coordinator": N_("coordination"),
    "admin": N_("admin"),
}

router = Router()


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
    for person, roles in await admin.people(ctx.work, ctx.community.id):
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
    parsed = await _parse_role_args(ctx)
    if parsed is None:
        return
    number, role, group = parsed
    done = await admin.give_role(ctx.work, ctx.person, number, role, group, ctx.community)
    if isinstance(done, RoleChange):
        text = (
            _("{name} now has the role {role}.")
            if done.changed
            else _("{name} has the role {role} already.")
        )
        await _role_answer(ctx, text, done, role)
    else:
        await _refused(ctx, done)


@router.command(
    "rolle_nehmen",
    "revoke",
    description=N_("Take a role away"),
    roles=(ADMIN, DEPLOYMENT_ADMIN),
    needs_community=False,
)
async def revoke(ctx: Context) -> None:
    """Revoke a role: /rolle_nehmen NUMBER ROLE [GROUP]."""
    parsed = await _parse_role_args(ctx)
    if parsed is None:
        return
    number, role, group = parsed
    done = await admin.take_role(ctx.work, ctx.person, number, role, group, ctx.community)
    if isinstance(done, RoleChange):
        text = (
            _("{name} no longer has the role {role}.")
            if done.changed
            else _("{name} does not have the role {role}.")
        )
        await _role_answer(ctx, text, done, role)
    elif done == "last_admin":
        await ctx.reply(
            _("The group needs at least one admin. Give the role to someone else first.")
        )
    else:
        await _refused(ctx, done)


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
    done = await admin.withdraw_admin(ctx.work, ctx.person, ctx.args.strip())
    if done == "unknown":
        await ctx.reply(
            _(
                "Please write the number of an admin, for example: {prefix}admin_entziehen 12"
            ).format(prefix=ctx.command_prefix)
        )
    elif done == "config":
        await ctx.reply(
            _(
                "This admin is in the configuration file (bot.admins). "
                "Please remove them there and restart the bot."
            )
        )
    elif done == "last":
        await ctx.reply(_("There must always be at least one admin."))
    else:
        await ctx.reply(
            _("{name} is no longer an admin for all groups.").format(name=done.display_name),
            about=(done.id,),
        )


async def _role_answer(ctx: Context, text: str, done: RoleChange, role: str) -> None:
    """The answer to a role command; it names the group unless it is this chat's own."""
    answer = text.format(name=done.person.display_name, role=_(ROLE_LABELS[role]))
    if ctx.community is None or done.community.id != ctx.community.id or ctx.is_direct:
        # Not obviously the chat's own group: say which one.
        answer += "\n" + _("Group: {community}").format(community=done.community.name)
        ctx.community_named = True
    await ctx.reply(answer, about=(done.person.id,))


async def _refused(ctx: Context, refusal: admin.RoleRefusal) -> None:
    """Why a role command did nothing."""
    if refusal == "unknown_group":
        await ctx.reply(_("Sorry, only an admin of this group may do that."))
    elif refusal == "group_needed":
        await ctx.reply(
            _(
                "Please also write the number of the group, "
                "for example: {prefix}rolle_geben 12 lotse 1"
            ).format(prefix=ctx.command_prefix)
        )
    elif refusal == "not_admin_here":
        await ctx.reply(_("Sorry, only the team of this group may do that."))
    else:
        await ctx.reply(_("I cannot find a person with this number."))


async def _parse_role_args(ctx: Context) -> tuple[int, str, str | None] | None:
    """NUMBER ROLE [GROUP] as the person's number, the role and the named group (None:
    the chat's own); None after saying how to write it."""
    parts = ctx.args.split()
    if len(parts) not in (2, 3) or not is_number(parts[0]):
        await ctx.reply(
            _("Please write it like this: {prefix}rolle_geben 12 team").format(
                prefix=ctx.command_prefix
            )
        )
        return None
    role = ROLE_WORDS.get(parts[1].casefold())
    if role is None:
        await ctx.reply(
            _("I do not know this role. These exist: mitglied, lotse, team, koordination, admin")
        )
        return None
    return int(parts[0]), role, parts[2] if len(parts) == 3 else None
