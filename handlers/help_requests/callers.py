"""Staff file a help request for someone who called and has no chat account."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.domain.names import clean_name
from bot.domain.roles import STAFF
from bot.helping import asking
from bot.language.i18n import N_, _

router = Router()


@router.command(
    "hilfe_fuer",
    "help_for",
    description=N_("Ask for help for someone who called: name; phone; topic; what; when; where"),
    roles=(STAFF,),
)
async def help_for(ctx: Context) -> None:
    """A request for a caller without a chat account; the team hears who takes it."""
    assert ctx.community is not None
    parts = [p.strip() for p in ctx.args.split(";")] if ctx.args else []
    if parts:
        # The caller's name is shown to the Digitallotsen: no invisible characters.
        parts[0] = clean_name(parts[0])
    if len(parts) < 3 or not parts[0] or len(parts[0]) > 100:
        await ctx.reply(
            _(
                "Please write it like this: {prefix}hilfe_fuer Erika Muster; 04542 1234; "
                "Smartphone; Fotos verschicken; dienstags; Telefon"
            ).format(prefix=ctx.command_prefix)
        )
        return
    request = await asking.ask_for_caller(
        ctx.work, ctx.community, ctx.person.id, parts, ctx.services.matching
    )
    await ctx.reply(
        _("Request {number} for {name} is saved. We are looking for someone.").format(
            number=request.id, name=parts[0]
        ),
        about=(request.requester_id,),
    )
