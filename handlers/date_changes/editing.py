"""/aendern N: staff change a date, or a series from that date on, in a short dialog.

What to change, the new value, for a series date "only this one or all from this one on",
then old and new side by side and "Ja" or "Abbrechen". Only "Ja" changes anything; the
people affected hear it through ``bot.dates.editing`` (the same use case a web form calls).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.dates import editing, events
from bot.dates.planning import Told
from bot.dates.texts import edit_refused as refused
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.language.i18n import N_, _, format_span
from handlers.date_changes.common import numbered, parts, told
from handlers.date_changes.edit_words import (
    FIELDS,
    REMOVABLE,
    changes_of,
    done_head,
    field_label,
    how_many,
    new,
    old,
    question,
    read,
)

STATE = "date.edit"
FIELD, VALUE, SCOPE = "date.edit.field", "date.edit.value", "date.edit.scope"
YES, NO = "date.edit.yes", "date.edit.no"
YES_WORDS = {"1", "ja", "yes", "ja, ändern", "yes, change it"}
NO_WORDS = {"2", "nein", "no"}

# Add the change dialog.
router = Router()


@router.command(
    "aendern",
    "edit_date",
    description=N_("Change a date or a series: number"),
    roles=(STAFF,),
)
async def edit(ctx: Context) -> None:
    """Ask what to change about the date; nothing changes yet."""
    event = await numbered(ctx, parts(ctx), "{prefix}aendern 12")
    if event is None:
        return
    assert ctx.community is not None
    if event.status == "cancelled" or event.starts_at < ctx.now:
        await ctx.reply(refused("cancelled" if event.status == "cancelled" else "past"))
        return
    tz = ctx.community.timezone
    day = event.starts_at.astimezone(ZoneInfo(tz)).date().isoformat()
    data = {"event": event.id, "series": event.series_id, "day": day, "step": "field"}
    lines = [event.title, format_span(event.starts_at, event.ends_at, tz), ""]
    lines.append(_("What would you like to change?"))
    lines.append(_("Tap a button or write the number.") if ctx.can_tap else _("Write the number."))
    buttons = [Button(field_label(key), FIELD, {"event": event.id, "field": key}) for key in FIELDS]
    # Numbers: a typed "3" answers this question, also in a group below a date's post.
    await ctx.ask("\n".join(lines), STATE, data, [*buttons, _stop()], numbers=True)


@router.button(FIELD, roles=(STAFF,))
async def field_chosen(ctx: Context) -> None:
    """A detail chosen: ask for its new value, with the value until now."""
    data = await _open(ctx, "field")
    field = str(ctx.button_args.get("field", ""))
    if data is None or field not in FIELDS:
        await _gone(ctx)
        return
    await _ask_value(ctx, data, field)


async def _ask_value(ctx: Context, data: dict[str, Any], field: str) -> None:
    assert ctx.community is not None
    event = await events.in_community(ctx.work, ctx.community.id, int(data["event"]))
    if event is None:
        await ctx.finish_dialog()
        await ctx.reply(refused("not_found"))
        return
    data = {**data, "field": field, "step": "value"}
    buttons = []
    if field in REMOVABLE:
        buttons.append(Button(_("Remove"), VALUE, {"event": event.id, "value": ""}))
    if field == "capacity":
        buttons.append(Button(_("No limit"), VALUE, {"event": event.id, "value": 0}))
    text = question(field, event, ctx.community.timezone)
    await ctx.ask(text, STATE, data, [*buttons, _stop()], numbers=True)


@router.state(STATE, roles=(STAFF,))
async def typed(ctx: Context) -> None:
    """A typed new value; in the other steps, say how to answer."""
    data = await ctx.dialog_data(STATE)
    if data is None:
        return
    if data.get("step") != "value":
        if await _typed_choice(ctx, data):
            return
        await ctx.reply(
            _("Please tap a button or write its number.")
            if ctx.can_tap
            else _("Please write the number of your choice.")
        )
        return
    value, problem = read(str(data["field"]), ctx.text)
    if problem:
        await ctx.reply(problem)
        return
    await _valued(ctx, {**data, "value": value})


async def _typed_choice(ctx: Context, data: dict[str, Any]) -> bool:
    """A typed number or word for a choice (in a group, numbers are not matched to the
    buttons); False when it fits none."""
    word = " ".join(ctx.text.casefold().split()).rstrip(".!")
    step, keys = data.get("step"), list(FIELDS)
    if step == "field":
        by_label = {field_label(key).casefold(): key for key in keys}
        number = int(word) if is_number(word) and 1 <= int(word) <= len(keys) else 0
        field = keys[number - 1] if number else by_label.get(word)
        if field is not None:
            await _ask_value(ctx, data, field)
        return field is not None
    scopes = {"1": False, "2": True, _("Only this date").casefold(): False}
    scopes[_("All from this date on").casefold()] = True
    if step == "scope" and word in scopes:
        await _confirm(ctx, {**data, "whole": scopes[word]})
        return True
    if step == "confirm" and word in YES_WORDS:
        await _confirmed(ctx, data)
        return True
    if step == "confirm" and word in NO_WORDS:
        await no(ctx)
        return True
    return False


@router.button(VALUE, roles=(STAFF,))
async def value_tapped(ctx: Context) -> None:
    """ "Entfernen" or "Keine Grenze" tapped."""
    data = await _open(ctx, "value")
    if data is None:
        await _gone(ctx)
        return
    value = ctx.button_args.get("value")
    field = str(data.get("field"))
    allowed = (field in REMOVABLE and value == "") or (field == "capacity" and value == 0)
    if not allowed:
        await _gone(ctx)
        return
    await _valued(ctx, {**data, "value": value})


async def _valued(ctx: Context, data: dict[str, Any]) -> None:
    """For a date of a series ask which dates; then show old and new."""
    if not data.get("series"):
        await _confirm(ctx, {**data, "whole": False})
        return
    event_id = data["event"]
    buttons = [
        Button(_("Only this date"), SCOPE, {"event": event_id, "whole": False}),
        Button(_("All from this date on"), SCOPE, {"event": event_id, "whole": True}),
        _stop(),
    ]
    await ctx.ask(
        _("Only this date, or all dates from this one on?"),
        STATE,
        {**data, "step": "scope"},
        buttons,
        numbers=True,
    )


@router.button(SCOPE, roles=(STAFF,))
async def scope_chosen(ctx: Context) -> None:
    data = await _open(ctx, "scope")
    if data is None:
        await _gone(ctx)
        return
    await _confirm(ctx, {**data, "whole": ctx.button_args.get("whole") is True})


async def _confirm(ctx: Context, data: dict[str, Any]) -> None:
    """Old and new side by side, how many dates and people; then "Ja" or "Abbrechen"."""
    assert ctx.community is not None
    field, value = str(data["field"]), data["value"]
    found = await editing.preview(
        ctx.work,
        ctx.community.id,
        int(data["event"]),
        changes_of(field, value),
        whole_series=bool(data["whole"]),
    )
    if isinstance(found, str):
        await ctx.finish_dialog()
        await ctx.reply(refused(found))
        return
    tz = ctx.community.timezone
    event = next((d for d in found.dates if d.id == data["event"]), found.dates[0])
    lines = [_("Should I change it like this?"), "", event.title]
    if field != "time":
        lines.append(format_span(event.starts_at, event.ends_at, tz))
    lines.append(
        _("{what} until now: {old}").format(what=field_label(field), old=old(field, event, tz))
    )
    lines.append(
        _("{what} new: {new}").format(what=field_label(field), new=new(field, value, event, tz))
    )
    lines += ["", *how_many(len(found.dates), found.people, field)]
    buttons = [
        Button(_("Yes, change it"), YES, {"event": data["event"]}, aliases=("ja", "yes")),
        Button(_("Stop"), NO, aliases=("nein", "no")),
    ]
    await ctx.ask("\n".join(lines), STATE, {**data, "step": "confirm"}, buttons, numbers=True)


@router.button(YES, roles=(STAFF,))
async def yes(ctx: Context) -> None:
    """ "Ja" pressed: change the date (or the series from it on) and tell the people."""
    data = await _open(ctx, "confirm")
    if data is None:
        await _gone(ctx)
        return
    await _confirmed(ctx, data)


async def _confirmed(ctx: Context, data: dict[str, Any]) -> None:
    await ctx.finish_dialog()
    assert ctx.community is not None
    changes = changes_of(str(data["field"]), data["value"])
    policy = ctx.services.policy
    if data["whole"]:
        day = date.fromisoformat(str(data["day"]))
        result = await editing.edit_series(
            ctx.work, ctx.community.id, int(data["series"]), day, changes, policy=policy
        )
    else:
        result = await editing.edit_date(
            ctx.work, ctx.community.id, int(data["event"]), changes, policy=policy
        )
    if isinstance(result, str):
        await ctx.reply(refused(result))
        return
    await _done(ctx, result)


async def _done(ctx: Context, result: editing.Edited) -> None:
    assert ctx.community is not None
    head = done_head(result, ctx.community.timezone)
    await told(ctx, Told(result.told, result.unreachable), head)


@router.button(NO, roles=(STAFF,))
async def no(ctx: Context) -> None:
    await ctx.finish_dialog()
    await ctx.reply(_("All right. The date stays as it is."))


def _stop() -> Button:
    return Button(_("Stop"), NO)


async def _open(ctx: Context, step: str) -> dict[str, Any] | None:
    """The dialog's data when the pressed button belongs to its open question."""
    data = await ctx.dialog_data(STATE)
    if data is None or data.get("step") != step:
        return None
    if data.get("event") != ctx.button_args.get("event"):
        return None
    return data


async def _gone(ctx: Context) -> None:
    await ctx.reply(_("This question is no longer open. I have not changed anything."))
