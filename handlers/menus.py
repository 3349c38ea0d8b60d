"""The list of commands a person may use here, shown by /hilfe and from other menus."""

from __future__ import annotations

from bot.chat.context import Context
from bot.language.i18n import _


def command_list(ctx: Context) -> str:
    """Every command this person may use in this kind of chat, with its description."""
    lines = [_("This is what I can do:")]
    for cmd in ctx.services.router.available(ctx.roles | {"member"}, ctx.chat.kind):
        lines.append(f"{ctx.command_prefix}{cmd.display_name(ctx.locale)} – {_(cmd.description)}")
    return "\n".join(lines)
