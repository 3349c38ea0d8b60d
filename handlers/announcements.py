"""Staff schedule their own announcements (once or repeating), list, change and cancel them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.dates import announcements, announcing
from bot.domain.models import Announcement
from bot.domain.roles import STAFF
from bot.domain.when import WhenError, parse_when
from bot.language.choosing import joined, or_word
from bot.language.i18n import N_, _, format_when
from handlers.when_words import when_error

MAX_TIPS = 8  # a real invitation can need six or seven tips; all of them are shown
STOP = "ann.stop"


# Add the scheduled-announcement commands.
router = Router()


@router.command(
    "ankuendigung_neu",
    "new_announcement",
    description=N_("Schedule an announcement of your own"),
    roles=(STAFF,),
    where="direct",
)
async def new(ctx: Context) -> None:
    """Ask for the text; the plain-language check runs before anything is scheduled."""
    if ctx.args:
        await _text(ctx, ctx.args)
        return
    await ctx.ask(
        _("Please write the text of the announcement. Write it as members should read it."),
        "ann.text",
        {},
        [_stop()],
    )


@router.state("ann.text", roles=(STAFF,))
async def text_typed(ctx: Context) -> None:
    """The announcement text."""
    await _text(ctx, ctx.text)


@router.button("ann.keep", roles=(STAFF,))
async def keep(ctx: Context) -> None:
    """Use the text despite the plain-language tips."""
    state = await _state(ctx, "ann.review")
    if state is not None:
        await _ask_when(ctx, state["text"])


@router.button(STOP, roles=(STAFF,))
async def stop(ctx: Context) -> None:
    """ "Abbrechen" at any step: nothing is saved or sent."""
    await ctx.finish_dialog()
    await ctx.reply(_("All right, I have stopped. Nothing was changed."))


@router.state("ann.review", roles=(STAFF,))
async def rewritten(ctx: Context) -> None:
    """A new version of the text after the tips."""
    await _text(ctx, ctx.text)


@router.state("ann.when", roles=(STAFF,))
async def when_typed(ctx: Context) -> None:
    """When to post: once ("Montag 9 Uhr") or repeating ("jeden Montag 9 Uhr")."""
    assert ctx.state is not None and ctx.community is not None
    data = dict(ctx.state.data)
    try:
        when = parse_when(
            ctx.text, ctx.now, ctx.community.timezone, require_time=True, language=ctx.locale
        )
    except WhenError as error:
        await ctx.reply(when_error(error))
        return
    data.update(start=when.start.isoformat(), rrule=when.rrule)
    await _ask_chats(ctx, data)


@router.button("ann.now", roles=(STAFF,))
async def post_now(ctx: Context) -> None:
    """Post right away."""
    state = await _state(ctx, "ann.when")
    if state is not None:
        await _ask_chats(ctx, {**state, "start": ctx.now.isoformat(), "rrule": None})


@router.button("ann.chats", roles=(STAFF,))
async def chats_chosen(ctx: Context) -> None:
    """All groups, or one group, then save."""
    assert ctx.community is not None
    state = await _state(ctx, "ann.chats")
    if state is None:
        return
    chat = ctx.button_args.get("chat")
    await ctx.finish_dialog()
    start = datetime.fromisoformat(state["start"])
    done = await announcements.schedule_post(
        ctx.work,
        ctx.community.id,
        state["text"],
        start,
        state.get("rrule"),
        [int(chat)] if chat else None,
        ctx.person.id,
    )
    repeats = bool(state.get("rrule"))
    await ctx.reply(announcing.scheduled_answer(done, repeats, ctx.community.timezone))


@router.command(
    "ankuendigungen",
    "announcements",
    description=N_("Show, change or cancel scheduled announcements"),
    roles=(STAFF,),
    where="direct",
)
async def listing(ctx: Context) -> None:
    """The scheduled posts of this community, each with buttons to change or cancel it."""
    assert ctx.community is not None
    rows = await announcements.listed(ctx.work, ctx.community.id, 15)
    if not rows:
        await ctx.reply(_("No announcements are scheduled."))
        return
    lines = [_("Scheduled announcements:")]
    buttons = []
    for n, row in enumerate(rows, start=1):
        lines.append(f"{n}. {format_when(row.due_at, ctx.community.timezone)}: {_label(row)}")
        buttons.append(Button(_("{n}: cancel").format(n=n), "ann.cancel", {"id": row.id}))
        buttons.append(Button(_("{n}: new time").format(n=n), "ann.move", {"id": row.id}))
    await ctx.reply("\n".join(lines), buttons)


@router.button("ann.cancel", roles=(STAFF,))
async def cancel(ctx: Context) -> None:
    """Cancel one scheduled post."""
    row = await _row(ctx)
    if row is not None:
        await announcements.cancel_post(ctx.work, row)
        await ctx.reply(_("Cancelled. It will not be posted."))


@router.button("ann.move", roles=(STAFF,))
async def move(ctx: Context) -> None:
    """Ask for the new time of one scheduled post."""
    row = await _row(ctx)
    if row is not None:
        await ctx.ask(_("When should it be posted instead?"), "ann.move", {"id": row.id})


@router.state("ann.move", roles=(STAFF,))
async def move_typed(ctx: Context) -> None:
    """The new time for a scheduled post."""
    assert ctx.state is not None and ctx.community is not None
    row = await announcements.find_post(
        ctx.work, ctx.community.id, int(ctx.state.data.get("id", 0)), scheduled=False
    )
    if row is None:
        await ctx.finish_dialog()
        return
    try:
        when = parse_when(
            ctx.text, ctx.now, ctx.community.timezone, require_time=True, language=ctx.locale
        )
    except WhenError as error:
        await ctx.reply(when_error(error))
        return
    await ctx.finish_dialog()
    await announcements.move_post(ctx.work, row, when.start, when.rrule)
    await ctx.reply(
        _("Changed. It is posted on {when}.").format(
            when=format_when(when.start, ctx.community.timezone)
        )
    )


async def _text(ctx: Context, text: str) -> None:
    text = text.strip()
    if not text or len(text) > announcing.MAX_TEXT:
        await ctx.reply(announcing.text_limit())
        return
    assert ctx.community is not None
    findings = announcing.tips(text, ctx.community, ctx.now)
    if not findings:
        await _ask_when(ctx, text)
        return
    lines = [_("Tips for plain language:")]
    lines += [f"- „{f.excerpt}“: {f.suggestion}" for f in findings[:MAX_TIPS]]
    lines += ["", joined(_("Write an improved text."), or_word(_("Use as it is"), ctx.can_tap))]
    await ctx.ask(
        "\n".join(lines),
        "ann.review",
        {"text": text},
        [Button(_("Use as it is"), "ann.keep"), _stop()],
    )


async def _ask_when(ctx: Context, text: str) -> None:
    await ctx.ask(
        _("When should it be posted? For example: Montag 9 Uhr, or repeating: jeden Montag 9 Uhr"),
        "ann.when",
        {"text": text},
        [Button(_("Post now"), "ann.now"), _stop()],
    )


async def _ask_chats(ctx: Context, data: dict[str, object]) -> None:
    assert ctx.community is not None
    chats = await announcements.post_chats(ctx.work, ctx.community.id)
    buttons = [Button(_("All groups"), "ann.chats", {})]
    buttons += [
        Button(chat.title or f"{chat.platform} {chat.id}", "ann.chats", {"chat": chat.id})
        for chat in chats[:8]
    ]
    await ctx.ask(_("Where should it be posted?"), "ann.chats", dict(data), [*buttons, _stop()])


def _stop() -> Button:
    return Button(_("Stop"), STOP)


async def _state(ctx: Context, name: str) -> dict[str, Any] | None:
    data = await ctx.dialog_data(name)
    if data is None:
        await ctx.reply(
            _("This question is over. Please start again with {prefix}ankuendigung_neu.").format(
                prefix=ctx.command_prefix
            )
        )
    return data


async def _row(ctx: Context) -> Announcement | None:
    assert ctx.community is not None
    row = await announcements.find_post(
        ctx.work, ctx.community.id, int(ctx.button_args.get("id", 0))
    )
    if row is None:
        await ctx.reply(_("This announcement is no longer scheduled."))
        return None
    return row


def _label(row: announcements.Listed) -> str:
    if row.kind == announcements.TEXT:
        short = row.text if len(row.text) <= 60 else row.text[:57] + "…"
        return short + (" " + _("(repeats)") if row.repeats else "")
    if row.kind == announcements.EVENT_AGAIN:
        return _("Reminder for the date: {title}").format(title=row.title)
    return _("The date: {title}").format(title=row.title)
