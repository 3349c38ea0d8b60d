"""Groups: the first admin's code, creating and listing groups, linking a chat to one, and
choosing the group a private chat acts for."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.community import admin
from bot.domain.models import Community
from bot.domain.roles import ADMIN, DEPLOYMENT_ADMIN
from bot.language.i18n import N_, _

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
    if not ctx.args or not await admin.claim_admin(ctx.work, ctx.args, ctx.person):
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
    lines = [_("These groups exist:")]
    lines += [f"{c.id}. {c.name} ({c.slug})" for c in await admin.all_groups(ctx.work)]
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
    linked = await admin.link_chat(ctx.work, ctx.chat, ctx.args, ctx.person)
    if linked == "unknown":
        await ctx.reply(_("I cannot find this group."))
    elif linked == "not_admin":
        await ctx.reply(_("Sorry, only an admin of this group may do that."))
    elif linked == "foreign_chat":
        await ctx.reply(
            _(
                "This chat belongs to another group. Only an admin of that group "
                "may connect it somewhere else."
            )
        )
    else:
        await ctx.reply(
            _("Done. This chat now belongs to {community}.").format(community=linked.name)
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
    ref = ctx.args.strip()
    if ref:
        chosen = await admin.switch_group(ctx.work, ctx.chat, ctx.person, ref)
        if chosen is None:
            await ctx.reply(_("You do not belong to a group with this number."))
            return
        await _switched(ctx, chosen)
        return
    ties = await admin.groups_of(ctx.work, ctx.person)
    if not ties:
        await ctx.reply(_("You do not belong to any group yet."))
        return
    current = ctx.community.name if ctx.community is not None else "–"
    buttons = [Button(c.name, "community.switch", {"community": c.id}, number=c.id) for c in ties]
    await ctx.reply(
        _("I act for this group here: {community}\nWhich group do you mean?").format(
            community=current
        ),
        buttons,
    )


@router.button("community.switch")
async def switch_pressed(ctx: Context) -> None:
    """Switch the private chat to the group on the button, if the person still belongs."""
    ref = ctx.button_args.get("community")
    chosen = None
    if ctx.is_direct and isinstance(ref, int):
        chosen = await admin.switch_group(ctx.work, ctx.chat, ctx.person, ref)
    if chosen is None:
        await ctx.button_gone()
        return
    await _switched(ctx, chosen)


async def _switched(ctx: Context, community: Community) -> None:
    """Tell the private chat which group it acts for now (the answer names it itself)."""
    ctx.community = community
    ctx.community_named = True
    await ctx.reply(
        _("From now on I act for the group {community} here.").format(community=community.name)
    )


async def _create(ctx: Context, name: str) -> None:
    """Create the group and say how to connect a chat to it."""
    community = await admin.create_group(
        ctx.work,
        name,
        locale=ctx.services.settings.bot.default_locale,
        created_by=ctx.person.id,
        # Whoever creates a group works on it next: this chat acts for it from now on.
        private_chat=ctx.chat if ctx.is_direct else None,
    )
    if community is None:
        await ctx.reply(_("Please write a name with 2 to 100 characters."))
        return
    if ctx.is_direct:
        ctx.community = community
    await ctx.reply(
        _(
            "The group {name} has the number {number}.\n"
            "To connect a chat, write there: {prefix}verbinden {number}"
        ).format(name=community.name, number=community.id, prefix=ctx.command_prefix)
    )
