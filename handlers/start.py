"""First contact, help and language choice."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.dates import sharing
from bot.domain import people
from bot.language.i18n import N_, _, format_when, language_name, offered_locales, use_locale
from handlers.date_views import show_event, upcoming
from handlers.menus import command_list


def _choices() -> list[tuple[str, str, tuple[str, ...]]]:
    """Each offered language: code, own name ("Українська") and words that choose it."""
    return [
        (
            code,
            language_name(code),
            tuple({language_name(code).lower(), language_name(code, "en").lower()}),
        )
        for code in offered_locales()
    ]


# Add the start, help and language commands.
router = Router()


@router.command(
    "start", description=N_("Start and greeting"), needs_community=False, aliases=("hallo",)
)
async def start(ctx: Context) -> None:
    """Greet the person and tell what the bot can do."""
    if ctx.chat.kind == "group" and ctx.community is None:
        return
    if ctx.args.startswith("hier_"):
        # Scanned at the venue: the QR code's link checks the person in.
        await ctx.enter("check_in")
        return
    if ctx.args.startswith("termin_") and await sharing.public_date(ctx.work, ctx.args[7:]):
        # Opened from a poster's QR code or a link: show that date to sign up.
        await ctx.enter("show_date")
        return
    lines = [_("Hello {name}!").format(name=ctx.person.display_name)]
    if ctx.community is not None:
        lines.append(_("I am the helper of {community}.").format(community=ctx.community.name))
    else:
        lines.append(_("I am Lotsenbot."))
    lines.append(_("I tell you about dates and help you sign up."))
    coming = await upcoming(ctx, 1) if ctx.community is not None else []
    if coming and ctx.community is not None:
        next_date = coming[0]
        lines.append("")
        lines.append(_("The next date:"))
        lines.append(
            f"{next_date.title}: {format_when(next_date.starts_at, ctx.community.timezone)}"
        )
        if next_date.place:
            lines.append(next_date.place)
    lines.append("")
    lines.append(
        _("Write {prefix}hilfe. Then I show you what I can do.").format(prefix=ctx.command_prefix)
    )
    if ctx.is_direct and ctx.community is not None:
        # Plain questions about dates are understood in a private chat (handlers/questions).
        lines.append(_("Or simply ask me, for example: When is the next meeting?"))
    await ctx.reply("\n".join(lines))


@router.joined
async def joined(ctx: Context) -> None:
    """Greet a chat the bot was just added to; unlinked groups learn how to link them."""
    if ctx.chat.kind == "group" and ctx.community is None:
        await ctx.reply(
            _(
                "Hello! I am Lotsenbot.\n"
                "An admin connects this chat with a group by writing {prefix}verbinden "
                "and the number of the group."
            ).format(prefix=ctx.command_prefix)
        )
        return
    await start(ctx)


@router.command("hilfe", "help", description=N_("Help, and what I can do"), needs_community=False)
async def help_(ctx: Context) -> None:
    """In a private chat: a short menu (dates, help from a Lotse, all commands); in a
    group: what the bot can do."""
    if ctx.is_direct:
        await ctx.enter("help_menu")
        return
    await ctx.reply(command_list(ctx))


@router.command(
    "befehle",
    "commands",
    description=N_("What I can do"),
    needs_community=False,
    listed=False,  # it is the list itself
)
async def commands(ctx: Context) -> None:
    """List the commands this person may use here."""
    await ctx.reply(command_list(ctx))


@router.command(
    "sprache", "language", description=N_("Choose your language"), needs_community=False
)
async def language(ctx: Context) -> None:
    """Offer the languages as buttons."""
    buttons = [
        Button(label, "lang.set", {"locale": code, "person": ctx.person.id}, aliases)
        for code, label, aliases in _choices()
    ]
    await ctx.reply(_("Which language would you like?"), buttons)


@router.button("lang.set")
async def set_language(ctx: Context) -> None:
    """Store the chosen language and confirm in it."""
    code = ctx.button_args.get("locale")
    if code not in offered_locales():
        return
    if ctx.button_args.get("person") not in (None, ctx.person.id):
        await ctx.reply(_("This button is for someone else."))
        return
    await people.set_locale(ctx.work, ctx.person, code)
    with use_locale(code):
        await ctx.reply(_("Thank you. I will write to you in English from now on."))


@router.member_joined
async def welcome_member(ctx: Context) -> None:
    """A person new in the group cannot read what was posted before (an encrypted Matrix
    room): greet them with the next date and its sign-up choices."""
    assert ctx.community is not None
    welcome = _("Welcome, {name}!").format(name=ctx.person.display_name)
    coming = await upcoming(ctx, 1)
    if not coming:
        await ctx.reply(welcome + "\n" + _("There are no dates planned at the moment."))
        return
    await show_event(ctx, coming[0], intro=welcome + "\n" + _("The next date:"))
