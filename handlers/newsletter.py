"""/newsletter: a member asks for the weekly or monthly e-mail of the coming dates (then
confirms by the link in the first e-mail), or stops it with "/newsletter aus"."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.language.i18n import N_, _, current_locale
from bot.newsletter import subscriptions
from bot.newsletter.subscriptions import MONTHLY, WEEKLY

RHYTHM, ADDRESS = "nl.rhythm", "nl.address"
RHYTHM_WORDS = {
    **dict.fromkeys(("woche", "wöchentlich", "weekly", "week", "1"), WEEKLY),
    **dict.fromkeys(("monat", "monatlich", "monthly", "month", "2"), MONTHLY),
}
STOP_WORDS = {"aus", "stop", "stopp", "abbestellen", "off", "nein"}

router = Router()


@router.command(
    "newsletter",
    description=N_("The dates by e-mail, every week or every month"),
    where="direct",
)
async def newsletter(ctx: Context) -> None:
    words = ctx.args.casefold().split()
    if words and words[0] in STOP_WORDS:
        await _stop(ctx)
        return
    rhythm = next((RHYTHM_WORDS[w] for w in words if w in RHYTHM_WORDS), None)
    address = next((w for w in ctx.args.split() if "@" in w), None)
    if rhythm is not None and address is not None:
        await _subscribe(ctx, address, rhythm)
    elif rhythm is not None:
        await _ask_address(ctx, rhythm)
    else:
        buttons = (
            Button(_("Every week"), RHYTHM, {"rhythm": WEEKLY}),
            Button(_("Every month"), RHYTHM, {"rhythm": MONTHLY}),
        )
        await ctx.reply(
            _("Would you like an e-mail with our dates every week or every month?"), buttons
        )


@router.button(RHYTHM)
async def rhythm_chosen(ctx: Context) -> None:
    rhythm = ctx.button_args.get("rhythm")
    if rhythm not in (WEEKLY, MONTHLY):
        await ctx.button_gone()
        return
    await _ask_address(ctx, str(rhythm))


async def _ask_address(ctx: Context, rhythm: str) -> None:
    await ctx.ask(_("What is your e-mail address?"), ADDRESS, {"rhythm": rhythm})


@router.state(ADDRESS)
async def address_typed(ctx: Context) -> None:
    assert ctx.state is not None
    rhythm = str(ctx.state.data.get("rhythm", WEEKLY))
    if subscriptions.clean_address(ctx.text) is None:
        await ctx.reply(
            _("That is not an e-mail address. Please write it like this: name@example.de")
        )
        return
    await ctx.finish_dialog()
    await _subscribe(ctx, ctx.text, rhythm)


async def _subscribe(ctx: Context, address: str, rhythm: str) -> None:
    assert ctx.community is not None
    done = await subscriptions.subscribe(
        ctx.work,
        ctx.community,
        address,
        rhythm,
        current_locale(),
        person_id=ctx.person.id,
        base_url=ctx.services.settings.web.public_url,
    )
    if done.outcome == subscriptions.INVALID:
        await ctx.reply(
            _("That is not an e-mail address. Please write it like this: name@example.de")
        )
    elif done.outcome == subscriptions.ALREADY:
        await ctx.reply(_("You get the newsletter already. We keep sending it."))
    else:
        await ctx.reply(
            _(
                "We sent you an e-mail. Please open the link in it. Only then do you get "
                "the newsletter."
            )
        )


async def _stop(ctx: Context) -> None:
    assert ctx.community is not None
    ended = await subscriptions.unsubscribe_person(ctx.work, ctx.community, ctx.person.id)
    if ended:
        await ctx.reply(_("Done. You get no more newsletter e-mails from us."))
    else:
        await ctx.reply(_("You do not get the newsletter."))
