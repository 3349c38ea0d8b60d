"""Printed matter for a date: the poster for the notice board."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Attachment
from bot.dates import sharing
from bot.domain.roles import STAFF
from bot.language.i18n import N_, _
from handlers.date_views import pick_event

router = Router()


@router.command(
    "aushang",
    "poster",
    description=N_("Printable poster of a date: number"),
    roles=(STAFF,),
)
async def poster(ctx: Context) -> None:
    """An A4 PDF for the notice board, with a QR code that opens the sign-up in the chat."""
    assert ctx.community is not None
    event = await pick_event(ctx)
    if event is None:
        return
    link = ctx.services.chat_link(f"termin_{event.id}")
    logo = ctx.services.settings.bot.poster_logo
    pdf = await sharing.poster(ctx.work, ctx.community, event, link, logo)
    await ctx.reply(
        _("Here is the poster to print."),
        attachment=Attachment(
            filename=f"aushang-{event.starts_at:%Y-%m-%d}.pdf",
            data=pdf,
            mime_type="application/pdf",
        ),
    )
