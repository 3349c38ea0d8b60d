"""The staff web page from the chat: /web sends a one-time sign-in link, /web_abmelden
signs the person out of every browser."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.community import web_access
from bot.domain.roles import STAFF
from bot.language.i18n import N_, _

# The path of the sign-in link under web.public_url (web/app.py serves it).
SIGN_IN_PATH = "/staff/sign-in/"

# Add /web and /web_abmelden.
router = Router()


@router.command(
    "web",
    description=N_("A link to the team's web page, to sign in there"),
    roles=(STAFF,),
    where="direct",
)
async def web_link(ctx: Context) -> None:
    """A link that signs this person in once, within ten minutes."""
    section = ctx.services.settings.web
    if not (section.enabled and section.staff and section.public_url):
        await ctx.reply(_("The team's web page is not switched on here."))
        return
    token = await web_access.new_link(ctx.work, ctx.person.id)
    await ctx.reply(
        _(
            "Here is your link to the team's web page:\n{link}\n"
            "It works once, for 10 minutes, and only for you. Please do not pass it on."
        ).format(link=section.public_url + SIGN_IN_PATH + token)
    )


@router.command(
    "web_abmelden",
    "web_sign_out",
    description=N_("Sign out of the team's web page on every device"),
    needs_community=False,
    list_roles=(STAFF,),
)
async def web_sign_out(ctx: Context) -> None:
    """End every browser session of this person (a lost tablet, a shared PC)."""
    await web_access.sign_out_everywhere(ctx.work, ctx.person.id)
    await ctx.reply(_("You are now signed out of the team's web page on every device."))
