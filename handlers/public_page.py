"""/webseite: the address of the group's public calendar page and the snippet that shows
its dates on the town's website (bot/dates/public_page.py; the web server serves both)."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.dates.public_page import embed_snippet, page_address
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
    """The page's address and the <iframe> snippet, or who can switch the page on."""
    assert ctx.community is not None
    web = ctx.services.settings.web
    if not (web.enabled and web.calendar and web.public_url):
        await ctx.reply(
            _(
                "The web page with your dates is not switched on yet.\n"
                "Please ask the admin of the bot."
            )
        )
        return
    slug, name = ctx.community.slug, ctx.community.name
    title = _("Our dates: {name}").format(name=name)
    await ctx.reply(
        _(
            "Everyone can see your coming dates here:\n{page}\n\n"
            "For your town's website: give this text to the person who looks after it.\n"
            "It shows the same dates there.\n\n{snippet}"
        ).format(
            page=page_address(web.public_url, slug),
            snippet=embed_snippet(web.public_url, slug, title),
        )
    )
