"""Plain words in a private chat: a question about dates ("Wann ist das nächste Treffen?")
gets the next date; anything else not understood, and /hilfe, get a short menu of what a
person most likely wants: the dates, help from a Digitallotse, all commands."""

from __future__ import annotations

import re
import unicodedata

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.language.i18n import _
from handlers.date_views import show_event, upcoming
from handlers.menus import command_list

DATES, HELPER, COMMANDS = "menu.dates", "menu.helper", "menu.commands"

# Words that ask about a date, its time or its place (German, English and Ukrainian, as the
# catalogs' example questions use them). Any one of them
# in a private message that is no answer to a question shows the next date.
DATE_WORDS = frozenset(
    {
        "wann",
        "nächste",
        "nächster",
        "nächstes",
        "nächsten",
        "naechste",
        "naechster",
        "naechstes",
        "naechsten",
        "termin",
        "termine",
        "treffen",
        "uhrzeit",
        "wo",
        "when",
        "next",
        "date",
        "dates",
        "meeting",
        "time",
        "where",
        "коли",
        "наступна",
        "наступний",
        "наступне",
        "наступні",
        "зустріч",
        "зустрічі",
        "де",
    }
)
_WORD = re.compile(r"\w+")

router = Router()


def asks_for_dates(text: str) -> bool:
    """Whether the text asks when or where the next date is."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    return not DATE_WORDS.isdisjoint(words)


@router.direct_text
async def plain_text(ctx: Context) -> None:
    """Text in a private chat that answers no question and picks no button."""
    if ctx.community is not None and asks_for_dates(ctx.text):
        dates = await upcoming(ctx, 1)
        if not dates:
            await ctx.reply(_("There are no dates planned at the moment."))
            return
        await show_event(ctx, dates[0])
        return
    await _menu(ctx, _("Sorry, I did not understand that."))


@router.entry("help_menu")
async def help_menu(ctx: Context) -> None:
    """/hilfe in a private chat: the short menu."""
    await _menu(ctx, "")


async def _menu(ctx: Context, first_line: str) -> None:
    """ "Was möchten Sie tun?" with the dates, help from a Lotse and all commands; without
    a group yet, the commands themselves (the other two need one)."""
    lines = [first_line] if first_line else []
    if ctx.community is None:
        await ctx.reply("\n".join([*lines, command_list(ctx)]))
        return
    lines.append(_("What would you like to do?"))
    buttons = [
        Button(_("Dates"), DATES),
        Button(_("Help from a Digitallotse"), HELPER),
        Button(_("All commands"), COMMANDS),
    ]
    await ctx.reply("\n".join(lines), buttons)


@router.button(DATES)
async def dates(ctx: Context) -> None:
    """ "Termine": the list of the next dates, as /termine shows it."""
    if ctx.community is None:
        await ctx.button_gone()
        return
    await ctx.enter("dates")


@router.button(HELPER)
async def helper(ctx: Context) -> None:
    """ "Hilfe von einem Lotsen": the first question of a help request."""
    if ctx.community is None:
        await ctx.button_gone()
        return
    await ctx.enter("help_request")


@router.button(COMMANDS)
async def commands(ctx: Context) -> None:
    """ "Alle Befehle": every command this person may use here."""
    await ctx.reply(command_list(ctx))
