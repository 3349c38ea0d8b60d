"""/status (Matrix: !status): how the bot is doing, in one short message for a deployment
admin: the same look as GET /health (``bot.watching``), in plain words."""

from __future__ import annotations

from bot.chat import platforms
from bot.chat.context import Context
from bot.chat.router import Router
from bot.domain.roles import DEPLOYMENT_ADMIN
from bot.language.i18n import N_, _, ngettext

router = Router()


@router.command(
    "status",
    description=N_("Show how the bot is doing"),
    roles=(DEPLOYMENT_ADMIN,),
    where="direct",
    needs_community=False,
)
async def status(ctx: Context) -> None:
    """One short message: database, each platform, dates and reminders, waiting messages."""
    if ctx.services.look is None:
        await ctx.reply(_("Nothing to show: the bot is not running."))
        return
    seen = await ctx.services.look(ctx.work)
    lines = [_("The bot works normally.") if seen.healthy else _("The bot has a problem.")]
    lines.append(_("Database: reachable") if seen.database else _("Database: not reachable"))
    for platform in seen.platforms:
        lines.append(_platform_line(platforms.display_name(platform.name), platform))
    lines.append(_scheduler_line(seen))
    if seen.database:
        lines += _outbox_lines(seen.due_messages, seen.oldest_due_seconds)
    await ctx.reply("\n".join(lines))


def _platform_line(name: str, platform) -> str:  # type: ignore[no-untyped-def]
    if not platform.healthy:
        return _("{platform}: receives no messages right now").format(platform=name)
    if platform.state == "running":
        return _("{platform}: receives messages").format(platform=name)
    return _("{platform}: another process receives the messages").format(platform=name)


def _scheduler_line(seen) -> str:  # type: ignore[no-untyped-def]
    if not seen.leads:
        return _("Dates and reminders: another process takes care of them")
    if seen.scheduler_failing is not None:
        return _("Dates and reminders: the last check failed")
    if seen.scheduler_last_round_seconds is None:
        return _("Dates and reminders: not checked yet")
    minutes = int(seen.scheduler_last_round_seconds // 60)
    return ngettext(
        "Dates and reminders: checked {minutes} minute ago",
        "Dates and reminders: checked {minutes} minutes ago",
        minutes,
    ).format(minutes=minutes)


def _outbox_lines(due: int, oldest_seconds: float) -> list[str]:
    if not due:
        return [_("No message is waiting to be sent.")]
    minutes = int(oldest_seconds // 60)
    return [
        ngettext(
            "{count} message is waiting to be sent.",
            "{count} messages are waiting to be sent.",
            due,
        ).format(count=due),
        ngettext(
            "The oldest has waited {minutes} minute.",
            "The oldest has waited {minutes} minutes.",
            minutes,
        ).format(minutes=minutes),
    ]
