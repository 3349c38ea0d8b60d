"""/webseite: the address of the group's public calendar page and the snippet that shows
its dates on the town's website (bot/dates/public_page.py; the web server serves both)."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.dates.public_page import embed_snippet, page_address, show_places
from bot.domain.roles import STAFF
from bot.language.i18n import N_, _

router = Router()


@router.command(
    "webseite",
    "website",
    description=N_("The web page with the group's dates, and how to show it on your website"),
    roles=(STAFF,),
)
async def website(ctx: Context) -> None:
    """The page's address and the <iframe> snippet, or who can switch the page on; with
    "plätze an" / "plätze aus" whether the page shows how many places are free."""
    assert ctx.community is not None
    if ctx.args.strip():
        await _places(ctx)
        return
    web = ctx.services.settings.web
    if not (web.enabled and web.calendar and web.public_url):
        await ctx.reply(
            _(
                "The web page with your dates is not switched on yet.\n"
                "Please ask the admin of the bot."
            )
        )
        return
    community = ctx.community
    title = _("Our dates: {name}").format(name=community.name)
    if community.public_places:
        places = _(
            "The page shows how many places are free. To stop it: {prefix}webseite plätze aus"
        )
    else:
        places = _(
            "The page shows no counts of people. To show free places: {prefix}webseite plätze an"
        )
    await ctx.reply(
        _(
            "Everyone can see your coming dates here:\n{page}\n\n"
            "For your town's website: give the next message to the person who looks after it.\n"
            "It shows the same dates there."
        ).format(page=page_address(web.public_url, community.slug))
        + "\n\n"
        + places.format(prefix=ctx.command_prefix)
    )
    # On its own, so it can be copied or passed on as it is.
    await ctx.reply(embed_snippet(web.public_url, community.slug, title))


_ON, _OFF = ("an", "ein", "ja", "on", "yes"), ("aus", "nein", "off", "no")
_PLACES = ("plätze", "plaetze", "platze", "places")


async def _places(ctx: Context) -> None:
    assert ctx.community is not None
    words = ctx.args.strip().casefold().split()
    switch = words[-1] if len(words) == 2 and words[0] in _PLACES else ""
    if switch not in _ON + _OFF:
        await ctx.reply(
            _(
                "I did not understand that.\n"
                "Please write {prefix}webseite plätze an, or {prefix}webseite plätze aus."
            ).format(prefix=ctx.command_prefix)
        )
        return
    on = switch in _ON
    await show_places(ctx.work, ctx.community, on)
    if on:
        await ctx.reply(_("From now on the web page shows how many places are free."))
    else:
        await ctx.reply(_("The web page no longer shows how many places are free."))
