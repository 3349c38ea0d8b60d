"""/absagen and /ausfallen ask first: the date in full and how many people will hear it,
then "Ja, absagen" or "Nein". Only "Ja" acts, and only on the date as it was shown."""

from __future__ import annotations

from typing import Any

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.dates import events, planning
from bot.domain.roles import STAFF
from bot.language.i18n import _, format_span, ngettext
from handlers.date_changes.common import numbered, parts, told

CONFIRM, YES, NO = "date.call_off", "date.call_off.yes", "date.call_off.no"
YES_WORDS = {"1", "ja", "yes", "ja, absagen", "yes, cancel it"}
NO_WORDS = {"2", "nein", "no"}

# Add the question before a date is called off, and its answers.
router = Router()


async def ask_first(ctx: Context, *, skip: bool) -> None:
    """Name the date and who will hear it, and ask; nothing changes yet."""
    command = "ausfallen" if skip else "absagen"
    event = await numbered(ctx, parts(ctx), "{prefix}" + command + " 12")
    if event is None:
        return
    assert ctx.community is not None
    preview = await planning.call_off_preview(ctx.work, event, skip=skip)
    if isinstance(preview, str):
        await _refused(ctx, preview)
        return
    question = _("Should this date be called off?") if skip else _("Should I cancel this date?")
    lines = [question, "", event.title]
    lines.append(format_span(event.starts_at, event.ends_at, ctx.community.timezone))
    if event.place:
        lines.append(_("Place: {place}").format(place=event.place))
    lines.append("")
    if skip:
        lines.append(_("The other dates of the series stay."))
    lines.append(_people(preview.people))
    data = {"event": event.id, "skip": skip, "version": preview.version}
    await ctx.ask(
        "\n".join(lines),
        CONFIRM,
        data,
        [
            Button(_yes_label(skip), YES, data, aliases=("ja", "yes")),
            Button(_("No"), NO, aliases=("nein", "no")),
        ],
        numbers=True,  # "1" and "2" answer this question in a group, too
    )


def _yes_label(skip: bool) -> str:
    # A skipped date of a series "fällt aus"; only a cancelled one is "abgesagt".
    return _("Yes, call it off") if skip else _("Yes, cancel it")


def _people(count: int) -> str:
    if not count:
        return _(
            "Nobody is signed up. Where the date was announced, I will say that it does not"
            " take place."
        )
    return ngettext(
        "{count} person is signed up or waiting and will be told.",
        "{count} people are signed up or waiting and will be told.",
        count,
    ).format(count=count)


@router.state(CONFIRM, roles=(STAFF,))
async def typed(ctx: Context) -> None:
    """A typed answer: 1 or "ja" acts, 2 or "nein" stops; anything else asks again."""
    data = await ctx.dialog_data(CONFIRM)
    word = " ".join(ctx.text.casefold().split()).rstrip(".!")
    if data is None:
        return
    if word in YES_WORDS:
        await _confirmed(ctx, data)
    elif word in NO_WORDS:
        await _stopped(ctx)
    else:
        await ctx.reply(
            _("Please answer 1 ({yes}) or 2 (No).").format(yes=_yes_label(bool(data["skip"])))
        )


@router.button(YES, roles=(STAFF,))
async def yes(ctx: Context) -> None:
    """ "Ja, absagen" pressed: only for the open question about this very date."""
    data = await ctx.dialog_data(CONFIRM)
    if data is None or data.get("event") != ctx.button_args.get("event"):
        await ctx.reply(_("This question is no longer open. I have not cancelled anything."))
        return
    await _confirmed(ctx, data)


@router.button(NO, roles=(STAFF,))
async def no(ctx: Context) -> None:
    """ "Nein" pressed: the date stays."""
    await _stopped(ctx)


async def _stopped(ctx: Context) -> None:
    await ctx.finish_dialog()
    await ctx.reply(_("All right. The date stays as it is."))


async def _confirmed(ctx: Context, data: dict[str, Any]) -> None:
    """Call the date off, unless it changed since the question."""
    await ctx.finish_dialog()
    assert ctx.community is not None
    event = await events.in_community(ctx.work, ctx.community.id, int(data["event"]))
    if event is None:
        await ctx.reply(_("This date no longer exists. I have not cancelled anything."))
        return
    result = await planning.call_off(
        ctx.work, ctx.community, event, skip=bool(data["skip"]), expected=str(data["version"])
    )
    if isinstance(result, str):
        await _refused(ctx, result)
    else:
        skipped = bool(data["skip"])
        await told(
            ctx, result, _("The date is called off.") if skipped else _("The date is cancelled.")
        )


async def _refused(ctx: Context, reason: str) -> None:
    if reason == "already_cancelled":
        await ctx.reply(_("This date is already cancelled. I have not changed anything."))
    elif reason == "changed":
        await ctx.reply(
            _(
                "This date was changed after my question. I have not cancelled anything.\n"
                "Please look at it again with {prefix}termine."
            ).format(prefix=ctx.command_prefix)
        )
    else:
        await ctx.reply(
            _("This date is not part of a series. Use {prefix}absagen.").format(
                prefix=ctx.command_prefix
            )
        )
