"""What the date changes share: the command's parts, its number, and staff's answer."""

from __future__ import annotations

from bot.chat.context import Context
from bot.dates import planning
from bot.dates.texts import told_line
from bot.domain.models import Event
from bot.domain.numbers import is_number
from bot.language.i18n import _, ngettext
from handlers.date_views import numbered_event


async def told(ctx: Context, result: planning.Told, head: str) -> None:
    """Staff's answer after a change: how many were told, and whom to call."""
    lines = [head]
    if result.told:
        lines.append(told_line(result.told))
    elif not result.unreachable:
        lines.append(_("Nobody was signed up."))
    if result.unreachable:
        call = ngettext(
            "Please call this person, they have no chat with the bot:",
            "Please call these people, they have no chat with the bot:",
            len(result.unreachable),
        )
        lines.append(call)
        lines += [f"- {one.name} {one.phone}".rstrip() for one in result.unreachable]
    await ctx.reply("\n".join(lines), about=[one.person_id for one in result.unreachable])


def parts(ctx: Context) -> list[str]:
    return [part.strip() for part in ctx.args.split(";")] if ctx.args else []


async def usage(ctx: Context, example: str) -> None:
    await ctx.reply(
        _("Please write it like this: {example}\nThe numbers are shown by {prefix}termine.").format(
            example=example.format(prefix=ctx.command_prefix), prefix=ctx.command_prefix
        )
    )


async def numbered(ctx: Context, parts: list[str], example: str) -> Event | None:
    assert ctx.community is not None
    number = parts[0].removeprefix("Nr.").removeprefix("nr.").strip() if parts else ""
    if not is_number(number):
        await usage(ctx, example)
        return None
    return await numbered_event(ctx, number)
