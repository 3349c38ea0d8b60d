"""Staff choose when a date (or its whole series) reminds the people signed up."""

from __future__ import annotations

import re

from bot.chat.context import Context
from bot.chat.router import Router
from bot.dates import events, jobs
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.language.i18n import N_, _, ngettext
from bot.reminders import times

_DAY_BEFORE = re.compile(
    r"^(?:am vortag|the day before)(?: um| at)? (\d{1,2})(?:[:.](\d{2}))?(?: uhr)?$"
)
_DAYS = re.compile(
    r"^(\d{1,2}) (?:tage?|days?) (?:vorher|before)(?: um| at)? (\d{1,2})(?:[:.](\d{2}))?(?: uhr)?$"
)
_HOURS = re.compile(r"^(\d{1,3}) (?:stunden?|hours?) (?:vorher|before)$")
_MINUTES = re.compile(r"^(\d{1,4}) (?:minuten|minutes?) (?:vorher|before)$")
NONE_WORDS = {"keine", "keine erinnerung", "none", "no reminders"}


# Add /erinnerungen.
router = Router()


@router.command(
    "erinnerungen",
    "reminders",
    description=N_("When a date reminds people: number; am Vortag 10 Uhr; 2 Stunden vorher"),
    roles=(STAFF,),
)
async def reminders(ctx: Context) -> None:
    """Show or set the reminder times of a date; for a series, of all its dates."""
    assert ctx.community is not None
    parts = [p.strip() for p in ctx.args.split(";")] if ctx.args else []
    number = parts[0].removeprefix("Nr.").strip() if parts else ""
    event = (
        await events.in_community(ctx.work, ctx.community.id, int(number))
        if is_number(number)
        else None
    )
    if event is None:
        await ctx.reply(_usage(ctx))
        return
    if len(parts) == 1:
        current = await times.reminder_times(ctx.work, event, ctx.services.policy.default)
        await ctx.reply(
            _("{title}\nReminders: {times}").format(title=event.title, times=describe_all(current))
        )
        return
    specs = parse_times(parts[1:])
    if specs is None:
        await ctx.reply(_usage(ctx))
        return
    in_series = await times.set_reminder_times(ctx.work, ctx.community, event, specs)
    answer = _("Saved. Reminders: {times}").format(times=describe_all(specs))
    if in_series is not None:
        answer += "\n" + ngettext(
            "This applies to {count} date of the series.",
            "This applies to {count} dates of the series.",
            in_series,
        ).format(count=in_series)
    await ctx.reply(answer)


def parse_times(texts: list[str]) -> list[str] | None:
    """German (or English) words to reminder specs; None when one is not understood."""
    specs: list[str] = []
    for raw in texts:
        text = " ".join(raw.casefold().split())
        if not text:
            continue
        if text in NONE_WORDS:
            return [] if len(texts) == 1 else None
        if found := _DAY_BEFORE.match(text):
            days, hour, minute = 1, found.group(1), found.group(2)
        elif found := _DAYS.match(text):
            days, hour, minute = int(found.group(1)), found.group(2), found.group(3)
        elif found := _HOURS.match(text):
            specs.append(f"{int(found.group(1))}h")
            continue
        elif found := _MINUTES.match(text):
            specs.append(f"{int(found.group(1))}m")
            continue
        else:
            return None
        spec = f"{days}d@{int(hour):02d}:{int(minute or 0):02d}"
        try:
            jobs.parse_offset(spec)
        except ValueError:
            return None
        specs.append(spec)
    return specs or None


def describe_all(specs: list[str]) -> str:
    if not specs:
        return _("none")
    return ", ".join(_describe(spec) for spec in specs)


def _describe(spec: str) -> str:
    days, hour, minute = jobs.describe(spec)
    if hour < 0:
        if minute % 60 == 0:
            hours = minute // 60
            return ngettext("{n} hour before", "{n} hours before", hours).format(n=hours)
        return ngettext("{n} minute before", "{n} minutes before", minute).format(n=minute)
    at = f"{hour:02d}:{minute:02d}"
    if days == 1:
        return _("the day before at {time}").format(time=at)
    return ngettext("{n} day before at {time}", "{n} days before at {time}", days).format(
        n=days, time=at
    )


def _usage(ctx: Context) -> str:
    return _(
        "Please write it like this: {prefix}erinnerungen 12; am Vortag 10 Uhr; 2 Stunden vorher\n"
        "Or: {prefix}erinnerungen 12; keine\nThe numbers are shown by {prefix}termine."
    ).format(prefix=ctx.command_prefix)
