"""/export for coordinators: tables as XLSX or CSV and the half-year report, in a private chat.

Everything can be said at once ("/export anwesenheit csv 1. Halbjahr 2026"); what is
missing is asked one question at a time, with buttons. People appear under labels such as
"P-3F9A2C" unless the coordinator writes "mit Namen".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.domain.numbers import is_number
from bot.domain.roles import COORDINATOR, DEPLOYMENT_ADMIN
from bot.exports import files
from bot.exports.choices import (
    CSV,
    KIND_WORDS,
    KINDS,
    REPORT,
    SHEET_TITLES,
    WITH_PEOPLE,
    XLSX,
    Period,
    parse_period,
)
from bot.language.i18n import N_, _, format_day

ASK, PICK = "exp.ask", "exp.pick"
NAME_WORDS = {"namen", "names", "name", "namentlich", "klarnamen"}
NO_NAME_WORDS = {"ohne", "without"}  # "ohne Namen": the default, said out loud
FILLER = {
    *("mit", "with", "als", "as", "für", "for", "im", "in", "the", "den", "das", "die"),
    *("von", "vom", "from", "ab", "alle", "all", "datei", "file", "format", "zeitraum"),
    *("bitte", "und", "and", "der", "dem", "export", "tabelle", "table", *NO_NAME_WORDS),
}
FORMATS = {
    **dict.fromkeys(("xlsx", ".xlsx", "excel", "xlsx-datei", "excel-datei"), XLSX),
    **dict.fromkeys(("excel-tabelle", "xls", "tabellenkalkulation"), XLSX),
    **dict.fromkeys(("csv", ".csv", "csv-datei", "komma", "kommas", "comma"), CSV),
}
YES_NO = {"ja": True, "yes": True, "nein": False, "no": False}
SEMICOLON = {"csv;", "semikolon", "semikolons", "semicolon", ";"}

WHAT_CHOICES = (
    (REPORT, N_("Half-year report")),
    ("all", N_("All tables")),
    *((kind, SHEET_TITLES[kind]) for kind in KINDS),
)


def parse_words(text: str, today: date) -> tuple[dict[str, Any], bool]:
    """What the coordinator wrote, as dialog data; False when some words made no sense."""
    data: dict[str, Any] = {}
    rest: list[str] = []
    words = text.replace(",", " ").split()
    n = 0
    while n < len(words):
        word = words[n].casefold()
        if word in ("gruppe", "group") and n + 1 < len(words) and is_number(words[n + 1]):
            data["community"] = int(words[n + 1])
            n += 2
            continue
        if word in SEMICOLON:
            data["fmt"], data["sep"] = CSV, ";"
        elif word in FORMATS:
            data["fmt"] = FORMATS[word]
            data.setdefault("sep", ",")
        elif word in KIND_WORDS:
            data["what"] = KIND_WORDS[word]
        elif word in NAME_WORDS:
            data["names"] = not (n and words[n - 1].casefold() in NO_NAME_WORDS)
        elif word not in FILLER:
            rest.append(words[n])
        n += 1
    if rest:
        period = parse_period(" ".join(rest), today)
        if period is None:
            return data, False
        data["period"] = [period.start.isoformat(), period.end.isoformat()]
    return data, True


# Add /export and its questions.
router = Router()


@router.command(
    "export",
    description=N_("Tables and the half-year report as files"),
    roles=(COORDINATOR,),
    where="direct",
    aliases=("auswertung",),
)
async def export(ctx: Context) -> None:
    """Start an export; what the words already say is not asked again."""
    assert ctx.community is not None
    data, understood = parse_words(ctx.args, _today(ctx))
    if not understood:
        await ctx.reply(_period_help(ctx))
        return
    if data:
        # A one-line export: what it does not say is the usual (XLSX, labels for people).
        data.setdefault("fmt", XLSX)
        data.setdefault("sep", ",")
        data.setdefault("community", ctx.community.id)
    else:
        # The step-by-step dialog also asks about names, where this person may see them.
        data["community"] = ctx.community.id
        data["ask_names"] = files.may_see_names(ctx.roles, DEPLOYMENT_ADMIN in ctx.roles)
    await _next(ctx, data)


@router.state(ASK, roles=(COORDINATOR,))
async def typed(ctx: Context) -> None:
    """A typed answer to the open question: a kind, a format or a period."""
    data = await ctx.dialog_data(ASK)
    if data is None:
        return
    answer = ctx.text.strip().casefold()
    if data.get("step") == "names" and answer in YES_NO:
        await _next(ctx, {**data, "names": YES_NO[answer]})
        return
    more, understood = parse_words(ctx.text, _today(ctx))
    if not understood or not more:
        await ctx.reply(_period_help(ctx) if data.get("step") == "period" else _not_understood(ctx))
        return
    await _next(ctx, {**data, **more})


@router.button(PICK, roles=(COORDINATOR,))
async def pick(ctx: Context) -> None:
    """A button of the open question."""
    data = await ctx.dialog_data(ASK)
    field = ctx.button_args.get("set")
    value = ctx.button_args.get("value")
    if data is None or field not in ("what", "fmt", "period", "names"):
        await ctx.button_gone()
        return
    if not isinstance(value, str):
        await ctx.button_gone()
        return
    if field == "names":
        data["names"] = value == "yes"
    elif field == "fmt":
        data["fmt"], data["sep"] = (CSV, ";") if value == "csv;" else (value, ",")
    elif field == "period":
        period = parse_period(value, _today(ctx))
        if period is None:
            return
        data["period"] = [period.start.isoformat(), period.end.isoformat()]
    else:
        data["what"] = value
    await _next(ctx, data)


def _today(ctx: Context) -> date:
    from zoneinfo import ZoneInfo

    zone = ctx.community.timezone if ctx.community else "Europe/Berlin"
    return ctx.now.astimezone(ZoneInfo(zone)).date()


def _not_understood(ctx: Context) -> str:
    if ctx.can_tap:
        return _("Sorry, I did not understand that. Please tap a button or write its number.")
    return _("Sorry, I did not understand that. Please write the number of one of the answers.")


def _period_help(ctx: Context) -> str:
    return _(
        "I did not understand the period.\n"
        "Write for example: dieses Halbjahr, letztes Halbjahr, 1. Halbjahr 2026, 2026, "
        "or 1.1.2026 - 30.6.2026."
    )


async def _next(ctx: Context, data: dict[str, Any]) -> None:
    """Ask the first missing thing, or make the export when nothing is missing."""
    if data.get("what") not in (*KINDS, "all", REPORT):
        data["step"] = "what"
        await ctx.ask(
            _("What would you like as a file?"),
            ASK,
            data,
            [Button(_(label), PICK, {"set": "what", "value": v}) for v, label in WHAT_CHOICES],
        )
        return
    if data["what"] != REPORT and data.get("fmt") not in (XLSX, CSV):
        data["step"] = "fmt"
        await ctx.ask(
            _("Which kind of file?"),
            ASK,
            data,
            [
                Button(_("Excel (XLSX)"), PICK, {"set": "fmt", "value": XLSX}),
                Button(_("CSV with commas"), PICK, {"set": "fmt", "value": CSV}),
                Button(_("CSV with semicolons"), PICK, {"set": "fmt", "value": "csv;"}),
            ],
        )
        return
    if data.get("ask_names") and data["what"] in WITH_PEOPLE and "names" not in data:
        data["step"] = "names"
        await ctx.ask(
            _("Should the file show names?\nWithout names, people appear as labels like P-3F9A2C."),
            ASK,
            data,
            [
                Button(_("Without names"), PICK, {"set": "names", "value": "no"}),
                Button(_("With names"), PICK, {"set": "names", "value": "yes"}),
            ],
        )
        return
    if not data.get("period"):
        data["step"] = "period"
        await ctx.ask(
            _("Which period?\nTap a button, or write it, for example: 1.1.2026 - 30.6.2026.")
            if ctx.can_tap
            else _(
                "Which period?\nWrite its number, or the period itself, "
                "for example: 1.1.2026 - 30.6.2026."
            ),
            ASK,
            data,
            [
                Button(_("This half year"), PICK, {"set": "period", "value": "dieses halbjahr"}),
                Button(_("Last half year"), PICK, {"set": "period", "value": "letztes halbjahr"}),
                Button(_("This year"), PICK, {"set": "period", "value": "dieses jahr"}),
                Button(_("Last year"), PICK, {"set": "period", "value": "letztes jahr"}),
            ],
        )
        return
    await ctx.finish_dialog()
    await _make(ctx, data)


async def _make(ctx: Context, data: dict[str, Any]) -> None:
    """Make the export the dialog describes and send its files (the report: its texts)."""
    # A dialog kept from before the community was recorded in it acts for the chat's.
    ref = data.get("community", ctx.community.id if ctx.community else None)
    start, end = (date.fromisoformat(day) for day in data["period"])
    made = await files.export(
        ctx.work,
        int(ref) if ref is not None else None,
        Period(start, end),
        data["what"],
        data.get("fmt", XLSX),
        data.get("sep", ","),
        bool(data.get("names")),
        asker=files.Asker(ctx.person.id, DEPLOYMENT_ADMIN in ctx.roles),
        via="chat",
        locale=ctx.locale,
    )
    if isinstance(made, str):
        await ctx.reply(_("Sorry, only the coordination of this group may do that."))
        return
    community, request, result = made.request.community, made.request, made.result
    span = _("{start} to {end}").format(
        start=format_day(_noon(start), community.timezone),
        end=format_day(_noon(end), community.timezone),
    )
    if request.what == REPORT:
        await ctx.reply(result.summary)
        for attachment, caption in zip(result.files, result.captions, strict=True):
            text = _("Chart for your report: {caption}").format(caption=caption)
            await ctx.reply(text, attachment=attachment)
        await ctx.reply(
            _(
                "A short text for your groups, without names. "
                "Forward it, or send it with {prefix}mitteilung."
            ).format(prefix=ctx.command_prefix)
        )
        await ctx.reply(result.public)
        return
    who = (
        _("With names, as you asked. Please keep the file safe.")
        if request.names
        else _("People appear as labels like P-3F9A2C, the same in every table of this file.")
    )
    head = _("Your file for {name}, {span}. Rows: {rows}.").format(
        name=community.name, span=span, rows=result.rows
    )
    first, *more = result.files
    await ctx.reply(f"{head}\n{who}", attachment=first, about=result.about)
    for attachment in more:
        await ctx.reply(attachment.filename, attachment=attachment, about=result.about)


def _noon(day: date):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, time

    return datetime.combine(day, time(12), tzinfo=UTC)
