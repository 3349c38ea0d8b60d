"""Linking a person's Telegram and Matrix accounts with a one-time code."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.community import linking
from bot.language.i18n import N_, _

# Add the account-linking command.
router = Router()


@router.command(
    "verknuepfen",
    "link_account",
    description=N_("Connect your accounts in two apps"),
    where="direct",
    needs_community=False,
)
async def link_account(ctx: Context) -> None:
    """Without a code: make one. With a code from the other app: join the two accounts."""
    if not ctx.args:
        code = await linking.new_code(ctx.work, ctx.person.id)
        await ctx.reply(
            _(
                "Your code is: {code}\n"
                "Write this in the other app to me: {prefix}verknuepfen {code}\n"
                "The code works for 30 minutes."
            ).format(code=code, prefix=ctx.other_command_prefix)
        )
        return
    merged = await linking.redeem(ctx.work, ctx.args, ctx.person.id)
    if merged is None:
        await ctx.reply(_("This code does not work. Please check it and try again."))
        return
    # The person who wrote is merged into the one who made the code: answer as that one.
    ctx.person = merged
    await ctx.reply(_("Done. Both apps now belong to you. Your sign-ups and requests count once."))
