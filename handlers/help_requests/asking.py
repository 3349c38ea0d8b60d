"""The resident's request form: topic, a short description, when, where, a phone number;
then the request is saved and offered (``bot/helping/asking.py``)."""

from __future__ import annotations

from typing import Any

from bot.chat.context import Context
from bot.chat.router import Router
from bot.chat.types import Button
from bot.helping import asking
from bot.helping import texts as help_texts
from bot.language.choosing import joined, or_word, pick_one, tap_only
from bot.language.i18n import N_, _
from handlers.menus import command_list

OTHER = asking.OTHER
ASK, DESCRIBE, WHEN, AREA, PHONE = "hr.skill", "hr.describe", "hr.when", "hr.area", "hr.phone"
PICK, WHERE, ANY_TIME, CHAT_ONLY, COMMANDS = (
    "hr.pick",
    "hr.where",
    "hr.any_time",
    "hr.chat_only",
    "hr.commands",
)
MAX_TEXT = asking.MAX_TEXT

router = Router()


@router.command(
    "anfrage", "request_help", description=N_("Ask for personal help with a device or app")
)
async def ask(ctx: Context) -> None:
    """ "Wobei brauchen Sie Hilfe?" with the skills as buttons."""
    await start_request(ctx)


@router.entry("help_request")
async def start_request(ctx: Context) -> None:
    """The first question of a help request, used by /anfrage and by /hilfe in private."""
    assert ctx.community is not None
    buttons = [
        Button(topic.label, PICK, {"skill": topic.key})
        for topic in await asking.topics(ctx.work, ctx.community)
    ]
    buttons.append(Button(_("Something else"), PICK, {"skill": OTHER}))
    buttons.append(Button(_("What can the bot do?"), COMMANDS))
    question = joined(
        _("What do you need help with?"), tap_only(_("Please tap a topic."), ctx.can_tap)
    )
    await ctx.ask(question, ASK, {}, buttons)


@router.button(COMMANDS)
async def commands(ctx: Context) -> None:
    """ "Was kann der Bot?": the command list instead of a request."""
    await ctx.finish_dialog()
    await ctx.reply(command_list(ctx))


@router.button(PICK)
async def pick(ctx: Context) -> None:
    """A skill tapped (or "Etwas anderes")."""
    if await ctx.dialog_data(ASK) is None:
        await ctx.button_gone()
        return
    await ctx.ask(
        _("Please describe it briefly. For example: I want to send photos to my grandchildren."),
        DESCRIBE,
        {"skill": str(ctx.button_args.get("skill", OTHER))},
    )


@router.state(ASK)
async def skill_typed(ctx: Context) -> None:
    """A typed answer that is no button: taken as the description of something else."""
    await ctx.finish_dialog()
    text = ctx.text.strip()[:MAX_TEXT]
    await _ask_when(ctx, {"skill": OTHER, "description": text})


@router.state(DESCRIBE)
async def described(ctx: Context) -> None:
    """ "Beschreiben Sie es kurz"."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    data["description"] = ctx.text.strip()[:MAX_TEXT]
    await _ask_when(ctx, data)


@router.state(WHEN)
async def when_typed(ctx: Context) -> None:
    """ "Wann passt es Ihnen?" in the person's words."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    data["when_text"] = ctx.text.strip()[:200]
    await _ask_where(ctx, data)


@router.button(ANY_TIME)
async def any_time(ctx: Context) -> None:
    """ "Egal": any time suits."""
    data = await ctx.dialog_data(WHEN)
    if data is None:
        await ctx.button_gone()
        return
    await _ask_where(ctx, data)


@router.button(WHERE)
async def where(ctx: Context) -> None:
    """Digitalcafé, phone or at home."""
    data = await ctx.dialog_data(WHERE)
    if data is None:
        await ctx.button_gone()
        return
    data["place"] = str(ctx.button_args.get("place", "cafe"))
    if data["place"] == "home":
        await ctx.ask(_("In which part of town do you live?"), AREA, data)
    elif data["place"] == "phone":
        await _ask_phone(ctx, data)
    else:
        await _save(ctx, data)


@router.state(WHERE)
async def where_typed(ctx: Context) -> None:
    """A typed answer to "Wo?" that is none of the buttons."""
    assert ctx.state is not None
    await ctx.reply(pick_one(ctx.can_tap))


@router.state(AREA)
async def area_typed(ctx: Context) -> None:
    """The part of town, for a visit at home."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    data["area"] = ctx.text.strip()[:100]
    await _ask_phone(ctx, data)


@router.state(PHONE)
async def phone_typed(ctx: Context) -> None:
    """A phone number for the volunteer, checked loosely."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    number = ctx.text.strip()
    if not asking.PHONE.match(number):
        await ctx.reply(_("That does not look like a phone number. Please write only the number."))
        return
    data["phone"] = number
    await _save(ctx, data)


@router.button(CHAT_ONLY)
async def chat_only(ctx: Context) -> None:
    """ "Lieber hier im Chat": no phone number."""
    data = await ctx.dialog_data(PHONE)
    if data is None:
        await ctx.button_gone()
        return
    await _save(ctx, data)


async def _ask_when(ctx: Context, data: dict[str, Any]) -> None:
    await ctx.ask(
        _("When does it suit you? For example: dienstags nachmittags"),
        WHEN,
        data,
        [Button(_("Any time"), ANY_TIME)],
    )


async def _ask_where(ctx: Context, data: dict[str, Any]) -> None:
    buttons = [
        Button(_("At the Digitalcafé"), WHERE, {"place": "cafe"}),
        Button(_("By phone"), WHERE, {"place": "phone"}),
        Button(_("At my home"), WHERE, {"place": "home"}),
    ]
    await ctx.ask(_("Where should the help be?"), WHERE, data, buttons)


async def _ask_phone(ctx: Context, data: dict[str, Any]) -> None:
    await ctx.ask(
        joined(
            _("Which phone number can the helper call?"),
            or_word(_("Rather here in the chat"), ctx.can_tap),
        ),
        PHONE,
        data,
        [Button(_("Rather here in the chat"), CHAT_ONLY)],
    )


async def _save(ctx: Context, data: dict[str, Any]) -> None:
    """The form is complete: save and offer the request."""
    assert ctx.community is not None
    await ctx.finish_dialog()
    form = asking.Ask(
        skill=str(data.get("skill", OTHER)),
        description=str(data.get("description", "")),
        when_text=str(data.get("when_text", "")),
        place=str(data.get("place", "cafe")),
        area=str(data.get("area", "")),
        phone=data.get("phone"),
    )
    await asking.ask_for_help(
        ctx.work,
        ctx.community,
        form,
        requester_id=ctx.person.id,
        language=ctx.locale,
        policy=ctx.services.matching,
    )
    await ctx.reply(help_texts.searching())
