"""Notices to all chats of a community, and the optional relay between its chats."""

from __future__ import annotations

from bot.chat import platforms
from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Outgoing
from bot.community import chats as community_chats
from bot.domain.models import Chat
from bot.domain.roles import ADMIN, STAFF
from bot.language.i18n import N_, _, ngettext


async def group_chats(ctx: Context) -> list[Chat]:
    """The chat's community's group chats."""
    assert ctx.community is not None
    return await community_chats.group_chats(ctx.work, ctx.community.id)


# Add the notice and relay commands and the relay itself.
router = Router()


@router.command(
    "mitteilung",
    "notice",
    description=N_("Send a notice to all chats of the group"),
    roles=(STAFF,),
)
async def notice(ctx: Context) -> None:
    """Post the text in every linked group chat, on every platform."""
    if not ctx.args.strip():
        await ctx.reply(
            _(
                "Please write the text after the command, for example: "
                "{prefix}mitteilung Am Montag ist die Bibliothek geschlossen."
            ).format(prefix=ctx.command_prefix)
        )
        return
    chats = await group_chats(ctx)
    for n, chat in enumerate(chats):
        await ctx.send(chat, Outgoing(ctx.args.strip()), dedup_key=f"notice:{ctx.dispatch_id}:{n}")
    sent = ngettext("Sent to {count} chat.", "Sent to {count} chats.", len(chats))
    await ctx.reply(sent.format(count=len(chats)))


@router.command(
    "weiterleiten",
    "relay",
    description=N_("Pass messages on between the group's chats"),
    roles=(ADMIN,),
)
async def relay(ctx: Context) -> None:
    """Switch the relay between linked chats on ("an") or off ("aus")."""
    assert ctx.community is not None
    word = ctx.args.strip().casefold()
    if word in ("an", "ein", "on", "ja"):
        await community_chats.switch_relay(ctx.work, ctx.community, True)
        await ctx.reply(_("From now on I pass on messages between the chats of this group."))
    elif word in ("aus", "off", "nein"):
        await community_chats.switch_relay(ctx.work, ctx.community, False)
        await ctx.reply(_("I no longer pass on messages between the chats."))
    else:
        await ctx.reply(
            _("Please write {prefix}weiterleiten an or {prefix}weiterleiten aus.").format(
                prefix=ctx.command_prefix
            )
        )


@router.group_text
async def pass_on(ctx: Context) -> None:
    """Relay a member's plain text to the community's other chats, when switched on."""
    assert ctx.community is not None
    if not ctx.community.relay or not ctx.text.strip():
        return
    origin = platforms.display_name(ctx.chat.platform)
    text = f"{ctx.account.display_name or ctx.person.display_name} ({origin}): {ctx.text}"
    for n, chat in enumerate(await group_chats(ctx)):
        if chat.id != ctx.chat.id:
            await ctx.send(chat, Outgoing(text), dedup_key=f"relay:{ctx.dispatch_id}:{n}")
