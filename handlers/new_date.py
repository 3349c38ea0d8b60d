"""Staff create a date or series: a guided dialog, or one line for experienced staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.dates import announcements, series
from bot.dates.notices import post_event
from bot.dates.texts import announcement
from bot.domain.models import Event
from bot.domain.numbers import is_number
from bot.domain.roles import STAFF
from bot.domain.when import When, WhenError, parse_when
from bot.infra.column_limits import column_length
from bot.language.i18n import N_, _, format_span, format_when
from bot.language.plain_language import check
from handlers.when_words import when_error

STATE = "newdate"
MAX_FIELD = 300
# The answers that become a date's columns: no longer than the column (title 200).
FIELD_LIMITS = {
    key: min(MAX_FIELD, column_length(Event, key))
    for key in ("title", "place", "online_link", "topic", "contact", "bring")
}
MAX_CAPACITY = 10_000
SKIP, ONLINE_ONLY, ONGOING, NO_LIMIT = "skip", "online_only", "ongoing", "no_limit"


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    question: Callable[[], str]
    choices: Callable[[], list[tuple[str, str]]] = lambda: []
    numbers: bool = False
    applies: Callable[[dict[str, Any]], bool] = lambda data: True


def _skip() -> list[tuple[str, str]]:
    return [(_("Skip"), SKIP)]


STEPS = (
    Step(
        "title",
        lambda: _("What is the date called? For example: Digitalcafé"),
        lambda: [(_("Digitalcafé"), _("Digitalcafé")), (_("Office hours"), _("Office hours"))],
    ),
    Step(
        "when",
        lambda: _(
            "When is it? For example:\n"
            "jeden 1. Mittwoch 15 Uhr\n"
            "dienstags 10–12 Uhr\n"
            "9.12. 15:00–17:00\n"
            "morgen 10 Uhr"
        ),
    ),
    Step(
        "course",
        lambda: _(
            "Is it a course with a fixed number of dates? Then write the number of dates. "
            "Otherwise tap: Ongoing"
        ),
        lambda: [(_("Ongoing"), ONGOING)],
        numbers=True,
        applies=lambda data: bool(data.get("rrule")),
    ),
    Step(
        "place",
        lambda: _("Where does it take place? For example: Stadtbibliothek, Markt 1, Raum 2"),
        lambda: [(_("Online only"), ONLINE_ONLY)],
    ),
    Step(
        "online_link",
        lambda: _("Can people also join online? Then write the address. Otherwise tap: Skip"),
        _skip,
    ),
    Step("topic", lambda: _("What is the topic? Or tap: Skip"), _skip),
    Step(
        "capacity",
        lambda: _("How many places are there? Please write a number."),
        lambda: [(_("No limit"), NO_LIMIT)],
        numbers=True,
    ),
    Step(
        "contact",
        lambda: _("Who answers questions? For example: Frau Meier, Telefon 04542 1234"),
        _skip,
    ),
    Step(
        "deadline",
        lambda: _("Until when can people sign up?"),
        lambda: [
            (_("Until it starts"), "0"),
            (_("1 day before"), "24"),
            (_("2 days before"), "48"),
        ],
    ),
    Step(
        "bring", lambda: _("What should people bring? For example: your phone. Or tap: Skip"), _skip
    ),
)
BY_KEY = {step.key: step for step in STEPS}


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
    await ctx.ask(step.question(), STATE, data, [*buttons, *_nav()], numbers=step.numbers)


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
        await ctx.reply(_("Please tap Save, or write: abbrechen"))
        return
    problem = _store(ctx, key, text, data, tapped)
    if problem:
        await ctx.reply(problem)
        return
    await _next(ctx, data, key)


def _store(ctx: Context, key: str, text: str, data: dict[str, Any], tapped: bool) -> str:
    """Put one answer into data; returns a friendly problem text, or "" when it fits."""
    assert ctx.community is not None
    limit = FIELD_LIMITS.get(key, MAX_FIELD)
    if len(text) > limit:
        return _("That is too long. Please write at most {limit} characters.").format(limit=limit)
    skip = tapped and text == SKIP
    if key == "title":
        if not text:
            return _("Please write a name for the date.")
        data["title"] = text
    elif key == "when":
        try:
            when = parse_when(text, ctx.now, ctx.community.timezone, require_time=True)
        except WhenError as error:
            return when_error(error)
        data.update(_when_data(when))
    elif key == "course":
        if tapped and text == ONGOING:
            data["course_dates"] = None
        elif is_number(text) and 2 <= int(text) <= series.MAX_COURSE_DATES:
            data["course_dates"] = int(text)
        else:
            return _("Please write a number from 2 to {most}, or tap: Ongoing").format(
                most=series.MAX_COURSE_DATES
            )
    elif key == "place":
        data["place"] = "" if tapped and text == ONLINE_ONLY else text
    elif key == "capacity":
        if tapped and text == NO_LIMIT:
            data["capacity"] = None
        elif is_number(text) and 1 <= int(text) <= MAX_CAPACITY:
            data["capacity"] = int(text)
        else:
            return _("Please write the number of places, for example 15.")
    elif key == "deadline":
        hours = text if tapped else _hours_before(text)
        if hours is None:
            return _("Please tap one of the buttons.")
        data["deadline_hours"] = int(hours) or None
    elif key == "online_link" and skip and not data.get("place"):
        return _("The date is online only, so please write the address, starting with https://")
    elif key == "online_link" and not skip and not text.startswith(("https://", "http://")):
        return _("Please write the full address, starting with https://. Or tap: Skip")
    else:
        data[key] = "" if skip else text
    return ""


def _hours_before(text: str) -> str | None:
    words = text.lower().split()
    if not words:
        return None
    if is_number(words[0]):
        return str(int(words[0]) * 24) if int(words[0]) <= 14 else None
    return None


def _when_data(when: When) -> dict[str, Any]:
    return {
        "start": when.start.isoformat(),
        "end": when.end.isoformat() if when.end else None,
        "rrule": when.rrule,
    }


def _details(data: dict[str, Any]) -> series.Details:
    return series.Details(
        title=data.get("title", ""),
        place=data.get("place", ""),
        online_link=data.get("online_link", ""),
        topic=data.get("topic", ""),
        capacity=data.get("capacity"),
        contact=data.get("contact", ""),
        bring=data.get("bring", ""),
        deadline_hours=data.get("deadline_hours"),
        course_dates=data.get("course_dates"),
    )


def _when(data: dict[str, Any]) -> When:
    return When(
        datetime.fromisoformat(data["start"]),
        datetime.fromisoformat(data["end"]) if data.get("end") else None,
        data.get("rrule"),
        True,
    )


async def _confirm(ctx: Context, data: dict[str, Any]) -> None:
    """Show the date as members will see it, with the plain-language check, before saving."""
    assert ctx.community is not None
    if not data.get("place") and not data.get("online_link"):
        await _ask(ctx, "place", data)
        await ctx.reply(_("Please give a place or an online address."))
        return
    data = {**data, "step": "confirm"}
    when = _when(data)
    preview_event = series._event_from(
        ctx.community, _details(data), when.start, (when.end - when.start if when.end else None)
    )
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
        return _("A course with {count} dates, from {first}.").format(
            count=data["course_dates"],
            first=format_when(datetime.fromisoformat(data["start"]), timezone),
        )
    return _("Repeats. First date: {first}.").format(
        first=format_when(datetime.fromisoformat(data["start"]), timezone)
    )


async def _create(ctx: Context, data: dict[str, Any], post_now: bool) -> None:
    assert ctx.community is not None
    created_series, events = await series.create(
        ctx.session,
        ctx.community,
        _when(data),
        _details(data),
        ctx.now,
        created_by=ctx.person.id,
        policy=ctx.services.policy,
    )
    if not events:
        await ctx.reply(_("I could not find a date in the coming months. Nothing was saved."))
        return
    first = events[0]
    if post_now:
        await post_event(ctx.session, first, ctx.community, f"announce:{ctx.dispatch_id}", ctx.now)
        await announcements.mark_first_posted(ctx.session, first.id)
    when = format_span(first.starts_at, first.ends_at, ctx.community.timezone)
    if created_series is None:
        text = _("Saved: {title}, {when}.").format(title=first.title, when=when)
    else:
        text = _("Saved: {title}. {count} dates are planned, the first on {when}.").format(
            title=first.title, count=len(events), when=when
        )
    lines = [text]
    lines.append(
        _("Posted in the groups.")
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
        if problem := _store(ctx, key, text, data, tapped=False):
            await ctx.reply(problem)
            return
    await _confirm(ctx, data)
