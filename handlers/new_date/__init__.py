"""Staff create a date or series: a guided dialog, or one line for experienced staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.dates import planning, rhythm, series
from bot.dates.details import from_answers
from bot.dates.texts import announcement
from bot.domain.roles import STAFF
from bot.language.choosing import joined, or_word, please_word
from bot.language.i18n import N_, _, format_span, format_when, ngettext
from bot.language.plain_language import check
from handlers.new_date.steps import BY_KEY, STATE, STEPS, Answer, store, when_of

# Add the new-date dialog and its one-line form.
router = Router()


@router.command(
    "termin_neu",
    "new_date",
    description=N_("Create a new date or series"),
    roles=(STAFF,),
)
async def new_date(ctx: Context) -> None:
    """Start the dialog, or create at once from "Titel; Wann; Ort; Plätze; Thema"."""
    if ctx.args:
        await _one_line(ctx)
        return
    await _ask(ctx, "title", {})


@router.state(STATE, roles=(STAFF,))
async def answer(ctx: Context) -> None:
    """A typed answer to the current question."""
    assert ctx.state is not None
    await _take(ctx, dict(ctx.state.data), ctx.text.strip())


@router.button("newdate.pick", roles=(STAFF,))
async def pick(ctx: Context) -> None:
    """A tapped answer to the current question."""
    data = await _current(ctx)
    if data is None:
        return
    if ctx.button_args.get("step") != data.get("step"):
        await _over(ctx)
        return
    await _take(ctx, data, str(ctx.button_args.get("value", "")), tapped=True)


@router.button("newdate.back", roles=(STAFF,))
async def back(ctx: Context) -> None:
    """Go back one question."""
    data = await _current(ctx)
    if data is None:
        return
    await _back(ctx, data)


@router.button("newdate.stop", roles=(STAFF,))
async def stop(ctx: Context) -> None:
    """Stop the dialog; nothing is saved."""
    await ctx.finish_dialog()
    await ctx.reply(_("All right, I have stopped. Nothing was changed."))


@router.button("newdate.save", roles=(STAFF,))
async def save(ctx: Context) -> None:
    """Store the date as shown in the summary (and post it now if asked)."""
    data = await _current(ctx)
    if data is None:
        return
    if data.get("step") != "confirm":
        await _over(ctx)
        return
    await ctx.finish_dialog()
    await _create(ctx, data, post_now=bool(ctx.button_args.get("now")))


async def _current(ctx: Context) -> dict[str, Any] | None:
    data = await ctx.dialog_data(STATE)
    if data is None:
        await _over(ctx)
    return data


async def _over(ctx: Context) -> None:
    await ctx.reply(
        _("This question is over. Please start again with {prefix}termin_neu.").format(
            prefix=ctx.command_prefix
        )
    )


def _nav() -> list[Button]:
    return [Button(_("Back"), "newdate.back", {}, (_("back"),)), Button(_("Stop"), "newdate.stop")]


async def _ask(ctx: Context, key: str, data: dict[str, Any]) -> None:
    step = BY_KEY[key]
    data = {**data, "step": key}
    buttons = [
        Button(label, "newdate.pick", {"step": key, "value": value})
        for label, value in step.choices()
    ]
    await ctx.ask(
        step.question(ctx.can_tap), STATE, data, [*buttons, *_nav()], numbers=step.numbers
    )


async def _next(ctx: Context, data: dict[str, Any], after: str) -> None:
    keys = [step.key for step in STEPS]
    for key in keys[keys.index(after) + 1 :]:
        if BY_KEY[key].applies(data):
            await _ask(ctx, key, data)
            return
    await _confirm(ctx, data)


async def _back(ctx: Context, data: dict[str, Any]) -> None:
    keys = [step.key for step in STEPS]
    current = data.get("step", "title")
    position = len(keys) if current == "confirm" else keys.index(current)
    for key in reversed(keys[:position]):
        if BY_KEY[key].applies(data):
            await _ask(ctx, key, data)
            return
    await _ask(ctx, "title", data)


async def _take(ctx: Context, data: dict[str, Any], text: str, tapped: bool = False) -> None:
    """Check the answer to the current question; ask again kindly when it does not fit."""
    key = data.get("step", "title")
    if text.lower() in (_("back"), "zurück", "back"):
        await _back(ctx, data)
        return
    if key == "confirm":
        # The way out is a word to write on every platform ("abbrechen", in English "cancel").
        way_out = or_word(_("cancel"), can_tap=False)
        await ctx.reply(joined(please_word(_("Save"), ctx.can_tap), way_out))
        return
    problem = _keep(ctx, key, text, data, tapped)
    if problem:
        await ctx.reply(problem)
        return
    await _next(ctx, data, key)


def _keep(ctx: Context, key: str, text: str, data: dict[str, Any], tapped: bool) -> str:
    """Check one answer and put it into data; a friendly problem text, or "" when it fits."""
    assert ctx.community is not None
    return store(Answer(key, text, tapped, ctx.community.timezone, ctx.now, ctx.can_tap), data)


async def _confirm(ctx: Context, data: dict[str, Any]) -> None:
    """Show the date as members will see it, with the plain-language check, before saving."""
    assert ctx.community is not None
    if not data.get("place") and not data.get("online_link"):
        await _ask(ctx, "place", data)
        await ctx.reply(_("Please give a place or an online address."))
        return
    data = {**data, "step": "confirm"}
    when = when_of(data)
    preview_event = series.preview(ctx.community, when, from_answers(data))
    preview = announcement(preview_event, ctx.community, 0, 0, ctx.now).text
    lines = [_("This is how members will see it:"), "", preview, ""]
    if when.rrule:
        lines.append(_rhythm(data, ctx.community.timezone))
    findings = check(preview, announcement=True)
    if findings:
        lines.append(_("Tips for plain language:"))
        lines += [f"- „{f.excerpt}“: {f.suggestion}" for f in findings[:5]]
        lines.append(_("You can go back and change it, or save it anyway."))
    buttons = [
        Button(_("Save"), "newdate.save", {}, (_("save"),)),
        Button(_("Save and post now"), "newdate.save", {"now": True}),
        *_nav(),
    ]
    await ctx.ask("\n".join(lines), STATE, data, buttons)


def _rhythm(data: dict[str, Any], timezone: str) -> str:
    if data.get("course_dates"):
        return ngettext(
            "A course with {count} date, from {first}.",
            "A course with {count} dates, from {first}.",
            data["course_dates"],
        ).format(
            count=data["course_dates"],
            first=format_when(datetime.fromisoformat(data["start"]), timezone),
        )
    first = datetime.fromisoformat(data["start"])
    words = rhythm.describe(data.get("rrule"), first, timezone)
    if not words:
        return _("Repeats. First date: {first}.").format(first=format_when(first, timezone))
    return _("Repeats {rhythm}. First date: {first}.").format(
        rhythm=words, first=format_when(first, timezone)
    )


async def _create(ctx: Context, data: dict[str, Any], post_now: bool) -> None:
    assert ctx.community is not None
    created = await planning.create_date(
        ctx.work,
        ctx.community,
        when_of(data),
        from_answers(data),
        created_by=ctx.person.id,
        policy=ctx.services.policy,
        post_key=f"announce:{ctx.dispatch_id}" if post_now else None,
    )
    if not created.events:
        await ctx.reply(_("I could not find a date in the coming months. Nothing was saved."))
        return
    first = created.events[0]
    when = format_span(first.starts_at, first.ends_at, ctx.community.timezone)
    if created.series is None:
        text = _("Saved: {title}, {when}.").format(title=first.title, when=when)
    else:
        text = ngettext(
            "Saved: {title}. {count} date is planned, the first on {when}.",
            "Saved: {title}. {count} dates are planned, the first on {when}.",
            len(created.events),
        ).format(title=first.title, count=len(created.events), when=when)
    lines = [text]
    count = created.posted
    lines.append(
        ngettext("Sent to {count} chat.", "Sent to {count} chats.", count).format(count=count)
        if post_now
        else _("The bot posts it in the groups 7 days before.")
    )
    await ctx.reply("\n".join(lines))


async def _one_line(ctx: Context) -> None:
    """ "Titel; Wann; Ort; Plätze; Thema" in one message, for experienced staff."""
    assert ctx.community is not None
    parts = [part.strip() for part in ctx.args.split(";")]
    if len(parts) < 3 or not parts[0] or not parts[1]:
        await ctx.reply(
            _(
                "Please write it like this:\n"
                "{prefix}termin_neu Digitalcafé; jeden 1. Mittwoch 15 Uhr; Stadtbibliothek; 15\n"
                "(name; when; place; places; topic). Or write only {prefix}termin_neu "
                "and I will ask step by step."
            ).format(prefix=ctx.command_prefix)
        )
        return
    data: dict[str, Any] = {}
    fields = ["title", "when", "place", "capacity", "topic"]
    for key, text in zip(fields, parts, strict=False):
        if key == "capacity" and not text:
            continue
        if problem := _keep(ctx, key, text, data, tapped=False):
            await ctx.reply(problem)
            return
    await _confirm(ctx, data)
