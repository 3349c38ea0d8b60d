"""A request once offered: the volunteers' and the resident's buttons, messages through the
bot, the meeting time, done with minutes, and /meine_anfragen (``bot/helping/taking.py``)."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Router
from bot.domain.when import WhenError
from bot.helping import offers, taking
from bot.helping import texts as help_texts
from bot.language.i18n import N_, _, format_when, ngettext
from handlers.when_words import when_error

MESSAGE, AGREED, MINUTES, NOTE = "hr.message", "hr.agreed", "hr.minutes", "hr.note"
NO_NOTE = ("nein", "no", "-")

router = Router()


@router.command(
    "meine_anfragen", "my_requests", description=N_("Your help requests"), where="direct"
)
async def mine(ctx: Context) -> None:
    """Open requests the person asked for or is helping with, with their buttons."""
    found = await taking.mine(ctx.work, ctx.person.id)
    if not found:
        await ctx.reply(_("You have no open help requests."))
        return
    for own in found:
        request = own.request
        topic = help_texts.skill_words(request, own.skill, own.community)
        if own.helping:
            text = _("Request {number}: {topic}. You are helping.").format(
                number=request.id, topic=topic
            )
            buttons = help_texts.volunteer_buttons(request)
        else:
            text = _("Your request {number}: {topic}.").format(number=request.id, topic=topic)
            buttons = help_texts.requester_buttons(request)
        await ctx.reply(text, buttons, about=offers.parties(request))


@router.button(help_texts.ACCEPT)
async def accept(ctx: Context) -> None:
    """ "Ich übernehme": exactly one volunteer gets it; the others are told kindly."""
    outcome = await taking.accept(ctx.work, _request_id(ctx), ctx.person.id)
    if outcome == "gone":
        await ctx.button_gone()
    elif outcome == "taken":
        await ctx.reply(_("Thank you! Someone else has already taken this request."))
    elif outcome == "closed":
        await ctx.reply(_("This request is no longer open. Thank you!"))


@router.button(help_texts.DECLINE)
async def decline(ctx: Context) -> None:
    """ "Diesmal nicht": fine; when all asked said no, the next people are asked."""
    if await taking.decline(ctx.work, _request_id(ctx), ctx.person.id, ctx.services.matching):
        await ctx.reply(_("All right. Thank you for letting us know."))
    else:
        await ctx.button_gone()


@router.button(help_texts.WRITE)
async def write(ctx: Context) -> None:
    """Write to the other side through the bot (no phone number needed)."""
    request = await taking.running(ctx.work, _request_id(ctx), ctx.person.id)
    if request is None:
        await ctx.button_gone()
        return
    await ctx.ask(_("Please write your message."), MESSAGE, {"request": request.id})


@router.state(MESSAGE)
async def message_typed(ctx: Context) -> None:
    """Pass the message on, with a button to answer."""
    assert ctx.state is not None
    request_id = int(ctx.state.data.get("request", 0))
    await ctx.finish_dialog()
    outcome = await taking.relay(ctx.work, request_id, ctx.person.id, ctx.text, ctx.dispatch_id)
    if outcome == "gone":
        await ctx.button_gone()
    elif outcome == "passed":
        await ctx.reply(_("Your message is passed on."))
    else:
        await ctx.reply(_("Sorry, I cannot reach this person in a chat. Please call them."))


@router.button(help_texts.AGREE)
async def agree(ctx: Context) -> None:
    """Enter the meeting time both agreed on; both get a reminder the day before."""
    request = await taking.running(ctx.work, _request_id(ctx), ctx.person.id, volunteer_only=True)
    if request is None:
        await ctx.button_gone()
        return
    await ctx.ask(
        _("When do you meet? For example: Dienstag 15 Uhr"), AGREED, {"request": request.id}
    )


@router.state(AGREED)
async def agreed_typed(ctx: Context) -> None:
    """The meeting time, in German words."""
    assert ctx.state is not None
    request_id = int(ctx.state.data.get("request", 0))
    try:
        meeting = await taking.agree(
            ctx.work, request_id, ctx.person.id, ctx.text, language=ctx.locale
        )
    except WhenError as error:
        await ctx.reply(when_error(error))
        return
    await ctx.finish_dialog()
    if meeting is None:
        await ctx.button_gone()
        return
    shown = format_when(meeting.start, meeting.timezone)
    await ctx.reply(_("Saved: {when}. You both get a reminder the day before.").format(when=shown))


@router.button(help_texts.DONE)
async def done(ctx: Context) -> None:
    """Report it done: minutes, then an optional note."""
    request = await taking.running(ctx.work, _request_id(ctx), ctx.person.id, volunteer_only=True)
    if request is None:
        await ctx.button_gone()
        return
    await ctx.ask(
        _("How long did it take? For example: 45 Minuten or 1,5 Stunden."),
        MINUTES,
        {"request": request.id},
        numbers=True,
    )


@router.state(MINUTES)
async def minutes_typed(ctx: Context) -> None:
    """The minutes spent."""
    assert ctx.state is not None
    minutes = taking.parse_minutes(ctx.text)
    if minutes is None:
        await ctx.reply(
            _("Please write how long it took, for example: 45 Minuten, 1 Stunde or 1:30.")
        )
        return
    data = {**ctx.state.data, "minutes": minutes}
    await ctx.ask(_("Would you like to note something? Otherwise write 'nein'."), NOTE, data)


@router.state(NOTE)
async def note_typed(ctx: Context) -> None:
    """The optional note; then thanks to the volunteer and a question to the resident."""
    assert ctx.state is not None
    data = dict(ctx.state.data)
    await ctx.finish_dialog()
    note = ctx.text.strip()
    note = "" if note.casefold() in NO_NOTE else note
    request = await taking.finish(
        ctx.work, int(data.get("request", 0)), int(data.get("minutes", 0)), note
    )
    if request is None:
        await ctx.button_gone()
        return
    await ctx.reply(
        ngettext("Saved: {minutes} minute.", "Saved: {minutes} minutes.", request.minutes).format(
            minutes=request.minutes
        )
    )
    await taking.thank(ctx.work, request)


@router.button(help_texts.RETURN)
async def give_back(ctx: Context) -> None:
    """The volunteer cannot do it: it is offered to others."""
    if await taking.hand_back(ctx.work, _request_id(ctx), ctx.person.id, ctx.services.matching):
        await ctx.reply(_("Thank you for letting us know. We will look for someone else."))
    else:
        await ctx.button_gone()


@router.button(help_texts.CANCEL)
async def cancel(ctx: Context) -> None:
    """The resident no longer needs help; the volunteer is told."""
    outcome = await taking.cancel(ctx.work, _request_id(ctx), ctx.person.id)
    if outcome == "gone":
        await ctx.button_gone()
    elif outcome == "closed":
        await ctx.reply(_("This request is already closed."))
    else:
        await ctx.reply(_("All right. Your request is cancelled."))


@router.button(help_texts.RATE)
async def rate(ctx: Context) -> None:
    """The resident's one answer after the help."""
    rating = ctx.button_args.get("rating")
    if await taking.rate(ctx.work, _request_id(ctx), ctx.person.id, rating):
        await ctx.reply(_("Thank you for your answer!"))
    else:
        await ctx.button_gone()


def _request_id(ctx: Context) -> int:
    """The request a button is about (0, which is none, when it names none)."""
    return int(ctx.button_args.get("request", 0) or 0)
